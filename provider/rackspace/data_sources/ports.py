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
    Schema,
    String,
    uuid,
)
from provider.rackspace.api.client import RackspaceClient
from provider.rackspace.api.errors import ApiError
from provider.rackspace.api.finders import find_ports
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
            "`rackspace_ip_address.port_ids`."
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
        found = [_port(p) for p in ports]
        found.sort(key=lambda p: p["id"])
        return {
            "id": filter_id("ports", {"server_id": server_id, "network_id": network_id}),
            "server_id": server_id,
            "network_id": network_id,
            "ids": [p["id"] for p in found],
            "ports": found,
        }


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
