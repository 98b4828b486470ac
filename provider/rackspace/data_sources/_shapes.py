"""Object types and conversions shared by the data sources."""

from __future__ import annotations

from typing import Any

from provider.plugin import UUID, List, Number, Object, String

IP_ADDRESS_OBJECT = Object(
    {
        "id": UUID,
        "address": String,
        "network_id": UUID,
        "port_ids": List(UUID),
        "subnet_id": UUID,
        "tenant_id": String,
        "type": String,
        "version": Number,
    }
)


def ip_object(ip: dict[str, Any]) -> dict[str, Any]:
    """An IP address as the data sources show it (ports sorted, so output is stable)."""
    return {
        "id": str(ip.get("id") or ""),
        "address": ip.get("address") or "",
        "network_id": str(ip.get("network_id") or ""),
        "port_ids": sorted(ip.get("port_ids") or []),
        "subnet_id": str(ip.get("subnet_id") or ""),
        "tenant_id": str(ip.get("tenant_id") or ""),
        "type": str(ip.get("type") or ""),
        "version": ip.get("version"),
    }


def filter_id(kind: str, filters: dict[str, Any]) -> str:
    """A stable id for a data source read: its kind and the filters used."""
    used = [f"{k}={v}" for k, v in sorted(filters.items()) if v is not None]
    return f"{kind}?{'&'.join(used)}" if used else kind
