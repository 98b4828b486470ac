"""The configuration in docs/guides/shared-ip-failover.md applies to the sandbox as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from example_support import REPO, quickstart, run_terraform, shared_state

pytestmark = pytest.mark.e2e

GUIDE = REPO / "docs" / "guides" / "shared-ip-failover.md"


def _guide_configuration() -> str:
    blocks = re.findall(r"```terraform\n(.*?)```", GUIDE.read_text(), re.S)
    assert len(blocks) == 1, "the guide shows one configuration"
    return blocks[0]


def test_the_failover_guide_applies_plans_clean_and_destroys_in_order(
    tmp_path: Path,
    bundled_terraform: Path,
    tf_env: dict[str, str],
    sandbox: quickstart.RunningSandbox,
) -> None:
    (tmp_path / "main.tf").write_text(_guide_configuration())
    for args in (["init", "-input=false"], ["apply", "-auto-approve", "-input=false"]):
        run_terraform(bundled_terraform, [*args, "-no-color"], tmp_path, tf_env)
    ips, associations = shared_state(sandbox)
    assert len(ips) == 1 and len(ips[0]["pairs"]) == 2
    assert len(associations) == 2
    run_terraform(bundled_terraform, ["plan", "-detailed-exitcode", "-no-color"], tmp_path, tf_env)
    run_terraform(bundled_terraform, ["destroy", "-auto-approve", "-no-color"], tmp_path, tf_env)
    assert shared_state(sandbox) == ([], [])
    deletes, address_deletes = quickstart.delete_order(sandbox.get_json("/__sandbox__/requests"))
    assert len(deletes) == 2 and len(address_deletes) == 1
    last_association = max(int(line.split()[0].lstrip("#")) for line in deletes)
    assert last_association < int(address_deletes[0].split()[0].lstrip("#"))
