"""The tfplugin5 adapter: protocol 5 RPC names onto the shared handlers."""

from __future__ import annotations

from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

import grpc

from provider.plugin.proto import tfplugin5_pb2 as pb
from provider.plugin.proto import tfplugin5_pb2_grpc as pb_grpc
from provider.plugin.protocol import ProviderServicer, fill_unimplemented, generic_handler

if TYPE_CHECKING:
    from provider.plugin.core import ProviderCore

__all__ = ["PROTOCOL_VERSION", "ProviderV5", "handler"]

PROTOCOL_VERSION = 5


class ProviderV5(ProviderServicer):
    """`tfplugin5.Provider`."""

    pb = pb

    def GetSchema(self, request: Any, context: Any) -> Any:
        """Every schema the provider serves."""
        return self._schema_response(pb.GetProviderSchema.Response)

    def PrepareProviderConfig(self, request: Any, context: Any) -> Any:
        """Check the provider block; the config is echoed back unchanged."""
        r = self._validate_provider(request)
        return pb.PrepareProviderConfig.Response(
            prepared_config=request.config, diagnostics=self._diags(r.diagnostics)
        )

    def ValidateResourceTypeConfig(self, request: Any, context: Any) -> Any:
        """Check a resource block."""
        r = self._validate_resource(request)
        return pb.ValidateResourceTypeConfig.Response(diagnostics=self._diags(r.diagnostics))

    def ValidateDataSourceConfig(self, request: Any, context: Any) -> Any:
        """Check a data block."""
        r = self._validate_data_source(request)
        return pb.ValidateDataSourceConfig.Response(diagnostics=self._diags(r.diagnostics))

    def Configure(self, request: Any, context: Any) -> Any:
        """Configure the provider."""
        r = self._configure(request)
        return pb.Configure.Response(diagnostics=self._diags(r.diagnostics))

    def Stop(self, request: Any, context: Any) -> Any:
        """Cancel in-flight work (Ctrl-C in Terraform); the process keeps serving."""
        return pb.Stop.Response(Error=self._stop())


fill_unimplemented(ProviderV5, pb)


def handler(core: ProviderCore | Future[ProviderCore]) -> grpc.GenericRpcHandler:
    """`tfplugin5.Provider` as one generic handler, for a server that is already running."""
    return generic_handler(pb_grpc.add_ProviderServicer_to_server, ProviderV5(core))
