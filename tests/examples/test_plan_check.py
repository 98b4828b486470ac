"""The CI recipe examples/ci/plan-check.sh, run for real against the sandbox.

Exit codes (the script's header): plan mode 0 no changes / 2 changes / 1 error; `--apply`
mode 0 applied and converged / 2 still has changes after apply (a perpetual diff) / 1 error.
Each is shown here with Terraform 1.0.3, most also with the newest Terraform on PATH, with
and without a committed lock file, and with configurations whose own backend (s3, remote,
cloud) points at a listener that must never see a connection.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from example_support import EXAMPLES, copy_example, quickstart

from tests.plugin.forkserver_support import alive, processes_mentioning
from tests.support.terraform import TerraformBinary, binary_params

pytestmark = pytest.mark.e2e

SCRIPT = EXAMPLES / "ci" / "plan-check.sh"
SHARED_IP = EXAMPLES / "shared-ip"
LOCK_NAME = ".terraform.lock.hcl"
WEB_1 = "a1000000-0000-4000-8000-000000000001"
WEB_2 = "a1000000-0000-4000-8000-000000000002"
PUBLIC_NET = "00000000-0000-0000-0000-000000000000"


def _plan_check(
    config: Path,
    terraform: Path,
    *args: str,
    seed: Path | None = None,
    extra_env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    env = quickstart.quiet_terraform_env(os.environ)
    # The recipe expects the project's commands on PATH, as in an activated virtualenv.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    for name in [k for k in env if k.startswith(("RACKSPACE_", "TF_", "PLAN_CHECK_"))]:
        del env[name]
    env.pop("SEED", None)
    # Only reached if a configuration's s3 backend were wrongly initialised: fail fast.
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    env["TERRAFORM"] = str(terraform)
    if seed is not None:
        env["SEED"] = str(seed)
    env.update(extra_env or {})
    command = ["bash", str(SCRIPT), *args, str(config)]
    # A session of its own: on a timeout, SIGTERM reaches the script (whose trap stops the
    # sandbox and removes its temporary directory) and everything it started.
    with subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=240)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                stdout, stderr = process.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                stdout, stderr = process.communicate()
            pytest.fail(f"plan-check.sh timed out\n--- stdout\n{stdout}\n--- stderr\n{stderr}")
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def _snapshot(directory: Path) -> dict[str, bytes | str]:
    """Every path under `directory` with its bytes (files) or link target (symlinks)."""
    found: dict[str, bytes | str] = {}
    for path in sorted(directory.rglob("*")):
        key = str(path.relative_to(directory))
        if path.is_symlink():
            found[key] = f"-> {os.readlink(path)}"
        elif path.is_file():
            found[key] = path.read_bytes()
        else:
            found[key] = "<dir>"
    return found


@pytest.fixture(params=binary_params())
def terraform(request: pytest.FixtureRequest) -> TerraformBinary:
    """Each real Terraform: 1.0.3, and the newest on PATH when there is one."""
    binary: TerraformBinary = request.param
    return binary


@pytest.fixture
def listener() -> Iterator[tuple[int, list[str]]]:
    """A TCP port on 127.0.0.1 that records (and drops) every connection made to it."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    seen: list[str] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, peer = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            seen.append(f"{peer[0]}:{peer[1]}")
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], seen
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()


def _backend_block(kind: str, port: int) -> str:
    """A backend the run must never contact: everything points at the listener."""
    endpoint = f"127.0.0.1:{port}"
    if kind == "s3":
        return (
            "terraform {\n"
            '  backend "s3" {\n'
            '    bucket                      = "plan-check-no-such-bucket"\n'
            '    key                         = "prod/terraform.tfstate"\n'
            '    region                      = "us-east-1"\n'
            f'    endpoint                    = "http://{endpoint}"\n'
            "    skip_credentials_validation = true\n"
            "  }\n"
            "}\n"
        )
    block = "cloud {" if kind == "cloud" else 'backend "remote" {'
    return (
        "terraform {\n"
        f"  {block}\n"
        f'    hostname     = "{endpoint}"\n'
        '    organization = "plan-check-no-such-org"\n'
        "    workspaces {\n"
        '      name = "production"\n'
        "    }\n"
        "  }\n"
        "}\n"
    )


# --------------------------------------------------------------------------- plan mode


def test_changes_exit_2(tmp_path: Path, terraform: TerraformBinary) -> None:
    root = quickstart.copy_examples(tmp_path)  # outside git: the tree around it is mirrored
    assert not (root / LOCK_NAME).exists()
    before = _snapshot(tmp_path / "examples")
    done = _plan_check(root, terraform.path)
    assert done.returncode == 2, done.stderr
    assert "Plan: 3 to add, 0 to change, 0 to destroy." in done.stdout
    assert "plan-check: the plan has changes" in done.stderr
    assert f"plan-check: no {LOCK_NAME} in {root}" in done.stderr
    # The lock file, .terraform/ and the state were written in the temporary copy only.
    assert _snapshot(tmp_path / "examples") == before


def test_no_changes_exit_0(tmp_path: Path, terraform: TerraformBinary) -> None:
    config = copy_example("data-sources/rackspace_ports", tmp_path / "config")
    # Outputs would count as changes; a configuration of data sources alone plans nothing.
    (config / "data-source.tf").write_text(
        (config / "data-source.tf").read_text().split("output ")[0]
    )
    done = _plan_check(config, terraform.path)
    assert done.returncode == 0, done.stderr
    assert "plan-check: no changes" in done.stderr


def test_invalid_configuration_exit_1(tmp_path: Path, terraform: TerraformBinary) -> None:
    config = copy_example("resources/rackspace_server_ip_association", tmp_path / "config")
    text = (config / "resource.tf").read_text()
    (config / "resource.tf").write_text(text.replace(WEB_2, "web-2"))
    done = _plan_check(config, terraform.path)
    assert done.returncode == 1, done.stderr
    assert "plan-check: terraform validate failed" in done.stderr


def test_the_committed_example_lock_file_is_used_read_only(terraform: TerraformBinary) -> None:
    # examples/shared-ip itself, in the repository: its committed lock file must match the
    # provider that `install` writes on this machine, and nothing in the folder may change.
    lock = SHARED_IP / LOCK_NAME
    assert lock.is_file(), "examples/shared-ip should commit its .terraform.lock.hcl"
    before = _snapshot(SHARED_IP)
    done = _plan_check(SHARED_IP, terraform.path)
    assert done.returncode == 2, done.stderr
    assert f"plan-check: using the committed {lock} read-only" in done.stderr
    assert "Plan: 3 to add, 0 to change, 0 to destroy." in done.stdout
    assert _snapshot(SHARED_IP) == before


@pytest.mark.parametrize(
    "problem",
    ["provider-missing", "wrong-hash", "other-version"],
)
def test_a_lock_file_that_does_not_match_exit_1(
    tmp_path: Path, bundled_terraform: Path, problem: str
) -> None:
    root = quickstart.copy_examples(tmp_path)
    good = (SHARED_IP / LOCK_NAME).read_text()
    if problem == "provider-missing":
        text = good.split("provider ")[0]
        expected = "does not cover the configuration's providers"
    elif problem == "wrong-hash":
        start = good.index('"h1:') + 4
        text = good[:start] + "A" * 43 + "=" + good[good.index('"', start) :]
        expected = "has no checksum matching the provider installed for this run"
    else:  # a lock from another release of the provider
        text = good.replace('version     = "0.1.0"', 'version     = "0.1.999"')
        assert text != good
        expected = "selects a provider version this run did not install (terraform-provider-"
    lock = root / LOCK_NAME
    lock.write_text(text)
    before = lock.read_bytes()
    tree = _snapshot(tmp_path / "examples")
    done = _plan_check(root, bundled_terraform)
    assert done.returncode == 1, done.stderr
    assert "plan-check: terraform init failed" in done.stderr
    assert expected in done.stderr
    assert "Plan:" not in done.stdout
    assert lock.read_bytes() == before
    assert _snapshot(tmp_path / "examples") == tree


@pytest.mark.parametrize("kind", ["s3", "remote", "cloud"])
def test_a_declared_backend_is_never_contacted(
    tmp_path: Path,
    terraform: TerraformBinary,
    kind: str,
    listener: tuple[int, list[str]],
) -> None:
    if kind == "cloud" and terraform.version_tuple < (1, 1):
        pytest.skip("the `cloud` block needs Terraform >= 1.1")
    port, connections = listener
    root = quickstart.copy_examples(tmp_path)
    shutil.copy(SHARED_IP / LOCK_NAME, root / LOCK_NAME)
    (root / "backend.tf").write_text(_backend_block(kind, port))
    done = _plan_check(root, terraform.path)
    assert done.returncode == 2, done.stderr
    assert "using the committed" in done.stderr
    assert "Plan: 3 to add, 0 to change, 0 to destroy." in done.stdout
    assert connections == []


# --------------------------------------------------------------------------- --apply mode


def test_apply_converges_exit_0(terraform: TerraformBinary) -> None:
    # In the repository, with its committed lock file: applied, an empty plan, destroyed.
    before = _snapshot(SHARED_IP)
    done = _plan_check(SHARED_IP, terraform.path, "--apply")
    assert done.returncode == 0, done.stderr
    assert "Apply complete! Resources: 3 added, 0 changed, 0 destroyed." in done.stderr
    assert "No changes." in done.stdout
    assert "plan-check: applied; the plan after apply is empty (converged)" in done.stderr
    assert "Destroy complete! Resources: 3 destroyed." in done.stderr
    assert _snapshot(SHARED_IP) == before


def test_apply_with_a_remote_backend_exit_0(
    tmp_path: Path, bundled_terraform: Path, listener: tuple[int, list[str]]
) -> None:
    port, connections = listener
    root = quickstart.copy_examples(tmp_path)
    (root / "backend.tf").write_text(_backend_block("remote", port))
    done = _plan_check(root, bundled_terraform, "--apply")
    assert done.returncode == 0, done.stderr
    assert "Destroy complete! Resources: 3 destroyed." in done.stderr
    assert connections == []


def test_a_perpetual_diff_exit_2(tmp_path: Path, terraform: TerraformBinary) -> None:
    # `version` forces replacement and is only known at apply time: every plan replaces it.
    config = copy_example("resources/rackspace_ip_address", tmp_path / "config")
    (config / "resource.tf").write_text(
        'resource "rackspace_ip_address" "flapping" {\n'
        f'  network_id = "{PUBLIC_NET}"\n'
        f'  server_ids = ["{WEB_1}", "{WEB_2}"]\n'
        "  version    = length(timestamp()) > 0 ? 4 : 6\n"
        "}\n"
    )
    (config / "import.sh").unlink()

    planned = _plan_check(config, terraform.path)
    assert planned.returncode == 2, planned.stderr

    done = _plan_check(config, terraform.path, "--apply")
    assert done.returncode == 2, done.stderr
    assert "Apply complete! Resources: 1 added" in done.stderr
    assert "Plan: 1 to add, 0 to change, 1 to destroy." in done.stdout
    assert "plan-check: applied, but the plan after apply still has changes" in done.stderr
    assert "(perpetual diff)" in done.stderr
    assert "Destroy complete! Resources: 1 destroyed." in done.stderr


def test_a_failed_apply_exit_1(tmp_path: Path, bundled_terraform: Path) -> None:
    # Servers the seed does not have: the plan is fine (2), the API refuses the create.
    config = copy_example("resources/rackspace_ip_address", tmp_path / "config")
    unknown = ["b1000000-0000-4000-8000-000000000001", "b1000000-0000-4000-8000-000000000002"]
    (config / "resource.tf").write_text(
        'resource "rackspace_ip_address" "shared" {\n'
        f'  network_id = "{PUBLIC_NET}"\n'
        f"  server_ids = {json.dumps(unknown)}\n"
        "}\n"
    )
    (config / "import.sh").unlink()

    assert _plan_check(config, bundled_terraform).returncode == 2

    done = _plan_check(config, bundled_terraform, "--apply")
    assert done.returncode == 1, done.stderr
    assert "HTTP 404" in done.stderr
    assert "plan-check: terraform apply failed" in done.stderr


# --------------------------------------------------------------------------- the run itself


def test_nothing_is_written_outside_a_temporary_directory(
    tmp_path: Path, bundled_terraform: Path
) -> None:
    root = quickstart.copy_examples(tmp_path / "repo")
    home, tmpdir = tmp_path / "home", tmp_path / "t"
    home.mkdir()
    tmpdir.mkdir()
    before = _snapshot(tmp_path / "repo")
    done = _plan_check(
        root, bundled_terraform, "--apply", extra_env={"HOME": str(home), "TMPDIR": str(tmpdir)}
    )
    assert done.returncode == 0, done.stderr
    assert _snapshot(tmp_path / "repo") == before
    assert list(home.iterdir()) == []
    assert list(tmpdir.iterdir()) == []
    # Nor anything left running: the run's fork server (warm launches) had its socket in
    # the run's directory and was stopped with the sandbox.
    assert not [p for p in processes_mentioning(str(tmpdir)) if alive(p)]


def test_the_sandbox_is_stopped_afterwards(tmp_path: Path, bundled_terraform: Path) -> None:
    # A seed path of its own tells this run's sandbox apart from any other on the machine.
    seed = tmp_path / "seed.yaml"
    shutil.copy(EXAMPLES / "ci" / "seed.yaml", seed)
    root = quickstart.copy_examples(tmp_path)
    # A short TMPDIR of its own: the run's fork server (warm launches) can bind its socket in
    # the run's directory there, and must be gone with the sandbox.
    short = Path(tempfile.mkdtemp(prefix="pc-", dir="/tmp"))
    try:
        done = _plan_check(root, bundled_terraform, seed=seed, extra_env={"TMPDIR": str(short)})
        assert done.returncode == 2, done.stderr
        assert f"plan-check: starting the sandbox (seed: {seed})" in done.stderr
        assert _processes_mentioning(str(seed)) == []
        assert not [p for p in processes_mentioning(str(short)) if alive(p)]
    finally:
        shutil.rmtree(short, ignore_errors=True)


def test_help_and_usage_errors(tmp_path: Path, bundled_terraform: Path) -> None:
    shown = subprocess.run(
        ["bash", str(SCRIPT), "--help"], capture_output=True, text=True, timeout=30, check=False
    )
    assert shown.returncode == 0
    assert "Exit codes:" in shown.stdout and "--apply mode" in shown.stdout
    assert "perpetual diff" in shown.stdout and "-lockfile=readonly" in shown.stdout

    done = _plan_check(tmp_path, bundled_terraform, "--no-such-option")
    assert done.returncode == 1
    assert "plan-check: unknown option --no-such-option" in done.stderr

    done = _plan_check(tmp_path / "missing", bundled_terraform)
    assert done.returncode == 1
    assert "plan-check: no such configuration directory" in done.stderr

    done = _plan_check(tmp_path, tmp_path / "no-terraform-here")
    assert done.returncode == 1
    assert "plan-check: Terraform not found" in done.stderr


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
