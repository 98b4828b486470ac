"""rackspace_ip_address: plan-time validation, CRUD against an in-memory cloud, diagnostics."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from provider.plugin import Context, ProviderError, Unknown
from provider.plugin.semantic import keep_prior_spelling
from provider.rackspace.api import coordination as coordination_module
from provider.rackspace.api.errors import ConnectionFailed, ServerError
from provider.rackspace.resources.ip_address import IPAddress
from provider.rackspace.resources.server_ip_association import ServerIPAssociation

from .fakes import PUBLICNET, FakeClient, FakeCloud
from .sdk_driver import Driver

T = "rackspace_ip_address"
S1, S2, S3 = (f"a1000000-0000-4000-8000-00000000000{i}" for i in (1, 2, 3))
BAD = "not-a-uuid"


@pytest.fixture
def cloud():
    c = FakeCloud()
    c.ports_of = {s: c.add_server(s) for s in (S1, S2, S3)}  # type: ignore[attr-defined]
    return c


def ctx() -> Context:
    return Context(cancelled=threading.Event())


def planned_config(**kw):
    base = dict.fromkeys(IPAddress.schema.attributes)
    base.update(
        id=Unknown, address=Unknown, subnet_id=Unknown, tenant_id=Unknown, type=Unknown, version=4
    )
    return base | kw


# ---------------------------------------------------------------- plan-time validation


@pytest.mark.parametrize(
    ("config", "path", "words"),
    [
        ({"network_id": BAD, "port_ids": {S1, S2}}, ("network_id",), "UUID"),
        ({"network_id": PUBLICNET, "version": 5, "port_ids": {S1, S2}}, ("version",), "4, 6"),
        ({"network_id": PUBLICNET, "port_ids": {S1}}, ("port_ids",), "at least 2"),
        ({"network_id": PUBLICNET, "port_ids": {S1, BAD}}, ("port_ids",), "UUID"),
        ({"network_id": PUBLICNET, "server_ids": {S1, BAD}}, ("server_ids",), "UUID"),
        ({"network_id": PUBLICNET, "port_ids": {S1, S2}, "server_ids": {S1, S2}}, None, "Exactly"),
        ({"network_id": PUBLICNET}, None, "Exactly one"),
    ],
)
def test_validation_points_at_the_attribute(config, path, words):
    diags = Driver(None).validate(T, config)
    assert diags, config
    assert any(words in d.summary + d.detail for d in diags), diags
    if path is not None:
        assert any(d.path is not None and d.path[: len(path)] == path for d in diags), diags


def test_valid_configs_pass_including_unknowns():
    d = Driver(None)
    assert d.validate(T, {"network_id": PUBLICNET.upper(), "port_ids": {S1, S2}}) == []
    assert d.validate(T, {"network_id": PUBLICNET, "server_ids": {S1, S2}, "version": 6}) == []
    assert d.validate(T, {"network_id": Unknown, "port_ids": Unknown}) == []


def test_plan_rules():
    d = Driver(None)
    planned, _, diags = d.plan(T, None, {"network_id": PUBLICNET, "server_ids": {S1, S2}})
    assert not diags
    assert planned["version"] == 4 and planned["port_ids"] is Unknown and planned["id"] is Unknown
    prior = {
        "id": "i",
        "network_id": PUBLICNET,
        "version": 4,
        "port_ids": frozenset({"p1", "p2"}),
        "server_ids": None,
        "address": "203.0.113.5",
        "subnet_id": "s",
        "tenant_id": "1",
        "type": "shared",
    }
    # port_ids change in place; computed values are kept
    planned, replace, _ = d.plan(
        T, prior, {"network_id": PUBLICNET, "port_ids": {"p1", "p2", "p3"}}
    )
    assert replace == [] and planned["address"] == "203.0.113.5" and planned["id"] == "i"
    # network_id and version force replacement
    _, replace, _ = d.plan(T, prior, {"network_id": S3, "port_ids": {"p1", "p2"}})
    assert replace == [("network_id",)]
    _, replace, _ = d.plan(
        T, prior, {"network_id": PUBLICNET, "version": 6, "port_ids": {"p1", "p2"}}
    )
    assert replace == [("version",)]
    # with server_ids, unchanged: port_ids keeps its prior value (no diff)
    by_server = prior | {"server_ids": frozenset({S1, S2})}
    planned, replace, _ = d.plan(T, by_server, {"network_id": PUBLICNET, "server_ids": {S1, S2}})
    assert replace == [] and planned["port_ids"] == frozenset({"p1", "p2"})
    _, replace, _ = d.plan(T, by_server, {"network_id": PUBLICNET, "server_ids": {S1, S3}})
    assert replace == [("server_ids",)]


# ---------------------------------------------------------------- CRUD


def test_create_read_update_delete_by_ports(cloud):
    r = IPAddress(FakeClient(cloud))
    p1, p2, p3 = (cloud.ports_of[s] for s in (S1, S2, S3))
    state = r.create(planned_config(network_id=PUBLICNET, port_ids=frozenset({p1, p2})), ctx())
    assert state["port_ids"] == frozenset({p1, p2}) and state["type"] == "shared"
    assert state["version"] == 4 and state["server_ids"] is None and state["address"]
    assert r.read(state, ctx()) == state
    updated = r.update(state, state | {"port_ids": frozenset({p1, p2, p3})}, ctx())
    assert updated["port_ids"] == frozenset({p1, p2, p3})
    assert set(cloud.ips[state["id"]]["port_ids"]) == {p1, p2, p3}
    r.delete(updated, ctx())
    assert cloud.ips == {}
    assert r.read(updated, ctx()) is None  # 404 on read: gone from state
    r.delete(updated, ctx())  # 404 on delete: success


def test_create_by_servers_computes_ports(cloud):
    r = IPAddress(FakeClient(cloud))
    state = r.create(
        planned_config(network_id=PUBLICNET, server_ids=frozenset({S1, S2}), port_ids=Unknown),
        ctx(),
    )
    assert state["port_ids"] == frozenset({cloud.ports_of[S1], cloud.ports_of[S2]})
    assert state["server_ids"] == frozenset({S1, S2})
    # the ports change behind Terraform's back: read reports the servers now holding it
    cloud.ips[state["id"]]["port_ids"] = [cloud.ports_of[S1], cloud.ports_of[S3]]
    assert r.read(state, ctx())["server_ids"] == frozenset({S1, S3})


def test_upper_case_ids_keep_their_spelling(cloud):
    r = IPAddress(FakeClient(cloud))
    p1, p2 = (cloud.ports_of[s] for s in (S1, S2))
    planned = planned_config(network_id=PUBLICNET, port_ids=frozenset({p1.upper(), p2}))
    # The spelling is kept by the schema's UUID type, which the SDK applies around the
    # resource's create and read (the resource itself answers with the API's ids).
    state = keep_prior_spelling(IPAddress.schema, planned, r.create(planned, ctx()))
    assert state["port_ids"] == frozenset({p1.upper(), p2})
    read = keep_prior_spelling(IPAddress.schema, state, r.read(state, ctx()))
    assert read["port_ids"] == frozenset({p1.upper(), p2})


def test_unknown_server_names_server_ids(cloud):
    r = IPAddress(FakeClient(cloud))
    with pytest.raises(ProviderError) as exc:
        r.create(
            planned_config(
                network_id=PUBLICNET,
                port_ids=Unknown,
                server_ids=frozenset({S1, "a1000000-0000-4000-8000-0000000000ff"}),
            ),
            ctx(),
        )
    assert exc.value.path == ("server_ids",)
    assert "404" in exc.value.detail and "NotAllPortOrDeviceFound" in exc.value.detail
    # the one missing is named, the one that exists is not
    detail = exc.value.detail
    assert "server a1000000-0000-4000-8000-0000000000ff: no such server" in detail
    assert f"server {S1}" not in detail
    assert cloud.ips == {}


def test_server_without_a_port_on_the_network_is_named_with_why(cloud):
    elsewhere = "a1000000-0000-4000-8000-0000000000ee"
    cloud.add_server(elsewhere, network_id="5ea1c0de-0000-4000-8000-000000000001")
    missing = "a1000000-0000-4000-8000-0000000000ff"
    r = IPAddress(FakeClient(cloud))
    with pytest.raises(ProviderError) as exc:
        r.create(
            planned_config(
                network_id=PUBLICNET,
                port_ids=Unknown,
                server_ids=frozenset({S1, elsewhere, missing}),
            ),
            ctx(),
        )
    detail = exc.value.detail
    assert f"server {elsewhere}: has no port on network {PUBLICNET}" in detail
    assert f"server {missing}: no such server in this account and region" in detail
    assert f"server {S1}" not in detail and "Fix or remove them" in detail


def test_unknown_ports_are_named_on_create_and_update(cloud):
    r = IPAddress(FakeClient(cloud))
    ghost = "d0000000-0000-4000-8000-000000000001"
    good = frozenset(cloud.ports_of[s] for s in (S1, S2))
    with pytest.raises(ProviderError) as exc:
        r.create(planned_config(network_id=PUBLICNET, port_ids=good | {ghost}), ctx())
    assert exc.value.path == ("port_ids",)
    assert f"Not found in `port_ids`: port {ghost}: no such port" in exc.value.detail
    state = r.create(planned_config(network_id=PUBLICNET, port_ids=good), ctx())
    with pytest.raises(ProviderError) as exc:
        r.update(state, state | {"port_ids": good | {ghost}}, ctx())
    assert f"port {ghost}: no such port" in exc.value.detail
    assert cloud.ports_of[S1] not in exc.value.detail.split("Not found")[-1]


def test_lookup_failure_falls_back_to_the_generic_hint(cloud):
    def broken(**kw):  # the lookup that would name the missing server fails
        raise ServerError("down", status=503)

    cloud.list_ports = broken
    r = IPAddress(FakeClient(cloud))
    with pytest.raises(ProviderError) as exc:
        r.create(
            planned_config(
                network_id=PUBLICNET,
                port_ids=Unknown,
                server_ids=frozenset({S1, "a1000000-0000-4000-8000-0000000000ff"}),
            ),
            ctx(),
        )
    assert "Some of the servers in `server_ids` were not found" in exc.value.detail


def test_delete_while_associated_names_the_servers(cloud):
    r = IPAddress(FakeClient(cloud))
    ports = frozenset(cloud.ports_of[s] for s in (S1, S2, S3))
    state = r.create(planned_config(network_id=PUBLICNET, port_ids=ports), ctx())
    cloud.associated |= {(S1, state["id"]), (S3, state["id"])}
    with pytest.raises(ProviderError) as exc:
        r.delete(state, ctx())
    detail = exc.value.detail
    assert exc.value.summary == f"Failed to delete shared IP {state['id']}"
    assert S1 in detail and S3 in detail and S2 not in detail
    assert "rackspace_server_ip_association" in detail and "PortRequiresDisassociation" in detail
    assert state["id"] in cloud.ips


def test_removing_an_associated_port_names_the_server(cloud):
    r = IPAddress(FakeClient(cloud))
    ports = frozenset(cloud.ports_of[s] for s in (S1, S2, S3))
    state = r.create(planned_config(network_id=PUBLICNET, port_ids=ports), ctx())
    cloud.associated |= {(S1, state["id"]), (S3, state["id"])}
    with pytest.raises(ProviderError) as exc:
        r.update(state, state | {"port_ids": ports - {cloud.ports_of[S3]}}, ctx())
    assert exc.value.path == ("port_ids",)
    assert S3 in exc.value.detail and S1 not in exc.value.detail


def test_lost_answer_adopts_the_one_new_ip(cloud):
    """The POST committed but its answer was lost: the one IP that appeared on these ports
    since the POST is this request's, and is taken over; nothing is sent twice."""
    cloud.create_outcome = "ambiguous-created"
    r = IPAddress(FakeClient(cloud))
    ports = frozenset(cloud.ports_of[s] for s in (S1, S2))
    c = ctx()
    state = r.create(planned_config(network_id=PUBLICNET, port_ids=ports), c)
    [made] = cloud.ips
    assert state["id"] == made and state["port_ids"] == ports and not c.has_errors
    assert [x for x in cloud.calls if x[0] == "create_ip_address"] == [
        ("create_ip_address", PUBLICNET)
    ]


def test_lost_answer_by_servers_adopts_the_one_new_ip(cloud):
    cloud.create_outcome = "ambiguous-created"
    r = IPAddress(FakeClient(cloud))
    state = r.create(
        planned_config(network_id=PUBLICNET, port_ids=Unknown, server_ids=frozenset({S1, S2})),
        ctx(),
    )
    [made] = cloud.ips
    assert state["id"] == made


def test_lost_answer_never_adopts_an_ip_that_was_there_before(cloud):
    """An IP on the same ports that existed before the POST (another workspace's, an orphan)
    is not this request's."""
    ports = frozenset(cloud.ports_of[s] for s in (S1, S2))
    older = cloud.create_ip_address(network_id=PUBLICNET, version=4, port_ids=list(ports))["id"]
    cloud.create_outcome = "ambiguous-created"
    state = IPAddress(FakeClient(cloud)).create(
        planned_config(network_id=PUBLICNET, port_ids=ports), ctx()
    )
    assert state["id"] != older and set(cloud.ips) == {older, state["id"]}


class AnotherToolMeanwhile(FakeCloud):
    """While the POST is in flight, `meanwhile` runs (another create elsewhere)."""

    meanwhile: Any = None

    def create_ip_address(self, **kw: Any) -> dict:
        if self.meanwhile is not None:
            hook, self.meanwhile = self.meanwhile, None
            hook()
        return super().create_ip_address(**kw)


def test_two_new_ips_are_ambiguous_and_named():
    cloud = AnotherToolMeanwhile()
    ports = [cloud.add_server(s) for s in (S1, S2)]

    def another_tool() -> None:
        cloud.create_outcome = "ok"
        FakeCloud.create_ip_address(cloud, network_id=PUBLICNET, version=4, port_ids=ports)
        cloud.create_outcome = "ambiguous-created"

    cloud.meanwhile = another_tool
    cloud.create_outcome = "ambiguous-created"
    with pytest.raises(ProviderError) as exc:
        IPAddress(FakeClient(cloud)).create(
            planned_config(network_id=PUBLICNET, port_ids=frozenset(ports)), ctx()
        )
    assert exc.value.summary == "Creating the shared IP may have succeeded"
    assert len(cloud.ips) == 2
    for ip_id in cloud.ips:
        assert ip_id in exc.value.detail
    assert "terraform import rackspace_ip_address.<name>" in exc.value.detail


def test_parallel_creates_of_one_walk_never_adopt_each_others_ip():
    """One resource by ports and one by the same servers: the first's IP, made while the
    second's POST was in flight, is known to this walk and not taken by the second."""
    cloud = AnotherToolMeanwhile()
    ports = [cloud.add_server(s) for s in (S1, S2)]
    client = FakeClient(cloud)
    first: list[dict] = []
    cloud.meanwhile = lambda: first.append(
        IPAddress(client).create(
            planned_config(network_id=PUBLICNET, port_ids=frozenset(ports)), ctx()
        )
    )

    def second_loses_its_answer(**kw: Any) -> dict:
        cloud.create_outcome = "ambiguous-created"
        return AnotherToolMeanwhile.create_ip_address(cloud, **kw)

    cloud.create_ip_address = second_loses_its_answer  # type: ignore[method-assign]
    second = IPAddress(client).create(
        planned_config(network_id=PUBLICNET, port_ids=Unknown, server_ids=frozenset({S1, S2})),
        ctx(),
    )
    assert second["id"] != first[0]["id"] and set(cloud.ips) == {first[0]["id"], second["id"]}


class DownAfterPost(FakeCloud):
    """The POST's answer is lost, and the API stays down for the check that follows."""

    down = False
    commits = True

    def create_ip_address(self, **kw: Any) -> dict:
        self.create_outcome = "ambiguous-created" if self.commits else "ambiguous-none"
        try:
            return super().create_ip_address(**kw)
        finally:
            self.down = True

    def list_ip_addresses(self, **filters: Any) -> list[dict]:
        if self.down:
            raise ConnectionFailed("connection refused", kind="refused")
        return super().list_ip_addresses(**filters)


@pytest.mark.parametrize("commits", [True, False], ids=["it-made-one", "it-made-none"])
def test_unresolved_create_is_kept_tainted_and_settled_later(commits):
    cloud = DownAfterPost()
    cloud.commits = commits
    ports = frozenset(cloud.add_server(s) for s in (S1, S2))
    client = FakeClient(cloud)
    c = ctx()
    partial = IPAddress(client).create(planned_config(network_id=PUBLICNET, port_ids=ports), c)
    # returned with an error: Terraform keeps it as a tainted object
    assert c.has_errors and partial["id"] == "unresolved-create"
    [error] = c.diagnostics
    assert "may or may not have succeeded" in error.summary and "untaint" in error.detail
    assert set(c.private["unresolved_create"]) == {"before", "others"}
    assert partial["port_ids"] == ports and partial["network_id"] == PUBLICNET
    # the API is back; the next command's refresh settles it
    cloud.down = False
    later = Context(cancelled=threading.Event(), private=dict(c.private))
    settled = IPAddress(client.next_walk()).read(partial, later)
    assert later.private == {}
    if commits:
        [made] = cloud.ips
        assert settled is not None and settled["id"] == made
    else:
        assert settled is None and cloud.ips == {}


def test_unresolved_create_is_deleted_by_destroy_without_refresh():
    cloud = DownAfterPost()
    ports = frozenset(cloud.add_server(s) for s in (S1, S2))
    client = FakeClient(cloud)
    c = ctx()
    partial = IPAddress(client).create(planned_config(network_id=PUBLICNET, port_ids=ports), c)
    cloud.down = False
    destroy = Context(cancelled=threading.Event(), private=dict(c.private))
    IPAddress(client.next_walk()).delete(partial, destroy)
    assert cloud.ips == {}


def test_settling_while_the_api_is_still_down_fails_without_forgetting():
    cloud = DownAfterPost()
    ports = frozenset(cloud.add_server(s) for s in (S1, S2))
    client = FakeClient(cloud)
    c = ctx()
    partial = IPAddress(client).create(planned_config(network_id=PUBLICNET, port_ids=ports), c)
    later = Context(cancelled=threading.Event(), private=dict(c.private))
    with pytest.raises(ProviderError, match="Could not settle an earlier create"):
        IPAddress(client.next_walk()).read(partial, later)
    assert "unresolved_create" in later.private


def test_ambiguous_create_without_candidate_says_retry(cloud):
    cloud.create_outcome = "ambiguous-none"
    r = IPAddress(FakeClient(cloud))
    ports = frozenset(cloud.ports_of[s] for s in (S1, S2))
    with pytest.raises(ProviderError) as exc:
        r.create(planned_config(network_id=PUBLICNET, port_ids=ports), ctx())
    assert "none was created" in exc.value.detail and "apply again" in exc.value.detail


def test_import(cloud):
    r = IPAddress(FakeClient(cloud))
    state = r.create(
        planned_config(
            network_id=PUBLICNET, port_ids=frozenset(cloud.ports_of[s] for s in (S1, S2))
        ),
        ctx(),
    )
    partial = r.import_state(state["id"], ctx())
    assert r.read(partial, ctx()) == state
    with pytest.raises(ProviderError) as exc:
        r.import_state("203.0.113.5", ctx())
    assert "UUID" in exc.value.detail


def test_operations_run_under_the_rpc_cancel_event(cloud):
    """The core makes the RPC's event current for the resource's calls (the transport reads
    it), so resource code binds nothing by hand."""
    from provider.plugin.context import cancellation_scope, current_cancellation

    seen = []

    class Recording(FakeCloud):
        def get_ip_address(self, ip_id: str) -> dict:
            seen.append(current_cancellation())
            return super().get_ip_address(ip_id)

    c = ctx()
    with cancellation_scope(c.cancelled):
        IPAddress(FakeClient(Recording())).read({"id": "x"}, c)
    assert seen == [c.cancelled]
    assert current_cancellation() is None


# ---------------------------------------------------------------- removals in the same walk


@pytest.fixture
def short_removal_grace(monkeypatch):
    monkeypatch.setattr(coordination_module, "REMOVAL_GRACE", 0.3)


class SlowDisassociation(FakeCloud):
    """Association DELETEs take `delay` seconds before they take effect."""

    delay = 0.3

    def disassociate(self, server_id: str, ip_id: str) -> None:
        time.sleep(self.delay)
        super().disassociate(server_id, ip_id)


@pytest.mark.parametrize("ip_first", [True, False], ids=["ip-delete-first", "removals-first"])
def test_delete_waits_for_removals_of_the_same_walk(short_removal_grace, ip_first):
    """Destroy with no order between the IP and its associations: the IP's DELETE is refused
    while the walk's association DELETEs are in flight, waits for them, and succeeds."""
    cloud = SlowDisassociation()
    ports = {s: cloud.add_server(s) for s in (S1, S2)}
    client = FakeClient(cloud)
    r, assoc = IPAddress(client), ServerIPAssociation(client)
    state = r.create(
        planned_config(network_id=PUBLICNET, port_ids=frozenset(ports.values())), ctx()
    )
    cloud.associated |= {(S1, state["id"]), (S2, state["id"])}
    pairs = [{"id": "", "server_id": s, "ip_address_id": state["id"], "address": ""} for s in ports]
    removals = [threading.Thread(target=assoc.delete, args=(p, ctx())) for p in pairs]
    if not ip_first:
        for t in removals:
            t.start()
    time.sleep(0.05)
    if ip_first:
        threading.Timer(0.1, lambda: [t.start() for t in removals]).start()
    r.delete(state, ctx())
    for t in removals:
        t.join(5)
    assert cloud.ips == {} and cloud.associated == set()
    # the first DELETE was refused (associations still there), a later one went through
    assert cloud.calls.count(("delete_ip_address", state["id"])) >= 2


def test_delete_fails_when_nobody_removes_the_associations(cloud, short_removal_grace):
    r = IPAddress(FakeClient(cloud))
    ports = frozenset(cloud.ports_of[s] for s in (S1, S2))
    state = r.create(planned_config(network_id=PUBLICNET, port_ids=ports), ctx())
    cloud.associated.add((S2, state["id"]))
    started = time.monotonic()
    with pytest.raises(ProviderError) as exc:
        r.delete(state, ctx())
    assert 0.3 <= time.monotonic() - started < 3
    assert S2 in exc.value.detail and "nothing in this run is removing" in exc.value.detail
    assert cloud.calls.count(("delete_ip_address", state["id"])) == 1


def test_update_waits_for_the_removal_of_the_dropped_server(short_removal_grace):
    """Dropping a server's port while the same walk removes that server's association."""
    cloud = SlowDisassociation()
    ports = {s: cloud.add_server(s) for s in (S1, S2, S3)}
    client = FakeClient(cloud)
    r, assoc = IPAddress(client), ServerIPAssociation(client)
    state = r.create(
        planned_config(network_id=PUBLICNET, port_ids=frozenset(ports.values())), ctx()
    )
    cloud.associated.add((S3, state["id"]))
    pair = {"id": "", "server_id": S3, "ip_address_id": state["id"], "address": ""}
    removal = threading.Thread(target=assoc.delete, args=(pair, ctx()))
    removal.start()
    time.sleep(0.05)
    new = r.update(state, state | {"port_ids": frozenset(ports.values()) - {ports[S3]}}, ctx())
    removal.join(5)
    assert new["port_ids"] == frozenset({ports[S1], ports[S2]})
    assert cloud.calls.count(("update_ip_address", state["id"])) == 2


# ---------------------------------------------------------------- references checked at plan time

GHOST_SERVER = "a1000000-0000-4000-8000-0000000000ff"
GHOST_PORT = "d0000000-0000-4000-8000-000000000001"
OTHER_NET = "5ea1c0de-0000-4000-8000-000000000001"


def test_plan_names_a_missing_server_at_its_attribute(cloud):
    cloud.add_server("a1000000-0000-4000-8000-0000000000ee", network_id=OTHER_NET)
    d = Driver(FakeClient(cloud))
    servers = {S1, GHOST_SERVER, "a1000000-0000-4000-8000-0000000000ee"}
    _, _, [diag] = d.plan(T, None, {"network_id": PUBLICNET, "server_ids": servers})
    assert diag.path == ("server_ids",) and diag.summary == "Servers not found"
    assert f"server {GHOST_SERVER}: no such server in this account and region" in diag.detail
    assert f"has no port on network {PUBLICNET}" in diag.detail
    assert f"server {S1}" not in diag.detail
    assert not [c for c in cloud.calls if c[0] == "create_ip_address"]


def test_plan_names_a_missing_network_and_port(cloud):
    d = Driver(FakeClient(cloud))
    ports = {cloud.ports_of[S1], cloud.ports_of[S2]}
    _, _, [diag] = d.plan(T, None, {"network_id": OTHER_NET, "port_ids": ports})
    assert diag.path == ("network_id",) and OTHER_NET in diag.detail
    _, _, [diag] = d.plan(T, None, {"network_id": PUBLICNET, "port_ids": ports | {GHOST_PORT}})
    assert diag.path == ("port_ids",) and f"port {GHOST_PORT}: no such port" in diag.detail
    _, _, diags = d.plan(T, None, {"network_id": PUBLICNET, "port_ids": ports})
    assert diags == []


def test_plan_looks_each_object_up_once_per_process(cloud):
    """Many IPs over the same servers: one network lookup, one port listing, one lookup of the
    missing server, whatever the number of resources."""
    d = Driver(FakeClient(cloud))
    for _ in range(5):
        _, _, diags = d.plan(T, None, {"network_id": PUBLICNET, "server_ids": {S1, S2}})
        assert diags == []
        _, _, diags = d.plan(T, None, {"network_id": PUBLICNET, "server_ids": {S1, GHOST_SERVER}})
        assert len(diags) == 1
    counted = [c[0] for c in cloud.calls]
    assert counted.count("get_network") == 1
    assert counted.count("list_ports") == 1
    assert counted.count("get_server") == 1


def test_plan_checks_only_new_known_values_and_tolerates_lookup_failures(cloud):
    d = Driver(FakeClient(cloud))
    prior = {
        "id": "i",
        "network_id": PUBLICNET,
        "version": 4,
        "port_ids": frozenset({GHOST_PORT, cloud.ports_of[S1]}),
        "server_ids": None,
        "address": "a",
        "subnet_id": "s",
        "tenant_id": "1",
        "type": "shared",
    }
    # unchanged (even if gone since: refresh deals with that): no lookup at all
    _, _, diags = d.plan(T, prior, {"network_id": PUBLICNET, "port_ids": set(prior["port_ids"])})
    assert diags == [] and cloud.calls == []
    # unknown values are left for the apply (the known network is still checked)
    _, _, diags = d.plan(T, None, {"network_id": PUBLICNET, "server_ids": Unknown})
    assert diags == [] and "get_server" not in [c[0] for c in cloud.calls]
    d = Driver(FakeClient(cloud))  # a new process: nothing remembered

    def down(*_a, **_kw):
        raise ServerError("down", status=503)

    cloud.get_network = down
    _, _, diags = d.plan(T, None, {"network_id": PUBLICNET, "server_ids": {S1, GHOST_SERVER}})
    assert diags == []
