"""A team's second machine: two installs of one version at different paths share a lock file.

Two real `pip install`s of this checkout into virtualenvs at different paths, each with its
own HOME (two colleagues' laptops), each running `terraform-provider-rackspace install
--dir`. The files Terraform hashes must be byte-identical, a `.terraform.lock.hcl` written on
the first machine must pass `terraform init` on the second, and the second must then really
run its own environment: the first virtualenv is deleted before it plans against the sandbox.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.sandbox import Sandbox
from tests.support.terraform import TerraformBinary, binary_params

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "registry.terraform.io/rackspace/rackspace/0.1.0"
LAUNCHER = "terraform-provider-rackspace_v0.1.0"

CONFIG = """\
terraform {
  required_providers {
    rackspace = {
      source  = "rackspace/rackspace"
      version = "~> 0.1"
    }
  }
}

provider "rackspace" {}

data "rackspace_ports" "web1_public" {
  server_id  = "a1000000-0000-4000-8000-000000000001"
  network_id = "00000000-0000-0000-0000-000000000000"
}

output "web1_public_port_ids" {
  value = data.rackspace_ports.web1_public.ids
}
"""


@dataclass
class Machine:
    """One colleague: a HOME, a virtualenv holding the provider, a plugin mirror."""

    home: Path
    venv: Path

    @property
    def plugins(self) -> Path:
        """Terraform's implied local mirror in this HOME (what `install` would default to)."""
        return self.home / ".terraform.d" / "plugins"

    def env(self) -> dict[str, str]:
        """A clean environment for this machine: its HOME, no Terraform or plugin settings."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("TF_", "PLUGIN_", "RACKSPACE_", "PYTHON", "VIRTUAL_ENV"))
        }
        env.update(HOME=str(self.home), CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1")
        # pip's cache is keyed on HOME; keep the real one so the second install is not a
        # second download.
        env.setdefault("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip"))
        return env


def _make_machine(root: Path, venv_relpath: str) -> Machine:
    home = root / "home"
    home.mkdir(parents=True)
    machine = Machine(home=home, venv=root / venv_relpath)
    env = machine.env()
    subprocess.run([sys.executable, "-m", "venv", str(machine.venv)], check=True, env=env)
    subprocess.run(
        [str(machine.venv / "bin/python"), "-m", "pip", "install", "--quiet",
         "--disable-pip-version-check", str(REPO_ROOT)],
        check=True,
        env=env,
        timeout=600,
    )  # fmt: skip
    subprocess.run(
        [str(machine.venv / "bin/terraform-provider-rackspace"), "install",
         "--dir", str(machine.plugins)],
        check=True,
        env=env,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    return machine


@pytest.fixture(scope="module")
def machines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Machine, Machine]]:
    """Two machines, installed one after the other (pip builds in the checkout)."""
    root = tmp_path_factory.mktemp("team")
    first = _make_machine(root / "alice", "venvs/rackspace")
    second = _make_machine(root / "bob", "opt/tools/terraform-provider-rackspace-env")
    yield first, second


def _terraform(
    binary: TerraformBinary, machine: Machine, workdir: Path, *args: str, sandbox: Sandbox
) -> subprocess.CompletedProcess[str]:
    # No CLI config at all: the provider comes from the implied local mirror in HOME.
    env = {**machine.env(), **sandbox.env(), "TF_INPUT": "0"}
    return subprocess.run(
        [str(binary.path), *args, "-no-color"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_installed_files_are_byte_identical(machines: tuple[Machine, Machine]) -> None:
    first, second = machines
    a, b = first.plugins / PACKAGE, second.plugins / PACKAGE
    compared = filecmp.dircmp(a, b)
    assert compared.left_list == compared.right_list != []
    (target,) = compared.common_dirs
    files = filecmp.dircmp(a / target, b / target)
    assert files.left_list == [LAUNCHER] == files.right_list
    assert (a / target / LAUNCHER).read_bytes() == (b / target / LAUNCHER).read_bytes()
    text = (a / target / LAUNCHER).read_text()
    for machine in machines:
        assert str(machine.home) not in text and str(machine.venv) not in text
    # What differs between the machines sits outside the hashed package directory.
    record = ".terraform-provider-rackspace/v0.1.0.interpreter"
    assert (first.plugins / record).read_text().strip() == str(first.venv / "bin/python")
    assert (second.plugins / record).read_text().strip() == str(second.venv / "bin/python")


@pytest.mark.parametrize("binary", binary_params())
def test_a_lock_file_from_one_machine_passes_init_on_the_other(
    binary: TerraformBinary, machines: tuple[Machine, Machine], tmp_path: Path
) -> None:
    first, second = machines
    with Sandbox(tmp_path / "sandbox") as sandbox:
        alice = tmp_path / "alice-config"
        alice.mkdir()
        (alice / "main.tf").write_text(CONFIG)
        init = _terraform(binary, first, alice, "init", sandbox=sandbox)
        assert init.returncode == 0, init.stdout + init.stderr
        lock = (alice / ".terraform.lock.hcl").read_text()
        assert "h1:" in lock

        # Bob clones the configuration with its committed lock file, and with a provider.py
        # and a provider/ package of its own that must never be imported.
        bob = tmp_path / "bob-config"
        bob.mkdir()
        (bob / "main.tf").write_text(CONFIG)
        (bob / ".terraform.lock.hcl").write_text(lock)
        marker = tmp_path / "imported-from-the-configuration"
        hostile = f"open({str(marker)!r}, 'a').write(__name__)\n"
        (bob / "provider.py").write_text(hostile)
        (bob / "provider").mkdir()
        (bob / "provider" / "__init__.py").write_text(hostile)
        (bob / "provider" / "__main__.py").write_text(hostile)

        init = _terraform(binary, second, bob, "init", "-lockfile=readonly", sandbox=sandbox)
        assert init.returncode == 0, init.stdout + init.stderr
        assert (bob / ".terraform.lock.hcl").read_text() == lock

        # Bob's provider runs from Bob's environment: Alice's is gone, and Bob's own record
        # is what the launcher follows.
        hidden = first.venv.with_name(first.venv.name + ".moved")
        first.venv.rename(hidden)
        try:
            validate = _terraform(binary, second, bob, "validate", sandbox=sandbox)
            assert validate.returncode == 0, validate.stdout + validate.stderr
            plan = _terraform(binary, second, bob, "plan", sandbox=sandbox)
            assert plan.returncode == 0, plan.stdout + plan.stderr
            assert "web1_public_port_ids" in plan.stdout
        finally:
            hidden.rename(first.venv)
        assert not marker.exists(), marker.read_text()
        assert any("/ports" in r["path"] for r in sandbox.requests())


@pytest.mark.parametrize("binary", binary_params())
def test_a_removed_environment_is_named_with_its_fix(
    binary: TerraformBinary, machines: tuple[Machine, Machine], tmp_path: Path
) -> None:
    first, _ = machines
    config = tmp_path / "config"
    config.mkdir()
    (config / "main.tf").write_text(CONFIG)
    with Sandbox(tmp_path / "sandbox") as sandbox:
        assert _terraform(binary, first, config, "init", sandbox=sandbox).returncode == 0
        hidden = first.venv.with_name(first.venv.name + ".moved")
        first.venv.rename(hidden)
        try:
            plan = _terraform(binary, first, config, "plan", sandbox=sandbox)
        finally:
            hidden.rename(first.venv)
    assert plan.returncode == 1
    shown = " ".join((plan.stdout + plan.stderr).split())
    assert "the Python environment it was installed from is gone" in shown, shown
    assert "terraform-provider-rackspace install" in shown
    # go-plugin appends its generic guess ("not compiled for this architecture ...") to any
    # unrecognised first line; what the user reads first must be ours.
    ours = shown.index("Unrecognized remote plugin message: terraform-provider-rackspace 0.1.0")
    guess = shown.find("not compiled for this architecture")
    assert guess == -1 or ours < guess
    shutil.rmtree(config / ".terraform", ignore_errors=True)
