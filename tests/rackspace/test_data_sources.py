"""The four data sources against the in-memory cloud."""

from __future__ import annotations

import threading

import pytest

from provider.plugin import Context, ProviderError
from provider.rackspace.data_sources.ip_address import IPAddressDataSource
from provider.rackspace.data_sources.ip_addresses import IPAddressesDataSource
from provider.rackspace.data_sources.ports import PortsDataSource
from provider.rackspace.data_sources.server_ip_associations import ServerIPAssociationsDataSource

from .fakes import PUBLICNET, FakeClient, FakeCloud
from .sdk_driver import Driver

S1, S2, S9 = (f"a1000000-0000-4000-8000-00000000000{i}" for i in (1, 2, 9))


@pytest.fixture
def cloud():
    c = FakeCloud()
    c.add_server(S1)
    c.add_server(S2)
    c.add_server(S1, network_id="11111111-1111-1111-1111-111111111111")
    return c


def ctx() -> Context:
    return Context(cancelled=threading.Event())


def cfg(cls, **kw):
    return dict.fromkeys(cls.schema.attributes) | kw


def test_ports_by_server_and_network(cloud):
    ds = PortsDataSource(FakeClient(cloud))
    out = ds.read(cfg(PortsDataSource, server_id=S1, network_id=PUBLICNET), ctx())
    [port] = out["ports"]
    assert out["ids"] == [port["id"]] and port["server_id"] == S1
    assert port["network_id"] == PUBLICNET and out["id"].startswith("ports?")
    assert len(ds.read(cfg(PortsDataSource, server_id=S1), ctx())["ids"]) == 2


def test_ports_of_a_server_or_network_that_does_not_exist_fail_at_the_filter(cloud):
    ds = PortsDataSource(FakeClient(cloud))
    with pytest.raises(ProviderError) as exc:
        ds.read(cfg(PortsDataSource, server_id=S9), ctx())
    assert exc.value.path == ("server_id",) and S9 in exc.value.detail
    ghost_net = "22222222-2222-2222-2222-222222222222"
    with pytest.raises(ProviderError) as exc:
        ds.read(cfg(PortsDataSource, network_id=ghost_net), ctx())
    assert exc.value.path == ("network_id",) and "Network not found" in exc.value.summary
    # A server that exists with no port on the network is a real empty answer.
    other = "11111111-1111-1111-1111-111111111111"
    cloud.networks = (PUBLICNET, other)
    assert ds.read(cfg(PortsDataSource, server_id=S2, network_id=other), ctx())["ids"] == []


def test_ip_address_by_id_and_by_address(cloud):
    ports = [p["id"] for p in cloud.list_ports(network_id=PUBLICNET)]
    ip = cloud.create_ip_address(network_id=PUBLICNET, version=4, port_ids=ports)
    ds = IPAddressDataSource(FakeClient(cloud))
    by_id = ds.read(cfg(IPAddressDataSource, id=ip["id"]), ctx())
    assert by_id["address"] == ip["address"] and by_id["port_ids"] == frozenset(ports)
    by_addr = ds.read(cfg(IPAddressDataSource, address=ip["address"]), ctx())
    assert by_addr == by_id
    with pytest.raises(ProviderError) as exc:
        ds.read(cfg(IPAddressDataSource, address="198.51.100.1"), ctx())
    assert exc.value.path == ("address",)
    with pytest.raises(ProviderError) as exc:
        ds.read(cfg(IPAddressDataSource, id=S9), ctx())
    assert exc.value.path == ("id",)


def test_ip_addresses_filters(cloud):
    ports = [p["id"] for p in cloud.list_ports(network_id=PUBLICNET)]
    a = cloud.create_ip_address(network_id=PUBLICNET, version=4, port_ids=ports)
    b = cloud.create_ip_address(network_id=PUBLICNET, version=6, port_ids=ports)
    ds = IPAddressesDataSource(FakeClient(cloud))
    out = ds.read(cfg(IPAddressesDataSource, network_id=PUBLICNET), ctx())
    assert out["ids"] == sorted([a["id"], b["id"]])
    out = ds.read(cfg(IPAddressesDataSource, network_id=PUBLICNET, version=6), ctx())
    assert out["ids"] == [b["id"]] and out["ip_addresses"][0]["version"] == 6
    assert "version=6" in out["id"]


def test_server_ip_associations(cloud):
    ports = [p["id"] for p in cloud.list_ports(network_id=PUBLICNET)]
    ip = cloud.create_ip_address(network_id=PUBLICNET, version=4, port_ids=ports)
    cloud.associate(S1, ip["id"])
    ds = ServerIPAssociationsDataSource(FakeClient(cloud))
    out = ds.read(cfg(ServerIPAssociationsDataSource, server_id=S1), ctx())
    assert out == {
        "id": S1,
        "server_id": S1,
        "ip_associations": [{"id": ip["id"], "address": ip["address"]}],
    }
    with pytest.raises(ProviderError) as exc:
        ds.read(cfg(ServerIPAssociationsDataSource, server_id=S9), ctx())
    assert exc.value.path == ("server_id",)


def test_data_source_validation():
    d = Driver(None)
    diags = d.validate("rackspace_ip_address", {"id": S1, "address": "1.2.3.4"}, data=True)
    assert diags and "Exactly one" in diags[0].detail
    [diag] = d.validate("rackspace_ports", {"server_id": "x"}, data=True)
    assert diag.path == ("server_id",)
    [diag] = d.validate("rackspace_ip_addresses", {"version": 5}, data=True)
    assert diag.path == ("version",)
