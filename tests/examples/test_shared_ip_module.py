"""The reusable `shared-ip` module: its `terraform test` file and its input validation."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from example_support import EXAMPLES, quickstart, run_terraform, shared_state

pytestmark = pytest.mark.e2e

TERRAFORM_TEST_MINIMUM = (1, 7, 0)


def test_module_terraform_test_file(
    tmp_path: Path,
    path_terraform: tuple[Path, tuple[int, ...]] | None,
    tf_env: dict[str, str],
    sandbox: quickstart.RunningSandbox,
) -> None:
    if path_terraform is None:
        pytest.skip("`terraform test` needs Terraform >= 1.7 on PATH; there is none")
    terraform, version = path_terraform
    if version < TERRAFORM_TEST_MINIMUM:
        pytest.skip(f"`terraform test` needs Terraform >= 1.7; PATH has {version}")
    module = tmp_path / "shared-ip"
    module_files = EXAMPLES / "modules" / "shared-ip"
    shutil.copytree(module_files, module)
    run_terraform(terraform, ["init", "-input=false", "-no-color"], module, tf_env)
    done = run_terraform(terraform, ["test", "-no-color"], module, tf_env)
    assert "3 passed, 0 failed" in done.stdout, done.stdout
    # terraform test destroys what its runs created.
    assert shared_state(sandbox) == ([], [])


def test_module_rejects_a_single_server_on_terraform_1_0_3(
    tmp_path: Path, bundled_terraform: Path, tf_env: dict[str, str]
) -> None:
    root = quickstart.copy_examples(tmp_path)
    run_terraform(bundled_terraform, ["init", "-input=false", "-no-color"], root, tf_env)
    one_server = json.dumps(["a1000000-0000-4000-8000-000000000001"])
    done = run_terraform(
        bundled_terraform,
        ["plan", "-input=false", "-no-color", "-var", f"server_ids={one_server}"],
        root,
        tf_env,
        ok=(1,),
    )
    assert "A shared IP needs at least two servers." in done.stderr
