"""Data source `rackspace_ports`: how a user finds the port ids to share an IP on."""

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
from provider.rackspace.api.finders import find_ports, server_exists
from provider.rackspace.data_sources._shapes import filter_id
from provider.rackspace.diagnostics import api_error

PORT_OBJECT = Object(
    {
        "id": UUID,
        "name": String,
        "server_id": UUID,
        "network_id": UUID,
        "mac_address": String,
        "fixed_ips": List(Object({"ip_address": String, "subnet_id": String})),
    }
)


class PortsDataSource(DataSource[RackspaceClient]):
    """Ports of the account, filtered by server and/or network."""

    type_name: ClassVar[str] = "rackspace_ports"
    schema: ClassVar[Schema] = Schema(
        description=(
            "List ports, e.g. a server's port on PublicNet, to pass to "
            "`rackspace_ip_address.port_ids`. A `server_id` or `network_id` that names nothing "
            "in this account and region is an error, not an empty list; a server with no port "
            "on the network gives an empty list."
        ),
        attributes={
            "id": Attribute(String, computed=True, description="An id made of the filters."),
            "server_id": Attribute(
                UUID,
                optional=True,
                validate=[uuid()],
                description="Only ports of this server (the port's `device_id`).",
            ),
            "network_id": Attribute(
                UUID, optional=True, validate=[uuid()], description="Only ports on this network."
            ),
            "ids": Attribute(List(UUID), computed=True, description="Ids of the ports found."),
            "ports": Attribute(List(PORT_OBJECT), computed=True, description="The ports found."),
        },
    )

    def read(self, config: dict[str, Any], ctx: Context) -> dict[str, Any]:
        """GET /ports with the filters (the client applies them again, in any letter case)."""
        server_id, network_id = config.get("server_id"), config.get("network_id")
        try:
            ports = find_ports(self.client, device_id=server_id, network_id=network_id)
        except ApiError as err:
            raise api_error("Failed to list ports", err) from None
        if not ports:
            _check_filters_exist(self.client, server_id, network_id)
        found = [_port(p) for p in ports]
        found.sort(key=lambda p: p["id"])
        return {
            "id": filter_id("ports", {"server_id": server_id, "network_id": network_id}),
            "server_id": server_id,
            "network_id": network_id,
            "ids": [p["id"] for p in found],
            "ports": found,
        }


def _check_filters_exist(
    client: RackspaceClient, server_id: str | None, network_id: str | None
) -> None:
    """No ports found: fail at the filter that names nothing (a mistyped id, another region)
    instead of answering an empty list that fails later, far from the cause. A server that
    exists but has no port on the network is a real empty answer."""
    try:
        if server_id is not None and not server_exists(client, server_id):
            raise ProviderError(
                "Server not found",
                f"Server {server_id} does not exist in this account and region "
                f"({client.region}); check `server_id`, or the provider's `region`.",
                path=("server_id",),
            )
        if network_id is not None:
            try:
                client.networks.get_network(network_id)
            except NotFound:
                raise ProviderError(
                    "Network not found",
                    f"Network {network_id} does not exist in this account and region "
                    f"({client.region}); check `network_id`.",
                    path=("network_id",),
                ) from None
    except ApiError as err:
        raise api_error("Failed to list ports", err) from None


def _port(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(raw.get("id") or ""),
        "name": str(raw.get("name") or ""),
        "server_id": str(raw.get("device_id") or ""),
        "network_id": str(raw.get("network_id") or ""),
        "mac_address": str(raw.get("mac_address") or ""),
        "fixed_ips": [
            {
                "ip_address": str(f.get("ip_address") or ""),
                "subnet_id": str(f.get("subnet_id") or ""),
            }
            for f in raw.get("fixed_ips") or []
            if isinstance(f, dict)
        ],
    }
