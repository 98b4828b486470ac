"""Data source `rackspace_ip_addresses`: the account's IP addresses, filtered."""

from __future__ import annotations

from typing import Any, ClassVar

from provider.plugin import (
    UUID,
    Attribute,
    Context,
    DataSource,
    List,
    Number,
    Schema,
    String,
    one_of,
    uuid,
)
from provider.rackspace.api.client import RackspaceClient
from provider.rackspace.api.errors import ApiError, NotFound
from provider.rackspace.api.finders import find_ip_addresses
from provider.rackspace.data_sources._shapes import IP_ADDRESS_OBJECT, filter_id, ip_object
from provider.rackspace.diagnostics import api_error


class IPAddressesDataSource(DataSource[RackspaceClient]):
    """List IP addresses, optionally filtered by network, server, type and version."""

    type_name: ClassVar[str] = "rackspace_ip_addresses"
    schema: ClassVar[Schema] = Schema(
        description="List the account's IP addresses (shared and fixed), optionally filtered.",
        attributes={
            "id": Attribute(String, computed=True, description="An id made of the filters."),
            "network_id": Attribute(
                UUID, optional=True, validate=[uuid()], description="Only IPs on this network."
            ),
            "server_id": Attribute(
                UUID,
                optional=True,
                validate=[uuid()],
                description="Only IPs carried by a port of this server.",
            ),
            "type": Attribute(
                String, optional=True, description="Only IPs of this type (`shared`, `fixed`)."
            ),
            "version": Attribute(
                Number, optional=True, validate=[one_of(4, 6)], description="Only IPv4 or IPv6."
            ),
            "ids": Attribute(List(UUID), computed=True, description="Ids of the IPs found."),
            "ip_addresses": Attribute(
                List(IP_ADDRESS_OBJECT), computed=True, description="The IPs found, by id."
            ),
        },
    )

    def read(self, config: dict[str, Any], ctx: Context) -> dict[str, Any]:
        """List with the filters (the client applies them again, since the API may ignore
        some, and in any letter case)."""
        version = config.get("version")
        filters = {
            "network_id": config.get("network_id"),
            "device_id": config.get("server_id"),
            "type": config.get("type"),
            "version": int(version) if version is not None else None,
        }
        try:
            ips = find_ip_addresses(self.client, **filters)
        except NotFound as err:
            raise api_error("Failed to list IP addresses", err, path=("server_id",)) from None
        except ApiError as err:
            raise api_error("Failed to list IP addresses", err) from None
        found = [ip_object(ip) for ip in ips]
        found.sort(key=lambda ip: ip["id"])
        return {
            "id": filter_id(
                "ip_addresses",
                {k: config.get(k) for k in ("network_id", "server_id", "type", "version")},
            ),
            "network_id": config.get("network_id"),
            "server_id": config.get("server_id"),
            "type": config.get("type"),
            "version": version,
            "ids": [ip["id"] for ip in found],
            "ip_addresses": found,
        }
