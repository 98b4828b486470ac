"""Nobody but Terraform's user can drive the provider, and its TLS key never touches disk.

The provider listens on a unix socket inside a fresh 0700 directory, never on TCP (which it
cannot authenticate). Each configuration the docs allow is launched for real and probed by a
forked child running as a second uid; a control probe with the directory opened up shows
that the directory's mode, and nothing else on the path, is what refuses the other user.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.plugin.plugin_client import REPO_ROOT, PluginClient, launch, plugin_env, wait_for
from tests.security.intruder import as_user, connect, require_root, share_group

KEY_MARKERS = re.compile(rb"-----BEGIN (EC |ENCRYPTED |)PRIVATE KEY-----")
LONG_NAME = "t" * 100  # with its parent, a TMPDIR far past the 80 bytes a socket path allows


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A directory directly under /tmp that every user may traverse (not pytest's 0700 one),
    so only the provider's own directory can stand between the socket and another user."""
    path = Path(tempfile.mkdtemp(prefix="tfprov-sec-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def runtime_dir() -> Iterator[Path]:
    """A traversable directory outside /tmp, standing in for $XDG_RUNTIME_DIR."""
    base = "/dev/shm" if os.path.isdir("/dev/shm") else "/run"
    path = Path(tempfile.mkdtemp(prefix="tfprov-run-", dir=base))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _env(**extra: str) -> tuple[dict[str, str], tuple[bytes, bytes] | None]:
    env, identity = plugin_env(protocol="6", **extra)
    for key in ("TMPDIR", "XDG_RUNTIME_DIR"):
        if key not in extra:
            env.pop(key, None)
    return env, identity


def _launch_with_readonly_tmp(env: dict[str, str]) -> subprocess.Popen[bytes]:
    """The provider in a mount namespace where /tmp is a read-only tmpfs."""
    script = 'mount -t tmpfs -o ro tmpfs /tmp && exec "$0" -m provider'
    return subprocess.Popen(
        ["unshare", "--mount", "sh", "-c", script, sys.executable],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


CONFIGURATIONS = ["default", "long-tmpdir", "socket-dir", "xdg-runtime-dir", "group"]


@pytest.fixture(params=CONFIGURATIONS)
def configured(
    request: pytest.FixtureRequest, open_dir: Path, runtime_dir: Path
) -> Iterator[tuple[str, PluginClient]]:
    """The real provider launched as Terraform would, in one documented configuration."""
    name = request.param
    long_tmpdir = open_dir / LONG_NAME
    long_tmpdir.mkdir()
    if name == "default":
        env, identity = _env()
        proc = launch(env, module="provider")
    elif name == "long-tmpdir":
        env, identity = _env(TMPDIR=str(long_tmpdir))
        proc = launch(env, module="provider")
    elif name == "socket-dir":
        env, identity = _env(PLUGIN_UNIX_SOCKET_DIR=str(open_dir))
        proc = launch(env, module="provider")
    elif name == "xdg-runtime-dir":
        if subprocess.run(["unshare", "--mount", "true"], capture_output=True).returncode:
            pytest.skip("cannot make a mount namespace here")
        env, identity = _env(TMPDIR=str(long_tmpdir), XDG_RUNTIME_DIR=str(runtime_dir))
        proc = _launch_with_readonly_tmp(env)
    else:
        require_root()
        share_group()
        env, identity = _env(PLUGIN_UNIX_SOCKET_GROUP="tfprov-share")
        proc = launch(env, module="provider")
    client = PluginClient(proc, identity)
    yield name, client
    client.close()


EXPECTED_PARENT = {
    "default": "/tmp",
    "long-tmpdir": "/tmp",  # TMPDIR does not fit a socket path: the next candidate
    "socket-dir": "open_dir",
    "xdg-runtime-dir": "runtime_dir",  # TMPDIR too long and /tmp read-only
    "group": "/tmp",
}


def test_socket_is_unix_in_a_private_directory(
    configured: tuple[str, PluginClient], open_dir: Path, runtime_dir: Path
) -> None:
    name, client = configured
    assert client.handshake.network == "unix"
    directory = Path(client.handshake.address).parent
    parent = {"open_dir": str(open_dir), "runtime_dir": str(runtime_dir)}.get(
        EXPECTED_PARENT[name], EXPECTED_PARENT[name]
    )
    assert str(directory.parent) == parent
    assert directory.name.startswith(f"plugin-{client.proc.pid}-")
    mode = stat.S_IMODE(directory.stat().st_mode)
    assert mode == (0o750 if name == "group" else 0o700), oct(mode)
    assert directory.stat().st_uid == os.getuid()
    assert client.call("GetProviderSchema").resource_schemas


def test_another_uid_cannot_connect(configured: tuple[str, PluginClient]) -> None:
    require_root()
    name, client = configured
    address = client.handshake.address
    directory = Path(address).parent
    refused = as_user(connect(address))
    assert refused == errno.EACCES, errno.errorcode.get(refused, refused)
    if name == "group":
        # Control: the same probe as a member of the shared group gets in.
        assert as_user(connect(address), extra_groups=(share_group(),)) == 0
    else:
        # Control: with the directory (and socket) opened up the same probe gets in, so
        # the refusal above came from the provider's directory, not from its parents.
        os.chmod(address, 0o777)
        directory.chmod(0o755)
        try:
            assert as_user(connect(address)) == 0
        finally:
            directory.chmod(0o700)
        assert as_user(connect(address)) == errno.EACCES
    assert client.call("GetProviderSchema").resource_schemas


def _start(env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "provider"], cwd=REPO_ROOT, env=env, capture_output=True, timeout=60
    )


def _one_line_refusal(done: subprocess.CompletedProcess[bytes]) -> str:
    assert done.returncode == 1
    lines = done.stdout.decode().splitlines()
    assert len(lines) == 1, done.stdout
    assert not lines[0].startswith("1|"), "a refusal must not look like a handshake"
    assert b"Traceback" not in done.stderr
    return lines[0]


def test_tcp_is_refused_where_unix_sockets_exist() -> None:
    env, _ = _env(PLUGIN_TRANSPORT="tcp", PLUGIN_ALLOW_UNVERIFIED_TCP="1")
    line = _one_line_refusal(_start(env))
    assert "PLUGIN_TRANSPORT=tcp is refused" in line and "any local user" in line


def test_no_short_private_directory_is_one_clear_line(open_dir: Path) -> None:
    too_long = open_dir / LONG_NAME
    too_long.mkdir()
    env, _ = _env(PLUGIN_UNIX_SOCKET_DIR=str(too_long))
    line = _one_line_refusal(_start(env))
    assert "cannot make a private directory for the plugin socket" in line
    assert "limit 107" in line and "PLUGIN_UNIX_SOCKET_DIR" in line


def test_world_writable_parent_without_sticky_bit_is_refused(open_dir: Path) -> None:
    # Anyone could swap the fresh directory for their own before the socket is bound.
    shared = open_dir / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    env, _ = _env(PLUGIN_UNIX_SOCKET_DIR=str(shared))
    line = _one_line_refusal(_start(env))
    assert "writable by every user without the sticky bit" in line
    assert list(shared.iterdir()) == []


def test_sigterm_exits_cleanly_and_removes_the_socket_directory() -> None:
    env, identity = _env()
    client = PluginClient(launch(env, module="provider"), identity)
    try:
        directory = Path(client.handshake.address).parent
        assert directory.is_dir()
        client.proc.send_signal(signal.SIGTERM)
        assert client.proc.wait(timeout=10) == 0
        assert not directory.exists()
    finally:
        client.close()


def _dead_pid() -> int:
    done = subprocess.Popen(["true"])
    done.wait()
    return done.pid


def test_stale_socket_directories_of_killed_providers_are_removed(open_dir: Path) -> None:
    parent = open_dir
    env, identity = _env(TMPDIR=str(parent))
    killed = PluginClient(launch(env, module="provider"), identity)
    killed_dir = Path(killed.handshake.address).parent
    killed.proc.kill()
    killed.proc.wait()
    killed.close()
    assert killed_dir.exists(), "SIGKILL leaves the directory behind (what is cleaned up)"
    live = PluginClient(launch(env, module="provider"), identity)
    live_dir = Path(live.handshake.address).parent
    dead = _dead_pid()
    # Not ours to remove: another uid's, one holding something else, one whose socket
    # answers (a provider in another pid namespace), one too young to be unbound for good,
    # and a Go provider's socket file.
    foreign = parent / f"plugin-{dead}-foreign1"
    foreign.mkdir(mode=0o700)
    if os.geteuid() == 0:
        os.chown(foreign, 65534, 65534)
    else:  # cannot give it away: it would be ours and stale, so leave it out
        foreign.rmdir()
    cluttered = parent / f"plugin-{dead}-clutter1"
    cluttered.mkdir(mode=0o700)
    (cluttered / "notes.txt").write_text("mine")
    answering = parent / f"plugin-{dead}-answer11"
    answering.mkdir(mode=0o700)
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(answering / "plugin.sock"))
    listener.listen()
    young_legacy = parent / "pluginyoung123"
    young_legacy.mkdir(mode=0o700)
    go_socket = parent / "plugin1234567890"
    go_socket.write_text("")
    # Stale: an old-style directory whose socket nobody listens on, and an old empty one.
    refused_legacy = parent / "pluginrefused1"
    refused_legacy.mkdir(mode=0o700)
    closed = socket.socket(socket.AF_UNIX)
    closed.bind(str(refused_legacy / "plugin.sock"))
    closed.close()
    old_legacy = parent / "pluginold12345"
    old_legacy.mkdir(mode=0o700)
    os.utime(old_legacy, (time.time() - 300, time.time() - 300))

    starter = PluginClient(launch(env, module="provider"), identity)
    try:
        assert starter.call("GetProviderSchema").resource_schemas
        assert wait_for(lambda: not killed_dir.exists(), timeout=10), "stale dir left behind"
        assert wait_for(lambda: not refused_legacy.exists() and not old_legacy.exists())
        kept = [live_dir, cluttered, answering, young_legacy, go_socket]
        kept += [foreign] if os.geteuid() == 0 else []
        assert [p.name for p in kept if not p.exists()] == []
        assert Path(starter.handshake.address).exists()
        assert live.call("GetProviderSchema").resource_schemas, "a live provider was disturbed"
    finally:
        listener.close()
        starter.close()
        live.close()


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


def test_server_key_never_written(open_dir: Path, tmp_path: Path) -> None:
    since = time.time() - 1
    home = tmp_path / "home"
    home.mkdir()
    (tmp_path / "tmp").mkdir()
    env, identity = _env(
        PLUGIN_UNIX_SOCKET_DIR=str(open_dir), TMPDIR=str(tmp_path / "tmp"), HOME=str(home)
    )
    client = PluginClient(launch(env, module="provider"), identity)
    try:
        assert client.handshake.cert_der, "TLS was requested; a certificate must be announced"
        assert client.call("GetProviderSchema").resource_schemas
        socket_home = Path(client.handshake.address).parent
        assert sorted(p.name for p in socket_home.iterdir()) == ["plugin.sock"]
        roots = [tmp_path, open_dir, Path(tempfile.gettempdir()), Path.cwd()]
        assert _key_files(roots, since) == []
        # Nor does the process hold an open file that could be one.
        fds = Path(f"/proc/{client.proc.pid}/fd")
        targets = [os.readlink(fd) for fd in fds.iterdir()]
        assert not [t for t in targets if t.endswith((".pem", ".key", ".der"))], targets
    finally:
        client.close()
