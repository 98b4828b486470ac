"""What the bench needs from each provider it measures (ours and the two peers)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

MIRROR_TARGET = "linux_amd64"


class Subject(Protocol):
    """A provider under measurement: how to install it, configure it and count resources."""

    key: str  # short id used in results: "ours", "tf", "go-null"
    label: str  # human name used in tables and plots
    source: str  # Terraform source address, e.g. "hashicorp/null"
    version: str

    def install(self, mirror: Path) -> Path:
        """Put the provider into the filesystem mirror; return the executable Terraform runs."""
        ...

    def write_config(self, directory: Path, count: int) -> None:
        """Write a root module managing ``count`` resources into ``directory``."""
        ...

    def env(self) -> dict[str, str]:
        """Extra environment variables Terraform (and so the provider) needs."""
        ...

    def prepare(self, max_count: int) -> None:
        """Get ready to manage up to ``max_count`` resources (e.g. start and seed a sandbox)."""
        ...

    def close(self) -> None:
        """Release whatever ``prepare`` started."""
        ...


def mirror_package_dir(
    mirror: Path, hostname: str, namespace: str, type_: str, version: str
) -> Path:
    """The unpacked filesystem-mirror directory Terraform looks in for one provider version."""
    return mirror / hostname / namespace / type_ / version / MIRROR_TARGET


def required_providers_block(local_name: str, source: str, version: str) -> str:
    """A ``terraform { required_providers { ... } }`` block pinning one provider."""
    return (
        "terraform {\n"
        "  required_providers {\n"
        f'    {local_name} = {{\n      source  = "{source}"\n      version = "{version}"\n    }}\n'
        "  }\n"
        "}\n"
    )
