"""Cloud Networks: networks, ports, and every ip_addresses rule of research §5 and §6."""

from __future__ import annotations

import pytest
from sandbox_api import (
    APP1,
    DB1,
    FOREIGN1,
    MISSING,
    PRIVATE_NET,
    PUBLICNET,
    SERVICENET,
    WEB,
    Api,
)


def neutron(data: dict) -> tuple[str, str]:
    assert set(data) == {"NeutronError"}, data
    err = data["NeutronError"]
    assert set(err) == {"type", "message", "detail"}
    return err["type"], err["message"]


def test_networks_list_and_show(demo: Api) -> None:
    status, data = demo.net("GET", "/networks")
    assert status == 200
    by_id = {n["id"]: n for n in data["networks"]}
    assert set(by_id) == {PUBLICNET, SERVICENET, PRIVATE_NET}
    assert by_id[PUBLICNET]["shared"] is True and by_id[PRIVATE_NET]["shared"] is False
    assert by_id[PRIVATE_NET]["name"] == "private-net"
    status, data = demo.net("GET", f"/networks/{PRIVATE_NET}")
    assert status == 200 and data["network"]["id"] == PRIVATE_NET
    # ORD has no private-net; another tenant does not see it either.
    ord_api = Api(demo.sb, region="ord")
    status, data = ord_api.net("GET", f"/networks/{PRIVATE_NET}")
    assert status == 404 and neutron(data)[0] == "NetworkNotFound"
    other = Api(demo.sb, "other")
    assert other.net("GET", f"/networks/{PRIVATE_NET}")[0] == 404


def test_ports_filters_and_show(demo: Api) -> None:
    status, data = demo.net("GET", f"/ports?device_id={WEB[0]}")
    assert status == 200
    assert {p["network_id"] for p in data["ports"]} == {PUBLICNET, SERVICENET, PRIVATE_NET}
    public = next(p for p in data["ports"] if p["network_id"] == PUBLICNET)
    versions = sorted(":" in ip["ip_address"] for ip in public["fixed_ips"])
    assert versions == [False, True]  # one IPv4 and one IPv6 address
    assert public["fixed_ips"][0]["ip_address"].startswith("203.0.113.")
    status, data = demo.net("GET", f"/ports?network_id={PUBLICNET}")
    assert status == 200 and len(data["ports"]) == 5  # web-1..4 and db-1
    assert {p["device_id"] for p in data["ports"]} == {*WEB, DB1}
    status, data = demo.net("GET", f"/ports/{public['id']}")
    assert status == 200 and data["port"] == public
    status, data = demo.net("GET", f"/ports/{MISSING}")
    assert status == 404 and neutron(data)[0] == "PortNotFound"
    # The same ids are stable across resets (they are derived, not random).
    demo.sb.reset()
    assert demo.port(WEB[0]) == public["id"]


def test_ports_of_other_tenants_and_regions_are_invisible(demo: Api) -> None:
    assert demo.net("GET", f"/ports?device_id={FOREIGN1}")[1] == {"ports": []}
    assert demo.net("GET", f"/ports?device_id={APP1}")[1] == {"ports": []}
    assert Api(demo.sb, region="ord").net("GET", f"/ports?device_id={APP1}")[1]["ports"]


def test_create_show_update_delete_ip(demo: Api) -> None:
    ports = [demo.port(s) for s in WEB[:2]]
    body = {"ip_address": {"network_id": PUBLICNET, "version": 4, "port_ids": ports}}
    status, data = demo.net("POST", "/ip_addresses", body)
    assert status == 201
    ip = data["ip_address"]
    assert set(ip) == {
        "id",
        "network_id",
        "address",
        "ip_address",
        "port_ids",
        "subnet_id",
        "tenant_id",
        "version",
        "type",
    }
    assert ip["type"] == "shared" and ip["version"] == 4 and ip["tenant_id"] == "123456"
    assert ip["address"] == ip["ip_address"] and ip["address"].startswith("203.0.113.")
    assert ip["port_ids"] == ports and ip["network_id"] == PUBLICNET
    assert demo.net("GET", f"/ip_addresses/{ip['id']}") == (200, {"ip_address": ip})
    assert demo.net("GET", f"/ip_addresses/{ip['id']}.json")[0] == 200

    three = [*ports, demo.port(WEB[2])]
    status, data = demo.net("PUT", f"/ip_addresses/{ip['id']}", {"ip_address": {"port_ids": three}})
    assert status == 200 and data["ip_address"]["port_ids"] == three
    status, data = demo.net(
        "PUT", f"/ip_addresses/{ip['id']}", {"ip_address": {"port_ids": ports[1:]}}
    )
    assert status == 200 and data["ip_address"]["port_ids"] == ports[1:]

    status, data = demo.net("DELETE", f"/ip_addresses/{ip['id']}")
    assert (status, data) == (204, None)
    status, data = demo.net("GET", f"/ip_addresses/{ip['id']}")
    assert status == 404
    assert neutron(data) == ("IpAddressNotFound", f"IP Address {ip['id']} not found.")
    assert demo.net("DELETE", f"/ip_addresses/{ip['id']}")[0] == 404


def test_create_ipv6_and_by_device_ids(demo: Api) -> None:
    status, data = demo.net(
        "POST",
        "/ip_addresses",
        {"ip_address": {"network_id": PUBLICNET, "version": "6", "device_ids": WEB[:2]}},
    )
    assert status == 201
    ip = data["ip_address"]
    assert ip["version"] == 6 and ip["address"].startswith("2001:db8:")
    assert ip["port_ids"] == [demo.port(WEB[0]), demo.port(WEB[1])]


def test_list_filters(demo: Api) -> None:
    shared = demo.shared_ip(WEB[:2])
    private = demo.shared_ip(WEB[2:4], PRIVATE_NET)
    demo.associate(WEB[0], shared["id"])

    def ids(query: str) -> set[str]:
        status, data = demo.net("GET", f"/ip_addresses{query}")
        assert status == 200
        return {ip["id"] for ip in data["ip_addresses"]}

    everything = ids("")
    assert {shared["id"], private["id"]} <= everything
    assert len(everything) > 2  # fixed IPs are listed too
    assert ids("?type=shared") == {shared["id"], private["id"]}
    assert ids(f"?type=shared&network_id={PUBLICNET}") == {shared["id"]}
    assert ids(f"?network_id={PRIVATE_NET}&type=shared") == {private["id"]}
    assert ids("?service=compute") == {shared["id"]}
    assert shared["id"] in ids(f"?device_id={WEB[1]}")
    assert private["id"] not in ids(f"?device_id={WEB[1]}")
    assert ids(f"?port_id={demo.port(WEB[3], PRIVATE_NET)}&type=shared") == {private["id"]}
    assert ids(f"?address={shared['address']}") == {shared["id"]}
    assert ids("?version=6&type=shared") == set()
    assert ids(f"?id={shared['id']}&id={private['id']}") == {shared["id"], private["id"]}
    assert ids(f"?port_ids={demo.port(WEB[3])}&type=shared") == ids("?type=shared")  # ignored
    assert ids("?limit=1&type=shared") == ids("?type=shared")  # no pagination


# ---------------------------------------------------------------- constraint catalogue, §6


def post(api: Api, **fields: object) -> tuple[int, dict]:
    return api.net("POST", "/ip_addresses", {"ip_address": fields})


def test_row3_body_without_ip_address(demo: Api) -> None:
    for body in ({}, {"ip": {}}, {"ip_address": []}, [], "x"):
        status, data = demo.net("POST", "/ip_addresses", body)
        assert status == 400
        assert neutron(data) == ("BadRequest", "Bad ip_addresses request: Body malformed.")


def test_row4_fewer_than_two_ports(demo: Api) -> None:
    for ports in ([], [demo.port(WEB[0])], [demo.port(WEB[0])] * 2):
        status, data = post(demo, network_id=PUBLICNET, version=4, port_ids=ports)
        assert status == 400
        assert "Only shared IPs may be made with this resource" in neutron(data)[1]


def test_row5_missing_version_or_network(demo: Api) -> None:
    ports = [demo.port(s) for s in WEB[:2]]
    status, data = post(demo, network_id=PUBLICNET, port_ids=ports)
    assert status == 400 and neutron(data)[1] == "Bad ip_addresses request: version is required."
    status, data = post(demo, version=4, port_ids=ports)
    assert status == 400 and "network_id is required" in neutron(data)[1]
    status, data = post(demo, network_id=PUBLICNET, version=5, port_ids=ports)
    assert status == 400 and neutron(data)[0] == "InvalidInput"


def test_row6_unknown_network(demo: Api) -> None:
    ports = [demo.port(s) for s in WEB[:2]]
    for net in (MISSING, ""):
        status, data = post(demo, network_id=net, version=4, port_ids=ports)
        assert status == 404
        assert neutron(data) == ("NetworkNotFound", f"Network {net} could not be found.")


def test_row7_neither_port_ids_nor_device_ids(demo: Api) -> None:
    # With the default configuration row 4 fires first (zero ports means a fixed IP).
    status, data = post(demo, network_id=PUBLICNET, version=4)
    assert status == 400 and "Only shared IPs" in neutron(data)[1]


def test_row8_ports_or_devices_not_found(demo: Api) -> None:
    status, data = post(
        demo, network_id=PUBLICNET, version=4, port_ids=[MISSING, MISSING[:-1] + "1"]
    )
    assert status == 404 and neutron(data)[0] == "PortNotFoundOnNetwork"
    status, data = post(
        demo, network_id=PUBLICNET, version=4, port_ids=[demo.port(WEB[0]), MISSING]
    )
    assert status == 404 and neutron(data) == (
        "NotAllPortOrDeviceFound",
        "Not all ports or devices from request could be found.",
    )
    status, data = post(demo, network_id=PUBLICNET, version=4, device_ids=[WEB[0], MISSING])
    assert status == 404 and neutron(data)[0] == "NotAllPortOrDeviceFound"
    # Another tenant's port is "not found", not "forbidden".
    other = Api(demo.sb, "other").port(FOREIGN1)
    status, data = post(demo, network_id=PUBLICNET, version=4, port_ids=[demo.port(WEB[0]), other])
    assert status == 404 and neutron(data)[0] == "NotAllPortOrDeviceFound"


def test_row9_port_not_on_network(demo: Api) -> None:
    ports = [demo.port(WEB[0]), demo.port(WEB[1], SERVICENET)]
    status, data = post(demo, network_id=PUBLICNET, version=4, port_ids=ports)
    assert status == 400
    assert "Must have ports connected to the requested network" in neutron(data)[1]


def test_row10_ports_in_different_public_ip_zones(demo: Api) -> None:
    status, data = post(
        demo, network_id=PUBLICNET, version=4, port_ids=[demo.port(WEB[0]), demo.port(DB1)]
    )
    assert status == 400 and "Segment id's do not match" in neutron(data)[1]
    status, data = demo.srv("GET", f"/servers/{DB1}")
    assert data["server"]["RAX-PUBLIC-IP-ZONE-ID:publicIPZoneId"] == "dfw-zone-b"


def test_row11_shared_ip_quota(demo: Api) -> None:
    for _ in range(2):  # 5 PublicNet shared IPs per tenant, spread so ports stay under quota
        demo.shared_ip(WEB[:2])
        demo.shared_ip(WEB[2:4])
    demo.shared_ip([WEB[0], WEB[2]])
    status, data = post(demo, network_id=PUBLICNET, version=4, device_ids=[WEB[1], WEB[3]])
    assert status == 409
    assert neutron(data) == (
        "CannotCreateMoreSharedIPs",
        "Cannot create more shared IPs on selected network",
    )
    # ServiceNet's quota is 0: refused at once.
    status, data = post(demo, network_id=SERVICENET, version=4, device_ids=WEB[:2])
    assert status == 409 and neutron(data)[0] == "CannotCreateMoreSharedIPs"
    # Isolated networks are unlimited per tenant (the per-port quota still applies).
    for _ in range(4):
        demo.shared_ip(WEB[:2], PRIVATE_NET)


def test_row12_per_port_quota(demo: Api) -> None:
    # A private-net port holds its own address; 5 per port leaves room for 4 shared IPs.
    for _ in range(4):
        demo.shared_ip(WEB[:2], PRIVATE_NET)
    status, data = post(demo, network_id=PRIVATE_NET, version=4, device_ids=[WEB[0], WEB[2]])
    assert status == 409
    assert neutron(data) == ("CannotAddMoreIPsToPort", "Cannot add more IPs to port")
    # Adding a full port through PUT is refused the same way.
    ip = demo.shared_ip(WEB[2:4], PRIVATE_NET)
    full = demo.port(WEB[0], PRIVATE_NET)
    status, data = demo.net(
        "PUT", f"/ip_addresses/{ip['id']}", {"ip_address": {"port_ids": [*ip["port_ids"], full]}}
    )
    assert status == 409 and neutron(data)[0] == "CannotAddMoreIPsToPort"


def test_row13_specific_address(demo: Api) -> None:
    status, data = post(
        demo, network_id=PUBLICNET, version=4, device_ids=WEB[:2], ip_address="203.0.113.200"
    )
    assert status == 400 and "isolated networks" in neutron(data)[1]
    status, data = post(
        demo, network_id=PRIVATE_NET, version=4, device_ids=WEB[:2], ip_address="192.168.0.77"
    )
    assert status == 201 and data["ip_address"]["address"] == "192.168.0.77"
    status, data = post(
        demo, network_id=PRIVATE_NET, version=4, device_ids=WEB[2:4], ip_address="192.168.0.77"
    )
    assert status == 409 and neutron(data)[0] == "IpAddressInUse"
    for wanted in ("10.0.0.1", "not-an-ip", "192.168.0.1"):
        status, data = post(
            demo, network_id=PRIVATE_NET, version=4, device_ids=WEB[2:4], ip_address=wanted
        )
        assert status == 400, wanted


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_row14_unknown_or_foreign_ip(demo: Api, method: str) -> None:
    foreign = Api(demo.sb, "other")
    other_ip = foreign.net("GET", "/ip_addresses")[1]["ip_addresses"][0]["id"]
    body = {"ip_address": {"port_ids": [demo.port(WEB[0])]}} if method == "PUT" else None
    for ip_id in (MISSING, other_ip):
        status, data = demo.net(method, f"/ip_addresses/{ip_id}", body)
        assert status == 404
        assert neutron(data) == ("IpAddressNotFound", f"IP Address {ip_id} not found.")
    assert foreign.net("GET", f"/ip_addresses/{other_ip}")[0] == 200


def test_row15_empty_port_ids(demo: Api) -> None:
    ip = demo.shared_ip(WEB[:2])
    status, data = demo.net("PUT", f"/ip_addresses/{ip['id']}", {"ip_address": {"port_ids": []}})
    assert status == 400 and "Cannot be updated with empty port_id list" in neutron(data)[1]
    assert (
        demo.net("GET", f"/ip_addresses/{ip['id']}")[1]["ip_address"]["port_ids"] == ip["port_ids"]
    )


def test_row16_dropping_an_associated_port(demo: Api) -> None:
    ip = demo.shared_ip(WEB[:3])
    assert demo.associate(WEB[0], ip["id"])[0] == 201
    status, data = demo.net(
        "PUT", f"/ip_addresses/{ip['id']}", {"ip_address": {"port_ids": ip["port_ids"][1:]}}
    )
    assert status == 400 and neutron(data)[0] == "PortRequiresDisassociation"
    # Keeping the associated port while dropping another is allowed.
    keep = ip["port_ids"][:2]
    status, data = demo.net("PUT", f"/ip_addresses/{ip['id']}", {"ip_address": {"port_ids": keep}})
    assert status == 200 and data["ip_address"]["port_ids"] == keep
    # A body without port_ids would de-allocate: refused while associated.
    status, data = demo.net("PUT", f"/ip_addresses/{ip['id']}", {"ip_address": {}})
    assert status == 400 and neutron(data)[0] == "PortRequiresDisassociation"


def test_put_without_port_ids_deallocates_when_unassociated(demo: Api) -> None:
    ip = demo.shared_ip(WEB[:2])
    status, data = demo.net("PUT", f"/ip_addresses/{ip['id']}", {"ip_address": {}})
    assert status == 200 and data["ip_address"]["port_ids"] == []
    assert demo.net("GET", f"/ip_addresses/{ip['id']}")[0] == 404


def test_row17_fixed_ips_cannot_be_changed(demo: Api) -> None:
    fixed = demo.net("GET", f"/ip_addresses?type=fixed&device_id={WEB[0]}")[1]["ip_addresses"][0]
    status, data = demo.net(
        "PUT", f"/ip_addresses/{fixed['id']}", {"ip_address": {"port_ids": fixed["port_ids"]}}
    )
    assert status == 400 and "Fixed ips cannot be updated using this interface" in neutron(data)[1]
    status, data = demo.net("DELETE", f"/ip_addresses/{fixed['id']}")
    assert status == 400 and "Fixed ips" in neutron(data)[1]


def test_row18_delete_while_associated(demo: Api) -> None:
    ip = demo.shared_ip(WEB[:2])
    demo.associate(WEB[1], ip["id"])
    status, data = demo.net("DELETE", f"/ip_addresses/{ip['id']}")
    assert status == 400
    assert neutron(data) == (
        "PortRequiresDisassociation",
        "Port requires disassociation before IP can be deleted",
    )
    assert demo.disassociate(WEB[1], ip["id"])[0] == 204
    assert demo.net("DELETE", f"/ip_addresses/{ip['id']}")[0] == 204


def test_put_ports_must_exist_be_on_network_and_share_a_segment(demo: Api) -> None:
    ip = demo.shared_ip(WEB[:2])
    path = f"/ip_addresses/{ip['id']}"
    status, data = demo.net("PUT", path, {"ip_address": {"port_ids": [ip["port_ids"][0], MISSING]}})
    assert status == 404 and neutron(data) == (
        "PortNotFound",
        f"Port {MISSING} could not be found.",
    )
    status, data = demo.net(
        "PUT", path, {"ip_address": {"port_ids": [demo.port(WEB[2], SERVICENET)]}}
    )
    assert status == 400 and "Must have ports connected" in neutron(data)[1]
    status, data = demo.net(
        "PUT", path, {"ip_address": {"port_ids": [*ip["port_ids"], demo.port(DB1)]}}
    )
    assert status == 400 and "Segment" in neutron(data)[1]
    status, data = demo.net(
        "PUT", path, {"ip_address": {"port_ids": ip["port_ids"], "deallocated": True}}
    )
    assert status == 403


def test_other_region_is_separate(demo: Api) -> None:
    ip = demo.shared_ip(WEB[:2])
    ord_api = Api(demo.sb, region="ord")
    assert ord_api.net("GET", f"/ip_addresses/{ip['id']}")[0] == 404
    status, data = demo.sb.call("GET", "/iad/networks/v2.0/ip_addresses", token=demo.token)
    assert status == 404 and neutron(data)[0] == "NotFound"
