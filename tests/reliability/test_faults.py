"""Apply and destroy 200 associations while the sandbox fails 20% of calls and rate-limits.

Faults are 500, 503 and dropped connections, drawn per request; the rate limit answers 413
with `Retry-After`. Both commands must succeed and leave the sandbox exactly as configured
(after apply) and empty (after destroy). Every failed call must have been retried.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.reliability import figures
from tests.reliability.harness import Layout, assert_converged, assert_empty, faulted, runner_for

LAYOUT = Layout(ips=8, per_ip=25)  # 8 shared IPs, 200 associations
PROVIDER = 'provider "rackspace" {\n  max_retries = 12\n}\n'
FAULTS = {
    "fault_rate": 0.2,
    "fault_kinds": ["500", "503", "drop"],
    # A short window keeps the waits small while still tripping the limit often.
    "rate_limit_per_minute": 40,
    "rate_limit_window_seconds": 2.0,
    "retry_after_seconds": 1,
}


def _retried(entries: list[dict[str, Any]]) -> tuple[int, list[dict[str, Any]]]:
    """(faulted calls followed by another call of the same method and path, those that were not)."""
    retried, missing = 0, []
    for i, entry in enumerate(entries):
        if not entry.get("fault"):
            continue
        again = any(
            e["method"] == entry["method"] and e["path"] == entry["path"] for e in entries[i + 1 :]
        )
        if again:
            retried += 1
        else:
            missing.append(entry)
    return retried, missing


@pytest.mark.e2e
@pytest.mark.slow
def test_apply_and_destroy_200_associations_under_faults(
    tmp_path: Path, plugin_dir: Path, make_sandbox: Any
) -> None:
    sandbox = make_sandbox(LAYOUT.servers)
    runner = runner_for(tmp_path, plugin_dir, sandbox)
    runner.write("main.tf", LAYOUT.config(PROVIDER))
    runner.init().check()

    sandbox.set_faults(**FAULTS)
    sandbox.clear_requests()
    runner.apply("-parallelism=10").check()
    applied = sandbox.requests()
    sandbox.clear_faults()
    assert_converged(runner, sandbox, LAYOUT)

    sandbox.set_faults(**FAULTS)
    sandbox.clear_requests()
    runner.destroy("-parallelism=10").check()
    destroyed = sandbox.requests()
    sandbox.clear_faults()
    assert_empty(runner, sandbox)

    kinds: Counter[str] = Counter()
    total_retried = 0
    for phase, entries in (("apply", applied), ("destroy", destroyed)):
        injected = faulted(entries)
        kinds.update(e["fault"] for e in injected)
        retried, not_retried = _retried(entries)
        # A failed call that was never repeated would have failed the command, unless it was
        # the last of a resource that finished anyway; none may be missing here.
        assert not_retried == [], f"{phase}: faulted calls never retried: {not_retried[:5]}"
        total_retried += retried
        assert injected, f"{phase}: the sandbox injected no fault; the test proved nothing"
        figures.record(f"faults: {phase} requests", len(entries))
    # Each kind of failure must actually have been exercised.
    assert {"500", "503", "drop", "rate_limit"} <= set(kinds), kinds
    figures.record("faults: injected by kind (apply+destroy)", dict(sorted(kinds.items())))
    figures.record("faults: retries (apply+destroy)", total_retried)
