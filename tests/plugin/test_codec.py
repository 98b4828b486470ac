"""Codec tests: msgpack/JSON decoding, msgpack encoding, unknowns, numbers, dynamic values."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provider.plugin.codec import (
    CodecError,
    coerce,
    decode,
    decode_flatmap,
    decode_json,
    decode_msgpack,
    encode_msgpack,
)
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

UNKNOWN_BYTES = b"\xd4\x00\x00"  # what cty writes for an unknown value

# ------------------------------------------------------------------ strategies

names = st.text(alphabet="abcdefghij_", min_size=1, max_size=6)
primitive_types = st.sampled_from([String, Number, Bool])


def _compound(children: st.SearchStrategy[CtyType]) -> st.SearchStrategy[CtyType]:
    return st.one_of(
        children.map(List),
        primitive_types.map(Set),
        children.map(Map),
        st.dictionaries(names, children, max_size=4).map(Object),
        st.lists(children, max_size=3).map(Tuple),
    )


cty_types = st.recursive(st.one_of(primitive_types, st.just(Dynamic)), _compound, max_leaves=8)

numbers = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.integers(min_value=2**63, max_value=10**40),
    st.integers(min_value=-(2**11), max_value=2**11).map(lambda k: k / 1024),  # exact floats
    st.decimals(allow_nan=False, allow_infinity=False, places=6).filter(
        lambda d: d != d.to_integral_value()
    ),
)


def values_of(t: CtyType, depth: int = 0) -> st.SearchStrategy[Any]:
    """Plain values of type `t`, in the form the decoder produces, with nulls and unknowns."""
    special = st.sampled_from([None, Unknown])
    if t is String:
        known: st.SearchStrategy[Any] = st.text(max_size=8)
    elif t is Number:
        known = numbers
    elif t is Bool:
        known = st.booleans()
    elif t is Dynamic:
        known = st.one_of(
            st.text(max_size=4).map(lambda s: DynamicValue(String, s)),
            st.integers(-5, 5).map(lambda n: DynamicValue(Number, n)),
            st.lists(st.booleans(), max_size=3).map(lambda v: DynamicValue(List(Bool), v)),
        )
    elif isinstance(t, List):
        known = st.lists(values_of(t.element, depth + 1), max_size=3)
    elif isinstance(t, Set):
        known = st.frozensets(
            values_of(t.element, depth + 1).filter(lambda v: v is not None), max_size=3
        ).filter(_distinct_numbers)
    elif isinstance(t, Map):
        known = st.dictionaries(names, values_of(t.element, depth + 1), max_size=3)
    elif isinstance(t, Object):
        known = st.fixed_dictionaries(
            {k: values_of(at, depth + 1) for k, at in t.attributes.items()}
        )
    elif isinstance(t, Tuple):
        known = st.tuples(*(values_of(et, depth + 1) for et in t.elements)).map(list)
    else:  # pragma: no cover - every type is handled above
        raise AssertionError(t)
    return st.one_of(special, known) if depth or t is Dynamic else st.one_of(special, known, known)


def _distinct_numbers(values: frozenset[Any]) -> bool:
    # 1 and 1.0 are one set element in Python and in cty alike; keep generation unambiguous.
    return len({repr(v) for v in values}) == len(values)


typed_values = cty_types.flatmap(lambda t: st.tuples(st.just(t), values_of(t)))


# ------------------------------------------------------------------ properties


@settings(max_examples=150, deadline=None)
@given(typed_values)
def test_msgpack_round_trip_keeps_values_nulls_and_unknowns(tv: tuple[CtyType, Any]) -> None:
    t, value = tv
    assert decode_msgpack(encode_msgpack(value, t), t) == value


@settings(max_examples=100, deadline=None)
@given(cty_types)
def test_type_json_round_trip(t: CtyType) -> None:
    assert type_from_json(t.json_bytes()) == t
    assert type_from_json(json.loads(t.json_bytes())) == t


@settings(max_examples=100, deadline=None)
@given(typed_values)
def test_encoding_is_stable_under_re_encoding(tv: tuple[CtyType, Any]) -> None:
    t, value = tv
    once = encode_msgpack(value, t)
    assert encode_msgpack(decode_msgpack(once, t), t) == once


def test_equal_sets_encode_to_the_same_bytes() -> None:
    # Found by the property above: frozenset({5, -3}) and the set decoded from its encoding
    # iterate in different orders, so the bytes depended on how the set was built.
    t = List(Map(List(Set(Number))))
    value = [{"a": [frozenset({5, -3})]}]
    once = encode_msgpack(value, t)
    assert encode_msgpack(decode_msgpack(once, t), t) == once
    assert encode_msgpack(frozenset({"b", "a"}), Set(String)) == encode_msgpack(
        frozenset(["a", "b"]), Set(String)
    )


# ------------------------------------------------------------------ unknowns, null, empty


def test_unknown_is_cty_extension_zero() -> None:
    assert encode_msgpack(Unknown, String) == UNKNOWN_BYTES
    assert decode_msgpack(UNKNOWN_BYTES, List(String)) is Unknown


def test_refined_unknown_decodes_as_unknown() -> None:
    refinements = msgpack.packb({1: False, 2: "ab"})
    data = msgpack.packb(msgpack.ExtType(12, refinements))
    assert decode_msgpack(data, String) is Unknown
    obj = Object({"a": String, "b": Number})
    raw = msgpack.packb({"a": msgpack.ExtType(12, refinements), "b": 1})
    assert decode_msgpack(raw, obj) == {"a": Unknown, "b": 1}


@pytest.mark.parametrize(
    ("t", "empty"),
    [(List(String), []), (Map(Number), {}), (Set(String), frozenset()), (String, "")],
)
def test_null_unknown_and_empty_stay_distinct(t: CtyType, empty: Any) -> None:
    decoded = [decode_msgpack(encode_msgpack(v, t), t) for v in (None, Unknown, empty)]
    assert decoded[0] is None
    assert decoded[1] is Unknown
    assert decoded[2] == empty and decoded[2] is not None and decoded[2] is not Unknown


def test_both_fields_empty_is_null() -> None:
    assert decode(b"", b"", Object({"a": String})) is None


def test_unknown_elements_inside_collections() -> None:
    t = Object({"l": List(String), "s": Set(String), "m": Map(Number)})
    value = {"l": ["a", Unknown], "s": frozenset({"x", Unknown}), "m": {"k": Unknown}}
    assert decode_msgpack(encode_msgpack(value, t), t) == value


# ------------------------------------------------------------------ numbers


def test_numbers_beyond_float64_stay_exact() -> None:
    big = 10**30 + 1
    assert msgpack.unpackb(encode_msgpack(big, Number)) == str(big)
    assert decode_msgpack(encode_msgpack(big, Number), Number) == big
    precise = Decimal("3.14159265358979323846264338327950288")
    assert decode_msgpack(encode_msgpack(precise, Number), Number) == precise


def test_number_wire_forms_match_cty() -> None:
    # int64 as an integer, exact binary fractions as float64, other decimals as strings.
    assert msgpack.unpackb(encode_msgpack(42, Number)) == 42
    assert msgpack.unpackb(encode_msgpack(2.5, Number)) == 2.5
    assert msgpack.unpackb(encode_msgpack(0.1, Number)) == "0.1"
    assert msgpack.unpackb(encode_msgpack(Decimal("0.1"), Number)) == "0.1"
    assert msgpack.unpackb(encode_msgpack(2**64, Number)) == str(2**64)
    assert decode_msgpack(msgpack.packb("0.1"), Number) == Decimal("0.1")
    assert decode_msgpack(msgpack.packb(3.0), Number) == 3
    assert math.isinf(decode_msgpack(msgpack.packb("+Inf"), Number))


def test_nan_and_bools_are_not_numbers() -> None:
    with pytest.raises(CodecError):
        encode_msgpack(math.nan, Number)
    with pytest.raises(CodecError):
        encode_msgpack(True, Number)


# ------------------------------------------------------------------ JSON and dynamic


def test_json_decoding() -> None:
    t = Object(
        {"s": String, "n": Number, "b": Bool, "l": List(Number), "d": Dynamic, "x": Set(String)}
    )
    text = (
        '{"s": "a", "n": 1.25, "b": true, "l": [1, 12345678901234567890123],'
        ' "d": {"type": ["list", "string"], "value": ["q"]}, "x": null}'
    )
    assert decode_json(text, t) == {
        "s": "a",
        "n": 1.25,
        "b": True,
        "l": [1, 12345678901234567890123],
        "d": DynamicValue(List(String), ["q"]),
        "x": None,
    }
    assert decode_json('{"n": 0.1}', Object({"n": Number})) == {"n": Decimal("0.1")}


def test_dynamic_wire_form() -> None:
    raw = msgpack.unpackb(encode_msgpack(DynamicValue(Map(String), {"a": "b"}), Dynamic))
    assert raw == [b'["map","string"]', {"a": "b"}]
    # Plain values for dynamic attributes get an inferred type.
    inferred = decode_msgpack(encode_msgpack({"a": [1, "x"]}, Dynamic), Dynamic)
    assert inferred == DynamicValue(Object({"a": Tuple([Number, String])}), {"a": [1, "x"]})
    assert encode_msgpack(Unknown, Dynamic) == UNKNOWN_BYTES
    assert decode_msgpack(msgpack.packb(None), Dynamic) is None


def test_encoding_errors_name_the_path() -> None:
    t = Object({"outer": List(Object({"n": Number}))})
    with pytest.raises(CodecError, match=r"outer\[1\]\.n: expected a number"):
        encode_msgpack({"outer": [{"n": 1}, {"n": "x"}]}, t)
    with pytest.raises(CodecError, match="unexpected attributes"):
        encode_msgpack({"outer": [], "extra": 1}, t)


# ------------------------------------------------------------------ flatmap and coercion


def test_flatmap_decoding() -> None:
    t = Object(
        {
            "name": String,
            "n": Number,
            "on": Bool,
            "ports": List(Number),
            "tags": Set(String),
            "meta": Map(String),
            "rule": List(Object({"port": Number, "note": String})),
            "missing": List(String),
        }
    )
    flat = {
        "name": "a",
        "n": "5",
        "on": "true",
        "ports.#": "2",
        "ports.0": "80",
        "ports.1": "443",
        "tags.#": "2",
        "tags.111": "x",
        "tags.222": "y",
        "meta.%": "1",
        "meta.k": "v",
        "rule.#": "1",
        "rule.0.port": "22",
        "legacy": "old",
    }
    assert decode_flatmap(flat, t) == {
        "name": "a",
        "n": 5,
        "on": True,
        "ports": [80, 443],
        "tags": frozenset({"x", "y"}),
        "meta": {"k": "v"},
        "rule": [{"port": 22, "note": None}],
        "missing": None,
        "legacy": "old",
    }


def test_coerce_converts_primitives_safely() -> None:
    t = Object({"n": Number, "b": Bool, "s": String, "l": List(Number)})
    assert coerce({"n": "2", "b": "false", "s": 7, "l": ["1", 2]}, t) == {
        "n": 2,
        "b": False,
        "s": "7",
        "l": [1, 2],
    }
