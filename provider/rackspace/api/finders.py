"""Named lookups that explain a 404: which of the objects a request named is missing.

The API answers a create naming several servers or ports with one 404 for all of them
(`NotAllPortOrDeviceFound`, research §5.2 step 5), and an association PUT with one 404 for a
missing server, a missing IP, or an IP not provisioned on the server (§5.8). These finders ask
for each object, so a diagnostic can name the ones to fix. They raise `ApiError` when a lookup
itself fails; callers then fall back to the API's own message.

Ids may come in any letter case: they are compared with what the API returns through
`api_id` (the API's own spelling), and named in results as the caller gave them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

from provider.rackspace.api.errors import ApiError, NotFound
from provider.rackspace.api.ids import api_id, api_ids

if TYPE_CHECKING:
    from provider.rackspace.api.client import RackspaceClient

# Why an object named in a request was not found.
NO_SUCH_SERVER = "no such server in this account and region"
NO_SUCH_PORT = "no such port in this account and region"


def find_missing_servers(
    client: RackspaceClient, network_id: str, server_ids: Iterable[str]
) -> dict[str, str]:
    """Servers (ids as given) that have no port on `network_id`, with the reason.

    One port listing for the network, then one server lookup per server without a port there,
    to tell a server that does not exist from one not attached to the network.
    """
    ports = client.networks.list_ports(network_id=network_id)
    attached = {api_id(p.get("device_id") or "") for p in ports}
    missing: dict[str, str] = {}
    for server_id in server_ids:
        if api_id(server_id) in attached:
            continue
        try:
            client.servers.get_server(server_id)
        except NotFound:
            missing[server_id] = NO_SUCH_SERVER
            continue
        missing[server_id] = f"has no port on network {network_id}"
    return missing


def find_missing_ports(
    client: RackspaceClient, network_id: str, port_ids: Iterable[str]
) -> dict[str, str]:
    """Ports (ids as given) that do not exist, or are not on `network_id`, with the reason."""
    wanted = list(port_ids)
    found = {
        api_id(p.get("id") or ""): str(p.get("network_id") or "")
        for p in client.networks.list_ports(ids=wanted)
    }
    missing: dict[str, str] = {}
    for port_id in wanted:
        network = found.get(api_id(port_id))
        if network is None:
            missing[port_id] = NO_SUCH_PORT
        elif api_id(network) != api_id(network_id):
            missing[port_id] = f"is on network {network}, not {network_id}"
    return missing


def find_association_blocker(client: RackspaceClient, server_id: str, ip_id: str) -> str | None:
    """Why an association PUT found nothing: "server" (no such server), "ip" (no such IP),
    "ports" (the IP is on none of the server's ports), or None when all three look fine."""
    try:
        client.servers.get_server(server_id)
    except NotFound:
        return "server"
    try:
        ip = client.networks.get_ip_address(ip_id)
    except NotFound:
        return "ip"
    ports = client.networks.list_ports(device_id=server_id)
    mine = {api_id(p.get("id") or "") for p in ports}
    if not mine & set(api_ids(ip.get("port_ids") or ())):
        return "ports"
    return None


def find_shared_ips_on(
    client: RackspaceClient,
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
        for ip in client.networks.list_ip_addresses(network_id=network_id)
        if ip.get("type") in ("shared", None, "")
        and api_id(ip.get("network_id") or network_id) == api_id(network_id)
    ]
    if server_ids is None:
        wanted = api_ids(port_ids or ())
        return [ip for ip in ips if api_ids(ip["port_ids"]) == wanted]
    servers = api_ids(server_ids)
    ports = client.networks.list_ports(network_id=network_id)
    device_of = {api_id(p.get("id", "")): api_id(p.get("device_id") or "") for p in ports}
    return [
        ip
        for ip in ips
        if sorted({device_of.get(api_id(p), "") for p in ip["port_ids"]}) == servers
    ]


def find_unknown_references(
    client: RackspaceClient,
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
    net = api_id(network_id)
    if not once(("network", net), lambda: _exists(lambda: client.networks.get_network(net))):
        return {"network_id": f"no network {network_id} in this account and region"}
    ports = once(("ports-on", net), lambda: client.networks.list_ports(network_id=net))
    missing: dict[str, str] = {}
    attached = {api_id(p.get("device_id") or "") for p in ports}
    for server_id in server_ids or ():
        sid = api_id(server_id)
        if sid in attached:
            continue
        if once(("server", sid), partial(_exists, partial(client.servers.get_server, sid))):
            missing[server_id] = f"has no port on network {network_id}"
        else:
            missing[server_id] = NO_SUCH_SERVER
    on_network = {api_id(p.get("id") or "") for p in ports}
    for port_id in port_ids or ():
        pid = api_id(port_id)
        if pid in on_network:
            continue
        found = once(("port", pid), partial(client.networks.list_ports, ids=[pid]))
        elsewhere = [p for p in found if api_id(p.get("id") or "") == pid]
        missing[port_id] = (
            f"is on network {elsewhere[0].get('network_id')}, not {network_id}"
            if elsewhere
            else NO_SUCH_PORT
        )
    return missing


def server_exists(client: RackspaceClient, server_id: str) -> bool:
    """Whether the server exists in this account and region, for a plan-time check.

    Answered from one listing of the tenant's servers per walk (`GET /servers`, its first
    page), so a plan that names many servers costs one call; a server the listing does not
    show is looked up on its own (once per walk) before it is reported missing.
    """
    sid = api_id(server_id)
    if sid in _listed(client, "servers", client.servers.list_server_ids):
        return True
    return bool(
        client.coordination.once(
            ("server", sid), lambda: _exists(lambda: client.servers.get_server(sid))
        )
    )


def ip_address_exists(client: RackspaceClient, ip_id: str) -> bool:
    """Whether the IP exists in this account and region, for a plan-time check.

    Like `server_exists`: one listing of the tenant's IPs per walk, then the IP's own GET
    (once per walk) for one the listing does not show, e.g. an IP this walk created after
    the listing, or one on a later page.
    """
    iid = api_id(ip_id)

    def first_page() -> frozenset[str]:
        items, _next = client.networks.list_ip_addresses_page(limit=_IP_PAGE)
        return frozenset(api_id(ip["id"]) for ip in items if ip.get("id"))

    if iid in _listed(client, "ips", first_page):
        return True
    return bool(
        client.coordination.once(
            ("ip", iid), lambda: _exists(lambda: client.networks.get_ip_address(iid))
        )
    )


# Page size of the plan-time IP listing: Neutron's maximum page (quark ignores it).
_IP_PAGE = 100


def _listed(
    client: RackspaceClient, kind: str, fetch: Callable[[], frozenset[str]]
) -> frozenset[str]:
    """The ids one listing of `kind` showed, fetched once per walk (concurrent callers wait
    for it); empty when the listing failed, so each caller asks on its own.

    Existence, unlike a resource's attributes, does not change with this walk's association
    writes, so the listing is kept for the whole walk (it is not the batched reads' cache,
    which every write drops). Objects created or deleted meanwhile are handled by the callers:
    a miss is confirmed by its own call, and a hit only lets a plan go on to an apply that
    reports what the API then says.
    """
    try:
        return frozenset(client.coordination.once(("listing", kind), fetch))
    except ApiError:
        return frozenset()


def ip_ids_on_network(client: RackspaceClient, network_id: str) -> frozenset[str]:
    """Every IP id on the network when this walk first asked (one listing per network per
    walk, shared by all its creates; errors are not remembered, so the next caller asks again).
    """
    net = api_id(network_id)
    return frozenset(
        client.coordination.once(
            ("ips-before", net),
            lambda: frozenset(ip["id"] for ip in client.networks.list_ip_addresses(network_id=net)),
            retry_errors=True,
        )
    )


def find_servers_of_ports(client: RackspaceClient, ip: dict[str, Any]) -> frozenset[str]:
    """The servers (as the API spells them) whose ports on the IP's network carry the IP."""
    wanted = set(api_ids(ip["port_ids"]))
    ports = client.networks.list_ports(network_id=ip.get("network_id") or None)
    return frozenset(
        str(p["device_id"])
        for p in ports
        if api_id(p.get("id", "")) in wanted and p.get("device_id")
    )


def find_associated_servers(
    client: RackspaceClient, ip_id: str, only_ports: Iterable[str] | None = None
) -> list[str]:
    """Servers (sorted) still explicitly associated with the IP, looking only at the servers
    of `only_ports` when given. Raises `ApiError` when a lookup fails."""
    ip = client.networks.get_ip_address(ip_id)
    if only_ports is not None:
        keep = set(api_ids(only_ports))
        ip = {**ip, "port_ids": [p for p in ip["port_ids"] if api_id(p) in keep]}
    held = []
    for server_id in sorted(find_servers_of_ports(client, ip)):
        try:
            associations = client.servers.list_ip_associations(server_id)
        except NotFound:
            continue
        if any(api_id(a["id"]) == api_id(ip_id) for a in associations):
            held.append(server_id)
    return held


def removed_ids(before: Iterable[str], after: Iterable[str]) -> list[str]:
    """The ids of `before` that `after` no longer names (in any letter case)."""
    kept = set(api_ids(after))
    return [i for i in before if api_id(i) not in kept]


def _answers(item: dict[str, Any], filters: dict[str, Any]) -> bool:
    """Whether `item` matches every non-null filter: strings (ids, `type`) in any letter case,
    other values exactly. A filter never fails to match because of letter case."""
    for key, wanted in filters.items():
        have = item.get(key)
        if wanted is None or have is None:  # not asked, or not said: nothing to check
            continue
        if isinstance(wanted, str):
            if api_id(have or "") != api_id(wanted):
                return False
        elif have != wanted:
            return False
    return True


def find_ports(
    client: RackspaceClient, *, device_id: str | None = None, network_id: str | None = None
) -> list[dict[str, Any]]:
    """Ports of the tenant on a server and/or network (ids in any letter case). The filters
    are applied again to the answer: one the API ignored must not widen it."""
    ports = client.networks.list_ports(device_id=device_id, network_id=network_id)
    return [p for p in ports if _answers(p, {"device_id": device_id, "network_id": network_id})]


def find_ip_addresses(client: RackspaceClient, **filters: Any) -> list[dict[str, Any]]:
    """IP addresses of the tenant matching `filters` (query parameters; ids in any letter
    case). `network_id`, `type` and `version` are applied again to the answer (an IP object
    carries no `device_id`): a filter the API ignored must not widen it."""
    ips = client.networks.list_ip_addresses(**filters)
    again = {k: filters.get(k) for k in ("network_id", "type", "version")}
    return [ip for ip in ips if _answers(ip, again)]


def _exists(lookup: Any) -> bool:
    try:
        lookup()
    except NotFound:
        return False
    return True
