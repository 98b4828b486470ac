"""Our provider, ``rackspace/rackspace``, measured with ``rackspace_server_ip_association``.

Two subjects measure it side by side: ``ours`` with warm launches, what users get by default
(the launcher hands each launch to a fork server, started before anything is timed, in a
private socket directory, and stopped at the end), and ``ours-cold`` with them switched off
(``TERRAFORM_PROVIDER_RACKSPACE_WARM=0``): every launch a fresh Python process.

N associations need N (server, shared IP) pairs. Before anything is timed the sandbox is
seeded with enough servers on one isolated network (quotas lifted) and the bench provisions
one shared IP over each pair of consecutive servers' ports straight through the API, so the
timed Terraform runs manage only the associations: association ``i`` ties server ``i`` to the
IP of pair ``i // 2``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.subjects import MIRROR_TARGET, required_providers_block
from tests.support.sandbox import Sandbox

BENCH_TENANT = "123456"
BENCH_REGION = "DFW"
BENCH_USER = "bench"
BENCH_API_KEY = "bench-api-key"
BENCH_NETWORK_ID = "be4c0000-0000-4000-8000-000000000001"


def bench_seed(
    servers: int, *, prefix: str = "bench-", ips_per_port: int = 5, others: int = 0
) -> dict[str, Any]:
    """A world of ``servers`` servers (names ``prefix``...) on one isolated /16, with no
    shared-IP quota and ``ips_per_port`` IPs allowed on a port, plus ``others`` more servers
    on the network (named ``other-``; their fixed IPs make the tenant's IP listing longer)."""
    entries = [
        {
            "name_prefix": prefix,
            "count": servers,
            "tenant": BENCH_TENANT,
            "region": BENCH_REGION,
            "zone": "dfw-zone-a",
            "networks": ["bench-net"],
        }
    ]
    if others:
        entries.append({**entries[0], "name_prefix": "other-", "count": others})
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
            "ips_per_port": {"isolated": ips_per_port},
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
        "servers": entries,
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


PROG = "terraform-provider-rackspace"
_PREFIX = PROG.upper().replace("-", "_")
# Longer than any pause between two commands of a full run: the server measured is the one
# started before the clock ran (it is stopped by close()).
_BENCH_IDLE_SECONDS = "7200"


class Ours:
    """``rackspace/rackspace`` from this repository, against the local sandbox, with warm
    launches (the default)."""

    key = "ours"
    label = "ours (rackspace, warm launches)"
    source = "rackspace/rackspace"
    warm = True

    def __init__(self, work_dir: Path) -> None:
        self.work_dir = work_dir
        self.version = _installed_version()
        self.sandbox: Sandbox | None = None
        self.server_ids: list[str] = []
        self.ip_ids: list[str] = []
        self.launcher: Path | None = None
        # Directly under /tmp: a socket path must stay under 107 bytes.
        self.warm_dir: Path | None = (
            Path(tempfile.mkdtemp(prefix="bench-warm-", dir="/tmp")) if self.warm else None
        )

    def warm_env(self) -> dict[str, str]:
        """The launcher's warm-launch settings for this subject (on, or explicitly off)."""
        if self.warm_dir is None:
            return {_PREFIX + "_WARM": "0"}
        return {
            _PREFIX + "_WARM": "1",
            _PREFIX + "_WARM_DIR": str(self.warm_dir),
            _PREFIX + "_WARM_IDLE": _BENCH_IDLE_SECONDS,
        }

    def fork_server(self) -> dict[str, Any] | None:
        """The status of this subject's fork server (pid, rss, launches...), or None."""
        if self.warm_dir is None:
            return None
        from provider.plugin import warm_client

        for sock in sorted(self.warm_dir.glob("*.sock")):
            try:
                conn = warm_client.connect(str(sock), timeout=2.0)
            except (OSError, warm_client.Cold):
                continue
            try:
                warm_client.write_message(conn, {"protocol": warm_client.PROTOCOL, "op": "status"})
                reply = warm_client.read_message(conn)
            except (OSError, EOFError):
                continue
            finally:
                conn.close()
            if isinstance(reply, dict):
                return reply
        return None

    def adopted_parents(self) -> list[int]:
        """Processes whose children are this subject's providers besides Terraform's own
        descendants: the fork server forks them, the launcher Terraform runs only relays."""
        status = self.fork_server()
        return [int(status["pid"])] if status else []

    def start_fork_server(self) -> dict[str, Any]:
        """Launch once as Terraform would (cold: it starts the server in the background) and
        wait until the server answers, so no timed launch pays for its start."""
        from bench.handshake import client_certificate_pem, launch_env, launch_once

        assert self.launcher is not None
        env = {**launch_env(client_certificate_pem(), str(self.work_dir)), **self.warm_env()}
        self.work_dir.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            launch_once(self.launcher, env)
            status = self.fork_server()
            if status:
                return status
            time.sleep(0.5)
        raise RuntimeError(f"no fork server came up in {self.warm_dir}")

    def stop_fork_server(self) -> None:
        """SIGTERM the fork server (it exits once its children are gone); remove its dir."""
        status = self.fork_server()
        if status:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(status["pid"]), signal.SIGTERM)
        if self.warm_dir is not None:
            shutil.rmtree(self.warm_dir, ignore_errors=True)

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
        self.launcher = found[-1]
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
        if self.warm:
            self.start_fork_server()

    def close(self) -> None:
        """Stop the sandbox and the fork server."""
        if self.sandbox is not None:
            self.sandbox.stop()
            self.sandbox = None
        self.stop_fork_server()

    def set_latency(self, ms: int) -> None:
        """Scenario 4's knob."""
        assert self.sandbox is not None
        self.sandbox.set_faults(latency_ms=ms)

    def env(self) -> dict[str, str]:
        """The ``RACKSPACE_*`` variables pointing at the sandbox (as ``rackspace-sandbox env``),
        and this subject's warm-launch settings."""
        assert self.sandbox is not None
        return {**self.sandbox.env(user=BENCH_USER, region=BENCH_REGION), **self.warm_env()}

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


class OursCold(Ours):
    """The same provider with warm launches switched off: every launch starts Python."""

    key = "ours-cold"
    label = "ours (rackspace, cold launches)"
    warm = False


def _installed_version() -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version("terraform-provider-rackspace")
    except importlib.metadata.PackageNotFoundError:
        return "0.0.0"  # replaced by the version `install` wrote
