"""The value markers resource code sees besides plain Python values.

`Unknown` stands for a value Terraform does not know yet (during planning). It is a singleton:
test with `value is Unknown`. `None` is null, and empty collections are empty: the three are
never confused. `DynamicValue` carries a value together with its type for attributes typed
`Dynamic`, because such a value's type travels with it on the wire.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from provider.plugin.types import CtyType

__all__ = ["DynamicValue", "Unknown", "UnknownType", "is_fully_known"]


class UnknownType:
    """The type of the `Unknown` singleton."""

    __slots__ = ()
    _instance: UnknownType | None = None

    def __new__(cls) -> UnknownType:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "Unknown"

    def __reduce__(self) -> str:
        return "Unknown"

    def __copy__(self) -> UnknownType:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> UnknownType:
        return self

    def __bool__(self) -> bool:
        # Truth-testing an unknown is almost always a bug in resource code; make it loud.
        raise TypeError("the truth of an Unknown value is not known; test `value is Unknown`")


Unknown: Final = UnknownType()


@dataclass(frozen=True, slots=True)
class DynamicValue:
    """A value of an attribute typed `Dynamic`, with its concrete cty type.

    Resource code may also return a plain value for a dynamic attribute; its type is then
    inferred (strings, numbers, bools, lists as tuples, dicts as objects).
    """

    type: CtyType
    value: Any


def is_fully_known(value: Any) -> bool:
    """True when `value` holds no `Unknown` anywhere inside it."""
    if value is Unknown:
        return False
    if isinstance(value, DynamicValue):
        return is_fully_known(value.value)
    if isinstance(value, dict):
        return all(is_fully_known(v) for v in value.values())
    if isinstance(value, list | tuple | set | frozenset):
        return all(is_fully_known(v) for v in value)
    return True
