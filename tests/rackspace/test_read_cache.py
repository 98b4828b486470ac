"""Batched refresh (`provider.rackspace.api.read_cache`): the listing cache's rules.

The real `RackspaceClient` (session, write clock, Networks and Servers APIs, cache) runs over an
in-memory HTTP transport that answers like Cloud Networks and Cloud Servers, counts every call,
and can hold a listing until a test lets it go.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from provider.plugin import Context
from provider.plugin.context import cancellation_scope
from provider.rackspace.api.client import RackspaceClient
from provider.rackspace.api.errors import Cancelled, NotFound, ServerError
from provider.rackspace.api.read_cache import (
    ENV_SWITCH,
    MAX_FAILED_LISTINGS,
    PAGE_SIZE,
    batching_enabled,
)
from provider.rackspace.api.session import NETWORKS, SERVERS
from provider.rackspace.api.transport import Response
from provider.rackspace.resources.ip_address import IPAddress
from provider.rackspace.resources.server_ip_association import ServerIPAssociation

NET = "http://net.test/v2.0"
SRV = "http://srv.test/v2/123456"
PUBLICNET = "00000000-0000-0000-0000-000000000000"


def ip_id(i: int) -> str:
    return f"1b000000-0000-4000-8000-{i:012d}"


def server_id(i: int) -> str:
    return f"a1000000-0000-4000-8000-{i:012d}"


class _Token:
    id = "token"
    tenant_id = "123456"

    def endpoint(self, service: str, region: str) -> str:
        return {NETWORKS: NET, SERVERS: SRV}[service]


class _Identity:
    def token(self) -> _Token:
        return _Token()

    def invalidate(self, token_id: str) -> None:
        pass


class Cloud:
    """An in-memory Cloud Networks + Cloud Servers behind the `Transport.request` signature."""

    def __init__(self, ips: int = 0) -> None:
        self.cancelled = threading.Event()  # the transport's own event, as `Transport` has
        self.ips: dict[str, dict[str, Any]] = {}
        self.associations: dict[str, list[str]] = {}
        self.calls: list[tuple[str, str, dict[str, list[str]]]] = []
        self.paginate = False
        self.fail_listings = 0
        self.fail_association_lists = 0
        self.hold_kinds = {"ip-list"}
        self.unlisted: set[str] = set()  # in the API, missing from listings (lagging index)
        # When set, a listing computes its answer, then waits for the event (a slow listing).
        self.hold: threading.Event | None = None
        self.holding = threading.Event()
        self._lock = threading.Lock()
        for i in range(ips):
            self.add_ip(i)

    def add_ip(self, i: int) -> str:
        ident = ip_id(i)
        self.ips[ident] = {
            "id": ident,
            "network_id": PUBLICNET,
            "address": f"10.0.{i // 250}.{i % 250}",
            "ip_address": f"10.0.{i // 250}.{i % 250}",
            "port_ids": [f"p-{i}-a", f"p-{i}-b"],
            "subnet_id": "s-1",
            "tenant_id": "123456",
            "version": 4,
            "type": "shared",
        }
        return ident

    # ---------------------------------------------------------------- counting

    def count(self, method: str, kind: str) -> int:
        """Calls by method and kind: "ip-list", "ip", "assoc-list"."""
        return sum(1 for m, k, _ in self.calls if m == method and k == kind)

    def queries(self, kind: str) -> list[dict[str, list[str]]]:
        return [q for _, k, q in self.calls if k == kind]

    # ---------------------------------------------------------------- the API

    def request(self, method: str, url: str, **kwargs: Any) -> Response:
        parsed = urlparse(url)
        query = parse_qs(parsed.query)
        path = parsed.path
        if path == "/v2.0/ip_addresses":
            kind = "ip-list"
        elif path.startswith("/v2.0/ip_addresses/"):
            kind = "ip"
        elif path.endswith("/ip_associations"):
            kind = "assoc-list"
        else:
            kind = "assoc"
        with self._lock:
            self.calls.append((method, kind, query))
        status, body = self._answer(method, kind, path, query, kwargs.get("json_body"))
        if status >= 400:
            raise (NotFound if status == 404 else ServerError)(
                "refused", status=status, method=method, url=url
            )
        return Response(status, {}, json.dumps(body).encode() if body is not None else b"")

    def _answer(
        self, method: str, kind: str, path: str, query: dict[str, list[str]], sent: Any
    ) -> tuple[int, Any]:
        last = path.rsplit("/", 1)[-1]
        if kind == "ip-list":
            if self.fail_listings:
                self.fail_listings -= 1
                status, body = 500, None
            else:
                status, body = 200, self._listing(query)
            self._held(kind)
            return status, body
        if kind == "ip":
            if method == "GET":
                return (200, {"ip_address": self.ips[last]}) if last in self.ips else (404, None)
            if method == "DELETE":
                return (204, None) if self.ips.pop(last, None) else (404, None)
            if method == "PUT":
                self.ips[last]["port_ids"] = sent["ip_address"]["port_ids"]
                return 200, {"ip_address": self.ips[last]}
        server = path.split("/servers/")[1].split("/")[0]
        if kind == "assoc-list":
            failing = self.fail_association_lists > 0
            self.fail_association_lists -= failing
            items = [
                {"id": i, "address": self.ips[i]["address"]}
                for i in self.associations.get(server, [])
            ]
            self._held(kind)
            if server not in self.associations:
                return 404, None
            return (500, None) if failing else (200, {"ip_associations": items})
        if method == "DELETE":
            self.associations[server].remove(last)
            return 204, None
        raise AssertionError(f"unexpected call {method} {path}")

    def _held(self, kind: str) -> None:
        hold = self.hold
        if hold is not None and kind in self.hold_kinds:
            self.holding.set()
            hold.wait(10)

    def _listing(self, query: dict[str, list[str]]) -> dict[str, Any]:
        items = [dict(ip) for i, ip in self.ips.items() if i not in self.unlisted]
        if not self.paginate:
            return {"ip_addresses": items}  # quark: limit and marker ignored, no links
        limit = int(query.get("limit", ["100"])[0])
        ids = [ip["id"] for ip in items]
        start = ids.index(query["marker"][0]) + 1 if "marker" in query else 0
        page = items[start : start + limit]
        body: dict[str, Any] = {"ip_addresses": page}
        if start + limit < len(items):
            href = f"{NET}/ip_addresses?limit={limit}&marker={page[-1]['id']}"
            body["ip_addresses_links"] = [{"rel": "next", "href": href}]
        return body


def make_client(cloud: Cloud, *, batch: bool = True) -> RackspaceClient:
    return RackspaceClient(cloud, _Identity(), "DFW", batch_reads=batch)  # type: ignore[arg-type]


def in_threads(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run `work(i)` for i in range(count) at once; results (or exceptions) in order."""
    results: list[Any] = [None] * count
    start = threading.Barrier(count)

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    return results


# ---------------------------------------------------------------- switch and threshold


def test_switch_reads_the_environment() -> None:
    assert batching_enabled({})
    assert batching_enabled({ENV_SWITCH: "1"})
    for off in ("0", "false", "No", "off"):
        assert not batching_enabled({ENV_SWITCH: off})


def test_off_means_one_get_per_read() -> None:
    cloud = Cloud(ips=20)
    client = make_client(cloud, batch=False)
    for i in range(20):
        assert client.reads.ip_address(ip_id(i))["id"] == ip_id(i)
    assert cloud.count("GET", "ip") == 20
    assert cloud.count("GET", "ip-list") == 0


def test_first_read_is_its_own_get_then_one_listing_serves_the_rest() -> None:
    cloud = Cloud(ips=50)
    client = make_client(cloud)
    client.reads.ip_address(ip_id(0))
    assert (cloud.count("GET", "ip"), cloud.count("GET", "ip-list")) == (1, 0)
    for i in range(1, 50):
        ip = client.reads.ip_address(ip_id(i))
        assert ip["address"] == cloud.ips[ip_id(i)]["address"]
        assert ip["version"] == 4 and ip["port_ids"] == cloud.ips[ip_id(i)]["port_ids"]
    assert (cloud.count("GET", "ip"), cloud.count("GET", "ip-list")) == (1, 1)
    assert cloud.queries("ip-list")[0] == {"limit": [str(PAGE_SIZE)]}


def test_a_tenant_far_larger_than_the_reads_is_not_listed_in_full() -> None:
    """1,000 IPs in pages of 100; 15 reads of IPs on late pages: at most 1 + 15 // 10 pages."""
    cloud = Cloud(ips=1000)
    cloud.paginate = True
    client = make_client(cloud)
    wanted = [ip_id(999 - i) for i in range(15)]
    for ident in wanted:
        assert client.reads.ip_address(ident)["id"] == ident
    pages = cloud.count("GET", "ip-list")
    assert 1 <= pages <= 2
    assert cloud.count("GET", "ip") == 15  # none of them was on the pages it could afford
    assert pages + cloud.count("GET", "ip") <= len(wanted) + 2


def test_threshold_lets_the_listing_grow_with_the_reads() -> None:
    """250 IPs in pages of 100 and reads of all of them: the whole tenant is listed (3 pages)
    and hardly any read needs its own GET."""
    cloud = Cloud(ips=250)
    cloud.paginate = True
    client = make_client(cloud)
    for i in range(250):
        client.reads.ip_address(ip_id(i))
    assert cloud.count("GET", "ip-list") == 3
    assert cloud.count("GET", "ip") == 1  # the first read, before the threshold


# ---------------------------------------------------------------- pagination


def test_pagination_follows_next_links_with_limit_and_marker() -> None:
    cloud = Cloud(ips=7)
    cloud.paginate = True
    client = make_client(cloud)
    reads = client.reads
    reads.page_size, reads.reads_per_page, reads.start_after_reads = 2, 1, 1
    for i in range(7):
        assert reads.ip_address(ip_id(i))["id"] == ip_id(i)
    assert cloud.count("GET", "ip") == 0
    assert cloud.queries("ip-list") == [
        {"limit": ["2"]},
        {"limit": ["2"], "marker": [ip_id(1)]},
        {"limit": ["2"], "marker": [ip_id(3)]},
        {"limit": ["2"], "marker": [ip_id(5)]},
    ]
    # The last page had no next link: the listing is complete, a miss is confirmed by a GET.
    with pytest.raises(NotFound):
        reads.ip_address(ip_id(99))
    assert cloud.count("GET", "ip-list") == 4 and cloud.count("GET", "ip") == 1


def test_an_api_that_ignores_limit_is_listed_in_one_call() -> None:
    cloud = Cloud(ips=7)  # quark: no links whatever limit says
    client = make_client(cloud)
    client.reads.page_size, client.reads.start_after_reads = 2, 1
    for i in range(7):
        client.reads.ip_address(ip_id(i))
    assert cloud.count("GET", "ip-list") == 1 and cloud.count("GET", "ip") == 0


# ---------------------------------------------------------------- single-flight


def test_concurrent_readers_wait_for_one_listing() -> None:
    cloud = Cloud(ips=40)
    client = make_client(cloud)
    cloud.hold = threading.Event()
    threading.Timer(0.3, cloud.hold.set).start()  # readers pile up behind the listing
    results = in_threads(40, lambda i: client.reads.ip_address(ip_id(i)))
    assert [r["id"] for r in results] == [ip_id(i) for i in range(40)]
    assert cloud.count("GET", "ip-list") == 1
    assert cloud.count("GET", "ip") == 1  # the process's first read, under the threshold


def test_associations_share_one_list_per_server() -> None:
    cloud = Cloud(ips=30)
    for s in range(3):
        cloud.associations[server_id(s)] = [ip_id(i) for i in range(30) if i % 3 == s]
    client = make_client(cloud)
    results = in_threads(
        30, lambda i: client.reads.ip_association(server_id(i % 3), ip_id(i).upper())
    )
    assert [r["id"] for r in results] == [ip_id(i) for i in range(30)]
    assert results[4]["address"] == cloud.ips[ip_id(4)]["address"]
    assert cloud.count("GET", "assoc-list") == 3


# ---------------------------------------------------------------- writes


def test_a_write_drops_the_listings() -> None:
    cloud = Cloud(ips=5)
    cloud.associations[server_id(0)] = [ip_id(0)]
    client = make_client(cloud)
    client.reads.start_after_reads = 1
    assert client.reads.ip_address(ip_id(1))["port_ids"] == ["p-1-a", "p-1-b"]
    assert client.reads.ip_association(server_id(0), ip_id(0)) is not None
    client.networks.update_ip_address(ip_id(1), ["p-1-a", "p-1-b", "p-new"])  # a PUT
    assert client.reads.ip_address(ip_id(1))["port_ids"] == ["p-1-a", "p-1-b", "p-new"]
    assert cloud.count("GET", "ip-list") == 2
    client.servers.disassociate(server_id(0), ip_id(0))  # a DELETE on the other service
    assert client.reads.ip_association(server_id(0), ip_id(0)) is None
    assert cloud.count("GET", "ip-list") == 2  # not read again: no IP read since
    assert cloud.count("GET", "assoc-list") == 3  # listed again, then the miss confirmed


def test_a_listing_that_began_before_a_write_is_not_stored() -> None:
    cloud = Cloud(ips=5)
    client = make_client(cloud)
    client.reads.start_after_reads = 1
    cloud.hold = hold = threading.Event()
    result: list[Any] = []

    def read() -> None:
        try:
            result.append(client.reads.ip_address(ip_id(3)))
        except Exception as exc:
            result.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    assert cloud.holding.wait(5)  # the listing has its answer (ip 3 in it) and is held
    cloud.hold = None
    client.networks.delete_ip_address(ip_id(3))  # a write while that listing is out
    hold.set()
    reader.join(5)
    # The stale listing was thrown away; the one listed after the write has no ip 3, and
    # the miss was confirmed by its own GET.
    assert len(result) == 1 and isinstance(result[0], NotFound)
    assert cloud.count("GET", "ip-list") == 2
    assert cloud.count("GET", "ip") == 1
    # The second listing was stored: further reads need no call.
    client.reads.ip_address(ip_id(4))
    assert cloud.count("GET", "ip-list") == 2 and cloud.count("GET", "ip") == 1


def test_reads_during_a_write_go_to_their_own_get() -> None:
    cloud = Cloud(ips=5)
    client = make_client(cloud)
    client.reads.start_after_reads = 1
    with client.session.writes.writing():
        client.reads.ip_address(ip_id(0))
        client.reads.ip_address(ip_id(1))
    assert (cloud.count("GET", "ip-list"), cloud.count("GET", "ip")) == (0, 2)


# ---------------------------------------------------------------- misses


def test_a_miss_is_confirmed_by_its_own_get() -> None:
    cloud = Cloud(ips=5)
    cloud.unlisted.add(ip_id(2))  # the listing lags behind the IP's own GET
    client = make_client(cloud)
    client.reads.start_after_reads = 1
    assert client.reads.ip_address(ip_id(2))["id"] == ip_id(2)
    with pytest.raises(NotFound):
        client.reads.ip_address(ip_id(9))
    assert [q for m, k, q in cloud.calls if k == "ip"] == [{}, {}]
    assert cloud.count("GET", "ip-list") == 1


def test_a_real_delete_is_reported_gone_by_the_resources() -> None:
    cloud = Cloud(ips=3)
    cloud.associations[server_id(0)] = [ip_id(0), ip_id(1)]
    # Deleted behind Terraform's back before this plan: missing from every listing.
    del cloud.ips[ip_id(2)]
    cloud.associations[server_id(0)].remove(ip_id(1))
    client = make_client(cloud)
    client.reads.start_after_reads = 1
    ips, assocs = IPAddress(client), ServerIPAssociation(client)
    ctx = Context(cancelled=threading.Event())
    state = {"id": ip_id(0), "network_id": PUBLICNET, "server_ids": None, "port_ids": None}
    assert ips.read(state, ctx)["address"] == cloud.ips[ip_id(0)]["address"]
    assert ips.read({**state, "id": ip_id(2)}, ctx) is None
    assert cloud.count("GET", "ip-list") == 1
    assert cloud.count("GET", "ip") == 1  # the confirming GET (404)
    kept = {"server_id": server_id(0), "ip_address_id": ip_id(0), "address": ""}
    gone = {**kept, "ip_address_id": ip_id(1)}
    assert assocs.read(kept, ctx)["id"] == f"{server_id(0)}/{ip_id(0)}"
    assert assocs.read(gone, ctx) is None
    assert cloud.count("GET", "assoc-list") == 2  # the shared list, then the confirming one


def test_a_missing_server_is_not_cached_and_each_reader_asks_itself() -> None:
    cloud = Cloud(ips=2)
    client = make_client(cloud)
    for i in range(3):
        with pytest.raises(NotFound):
            client.reads.ip_association(server_id(7), ip_id(i))
    assert cloud.count("GET", "assoc-list") == 3  # one each, as before batching
    cloud.associations[server_id(7)] = [ip_id(1)]  # the 404 was not remembered
    assert client.reads.ip_association(server_id(7), ip_id(1)) is not None


# ---------------------------------------------------------------- failures


def test_a_failed_listing_sends_each_waiter_to_its_own_get_and_is_not_cached() -> None:
    cloud = Cloud(ips=20)
    cloud.fail_listings = 1
    client = make_client(cloud)
    client.reads.start_after_reads = 1
    cloud.hold = threading.Event()
    threading.Timer(0.3, cloud.hold.set).start()
    results = in_threads(10, lambda i: client.reads.ip_address(ip_id(i)))
    assert [r["id"] for r in results] == [ip_id(i) for i in range(10)]
    assert cloud.count("GET", "ip-list") == 1
    assert cloud.count("GET", "ip") == 10  # each reader fell back to its own GET
    cloud.hold = None
    # Not cached: the next read lists again, and that listing serves the rest.
    for i in range(10, 20):
        client.reads.ip_address(ip_id(i))
    assert cloud.count("GET", "ip-list") == 2 and cloud.count("GET", "ip") == 10


def test_listing_is_given_up_after_repeated_failures() -> None:
    cloud = Cloud(ips=20)
    cloud.fail_listings = 100
    client = make_client(cloud)
    client.reads.start_after_reads = 1
    for i in range(20):
        assert client.reads.ip_address(ip_id(i))["id"] == ip_id(i)
    assert cloud.count("GET", "ip-list") == MAX_FAILED_LISTINGS
    assert cloud.count("GET", "ip") == 20


def test_a_failed_association_list_fails_its_reader_and_sends_waiters_to_their_own() -> None:
    cloud = Cloud(ips=6)
    cloud.associations[server_id(0)] = [ip_id(i) for i in range(6)]
    cloud.fail_association_lists = 1
    cloud.hold_kinds = {"assoc-list"}
    client = make_client(cloud)
    cloud.hold = threading.Event()
    threading.Timer(0.3, cloud.hold.set).start()
    results = in_threads(6, lambda i: client.reads.ip_association(server_id(0), ip_id(i)))
    failed = [r for r in results if isinstance(r, ServerError)]
    assert len(failed) == 1  # the reader whose call it was
    assert sorted(r["id"] for r in results if isinstance(r, dict)) == sorted(
        ip_id(i) for i in range(6) if not isinstance(results[i], ServerError)
    )
    assert cloud.count("GET", "assoc-list") == 6  # the failed one, then one per waiter


# ---------------------------------------------------------------- cancellation


def test_stop_provider_cancels_a_waiting_reader() -> None:
    cloud = Cloud(ips=5)
    client = make_client(cloud)
    client.reads.start_after_reads = 1
    cloud.hold = threading.Event()
    fetcher = threading.Thread(target=client.reads.ip_address, args=(ip_id(0),))
    fetcher.start()
    assert cloud.holding.wait(5)
    stop = threading.Event()  # the RPC's event, which StopProvider sets
    outcome: list[BaseException] = []

    def waiter() -> None:
        with cancellation_scope(stop):
            try:
                client.reads.ip_address(ip_id(1))
            except BaseException as exc:
                outcome.append(exc)

    thread = threading.Thread(target=waiter)
    thread.start()
    time.sleep(0.2)
    assert thread.is_alive() and not outcome  # waiting for the held listing
    started = time.monotonic()
    stop.set()
    thread.join(2)
    assert not thread.is_alive()
    assert time.monotonic() - started < 1.0
    assert len(outcome) == 1 and isinstance(outcome[0], Cancelled)
    cloud.hold.set()
    fetcher.join(5)
    assert cloud.count("GET", "ip") == 0  # the cancelled reader sent nothing of its own
