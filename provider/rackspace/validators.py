"""Validators and small value helpers shared by the Rackspace resources and data sources."""

from __future__ import annotations

from collections.abc import Iterable
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


def keep_spelling(prior: Iterable[str] | None, current: Iterable[str]) -> list[str]:
    """`current` ids, each spelled as in `prior` when equal ignoring case.

    The API answers in lower case; a user who wrote upper-case UUIDs must not see a diff.
    """
    spelled = {p.lower(): p for p in prior or () if isinstance(p, str)}
    return [spelled.get(c.lower(), c) for c in current]


def same_ids(a: Iterable[str], b: Iterable[str]) -> bool:
    """Two collections of ids hold the same ids, ignoring case and order."""
    return {x.lower() for x in a} == {x.lower() for x in b}
