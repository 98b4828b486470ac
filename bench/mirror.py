"""The bench's local plugin mirror and the Terraform CLI configuration that points at it."""

from __future__ import annotations

from pathlib import Path


def write_cli_config(mirror: Path, path: Path) -> Path:
    """A CLI config that installs every provider from ``mirror`` and never from the network."""
    path.write_text(
        f'provider_installation {{\n  filesystem_mirror {{\n    path = "{mirror}"\n  }}\n}}\n'
    )
    return path
