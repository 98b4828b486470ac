"""The protocol-independent provider server: every RPC's logic, written once.

The tfplugin5 and tfplugin6 adapters translate protobuf messages to the calls below and back.
Values cross this boundary as wire bytes (`msgpack`, `json`) because decoding needs the
schema, which only the core knows; everything handed to provider code is plain Python.
"""

from __future__ import annotations

import json
import logging
import threading
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import TracebackType
from typing import Any

from provider.plugin import codec
from provider.plugin.context import Context, cancellation_scope
from provider.plugin.diagnostics import Diagnostic, Path, ProviderError, Severity, show_path
from provider.plugin.logging import register_sensitive
from provider.plugin.payload_dump import PayloadDumper, dumped
from provider.plugin.plan import complete, contains_unknown, honour_plan, plan, unknown_paths
from provider.plugin.resource import DataSource, Provider, Resource
from provider.plugin.schema import Block, Schema
from provider.plugin.semantic import keep_prior_spelling, plan_prior_spelling
from provider.plugin.validators import validate_config
from provider.plugin.wire import Wire

__all__ = ["ImportedResource", "ProviderCore", "Result", "Wire"]

log = logging.getLogger("provider.plugin")


@dataclass(frozen=True, slots=True)
class ImportedResource:
    """One object produced by ImportResourceState."""

    type_name: str
    state: bytes
    private: bytes


@dataclass(slots=True)
class Result:
    """What an RPC answers: values as msgpack bytes, plus diagnostics (`imported`: the
    objects ImportResourceState produced)."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    state: bytes | None = None
    private: bytes = b""
    requires_replace: list[Path] = field(default_factory=list)
    imported: list[ImportedResource] = field(default_factory=list)


def _private_in(raw: bytes) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        # Private state written by something else (another SDK): start afresh.
        return {}
    return value if isinstance(value, dict) else {}


def _private_out(private: Mapping[str, Any]) -> bytes:
    return json.dumps(private, separators=(",", ":"), sort_keys=True).encode() if private else b""


class _Guard:
    """The context manager of `ProviderCore._guard` (entered once per RPC: a class, not a
    generator, because that costs a third as much)."""

    __slots__ = ("ctx", "result", "scope", "what")

    def __init__(
        self, result: Result, ctx: Context | None, cancelled: threading.Event, what: str
    ) -> None:
        self.result = result
        self.ctx = ctx
        self.scope = cancellation_scope(cancelled)
        self.what = what

    def __enter__(self) -> None:
        self.scope.__enter__()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        self.scope.__exit__(exc_type, exc, tb)
        result, ctx, what = self.result, self.ctx, self.what
        handled = exc is None
        try:
            if isinstance(exc, ProviderError):
                result.diagnostics.append(exc.to_diagnostic())
                handled = True
            elif isinstance(exc, codec.CodecError):
                log.error("%s: value does not match the schema: %s", what, exc)
                result.diagnostics.append(
                    Diagnostic(
                        Severity.ERROR,
                        f"Invalid value in {what}",
                        f"A value does not match the schema: {exc}. This is a bug in the provider.",
                    )
                )
                handled = True
            elif isinstance(exc, Exception):
                log.error(
                    "unexpected error in %s: %s\n%s",
                    what,
                    exc,
                    "".join(traceback.format_exception(exc_type, exc, tb)).rstrip(),
                )
                result.diagnostics.append(
                    Diagnostic(
                        Severity.ERROR,
                        f"Unexpected error in {what}",
                        f"{type(exc).__name__}: {exc}\n\nThis is a bug in the provider; the "
                        "provider log (TF_LOG=ERROR) has the details.",
                    )
                )
                handled = True
        finally:
            if ctx is not None:
                result.diagnostics[:0] = ctx.diagnostics
                ctx.diagnostics = []
        return handled


class _NotConfigured:
    """The client until ConfigureProvider succeeds: any use of it is a clear diagnostic.

    Terraform always configures a provider before it reads or changes anything, so this is
    met by other callers (a test harness, a fuzzer, a reattached debug session) or after a
    failed configuration. Resource code needs no check of its own.
    """

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # copy, pickle and hasattr probes stay ordinary misses
            raise AttributeError(name)
        raise ProviderError(
            "Provider not configured",
            "This operation needs the provider's configuration, but ConfigureProvider has not "
            "succeeded in this provider process. Terraform configures a provider before it "
            "reads or changes resources; look for an earlier error about the provider block.",
        )

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "<provider not configured>"


class ProviderCore:
    """Serves one provider instance: schemas, validation, plan/apply rules, lifecycle."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider
        self.resources: dict[str, type[Resource]] = {r.type_name: r for r in provider.resources}
        self.data_sources: dict[str, type[DataSource]] = {
            d.type_name: d for d in provider.data_sources
        }
        self.client: Any = _NotConfigured()
        self.configured = False
        self.terraform_version = ""
        self.cancelled = threading.Event()
        self.log = logging.getLogger(f"provider.{provider.type_name}")
        self.dumper = PayloadDumper.from_env()

    # ------------------------------------------------------------------ plumbing

    def _context(self, private: dict[str, Any] | None = None) -> Context:
        return Context(
            cancelled=self.cancelled,
            log=self.log,
            terraform_version=self.terraform_version,
            private=private,
        )

    def _guard(self, result: Result, ctx: Context | None, what: str) -> _Guard:
        """Turn every failure in provider code into diagnostics on `result`, and make the
        RPC's cancellation event `current_cancellation()` for the code it runs."""
        return _Guard(result, ctx, ctx.cancelled if ctx is not None else self.cancelled, what)

    def _resource(self, type_name: str) -> type[Resource]:
        cls = self.resources.get(type_name)
        if cls is None:
            raise ProviderError(f"Unknown resource type {type_name!r}")
        return cls

    def _data_source(self, type_name: str) -> type[DataSource]:
        cls = self.data_sources.get(type_name)
        if cls is None:
            raise ProviderError(f"Unknown data source type {type_name!r}")
        return cls

    @staticmethod
    def _decode(wire: Wire, schema: Schema) -> Any:
        return codec.decode(wire.msgpack, wire.json, schema.implied_type())

    @staticmethod
    def _encode(value: Any, schema: Schema) -> bytes:
        return codec.encode_msgpack(value, schema.implied_type())

    def schema_for(self, type_name: str) -> Schema:
        """The schema of a resource or data source type; the provider's for ""."""
        cls: Any = self.resources.get(type_name) or self.data_sources.get(type_name)
        return cls.schema if cls is not None and type_name else self.provider.schema

    # ------------------------------------------------------------------ schema

    def schemas(self) -> tuple[Schema, dict[str, Schema], dict[str, Schema]]:
        """The provider schema and the schemas of every resource and data source type."""
        return (
            self.provider.schema,
            {n: c.schema for n, c in self.resources.items()},
            {n: c.schema for n, c in self.data_sources.items()},
        )

    # ------------------------------------------------------------------ validation

    def _validate(
        self, schema: Schema, config: Any, ctx: Context, hook: Callable[[Any, Context], None]
    ) -> None:
        if not isinstance(config, dict):
            return
        ctx.diagnostics.extend(validate_config(schema, config))
        hook(config, ctx)

    @dumped("ValidateProviderConfig")
    def validate_provider_config(self, config: Wire) -> Result:
        """ValidateProviderConfig / PrepareProviderConfig."""
        result, ctx = Result(), self._context()
        with self._guard(result, ctx, "provider configuration validation"):
            value = self._decode(config, self.provider.schema)
            self._validate(self.provider.schema, value, ctx, self.provider.validate_config)
        return result

    @dumped("ValidateResourceConfig")
    def validate_resource_config(self, type_name: str, config: Wire) -> Result:
        """ValidateResourceConfig / ValidateResourceTypeConfig."""
        result, ctx = Result(), self._context()
        with self._guard(result, ctx, f"{type_name}.validate"):
            cls = self._resource(type_name)
            value = self._decode(config, cls.schema)
            self._validate(cls.schema, value, ctx, cls(self.client).validate)
        return result

    @dumped("ValidateDataResourceConfig")
    def validate_data_source_config(self, type_name: str, config: Wire) -> Result:
        """ValidateDataResourceConfig / ValidateDataSourceConfig."""
        result, ctx = Result(), self._context()
        with self._guard(result, ctx, f"{type_name}.validate"):
            cls = self._data_source(type_name)
            value = self._decode(config, cls.schema)
            self._validate(cls.schema, value, ctx, cls(self.client).validate)
        return result

    # ------------------------------------------------------------------ configure

    @dumped("ConfigureProvider")
    def configure(self, config: Wire, terraform_version: str) -> Result:
        """ConfigureProvider / Configure: build the client resources will use."""
        self.terraform_version = terraform_version
        result, ctx = Result(), self._context()
        with self._guard(result, ctx, "provider configuration"):
            value = self._decode(config, self.provider.schema)
            register_sensitive(self.provider.schema, value)
            client = self.provider.configure(value, ctx)
            if not ctx.has_errors:
                self.client = client
                self.configured = True
        return result

    # ------------------------------------------------------------------ resources

    @dumped("UpgradeResourceState")
    def upgrade_resource_state(
        self, type_name: str, version: int, raw_json: bytes, flatmap: Mapping[str, str]
    ) -> Result:
        """UpgradeResourceState: raw stored state into the current schema's shape."""
        result, ctx = Result(), self._context()
        with self._guard(result, ctx, f"{type_name}.upgrade_state"):
            cls = self._resource(type_name)
            schema = cls.schema
            if version > schema.version:
                raise ProviderError(
                    f"State of {type_name} is from a newer provider",
                    f"The state was written with schema version {version}; this provider "
                    f"knows versions up to {schema.version}. Upgrade the provider.",
                )
            if raw_json:
                if version == schema.version:
                    state = codec.decode_json(raw_json, schema.implied_type())
                else:
                    try:
                        raw = _normalise_json(json.loads(raw_json, parse_float=Decimal))
                    except (ValueError, ArithmeticError, RecursionError) as exc:
                        raise ProviderError(
                            f"Stored state of {type_name} cannot be read",
                            f"The state (schema version {version}) is not valid JSON: {exc}",
                        ) from None
                    state = cls(self.client).upgrade_state(version, raw, ctx)
            elif flatmap:
                state = codec.decode_flatmap(flatmap, schema.implied_type())
                if version < schema.version:
                    state = cls(self.client).upgrade_state(version, state, ctx)
            else:
                state = None
            state = _drop_unknown_keys(schema, complete(schema, state))
            state = codec.coerce(state, schema.implied_type())
            if state is not None:
                self._require_known(state, type_name, "upgrade_state")
            result.state = self._encode(state, schema)
        return result

    @dumped("ReadResource")
    def read_resource(self, type_name: str, current: Wire, private: bytes) -> Result:
        """ReadResource: refresh a state; None from resource code means the object is gone."""
        result, ctx = Result(), self._context(_private_in(private))
        result.private = private
        with self._guard(result, ctx, f"{type_name}.read"):
            cls = self._resource(type_name)
            state = self._decode(current, cls.schema)
            if state is None:
                result.state = self._encode(None, cls.schema)
                return result
            new = cls(self.client).read(state, ctx)
            if new is not None:
                new = complete(cls.schema, {**state, **new})
                # The API may spell a value differently (an id in lower case): what the
                # schema's types call equal keeps the spelling already in state.
                new = keep_prior_spelling(cls.schema, state, new)
                self._require_known(new, type_name, "read")
            result.state = self._encode(new, cls.schema)
            result.private = _private_out(ctx.private)
        return result

    @dumped("PlanResourceChange")
    def plan_resource_change(
        self,
        type_name: str,
        prior: Wire,
        proposed: Wire,
        config: Wire,
        prior_private: bytes,
    ) -> Result:
        """PlanResourceChange: apply the schema's plan rules, then the resource's hook."""
        result, ctx = Result(), self._context(_private_in(prior_private))
        result.private = prior_private
        with self._guard(result, ctx, f"{type_name}.plan"):
            cls = self._resource(type_name)
            schema = cls.schema
            prior_v = self._decode(prior, schema)
            proposed_v = self._decode(proposed, schema)
            config_v = self._decode(config, schema)
            if proposed_v is None:
                result.state = self._encode(None, schema)
                return result
            # A configured value equal to the prior one under its type's semantics is planned
            # as the prior value, which Terraform accepts in place of the configured one.
            proposed_v = plan_prior_spelling(schema, prior_v, proposed_v)
            planning = plan(schema, prior_v, proposed_v, config_v)
            ctx.diagnostics.extend(planning.diagnostics)
            if ctx.has_errors:
                return result
            # As in the Go framework, the attributes' plan modifiers have decided what
            # replaces the resource before the resource's own hook sees the plan.
            result.requires_replace = planning.requires_replace
            modified = cls(self.client).modify_plan(prior_v, planning.planned, config_v, ctx)
            result.state = self._encode(complete(schema, modified), schema)
        return result

    @dumped("ApplyResourceChange")
    def apply_resource_change(
        self,
        type_name: str,
        prior: Wire,
        planned: Wire,
        planned_private: bytes,
    ) -> Result:
        """ApplyResourceChange: create, update or delete (the plan already holds what the
        configuration says, so the configuration itself is not needed)."""
        result, ctx = Result(), self._context(_private_in(planned_private))
        result.private = planned_private
        with self._guard(result, ctx, f"{type_name}.apply"):
            cls = self._resource(type_name)
            schema = cls.schema
            prior_v = self._decode(prior, schema)
            planned_v = self._decode(planned, schema)
            # Until the operation succeeds, the object is as it was.
            result.state = self._encode(prior_v, schema)
            resource = cls(self.client)
            if planned_v is None:
                if prior_v is not None:
                    resource.delete(prior_v, ctx)
                if ctx.has_errors:
                    return result
                result.state = self._encode(None, schema)
                result.private = b""
                return result
            if prior_v is None:
                returned = resource.create(planned_v, ctx)
                operation = "create"
            else:
                returned = resource.update(prior_v, planned_v, ctx)
                operation = "update"
            if returned is None:
                if ctx.has_errors:
                    return result
                raise ProviderError(
                    f"{type_name}.{operation} returned no state",
                    "This is a bug in the provider.",
                )
            returned = keep_prior_spelling(schema, prior_v, complete(schema, returned))
            new = honour_plan(planned_v, returned)
            self._require_known(new, type_name, operation)
            result.state = self._encode(new, schema)
            result.private = _private_out(ctx.private)
        return result

    @dumped("ImportResourceState")
    def import_resource_state(self, type_name: str, import_id: str) -> Result:
        """ImportResourceState: a partial state that Terraform completes with ReadResource
        (in `Result.imported`)."""
        result, ctx = Result(), self._context()
        with self._guard(result, ctx, f"{type_name}.import"):
            cls = self._resource(type_name)
            state = complete(cls.schema, cls(self.client).import_state(import_id, ctx))
            if not ctx.has_errors:
                result.imported.append(
                    ImportedResource(
                        type_name, self._encode(state, cls.schema), _private_out(ctx.private)
                    )
                )
        return result

    @dumped("ReadDataSource")
    def read_data_source(self, type_name: str, config: Wire) -> Result:
        """ReadDataSource."""
        result, ctx = Result(), self._context()
        with self._guard(result, ctx, f"{type_name}.read"):
            cls = self._data_source(type_name)
            config_v = self._decode(config, cls.schema)
            read = cls(self.client).read(config_v, ctx)
            if read is None:
                if ctx.has_errors:
                    return result
                raise ProviderError(f"{type_name}.read returned no state")
            state = complete(cls.schema, {**config_v, **read})
            # Configured values come back as configured when the type calls them equal.
            state = keep_prior_spelling(cls.schema, config_v, state)
            self._require_known(state, type_name, "read")
            result.state = self._encode(state, cls.schema)
        return result

    def stop(self) -> None:
        """StopProvider / Stop: cancel in-flight work; the process keeps serving."""
        log.info("Terraform asked the provider to stop; cancelling in-flight operations")
        self.cancelled.set()

    def _require_known(self, value: Any, type_name: str, operation: str) -> None:
        # The paths are collected only for the error: a yes/no walk is cheaper than the
        # generator on every state that is (as it should be) fully known.
        if not contains_unknown(value):
            return
        paths = list(unknown_paths(value))
        if paths:
            raise ProviderError(
                f"{type_name}.{operation} left values unknown",
                "After this operation every value must be known; unknown at: "
                + ", ".join(show_path(p) for p in paths)
                + ". This is a bug in the provider.",
                paths[0],
            )


# ---------------------------------------------------------------------- stored state


def _normalise_json(value: Any) -> Any:
    """Plain JSON values with numbers as int/float (floats parsed by json are exact here)."""
    if isinstance(value, dict):
        return {k: _normalise_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise_json(v) for v in value]
    if isinstance(value, Decimal):
        return codec.normalise_number(value)
    return value


def _drop_unknown_keys(block: Block, value: Any) -> Any:
    """Forget attributes the current schema no longer has (old state may carry them)."""
    if not isinstance(value, Mapping):
        return value
    keep = block.attributes.keys() | block.blocks.keys()
    return {k: v for k, v in value.items() if k in keep}
