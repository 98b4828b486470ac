"""Console script `terraform-provider-rackspace`: hands off to the generic plugin CLI."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from provider.plugin.resource import Provider

SOURCE_ADDRESS = "registry.terraform.io/rackspace/rackspace"


def _factory() -> Provider:
    # Imported on demand: `install` and the help text must not pay for the provider's imports.
    from provider.rackspace.provider import RackspaceProvider

    return RackspaceProvider()


def _version() -> str:
    from provider import __version__

    return __version__


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script and of `python -m provider`."""
    from provider.plugin.cli import run

    return run(argv, _factory, SOURCE_ADDRESS, _version, module="provider")


if __name__ == "__main__":
    sys.exit(main())
