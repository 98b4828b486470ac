"""Named lookups that explain a 404: which of the objects a request named is missing.

The API answers a create naming several servers or ports with one 404 for all of them
(`NotAllPortOrDeviceFound`, research §5.2 step 5), and an association PUT with one 404 for a
missing server, a missing IP, or an IP not provisioned on the server (§5.8). These finders ask
for each object, so a diagnostic can name the ones to fix. They raise `ApiError` when a lookup
itself fails; callers then fall back to the API's own message.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from provider.rackspace.api.errors import NotFound

# Why an object named in a request was not found.
NO_SUCH_SERVER = "no such server in this account and region"
NO_SUCH_PORT = "no such port in this account and region"


def find_missing_servers(client: Any, network_id: str, server_ids: Iterable[str]) -> dict[str, str]:
    """Servers (ids as given) that have no port on `network_id`, with the reason.

    One port listing for the network, then one server lookup per server without a port there,
    to tell a server that does not exist from one not attached to the network.
    """
    ports = client.networks.list_ports(network_id=network_id.lower())
    attached = {str(p.get("device_id") or "").lower() for p in ports}
    missing: dict[str, str] = {}
    for server_id in server_ids:
        if server_id.lower() in attached:
            continue
        try:
            client.servers.get_server(server_id.lower())
        except NotFound:
            missing[server_id] = NO_SUCH_SERVER
            continue
        missing[server_id] = f"has no port on network {network_id}"
    return missing


def find_missing_ports(client: Any, network_id: str, port_ids: Iterable[str]) -> dict[str, str]:
    """Ports (ids as given) that do not exist, or are not on `network_id`, with the reason."""
    wanted = list(port_ids)
    found = {
        str(p.get("id") or "").lower(): str(p.get("network_id") or "")
        for p in client.networks.list_ports(ids=[p.lower() for p in wanted])
    }
    missing: dict[str, str] = {}
    for port_id in wanted:
        network = found.get(port_id.lower())
        if network is None:
            missing[port_id] = NO_SUCH_PORT
        elif network.lower() != network_id.lower():
            missing[port_id] = f"is on network {network}, not {network_id}"
    return missing


def find_association_blocker(client: Any, server_id: str, ip_id: str) -> str | None:
    """Why an association PUT found nothing: "server" (no such server), "ip" (no such IP),
    "ports" (the IP is on none of the server's ports), or None when all three look fine."""
    try:
        client.servers.get_server(server_id.lower())
    except NotFound:
        return "server"
    try:
        ip = client.networks.get_ip_address(ip_id.lower())
    except NotFound:
        return "ip"
    ports = client.networks.list_ports(device_id=server_id.lower())
    mine = {str(p.get("id") or "").lower() for p in ports}
    if not mine & {p.lower() for p in ip.get("port_ids") or ()}:
        return "ports"
    return None


def find_shared_ips_on(
    client: Any,
    network_id: str,
    *,
    port_ids: Iterable[str] | None = None,
    server_ids: Iterable[str] | None = None,
) -> list[dict[str, Any]]:
    """Shared IPs on `network_id` carried by exactly these ports, or by exactly the ports of
    these servers on the network (ids compared case-insensitively).

    One IP listing for the network, plus one port listing when matching by server.
    """
    ips = [
        ip
        for ip in client.networks.list_ip_addresses(network_id=network_id.lower())
        if ip.get("type") in ("shared", None, "")
        and str(ip.get("network_id") or network_id).lower() == network_id.lower()
    ]
    if server_ids is None:
        wanted = {p.lower() for p in port_ids or ()}
        return [ip for ip in ips if {p.lower() for p in ip["port_ids"]} == wanted]
    servers = {s.lower() for s in server_ids}
    ports = client.networks.list_ports(network_id=network_id.lower())
    device_of = {str(p.get("id", "")).lower(): str(p.get("device_id") or "").lower() for p in ports}
    return [ip for ip in ips if {device_of.get(p.lower(), "") for p in ip["port_ids"]} == servers]


def find_unknown_references(
    client: Any,
    network_id: str,
    *,
    server_ids: Iterable[str] | None = None,
    port_ids: Iterable[str] | None = None,
) -> dict[str, str]:
    """For a plan: the network, servers or ports (ids as given) that do not exist, with why.

    Keys are the attribute the id came from and the id, "network_id" alone for the network.
    Each lookup happens at most once per walk (`Coordination.once`): the network once, its
    port listing once (shared by every resource on that network), then one lookup per server
    or port that the listing does not explain.
    """
    once = client.coordination.once
    net = network_id.lower()
    if not once(("network", net), lambda: _exists(lambda: client.networks.get_network(net))):
        return {"network_id": f"no network {network_id} in this account and region"}
    ports = once(("ports-on", net), lambda: client.networks.list_ports(network_id=net))
    missing: dict[str, str] = {}
    attached = {str(p.get("device_id") or "").lower() for p in ports}
    for server_id in server_ids or ():
        sid = server_id.lower()
        if sid in attached:
            continue
        if once(("server", sid), lambda sid=sid: _exists(lambda: client.servers.get_server(sid))):
            missing[server_id] = f"has no port on network {network_id}"
        else:
            missing[server_id] = NO_SUCH_SERVER
    on_network = {str(p.get("id") or "").lower() for p in ports}
    for port_id in port_ids or ():
        pid = port_id.lower()
        if pid in on_network:
            continue
        found = once(("port", pid), lambda pid=pid: client.networks.list_ports(ids=[pid]))
        elsewhere = [p for p in found if str(p.get("id") or "").lower() == pid]
        missing[port_id] = (
            f"is on network {elsewhere[0].get('network_id')}, not {network_id}"
            if elsewhere
            else NO_SUCH_PORT
        )
    return missing


def server_exists(client: Any, server_id: str) -> bool:
    """Whether the server exists in this account and region (looked up once per walk)."""
    sid = server_id.lower()
    return bool(
        client.coordination.once(
            ("server", sid), lambda: _exists(lambda: client.servers.get_server(sid))
        )
    )


def ip_address_exists(client: Any, ip_id: str) -> bool:
    """Whether the IP exists in this account and region (looked up once per walk)."""
    iid = ip_id.lower()
    return bool(
        client.coordination.once(
            ("ip", iid), lambda: _exists(lambda: client.networks.get_ip_address(iid))
        )
    )


def _exists(lookup: Any) -> bool:
    try:
        lookup()
    except NotFound:
        return False
    return True
