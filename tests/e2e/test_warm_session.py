"""The suite's Terraform runs are warm: they go through the session's fork server.

`tests/conftest.py` sends every launch of the session to one private socket directory; this
checks that Terraform's launches of the installed provider really arrive there (an
environment that dropped the setting would start a server somewhere else, or none).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from provider import __version__
from provider.plugin import warm_client
from tests.plugin.forkserver_support import status, wait_for
from tests.support.terraform import TerraformBinary, TerraformRunner, terraform_binaries

pytestmark = pytest.mark.e2e

MAIN_TF = """\
terraform {
  required_providers {
    rackspace = { source = "rackspace/rackspace" }
  }
}
"""


@pytest.fixture
def binary() -> TerraformBinary:
    binaries = terraform_binaries()
    if not binaries:
        pytest.skip("no real Terraform binary")
    return binaries[-1]


def test_terraform_launches_the_provider_through_the_session_fork_server(
    binary: TerraformBinary, plugin_dir: Path, tmp_path: Path, warm_launches: Path
) -> None:
    runner = TerraformRunner(binary, tmp_path / "work", plugin_dir)
    runner.write("main.tf", MAIN_TF)
    runner.init().check()
    sock = warm_launches / warm_client.socket_name(__version__, sys.executable)
    # validate launches the provider (its schema) without credentials or a sandbox. The
    # first launch of the session may be cold: it starts the server in the background.
    runner.run("validate", "-no-color").check()
    before = wait_for(lambda: status(sock), timeout=60)
    assert before, f"no fork server answers at {sock}: {sorted(warm_launches.iterdir())}"
    runner.run("validate", "-no-color").check()
    after = status(sock)
    assert after is not None and after["pid"] == before["pid"]
    assert after["launches"] > before["launches"], (before, after)
