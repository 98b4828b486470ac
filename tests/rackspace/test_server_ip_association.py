"""rackspace_server_ip_association: adoption, 404 handling, import, validation."""

from __future__ import annotations

import threading

import pytest

from provider.plugin import Context, ProviderError, Unknown
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
    assert r.read(state, ctx()) == state
    r.delete(state, ctx())
    assert cloud.associated == set()
    assert r.read(state, ctx()) is None  # association gone: removed from state
    r.delete(state, ctx())  # 404 on delete is success


def test_existing_association_is_adopted(setup):
    cloud, ip_id, r = setup
    cloud.associated.add((S1, ip_id))
    assert r.create(plan(S1, ip_id), ctx())["id"] == f"{S1}/{ip_id}"  # idempotent PUT
    cloud.repeat_put_400 = True  # a deployment that answers 400 "already exists"
    state = r.create(plan(S1, ip_id), ctx())
    assert state["address"] == cloud.ips[ip_id]["address"]
    assert ("list_ip_associations", S1) in cloud.calls


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
