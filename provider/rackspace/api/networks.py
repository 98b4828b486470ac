"""Cloud Networks (Neutron + quark): ports and shared IP addresses.

Ids in paths, filters and bodies are sent as the API spells them (`api_id`), so callers may
pass ids in any letter case.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs, urlparse

from provider.rackspace.api.errors import ApiError
from provider.rackspace.api.ids import api_id, api_ids
from provider.rackspace.api.session import NETWORKS, Session

# Neutron pages lists at 100 items; this bounds a runaway `next` chain.
_MAX_PAGES = 1000


def normalize_ip(raw: dict[str, Any]) -> dict[str, Any]:
    """An `ip_address` object with `address` filled and `version` an int (the API varies)."""
    ip = dict(raw)
    ip["address"] = ip.get("address") or ip.get("ip_address") or ""
    version = ip.get("version")
    try:
        ip["version"] = int(version) if version is not None else None
    except (TypeError, ValueError):
        ip["version"] = None
    ip["port_ids"] = [str(p) for p in ip.get("port_ids") or []]
    return ip


class NetworksApi:
    """Calls to the `cloudNetworks` endpoint (paths relative to its `/v2.0` base)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._session.request(NETWORKS, method, path, **kwargs).json()

    def _list(self, path: str, key: str, query: list[tuple[str, Any]]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        marker: str | None = None
        for _ in range(_MAX_PAGES):
            page_query = [*query, ("marker", marker)] if marker else query
            data = self._call("GET", path, query=page_query) or {}
            items.extend(_expect_list(data, key))
            marker = _next_marker(data.get(f"{key}_links"))
            if not marker:
                break
        return items

    # networks

    def get_network(self, network_id: str) -> dict[str, Any]:
        """One network; raises `NotFound` when this account cannot see it."""
        return _expect_obj(self._call("GET", f"/networks/{api_id(network_id)}"), "network")

    # ports

    def list_ports(
        self,
        *,
        device_id: str | None = None,
        network_id: str | None = None,
        ids: Iterable[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Ports of the tenant, filtered by server (`device_id`), network and/or port ids."""
        query: list[tuple[str, Any]] = [
            ("device_id", api_id(device_id) if device_id is not None else None),
            ("network_id", api_id(network_id) if network_id is not None else None),
        ]
        query += [("id", i) for i in api_ids(ids or [])]
        return self._list("/ports", "ports", query)

    # ip_addresses

    def list_ip_addresses(self, **filters: Any) -> list[dict[str, Any]]:
        """IP addresses of the tenant; filters are exact-match query parameters (those named
        `*_id` are ids, sent as the API spells them)."""
        query = [
            (k, api_id(v) if k.endswith("_id") else v) for k, v in filters.items() if v is not None
        ]
        return [normalize_ip(ip) for ip in self._list("/ip_addresses", "ip_addresses", query)]

    def list_ip_addresses_page(
        self, *, limit: int, marker: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of the tenant's IPs (fixed ones too) and the marker of the next page.

        Sends Neutron's `limit` and `marker`; the marker returned comes from the page's
        `ip_addresses_links` `next` href, None when there is none. quark ignores both
        parameters and answers every IP with no links (research §3.3, open question 13), so
        then the first page is the whole listing.
        """
        query = [("limit", limit), ("marker", marker)]
        data = self._call("GET", "/ip_addresses", query=query) or {}
        items = [normalize_ip(ip) for ip in _expect_list(data, "ip_addresses")]
        return items, _next_marker(data.get("ip_addresses_links"))

    def get_ip_address(self, ip_id: str) -> dict[str, Any]:
        """One IP address; raises `NotFound` when it is gone or not this tenant's."""
        return normalize_ip(
            _expect_obj(self._call("GET", f"/ip_addresses/{api_id(ip_id)}"), "ip_address")
        )

    def create_ip_address(
        self,
        *,
        network_id: str,
        version: int,
        port_ids: Iterable[str] | None = None,
        device_ids: Iterable[str] | None = None,
    ) -> dict[str, Any]:
        """Provision a shared IP on ports (or on the servers' ports). Never retried once sent."""
        body: dict[str, Any] = {"network_id": api_id(network_id), "version": version}
        if port_ids is not None:
            body["port_ids"] = api_ids(port_ids)
        if device_ids is not None:
            body["device_ids"] = api_ids(device_ids)
        data = self._call("POST", "/ip_addresses", json_body={"ip_address": body}, idempotent=False)
        return normalize_ip(_expect_obj(data, "ip_address"))

    def update_ip_address(self, ip_id: str, port_ids: Iterable[str]) -> dict[str, Any]:
        """Replace the set of ports carrying the IP (the whole list is sent)."""
        data = self._call(
            "PUT",
            f"/ip_addresses/{api_id(ip_id)}",
            json_body={"ip_address": {"port_ids": api_ids(port_ids)}},
        )
        return normalize_ip(_expect_obj(data, "ip_address"))

    def delete_ip_address(self, ip_id: str) -> None:
        """De-allocate the IP; `BadRequest` (PortRequiresDisassociation) if still associated."""
        self._call("DELETE", f"/ip_addresses/{api_id(ip_id)}")


def _expect_obj(data: Any, key: str) -> dict[str, Any]:
    if isinstance(data, dict) and isinstance(data.get(key), dict):
        return data[key]
    raise ApiError(f"unexpected response from the Networks API: no `{key}` object")


def _expect_list(data: Any, key: str) -> list[dict[str, Any]]:
    if isinstance(data, dict) and isinstance(data.get(key), list):
        return [item for item in data[key] if isinstance(item, dict)]
    raise ApiError(f"unexpected response from the Networks API: no `{key}` list")


def _next_marker(links: Any) -> str | None:
    for link in links or []:
        if isinstance(link, dict) and link.get("rel") == "next" and link.get("href"):
            values = parse_qs(urlparse(str(link["href"])).query).get("marker")
            if values:
                return values[-1]
    return None
