"""Shared protobuf translation for the tfplugin5 and tfplugin6 adapters.

The two protocol versions use the same message shapes for everything this SDK serves (only
some RPC names differ), so each adapter is this class bound to its generated module plus a
table of method names. RPCs that only newer Terraform sends, and that this SDK does not
implement, answer UNIMPLEMENTED rather than crash.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from concurrent.futures import Future
from types import ModuleType
from typing import TYPE_CHECKING, Any

import grpc

from provider.plugin.diagnostics import Diagnostic, Key, Path
from provider.plugin.wire import Wire

if TYPE_CHECKING:
    from provider.plugin.core import ProviderCore, Result
    from provider.plugin.schema import Block, Schema

__all__ = ["ProviderServicer"]

log = logging.getLogger("provider.plugin")

_MARKDOWN = 1  # StringKind.MARKDOWN, the same number in both protocol versions


def wire(dv: Any) -> Wire:
    """A DynamicValue message as the core's `Wire`."""
    return Wire(dv.msgpack, dv.json)


def attribute_path(pb: ModuleType, path: Path) -> Any:
    """An AttributePath message for a path of names (str), indexes (int) and keys (`Key`)."""
    steps = []
    for step in path:
        if isinstance(step, Key):
            steps.append(pb.AttributePath.Step(element_key_string=step))
        elif isinstance(step, int):
            steps.append(pb.AttributePath.Step(element_key_int=step))
        else:
            steps.append(pb.AttributePath.Step(attribute_name=step))
    return pb.AttributePath(steps=steps)


def diagnostics(pb: ModuleType, diags: Iterable[Diagnostic]) -> list[Any]:
    """Diagnostic messages."""
    out = []
    for d in diags:
        msg = pb.Diagnostic(severity=int(d.severity), summary=d.summary, detail=d.detail)
        if d.path:
            msg.attribute.CopyFrom(attribute_path(pb, d.path))
        out.append(msg)
    return out


def block(pb: ModuleType, b: Block, version: int = 0) -> Any:
    """A Schema.Block message."""
    return pb.Schema.Block(
        version=version,
        attributes=[
            pb.Schema.Attribute(
                name=name,
                type=a.type.json_bytes(),
                description=a.description,
                description_kind=_MARKDOWN,
                required=a.required,
                optional=a.optional,
                computed=a.computed,
                sensitive=a.sensitive,
                deprecated=a.deprecated,
            )
            for name, a in sorted(b.attributes.items())
        ],
        block_types=[
            pb.Schema.NestedBlock(
                type_name=name,
                block=block(pb, nb.block),
                nesting=int(nb.nesting),
                min_items=nb.min_items,
                max_items=nb.max_items,
            )
            for name, nb in sorted(b.blocks.items())
        ],
        description=b.description,
        description_kind=_MARKDOWN,
        deprecated=b.deprecated,
    )


def schema(pb: ModuleType, s: Schema) -> Any:
    """A Schema message."""
    return pb.Schema(version=s.version, block=block(pb, s, s.version))


class ProviderServicer:
    """The RPC handlers shared by both protocol versions (bound to one generated module)."""

    pb: ModuleType

    def __init__(self, core: ProviderCore | Future[ProviderCore]) -> None:
        # A Future lets the server answer the handshake while the provider's own modules
        # are still importing; the first RPC waits for them.
        self._core = core

    @property
    def core(self) -> ProviderCore:
        """The provider core (waiting for it to finish loading if need be)."""
        if isinstance(self._core, Future):
            self._core = self._core.result()
        return self._core

    # --- helpers

    def _dyn(self, data: bytes | None) -> Any:
        return self.pb.DynamicValue(msgpack=data) if data is not None else None

    def _diags(self, diags: Iterable[Diagnostic]) -> list[Any]:
        return diagnostics(self.pb, diags)

    # --- schema and metadata

    def _schema_response(self, response_type: Any) -> Any:
        provider, resources, data_sources = self.core.schemas()
        pb = self.pb
        return response_type(
            provider=schema(pb, provider),
            resource_schemas={n: schema(pb, s) for n, s in resources.items()},
            data_source_schemas={n: schema(pb, s) for n, s in data_sources.items()},
            provider_meta=pb.Schema(block=pb.Schema.Block()),
            server_capabilities=pb.ServerCapabilities(),
        )

    def GetMetadata(self, request: Any, context: Any) -> Any:
        """Which types exist, without their schemas (Terraform >= 1.6)."""
        pb = self.pb
        _, resources, data_sources = self.core.schemas()
        return pb.GetMetadata.Response(
            server_capabilities=pb.ServerCapabilities(),
            resources=[pb.GetMetadata.ResourceMetadata(type_name=n) for n in resources],
            data_sources=[pb.GetMetadata.DataSourceMetadata(type_name=n) for n in data_sources],
        )

    def GetResourceIdentitySchemas(self, request: Any, context: Any) -> Any:
        """No resource identities (Terraform >= 1.12 asks)."""
        return self.pb.GetResourceIdentitySchemas.Response()

    def GetFunctions(self, request: Any, context: Any) -> Any:
        """No provider functions (Terraform >= 1.8 may ask)."""
        return self.pb.GetFunctions.Response()

    # --- resources and data sources (same names in both versions)

    def UpgradeResourceState(self, request: Any, context: Any) -> Any:
        """Raw stored state into the current schema."""
        r = self.core.upgrade_resource_state(
            request.type_name,
            request.version,
            request.raw_state.json,
            dict(request.raw_state.flatmap),
        )
        return self.pb.UpgradeResourceState.Response(
            upgraded_state=self._dyn(r.state), diagnostics=self._diags(r.diagnostics)
        )

    def ReadResource(self, request: Any, context: Any) -> Any:
        """Refresh one resource instance."""
        r = self.core.read_resource(request.type_name, wire(request.current_state), request.private)
        return self.pb.ReadResource.Response(
            new_state=self._dyn(r.state),
            private=r.private,
            diagnostics=self._diags(r.diagnostics),
        )

    def PlanResourceChange(self, request: Any, context: Any) -> Any:
        """Plan one resource instance's change."""
        r = self.core.plan_resource_change(
            request.type_name,
            wire(request.prior_state),
            wire(request.proposed_new_state),
            wire(request.config),
            request.prior_private,
        )
        return self.pb.PlanResourceChange.Response(
            planned_state=self._dyn(r.state),
            requires_replace=[attribute_path(self.pb, p) for p in r.requires_replace],
            planned_private=r.private,
            diagnostics=self._diags(r.diagnostics),
        )

    def ApplyResourceChange(self, request: Any, context: Any) -> Any:
        """Create, update or delete one resource instance."""
        r = self.core.apply_resource_change(
            request.type_name,
            wire(request.prior_state),
            wire(request.planned_state),
            request.planned_private,
        )
        return self.pb.ApplyResourceChange.Response(
            new_state=self._dyn(r.state),
            private=r.private,
            diagnostics=self._diags(r.diagnostics),
        )

    def ImportResourceState(self, request: Any, context: Any) -> Any:
        """Start an import; Terraform reads the imported objects next."""
        r = self.core.import_resource_state(request.type_name, request.id)
        pb = self.pb
        return pb.ImportResourceState.Response(
            imported_resources=[
                pb.ImportResourceState.ImportedResource(
                    type_name=i.type_name, state=self._dyn(i.state), private=i.private
                )
                for i in r.imported
            ],
            diagnostics=self._diags(r.diagnostics),
        )

    def ReadDataSource(self, request: Any, context: Any) -> Any:
        """Read a data source."""
        r = self.core.read_data_source(request.type_name, wire(request.config))
        return self.pb.ReadDataSource.Response(
            state=self._dyn(r.state), diagnostics=self._diags(r.diagnostics)
        )

    # --- shared bodies of RPCs whose names differ between versions

    def _validate_provider(self, request: Any) -> Result:
        return self.core.validate_provider_config(wire(request.config))

    def _validate_resource(self, request: Any) -> Result:
        return self.core.validate_resource_config(request.type_name, wire(request.config))

    def _validate_data_source(self, request: Any) -> Result:
        return self.core.validate_data_source_config(request.type_name, wire(request.config))

    def _configure(self, request: Any) -> Result:
        return self.core.configure(wire(request.config), request.terraform_version)

    def _stop(self) -> str:
        self.core.stop()
        return ""


def _unimplemented(name: str, streaming: bool) -> Any:
    message = f"{name} is not supported by this provider"

    if streaming:

        def stream_handler(self: Any, request: Any, context: Any) -> Any:
            context.abort(grpc.StatusCode.UNIMPLEMENTED, message)
            yield  # pragma: no cover - abort raises

        return stream_handler

    def handler(self: Any, request: Any, context: Any) -> Any:
        context.abort(grpc.StatusCode.UNIMPLEMENTED, message)

    return handler


def fill_unimplemented(cls: type, pb: ModuleType, service: str = "Provider") -> type:
    """Give `cls` a clean UNIMPLEMENTED handler for every RPC of `service` it lacks."""
    for method in pb.DESCRIPTOR.services_by_name[service].methods:
        if not hasattr(cls, method.name):
            setattr(cls, method.name, _unimplemented(method.name, method.server_streaming))
    return cls


class _HandlerCollector:
    """Stands in for a grpc.Server to capture what a generated `add_*_to_server` registers."""

    def __init__(self) -> None:
        self.handlers: tuple[Any, ...] = ()

    def add_generic_rpc_handlers(self, handlers: tuple[Any, ...]) -> None:
        self.handlers += tuple(handlers)

    def add_registered_method_handlers(self, service: str, handlers: Any) -> None:
        pass  # an optimisation for servers that register before start; the generic one suffices


def generic_handler(add_to_server: Any, servicer: Any) -> Any:
    """The generic RPC handler that the generated `add_to_server` would register for `servicer`."""
    collector = _HandlerCollector()
    add_to_server(servicer, collector)
    [handler] = collector.handlers
    return handler
