"""A second local user for the security tests: a real uid, probing from a forked child.

Root is needed to create the user and to switch to it; tests call `require_root()` first.
Each probe forks, drops to the other identity with `setgroups`/`setgid`/`setuid`, tries one
operation and reports 0 or the errno through its exit code, so nothing is mocked.
"""

from __future__ import annotations

import grp
import os
import pwd
import socket
import subprocess
from collections.abc import Callable

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


def as_user(action: Callable[[], None], *, extra_groups: tuple[int, ...] = ()) -> int:
    """Run `action` as the second user in a forked child; 0 on success, else the errno."""
    user = other_user()
    pid = os.fork()
    if pid == 0:  # the child: drop to the other identity, try, report through the exit code
        code = 0
        try:
            os.setgroups(list(extra_groups))
            os.setgid(user.pw_gid)
            os.setuid(user.pw_uid)
            action()
        except OSError as exc:
            code = exc.errno or 255
        except BaseException:
            code = 254
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def connect(address: str) -> Callable[[], None]:
    """An action that connects to the unix socket at `address`."""

    def action() -> None:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(5)
            sock.connect(address)

    return action


def read(path: str) -> Callable[[], None]:
    """An action that opens `path` and reads a byte of it."""

    def action() -> None:
        with open(path, "rb") as f:
            f.read(1)

    return action
