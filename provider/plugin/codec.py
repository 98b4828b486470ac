"""Encode and decode cty values: msgpack and JSON `DynamicValue`s, and flatmap raw state.

Decoding is schema-driven and yields plain Python values: `str`, `int`/`float`/`Decimal`,
`bool`, `None` (null), `list`, `frozenset` (sets of primitives), `dict`, `Unknown`, and
`DynamicValue` for dynamically typed values. Encoding always produces msgpack, the only form
that can carry unknown values.

Numbers: cty numbers are arbitrary-precision decimals. On the wire they are an int when they
fit in 64 bits, a float64 when that is exact, and otherwise a decimal string; decoded, they are
`int`, `float` or `decimal.Decimal` so no digit is lost in a round trip.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import msgpack

from provider.plugin.types import (
    Bool,
    CtyType,
    Dynamic,
    List,
    Map,
    Number,
    Object,
    Set,
    String,
    Tuple,
    type_from_json,
)
from provider.plugin.values import DynamicValue, Unknown

__all__ = [
    "CodecError",
    "coerce",
    "decode",
    "decode_flatmap",
    "decode_json",
    "decode_msgpack",
    "encode_msgpack",
    "infer_type",
    "normalise_number",
    "to_jsonable",
]

_UNKNOWN_EXT = msgpack.ExtType(0, b"\x00")
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_PRIMITIVES = (String, Number, Bool)


class CodecError(ValueError):
    """A value does not fit its type; `path` says where."""

    def __init__(self, message: str, path: tuple[str | int, ...] = ()) -> None:
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
        super().__init__(f"{where}: {message}" if where else message)
        self.path = path


def _ext_hook(code: int, data: bytes) -> Any:
    # Ext 0 is a plain unknown and ext 12 a refined one (Terraform >= 1.6). Refinements only
    # narrow what the value may become, so treating every extension as Unknown is safe.
    return Unknown


# ---------------------------------------------------------------------------------- numbers


_MAX_INT_DIGITS = 4000  # below Python's own int/str conversion limit (4300 digits)


def normalise_number(value: Any) -> int | float | Decimal:
    """The most natural exact Python form of a cty number (int, exact float, else Decimal)."""
    if isinstance(value, bool):
        raise CodecError(f"expected a number, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return int(value)
        return value
    if isinstance(value, str):
        text = value.strip()
        if text in ("+Inf", "Inf", "Infinity", "+Infinity"):
            return math.inf
        if text in ("-Inf", "-Infinity"):
            return -math.inf
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise CodecError(f"not a number: {value!r}") from None
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise CodecError(f"not a finite number: {value}")
        # An exponent such as 1e999999999 would make int() build a billion-digit integer
        # and stall the RPC; such a value stays an (exact) Decimal.
        if value.adjusted() <= _MAX_INT_DIGITS and value == value.to_integral_value():
            return int(value)
        as_float = float(value)
        if Decimal(as_float) == value:
            return as_float
        return value
    raise CodecError(f"expected a number, got {type(value).__name__}")


def _encode_number(value: Any) -> Any:
    if isinstance(value, bool):
        raise CodecError(f"expected a number, got {value!r}")
    if isinstance(value, int):
        # cty reads msgpack integers as int64 only; anything wider travels as a string.
        return value if _INT64_MIN <= value <= _INT64_MAX else str(value)
    if isinstance(value, float):
        if math.isnan(value):
            raise CodecError("NaN is not a cty number")
        if math.isinf(value):
            return value
        if value.is_integer() and _INT64_MIN <= value <= _INT64_MAX:
            return int(value)
        # A float stands for the decimal it prints as (0.1 means 0.1, not the binary
        # approximation); send that decimal whenever the float is not itself exact.
        shortest = repr(value)
        return value if Decimal(shortest) == Decimal(value) else shortest
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise CodecError(f"not a finite number: {value}")
        if abs(value.adjusted()) > _MAX_INT_DIGITS:
            return str(value)  # scientific notation; spelling it out could take gigabytes
        if value == value.to_integral_value():
            return _encode_number(int(value))
        as_float = float(value)
        if Decimal(as_float) == value:
            return as_float
        return format(value, "f")
    raise CodecError(f"expected a number, got {type(value).__name__}")


# ---------------------------------------------------------------------------------- decoding


def _from_wire(raw: Any, t: CtyType, path: tuple[str | int, ...], from_json: bool) -> Any:
    """Turn a raw msgpack/JSON structure into plain values of type `t`."""
    if raw is Unknown:
        return Unknown
    if t is Dynamic:
        return _dynamic_from_wire(raw, path, from_json)
    if raw is None:
        return None
    if t is String:
        if isinstance(raw, bytes):
            try:
                return raw.decode()
            except UnicodeDecodeError:
                raise CodecError("expected a UTF-8 string", path) from None
        if not isinstance(raw, str):
            raise CodecError(f"expected a string, got {type(raw).__name__}", path)
        return raw
    if t is Number:
        try:
            return normalise_number(raw)
        except CodecError as e:
            raise CodecError(str(e), path) from None
    if t is Bool:
        if not isinstance(raw, bool):
            raise CodecError(f"expected a bool, got {type(raw).__name__}", path)
        return raw
    if isinstance(t, List | Set | Tuple):
        if not isinstance(raw, list | tuple):
            raise CodecError(f"expected a sequence, got {type(raw).__name__}", path)
        if isinstance(t, Tuple):
            if len(raw) != len(t.elements):
                raise CodecError(f"expected {len(t.elements)} elements, got {len(raw)}", path)
            return [
                _from_wire(e, et, (*path, i), from_json)
                for i, (e, et) in enumerate(zip(raw, t.elements, strict=True))
            ]
        items = [_from_wire(e, t.element, (*path, i), from_json) for i, e in enumerate(raw)]
        if isinstance(t, Set) and t.element in _PRIMITIVES:
            return frozenset(items)
        return items
    if isinstance(t, Map):
        if not isinstance(raw, Mapping):
            raise CodecError(f"expected a map, got {type(raw).__name__}", path)
        return {k: _from_wire(v, t.element, (*path, k), from_json) for k, v in raw.items()}
    if isinstance(t, Object):
        if type(raw) is not dict and not isinstance(raw, Mapping):
            raise CodecError(f"expected an object, got {type(raw).__name__}", path)
        out: dict[str, Any] = {}
        get = raw.get
        for name, at in t.attributes.items():
            value = get(name)
            # Most attributes are null or a string: decided here without a call, and without
            # building the attribute's path, which only an error message needs.
            if value is None and at is not Dynamic:
                out[name] = None
            elif at is String and type(value) is str:
                out[name] = value
            else:
                out[name] = _from_wire(value, at, (*path, name), from_json)
        return out
    raise CodecError(f"unsupported type {t!r}", path)


def _dynamic_from_wire(raw: Any, path: tuple[str | int, ...], from_json: bool) -> Any:
    if raw is None:
        return None
    if from_json:
        if not isinstance(raw, Mapping) or "type" not in raw:
            raise CodecError("expected a dynamic value {type, value}", path)
        t = _wire_type(raw["type"], path)
        return DynamicValue(t, _from_wire(raw.get("value"), t, path, from_json))
    if not isinstance(raw, list | tuple) or len(raw) != 2:
        raise CodecError("expected a dynamic value [type, value]", path)
    t = _wire_type(raw[0], path)
    return DynamicValue(t, _from_wire(raw[1], t, path, from_json))


def _wire_type(raw: Any, path: tuple[str | int, ...]) -> CtyType:
    try:
        return type_from_json(raw)
    except (TypeError, ValueError, RecursionError) as exc:
        raise CodecError(f"not a valid type for a dynamic value: {exc}", path) from None


def decode_msgpack(data: bytes, t: CtyType) -> Any:
    """Decode a msgpack-encoded value of type `t`."""
    try:
        raw = msgpack.unpackb(data, ext_hook=_ext_hook, raw=False, strict_map_key=False)
    except (TypeError, ValueError) as exc:
        # Truncated data, an array used as a map key...: say what, not "unexpected error".
        raise CodecError(f"the msgpack value is malformed ({exc})") from None
    return _from_wire(raw, t, (), from_json=False)


def decode_json(data: bytes | str, t: CtyType) -> Any:
    """Decode a JSON-encoded value of type `t` (JSON cannot hold unknowns)."""
    try:
        raw = json.loads(data, parse_float=Decimal)
    except RecursionError:
        # The stdlib parser recurses per nesting level; hostile input must not reach the
        # generic "unexpected error" path.
        raise CodecError("the JSON value is nested too deeply") from None
    except InvalidOperation:
        raise CodecError("a JSON number is out of range") from None
    except ValueError as exc:
        raise CodecError(f"the JSON value is malformed ({exc})") from None
    return _from_wire(raw, t, (), from_json=True)


def decode(msgpack_data: bytes, json_data: bytes, t: CtyType) -> Any:
    """Decode a protocol `DynamicValue`: msgpack if present, else JSON, else null."""
    if msgpack_data:
        return decode_msgpack(msgpack_data, t)
    if json_data:
        return decode_json(json_data, t)
    return None


# ---------------------------------------------------------------------------------- encoding


def infer_type(value: Any) -> CtyType:
    """A cty type for a plain Python value (used for dynamic attributes)."""
    if isinstance(value, DynamicValue):
        return value.type
    if isinstance(value, bool):
        return Bool
    if isinstance(value, int | float | Decimal):
        return Number
    if isinstance(value, str):
        return String
    if isinstance(value, Mapping):
        return Object({k: infer_type(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return Tuple([infer_type(v) for v in value])
    if isinstance(value, set | frozenset):
        kinds = {infer_type(v) for v in value if v is not None and v is not Unknown}
        if len(kinds) > 1:
            raise CodecError("a set's elements must all have one type")
        return Set(kinds.pop() if kinds else Dynamic)
    if value is None or value is Unknown:
        return Dynamic
    raise CodecError(f"cannot infer a cty type for {type(value).__name__}")


def _to_wire(value: Any, t: CtyType, path: tuple[str | int, ...]) -> Any:
    """Turn plain values of type `t` into a msgpack-ready structure."""
    if t is Dynamic:
        if value is Unknown or value is None:
            return _UNKNOWN_EXT if value is Unknown else None
        if isinstance(value, DynamicValue):
            inner_t, inner = value.type, value.value
        else:
            inner_t, inner = infer_type(value), value
        if inner_t is Dynamic:
            return _to_wire(inner, Dynamic, path)
        return [inner_t.json_bytes(), _to_wire(inner, inner_t, path)]
    if value is Unknown:
        return _UNKNOWN_EXT
    if value is None:
        return None
    if isinstance(value, DynamicValue):
        value = value.value
    if t is String:
        if not isinstance(value, str):
            raise CodecError(f"expected a string, got {type(value).__name__}", path)
        return value
    if t is Number:
        try:
            return _encode_number(value)
        except CodecError as e:
            raise CodecError(str(e), path) from None
    if t is Bool:
        if not isinstance(value, bool):
            raise CodecError(f"expected a bool, got {type(value).__name__}", path)
        return value
    if isinstance(t, Tuple):
        if not isinstance(value, list | tuple) or len(value) != len(t.elements):
            raise CodecError(f"expected a tuple of {len(t.elements)} elements", path)
        return [
            _to_wire(v, et, (*path, i))
            for i, (v, et) in enumerate(zip(value, t.elements, strict=True))
        ]
    if isinstance(t, List | Set):
        if isinstance(value, str | bytes | Mapping) or not hasattr(value, "__iter__"):
            raise CodecError(f"expected a collection, got {type(value).__name__}", path)
        if isinstance(value, set | frozenset):
            # A Python set's iteration order depends on its insertion history, so two equal
            # sets could encode to different bytes; sort for one encoding per value.
            value = sorted(value, key=_set_order)
        return [_to_wire(v, t.element, (*path, i)) for i, v in enumerate(value)]
    if isinstance(t, Map):
        if not isinstance(value, Mapping):
            raise CodecError(f"expected a map, got {type(value).__name__}", path)
        return {str(k): _to_wire(v, t.element, (*path, str(k))) for k, v in value.items()}
    if isinstance(t, Object):
        if type(value) is not dict and not isinstance(value, Mapping):
            raise CodecError(f"expected an object, got {type(value).__name__}", path)
        attributes = t.attributes
        # A containment test of key views allocates nothing; the set difference only for the
        # error message.
        if not value.keys() <= attributes.keys():
            extra = value.keys() - attributes.keys()
            raise CodecError(f"unexpected attributes {sorted(extra)}", path)
        out: dict[str, Any] = {}
        get = value.get
        for name, at in attributes.items():
            v = get(name)
            # Null and string attributes, the common case, need no call and no path.
            if v is None and at is not Dynamic:
                out[name] = None
            elif at is String and type(v) is str:
                out[name] = v
            else:
                out[name] = _to_wire(v, at, (*path, name))
        return out
    raise CodecError(f"unsupported type {t!r}", path)


def _set_order(element: Any) -> tuple[int, Any]:
    """A total order over the elements of a set of primitives (which may hold null or unknown)."""
    if isinstance(element, bool):
        return (0, element)
    if isinstance(element, int | float | Decimal):
        return (1, element)
    if isinstance(element, str):
        return (2, element)
    return (3, 0)


def encode_msgpack(value: Any, t: CtyType) -> bytes:
    """Encode plain values of type `t` as msgpack (unknowns as extension 0)."""
    return msgpack.packb(_to_wire(value, t, ()), use_bin_type=True)


def to_jsonable(value: Any) -> Any:
    """A JSON-able rendering of plain values, for logs and payload dumps (not for Terraform)."""
    if value is Unknown:
        return {"@unknown": True}
    if isinstance(value, DynamicValue):
        return {"type": value.type.to_json(), "value": to_jsonable(value.value)}
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((to_jsonable(v) for v in value), key=repr)
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return value


def coerce(value: Any, t: CtyType) -> Any:
    """Apply cty's safe primitive conversions (e.g. "2" to 2) wherever `t` asks for them.

    Used on upgraded raw state, where old flat state holds every primitive as a string.
    """
    if value is None or value is Unknown or t is Dynamic:
        return value
    if t is Number and isinstance(value, str):
        return normalise_number(value)
    if t is Bool and isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    if t is String and isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(value)
    if t is String and isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(t, Object) and isinstance(value, Mapping):
        return {k: coerce(v, t.attributes[k]) if k in t.attributes else v for k, v in value.items()}
    if isinstance(t, Map) and isinstance(value, Mapping):
        return {k: coerce(v, t.element) for k, v in value.items()}
    if isinstance(t, Tuple) and isinstance(value, list | tuple):
        return [coerce(v, et) for v, et in zip(value, t.elements, strict=False)]
    if isinstance(t, List | Set) and isinstance(value, list | tuple | set | frozenset):
        items = [coerce(v, t.element) for v in value]
        return frozenset(items) if isinstance(value, set | frozenset) else items
    return value


# ---------------------------------------------------------------------------------- flatmap


def decode_flatmap(flat: Mapping[str, str], t: Object) -> dict[str, Any]:
    """Decode Terraform 0.11-era flat state (`"ports.#" = "2"`, `"ports.0" = ...`).

    Attributes the type knows are decoded by it; other top-level keys (from an older schema)
    are kept as their raw strings for the resource's `upgrade_state` to interpret.
    """
    value = _flat_object(flat, "", t)
    for key, text in flat.items():
        if "." not in key and key not in value:
            value[key] = text
    return value


def _flat_object(flat: Mapping[str, str], prefix: str, t: Object) -> dict[str, Any]:
    return {name: _flat_value(flat, prefix + name, at) for name, at in t.attributes.items()}


def _flat_value(flat: Mapping[str, str], key: str, t: CtyType) -> Any:
    if t in _PRIMITIVES or t is Dynamic:
        if key not in flat:
            return None
        text = flat[key]
        if t is Number:
            return normalise_number(text)
        if t is Bool:
            return text == "true"
        return text
    if isinstance(t, Object):
        if not any(k.startswith(key + ".") for k in flat):
            return None
        return _flat_object(flat, key + ".", t)
    if isinstance(t, Map):
        if key + ".%" not in flat and not any(k.startswith(key + ".") for k in flat):
            return None
        prefix = key + "."
        names = sorted(
            {k[len(prefix) :].split(".", 1)[0] for k in flat if k.startswith(prefix)} - {"%"}
        )
        return {n: _flat_value(flat, prefix + n, t.element) for n in names}
    if isinstance(t, List | Set | Tuple):
        count_key = key + ".#"
        if count_key not in flat:
            return None
        prefix = key + "."
        # List indexes are 0..n-1; set elements are keyed by a hash, kept in sorted order.
        keys = sorted(
            {k[len(prefix) :].split(".", 1)[0] for k in flat if k.startswith(prefix)} - {"#"},
            key=lambda s: (0, int(s)) if s.isdigit() else (1, s),
        )
        if isinstance(t, Tuple):
            return [
                _flat_value(flat, prefix + k, et) for k, et in zip(keys, t.elements, strict=False)
            ]
        items = [_flat_value(flat, prefix + k, t.element) for k in keys]
        if isinstance(t, Set) and t.element in _PRIMITIVES:
            return frozenset(items)
        return items
    raise CodecError(f"unsupported type {t!r} in flatmap state")
