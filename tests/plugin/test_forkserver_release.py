"""The self-contained (PyInstaller) build gets the same warm path: its executable is both the
launcher (`warm_client.frozen_main`) and, with `__forkserver__` as first argument, the fork
server. One build per module (about a minute); skipped without PyInstaller.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from provider import __version__
from provider.plugin import warm_client
from tests.plugin.forkserver_support import (
    alive,
    parent_of,
    short_private_dir,
    status,
    stop_everything_under,
    wait_for,
)
from tests.plugin.plugin_client import PluginClient, plugin_env

pytestmark = [pytest.mark.timeout(900), pytest.mark.slow]

PROG = "terraform-provider-rackspace"
SOURCE = "registry.terraform.io/rackspace/rackspace"


@pytest.fixture(scope="module")
def frozen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The provider's release build, unpacked as Terraform unpacks it; its executable."""
    pytest.importorskip("PyInstaller")
    from provider.plugin.release import package

    out = tmp_path_factory.mktemp("frozen")
    package(source_address=SOURCE, version=__version__, module="provider", out_dir=out / "dist")
    zips = list((out / "dist").glob("*.zip"))
    with zipfile.ZipFile(zips[0]) as archive:
        for info in archive.infolist():
            target = Path(archive.extract(info, out / "unpacked"))
            target.chmod((info.external_attr >> 16) & 0o777)
    return out / "unpacked" / f"{PROG}_v{__version__}"


@pytest.fixture
def sock_dir() -> Iterator[Path]:
    root = short_private_dir()
    try:
        yield root / "sock"
    finally:
        left = stop_everything_under(root)
        shutil.rmtree(root, ignore_errors=True)
        assert not [p for p in left if alive(p)]


def test_the_release_build_goes_warm_and_its_children_die_with_the_launcher(
    frozen: Path, sock_dir: Path, tmp_path: Path
) -> None:
    prefix = warm_client.env_prefix(PROG)
    socket_path = sock_dir / warm_client.socket_name(__version__, str(frozen))
    served_by = []
    for n in range(2):
        env, identity = plugin_env(TMPDIR=str(tmp_path))
        env = {k: v for k, v in env.items() if not k.startswith("PYTHON")}
        env.update({prefix + "_WARM": "1", prefix + "_WARM_DIR": str(sock_dir)})
        proc = subprocess.Popen(
            [str(frozen)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        client = PluginClient(proc, identity)
        try:
            pid = int(Path(client.handshake.address).parent.name.split("-")[1])
            served_by.append((pid, parent_of(pid)))
            assert "rackspace_ip_address" in client.call("GetProviderSchema").resource_schemas
            if n == 0:
                assert pid == proc.pid  # cold; the fork server starts in the background
                assert client.shutdown(timeout=10) == 0
                assert wait_for(lambda: status(socket_path), timeout=120), "no fork server"
            else:
                # Warm: a child of the fork server; go-plugin's SIGKILL of the launcher ends it.
                answer = status(socket_path)
                assert answer is not None and served_by[1][1] == answer["pid"]
                assert answer["threads"] == 1
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=10)
                assert wait_for(lambda child=pid: not alive(child), timeout=10)
        finally:
            client.close()
    assert os.path.exists(socket_path)
