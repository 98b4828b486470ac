"""The CI recipe examples/ci/plan-check.sh exits with the plan's meaning: 0, 2 or 1."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from example_support import EXAMPLES, copy_example, quickstart

pytestmark = pytest.mark.e2e

SCRIPT = EXAMPLES / "ci" / "plan-check.sh"


def _plan_check(
    config: Path, terraform: Path, seed: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = quickstart.quiet_terraform_env(os.environ)
    # The recipe expects the project's commands on PATH, as in an activated virtualenv.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["TERRAFORM"] = str(terraform)
    env.pop("SEED", None)
    if seed is not None:
        env["SEED"] = str(seed)
    for name in [k for k in env if k.startswith(("RACKSPACE_", "TF_"))]:
        del env[name]
    return subprocess.run(
        ["bash", str(SCRIPT), str(config)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_changes_exit_2(tmp_path: Path, bundled_terraform: Path) -> None:
    root = quickstart.copy_examples(tmp_path)
    done = _plan_check(root, bundled_terraform)
    assert done.returncode == 2, done.stderr
    assert "Plan: 3 to add, 0 to change, 0 to destroy." in done.stdout
    assert "plan-check: the plan has changes" in done.stderr


def test_no_changes_exit_0(tmp_path: Path, bundled_terraform: Path) -> None:
    config = copy_example("data-sources/rackspace_ports", tmp_path / "config")
    # Outputs would count as changes; a configuration of data sources alone plans nothing.
    (config / "data-source.tf").write_text(
        (config / "data-source.tf").read_text().split("output ")[0]
    )
    done = _plan_check(config, bundled_terraform)
    assert done.returncode == 0, done.stderr
    assert "plan-check: no changes" in done.stderr


def test_invalid_configuration_exit_1(tmp_path: Path, bundled_terraform: Path) -> None:
    config = copy_example("resources/rackspace_server_ip_association", tmp_path / "config")
    text = (config / "resource.tf").read_text()
    (config / "resource.tf").write_text(
        text.replace("a1000000-0000-4000-8000-000000000002", "web-2")
    )
    done = _plan_check(config, bundled_terraform)
    assert done.returncode == 1, done.stderr
    assert "plan-check: terraform" in done.stderr


def test_the_sandbox_is_stopped_afterwards(tmp_path: Path, bundled_terraform: Path) -> None:
    # A seed path of its own tells this run's sandbox apart from any other on the machine.
    seed = tmp_path / "seed.yaml"
    shutil.copy(EXAMPLES / "ci" / "seed.yaml", seed)
    root = quickstart.copy_examples(tmp_path)
    done = _plan_check(root, bundled_terraform, seed=seed)
    assert done.returncode == 2, done.stderr
    assert _processes_mentioning(str(seed)) == []


def _processes_mentioning(text: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if text in cmdline:
            pids.append(int(entry.name))
    return pids
