"""Plan rules, validators and state shaping, exercised on the core with plain values."""

from __future__ import annotations

from typing import Any

import pytest

from provider.plugin import (
    AtLeastOneOf,
    Attribute,
    Block,
    ExactlyOneOf,
    List,
    NestedBlock,
    Nesting,
    Number,
    RequiresReplace,
    RequiresReplaceIf,
    Schema,
    Set,
    String,
    Unknown,
    UseStateForUnknown,
    between,
    each,
    matches,
    one_of,
    size_between,
    uuid,
)
from provider.plugin.plan import complete, honour_plan, plan_block, requires_replace_paths

SCHEMA = Schema(
    attributes={
        "id": Attribute(String, computed=True, plan=[UseStateForUnknown()]),
        "name": Attribute(String, required=True, plan=[RequiresReplace()]),
        "size": Attribute(Number, optional=True, computed=True, default=1),
        "status": Attribute(String, computed=True),
        "zone": Attribute(
            String,
            optional=True,
            plan=[RequiresReplaceIf(lambda old, new: old is not None, "only once set")],
        ),
    },
    blocks={
        "disk": NestedBlock(
            Block(
                attributes={
                    "label": Attribute(String, required=True),
                    "gb": Attribute(Number, required=True, plan=[RequiresReplace()]),
                    "serial": Attribute(String, computed=True, plan=[UseStateForUnknown()]),
                }
            ),
            nesting=Nesting.LIST,
        ),
        "tag": NestedBlock(
            Block(
                attributes={
                    "key": Attribute(String, required=True, plan=[RequiresReplace()]),
                    "uid": Attribute(String, computed=True),
                }
            ),
            nesting=Nesting.SET,
        ),
        "opts": NestedBlock(
            Block(attributes={"mode": Attribute(String, optional=True, plan=[RequiresReplace()])}),
            nesting=Nesting.SINGLE,
        ),
    },
)


def value(**kw: Any) -> dict[str, Any]:
    v: dict[str, Any] = {
        "id": None,
        "name": None,
        "size": None,
        "status": None,
        "zone": None,
        "disk": [],
        "tag": [],
        "opts": None,
    }
    v.update(kw)
    return v


def test_create_plans_defaults_and_unknown_computed() -> None:
    config = value(name="a", disk=[{"label": "d", "gb": 10, "serial": None}])
    planned = plan_block(SCHEMA, None, config, config)
    assert planned["id"] is Unknown and planned["status"] is Unknown
    assert planned["size"] == 1
    assert planned["disk"] == [{"label": "d", "gb": 10, "serial": Unknown}]


def test_update_marks_computed_unknown_and_use_state_restores() -> None:
    prior = value(
        id="i-1", name="a", size=1, status="up", disk=[{"label": "d", "gb": 10, "serial": "s1"}]
    )
    config = value(name="a", size=3, disk=[{"label": "e", "gb": 10, "serial": None}])
    proposed = dict(prior, size=3, disk=[{"label": "e", "gb": 10, "serial": "s1"}])
    planned = plan_block(SCHEMA, prior, proposed, config)
    assert planned["id"] == "i-1"  # UseStateForUnknown
    assert planned["status"] is Unknown  # computed, changes with the object
    assert planned["disk"][0]["serial"] == "s1"
    assert requires_replace_paths(SCHEMA, prior, planned) == []


def test_no_change_plans_prior_values() -> None:
    prior = value(id="i-1", name="a", size=1, status="up")
    planned = plan_block(SCHEMA, prior, dict(prior), value(name="a"))
    assert planned == prior


def test_requires_replace_paths_top_level_nested_list_single_and_set() -> None:
    prior = value(
        id="i",
        name="a",
        size=1,
        zone="z1",
        disk=[{"label": "d", "gb": 10, "serial": "s"}],
        tag=[{"key": "k1", "uid": "u1"}],
        opts={"mode": "fast"},
    )
    planned = value(
        id="i",
        name="b",
        size=1,
        zone="z2",
        disk=[{"label": "d", "gb": 20, "serial": "s"}],
        tag=[{"key": "k2", "uid": Unknown}],
        opts={"mode": "slow"},
    )
    paths = requires_replace_paths(SCHEMA, prior, planned)
    assert sorted(paths, key=repr) == sorted(
        [("name",), ("zone",), ("disk", 0, "gb"), ("tag",), ("opts", "mode")], key=repr
    )


def test_requires_replace_if_consults_the_function() -> None:
    prior = value(id="i", name="a", zone=None)
    planned = value(id="i", name="a", zone="z")
    assert requires_replace_paths(SCHEMA, prior, planned) == []


def test_complete_fills_missing_attributes_and_blocks() -> None:
    assert complete(SCHEMA, {"name": "x"}) == value(name="x")
    group = Schema(
        blocks={
            "g": NestedBlock(
                Block(attributes={"a": Attribute(String, optional=True)}), nesting=Nesting.GROUP
            )
        }
    )
    assert complete(group, {}) == {"g": {"a": None}}


def test_honour_plan_keeps_known_planned_values() -> None:
    planned = {"id": Unknown, "name": "Web", "tags": frozenset({"a"}), "l": [Unknown, "b"]}
    returned = {"id": "i-1", "name": "web", "tags": frozenset({"a", "z"}), "l": ["a", "x"]}
    assert honour_plan(planned, returned) == {
        "id": "i-1",
        "name": "Web",
        "tags": frozenset({"a"}),
        "l": ["a", "b"],
    }


# ------------------------------------------------------------------ validators


@pytest.mark.parametrize(
    ("validator", "good", "bad", "message"),
    [
        (one_of("a", "b"), "a", "c", 'must be one of "a", "b", got "c"'),
        (matches(r"[a-z]+", "must be lower case"), "abc", "aBc", 'must be lower case, got "aBc"'),
        (uuid(), "123e4567-e89b-12d3-a456-426614174000", "123", "must be a UUID"),
        (between(1, 5), 5, 6, "must be between 1 and 5, got 6"),
        (size_between(2, 3), ["a", "b"], ["a"], "must have between 2 and 3 elements, got 1"),
    ],
)
def test_value_validators(validator: Any, good: Any, bad: Any, message: str) -> None:
    assert validator(good) is None
    assert message in validator(bad)


def test_each_points_at_elements() -> None:
    v = each(uuid())
    assert list(v.errors(["123e4567-e89b-12d3-a456-426614174000", Unknown, "x"])) == [
        ((2,), 'must be a UUID (8-4-4-4-12 hexadecimal digits), got "x"')
    ]
    assert [p for p, _ in v.errors({"k": "x"})] == [("k",)]
    assert [p for p, _ in v.errors(frozenset({"x"}))] == [()]


def test_resource_level_validators_ignore_unknowns() -> None:
    rule = ExactlyOneOf("a", "b")
    assert rule({"a": 1, "b": None}) == []
    assert rule({"a": Unknown, "b": 1}) == []
    assert [d.path for d in rule({"a": 1, "b": 2})] == [("b",)]
    assert rule({"a": None, "b": None})[0].summary == "Invalid combination of arguments"
    assert AtLeastOneOf("a", "b")({"a": None, "b": None})[0].summary == "Missing required argument"


def test_schema_declarations_are_checked() -> None:
    with pytest.raises(ValueError, match="required"):
        Attribute(String, required=True, computed=True)
    with pytest.raises(ValueError, match="must be required, optional or computed"):
        Attribute(String)
    with pytest.raises(ValueError, match="default"):
        Attribute(String, optional=True, default="x")
    with pytest.raises(TypeError):
        Attribute("string")  # type: ignore[arg-type]


def test_implied_type_of_blocks() -> None:
    t = SCHEMA.implied_type()
    assert t.attributes["disk"] == List(SCHEMA.blocks["disk"].block.implied_type())
    assert t.attributes["tag"] == Set(SCHEMA.blocks["tag"].block.implied_type())
    assert t.attributes["opts"] == SCHEMA.blocks["opts"].block.implied_type()
