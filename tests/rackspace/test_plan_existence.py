"""Plan-time existence checks (`finders.server_exists`, `ip_address_exists`): one listing per
walk, kept across the walk's writes; a miss confirmed by its own call; a failed listing costs
each check its own call, as before."""

from __future__ import annotations

from typing import Any

from provider.rackspace.api.errors import ServerError
from provider.rackspace.api.finders import ip_address_exists, server_exists

from .fakes import PUBLICNET, FakeClient, FakeCloud, new_id


def calls(cloud: FakeCloud, name: str) -> int:
    return sum(1 for c in cloud.calls if c[0] == name)


def world(servers: int = 20) -> tuple[FakeCloud, list[str], list[str]]:
    cloud = FakeCloud()
    ids = [new_id() for _ in range(servers)]
    ports = [cloud.add_server(s) for s in ids]
    ips = [
        cloud.create_ip_address(network_id=PUBLICNET, version=4, port_ids=ports[i : i + 2])["id"]
        for i in range(0, servers, 2)
    ]
    cloud.calls.clear()
    return cloud, ids, ips


def test_many_checks_cost_one_listing_each_kind() -> None:
    cloud, servers, ips = world()
    client = FakeClient(cloud)
    assert all(server_exists(client, s) for s in servers)
    assert all(ip_address_exists(client, i) for i in ips)
    assert calls(cloud, "list_server_ids") == 1 and calls(cloud, "get_server") == 0
    assert calls(cloud, "list_ip_addresses") == 1 and calls(cloud, "get_ip_address") == 0


def test_ids_in_any_letter_case_are_found_in_the_listing() -> None:
    cloud, servers, ips = world(4)
    client = FakeClient(cloud)
    assert server_exists(client, servers[0].upper()) and ip_address_exists(client, ips[0].upper())
    assert calls(cloud, "get_server") == calls(cloud, "get_ip_address") == 0


def test_a_miss_is_confirmed_by_its_own_call_once_per_walk() -> None:
    cloud, _servers, _ips = world(4)
    client = FakeClient(cloud)
    gone = new_id()
    assert not server_exists(client, gone) and not server_exists(client, gone)
    assert not ip_address_exists(client, gone)
    assert calls(cloud, "get_server") == 1 and calls(cloud, "get_ip_address") == 1


def test_an_ip_made_after_the_listing_is_found_by_its_own_get() -> None:
    cloud, _servers, ips = world(4)
    client = FakeClient(cloud)
    assert ip_address_exists(client, ips[0])
    ports = [p for p in cloud.ports][:2]
    later = cloud.create_ip_address(network_id=PUBLICNET, version=4, port_ids=ports)["id"]
    assert ip_address_exists(client, later)
    assert calls(cloud, "list_ip_addresses") == 1 and calls(cloud, "get_ip_address") == 1


class ListingsFail(FakeCloud):
    def list_server_ids(self, **kw: Any) -> frozenset[str]:
        self.calls.append(("list_server_ids",))
        raise ServerError("down", status=503)


def test_a_failed_listing_leaves_each_check_its_own_call() -> None:
    cloud = ListingsFail()
    servers = [new_id() for _ in range(5)]
    for s in servers:
        cloud.add_server(s)
    client = FakeClient(cloud)
    assert all(server_exists(client, s) for s in servers)
    assert calls(cloud, "list_server_ids") == 1  # the failure is remembered for the walk
    assert calls(cloud, "get_server") == 5


def test_a_new_walk_lists_again() -> None:
    cloud, servers, _ips = world(4)
    client = FakeClient(cloud)
    server_exists(client, servers[0])
    server_exists(client.next_walk(), servers[0])
    assert calls(cloud, "list_server_ids") == 2
