"""`POST /ip_addresses` is not idempotent: never repeated blindly once it may have been acted on.

- The sandbox commits a create and then drops the connection: the apply fails with a
  diagnostic naming the IP it allocated and the `terraform import` command; no second IP is
  made, and following the diagnostic converges.
- Answers that prove nothing was done (503, 413 with `Retry-After`) are retried by themselves.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.reliability import figures
from tests.reliability.harness import (
    NETWORK_ID,
    Layout,
    assert_converged,
    runner_for,
    sandbox_pairs,
    world,
)

IP_PATH = re.compile(r"/networks/v2\.0/ip_addresses$")


def _config_by_ports(layout: Layout, sandbox: Any) -> str:
    """The one-IP layout's configuration, naming its servers' ports (`port_ids`)."""
    assert layout.ips == 1
    port_of = {
        p["device_id"]: p["id"] for p in world(sandbox)["ports"] if p["network_id"] == NETWORK_ID
    }
    ports = ", ".join(f'"{port_of[s]}"' for s in layout.groups()[0])
    by_servers = "  server_ids = local.groups[count.index]\n"
    assert by_servers in layout.config()
    return layout.config().replace(by_servers, f"  port_ids   = [{ports}]\n")


def _posts(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in entries if e["method"] == "POST" and IP_PATH.search(e["path"])]


@pytest.mark.e2e
def test_create_dropped_after_commit_names_the_ip_and_import_command(
    tmp_path: Path, plugin_dir: Path, make_sandbox: Any
) -> None:
    layout = Layout(ips=1, per_ip=2)
    sandbox = make_sandbox(layout.servers)
    runner = runner_for(tmp_path, plugin_dir, sandbox)
    # By ports: importing an IP configured by `server_ids` plans a replacement (the import
    # cannot know which of the two arguments the configuration uses).
    runner.write("main.tf", _config_by_ports(layout, sandbox))
    runner.init().check()

    sandbox.set_faults(drop_after_commit=1)
    sandbox.clear_requests()
    failed = runner.apply()
    assert not failed.ok, "the apply must fail: the create's outcome was not known"

    ips, associations = sandbox_pairs(sandbox)
    assert len(ips) == 1, f"exactly the one committed IP must exist, found {len(ips)}"
    [made] = ips
    posts = _posts(sandbox.requests())
    assert len(posts) == 1 and posts[0]["status"] is None, "the create was sent more than once"
    assert associations == set()

    text = " ".join(failed.stderr.split())  # Terraform wraps long diagnostic lines
    assert "Creating the shared IP may have succeeded" in text
    assert made in text, "the diagnostic must name the IP the create allocated"
    assert f"terraform import rackspace_ip_address.<name> {made}" in text
    assert runner.run("state", "list").stdout.strip() == "", "nothing may be in state yet"

    # Doing what the diagnostic says adopts the IP, and the next apply converges on it.
    runner.import_("rackspace_ip_address.vip[0]", made).check()
    runner.apply().check()
    ips_after, _ = sandbox_pairs(sandbox)
    assert set(ips_after) == {made}, "the apply after the import made another IP"
    assert_converged(runner, sandbox, layout)
    assert len(_posts(sandbox.requests())) == 1
    figures.record("ambiguous create: IPs orphaned", len(set(ips_after) - {made}))


@pytest.mark.e2e
def test_creates_refused_before_acting_are_retried(
    tmp_path: Path, plugin_dir: Path, make_sandbox: Any
) -> None:
    layout = Layout(ips=10, per_ip=2)
    sandbox = make_sandbox(layout.servers)
    runner = runner_for(tmp_path, plugin_dir, sandbox)
    runner.write("main.tf", layout.config('provider "rackspace" {\n  max_retries = 30\n}\n'))
    runner.init().check()

    # Only the IP calls fail (503), and ten creates at once overrun a 1-write-per-second
    # budget (413 + Retry-After); neither answer means the IP was made. The 503 rate is kept
    # low enough that the first wave of creates reaches the rate limit: with 60% and 3 writes
    # a second, a run could see no 413 at all, since 503s are decided first.
    sandbox.set_faults(
        fault_rate=0.3,
        fault_kinds=["503"],
        fault_path_contains="/ip_addresses",
        rate_limit_per_minute=1,
        rate_limit_window_seconds=1.0,
        retry_after_seconds=1,
    )
    sandbox.clear_requests()
    runner.apply("-parallelism=10").check()
    sandbox.clear_faults()

    posts = _posts(sandbox.requests())
    by_outcome = {
        "created": sum(1 for e in posts if e["status"] == 201),
        "503": sum(1 for e in posts if e["fault"] == "503"),
        "413": sum(1 for e in posts if e["fault"] == "rate_limit"),
    }
    assert by_outcome["created"] == layout.ips, by_outcome
    assert by_outcome["503"] > 0 and by_outcome["413"] > 0, (
        f"both refusals must have hit a create: {by_outcome}"
    )
    assert len(posts) == sum(by_outcome.values()), "a create failed some other way"
    assert_converged(runner, sandbox, layout)
    figures.record("create retried after 503/413 (sent/created)", f"{len(posts)}/{layout.ips}")
