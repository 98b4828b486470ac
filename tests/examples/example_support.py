"""Helpers for the example tests (imported by their conftest and by the tests).

The quick start's own helpers (`scripts/quickstart.py`) find Terraform (with
`scripts/terraform_discovery.py`, as `tests/support/terraform.py` does), install the provider
and run the sandbox, so these tests exercise them too.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest
import quickstart  # scripts/ is on pytest's pythonpath (pyproject.toml)

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"

__all__ = [
    "EXAMPLES",
    "REPO",
    "copy_example",
    "quickstart",
    "run_terraform",
    "shared_state",
]


def run_terraform(
    terraform: Path,
    args: Sequence[str],
    cwd: Path,
    env: dict[str, str],
    *,
    ok: Sequence[int] = (0,),
) -> subprocess.CompletedProcess[str]:
    """Run Terraform; fail the test with its output when the exit code is not in `ok`."""
    done = subprocess.run(
        [str(terraform), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode not in ok:
        pytest.fail(
            f"terraform {' '.join(args)} exited {done.returncode}\n"
            f"--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
        )
    return done


def copy_example(relative: str, target: Path, *, with_provider: bool = True) -> Path:
    """Copy an example directory (plus `provider/provider.tf`, which declares the provider)."""
    shutil.copytree(EXAMPLES / relative, target, dirs_exist_ok=True)
    if with_provider:
        shutil.copy(EXAMPLES / "provider" / "provider.tf", target / "provider.tf")
    return target


def shared_state(sandbox: quickstart.RunningSandbox) -> tuple[list[dict], list[dict]]:
    """Shared IPs and associations the sandbox holds for the demo tenant in DFW."""
    world = sandbox.tenants()["123456"]["DFW"]
    shared = [ip for ip in world["ip_addresses"] if ip["type"] == "shared"]
    return shared, world["associations"]
