"""The listener choice: which directory holds the socket, and when TCP is (not) served.

A real grpc server is bound in each case. The TCP branch exists only for platforms without
unix sockets, so it is reached here through `listen(..., unix_sockets=False)`.
"""

from __future__ import annotations

import os
import socket
import stat
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import pytest

from provider.plugin import transport
from provider.plugin.transport import TransportError, listen


@pytest.fixture
def server() -> Iterator[Any]:
    srv = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    yield srv
    srv.stop(0)


def _binder(srv: Any) -> Any:
    def bind(target: str) -> int:
        try:
            return int(srv.add_insecure_port(target))
        except RuntimeError:
            return 0

    return bind


def test_tmpdir_is_used_when_the_socket_path_fits(server: Any, tmp_path: Path) -> None:
    listener = listen(_binder(server), {"TMPDIR": str(tmp_path)})
    try:
        directory = Path(listener.address).parent
        assert (listener.network, directory.parent) == ("unix", tmp_path)
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
        assert stat.S_ISSOCK(Path(listener.address).stat().st_mode)
        assert directory.name.startswith(f"plugin-{os.getpid()}-")
    finally:
        transport.remove_socket_dir(listener.cleanup_dir or "")
    assert not directory.exists()


def test_a_long_tmpdir_falls_back_to_tmp(server: Any, tmp_path: Path) -> None:
    long = tmp_path / ("x" * 100)
    long.mkdir()
    listener = listen(_binder(server), {"TMPDIR": str(long)})
    try:
        assert listener.network == "unix"
        assert Path(listener.address).parent.parent == Path("/tmp")
        assert len(listener.address.encode()) <= transport.MAX_SOCKET_PATH
    finally:
        transport.remove_socket_dir(listener.cleanup_dir or "")


def test_candidates_are_tmpdir_then_tmp_then_runtime_dir() -> None:
    parents = transport._parents({"TMPDIR": "/a", "XDG_RUNTIME_DIR": "/run/user/1"})
    assert parents == [("TMPDIR", "/a"), ("/tmp", "/tmp"), ("XDG_RUNTIME_DIR", "/run/user/1")]
    assert transport._parents({"TMPDIR": "/tmp/"}) == [("TMPDIR", "/tmp/")]
    explicit = {"PLUGIN_UNIX_SOCKET_DIR": "/s", "TMPDIR": "/a"}
    assert transport._parents(explicit) == [("PLUGIN_UNIX_SOCKET_DIR", "/s")]


def test_nothing_usable_names_every_candidate(server: Any, tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    with pytest.raises(TransportError) as caught:
        listen(_binder(server), {"PLUGIN_UNIX_SOCKET_DIR": str(missing)})
    assert str(missing) in str(caught.value) and "No such file" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_tcp_is_refused_on_a_platform_with_unix_sockets(server: Any) -> None:
    with pytest.raises(TransportError, match="PLUGIN_TRANSPORT=tcp is refused"):
        listen(_binder(server), {"PLUGIN_TRANSPORT": "tcp", "PLUGIN_ALLOW_UNVERIFIED_TCP": "1"})


def test_without_unix_sockets_tcp_needs_the_opt_in(server: Any) -> None:
    with pytest.raises(TransportError, match="PLUGIN_ALLOW_UNVERIFIED_TCP=1"):
        listen(_binder(server), {}, unix_sockets=False)


def test_without_unix_sockets_the_opt_in_serves_loopback_tcp(server: Any) -> None:
    env = {"PLUGIN_ALLOW_UNVERIFIED_TCP": "1", "PLUGIN_MIN_PORT": "23000"}
    env["PLUGIN_MAX_PORT"] = "23999"
    listener = listen(_binder(server), env, unix_sockets=False)
    host, port = listener.address.rsplit(":", 1)
    assert (listener.network, host) == ("tcp", "127.0.0.1")
    assert 23000 <= int(port) <= 23999 and listener.cleanup_dir is None
    server.start()
    with socket.create_connection((host, int(port)), timeout=5):
        pass


def test_unknown_socket_group_is_a_transport_error() -> None:
    with pytest.raises(TransportError, match="no such group"):
        transport.resolve_group({"PLUGIN_UNIX_SOCKET_GROUP": "no-such-group-here"})
    assert transport.resolve_group({"PLUGIN_UNIX_SOCKET_GROUP": "0"}) == 0
    assert transport.resolve_group({}) is None
