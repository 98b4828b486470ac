"""Console script `terraform-provider-rackspace`: hands off to the generic plugin CLI."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from provider.plugin.resource import Provider

SOURCE_ADDRESS = "registry.terraform.io/rackspace/rackspace"
DISTRIBUTION = "terraform-provider-rackspace"


def _factory() -> Provider:
    # Imported on demand: `install` and the help text must not pay for the provider's imports.
    from provider.rackspace.provider import RackspaceProvider

    return RackspaceProvider()


def _version() -> str:
    # importlib.metadata costs ~30 ms to import: only `install` asks for the version.
    from importlib import metadata

    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "0.1.0"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script and of `python -m provider`."""
    from provider.plugin.cli import run

    return run(argv, _factory, SOURCE_ADDRESS, _version, module="provider")


if __name__ == "__main__":
    sys.exit(main())
