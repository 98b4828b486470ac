"""The `import` block examples (examples/resources/<type>/import-block/import.tf).

Import blocks need Terraform >= 1.5, so these run with the `terraform` on PATH and are skipped
when there is none that new. Each example is placed beside its resource example (where the
docs show it), with the example id swapped for a real one. They live in a subfolder because
Terraform 1.0.3, which the other example tests use, cannot parse an `import` block.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from example_support import EXAMPLES, copy_example, quickstart, run_terraform

pytestmark = pytest.mark.e2e

WEB_1 = "a1000000-0000-4000-8000-000000000001"
WEB_2 = "a1000000-0000-4000-8000-000000000002"
EXAMPLE_IP_ID = "2d1a1b5e-6c3f-4f0e-9a57-3c4b1e0d7a21"


@pytest.fixture
def terraform(path_terraform: tuple[Path, tuple[int, ...]] | None) -> Path:
    if path_terraform is None or path_terraform[1] < (1, 5):
        pytest.skip("import blocks need Terraform >= 1.5 on PATH")
    return path_terraform[0]


def _tf(terraform: Path, workdir: Path, env: dict[str, str], *args: str, ok=(0,)):
    return run_terraform(terraform, [*args, "-no-color"], workdir, env, ok=ok)


def _state(terraform: Path, workdir: Path, env: dict[str, str]) -> dict[str, dict]:
    done = run_terraform(terraform, ["show", "-json"], workdir, env)
    resources = json.loads(done.stdout)["values"]["root_module"].get("resources", [])
    return {r["address"]: r["values"] for r in resources if r["mode"] == "managed"}


def _import_block(resource_type: str, example_id: str, real_id: str) -> str:
    text = (EXAMPLES / "resources" / resource_type / "import-block" / "import.tf").read_text()
    assert example_id in text
    return text.replace(example_id, real_id)


def _api_writes_since(sandbox: quickstart.RunningSandbox, seq: int) -> list[str]:
    log = sandbox.get_json(f"/__sandbox__/requests?since={seq}")
    return [
        f"{r['method']} {r['path']}"
        for r in log
        if r["method"] != "GET" and not r["path"].endswith("/tokens")
    ]


def _last_seq(sandbox: quickstart.RunningSandbox) -> int:
    return max((r["seq"] for r in sandbox.get_json("/__sandbox__/requests")), default=0)


def test_import_block_for_rackspace_ip_address(
    tmp_path: Path,
    terraform: Path,
    tf_env: dict[str, str],
    sandbox: quickstart.RunningSandbox,
) -> None:
    workdir = copy_example("resources/rackspace_ip_address", tmp_path / "config")
    _tf(terraform, workdir, tf_env, "init", "-input=false")
    _tf(terraform, workdir, tf_env, "apply", "-auto-approve", "-input=false")
    before = _state(terraform, workdir, tf_env)
    shared, by_port = before["rackspace_ip_address.shared"], before["rackspace_ip_address.by_port"]
    for address in ("rackspace_ip_address.shared", "rackspace_ip_address.by_port"):
        _tf(terraform, workdir, tf_env, "state", "rm", address)

    # The documented example (configured with server_ids), and the same block for the IP
    # configured with port_ids.
    block = _import_block("rackspace_ip_address", EXAMPLE_IP_ID, shared["id"])
    block += block.replace("rackspace_ip_address.shared", "rackspace_ip_address.by_port").replace(
        shared["id"], by_port["id"]
    )
    (workdir / "import.tf").write_text(block)
    plan = _tf(terraform, workdir, tf_env, "plan", "-input=false", "-detailed-exitcode", ok=(2,))
    # server_ids are not restored by import: adopting them is an in-place update; the IP
    # configured by port_ids imports with no change at all.
    assert "Plan: 2 to import, 0 to add, 1 to change, 0 to destroy." in plan.stdout, plan.stdout
    assert "rackspace_ip_address.shared will be updated in-place" in plan.stdout

    seq = _last_seq(sandbox)
    _tf(terraform, workdir, tf_env, "apply", "-auto-approve", "-input=false")
    assert _api_writes_since(sandbox, seq) == [], "adopting server_ids must not change the IP"
    after = _state(terraform, workdir, tf_env)
    assert after["rackspace_ip_address.shared"]["id"] == shared["id"]
    assert sorted(after["rackspace_ip_address.shared"]["server_ids"]) == [WEB_1, WEB_2]
    assert after["rackspace_ip_address.by_port"]["server_ids"] is None
    _tf(terraform, workdir, tf_env, "plan", "-input=false", "-detailed-exitcode")

    _tf(terraform, workdir, tf_env, "destroy", "-auto-approve", "-input=false")


def test_import_block_for_rackspace_server_ip_association(
    tmp_path: Path, terraform: Path, tf_env: dict[str, str]
) -> None:
    workdir = copy_example("resources/rackspace_server_ip_association", tmp_path / "config")
    _tf(terraform, workdir, tf_env, "init", "-input=false")
    _tf(terraform, workdir, tf_env, "apply", "-auto-approve", "-input=false")
    ip_id = _state(terraform, workdir, tf_env)["rackspace_ip_address.shared"]["id"]
    address = f'rackspace_server_ip_association.web["{WEB_1}"]'
    _tf(terraform, workdir, tf_env, "state", "rm", address)

    block = _import_block("rackspace_server_ip_association", EXAMPLE_IP_ID, ip_id)
    (workdir / "import.tf").write_text(block)
    plan = _tf(terraform, workdir, tf_env, "plan", "-input=false", "-detailed-exitcode", ok=(2,))
    assert "Plan: 1 to import, 0 to add, 0 to change, 0 to destroy." in plan.stdout, plan.stdout
    _tf(terraform, workdir, tf_env, "apply", "-auto-approve", "-input=false")
    assert _state(terraform, workdir, tf_env)[address]["id"] == f"{WEB_1}/{ip_id}"
    _tf(terraform, workdir, tf_env, "plan", "-input=false", "-detailed-exitcode")

    _tf(terraform, workdir, tf_env, "destroy", "-auto-approve", "-input=false")
