"""Property-based fuzzing of the DynamicValue decoder (msgpack and JSON), in process.

Contract: for any bytes and any schema type, `codec.decode*` returns a value or raises
`CodecError` (the SDK turns that into an error diagnostic); nothing else escapes and nothing
hangs. Values that fit the type survive an encode/decode round trip.
"""

from __future__ import annotations

import json
from typing import Any

import msgpack
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provider.plugin import codec
from provider.plugin.types import Dynamic
from provider.rackspace.provider import RackspaceProvider
from tests.reliability import figures

SCHEMAS = [
    ("provider", RackspaceProvider.schema),
    *[(cls.type_name, cls.schema) for cls in RackspaceProvider.resources],
    *[(f"data.{cls.type_name}", cls.schema) for cls in RackspaceProvider.data_sources],
]
TYPES = [schema.implied_type() for _, schema in SCHEMAS] + [Dynamic]
FUZZ = settings(
    max_examples=1200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
    | st.binary(max_size=40)
)
# Structures shaped like real values (objects keyed by attribute names), to get past the
# first type check and into the nested paths.
ATTRIBUTE_NAMES = sorted({name for _, s in SCHEMAS for name in s.attributes})
keys = st.sampled_from(ATTRIBUTE_NAMES) | st.text(max_size=12)
structures = st.recursive(
    scalars | st.builds(msgpack.ExtType, st.integers(0, 127), st.binary(max_size=8)),
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(keys, inner, max_size=8),
    max_leaves=15,
)
json_structures = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(keys, inner, max_size=8),
    max_leaves=15,
)


def _mutate(data: bytes, cuts: list[tuple[int, int]]) -> bytes:
    """Flip, drop or truncate bytes of a valid encoding."""
    buf = bytearray(data)
    for position, value in cuts:
        if not buf:
            break
        i = position % len(buf)
        if value < 256:
            buf[i] = value
        elif value < 300:
            del buf[i]
        else:
            del buf[i:]
    return bytes(buf)


def _decodes_or_value_error(call: Any, t: Any = None) -> None:
    """`call()` decodes or raises CodecError; what decodes (as `t`) survives a round trip."""
    try:
        value = call()
    except codec.CodecError:
        return  # the SDK turns it into an "Invalid value" diagnostic
    if t is not None:
        assert codec.decode_msgpack(codec.encode_msgpack(value, t), t) == value


@FUZZ
@given(data=st.binary(max_size=300), t=st.sampled_from(TYPES), as_json=st.booleans())
def test_random_bytes(data: bytes, t: Any, as_json: bool) -> None:
    figures.add("fuzz cases: codec", 1)
    decode = codec.decode_json if as_json else codec.decode_msgpack
    _decodes_or_value_error(lambda: decode(data, t), t)


@FUZZ
@given(
    value=structures,
    t=st.sampled_from(TYPES),
    cuts=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 300)), max_size=4),
)
def test_msgpack_structures_and_mutations(value: Any, t: Any, cuts: list[tuple[int, int]]) -> None:
    figures.add("fuzz cases: codec", 1)
    packed = msgpack.packb(value, use_bin_type=True)
    _decodes_or_value_error(lambda: codec.decode_msgpack(_mutate(packed, cuts), t), t)


@FUZZ
@given(
    value=json_structures,
    t=st.sampled_from(TYPES),
    cuts=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 300)), max_size=4),
)
def test_json_structures_and_mutations(value: Any, t: Any, cuts: list[tuple[int, int]]) -> None:
    figures.add("fuzz cases: codec", 1)
    text = json.dumps(value).encode()
    _decodes_or_value_error(lambda: codec.decode_json(_mutate(text, cuts), t), t)


def test_nesting_bombs_are_value_errors() -> None:
    for t in TYPES:
        for data, decode in (
            (b"[" * 200_000, codec.decode_json),
            (b'{"a":' * 50_000, codec.decode_json),
            (b"\x91" * 200_000, codec.decode_msgpack),
        ):
            _decodes_or_value_error(lambda d=data, f=decode, ty=t: f(d, ty))
