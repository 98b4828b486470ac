"""Data source `rackspace_ip_address`: one IP address, by id or by address."""

from __future__ import annotations

import ipaddress
from typing import Any, ClassVar

from provider.plugin import (
    UUID,
    Attribute,
    Context,
    DataSource,
    ExactlyOneOf,
    Number,
    ProviderError,
    Schema,
    Set,
    String,
    uuid,
)
from provider.rackspace.api.client import RackspaceClient
from provider.rackspace.api.errors import ApiError, NotFound
from provider.rackspace.diagnostics import api_error


class IPAddressDataSource(DataSource[RackspaceClient]):
    """Look up an IP address of the account by its id or by the address itself."""

    type_name: ClassVar[str] = "rackspace_ip_address"
    schema: ClassVar[Schema] = Schema(
        description="Look up one IP address of the account (shared or fixed) by `id` or `address`.",
        attributes={
            "id": Attribute(
                UUID,
                optional=True,
                computed=True,
                validate=[uuid()],
                description="IP address id. Exactly one of `id` and `address`.",
            ),
            "address": Attribute(
                String,
                optional=True,
                computed=True,
                description="The IP address itself, e.g. `203.0.113.10`.",
            ),
            "network_id": Attribute(UUID, computed=True, description="Network of the IP."),
            "version": Attribute(Number, computed=True, description="4 or 6."),
            "port_ids": Attribute(Set(UUID), computed=True, description="Ports carrying it."),
            "subnet_id": Attribute(UUID, computed=True, description="Subnet of the IP."),
            "tenant_id": Attribute(String, computed=True, description="Owning tenant."),
            "type": Attribute(String, computed=True, description="`shared` or `fixed`."),
        },
        validators=[ExactlyOneOf("id", "address")],
    )

    def read(self, config: dict[str, Any], ctx: Context) -> dict[str, Any]:
        """GET by id, or list and match the address."""
        api = self.client.networks
        if config.get("id"):
            ip_id = config["id"]
            try:
                ip = api.get_ip_address(ip_id)
            except NotFound:
                raise ProviderError(
                    "IP address not found",
                    f"No IP address with id {ip_id} exists in this account and region.",
                    path=("id",),
                ) from None
            except ApiError as err:
                raise api_error(f"Failed to read IP address {ip_id}", err) from None
            return _state(ip)
        address = str(config.get("address") or "").strip()
        try:
            wanted = ipaddress.ip_address(address)
        except ValueError:
            raise ProviderError(
                "Invalid IP address",
                f"`address` must be an IPv4 or IPv6 address, got {address!r}.",
                path=("address",),
            ) from None
        try:
            ips = api.list_ip_addresses(address=address)
        except ApiError as err:
            raise api_error(f"Failed to look up IP address {address}", err) from None
        found = [ip for ip in ips if _same_address(ip.get("address"), wanted)]
        if not found:
            raise ProviderError(
                "IP address not found",
                f"No IP address {address} exists in this account and region.",
                path=("address",),
            )
        if len(found) > 1:
            ids = ", ".join(ip["id"] for ip in found)
            raise ProviderError(
                "More than one IP address matches",
                f"{address} matches several IP addresses ({ids}); look it up by `id` instead.",
                path=("address",),
            )
        return _state(found[0], address_spelling=config.get("address"))


def _same_address(value: Any, wanted: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    try:
        return ipaddress.ip_address(str(value)) == wanted
    except ValueError:
        return False


def _state(ip: dict[str, Any], *, address_spelling: Any = None) -> dict[str, Any]:
    # Keep the configured spelling of the address: Terraform requires configured values back.
    # (An `id` in any letter case is kept by its type.)
    return {
        "id": ip["id"],
        "address": address_spelling or ip.get("address") or "",
        "network_id": str(ip.get("network_id") or ""),
        "version": ip.get("version"),
        "port_ids": frozenset(ip.get("port_ids") or []),
        "subnet_id": str(ip.get("subnet_id") or ""),
        "tenant_id": str(ip.get("tenant_id") or ""),
        "type": str(ip.get("type") or ""),
    }
