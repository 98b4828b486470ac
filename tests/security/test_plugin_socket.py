"""Nobody but Terraform's user can drive the provider, and its TLS key never touches disk.

The provider listens on a unix socket inside a fresh 0700 directory. A process running as a
different uid must not be able to connect to it; the server's private key is made in memory.
"""

from __future__ import annotations

import errno
import os
import pwd
import re
import socket
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.plugin.plugin_client import PluginClient, launch, plugin_env

OTHER_USER = "tfprov-intruder"
KEY_MARKERS = re.compile(rb"-----BEGIN (EC |ENCRYPTED |)PRIVATE KEY-----")


def _ensure_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(OTHER_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", OTHER_USER],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(OTHER_USER)


@pytest.fixture
def socket_dir(tmp_path: Path) -> Path:
    """A parent for the provider's socket directory that every user may traverse, so only the
    provider's own 0700 directory stands between the socket and another user."""
    parent = tmp_path / "sockets"
    parent.mkdir()
    os.chmod(tmp_path, 0o755)
    os.chmod(parent, 0o1777)
    return parent


@pytest.fixture
def running(socket_dir: Path) -> Iterator[PluginClient]:
    """The real provider, launched as Terraform would, with its socket under `socket_dir`."""
    env, identity = plugin_env(protocol="6", PLUGIN_UNIX_SOCKET_DIR=str(socket_dir))
    client = PluginClient(launch(env, module="provider"), identity)
    yield client
    client.close()


def test_socket_directory_is_private(running: PluginClient) -> None:
    assert running.handshake.network == "unix"
    directory = Path(running.handshake.address).parent
    mode = stat.S_IMODE(directory.stat().st_mode)
    assert mode == 0o700, oct(mode)
    assert directory.stat().st_uid == os.getuid()


def test_another_uid_cannot_connect(running: PluginClient) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to create a second user and run a client as that user")
    user = _ensure_user()
    address = running.handshake.address
    refused = _connect_as(user.pw_uid, user.pw_gid, address)
    assert refused == errno.EACCES, f"uid {user.pw_uid} got {errno.errorcode.get(refused, refused)}"
    # The same probe as the provider's own user connects, so the refusal is about the uid.
    assert _connect_as(os.getuid(), os.getgid(), address) == 0
    # And the provider still serves its real client.
    assert running.call("GetProviderSchema").resource_schemas


def _connect_as(uid: int, gid: int, address: str) -> int:
    """Connect to `address` from a forked child running as uid/gid; 0 or the errno."""
    pid = os.fork()
    if pid == 0:  # the child: drop to the other identity, try, report through the exit code
        code = 0
        try:
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            sock = socket.socket(socket.AF_UNIX)
            sock.settimeout(5)
            sock.connect(address)
            sock.close()
        except OSError as exc:
            code = exc.errno or 255
        except BaseException:
            code = 254
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def _key_files(roots: list[Path], since: float) -> list[Path]:
    found = []
    for root in roots:
        for dirpath, _dirs, files in os.walk(root):
            for name in files:
                path = Path(dirpath) / name
                try:
                    if path.stat().st_mtime < since or path.stat().st_size > 1 << 20:
                        continue
                    data = path.read_bytes()
                except OSError:
                    continue
                if KEY_MARKERS.search(data):
                    found.append(path)
    return found


def test_server_key_never_written(socket_dir: Path, tmp_path: Path) -> None:
    import time

    since = time.time() - 1
    home = tmp_path / "home"
    home.mkdir()
    env, identity = plugin_env(
        protocol="6",
        PLUGIN_UNIX_SOCKET_DIR=str(socket_dir),
        TMPDIR=str(tmp_path / "tmp"),
        HOME=str(home),
    )
    (tmp_path / "tmp").mkdir()
    client = PluginClient(launch(env, module="provider"), identity)
    try:
        assert client.handshake.cert_der, "TLS was requested; a certificate must be announced"
        assert client.call("GetProviderSchema").resource_schemas
        socket_home = Path(client.handshake.address).parent
        assert sorted(p.name for p in socket_home.iterdir()) == ["plugin.sock"]
        roots = [tmp_path, Path(tempfile.gettempdir()), Path.cwd()]
        assert _key_files(roots, since) == []
        # Nor does the process hold an open file that could be one.
        fds = Path(f"/proc/{client.proc.pid}/fd")
        targets = [os.readlink(fd) for fd in fds.iterdir()]
        assert not [t for t in targets if t.endswith((".pem", ".key", ".der"))], targets
    finally:
        client.close()
