"""Fixtures for the release tests: one real, signed `package()` build per session."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from provider import __version__
from provider.cli import SOURCE_ADDRESS
from provider.plugin.cli import platform_target
from provider.plugin.release import package
from tests.release.support import GpgKey, gnupghome, throwaway_gpg_key


@dataclass(frozen=True)
class Release:
    """What one `package()` call wrote, and how long it took."""

    out_dir: Path
    written: list[Path]
    seconds: float
    progress: list[str]
    version: str
    target: str

    @property
    def prefix(self) -> str:
        """`terraform-provider-rackspace_<version>`."""
        return f"terraform-provider-rackspace_{self.version}"

    @property
    def zip(self) -> Path:
        """The release zip in `out_dir`."""
        return self.out_dir / f"{self.prefix}_{self.target}.zip"

    @property
    def executable_name(self) -> str:
        """The executable at the zip's root."""
        return f"terraform-provider-rackspace_v{self.version}"

    @property
    def mirror(self) -> Path:
        """The mirror tree."""
        return self.out_dir / "mirror"


@pytest.fixture(scope="session")
def gpg_key() -> Iterator[GpgKey]:
    """A throwaway signing key in its own GNUPGHOME, for the whole session."""
    with throwaway_gpg_key() as key:
        yield key


@pytest.fixture(scope="session")
def release(tmp_path_factory: pytest.TempPathFactory, gpg_key: GpgKey) -> Release:
    """The provider packaged once per session (PyInstaller build, signed with `gpg_key`)."""
    out_dir = tmp_path_factory.mktemp("release") / "dist"
    lines: list[str] = []
    started = time.monotonic()
    with gnupghome(gpg_key.home):
        written = package(
            source_address=SOURCE_ADDRESS,
            version=__version__,
            module="provider",
            out_dir=out_dir,
            gpg_key=gpg_key.fingerprint,
            progress=lines.append,
        )
    return Release(
        out_dir=out_dir,
        written=written,
        seconds=time.monotonic() - started,
        progress=lines,
        version=__version__,
        target=platform_target(),
    )
