"""Cloud Servers: servers and the ip_associations extension (research §5.7-5.11, §6 rows 19-27)."""

from __future__ import annotations

from sandbox_api import APP1, DB1, FOREIGN1, MISSING, PRIVATE_NET, PUBLICNET, SERVICENET, WEB, Api

from tests.support.sandbox import Sandbox


def fault(data: dict, element: str, code: int) -> str:
    assert set(data) == {element}, data
    assert data[element]["code"] == code
    return data[element]["message"]


def test_server_list_detail_show(demo: Api) -> None:
    status, data = demo.srv("GET", "/servers")
    assert status == 200
    assert [s["name"] for s in data["servers"]] == ["web-1", "web-2", "web-3", "web-4", "db-1"]
    assert data["servers"][0]["links"][0]["href"].endswith(
        f"/dfw/servers/v2/123456/servers/{WEB[0]}"
    )
    status, data = demo.srv("GET", "/servers/detail?name=web")
    assert status == 200 and len(data["servers"]) == 4
    status, data = demo.srv("GET", f"/servers/{WEB[0]}")
    server = data["server"]
    assert server["RAX-PUBLIC-IP-ZONE-ID:publicIPZoneId"] == "dfw-zone-a"
    assert set(server["addresses"]) == {"public", "private", "private-net"}
    assert server["accessIPv4"] == server["addresses"]["public"][0]["addr"]
    status, data = demo.srv("GET", f"/servers/{MISSING}")
    assert status == 404 and MISSING in fault(data, "itemNotFound", 404)
    assert Api(demo.sb, region="ord").srv("GET", "/servers")[1]["servers"][0]["id"] == APP1


def test_server_create_and_delete(demo: Api) -> None:
    status, data = demo.srv(
        "POST", "/servers", {"server": {"name": "new-1", "imageRef": "img", "flavorRef": "f"}}
    )
    assert status == 202
    new_id = data["server"]["id"]
    assert data["server"]["adminPass"]
    status, data = demo.srv("GET", f"/servers/{new_id}")
    assert data["server"]["status"] == "ACTIVE"
    assert data["server"]["RAX-PUBLIC-IP-ZONE-ID:publicIPZoneId"] == "dfw-zone-a"
    ports = demo.net("GET", f"/ports?device_id={new_id}")[1]["ports"]
    assert {p["network_id"] for p in ports} == {PUBLICNET, SERVICENET}
    # The scheduler hint puts the next server in db-1's zone.
    status, data = demo.srv(
        "POST",
        "/servers",
        {
            "server": {"name": "near-db", "networks": [{"uuid": PUBLICNET}, {"uuid": PRIVATE_NET}]},
            "os:scheduler_hints": {"public_ip_zone:near": [DB1]},
        },
    )
    assert status == 202
    near = demo.srv("GET", f"/servers/{data['server']['id']}")[1]["server"]
    assert near["RAX-PUBLIC-IP-ZONE-ID:publicIPZoneId"] == "dfw-zone-b"
    assert set(near["addresses"]) == {"public", "private-net"}
    for bad in (
        {"server": {}},
        {"server": {"name": ""}},
        {"server": {"name": "x", "networks": [{"uuid": MISSING}]}},
        {"server": {"name": "x"}, "os:scheduler_hints": {"public_ip_zone:near": [MISSING]}},
    ):
        status, data = demo.srv("POST", "/servers", bad)
        assert status == 400 and "badRequest" in data, bad
    assert demo.srv("DELETE", f"/servers/{new_id}") == (204, None)
    assert demo.srv("GET", f"/servers/{new_id}")[0] == 404
    assert demo.net("GET", f"/ports?device_id={new_id}")[1] == {"ports": []}
    assert demo.srv("DELETE", f"/servers/{new_id}")[0] == 404


def test_server_delete_drops_its_pairs_and_associations(demo: Api) -> None:
    ip = demo.shared_ip(WEB[:3])
    assert demo.associate(WEB[0], ip["id"])[0] == 201
    assert demo.srv("DELETE", f"/servers/{WEB[0]}")[0] == 204
    status, data = demo.net("GET", f"/ip_addresses/{ip['id']}")
    assert status == 200 and data["ip_address"]["port_ids"] == ip["port_ids"][1:]
    assert demo.net("GET", "/ip_addresses?service=compute")[1] == {"ip_addresses": []}
    # With its association gone the IP can be de-allocated.
    assert demo.net("DELETE", f"/ip_addresses/{ip['id']}")[0] == 204


def test_association_lifecycle(demo: Api) -> None:
    ip = demo.shared_ip(WEB[:2])
    base = f"/servers/{WEB[0]}/ip_associations"
    assert demo.srv("GET", base) == (200, {"ip_associations": []})
    assert demo.srv("GET", f"{base}/{ip['id']}")[0] == 404
    expected = {"ip_association": {"id": ip["id"], "address": ip["address"]}}
    assert demo.associate(WEB[0], ip["id"]) == (201, expected)
    # Idempotent: a repeat answers 200 with the same body, with or without a body.
    assert demo.associate(WEB[0], ip["id"]) == (200, expected)
    assert demo.srv("PUT", f"{base}/{ip['id']}", {"ip_association": {}}) == (200, expected)
    assert demo.srv("GET", base) == (200, {"ip_associations": [expected["ip_association"]]})
    assert demo.srv("GET", f"{base}/{ip['id']}") == (200, expected)
    # Only web-1 is associated; web-2 holds the IP but is not.
    assert demo.srv("GET", f"/servers/{WEB[1]}/ip_associations") == (200, {"ip_associations": []})
    assert demo.disassociate(WEB[0], ip["id"]) == (204, None)
    status, data = demo.disassociate(WEB[0], ip["id"])
    assert status == 404 and fault(data, "itemNotFound", 404)
    assert demo.srv("GET", base) == (200, {"ip_associations": []})
    # The port stays provisioned after disassociation.
    assert (
        demo.net("GET", f"/ip_addresses/{ip['id']}")[1]["ip_address"]["port_ids"] == ip["port_ids"]
    )


def test_row19_unknown_server(demo: Api) -> None:
    ip = demo.shared_ip(WEB[:2])
    for method, path in (
        ("GET", f"/servers/{MISSING}/ip_associations"),
        ("GET", f"/servers/{MISSING}/ip_associations/{ip['id']}"),
        ("PUT", f"/servers/{MISSING}/ip_associations/{ip['id']}"),
        ("DELETE", f"/servers/{MISSING}/ip_associations/{ip['id']}"),
        ("PUT", f"/servers/{FOREIGN1}/ip_associations/{ip['id']}"),
    ):
        status, data = demo.srv(method, path)
        assert status == 404, (method, path)
        fault(data, "itemNotFound", 404)


def test_row20_unknown_ip(demo: Api) -> None:
    other_ip = Api(demo.sb, "other").net("GET", "/ip_addresses")[1]["ip_addresses"][0]["id"]
    for ip_id in (MISSING, other_ip):
        for method in ("PUT", "DELETE", "GET"):
            status, data = demo.srv(method, f"/servers/{WEB[0]}/ip_associations/{ip_id}")
            assert status == 404
            fault(data, "itemNotFound", 404)


def test_put_when_server_has_no_port_on_the_ip(demo: Api) -> None:
    ip = demo.shared_ip(WEB[:2])
    status, data = demo.associate(WEB[2], ip["id"])
    assert status == 404 and WEB[2] in fault(data, "itemNotFound", 404)
    assert demo.disassociate(WEB[2], ip["id"])[0] == 404


def test_row21_ambiguous_when_two_ports_hold_the_ip(sb: Sandbox) -> None:
    # web-1 gets a second private-net port; an IP on both its ports is ambiguous.
    api = Api(sb)
    status, data = api.srv(
        "POST",
        "/servers",
        {"server": {"name": "twin", "networks": [{"uuid": PRIVATE_NET}, {"uuid": PRIVATE_NET}]}},
    )
    assert status == 202
    twin = data["server"]["id"]
    ports = [p["id"] for p in api.net("GET", f"/ports?device_id={twin}")[1]["ports"]]
    assert len(ports) == 2
    status, data = api.net(
        "POST",
        "/ip_addresses",
        {"ip_address": {"network_id": PRIVATE_NET, "version": 4, "port_ids": ports}},
    )
    assert status == 201
    status, data = api.associate(twin, data["ip_address"]["id"])
    assert status == 400 and "more than one port" in fault(data, "badRequest", 400)


def test_fixed_ip_cannot_be_associated(demo: Api) -> None:
    fixed = demo.net("GET", f"/ip_addresses?type=fixed&device_id={WEB[0]}")[1]["ip_addresses"][0]
    status, data = demo.associate(WEB[0], fixed["id"])
    assert status == 400 and "not a shared IP" in fault(data, "badRequest", 400)


def test_row24_post_on_collection_is_501(demo: Api) -> None:
    status, data = demo.srv("POST", f"/servers/{WEB[0]}/ip_associations", {"ip_association": {}})
    assert status == 501 and fault(data, "notImplemented", 501)


def test_row27_path_without_tenant_or_with_another_tenant_is_401(demo: Api) -> None:
    ip = demo.shared_ip(WEB[:2])
    for path in (
        f"/dfw/servers/v2/servers/{WEB[0]}/ip_associations/{ip['id']}",
        f"/dfw/servers/v2/654321/servers/{WEB[0]}/ip_associations/{ip['id']}",
        "/dfw/servers/v2/654321/servers",
    ):
        for method in ("GET", "PUT", "DELETE"):
            status, data = demo.sb.call(method, path, token=demo.token)
            assert status == 401, (method, path)
            fault(data, "unauthorized", 401)


def test_unknown_routes_and_methods(demo: Api) -> None:
    status, data = demo.srv("GET", "/flavors")
    assert status == 404 and fault(data, "itemNotFound", 404)
    status, data = demo.srv("PATCH", f"/servers/{WEB[0]}/ip_associations/{MISSING}")
    assert status == 405 and fault(data, "badMethod", 405)
    status, data = demo.net("PATCH", "/ip_addresses")
    assert status == 405 and data["NeutronError"]["type"] == "HTTPMethodNotAllowed"
    status, data = demo.sb.call("GET", "/nothing/here")
    assert status == 404 and fault(data, "itemNotFound", 404)
