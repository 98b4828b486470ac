"""Ctrl-C during a slow apply (2 s per API call) returns within seconds, state matching the API."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from tests.reliability import figures
from tests.reliability.harness import (
    Layout,
    provider_pids,
    runner_for,
    sandbox_pairs,
    start_terraform,
    state_resources,
    stop_group,
    wait_until,
)

LAYOUT = Layout(ips=1, per_ip=30)
RETURN_WITHIN = 10.0  # seconds; in-flight calls take 2 s, so a few seconds is the floor


@pytest.mark.e2e
@pytest.mark.slow
def test_ctrl_c_during_slow_apply_returns_quickly_with_state_matching(
    tmp_path: Path, plugin_dir: Path, make_sandbox: Any
) -> None:
    sandbox = make_sandbox(LAYOUT.servers)
    runner = runner_for(tmp_path, plugin_dir, sandbox)
    runner.write("main.tf", LAYOUT.config())
    runner.init().check()
    sandbox.set_faults(latency_ms=2000)

    proc = start_terraform(runner, "apply", "-no-color", "-auto-approve", "-parallelism=10")
    try:
        wait_until(lambda: len(sandbox_pairs(sandbox)[1]) > 0, 60, "the first association")
        providers = provider_pids(proc.pid)
        sent = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        out, err = stop_group(proc, timeout=60)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    sandbox.clear_faults()
    assert proc.returncode != 0, f"the apply was interrupted and must say so:\n{out}\n{err}"
    assert took < RETURN_WITHIN, f"Terraform took {took:.1f}s to return after Ctrl-C"

    ips, associations = sandbox_pairs(sandbox)
    resources = state_resources(runner)
    assert {r["values"]["id"] for r in resources if r["type"] == "rackspace_ip_address"} == set(ips)
    state_assoc = {
        (r["values"]["server_id"], r["values"]["ip_address_id"])
        for r in resources
        if r["type"] == "rackspace_server_ip_association"
    }
    assert state_assoc == associations, "state and sandbox disagree after Ctrl-C"
    assert 0 < len(associations) < LAYOUT.associations, "Ctrl-C did not stop the apply midway"
    wait_until(lambda: not any(os.path.exists(f"/proc/{p}") for p in providers), 5, "exit")
    figures.record("Ctrl-C: seconds to return (latency 2 s)", round(took, 2))
