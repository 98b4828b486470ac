"""Where the gRPC server listens: a unix socket in a fresh private directory.

Terraform's client certificate (P-521) cannot be verified by grpcio, so the provider cannot
tell Terraform from any other local process that connects. The only thing keeping other
users out is a unix socket inside a `0700` directory, so on platforms with unix sockets the
provider never listens on TCP: it looks for a parent directory short enough for the socket
path (`TMPDIR`, then `/tmp`, then `XDG_RUNTIME_DIR`) and, if none works, refuses to start
with one line that Terraform shows. TCP on 127.0.0.1 is served only on a platform without
unix sockets, and only with the explicit opt-in `PLUGIN_ALLOW_UNVERIFIED_TCP=1`, because any
local user can then connect and drive the provider with the caller's credentials.

Socket directories are named `plugin-<pid>-<random>` so that a later start can recognise the
ones left behind by a provider killed with SIGKILL and remove them (`remove_stale_dirs`).
"""

from __future__ import annotations

import os
import re
import socket
import stat
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass

__all__ = [
    "ALLOW_TCP_ENV",
    "SOCKET_DIR_ENV",
    "SOCKET_GROUP_ENV",
    "SOCKET_NAME",
    "TRANSPORT_ENV",
    "Listener",
    "TransportError",
    "listen",
    "remove_socket_dir",
    "remove_stale_dirs",
    "share_with_group",
]

SOCKET_NAME = "plugin.sock"
SOCKET_DIR_ENV = "PLUGIN_UNIX_SOCKET_DIR"  # go-plugin's own knob: the parent of the socket dir
SOCKET_GROUP_ENV = "PLUGIN_UNIX_SOCKET_GROUP"  # go-plugin's own knob: share with one group
TRANSPORT_ENV = "PLUGIN_TRANSPORT"  # "tcp" is refused where unix sockets exist
ALLOW_TCP_ENV = "PLUGIN_ALLOW_UNVERIFIED_TCP"  # "1": serve TCP where unix sockets do not exist

# sun_path is 108 bytes on Linux and 104 on macOS and the BSDs, NUL included; grpc refuses
# longer paths ("Path name should not have more than 107 characters").
MAX_SOCKET_PATH = 103 if sys.platform == "darwin" or "bsd" in sys.platform else 107
_DIR_PREFIX = "plugin-"
# Ours: plugin-<pid>-<8 chars of mkdtemp>. Before pids were in the name: plugin<8 chars>.
_OURS = re.compile(r"^plugin(?:-(\d+)-)?[a-z0-9_]{8}$")
# A directory without a socket may belong to a provider between mkdir and bind (milliseconds).
_UNBOUND_GRACE_SECONDS = 60.0


class TransportError(Exception):
    """The provider cannot listen safely; the message is one line for the user."""


@dataclass
class Listener:
    """Where the server listens: `network` is "unix" or "tcp"; `cleanup_dir` is ours to remove."""

    network: str
    address: str
    cleanup_dir: str | None = None


def listen(
    bind: Callable[[str], int],
    environ: Mapping[str, str] | None = None,
    *,
    unix_sockets: bool = hasattr(socket, "AF_UNIX"),
) -> Listener:
    """Bind the server through `bind` (grpc's add_*_port: target -> port, 0 on failure).

    `unix_sockets` says whether the platform has them (a parameter so that the TCP branch,
    which only exists for platforms without them, can be tested here). Raises
    `TransportError` when no private socket can be made, when TCP is asked for where unix
    sockets exist, and when TCP is needed but not opted into.
    """
    env = os.environ if environ is None else environ
    if unix_sockets:
        if env.get(TRANSPORT_ENV, "").strip().lower() == "tcp":
            raise TransportError(
                f"{TRANSPORT_ENV}=tcp is refused: the provider cannot verify TCP clients, so any "
                f"local user could drive it with your credentials. Unset {TRANSPORT_ENV}; the "
                "provider listens on a private unix socket."
            )
        return _listen_unix(bind, env)
    if env.get(ALLOW_TCP_ENV, "") != "1":
        raise TransportError(
            "this platform has no unix sockets, and on TCP the provider cannot verify its "
            "client, so any local user could drive it with your credentials. Set "
            f"{ALLOW_TCP_ENV}=1 to accept that risk and serve on 127.0.0.1."
        )
    return _listen_tcp(bind, env)


def _parents(env: Mapping[str, str]) -> list[tuple[str, str]]:
    """(label, directory) candidates for the socket directory's parent, in order."""
    explicit = env.get(SOCKET_DIR_ENV)
    if explicit:
        # Asked for by name (go-plugin's knob): use it or say why not, never somewhere else.
        return [(SOCKET_DIR_ENV, explicit)]
    found: list[tuple[str, str]] = []
    for label, directory in (
        ("TMPDIR", env.get("TMPDIR")),
        ("/tmp", "/tmp"),
        ("XDG_RUNTIME_DIR", env.get("XDG_RUNTIME_DIR")),
    ):
        if directory and os.path.abspath(directory) not in {os.path.abspath(d) for _, d in found}:
            found.append((label, directory))
    return found


def _unsuitable(parent: str) -> str | None:
    """Why `parent` cannot hold the socket directory, or None."""
    # The longest name mkdtemp can make: prefix, pid, dash and 8 random characters.
    longest = os.path.join(parent, f"{_DIR_PREFIX}{os.getpid()}-xxxxxxxx", SOCKET_NAME)
    size = len(os.fsencode(longest))
    if size > MAX_SOCKET_PATH:
        return f"the socket path would be {size} bytes (limit {MAX_SOCKET_PATH})"
    try:
        st = os.stat(parent)
    except OSError as e:
        return e.strerror or str(e)
    if not stat.S_ISDIR(st.st_mode):
        return "not a directory"
    if st.st_mode & stat.S_IWOTH and not st.st_mode & stat.S_ISVTX:
        # Anyone could swap our fresh directory for theirs between mkdir and bind.
        return "writable by every user without the sticky bit"
    return None


def _listen_unix(bind: Callable[[str], int], env: Mapping[str, str]) -> Listener:
    reasons: list[str] = []
    for label, parent in _parents(env):
        parent = os.path.abspath(parent)
        why = _unsuitable(parent)
        if why is None:
            try:
                directory = tempfile.mkdtemp(prefix=f"{_DIR_PREFIX}{os.getpid()}-", dir=parent)
            except OSError as e:
                why = e.strerror or str(e)
            else:
                address = os.path.join(directory, SOCKET_NAME)
                if bind(f"unix:{address}") and _private(directory):
                    return Listener("unix", address, cleanup_dir=directory)
                remove_socket_dir(directory)
                why = "cannot bind a private socket there"
        reasons.append(f"{label} {parent}: {why}")
    knob = SOCKET_DIR_ENV if env.get(SOCKET_DIR_ENV) else "TMPDIR"
    raise TransportError(
        "cannot make a private directory for the plugin socket ("
        + "; ".join(reasons)
        + f"). Set {knob} to a short directory that you can write to."
    )


def _private(directory: str) -> bool:
    """Our directory is still ours and 0700 after the bind (nobody swapped it)."""
    st = os.lstat(directory)
    return (
        stat.S_ISDIR(st.st_mode) and st.st_uid == os.geteuid() and stat.S_IMODE(st.st_mode) == 0o700
    )


def _listen_tcp(bind: Callable[[str], int], env: Mapping[str, str]) -> Listener:
    low = int(env.get("PLUGIN_MIN_PORT") or 10000)
    high = int(env.get("PLUGIN_MAX_PORT") or 25000)
    for port in range(low, high + 1):
        if bind(f"127.0.0.1:{port}") == port:
            return Listener("tcp", f"127.0.0.1:{port}")
    raise TransportError(f"no free TCP port on 127.0.0.1 in {low}..{high}")


def resolve_group(environ: Mapping[str, str] | None = None) -> int | None:
    """The gid named by `PLUGIN_UNIX_SOCKET_GROUP` (a name or a number), or None.

    Raises `TransportError` for a group that does not exist.
    """
    env = os.environ if environ is None else environ
    group = env.get(SOCKET_GROUP_ENV)
    if not group:
        return None
    if group.isdigit():
        return int(group)
    import grp

    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        raise TransportError(f"{SOCKET_GROUP_ENV}={group}: no such group") from None


def share_with_group(listener: Listener, gid: int | None) -> None:
    """Let group `gid` reach and use the socket (0750 directory, 0660 socket)."""
    if gid is None or listener.network != "unix" or listener.cleanup_dir is None:
        return
    os.chown(listener.cleanup_dir, -1, gid)
    os.chmod(listener.cleanup_dir, 0o750)
    os.chown(listener.address, -1, gid)
    os.chmod(listener.address, 0o660)


def remove_socket_dir(directory: str) -> None:
    """Remove a socket directory of ours (its socket, then itself); missing is fine."""
    for path, remove in ((os.path.join(directory, SOCKET_NAME), os.unlink), (directory, os.rmdir)):
        try:
            remove(path)
        except FileNotFoundError:
            pass
        except OSError:
            return


def remove_stale_dirs(parent: str, now: float | None = None) -> list[str]:
    """Remove socket directories in `parent` left by providers that are gone; returns them.

    Only directories of our shape owned by this uid are considered, holding nothing but our
    socket. One is stale when the pid in its name is gone and nothing accepts connections
    on its socket (a provider in another pid namespace still answers), or, for one without a
    socket, when it is older than a minute. Errors are ignored: another provider may be
    cleaning the same directory.
    """
    import time

    now = time.time() if now is None else now
    removed: list[str] = []
    try:
        names = os.listdir(parent)
    except OSError:
        return removed
    for name in names:
        match = _OURS.match(name)
        if match is None:
            continue
        directory = os.path.join(parent, name)
        try:
            if _is_stale(directory, match.group(1), now):
                remove_socket_dir(directory)
                if not os.path.lexists(directory):
                    removed.append(directory)
        except OSError:
            continue
    return removed


def _is_stale(directory: str, pid: str | None, now: float) -> bool:
    st = os.lstat(directory)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o027:
        return False
    if set(os.listdir(directory)) - {SOCKET_NAME}:
        return False  # something we never put there: not ours to remove
    if pid is not None and _alive(int(pid)):
        return False
    address = os.path.join(directory, SOCKET_NAME)
    try:
        if not stat.S_ISSOCK(os.lstat(address).st_mode):
            return False
    except FileNotFoundError:
        return now - st.st_mtime > _UNBOUND_GRACE_SECONDS
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(0.5)
    try:
        probe.connect(address)
    except ConnectionRefusedError:
        return True  # a socket file nobody listens on
    except OSError:
        return False
    finally:
        probe.close()
    return False  # somebody answers: a live provider


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, as another user
    return True
