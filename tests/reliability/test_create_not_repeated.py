"""`POST /ip_addresses` is not idempotent: never repeated blindly once it may have been acted on.

- The sandbox commits a create and then drops the connection: the one IP that appeared on
  the ports since the POST is taken over (issue 12, fault 4); no second IP is made and the
  apply converges.
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
    state_resources,
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
def test_create_dropped_after_commit_adopts_the_ip_it_made(
    tmp_path: Path, plugin_dir: Path, make_sandbox: Any
) -> None:
    layout = Layout(ips=1, per_ip=2)
    sandbox = make_sandbox(layout.servers)
    runner = runner_for(tmp_path, plugin_dir, sandbox)
    runner.write("main.tf", _config_by_ports(layout, sandbox))
    runner.init().check()

    sandbox.set_faults(drop_after_commit=1)
    sandbox.clear_requests()
    runner.apply().check()

    ips, _ = sandbox_pairs(sandbox)
    assert len(ips) == 1, f"exactly the one committed IP must exist, found {len(ips)}"
    [made] = ips
    posts = _posts(sandbox.requests())
    assert len(posts) == 1 and posts[0]["status"] is None, "the create was sent more than once"
    assert_converged(runner, sandbox, layout)
    [vip] = [r for r in state_resources(runner) if r["type"] == "rackspace_ip_address"]
    assert vip["values"]["id"] == made, "state must hold the IP the dropped create made"
    figures.record("ambiguous create: IPs orphaned", 0)


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
    # Only the IPs are applied under these faults: the associations' PUTs would share the
    # 1-write-per-second budget with ten writers at once, and this test is about creates.
    sandbox.clear_requests()
    runner.apply("-parallelism=10", "-target=rackspace_ip_address.vip").check()
    sandbox.clear_faults()
    posts = _posts(sandbox.requests())
    runner.apply().check()

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
