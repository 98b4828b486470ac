"""Data source `rackspace_server_ip_associations`: the IPs explicitly associated with a server."""

from __future__ import annotations

from typing import Any, ClassVar

from provider.plugin import (
    UUID,
    Attribute,
    Context,
    DataSource,
    List,
    Object,
    ProviderError,
    Schema,
    String,
    uuid,
)
from provider.rackspace.api.client import RackspaceClient
from provider.rackspace.api.errors import ApiError, NotFound
from provider.rackspace.diagnostics import api_error


class ServerIPAssociationsDataSource(DataSource[RackspaceClient]):
    """The shared IPs a server is explicitly associated with."""

    type_name: ClassVar[str] = "rackspace_server_ip_associations"
    schema: ClassVar[Schema] = Schema(
        description="List the shared IPs explicitly associated with one server.",
        attributes={
            "id": Attribute(UUID, computed=True, description="The server id."),
            "server_id": Attribute(
                UUID, required=True, validate=[uuid()], description="The server (a UUID)."
            ),
            "ip_associations": Attribute(
                List(Object({"id": UUID, "address": String})),
                computed=True,
                description="One `{id, address}` per associated IP (`id` is the IP address id).",
            ),
        },
    )

    def read(self, config: dict[str, Any], ctx: Context) -> dict[str, Any]:
        """GET the server's `ip_associations` list."""
        server_id = config["server_id"]
        try:
            associations = self.client.servers.list_ip_associations(server_id)
        except NotFound:
            raise ProviderError(
                "Server not found",
                f"No server {server_id} exists in this account and region.",
                path=("server_id",),
            ) from None
        except ApiError as err:
            raise api_error(f"Failed to list the associations of server {server_id}", err) from None
        return {
            "id": server_id,
            "server_id": server_id,
            "ip_associations": sorted(associations, key=lambda a: a["id"]),
        }
