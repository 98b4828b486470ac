"""The command line (`serve`, `env`) and seed-file handling."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from sandbox_api import Api

from sandbox.cli import main
from sandbox.seed import SeedError, load_seed, parse_seed
from tests.support.sandbox import Sandbox


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sandbox", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_env_prints_exports(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["env", "--port", "8999", "--user", "creator", "--region", "ord"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "export RACKSPACE_AUTH_URL=http://127.0.0.1:8999/v2.0/",
        "export RACKSPACE_USERNAME=creator",
        "export RACKSPACE_API_KEY=sandbox-creator-key",
        "export RACKSPACE_REGION=ORD",
        "export RACKSPACE_TENANT_ID=123456",
    ]


def test_env_rejects_unknown_user_and_region(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["env", "--user", "mallory"]) == 2
    assert "no user 'mallory'" in capsys.readouterr().err
    assert main(["env", "--region", "syd"]) == 2
    assert "region SYD" in capsys.readouterr().err


def test_bad_seed_is_a_clear_error_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "seed.yaml"
    bad.write_text(
        "regions: [DFW]\ntenants: [{id: '1', users: [{name: u, api_key: k, role: god}]}]\n"
    )
    result = run("serve", "--port", "0", "--db", str(tmp_path / "x.db"), "--seed", str(bad))
    assert result.returncode == 2
    assert "role must be one of admin, creator, observer" in result.stderr
    assert "Traceback" not in result.stderr
    result = run(
        "serve", "--port", "0", "--db", str(tmp_path / "x.db"), "--seed", str(tmp_path / "none")
    )
    assert result.returncode == 2 and "cannot read seed file" in result.stderr


def test_busy_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = run("serve", "--port", str(port), "--db", str(tmp_path / "x.db"))
    assert result.returncode == 1
    assert (
        f"cannot listen on 127.0.0.1:{port}" in result.stderr and "Traceback" not in result.stderr
    )


def test_startup_line_request_log_and_clean_stop(tmp_path: Path) -> None:
    sb = Sandbox(tmp_path, args=["--log-requests"]).start()
    try:
        Api(sb).srv("GET", "/servers")
    finally:
        assert sb.stop() == 0
    log = sb.log_text()
    assert (
        f"rackspace-sandbox: serving http://127.0.0.1:{sb.port} (db {sb.db}, regions DFW, ORD)"
        in log
    )
    assert "GET /dfw/servers/v2/123456/servers 200" in log
    assert "sandbox-demo-key" not in log  # secrets never logged
    assert "rackspace-sandbox: stopped" in log


def test_start_time_faults_and_token_ttl(tmp_path: Path) -> None:
    with Sandbox(
        tmp_path,
        args=[
            "--fault-rate",
            "1",
            "--fault-kinds",
            "503",
            "--rate-limit",
            "9",
            "--token-ttl",
            "60",
            "--latency-ms",
            "5",
        ],
    ) as sb:
        faults = sb.faults()
        assert faults["fault_rate"] == 1.0 and faults["fault_kinds"] == ["503"]
        assert faults["rate_limit_per_minute"] == 9 and faults["latency_ms"] == 5
        assert sb.call("POST", "/v2.0/tokens", {})[0] == 503
        sb.set_faults(fault_rate=0)
        assert sb.clear_faults()["fault_rate"] == 1.0  # back to the command line's value


def test_compact_json_seed_with_many_servers(tmp_path: Path) -> None:
    seed = {
        "regions": [{"name": "iad", "zones": ["iad-1", "iad-2"]}],
        "users": [{"name": "bench", "tenant": "777", "password": "pw", "role": "admin"}],
        "quotas": {"shared_ips_per_tenant": {"publicnet": 100}},
        "servers": [
            {
                "name_prefix": "bench-",
                "count": 300,
                "tenant": "777",
                "region": "IAD",
                "zone": "iad-2",
            },
        ],
    }
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(seed))
    with Sandbox(tmp_path, seed=path) as sb:
        env = sb.env(user="bench", region="IAD")
        assert env["RACKSPACE_PASSWORD"] == "pw" and env["RACKSPACE_REGION"] == "IAD"
        body = {"auth": {"passwordCredentials": {"username": "bench", "password": "pw"}}}
        token = sb.call("POST", "/v2.0/tokens", body)[1]["access"]["token"]["id"]
        status, data = sb.call("GET", "/iad/servers/v2/777/servers", token=token)
        assert status == 200 and len(data["servers"]) == 300
        # More than one /24 of PublicNet addresses: the allocator spills into the next subnet.
        status, data = sb.call(
            "GET",
            "/iad/networks/v2.0/ip_addresses?version=4&network_id="
            "00000000-0000-0000-0000-000000000000",
            token=token,
        )
        addresses = {ip["address"] for ip in data["ip_addresses"]}
        assert len(addresses) == 300
        assert any(a.startswith("198.18.") for a in addresses)
        # Shared-IP quota overridden to 100: the sixth PublicNet shared IP is fine.
        servers = [
            s["id"]
            for s in sb.call("GET", "/iad/servers/v2/777/servers", token=token)[1]["servers"]
        ]
        for i in range(6):
            status, _ = sb.call(
                "POST",
                "/iad/networks/v2.0/ip_addresses",
                {
                    "ip_address": {
                        "network_id": "00000000-0000-0000-0000-000000000000",
                        "version": 4,
                        "device_ids": servers[2 * i : 2 * i + 2],
                    }
                },
                token=token,
            )
            assert status == 201


def test_default_seed_file_matches_documented_values() -> None:
    seed = load_seed(None)
    assert [r.name for r in seed.regions] == ["DFW", "ORD"]
    assert {(u.name, u.tenant_id, u.api_key, u.role) for u in seed.users} == {
        ("demo", "123456", "sandbox-demo-key", "admin"),
        ("creator", "123456", "sandbox-creator-key", "creator"),
        ("observer", "123456", "sandbox-observer-key", "observer"),
        ("other", "654321", "sandbox-other-key", "admin"),
    }
    assert seed.user("demo").password == "sandbox-demo-password"
    assert {s.name: (s.region, s.zone) for s in seed.servers} == {
        "web-1": ("DFW", "dfw-zone-a"),
        "web-2": ("DFW", "dfw-zone-a"),
        "web-3": ("DFW", "dfw-zone-a"),
        "web-4": ("DFW", "dfw-zone-a"),
        "db-1": ("DFW", "dfw-zone-b"),
        "app-1": ("ORD", "ord-zone-a"),
        "foreign-1": ("DFW", "dfw-zone-a"),
    }
    assert seed.shared_ip_quota == {"publicnet": 5, "servicenet": 0, "isolated": None}
    assert seed.port_ip_quota == {"publicnet": 6, "servicenet": 1, "isolated": 5}
    # The shipped YAML is what the code loads.
    assert (
        yaml.safe_load(Path("sandbox/default_seed.yaml").read_text())["regions"][0]["name"] == "DFW"
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "top level must be a mapping"),
        ({"regions": []}, "at least one region"),
        ({"regions": ["DFW", "dfw"]}, "unique"),
        ({"regions": ["DFW"], "tenants": ["1"]}, "at least one user"),
        ({"regions": ["DFW"], "users": [{"name": "u", "tenant": "1"}]}, "api_key"),
        (
            {
                "regions": ["DFW"],
                "users": [{"name": "u", "tenant": "1", "api_key": "k"}],
                "servers": [{"name": "s", "tenant": "2"}],
            },
            "unknown tenant",
        ),
        (
            {
                "regions": ["DFW"],
                "users": [{"name": "u", "tenant": "1", "api_key": "k"}],
                "servers": [{"name": "s", "tenant": "1", "zone": "nowhere"}],
            },
            "is not a zone",
        ),
        (
            {
                "regions": ["DFW"],
                "users": [{"name": "u", "tenant": "1", "api_key": "k"}],
                "servers": [{"name": "s", "tenant": "1", "networks": ["nope"]}],
            },
            "network 'nope'",
        ),
        (
            {
                "regions": ["DFW"],
                "users": [{"name": "u", "tenant": "1", "api_key": "k"}],
                "networks": [
                    {"name": "n", "tenant": "1", "region": "DFW", "cidr": "2001:db8::/64"}
                ],
            },
            "IPv4",
        ),
        (
            {
                "regions": ["DFW"],
                "users": [{"name": "u", "tenant": "1", "api_key": "k"}],
                "quotas": {"ips_per_port": {"publicnet": -1}},
            },
            "non-negative",
        ),
    ],
)
def test_seed_validation(data: object, message: str) -> None:
    with pytest.raises(SeedError, match=message):
        parse_seed(data)
