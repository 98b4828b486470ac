"""The API client and resources against the real sandbox over HTTP (fast, no Terraform)."""

from __future__ import annotations

import threading

import pytest

from provider.plugin import Context, ProviderError, Unknown
from provider.rackspace.api.client import RackspaceClient, connect
from provider.rackspace.api.errors import BadRequest, NotFound
from provider.rackspace.api.identity import clear_token_cache
from provider.rackspace.config import resolve
from provider.rackspace.resources.ip_address import IPAddress
from provider.rackspace.resources.server_ip_association import ServerIPAssociation
from tests.support.sandbox import Sandbox

PUBLICNET = "00000000-0000-0000-0000-000000000000"
S1, S2 = "a1000000-0000-4000-8000-000000000001", "a1000000-0000-4000-8000-000000000002"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    with Sandbox(tmp_path_factory.mktemp("sandbox")) as sb:
        yield sb


@pytest.fixture
def client(sandbox):
    sandbox.reset()
    sandbox.clear_faults()
    sandbox.clear_requests()
    clear_token_cache()
    env = sandbox.env()
    settings, problems = resolve(dict.fromkeys(["max_retries", "request_timeout"]), env=env)
    assert settings is not None, problems
    c = connect(settings, threading.Event())
    c.transport.backoff_base = 0.01
    yield c
    c.close()
    clear_token_cache()


def ctx() -> Context:
    return Context(cancelled=threading.Event())


def shared_ips(sandbox) -> list:
    dfw = sandbox.state()["123456"]["DFW"]
    return [ip for ip in dfw["ip_addresses"] if ip.get("type") == "shared"]


def next_walk(client: RackspaceClient) -> RackspaceClient:
    """The client a later Terraform command configures: same session, fresh coordination."""
    return RackspaceClient(client.transport, client.identity, client.region)


def test_lifecycle_and_disassociation_diagnostic(sandbox, client):
    ports = [
        client.networks.list_ports(device_id=s, network_id=PUBLICNET)[0]["id"] for s in (S1, S2)
    ]
    ip_res, assoc_res = IPAddress(client), ServerIPAssociation(client)
    planned = dict.fromkeys(IPAddress.schema.attributes, Unknown) | {
        "network_id": PUBLICNET,
        "version": 4,
        "port_ids": frozenset(ports),
        "server_ids": None,
    }
    ip = ip_res.create(planned, ctx())
    assert ip["type"] == "shared" and ip["port_ids"] == frozenset(ports)
    assocs = [
        assoc_res.create(
            {"id": Unknown, "server_id": s, "ip_address_id": ip["id"], "address": Unknown}, ctx()
        )
        for s in (S1, S2)
    ]
    assert {a["address"] for a in assocs} == {ip["address"]}
    # the real sandbox answers PortRequiresDisassociation; the diagnostic names both servers
    with pytest.raises(ProviderError) as exc:
        ip_res.delete(ip, ctx())
    assert S1 in exc.value.detail and S2 in exc.value.detail
    assert "PortRequiresDisassociation" in exc.value.detail
    # a later Terraform command: a new walk, with its own coordination
    ip_res, assoc_res = IPAddress(next_walk(client)), ServerIPAssociation(next_walk(client))
    # an association the API already holds is reported (a warning that names it)
    again = {"id": Unknown, "server_id": S1, "ip_address_id": ip["id"], "address": Unknown}
    warned = ctx()
    assert assoc_res.create(again, warned)["id"] == assocs[0]["id"]
    assert [d.summary for d in warned.diagnostics] == ["Association already existed"]
    assoc_res = ServerIPAssociation(next_walk(client))
    for a in assocs:
        assoc_res.delete(a, ctx())
        assert assoc_res.read(a, ctx()) is None
        assoc_res.delete(a, ctx())  # already gone: success
    ip_res.delete(ip, ctx())
    assert ip_res.read(ip, ctx()) is None
    assert shared_ips(sandbox) == []


def test_reauthenticates_after_tokens_expire(sandbox, client):
    client.networks.list_ports(device_id=S1)
    assert sandbox.expire_tokens() >= 1
    assert client.networks.list_ports(device_id=S1)


def test_retries_injected_faults(sandbox, client):
    # 500s only: the sandbox's 503s carry Retry-After: 1, which would make this test slow.
    sandbox.set_faults(fault_rate=0.5, fault_kinds=["500"])
    client.transport.max_retries = 20
    for _ in range(10):
        assert client.servers.list_ip_associations(S1) == []


def test_errors_from_the_sandbox_are_typed(sandbox, client):
    with pytest.raises(NotFound) as exc:
        client.networks.get_ip_address("f0000000-0000-4000-8000-000000000001")
    assert exc.value.status == 404 and exc.value.message
    with pytest.raises(NotFound):
        client.servers.list_ip_associations("f1000000-0000-4000-8000-000000000001")
    with pytest.raises((BadRequest, NotFound)) as exc:
        client.networks.create_ip_address(network_id=PUBLICNET, version=4, port_ids=[S1])
    assert exc.value.message
    assert shared_ips(sandbox) == []


def test_dropped_create_is_not_retried_and_adopts_the_new_ip(sandbox, client):
    ports = [
        client.networks.list_ports(device_id=s, network_id=PUBLICNET)[0]["id"] for s in (S1, S2)
    ]
    sandbox.set_faults(drop_after_commit=1)  # the POST is applied, then the connection drops
    planned = dict.fromkeys(IPAddress.schema.attributes, Unknown) | {
        "network_id": PUBLICNET,
        "version": 4,
        "port_ids": frozenset(ports),
        "server_ids": None,
    }
    state = IPAddress(client).create(planned, ctx())
    [made] = shared_ips(sandbox)
    assert state["id"] == made["id"] and state["address"] == made["address"]
    posts = [r for r in sandbox.requests() if r["method"] == "POST" and "ip_addresses" in r["path"]]
    assert len(posts) == 1


def test_import_refuses_fixed_ips_and_leaves_missing_ones_to_read(sandbox, client):
    [fixed] = client.networks.list_ip_addresses(device_id=S1, network_id=PUBLICNET, version=4)
    assert fixed["type"] == "fixed"
    with pytest.raises(ProviderError) as exc:
        IPAddress(client).import_state(fixed["id"], ctx())
    assert exc.value.summary == "Not a shared IP" and fixed["address"] in exc.value.detail
    missing = IPAddress(client).import_state("0badc0de-0000-4000-8000-000000000000", ctx())
    assert IPAddress(client).read(missing, ctx()) is None
