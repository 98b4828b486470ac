"""Schema encoding into protocol messages (both versions) and diagnostics with paths."""

from __future__ import annotations

import json

import pytest

from provider.plugin import (
    Attribute,
    Block,
    Dynamic,
    List,
    Map,
    NestedBlock,
    Nesting,
    Number,
    Object,
    Schema,
    String,
    Tuple,
)
from provider.plugin.diagnostics import Diagnostic, Key, Severity
from provider.plugin.proto import tfplugin5_pb2, tfplugin6_pb2
from provider.plugin.protocol import diagnostics, schema

SCHEMA = Schema(
    version=3,
    description="A *thing*.",
    deprecated=True,
    attributes={
        "b": Attribute(Map(Number), optional=True, computed=True, sensitive=True),
        "a": Attribute(String, required=True, description="The `a`.", deprecated=True),
        "o": Attribute(Object({"x": List(String), "y": Tuple([Number, Dynamic])}), computed=True),
    },
    blocks={
        f"n_{mode.name.lower()}": NestedBlock(
            Block(attributes={"v": Attribute(String, optional=True)}),
            nesting=mode,
            min_items=1 if mode is Nesting.LIST else 0,
            max_items=2 if mode is Nesting.LIST else 0,
        )
        for mode in Nesting
    },
)


@pytest.mark.parametrize("pb", [tfplugin6_pb2, tfplugin5_pb2], ids=["v6", "v5"])
def test_schema_message(pb: object) -> None:
    msg = schema(pb, SCHEMA)
    assert msg.version == 3 and msg.block.version == 3
    assert msg.block.description == "A *thing*." and msg.block.description_kind == 1
    assert msg.block.deprecated
    attrs = msg.block.attributes
    assert [a.name for a in attrs] == ["a", "b", "o"]
    a, b, o = attrs
    assert (a.required, a.optional, a.computed, a.deprecated) == (True, False, False, True)
    assert (b.optional, b.computed, b.sensitive) == (True, True, True)
    assert json.loads(a.type) == "string"
    assert json.loads(b.type) == ["map", "number"]
    assert json.loads(o.type) == [
        "object",
        {"x": ["list", "string"], "y": ["tuple", ["number", "dynamic"]]},
    ]
    blocks = {bt.type_name: bt for bt in msg.block.block_types}
    assert {n: bt.nesting for n, bt in blocks.items()} == {
        "n_single": 1,
        "n_list": 2,
        "n_set": 3,
        "n_map": 4,
        "n_group": 5,
    }
    assert (blocks["n_list"].min_items, blocks["n_list"].max_items) == (1, 2)


@pytest.mark.parametrize("pb", [tfplugin6_pb2, tfplugin5_pb2], ids=["v6", "v5"])
def test_diagnostic_paths(pb: object) -> None:
    (msg,) = diagnostics(
        pb, [Diagnostic(Severity.WARNING, "s", "d", ("rule", 2, "labels", Key("env")))]
    )
    assert (msg.severity, msg.summary, msg.detail) == (2, "s", "d")
    steps = [
        (s.WhichOneof("selector"), getattr(s, s.WhichOneof("selector")))
        for s in msg.attribute.steps
    ]
    assert steps == [
        ("attribute_name", "rule"),
        ("element_key_int", 2),
        ("attribute_name", "labels"),
        ("element_key_string", "env"),
    ]


def test_dynamic_inside_list_block_makes_the_block_dynamic() -> None:
    s = Schema(
        blocks={"d": NestedBlock(Block(attributes={"v": Attribute(Dynamic, optional=True)}))}
    )
    assert s.implied_type().attributes["d"] is Dynamic
