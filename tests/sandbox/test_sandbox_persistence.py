"""Persistence across restarts (clean and SIGKILL) and concurrent writes without lost updates."""

from __future__ import annotations

import json
import threading
from collections import Counter
from pathlib import Path

from sandbox_api import PUBLICNET, WEB, Api

from tests.support.sandbox import Sandbox


def test_restart_keeps_ips_associations_and_tokens(tmp_path: Path) -> None:
    with Sandbox(tmp_path) as sb:
        demo = Api(sb)
        ip = demo.shared_ip(WEB[:2])
        assert demo.associate(WEB[0], ip["id"])[0] == 201
        created = demo.srv("POST", "/servers", {"server": {"name": "made-at-runtime"}})[1]
        port = sb.port
        for hard in (False, True):
            sb.restart(hard=hard)
            assert sb.port == port
            # The old token still works: tokens are persisted too.
            assert demo.net("GET", f"/ip_addresses/{ip['id']}") == (200, {"ip_address": ip})
            assert demo.srv("GET", f"/servers/{WEB[0]}/ip_associations")[1] == {
                "ip_associations": [{"id": ip["id"], "address": ip["address"]}]
            }
            assert demo.srv("GET", f"/servers/{created['server']['id']}")[0] == 200
        # The seed was not applied again on top (that would duplicate servers or fail).
        assert len(demo.srv("GET", "/servers")[1]["servers"]) == 6
        # A new IP does not reuse the address of the live one.
        assert demo.shared_ip(WEB[2:4])["address"] != ip["address"]


def test_in_memory_database(tmp_path: Path) -> None:
    with Sandbox(tmp_path, db=":memory:") as sb:
        demo = Api(sb)
        ip = demo.shared_ip(WEB[:2])
        assert sb.health()["db"] == ":memory:"
        sb.restart()
        assert (
            demo.sb.call("GET", f"/dfw/networks/v2.0/ip_addresses/{ip['id']}", token=Api(sb).token)[
                0
            ]
            == 404
        )


def test_concurrent_association_puts_on_one_ip_lose_nothing(tmp_path: Path) -> None:
    seed = {
        "regions": [{"name": "DFW", "zones": ["z"]}],
        "tenants": [{"id": "1", "users": [{"name": "demo", "api_key": "k"}]}],
        "networks": [{"name": "net", "tenant": "1", "region": "DFW", "cidr": "10.9.0.0/24"}],
        "servers": [
            {"name_prefix": "c-", "count": 24, "tenant": "1", "region": "DFW", "networks": ["net"]}
        ],
    }
    (tmp_path / "seed.json").write_text(json.dumps(seed))
    with Sandbox(tmp_path, seed=tmp_path / "seed.json") as sb:
        api = Api(sb)
        servers = [s["id"] for s in api.srv("GET", "/servers")[1]["servers"]]
        net = api.net("GET", "/networks")[1]["networks"][-1]["id"]
        ip = api.shared_ip(servers, net)
        assert len(ip["port_ids"]) == 24
        results: list[tuple[str, int]] = []
        lock = threading.Lock()

        def worker(server_id: str) -> None:
            for _ in range(3):  # repeats must be idempotent
                status = api.associate(server_id, ip["id"])[0]
                with lock:
                    results.append((server_id, status))

        threads = [threading.Thread(target=worker, args=(s,)) for s in servers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # Exactly one 201 per server, every other answer 200.
        created = Counter(s for s, status in results if status == 201)
        assert created == Counter(dict.fromkeys(servers, 1))
        assert Counter(status for _, status in results) == {201: 24, 200: 48}
        state = sb.state()["1"]["DFW"]
        assert sorted(a["server_id"] for a in state["associations"]) == sorted(servers)

        # Concurrent disassociations all land too, after which the IP can go.
        threads = [threading.Thread(target=api.disassociate, args=(s, ip["id"])) for s in servers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sb.state()["1"]["DFW"]["associations"] == []
        assert api.net("DELETE", f"/ip_addresses/{ip['id']}")[0] == 204


def test_concurrent_creates_respect_the_shared_ip_quota(sb: Sandbox) -> None:
    demo = Api(sb)
    answers: list[tuple[int, dict]] = []

    def create(pair: list[str]) -> None:
        body = {"ip_address": {"network_id": PUBLICNET, "version": 6, "device_ids": pair}}
        answers.append(demo.net("POST", "/ip_addresses", body))

    # Six attempts per server pair: per-port room (4 each) never binds before the tenant's 5.
    threads = [
        threading.Thread(target=create, args=(WEB[i % 2 * 2 : i % 2 * 2 + 2],)) for i in range(12)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = Counter(status for status, _ in answers)
    assert statuses == {201: 5, 409: 7}
    assert {d["NeutronError"]["type"] for s, d in answers if s == 409} == {
        "CannotCreateMoreSharedIPs"
    }
    assert len(demo.net("GET", "/ip_addresses?type=shared")[1]["ip_addresses"]) == 5
