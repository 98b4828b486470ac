"""A second local user for the security tests: a real uid, probing from a fresh process.

Root is needed to create the user and to switch to it; tests call `require_root()` first.
Each probe starts a fresh interpreter as the other identity (through util-linux's
`setpriv`), tries one operation and reports 0 or the errno through its exit
code, so nothing is mocked.
"""

from __future__ import annotations

import grp
import os
import pwd
import subprocess
import sys
from dataclasses import dataclass

import pytest

OTHER_USER = "tfprov-intruder"
SHARE_GROUP = "tfprov-share"


def require_root() -> None:
    """Skip the calling test unless it runs as root (needed to act as a second uid)."""
    if os.geteuid() != 0:
        pytest.skip("needs root to create a second user and act as that user")


def other_user() -> pwd.struct_passwd:
    """The second user (created with `useradd` on first use)."""
    try:
        return pwd.getpwnam(OTHER_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", OTHER_USER],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(OTHER_USER)


def share_group() -> int:
    """The gid of a group the second user is not a member of (created on first use)."""
    try:
        return grp.getgrnam(SHARE_GROUP).gr_gid
    except KeyError:
        subprocess.run(["groupadd", "--system", SHARE_GROUP], check=True, capture_output=True)
        return grp.getgrnam(SHARE_GROUP).gr_gid


@dataclass(frozen=True)
class Probe:
    """One operation to try as the second user: `connect` a unix socket or `read` a file."""

    kind: str
    path: str


# Run in a fresh interpreter, switched to the other identity by util-linux's `setpriv`: a
# fork of pytest that runs code before exec (os.fork, or subprocess with user=/group=, which
# cannot use vfork) also runs gRPC's fork handlers once gRPC has started threads here, and such
# children crashed with SIGSEGV/SIGBUS under load. A plain subprocess uses vfork and runs none.
# The exit code is 0 on success, else the errno.
_PROBE = """
import socket, sys
kind, path = sys.argv[1], sys.argv[2]
try:
    if kind == "connect":
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(5)
            sock.connect(path)
    else:
        with open(path, "rb") as f:
            f.read(1)
except OSError as exc:
    sys.exit(exc.errno or 255)
"""


def _interpreter_for_others() -> str:
    """A Python the second user may execute: the virtualenv's may sit under a private home."""
    for candidate in ("/usr/bin/python3", "/usr/local/bin/python3"):
        mode = os.stat(candidate).st_mode if os.path.exists(candidate) else 0
        if mode & 0o001:
            return candidate
    return sys.executable


def as_user(probe: Probe, *, extra_groups: tuple[int, ...] = ()) -> int:
    """Try `probe` as the second user in a fresh process; 0 on success, else the errno."""
    user = other_user()
    groups = ["--groups", ",".join(map(str, extra_groups))] if extra_groups else ["--clear-groups"]
    done = subprocess.run(
        [
            "setpriv",
            f"--reuid={user.pw_uid}",
            f"--regid={user.pw_gid}",
            *groups,
            _interpreter_for_others(),
            "-I",
            "-c",
            _PROBE,
            probe.kind,
            probe.path,
        ],
        cwd="/",
        capture_output=True,
        timeout=30,
        check=False,
    )
    if done.returncode not in (0, *range(1, 200)) or done.stderr:
        raise AssertionError(f"the probe failed to run: {done.returncode} {done.stderr!r}")
    return done.returncode


def connect(address: str) -> Probe:
    """A probe that connects to the unix socket at `address`."""
    return Probe("connect", address)


def read(path: str) -> Probe:
    """A probe that opens `path` and reads a byte of it."""
    return Probe("read", path)
