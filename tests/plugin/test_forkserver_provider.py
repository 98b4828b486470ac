"""Warm launches of the real provider: the installed launcher, a go-plugin handshake served
by a forked child, and a real Terraform run with warm launches on (clean plugin exits).

Each test uses its own socket directory and stops every fork server it started.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from provider import __version__
from provider.plugin import warm_client
from provider.plugin.install import install
from tests.plugin.forkserver_support import (
    alive,
    parent_of,
    short_private_dir,
    status,
    stop_everything_under,
    wait_for,
)
from tests.plugin.plugin_client import PluginClient, plugin_env
from tests.support.terraform import TerraformBinary, TerraformRunner, binary_params

pytestmark = pytest.mark.timeout(300)

PROG = "terraform-provider-rackspace"
SOURCE = "registry.terraform.io/rackspace/rackspace"


@pytest.fixture
def sock_dir() -> Iterator[Path]:
    root = short_private_dir()
    try:
        yield root / "sock"
    finally:
        left = stop_everything_under(root)
        import shutil

        shutil.rmtree(root, ignore_errors=True)
        assert not [p for p in left if alive(p)]


def _warm_env(sock_dir: Path) -> dict[str, str]:
    prefix = warm_client.env_prefix(PROG)
    return {
        prefix + "_WARM": "1",
        prefix + "_WARM_DIR": str(sock_dir),
        prefix + "_WARM_IDLE": "120",
    }


def _socket_path(sock_dir: Path) -> Path:
    return sock_dir / warm_client.socket_name(__version__, sys.executable)


def test_the_installed_launcher_goes_warm_after_its_first_launch(
    tmp_path: Path, sock_dir: Path
) -> None:
    import subprocess

    where = install(SOURCE, __version__, "provider", tmp_path / "mirror")
    pids = []
    certs: list[bytes | None] = []
    for n in range(3):
        env, identity = plugin_env(**_warm_env(sock_dir), TMPDIR=str(tmp_path))
        env.pop("PYTHONPATH")
        proc = subprocess.Popen(
            [str(where.launcher)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        client = PluginClient(proc, identity)
        try:
            # The socket directory is named after the serving process: plugin-<pid>-...
            server_pid = int(Path(client.handshake.address).parent.name.split("-")[1])
            pids.append((server_pid, parent_of(server_pid)))
            certs.append(client.handshake.cert_der)
            schema = client.call("GetProviderSchema")
            assert "rackspace_server_ip_association" in schema.resource_schemas
            assert client.shutdown(timeout=10) == 0  # the child's status, relayed
            assert proc.stderr is not None and b"Traceback" not in proc.stderr.read()
        finally:
            client.close()
        if n == 0:
            # The first launch was cold (served by the launcher itself) and started a server.
            assert pids[0][0] == proc.pid
            assert wait_for(lambda: status(_socket_path(sock_dir)), timeout=60)
    server = status(_socket_path(sock_dir))
    assert server is not None and server["launches"] == 2
    for child, parent in pids[1:]:
        assert parent == server["pid"] and not alive(child)
    # The server made a TLS identity once (warm-up); each child must still make its own from
    # a reseeded generator, or two children forked from one state would share a key.
    assert len(set(certs)) == 3


@pytest.mark.e2e
@pytest.mark.parametrize("binary", binary_params())
def test_terraform_with_warm_launches_exits_plugins_cleanly(
    binary: TerraformBinary, tmp_path: Path, sock_dir: Path
) -> None:
    from tests.plugin.test_e2e_terraform import assert_plugins_exited_cleanly
    from tests.support.terraform import install_provider

    plugin_dir = tmp_path / "plugins"
    install_provider(plugin_dir)
    tf = TerraformRunner(
        binary,
        tmp_path / "work",
        plugin_dir,
        log_path=tmp_path / "tf.log",
        env=_warm_env(sock_dir),
    )
    tf.write(
        "main.tf",
        'terraform {\n  required_providers {\n    rackspace = { source = "rackspace/rackspace" }\n'
        "  }\n}\n"
        'provider "rackspace" {\n  username = "u"\n  api_key = "k"\n  region = "ORD"\n}\n',
    )
    tf.init().check()
    tf.providers_schema_json()  # the first launch is cold and starts the fork server
    assert wait_for(lambda: status(_socket_path(sock_dir)), timeout=60)
    tf.log_path.write_text("")  # type: ignore[union-attr]
    schema = tf.providers_schema_json()
    assert "registry.terraform.io/rackspace/rackspace" in schema["provider_schemas"]
    tf.run("validate").check()
    tf.plan().check()
    log = tf.log_text()
    assert_plugins_exited_cleanly(log)
    server = status(_socket_path(sock_dir))
    assert server is not None and server["launches"] >= 2, server
    assert wait_for(lambda: not status(_socket_path(sock_dir))["children"], timeout=10)  # type: ignore[index]
    assert os.path.exists(_socket_path(sock_dir))
