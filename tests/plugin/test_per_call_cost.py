"""Work the SDK does on every call, kept cheap without changing what it answers.

No timings: each test pins a behaviour a shortcut could have broken (an error that still names
its path, a log line formatted only when it will be written).
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import msgpack
import pytest

from provider.plugin import Attribute, Resource, Schema, String, Unknown
from provider.plugin import logging as plugin_logging
from provider.plugin.codec import CodecError, decode_msgpack, encode_msgpack
from provider.plugin.context import Context
from provider.plugin.core import ProviderCore
from provider.plugin.plan import contains_unknown
from provider.plugin.resource import Provider
from provider.plugin.server import _DeferredHandlers
from provider.plugin.types import Dynamic, List, Number, Object
from provider.plugin.values import DynamicValue
from provider.plugin.wire import Wire

OBJ = Object({"a": String, "n": Number, "d": Dynamic, "l": List(String)})


def test_strings_and_nulls_decode_as_before() -> None:
    raw = msgpack.packb({"a": "x", "n": None, "d": None, "l": ["p", "q"]}, use_bin_type=True)
    assert decode_msgpack(raw, OBJ) == {"a": "x", "n": None, "d": None, "l": ["p", "q"]}


def test_a_wrong_type_in_an_object_still_names_its_attribute() -> None:
    with pytest.raises(CodecError, match=r"^a: expected a string, got int"):
        decode_msgpack(msgpack.packb({"a": 5}), OBJ)
    with pytest.raises(CodecError, match=r"^a: expected a string, got int"):
        encode_msgpack({"a": 5}, OBJ)
    with pytest.raises(CodecError, match=r"unexpected attributes \['zz'\]"):
        encode_msgpack({"a": "x", "zz": 1}, OBJ)


def test_a_dynamic_attribute_is_still_encoded_with_its_type() -> None:
    packed = encode_msgpack({"a": "x", "d": DynamicValue(String, "v")}, OBJ)
    assert msgpack.unpackb(packed)["d"] == [b'"string"', "v"]
    assert decode_msgpack(packed, OBJ)["d"] == DynamicValue(String, "v")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"a": "x", "b": None, "c": 1, "d": True}, False),
        ({"a": "x", "b": Unknown}, True),
        ({"a": {"b": [1, {"c": Unknown}]}}, True),
        ({"a": frozenset({"x", Unknown})}, True),
        ({"a": DynamicValue(String, Unknown)}, True),
        (Unknown, True),
        ("x", False),
    ],
)
def test_contains_unknown(value: Any, expected: bool) -> None:
    assert contains_unknown(value) is expected


class Leaves(Resource[None]):
    type_name = "test_leaves"
    schema = Schema(
        attributes={
            "id": Attribute(String, computed=True),
            "name": Attribute(String, required=True),
        }
    )

    def read(self, state: dict[str, Any], ctx: Context) -> dict[str, Any]:
        return {"id": Unknown, "name": state["name"]}


class LeavesProvider(Provider):
    type_name = "test"
    resources = (Leaves,)


def test_a_read_that_leaves_a_value_unknown_is_still_reported_at_its_path() -> None:
    core = ProviderCore(LeavesProvider())
    state = Wire(encode_msgpack({"id": "1", "name": "n"}, Leaves.schema.implied_type()))
    result = core.read_resource("test_leaves", state, b"")
    [diag] = result.diagnostics
    assert diag.summary == "test_leaves.read left values unknown"
    assert "unknown at: `id`" in diag.detail and diag.path == ("id",)


def test_resolved_handlers_are_served_without_the_future() -> None:
    class Handler:
        def service(self, details: Any) -> Any:
            return ("handled", details)

    deferred = _DeferredHandlers()
    deferred.resolve((Handler(),))
    deferred._handlers = None  # type: ignore[assignment]  # a second look at it would fail
    assert deferred.service("m") == ("handled", "m")


class Counted:
    """An argument that counts how often it is turned into text."""

    def __init__(self) -> None:
        self.formatted = 0

    def __str__(self) -> str:
        self.formatted += 1
        return "counted"

    __repr__ = __str__


@contextmanager
def hclog(level: int) -> Iterator[io.StringIO]:
    """Root logging through our hclog handler alone, at `level` (entered inside the test:
    pytest adds its own capture handlers, which format records too, after fixtures run)."""
    stream = io.StringIO()
    handler = plugin_logging._StderrHandler(stream)
    handler.setFormatter(plugin_logging.HclogJSONFormatter())
    root = logging.getLogger()
    before, handlers = root.level, root.handlers[:]
    root.handlers[:] = [handler]
    root.setLevel(level)
    try:
        yield stream
    finally:
        root.handlers[:] = handlers
        root.setLevel(before)


def test_a_disabled_level_formats_nothing() -> None:
    arg = Counted()
    logger = logging.getLogger("provider.test")
    with hclog(logging.WARNING) as out:
        logger.debug("value %s", arg)
        logger.log(plugin_logging.TRACE, "value %s", arg)
        Context(log=logger).log.info("value %s", arg)
    assert arg.formatted == 0 and out.getvalue() == ""


def test_an_enabled_level_formats_each_line_once() -> None:
    arg = Counted()
    with hclog(logging.DEBUG) as out:
        logging.getLogger("provider.test").debug("value %s", arg)
    assert arg.formatted == 1
    line = json.loads(out.getvalue())
    assert line["@level"] == "debug" and line["@message"] == "value counted"
