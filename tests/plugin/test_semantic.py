"""Semantic equality: `UUID` values equal but for letter case keep the prior spelling in plan,
apply, read and data source reads (through `ProviderCore`, as Terraform calls it)."""

from __future__ import annotations

from typing import Any, ClassVar

from provider.plugin import (
    UUID,
    Attribute,
    Context,
    DataSource,
    List,
    Provider,
    Resource,
    Schema,
    Set,
    String,
    Unknown,
    UseStateForUnknown,
    semantically_equal,
    uuid,
)
from provider.plugin.codec import decode_msgpack, encode_msgpack
from provider.plugin.core import ProviderCore
from provider.plugin.semantic import keep_prior_spelling, plan_prior_spelling
from provider.plugin.types import wire_type
from provider.plugin.wire import Wire

A = "a1000000-0000-4000-8000-00000000000a"
B = "b1000000-0000-4000-8000-00000000000b"
C = "c1000000-0000-4000-8000-00000000000c"


class Thing(Resource):
    type_name: ClassVar[str] = "t_thing"
    schema: ClassVar[Schema] = Schema(
        attributes={
            "id": Attribute(UUID, computed=True, plan=[UseStateForUnknown()]),
            "ref": Attribute(UUID, required=True, validate=[uuid()]),
            "refs": Attribute(Set(UUID), optional=True, computed=True),
            "note": Attribute(String, optional=True),
        }
    )

    def create(self, planned: dict[str, Any], ctx: Context) -> dict[str, Any]:
        # An API answers in lower case.
        refs = planned["refs"]
        return {
            "id": A,
            "ref": planned["ref"].lower(),
            "refs": frozenset(r.lower() for r in refs) if refs not in (None, Unknown) else {B, C},
        }

    def read(self, state: dict[str, Any], ctx: Context) -> dict[str, Any] | None:
        return {**state, "ref": state["ref"].lower(), "refs": {r.lower() for r in state["refs"]}}

    def update(self, prior: dict[str, Any], planned: dict[str, Any], ctx: Context) -> dict:
        return self.create(planned, ctx)


class Lookup(DataSource):
    type_name: ClassVar[str] = "t_lookup"
    schema: ClassVar[Schema] = Schema(
        attributes={
            "id": Attribute(UUID, required=True),
            "ids": Attribute(List(UUID), computed=True),
        }
    )

    def read(self, config: dict[str, Any], ctx: Context) -> dict[str, Any]:
        return {"id": config["id"].lower(), "ids": [config["id"].lower(), B]}


class P(Provider):
    type_name: ClassVar[str] = "t"
    schema: ClassVar[Schema] = Schema()
    resources = [Thing]
    data_sources = [Lookup]

    def configure(self, config: dict[str, Any], ctx: Context) -> Any:
        return object()


T = Thing.schema.implied_type()


def w(value: Any, schema: Schema = Thing.schema) -> Wire:
    return Wire(msgpack=encode_msgpack(value, schema.implied_type()))


def d(raw: bytes | None, schema: Schema = Thing.schema) -> Any:
    return decode_msgpack(raw, schema.implied_type())


def state(**values: Any) -> dict[str, Any]:
    return {"id": A, "ref": A.upper(), "refs": frozenset({B.upper(), C}), "note": None} | values


def core() -> ProviderCore:
    c = ProviderCore(P())
    c.configure(w({}, P.schema), "1.11.4")
    return c


def test_the_type_is_a_string_on_the_wire() -> None:
    assert UUID.to_json() == "string"
    assert wire_type(Set(UUID)) == Set(String)
    assert Thing.schema.implied_type().attributes["refs"] == Set(String)


def test_semantically_equal_rules() -> None:
    assert semantically_equal(UUID, A, A.upper())
    assert not semantically_equal(UUID, A, B)
    assert semantically_equal(Set(UUID), frozenset({A.upper(), B}), frozenset({A, B.upper()}))
    assert not semantically_equal(Set(UUID), frozenset({A}), frozenset({A, B}))
    assert semantically_equal(List(UUID), [A, B], [A.upper(), B])
    assert not semantically_equal(List(UUID), [A, B], [B, A])
    # unknowns and nulls are equal only to themselves
    assert not semantically_equal(UUID, Unknown, A)
    assert not semantically_equal(UUID, None, A)
    assert semantically_equal(UUID, None, None)
    assert not semantically_equal(Set(UUID), frozenset({A}), frozenset({Unknown}))


def test_plan_keeps_prior_spelling_when_only_case_changed() -> None:
    prior = state()
    proposed = state(ref=A, refs=frozenset({B, C.upper()}))
    r = core().plan_resource_change("t_thing", w(prior), w(proposed), w(proposed), b"")
    assert not r.diagnostics
    assert d(r.state) == prior  # no diff: the prior value is planned
    assert r.requires_replace == []


def test_plan_with_a_real_change_keeps_the_configured_set() -> None:
    prior = state()
    proposed = state(refs=frozenset({B, C, A}))
    assert plan_prior_spelling(Thing.schema, prior, proposed)["refs"] == frozenset({B, C, A})


def test_plan_leaves_unknowns_alone() -> None:
    prior = state()
    proposed = state(ref=Unknown, refs=Unknown)
    planned = plan_prior_spelling(Thing.schema, prior, proposed)
    assert planned["ref"] is Unknown and planned["refs"] is Unknown


def test_apply_keeps_prior_spelling_for_values_the_plan_left_unknown() -> None:
    prior = state()
    planned = state(refs=Unknown, note="x")
    r = core().apply_resource_change("t_thing", w(prior), w(planned), b"")
    assert not r.diagnostics
    new = d(r.state)
    assert new["refs"] == frozenset({B.upper(), C})  # elements keep the prior spelling
    assert new["ref"] == A.upper()  # a known planned value wins


def test_create_keeps_the_configured_spelling() -> None:
    planned = {"id": Unknown, "ref": A.upper(), "refs": frozenset({B.upper()}), "note": None}
    r = core().apply_resource_change("t_thing", w(None), w(planned), b"")
    assert not r.diagnostics
    assert d(r.state) == {"id": A, "ref": A.upper(), "refs": frozenset({B.upper()}), "note": None}


def test_read_keeps_prior_spelling_in_sets_with_mixed_case() -> None:
    prior = state(refs=frozenset({B.upper(), C}))
    r = core().read_resource("t_thing", w(prior), b"")
    assert not r.diagnostics
    assert d(r.state) == prior


def test_read_keeps_new_elements_as_returned() -> None:
    prior = state(refs=frozenset({B.upper()}))
    new = keep_prior_spelling(Thing.schema, prior, {**prior, "refs": frozenset({B, C})})
    assert new["refs"] == frozenset({B.upper(), C})


def test_data_source_keeps_the_configured_spelling() -> None:
    r = core().read_data_source("t_lookup", w({"id": A.upper(), "ids": None}, Lookup.schema))
    assert not r.diagnostics
    assert d(r.state, Lookup.schema) == {"id": A.upper(), "ids": [A, B]}


def test_validators_still_run_on_uuid_typed_attributes() -> None:
    bad = state(ref="not-a-uuid")
    r = core().validate_resource_config("t_thing", w(bad))
    assert [x.summary for x in r.diagnostics] == ["Invalid attribute value"]
