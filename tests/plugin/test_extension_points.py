"""A provider's own plan modifiers and validators, written outside the SDK against its public
classes, run by `ProviderCore` exactly as the built-ins are (in the order the schema lists)."""

from __future__ import annotations

from typing import Any, ClassVar

from provider.plugin import (
    Attribute,
    Context,
    Diagnostic,
    Number,
    PlanModifier,
    PlanRequest,
    PlanResponse,
    Provider,
    RequiresReplace,
    Resource,
    Schema,
    Severity,
    String,
    Unknown,
    UseStateForUnknown,
    ValidationRequest,
    ValidationResponse,
    ValueValidator,
)
from provider.plugin.codec import decode_msgpack, encode_msgpack
from provider.plugin.core import ProviderCore
from provider.plugin.wire import Wire

# ------------------------------------------------------------------ the provider's own rules


class SlugOf(PlanModifier):
    """Plan a computed slug from a sibling's configured value instead of leaving it unknown."""

    description = "Derived from the name."

    def __init__(self, source: str) -> None:
        self.source = source

    def modify(self, request: PlanRequest) -> PlanResponse:
        name = (request.planned_object or {}).get(self.source)
        if request.planned is Unknown and isinstance(name, str):
            return PlanResponse(name.lower().replace(" ", "-"))
        return PlanResponse(request.planned)


class ReplaceOnShrink(PlanModifier):
    """Growing is done in place; shrinking needs a new object (and says so)."""

    description = "Shrinking replaces the disk."

    def modify(self, request: PlanRequest) -> PlanResponse:
        shrinks = (
            not request.creating
            and isinstance(request.prior, int)
            and isinstance(request.planned, int)
            and request.planned < request.prior
        )
        response = PlanResponse(request.planned, requires_replace=shrinks)
        if shrinks:
            response.diagnostics.append(
                Diagnostic(Severity.WARNING, "Disk shrinks", "Its data is lost.", request.path)
            )
        return response


class Even(ValueValidator):
    """The simplest form: override `check`."""

    description = "an even number"

    def check(self, value: Any) -> str | None:
        return None if value % 2 == 0 else f"must be even, got {value}"


class NotReservedName(ValueValidator):
    """The full form: override `validate` (here: a warning, and a look at a sibling)."""

    description = "not a reserved name"

    def validate(self, request: ValidationRequest) -> ValidationResponse:
        response = ValidationResponse()
        if request.value == "admin":
            response.error('"admin" is reserved')
        elif request.value.startswith("tmp") and request.config.get("size") is not None:
            response.diagnostics.append(
                Diagnostic(
                    Severity.WARNING, "Temporary disk", "Sized tmp disks are odd.", request.path
                )
            )
        return response


class Disk(Resource):
    type_name: ClassVar[str] = "x_disk"
    schema: ClassVar[Schema] = Schema(
        attributes={
            "id": Attribute(String, computed=True, plan=[UseStateForUnknown()]),
            "name": Attribute(String, required=True, validate=[NotReservedName()]),
            "slug": Attribute(String, computed=True, plan=[SlugOf("name")]),
            "size": Attribute(Number, optional=True, validate=[Even()], plan=[ReplaceOnShrink()]),
            "zone": Attribute(String, optional=True, plan=[RequiresReplace()]),
        }
    )

    def create(self, planned: dict[str, Any], ctx: Context) -> dict[str, Any]:
        return {**planned, "id": "d-1"}

    def read(self, state: dict[str, Any], ctx: Context) -> dict[str, Any] | None:
        return state


class X(Provider):
    type_name: ClassVar[str] = "x"
    schema: ClassVar[Schema] = Schema()
    resources = [Disk]
    data_sources: ClassVar[list] = []


def w(value: Any) -> Wire:
    return Wire(msgpack=encode_msgpack(value, Disk.schema.implied_type()))


def d(raw: bytes | None) -> Any:
    return decode_msgpack(raw, Disk.schema.implied_type())


def core() -> ProviderCore:
    c = ProviderCore(X())
    c.configure(Wire(msgpack=encode_msgpack({}, X.schema.implied_type())), "1.11.4")
    return c


def disk(**kw: Any) -> dict[str, Any]:
    return {"id": None, "name": "Data Disk", "slug": None, "size": None, "zone": None, **kw}


# ------------------------------------------------------------------ the SDK runs them


def test_custom_validators_run_with_the_attribute_path() -> None:
    r = core().validate_resource_config("x_disk", w(disk(name="admin", size=3)))
    assert [(x.summary, x.path) for x in r.diagnostics] == [
        ("Invalid attribute value", ("name",)),
        ("Invalid attribute value", ("size",)),
    ]
    assert r.diagnostics[0].detail == '`name` "admin" is reserved'
    assert r.diagnostics[1].detail == "`size` must be even, got 3"
    r = core().validate_resource_config("x_disk", w(disk(name="tmp1", size=4)))
    assert [(x.severity, x.summary) for x in r.diagnostics] == [
        (Severity.WARNING, "Temporary disk")
    ]
    # Unknown values wait for apply: a validator never sees them.
    assert core().validate_resource_config("x_disk", w(disk(size=Unknown))).diagnostics == []


def test_custom_plan_modifier_plans_a_value() -> None:
    config = disk()
    r = core().plan_resource_change("x_disk", w(None), w(config), w(config), b"")
    assert r.diagnostics == []
    planned = d(r.state)
    assert planned["slug"] == "data-disk" and planned["id"] is Unknown


def test_custom_plan_modifier_asks_for_replacement_in_schema_order() -> None:
    prior = disk(id="d-1", slug="data-disk", size=8, zone="a")
    config = disk(size=4, zone="b")
    proposed = dict(prior, size=4, zone="b")
    r = core().plan_resource_change("x_disk", w(prior), w(proposed), w(config), b"")
    assert sorted(r.requires_replace) == [("size",), ("zone",)]
    assert [(x.severity, x.summary, x.path) for x in r.diagnostics] == [
        (Severity.WARNING, "Disk shrinks", ("size",))
    ]
    planned = d(r.state)
    assert planned["id"] == "d-1"  # the built-in UseStateForUnknown, as an ordinary modifier
    # Growing is an in-place update.
    r = core().plan_resource_change(
        "x_disk", w(prior), w(dict(prior, size=16)), w(disk(size=16, zone="a")), b""
    )
    assert r.requires_replace == []
