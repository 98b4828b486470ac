"""cty types: the type system Terraform uses for every value crossing the plugin protocol.

Types are immutable and hashable. `String`, `Number`, `Bool` and `Dynamic` are singletons;
collections and structures are built with `List(T)`, `Set(T)`, `Map(T)`, `Object({...})` and
`Tuple([...])`. `to_json()` gives the JSON form Terraform expects in a schema and
`type_from_json()` reads it back (used for dynamic values, whose type travels with them).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "UUID",
    "Bool",
    "CaseInsensitiveString",
    "CtyType",
    "Dynamic",
    "List",
    "Map",
    "Number",
    "Object",
    "SemanticString",
    "Set",
    "String",
    "Tuple",
    "type_from_json",
    "wire_type",
]


class CtyType:
    """Base class of every cty type."""

    __slots__ = ()

    def to_json(self) -> Any:
        """The JSON-able form of this type (`"string"`, `["list", "string"]`, ...)."""
        raise NotImplementedError

    def json_bytes(self) -> bytes:
        """The compact JSON encoding used in `Schema.Attribute.type`."""
        return json.dumps(self.to_json(), separators=(",", ":"), sort_keys=True).encode()

    def has_dynamic(self) -> bool:
        """True when `Dynamic` appears anywhere inside this type."""
        return False

    def __repr__(self) -> str:
        return f"cty({json.dumps(self.to_json())})"


class _Primitive(CtyType):
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def to_json(self) -> Any:
        return self.name

    def __repr__(self) -> str:
        return self.name.capitalize()

    def __reduce__(self) -> str:
        # Pickle/copy keep the singleton identity.
        return self.name.capitalize()


class _DynamicType(CtyType):
    __slots__ = ()

    def to_json(self) -> Any:
        return "dynamic"

    def has_dynamic(self) -> bool:
        return True

    def __repr__(self) -> str:
        return "Dynamic"

    def __reduce__(self) -> str:
        return "Dynamic"


String = _Primitive("string")
Number = _Primitive("number")
Bool = _Primitive("bool")
Dynamic = _DynamicType()


class _Collection(CtyType):
    __slots__ = ("element",)
    kind = ""

    def __init__(self, element: CtyType) -> None:
        if not isinstance(element, CtyType):
            raise TypeError(f"{type(self).__name__}() needs a cty type, got {element!r}")
        self.element = element

    def to_json(self) -> Any:
        return [self.kind, self.element.to_json()]

    def has_dynamic(self) -> bool:
        return self.element.has_dynamic()

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.element == self.element  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((self.kind, self.element))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.element!r})"


class List(_Collection):
    """An ordered sequence of values of one type."""

    __slots__ = ()
    kind = "list"


class Set(_Collection):
    """An unordered collection of distinct values of one type."""

    __slots__ = ()
    kind = "set"


class Map(_Collection):
    """String keys to values of one type."""

    __slots__ = ()
    kind = "map"


class Object(CtyType):
    """Named attributes of fixed types; `optional` names attributes that may be omitted."""

    __slots__ = ("attributes", "optional")

    def __init__(
        self, attributes: Mapping[str, CtyType], optional: Iterable[str] = frozenset()
    ) -> None:
        self.attributes: dict[str, CtyType] = dict(attributes)
        self.optional: frozenset[str] = frozenset(optional)
        for name, t in self.attributes.items():
            if not isinstance(t, CtyType):
                raise TypeError(f"Object attribute {name!r} needs a cty type, got {t!r}")
        unknown = self.optional - self.attributes.keys()
        if unknown:
            raise ValueError(f"optional names unknown attributes: {sorted(unknown)}")

    def to_json(self) -> Any:
        attrs = {k: v.to_json() for k, v in sorted(self.attributes.items())}
        if self.optional:
            return ["object", attrs, sorted(self.optional)]
        return ["object", attrs]

    def has_dynamic(self) -> bool:
        return any(t.has_dynamic() for t in self.attributes.values())

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Object)
            and other.attributes == self.attributes
            and other.optional == self.optional
        )

    def __hash__(self) -> int:
        return hash(("object", tuple(sorted(self.attributes.items())), self.optional))

    def __repr__(self) -> str:
        if self.optional:
            return f"Object({self.attributes!r}, optional={set(self.optional)!r})"
        return f"Object({self.attributes!r})"


class Tuple(CtyType):
    """A fixed-length sequence whose positions each have their own type."""

    __slots__ = ("elements",)

    def __init__(self, elements: Iterable[CtyType]) -> None:
        self.elements: tuple[CtyType, ...] = tuple(elements)
        for t in self.elements:
            if not isinstance(t, CtyType):
                raise TypeError(f"Tuple() needs cty types, got {t!r}")

    def to_json(self) -> Any:
        return ["tuple", [t.to_json() for t in self.elements]]

    def has_dynamic(self) -> bool:
        return any(t.has_dynamic() for t in self.elements)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Tuple) and other.elements == self.elements

    def __hash__(self) -> int:
        return hash(("tuple", self.elements))

    def __repr__(self) -> str:
        return f"Tuple({list(self.elements)!r})"


_PRIMITIVES: dict[str, CtyType] = {
    "string": String,
    "number": Number,
    "bool": Bool,
    "dynamic": Dynamic,
}


def type_from_json(raw: Any) -> CtyType:
    """Parse a cty type from its JSON form (already decoded, or as `bytes`/`str` text)."""
    if isinstance(raw, bytes | bytearray):
        raw = json.loads(raw)
    if isinstance(raw, str):
        if raw in _PRIMITIVES:
            return _PRIMITIVES[raw]
        if raw.startswith(("[", '"')):
            return type_from_json(json.loads(raw))
        raise ValueError(f"unknown cty type {raw!r}")
    if isinstance(raw, list) and raw:
        kind = raw[0]
        if kind in ("list", "set", "map") and len(raw) == 2:
            element = type_from_json(raw[1])
            return {"list": List, "set": Set, "map": Map}[kind](element)
        if kind == "object" and len(raw) in (2, 3) and isinstance(raw[1], dict):
            optional = raw[2] if len(raw) == 3 else ()
            return Object({k: type_from_json(v) for k, v in raw[1].items()}, optional)
        if kind == "tuple" and len(raw) == 2 and isinstance(raw[1], list):
            return Tuple(type_from_json(t) for t in raw[1])
    raise ValueError(f"not a cty type: {raw!r}")


# ---------------------------------------------------------------------- semantic strings


class SemanticString(CtyType):
    """A string type whose values may be equal for Terraform without being the same text.

    Subclasses implement `equal`. On the wire the type is plain `string` (`to_json()` answers
    `"string"`), so Terraform and the codec never see it; only the SDK's plan, apply and read
    rules consult it.
    """

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def to_json(self) -> Any:
        return "string"

    def equal(self, prior: str, new: str) -> bool:
        """True when `new` means the same as `prior` (both known, non-null strings)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return self.name


class CaseInsensitiveString(SemanticString):
    """A string whose letter case does not matter (`"AB" == "ab"`)."""

    __slots__ = ()

    def equal(self, prior: str, new: str) -> bool:
        """True when the two strings differ at most in letter case (Unicode casefold)."""
        return prior.casefold() == new.casefold()


# UUIDs are case-insensitive by RFC 9562 §4; APIs often answer in lower case while users
# paste upper case, and either spelling names the same object.
UUID = CaseInsensitiveString("UUID")


def wire_type(t: CtyType) -> CtyType:
    """`t` with every semantic string type replaced by `String` (what the codec encodes)."""
    if isinstance(t, SemanticString):
        return String
    if isinstance(t, List | Set | Map):
        element = wire_type(t.element)
        return t if element is t.element else type(t)(element)
    if isinstance(t, Object):
        attrs = {k: wire_type(v) for k, v in t.attributes.items()}
        if all(attrs[k] is v for k, v in t.attributes.items()):
            return t
        return Object(attrs, t.optional)
    if isinstance(t, Tuple):
        return Tuple(wire_type(e) for e in t.elements)
    return t
