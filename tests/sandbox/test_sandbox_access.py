"""Role-based access (research §3) and tenant isolation."""

from __future__ import annotations

from sandbox_api import FOREIGN1, WEB, Api

from tests.support.sandbox import Sandbox


def test_creator_may_create_and_update_but_not_delete(sb: Sandbox) -> None:
    creator = Api(sb, "creator")
    ip = creator.shared_ip(WEB[:2])
    path = f"/ip_addresses/{ip['id']}"
    status, data = creator.net("PUT", path, {"ip_address": {"port_ids": ip["port_ids"]}})
    assert status == 200
    assert creator.associate(WEB[0], ip["id"])[0] == 201
    status, data = creator.disassociate(WEB[0], ip["id"])
    assert status == 403 and data["forbidden"]["code"] == 403
    status, data = creator.net("DELETE", path)
    assert status == 403 and data["NeutronError"]["type"] == "PolicyNotAuthorized"
    assert creator.srv("DELETE", f"/servers/{WEB[3]}")[0] == 403
    # Nothing changed: the admin can still see and finish the job.
    demo = Api(sb, "demo")
    assert demo.disassociate(WEB[0], ip["id"])[0] == 204
    assert demo.net("DELETE", path)[0] == 204


def test_observer_is_read_only(sb: Sandbox) -> None:
    demo, observer = Api(sb, "demo"), Api(sb, "observer")
    ip = demo.shared_ip(WEB[:2])
    demo.associate(WEB[0], ip["id"])
    assert observer.net("GET", f"/ip_addresses/{ip['id']}")[0] == 200
    assert observer.srv("GET", f"/servers/{WEB[0]}/ip_associations")[1]["ip_associations"]
    assert observer.net("GET", "/ports")[0] == 200
    denied = [
        observer.net(
            "POST",
            "/ip_addresses",
            {"ip_address": {"network_id": ip["network_id"], "version": 4, "device_ids": WEB[2:4]}},
        ),
        observer.net(
            "PUT", f"/ip_addresses/{ip['id']}", {"ip_address": {"port_ids": ip["port_ids"]}}
        ),
        observer.net("DELETE", f"/ip_addresses/{ip['id']}"),
        observer.associate(WEB[1], ip["id"]),
        observer.disassociate(WEB[0], ip["id"]),
        observer.srv("POST", "/servers", {"server": {"name": "x"}}),
    ]
    assert [status for status, _ in denied] == [403] * len(denied)
    assert demo.srv("GET", f"/servers/{WEB[1]}/ip_associations")[1] == {"ip_associations": []}


def test_tenants_are_isolated(sb: Sandbox) -> None:
    demo, other = Api(sb, "demo"), Api(sb, "other")
    ip = demo.shared_ip(WEB[:2])
    demo.associate(WEB[0], ip["id"])
    assert other.net("GET", f"/ip_addresses/{ip['id']}")[0] == 404
    assert (
        other.net("PUT", f"/ip_addresses/{ip['id']}", {"ip_address": {"port_ids": ["x"]}})[0] == 404
    )
    assert other.net("DELETE", f"/ip_addresses/{ip['id']}")[0] == 404
    assert ip["id"] not in {i["id"] for i in other.net("GET", "/ip_addresses")[1]["ip_addresses"]}
    assert other.srv("GET", f"/servers/{WEB[0]}")[0] == 404
    # other's own server cannot be associated with demo's IP (not found for other).
    assert other.associate(FOREIGN1, ip["id"])[0] == 404
    assert other.disassociate(WEB[0], ip["id"])[0] == 404
    # other cannot share demo's ports.
    status, data = other.net(
        "POST",
        "/ip_addresses",
        {"ip_address": {"network_id": ip["network_id"], "version": 4, "port_ids": ip["port_ids"]}},
    )
    assert status == 404 and data["NeutronError"]["type"] == "PortNotFoundOnNetwork"
    status, data = other.net(
        "POST",
        "/ip_addresses",
        {
            "ip_address": {
                "network_id": ip["network_id"],
                "version": 4,
                "device_ids": WEB[:2],
                "tenant_id": "123456",
            }
        },
    )
    assert status == 403 and "another tenant" in data["NeutronError"]["message"]
    assert demo.net("GET", f"/ip_addresses/{ip['id']}")[0] == 200
