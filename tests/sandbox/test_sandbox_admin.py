"""The admin path: state dump, reset, health, and loopback-only access."""

from __future__ import annotations

from sandbox_api import WEB, Api

from sandbox import inventory
from sandbox.app import create_app
from sandbox.context import Runtime
from sandbox.seed import load_seed
from sandbox.store import Store
from tests.support.sandbox import Sandbox


def test_state_dump_shows_pairs_services_and_associations(sb: Sandbox) -> None:
    demo = Api(sb)
    ip = demo.shared_ip(WEB[:2])
    demo.associate(WEB[1], ip["id"])
    state = sb.state()
    assert set(state) == {"123456", "654321"}
    dfw = state["123456"]["DFW"]
    assert [s["name"] for s in dfw["servers"]] == ["web-1", "web-2", "web-3", "web-4", "db-1"]
    shared = next(i for i in dfw["ip_addresses"] if i["id"] == ip["id"])
    assert [(p["device_id"], p["service"], p["enabled"]) for p in shared["pairs"]] == [
        (WEB[0], "none", False),
        (WEB[1], "compute", False),
    ]
    assert dfw["associations"] == [
        {"server_id": WEB[1], "ip_address_id": ip["id"], "address": ip["address"]}
    ]
    assert state["123456"]["ORD"]["associations"] == []


def test_reset_restores_the_seed_but_keeps_tokens(sb: Sandbox) -> None:
    demo = Api(sb)
    demo.shared_ip(WEB[:2])
    demo.srv("DELETE", f"/servers/{WEB[3]}")
    sb.reset()
    assert demo.net("GET", "/ip_addresses?type=shared")[1] == {"ip_addresses": []}
    assert demo.srv("GET", f"/servers/{WEB[3]}")[0] == 200
    assert sb.health()["regions"] == ["DFW", "ORD"]


def test_admin_path_answers_only_loopback_clients() -> None:
    store = Store(":memory:")
    seed = load_seed(None)
    with store.tx() as db:
        inventory.apply_seed(db, seed)
    client = create_app(Runtime(store=store, seed=seed)).test_client()
    remote = client.get("/__sandbox__/health", environ_base={"REMOTE_ADDR": "192.0.2.10"})
    assert remote.status_code == 404 and remote.get_json()["itemNotFound"]["code"] == 404
    assert (
        client.put(
            "/__sandbox__/faults",
            json={"fault_rate": 1},
            environ_base={"REMOTE_ADDR": "192.0.2.10"},
        ).status_code
        == 404
    )
    local = client.get("/__sandbox__/health", environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert local.status_code == 200 and local.get_json()["status"] == "ok"
    assert client.get("/__sandbox__/health", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    store.close()
