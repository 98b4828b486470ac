"""Validators shared by the Rackspace resources and data sources."""

from __future__ import annotations

from typing import Any

from provider.plugin import ValueValidator, uuid

is_uuid = uuid()


class AtLeast(ValueValidator):
    """A collection holding at least `count` elements (`what` names them in the message).

    A provider's own validator: the SDK calls `check` like any built-in's.
    """

    def __init__(self, count: int, what: str) -> None:
        self.count = count
        self.what = what
        self.description = f"at least {count} {what}"

    def check(self, value: Any) -> str | None:
        """An error message when `value` holds fewer than `count` elements."""
        n = len(value)
        return None if n >= self.count else f"must hold at least {self.count} {self.what}, got {n}"


def at_least(count: int, what: str) -> ValueValidator:
    """`AtLeast(count, what)`, spelled as the SDK's validators are (`at_least(2, "port ids")`)."""
    return AtLeast(count, what)
