"""Our provider, ``rackspace/rackspace``, measured with ``rackspace_server_ip_association``.

N associations need N (server, shared IP) pairs. Before anything is timed the sandbox is
seeded with enough servers on one isolated network (quotas lifted) and the bench provisions
one shared IP over each pair of consecutive servers' ports straight through the API, so the
timed Terraform runs manage only the associations: association ``i`` ties server ``i`` to the
IP of pair ``i // 2``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.subjects import MIRROR_TARGET, required_providers_block
from tests.support.sandbox import Sandbox

BENCH_TENANT = "123456"
BENCH_REGION = "DFW"
BENCH_USER = "bench"
BENCH_API_KEY = "bench-api-key"
BENCH_NETWORK_ID = "be4c0000-0000-4000-8000-000000000001"


def bench_seed(servers: int) -> dict[str, Any]:
    """A world of ``servers`` servers on one isolated /16, with no shared-IP quota."""
    return {
        "regions": [{"name": BENCH_REGION, "zones": ["dfw-zone-a"]}],
        "tenants": [
            {
                "id": BENCH_TENANT,
                "users": [{"name": BENCH_USER, "api_key": BENCH_API_KEY, "role": "admin"}],
            }
        ],
        "quotas": {
            "shared_ips_per_tenant": {"isolated": None},
            "ips_per_port": {"isolated": 5},
        },
        "networks": [
            {
                "id": BENCH_NETWORK_ID,
                "name": "bench-net",
                "tenant": BENCH_TENANT,
                "region": BENCH_REGION,
                "cidr": "10.20.0.0/16",
            }
        ],
        "servers": [
            {
                "name_prefix": "bench-",
                "count": servers,
                "tenant": BENCH_TENANT,
                "region": BENCH_REGION,
                "zone": "dfw-zone-a",
                "networks": ["bench-net"],
            }
        ],
    }


def provision_pairs(sandbox: Sandbox, servers: int) -> tuple[list[str], list[str]]:
    """One shared IP per two servers; return per-association server ids and IP ids."""
    token = sandbox.token(BENCH_USER)
    prefix = f"/{BENCH_REGION.lower()}/networks/v2.0"
    status, body = sandbox.call("GET", f"{prefix}/ports?network_id={BENCH_NETWORK_ID}", token=token)
    if status != 200:
        raise RuntimeError(f"listing the bench ports failed: {status} {body}")
    ports = body["ports"]
    if len(ports) < servers:
        raise RuntimeError(f"the sandbox has {len(ports)} bench ports, {servers} needed")
    server_ids: list[str] = []
    ip_ids: list[str] = []
    for i in range(0, servers - servers % 2, 2):
        pair = ports[i : i + 2]
        request = {
            "ip_address": {
                "network_id": BENCH_NETWORK_ID,
                "version": 4,
                "port_ids": [p["id"] for p in pair],
            }
        }
        status, body = sandbox.call("POST", f"{prefix}/ip_addresses", request, token=token)
        if status != 201:
            raise RuntimeError(f"provisioning a shared IP failed: {status} {body}")
        for port in pair:
            server_ids.append(port["device_id"])
            ip_ids.append(body["ip_address"]["id"])
    return server_ids, ip_ids


class Ours:
    """``rackspace/rackspace`` from this repository, against the local sandbox."""

    key = "ours"
    label = "ours (rackspace)"
    source = "rackspace/rackspace"

    def __init__(self, work_dir: Path) -> None:
        self.work_dir = work_dir
        self.version = _installed_version()
        self.sandbox: Sandbox | None = None
        self.server_ids: list[str] = []
        self.ip_ids: list[str] = []

    def install(self, mirror: Path) -> Path:
        """Our own ``install --dir``: the launcher it writes is what Terraform runs."""
        pkg_root = mirror / "registry.terraform.io" / "rackspace" / "rackspace"
        if pkg_root.exists():
            shutil.rmtree(pkg_root)
        exe = Path(sys.prefix) / "bin" / "terraform-provider-rackspace"
        done = subprocess.run(
            [str(exe), "install", "--dir", str(mirror)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"terraform-provider-rackspace install failed: {done.stderr[-2000:]}"
            )
        found = sorted(pkg_root.glob(f"*/{MIRROR_TARGET}/terraform-provider-rackspace*"))
        if not found:
            raise RuntimeError(f"install --dir {mirror} wrote no launcher under {pkg_root}")
        self.version = found[-1].parent.parent.name
        return found[-1]

    def prepare(self, max_count: int) -> None:
        """Start the sandbox with ``max_count`` servers (rounded up to even) and their IPs."""
        servers = max_count + max_count % 2
        directory = self.work_dir / "sandbox"
        if directory.exists():
            shutil.rmtree(directory)
        directory.mkdir(parents=True)
        seed = directory / "seed.json"
        seed.write_text(json.dumps(bench_seed(servers), indent=1))
        self.sandbox = Sandbox(directory, seed=seed).start()
        self.server_ids, self.ip_ids = provision_pairs(self.sandbox, servers)

    def close(self) -> None:
        """Stop the sandbox."""
        if self.sandbox is not None:
            self.sandbox.stop()
            self.sandbox = None

    def set_latency(self, ms: int) -> None:
        """Scenario 4's knob."""
        assert self.sandbox is not None
        self.sandbox.set_faults(latency_ms=ms)

    def env(self) -> dict[str, str]:
        """The ``RACKSPACE_*`` variables pointing at the sandbox (as ``rackspace-sandbox env``)."""
        assert self.sandbox is not None
        return self.sandbox.env(user=BENCH_USER, region=BENCH_REGION)

    def write_config(self, directory: Path, count: int) -> None:
        """``count`` associations over the pre-provisioned (server, shared IP) pairs."""
        if count > len(self.server_ids):
            raise RuntimeError(f"{count} associations asked for, {len(self.server_ids)} prepared")
        (directory / "main.tf").write_text(
            required_providers_block("rackspace", self.source, self.version)
            + '\nprovider "rackspace" {}\n\n'
            + 'variable "server_ids" {\n  type = list(string)\n}\n\n'
            + 'variable "ip_address_ids" {\n  type = list(string)\n}\n\n'
            + 'resource "rackspace_server_ip_association" "r" {\n'
            + f"  count         = {count}\n"
            + "  server_id     = var.server_ids[count.index]\n"
            + "  ip_address_id = var.ip_address_ids[count.index]\n}\n"
        )
        (directory / "terraform.tfvars.json").write_text(
            json.dumps(
                {"server_ids": self.server_ids[:count], "ip_address_ids": self.ip_ids[:count]}
            )
        )


def _installed_version() -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version("terraform-provider-rackspace")
    except importlib.metadata.PackageNotFoundError:
        return "0.0.0"  # replaced by the version `install` wrote
