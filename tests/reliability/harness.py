"""Shared pieces of the reliability and security scenarios.

A scenario is a seeded world (one tenant, one isolated network, many servers), a Terraform
configuration of shared IPs over groups of those servers plus one association per
(server, IP), and checks that the sandbox and the Terraform state agree.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from sandbox.seed import derived_id
from tests.support.sandbox import Sandbox
from tests.support.terraform import TerraformBinary, TerraformRunner, terraform_binaries

TENANT = "123456"
REGION = "DFW"
NETWORK_ID = "5ea1c0de-0000-4000-8000-0000000000aa"
SERVER_PREFIX = "node-"
API_KEY = "reliability-demo-key-7f3a"
PASSWORD = "reliability-demo-password-c41e"


def newest_terraform() -> TerraformBinary:
    """The newest real Terraform available (the heavy scenarios run on one binary only)."""
    binaries = terraform_binaries()
    if not binaries:
        pytest.skip("no real Terraform binary")
    return max(binaries, key=lambda b: b.version_tuple)


def server_ids(count: int) -> list[str]:
    """The ids the seed gives servers `node-1` .. `node-<count>`."""
    names = (f"{SERVER_PREFIX}{n}" for n in range(1, count + 1))
    return [derived_id("server", TENANT, REGION, name) for name in names]


def write_seed(path: Path, servers: int) -> Path:
    """A seed: tenant 123456 (users demo/admin, observer, creator), tenant 654321 (other),
    one isolated network and `servers` servers on it."""
    seed = {
        "regions": [{"name": REGION, "zones": ["dfw-zone-a"]}],
        "tenants": [
            {
                "id": TENANT,
                "users": [
                    {"name": "demo", "api_key": API_KEY, "password": PASSWORD, "role": "admin"},
                    {
                        "name": "observer",
                        "api_key": "reliability-observer-key",
                        "password": "reliability-observer-password",
                        "role": "observer",
                    },
                    {
                        "name": "creator",
                        "api_key": "reliability-creator-key",
                        "password": "reliability-creator-password",
                        "role": "creator",
                    },
                ],
            },
            {
                "id": "654321",
                "users": [{"name": "other", "api_key": "reliability-other-key", "role": "admin"}],
            },
        ],
        "quotas": {"ips_per_port": {"isolated": None}},
        "networks": [
            {
                "id": NETWORK_ID,
                "name": "vip-net",
                "tenant": TENANT,
                "region": REGION,
                "cidr": "10.20.0.0/16",
            }
        ],
        "servers": [
            {
                "name_prefix": SERVER_PREFIX,
                "count": servers,
                "tenant": TENANT,
                "region": REGION,
                "zone": "dfw-zone-a",
                "networks": ["PublicNet", "vip-net"],
            },
            {"name": "foreign-1", "tenant": "654321", "region": REGION, "zone": "dfw-zone-a"},
        ],
    }
    path.write_text(yaml.safe_dump(seed, sort_keys=False))
    return path


@dataclass(frozen=True)
class Layout:
    """`ips` shared IPs; IP k is provisioned on server group k and associated with each of
    its `per_ip` servers (groups are disjoint, so no two IPs look alike)."""

    ips: int
    per_ip: int

    @property
    def servers(self) -> int:
        """How many servers the seed needs."""
        return self.ips * self.per_ip

    @property
    def associations(self) -> int:
        """How many associations the configuration declares."""
        return self.ips * self.per_ip

    def groups(self) -> list[list[str]]:
        """Server ids per IP."""
        ids = server_ids(self.servers)
        return [ids[k * self.per_ip : (k + 1) * self.per_ip] for k in range(self.ips)]

    def config(self, provider_block: str = 'provider "rackspace" {}\n') -> str:
        """The Terraform configuration of the layout."""
        groups = json.dumps(self.groups(), indent=2)
        return (
            "terraform {\n  required_providers {\n"
            '    rackspace = { source = "rackspace/rackspace" }\n  }\n}\n\n'
            f"{provider_block}\n"
            f"locals {{\n  groups = {groups}\n  servers = flatten(local.groups)\n}}\n\n"
            'resource "rackspace_ip_address" "vip" {\n'
            f"  count      = {self.ips}\n"
            f'  network_id = "{NETWORK_ID}"\n'
            "  server_ids = local.groups[count.index]\n"
            "}\n\n"
            'resource "rackspace_server_ip_association" "member" {\n'
            f"  count         = {self.associations}\n"
            "  server_id     = local.servers[count.index]\n"
            f"  ip_address_id = rackspace_ip_address.vip[floor(count.index / {self.per_ip})].id\n"
            "}\n"
        )


def world(sandbox: Sandbox) -> dict[str, Any]:
    """The tenant's region in the sandbox: servers, ports, ip_addresses, associations."""
    dump = sandbox.state()
    # The admin API has served both `{"tenants": {...}}` and the bare mapping.
    tenants = dump["tenants"] if isinstance(dump.get("tenants"), dict) else dump
    data = tenants.get(TENANT, {}).get(REGION)
    return data or {"servers": [], "ports": [], "ip_addresses": [], "associations": []}


def sandbox_pairs(sandbox: Sandbox) -> tuple[dict[str, frozenset[str]], set[tuple[str, str]]]:
    """({ip id: servers carrying it}, {(server id, ip id)} explicitly associated)."""
    w = world(sandbox)
    ips = {
        ip["id"]: frozenset(p["device_id"] for p in ip["pairs"])
        for ip in w["ip_addresses"]
        if ip["type"] == "shared"
    }
    associations = {(a["server_id"], a["ip_address_id"]) for a in w["associations"]}
    return ips, associations


def state_resources(runner: TerraformRunner) -> list[dict[str, Any]]:
    """Managed resources in the Terraform state (from `terraform show -json`)."""
    shown = runner.show_json()
    return [
        r
        for r in (shown.get("values") or {}).get("root_module", {}).get("resources", [])
        if r.get("mode") == "managed"
    ]


def assert_converged(runner: TerraformRunner, sandbox: Sandbox, layout: Layout) -> None:
    """Sandbox and state hold exactly the layout: its IPs on its groups, its associations."""
    ips, associations = sandbox_pairs(sandbox)
    resources = state_resources(runner)
    state_ips = {r["values"]["id"]: r for r in resources if r["type"] == "rackspace_ip_address"}
    assoc_list = [
        (r["values"]["server_id"], r["values"]["ip_address_id"])
        for r in resources
        if r["type"] == "rackspace_server_ip_association"
    ]
    state_assoc = set(assoc_list)
    assert len(assoc_list) == len(state_assoc), "the state holds an association twice"
    assert len(ips) == layout.ips, f"sandbox holds {len(ips)} shared IPs, expected {layout.ips}"
    assert set(ips) == set(state_ips), "state and sandbox disagree on the shared IPs"
    assert sorted(ips.values(), key=sorted) == sorted(
        (frozenset(g) for g in layout.groups()), key=sorted
    ), "some IP is not on exactly its configured servers"
    expected = {(server, ip_id) for ip_id, servers in ips.items() for server in servers}
    assert associations == expected, (
        f"sandbox associations differ: {len(associations - expected)} unexpected, "
        f"{len(expected - associations)} missing"
    )
    assert state_assoc == associations, "state and sandbox disagree on the associations"
    assert len(state_assoc) == layout.associations


def assert_empty(runner: TerraformRunner, sandbox: Sandbox) -> None:
    """Nothing left in the sandbox's tenant or in the state."""
    ips, associations = sandbox_pairs(sandbox)
    assert ips == {} and associations == set(), (ips, associations)
    assert state_resources(runner) == []


def runner_for(
    tmp_path: Path, plugin_dir: Path, sandbox: Sandbox, *, name: str = "work", **kwargs: Any
) -> TerraformRunner:
    """A runner on the newest Terraform with the sandbox's credentials in its environment."""
    env = {**sandbox.env(user="demo", region=REGION), **kwargs.pop("env", {})}
    return TerraformRunner(
        newest_terraform(), tmp_path / name, plugin_dir, env=env, timeout=240, **kwargs
    )


def start_terraform(runner: TerraformRunner, *args: str) -> subprocess.Popen[str]:
    """Start a Terraform command in the background (its own process group)."""
    return subprocess.Popen(
        [str(runner.binary.path), *args],
        cwd=runner.workdir,
        env=runner.environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_until(
    predicate: Callable[[], bool], timeout: float, what: str, step: float = 0.05
) -> None:
    """Poll until `predicate()` holds; fail the test with `what` otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def descendants(pid: int) -> list[int]:
    """Every live descendant of `pid` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def cmdline(pid: int) -> str:
    """A process's command line, or "" when it is gone."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def provider_pids(terraform_pid: int) -> list[int]:
    """Provider plugin processes Terraform launched."""
    return [
        p
        for p in descendants(terraform_pid)
        if "-m provider" in cmdline(p) or "terraform-provider-rackspace" in cmdline(p)
    ]


def rss_kib(pid: int) -> int:
    """Resident set size of a process in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def stop_group(proc: subprocess.Popen[str], timeout: float = 10) -> tuple[str, str]:
    """Wait for a background Terraform; kill its group if it overstays. Returns its output."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
    return out, err


def faulted(entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Request-log entries the sandbox failed on purpose (fault or rate limit)."""
    return [e for e in entries if e.get("fault")]
