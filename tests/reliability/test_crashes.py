"""SIGKILL in the middle of an apply of 100 associations: first the provider, then the sandbox.

After a killed provider the next apply converges with no duplicate association and no
orphaned IP. After a killed sandbox (restarted on the same database) nothing it had committed
is lost and the next apply converges.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest

from tests.reliability import figures
from tests.reliability.harness import (
    Layout,
    assert_converged,
    provider_pids,
    runner_for,
    sandbox_pairs,
    start_terraform,
    stop_group,
    wait_until,
)

LAYOUT = Layout(ips=4, per_ip=25)  # 100 associations
KILL_AFTER = 20  # associations committed before the kill
# A little latency keeps the apply in flight long enough to be caught in the middle.
LATENCY_MS = 40


def _associations(sandbox: Any) -> int:
    return len(sandbox_pairs(sandbox)[1])


@pytest.mark.e2e
@pytest.mark.slow
def test_provider_killed_mid_apply_then_apply_converges(
    tmp_path: Path, plugin_dir: Path, make_sandbox: Any
) -> None:
    sandbox = make_sandbox(LAYOUT.servers)
    runner = runner_for(tmp_path, plugin_dir, sandbox)
    runner.write("main.tf", LAYOUT.config())
    runner.init().check()
    sandbox.set_faults(latency_ms=LATENCY_MS)

    proc = start_terraform(runner, "apply", "-no-color", "-auto-approve", "-parallelism=10")
    try:
        wait_until(lambda: _associations(sandbox) >= KILL_AFTER, 90, "associations to appear")
        pids = provider_pids(proc.pid)
        assert pids, "no provider process found under Terraform"
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        at_kill = _associations(sandbox)
    finally:
        out, err = stop_group(proc, timeout=60)
    assert proc.returncode != 0, f"the apply cannot succeed with its provider killed:\n{out}{err}"
    assert at_kill < LAYOUT.associations, "the kill came too late to be mid-apply"
    sandbox.clear_faults()

    runner.apply("-parallelism=10").check()
    assert_converged(runner, sandbox, LAYOUT)
    figures.add("kills survived", 1)
    figures.record("kill provider: associations done at SIGKILL", at_kill)


@pytest.mark.e2e
@pytest.mark.slow
def test_sandbox_killed_mid_apply_loses_nothing_and_apply_converges(
    tmp_path: Path, plugin_dir: Path, make_sandbox: Any
) -> None:
    sandbox = make_sandbox(LAYOUT.servers)
    runner = runner_for(tmp_path, plugin_dir, sandbox)
    runner.write("main.tf", LAYOUT.config())
    runner.init().check()
    sandbox.set_faults(latency_ms=LATENCY_MS)

    proc = start_terraform(runner, "apply", "-no-color", "-auto-approve", "-parallelism=10")
    try:
        wait_until(lambda: _associations(sandbox) >= KILL_AFTER, 90, "associations to appear")
        ips_seen, associations_seen = sandbox_pairs(sandbox)
        sandbox.kill()
        sandbox.start()  # same database, same port
        ips_after, associations_after = sandbox_pairs(sandbox)
    finally:
        stop_group(proc, timeout=120)
    # Everything the sandbox showed as committed before the kill is still there.
    assert set(ips_seen) <= set(ips_after)
    assert associations_seen <= associations_after
    assert len(associations_seen) < LAYOUT.associations, "the kill came too late"

    # The interrupted apply may have finished through retries or failed; either way the
    # next apply converges on exactly the configuration.
    runner.apply("-parallelism=10").check()
    assert_converged(runner, sandbox, LAYOUT)
    figures.add("kills survived", 1)
    figures.record("kill sandbox: associations committed at SIGKILL", len(associations_seen))
