"""Validators shared by the Rackspace resources and data sources."""

from __future__ import annotations

from typing import Any

from provider.plugin import uuid

is_uuid = uuid()


def at_least(count: int, what: str) -> Any:
    """A collection holding at least `count` elements (`what` names them in the message)."""

    def check(value: Any) -> str | None:
        n = len(value)
        return None if n >= count else f"must hold at least {count} {what}, got {n}"

    check.description = f"at least {count} {what}"  # type: ignore[attr-defined]
    return check
