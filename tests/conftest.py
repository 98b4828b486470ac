"""Test-suite root: make `tests.support` importable however pytest is started, and hold the
fixtures every Terraform-driving folder shares."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


@pytest.fixture(scope="session")
def plugin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private plugin mirror holding the provider's launcher, shared by the whole session."""
    from tests.support.terraform import install_provider

    directory = tmp_path_factory.mktemp("plugins")
    install_provider(directory)
    return directory
