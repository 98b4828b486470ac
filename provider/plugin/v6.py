"""The tfplugin6 adapter: protocol 6 RPC names onto the shared handlers."""

from __future__ import annotations

from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

import grpc

from provider.plugin.proto import tfplugin6_pb2 as pb
from provider.plugin.proto import tfplugin6_pb2_grpc as pb_grpc
from provider.plugin.protocol import ProviderServicer, fill_unimplemented, generic_handler

if TYPE_CHECKING:
    from provider.plugin.core import ProviderCore

__all__ = ["PROTOCOL_VERSION", "ProviderV6", "handler"]

PROTOCOL_VERSION = 6


class ProviderV6(ProviderServicer):
    """`tfplugin6.Provider`."""

    pb = pb

    def GetProviderSchema(self, request: Any, context: Any) -> Any:
        """Every schema the provider serves."""
        return self._schema_response(pb.GetProviderSchema.Response)

    def ValidateProviderConfig(self, request: Any, context: Any) -> Any:
        """Check the provider block."""
        r = self._validate_provider(request)
        return pb.ValidateProviderConfig.Response(diagnostics=self._diags(r.diagnostics))

    def ValidateResourceConfig(self, request: Any, context: Any) -> Any:
        """Check a resource block."""
        r = self._validate_resource(request)
        return pb.ValidateResourceConfig.Response(diagnostics=self._diags(r.diagnostics))

    def ValidateDataResourceConfig(self, request: Any, context: Any) -> Any:
        """Check a data block."""
        r = self._validate_data_source(request)
        return pb.ValidateDataResourceConfig.Response(diagnostics=self._diags(r.diagnostics))

    def ConfigureProvider(self, request: Any, context: Any) -> Any:
        """Configure the provider."""
        r = self._configure(request)
        return pb.ConfigureProvider.Response(diagnostics=self._diags(r.diagnostics))

    def StopProvider(self, request: Any, context: Any) -> Any:
        """Cancel in-flight work (Ctrl-C in Terraform); the process keeps serving."""
        return pb.StopProvider.Response(Error=self._stop())


fill_unimplemented(ProviderV6, pb)


def handler(core: ProviderCore | Future[ProviderCore]) -> grpc.GenericRpcHandler:
    """`tfplugin6.Provider` as one generic handler, for a server that is already running."""
    return generic_handler(pb_grpc.add_ProviderServicer_to_server, ProviderV6(core))
