"""rackspace_server_ip_association: adoption, 404 handling, import, validation."""

from __future__ import annotations

import threading
import time

import pytest

from provider.plugin import Context, ProviderError, Unknown
from provider.plugin.diagnostics import Severity
from provider.rackspace.resources.server_ip_association import ServerIPAssociation

from .fakes import PUBLICNET, FakeClient, FakeCloud
from .sdk_driver import Driver

T = "rackspace_server_ip_association"
S1, S2, S9 = (f"a1000000-0000-4000-8000-00000000000{i}" for i in (1, 2, 9))


@pytest.fixture
def setup():
    cloud = FakeCloud()
    ports = [cloud.add_server(S1), cloud.add_server(S2)]
    ip = cloud.create_ip_address(network_id=PUBLICNET, version=4, port_ids=ports)
    return cloud, ip["id"], ServerIPAssociation(FakeClient(cloud))


def ctx() -> Context:
    return Context(cancelled=threading.Event())


def plan(server_id, ip_id):
    return {"id": Unknown, "server_id": server_id, "ip_address_id": ip_id, "address": Unknown}


def test_create_read_delete(setup):
    cloud, ip_id, r = setup
    state = r.create(plan(S1, ip_id), ctx())
    assert state == {
        "id": f"{S1}/{ip_id}",
        "server_id": S1,
        "ip_address_id": ip_id,
        "address": cloud.ips[ip_id]["address"],
    }
    assert (S1, ip_id) in cloud.associated
    r = ServerIPAssociation(r.client.next_walk())  # a later command
    assert r.read(state, ctx()) == state
    r.delete(state, ctx())
    assert cloud.associated == set()
    assert r.read(state, ctx()) is None  # association gone: removed from state
    r.delete(state, ctx())  # 404 on delete is success


@pytest.mark.parametrize("put_400", [False, True], ids=["idempotent-put", "put-400-already"])
def test_existing_association_is_taken_over_with_a_warning(setup, put_400):
    """However the API answers a repeated PUT, an association it held before is reported: a
    warning that names it and the ways out."""
    cloud, ip_id, r = setup
    cloud.associated.add((S1, ip_id))
    cloud.repeat_put_400 = put_400
    c = ctx()
    state = r.create(plan(S1, ip_id), c)
    assert state["id"] == f"{S1}/{ip_id}" and state["address"] == cloud.ips[ip_id]["address"]
    [warning] = c.diagnostics
    assert warning.severity is Severity.WARNING
    assert warning.summary == "Association already existed"
    detail = warning.detail
    assert f"Server {S1} was already explicitly associated with shared IP {ip_id}" in detail
    assert f"terraform import rackspace_server_ip_association.<name> {S1}/{ip_id}" in detail
    assert "`moved` block" in detail and "terraform state rm" in detail
    assert cloud.associated == {(S1, ip_id)}
    # the lookup decided, not the PUT's status: no PUT was sent
    assert ("associate", S1, ip_id) not in cloud.calls


def test_new_association_gives_no_warning(setup):
    cloud, ip_id, r = setup
    c = ctx()
    r.create(plan(S1, ip_id), c)
    assert c.diagnostics == []
    assert cloud.calls[-1] == ("associate", S1, ip_id)


def test_race_after_the_lookup_is_confirmed_and_reported(setup):
    """The lookup found nothing, then the PUT said "already exists": confirmed by the list,
    and reported like any association that existed before."""
    cloud, ip_id, r = setup
    cloud.repeat_put_400 = True
    real_find = cloud.find_ip_association
    lookups: list[str] = []

    def find(server_id: str, ip: str) -> dict | None:
        lookups.append(server_id)
        return None if len(lookups) == 1 else real_find(server_id, ip)

    cloud.find_ip_association = find
    cloud.associated.add((S1, ip_id))
    c = ctx()
    r.create(plan(S1, ip_id), c)
    assert ("associate", S1, ip_id) in cloud.calls and len(lookups) == 2
    assert [d.summary for d in c.diagnostics] == ["Association already existed"]


def test_create_before_destroy_replacement_keeps_the_association(setup):
    """The apply of a create_before_destroy replacement: the new instance's create finds the
    association, then the deposed instance's destroy leaves it to the new one."""
    cloud, ip_id, r = setup
    old = r.create(plan(S1, ip_id), ctx())
    r = ServerIPAssociation(r.client.next_walk())  # the apply that replaces it
    new = r.create(plan(S1, ip_id), ctx())
    r.delete(old, ctx())  # the deposed instance
    assert new == old and cloud.associated == {(S1, ip_id)}
    assert not [c for c in cloud.calls if c[0] == "disassociate"]
    later = ServerIPAssociation(r.client.next_walk())
    later.delete(new, ctx())  # a later destroy does remove it
    assert cloud.associated == set()


def test_replacement_without_create_before_destroy(setup):
    """Plain -replace: the destroy runs first, then the create makes it anew."""
    cloud, ip_id, r = setup
    old = r.create(plan(S1, ip_id), ctx())
    r = ServerIPAssociation(r.client.next_walk())
    r.delete(old, ctx())
    assert cloud.associated == set()
    c = ctx()
    assert r.create(plan(S1, ip_id), c) == old and c.diagnostics == []
    assert cloud.associated == {(S1, ip_id)}


def test_destroy_leaves_an_association_created_in_the_same_walk(setup):
    """Stale state (the old instance's association vanished, then a new instance made it again
    in this apply): the old instance's destroy must not remove the new one's association."""
    cloud, ip_id, r = setup
    old = r.create(plan(S1, ip_id), ctx())
    cloud.associated.clear()  # gone behind Terraform's back; refresh skipped
    r = ServerIPAssociation(r.client.next_walk())
    r.create(plan(S1, ip_id), ctx())
    r.delete(old, ctx())
    assert cloud.associated == {(S1, ip_id)}
    assert not [c for c in cloud.calls if c[0] == "disassociate"]


def test_two_destroys_after_one_create_remove_it_once_handed_over(setup):
    """Only as many destroys are absorbed as creates happened: the claim is consumed."""
    cloud, ip_id, r = setup
    old = r.create(plan(S1, ip_id), ctx())
    r = ServerIPAssociation(r.client.next_walk())
    r.create(plan(S1, ip_id), ctx())
    r.delete(old, ctx())
    assert cloud.associated == {(S1, ip_id)}
    r.delete(old, ctx())
    assert cloud.associated == set()


def test_two_creates_of_one_association_in_one_walk_are_an_error(setup):
    """Declared twice in one configuration: the second create of the same apply fails."""
    cloud, ip_id, r = setup
    r.create(plan(S1, ip_id), ctx())
    with pytest.raises(ProviderError) as exc:
        r.create(plan(S1, ip_id), ctx())
    assert exc.value.summary == "Association declared twice"
    assert S1 in exc.value.detail and ip_id in exc.value.detail
    assert cloud.associated == {(S1, ip_id)}


@pytest.mark.parametrize("first", ["create", "delete"])
def test_renamed_key_in_one_walk_keeps_the_association(setup, first):
    """A `for_each` key renamed without `moved`: the new key's create and the old key's destroy
    run in parallel in one walk, in either order; the association survives either way."""
    cloud, ip_id, r = setup
    old = r.create(plan(S1, ip_id), ctx())
    r = ServerIPAssociation(r.client.next_walk())
    results: dict[str, object] = {}

    def create() -> None:
        results["create"] = r.create(plan(S1, ip_id), ctx())

    def delete() -> None:
        r.delete(old, ctx())
        results["delete"] = None

    order = [create, delete] if first == "create" else [delete, create]
    threads = [threading.Thread(target=f) for f in order]
    for t in threads:
        t.start()
        t.join(0.05)  # let the first one reach the API first
    for t in threads:
        t.join(10)
    assert results["create"] == old and "delete" in results
    assert cloud.associated == {(S1, ip_id)}


def test_operations_on_one_association_run_one_at_a_time(setup):
    """A slow DELETE and a create of the same pair never overlap in the API."""
    cloud, ip_id, r = setup
    old = r.create(plan(S1, ip_id), ctx())
    r = ServerIPAssociation(r.client.next_walk())
    active: list[int] = []
    overlaps: list[int] = []
    real_disassociate, real_find = cloud.disassociate, cloud.find_ip_association

    def tracked(fn):
        def run(*args):
            active.append(1)
            overlaps.append(len(active))
            time.sleep(0.1)
            try:
                return fn(*args)
            finally:
                active.pop()

        return run

    cloud.disassociate = tracked(real_disassociate)
    cloud.find_ip_association = tracked(real_find)
    threads = [
        threading.Thread(target=r.delete, args=(old, ctx())),
        threading.Thread(target=r.create, args=(plan(S1, ip_id), ctx())),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert max(overlaps) == 1
    assert cloud.associated == {(S1, ip_id)}


def test_server_gone_removes_from_state(setup):
    cloud, ip_id, r = setup
    state = r.create(plan(S1, ip_id), ctx())
    cloud.servers.discard(S1)
    assert r.read(state, ctx()) is None


def test_unknown_server_is_a_clear_error(setup):
    _, ip_id, r = setup
    with pytest.raises(ProviderError) as exc:
        r.create(plan(S9, ip_id), ctx())
    assert exc.value.summary == f"Failed to associate shared IP {ip_id} with server {S9}"
    assert "404" in exc.value.detail and "does not exist" in exc.value.detail


def test_missing_ip_or_unprovisioned_ip_is_named(setup):
    cloud, ip_id, r = setup
    ghost = "d0000000-0000-4000-8000-000000000009"
    with pytest.raises(ProviderError) as exc:
        r.create(plan(S1, ghost), ctx())
    assert f"Shared IP {ghost} does not exist" in exc.value.detail
    S3 = "a1000000-0000-4000-8000-000000000003"
    cloud.add_server(S3)
    with pytest.raises(ProviderError) as exc:
        r.create(plan(S3, ip_id), ctx())
    assert f"Shared IP {ip_id} is not provisioned on any port of server {S3}" in exc.value.detail


def test_import(setup):
    cloud, ip_id, r = setup
    cloud.associated.add((S2, ip_id))
    partial = r.import_state(f"{S2}/{ip_id}", ctx())
    assert partial["server_id"] == S2 and partial["ip_address_id"] == ip_id
    assert r.read(partial, ctx())["address"] == cloud.ips[ip_id]["address"]


@pytest.mark.parametrize("bad", ["", "x", f"{S1}", f"{S1}/", f"{S1}/nope", f"{S1}/{S2}/{S2}"])
def test_malformed_import_id(setup, bad):
    _, _, r = setup
    with pytest.raises(ProviderError) as exc:
        r.import_state(bad, ctx())
    assert "<server_id>/<ip_address_id>" in exc.value.detail


def test_validation_and_replacement():
    d = Driver(None)
    [diag] = d.validate(T, {"server_id": "nope", "ip_address_id": S2})
    assert diag.path == ("server_id",) and "UUID" in diag.detail
    prior = {"id": f"{S1}/{S2}", "server_id": S1, "ip_address_id": S2, "address": "a"}
    planned, replace, _ = d.plan(T, prior, {"server_id": S9, "ip_address_id": S2})
    assert replace == [("server_id",)]
    planned, replace, _ = d.plan(T, prior, {"server_id": S1, "ip_address_id": S2})
    assert replace == [] and planned == prior


def test_plan_names_a_missing_server_or_ip_once_per_process(setup):
    cloud, ip_id, _ = setup
    d = Driver(FakeClient(cloud))
    ghost = "d0000000-0000-4000-8000-000000000009"
    for _ in range(3):
        _, _, [diag] = d.plan(T, None, {"server_id": S9, "ip_address_id": ip_id})
        assert diag.path == ("server_id",) and S9 in diag.detail
        _, _, [diag] = d.plan(T, None, {"server_id": S1, "ip_address_id": ghost})
        assert diag.path == ("ip_address_id",) and ghost in diag.detail
        _, _, diags = d.plan(T, None, {"server_id": S1, "ip_address_id": Unknown})
        assert diags == []
    names = [c[0] for c in cloud.calls]
    # One listing of servers for the process; the one it lacks (S9) confirmed once on its own.
    assert names.count("list_server_ids") == 1
    assert [c for c in cloud.calls if c[0] == "get_server"] == [("get_server", S9)]
    assert [c for c in cloud.calls if c[0] == "get_ip_address"] == [("get_ip_address", ghost)]
