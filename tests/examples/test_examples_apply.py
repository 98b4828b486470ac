"""Every example under examples/resources and examples/data-sources applies against the sandbox.

Each example is copied next to `examples/provider/provider.tf` (which declares and configures
the provider, so that file is exercised by every test here), applied with Terraform 1.0.3,
checked against the sandbox's own state, and destroyed. The resources' `import.sh` commands
are run too, with the example id swapped for the real one.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from example_support import copy_example, quickstart, run_terraform, shared_state

pytestmark = pytest.mark.e2e

WEB_1 = "a1000000-0000-4000-8000-000000000001"
WEB_2 = "a1000000-0000-4000-8000-000000000002"
UUID_IN_IMPORT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _apply(terraform: Path, workdir: Path, env: dict[str, str]) -> dict:
    run_terraform(terraform, ["init", "-input=false", "-no-color"], workdir, env)
    run_terraform(terraform, ["apply", "-auto-approve", "-input=false", "-no-color"], workdir, env)
    done = run_terraform(terraform, ["output", "-json"], workdir, env)
    return {name: value["value"] for name, value in json.loads(done.stdout).items()}


def _destroy(terraform: Path, workdir: Path, env: dict[str, str]) -> None:
    run_terraform(
        terraform, ["destroy", "-auto-approve", "-input=false", "-no-color"], workdir, env
    )


def _state(terraform: Path, workdir: Path, env: dict[str, str]) -> dict[str, dict]:
    """Resource address -> attribute values, from `terraform show -json`."""
    done = run_terraform(terraform, ["show", "-json"], workdir, env)
    resources = json.loads(done.stdout)["values"]["root_module"].get("resources", [])
    return {r["address"]: r["values"] for r in resources if r["mode"] == "managed"}


def _no_changes(terraform: Path, workdir: Path, env: dict[str, str]) -> None:
    done = run_terraform(
        terraform,
        ["plan", "-detailed-exitcode", "-input=false", "-no-color"],
        workdir,
        env,
        ok=(0, 2),
    )
    assert done.returncode == 0, f"plan after import is not empty:\n{done.stdout}"


def _run_import_script(
    terraform: Path, workdir: Path, env: dict[str, str], example: str, real_id: str
) -> None:
    """Run the example's import.sh (with `terraform` = the binary under test, real id)."""
    script = (workdir / "import.sh").read_text()
    lines = [line for line in script.splitlines() if not line.startswith("#")]
    command = " ".join(line.rstrip("\\").strip() for line in lines if line.strip())
    old_id = command.split()[-1]
    assert UUID_IN_IMPORT.search(old_id), f"{example}/import.sh should end with an example id"
    command = command[: -len(old_id)] + real_id
    bindir = workdir / "bin"
    bindir.mkdir()
    (bindir / "terraform").symlink_to(terraform)
    script_env = dict(env, PATH=f"{bindir}{os.pathsep}{env.get('PATH', '')}")
    done = subprocess.run(
        ["bash", "-c", command + " -no-color"],
        cwd=workdir,
        env=script_env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"


def test_rackspace_ip_address_example(
    tmp_path: Path,
    bundled_terraform: Path,
    tf_env: dict[str, str],
    sandbox: quickstart.RunningSandbox,
) -> None:
    workdir = copy_example("resources/rackspace_ip_address", tmp_path / "config")
    _apply(bundled_terraform, workdir, tf_env)

    state = _state(bundled_terraform, workdir, tf_env)
    shared, by_port = state["rackspace_ip_address.shared"], state["rackspace_ip_address.by_port"]
    assert len(shared["port_ids"]) == 2 and len(by_port["port_ids"]) == 2
    ips, associations = shared_state(sandbox)
    assert {ip["id"] for ip in ips} == {shared["id"], by_port["id"]}
    assert {ip["address"] for ip in ips} == {shared["address"], by_port["address"]}
    assert associations == []  # provisioned on the ports, not yet associated

    run_terraform(
        bundled_terraform, ["state", "rm", "rackspace_ip_address.shared"], workdir, tf_env
    )
    _run_import_script(bundled_terraform, workdir, tf_env, "rackspace_ip_address", shared["id"])
    imported = _state(bundled_terraform, workdir, tf_env)["rackspace_ip_address.shared"]
    assert imported["address"] == shared["address"]

    _destroy(bundled_terraform, workdir, tf_env)
    assert shared_state(sandbox) == ([], [])


def test_rackspace_server_ip_association_example(
    tmp_path: Path,
    bundled_terraform: Path,
    tf_env: dict[str, str],
    sandbox: quickstart.RunningSandbox,
) -> None:
    workdir = copy_example("resources/rackspace_server_ip_association", tmp_path / "config")
    _apply(bundled_terraform, workdir, tf_env)

    state = _state(bundled_terraform, workdir, tf_env)
    ip = state["rackspace_ip_address.shared"]
    web1 = state[f'rackspace_server_ip_association.web["{WEB_1}"]']
    assert web1["id"] == f"{WEB_1}/{ip['id']}" and web1["address"] == ip["address"]
    _, associations = shared_state(sandbox)
    assert sorted(a["server_id"] for a in associations) == [WEB_1, WEB_2]

    address = f'rackspace_server_ip_association.web["{WEB_1}"]'
    run_terraform(bundled_terraform, ["state", "rm", address], workdir, tf_env)
    _run_import_script(
        bundled_terraform,
        workdir,
        tf_env,
        "rackspace_server_ip_association",
        f"{WEB_1}/{ip['id']}",
    )
    _no_changes(bundled_terraform, workdir, tf_env)

    _destroy(bundled_terraform, workdir, tf_env)
    assert shared_state(sandbox) == ([], [])


def test_rackspace_ports_example(
    tmp_path: Path, bundled_terraform: Path, tf_env: dict[str, str]
) -> None:
    workdir = copy_example("data-sources/rackspace_ports", tmp_path / "config")
    outputs = _apply(bundled_terraform, workdir, tf_env)
    assert len(outputs["web1_public_port_ids"]) == 1
    _destroy(bundled_terraform, workdir, tf_env)


def test_rackspace_ip_address_data_source_example(
    tmp_path: Path, bundled_terraform: Path, tf_env: dict[str, str]
) -> None:
    workdir = copy_example("data-sources/rackspace_ip_address", tmp_path / "config")
    outputs = _apply(bundled_terraform, workdir, tf_env)
    found = outputs["web1_public_ip"]
    assert found["type"] == "fixed" and len(found["port_ids"]) == 1
    _destroy(bundled_terraform, workdir, tf_env)


def test_rackspace_ip_addresses_example(
    tmp_path: Path, bundled_terraform: Path, tf_env: dict[str, str]
) -> None:
    workdir = copy_example("data-sources/rackspace_ip_addresses", tmp_path / "config")
    outputs = _apply(bundled_terraform, workdir, tf_env)
    assert outputs["web1_public_addresses"] == ["203.0.113.2"]
    _destroy(bundled_terraform, workdir, tf_env)


def test_rackspace_server_ip_associations_example(
    tmp_path: Path, bundled_terraform: Path, tf_env: dict[str, str]
) -> None:
    # Associate a shared IP with web-1 first, so the data source has something to find.
    setup = copy_example("resources/rackspace_server_ip_association", tmp_path / "setup")
    _apply(bundled_terraform, setup, tf_env)
    address = _state(bundled_terraform, setup, tf_env)["rackspace_ip_address.shared"]["address"]

    workdir = copy_example("data-sources/rackspace_server_ip_associations", tmp_path / "config")
    outputs = _apply(bundled_terraform, workdir, tf_env)
    assert outputs["web1_associated_addresses"] == [address]
    _destroy(bundled_terraform, workdir, tf_env)
    _destroy(bundled_terraform, setup, tf_env)
