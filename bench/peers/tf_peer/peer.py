"""Installing the hfern/tf peer: its own virtualenv, and a launcher in the plugin mirror."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.subjects import mirror_package_dir, required_providers_block

TF_REQUIREMENT = "tf==1.2.0"
TF_VERSION = "1.2.0"
PEER_VERSION = "1.0.0"
BENCH_DIR = Path(__file__).resolve().parents[2]
DEFAULT_VENV = BENCH_DIR / ".venv-tf"
PEER_SCRIPT = Path(__file__).resolve().parent / "tfpeer_provider.py"


def ensure_venv(venv: Path = DEFAULT_VENV) -> Path:
    """Create ``venv`` with ``tf==1.2.0`` unless it is already there; return its python.

    A separate environment because ``tf`` pins protobuf < 6 and the project needs >= 6.31.
    """
    python = venv / "bin" / "python"
    if python.exists() and _installed_tf_version(python) == TF_VERSION:
        return python
    print(f"bench: creating {venv} with {TF_REQUIREMENT} ...", file=sys.stderr)
    # The base interpreter, not this venv's, so the new venv does not chain to ours.
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", TF_REQUIREMENT],
        check=True,
    )
    if _installed_tf_version(python) != TF_VERSION:
        raise SystemExit(f"bench: could not install {TF_REQUIREMENT} into {venv}")
    return python


def _installed_tf_version(python: Path) -> str | None:
    out = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('tf'))"],
        capture_output=True,
        text=True,
        check=False,
    )
    return out.stdout.strip() if out.returncode == 0 else None


class TfPeer:
    """``bench.local/bench/tfpeer``: one ``tfpeer_thing`` resource written with ``tf``."""

    key = "tf"
    label = "Python tf==1.2.0"
    source = "bench.local/bench/tfpeer"
    version = PEER_VERSION

    def __init__(self, venv: Path = DEFAULT_VENV) -> None:
        self.venv = venv

    def install(self, mirror: Path) -> Path:
        """Write a launcher that ``exec``s the peer's interpreter (no wrapper process remains)."""
        python = ensure_venv(self.venv)
        target_dir = mirror_package_dir(mirror, "bench.local", "bench", "tfpeer", PEER_VERSION)
        target_dir.mkdir(parents=True, exist_ok=True)
        launcher = target_dir / f"terraform-provider-tfpeer_v{PEER_VERSION}"
        text = f'#!/bin/sh\nexec "{python}" "{PEER_SCRIPT}" "$@"\n'
        # Rewriting an unchanged launcher is harmless, but keep the mirror byte-stable anyway.
        if not launcher.exists() or launcher.read_text() != text:
            launcher.write_text(text)
        launcher.chmod(0o755)
        return launcher

    def write_config(self, directory: Path, count: int) -> None:
        """``count`` things, each with its own name."""
        (directory / "main.tf").write_text(
            required_providers_block("tfpeer", self.source, self.version)
            + '\nprovider "tfpeer" {}\n'
            + f'\nresource "tfpeer_thing" "r" {{\n  count = {count}\n'
            + '  name  = "thing-${count.index}"\n}\n'
        )

    def env(self) -> dict[str, str]:
        """No configuration needed."""
        return {}

    def prepare(self, max_count: int) -> None:
        """Nothing to prepare: the resources live only in Terraform's state."""

    def close(self) -> None:
        """Nothing to release."""
