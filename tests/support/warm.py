"""The test session's warm launches: one private fork-server directory for the whole run.

Warm launches are on by default, so every Terraform run of the suite goes through a fork
server. `tests/conftest.py` points them all at one 0700 directory of the session
(`<PREFIX>_WARM_DIR`, with `<PREFIX>_WARM=1` so that a `CI` variable changes nothing here) and
stops every server in it at the end. Helpers that build an environment from scratch take
`passthrough()` so their launches land in the same directory instead of the user's own.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROG = "terraform-provider-rackspace"
PREFIX = PROG.upper().replace("-", "_")
WARM_VAR = PREFIX + "_WARM"
WARM_DIR_VAR = PREFIX + "_WARM_DIR"


def passthrough() -> dict[str, str]:
    """The session's warm settings, for an environment built from scratch (empty outside a
    pytest session that set them)."""
    return {k: os.environ[k] for k in (WARM_VAR, WARM_DIR_VAR) if k in os.environ}


def make_session_dir() -> Path:
    """A fresh 0700 directory directly under /tmp: a socket path must stay under 107 bytes,
    which a pytest tmp_path can exceed."""
    return Path(tempfile.mkdtemp(prefix="tfwarm-", dir="/tmp"))


@dataclass
class SessionReport:
    """What the session's fork servers did, polled after every test: the children each server
    (by pid) had forked when last seen, and the pids left alive after stopping them all at the
    end (must be empty). A server that handed over to a fresh one (an edited file) or went idle
    keeps its last count."""

    directory: Path
    launches_by_server: dict[int, int] = field(default_factory=dict)
    left_alive: list[int] = field(default_factory=list)

    def poll(self) -> None:
        """Record the launch count of every server answering under the directory."""
        from tests.plugin.forkserver_support import status

        for sock in sorted(self.directory.rglob("*.sock")):
            answer: dict[str, Any] | None = status(sock, timeout=2.0)
            if answer:
                pid = int(answer["pid"])
                seen = self.launches_by_server.get(pid, 0)
                self.launches_by_server[pid] = max(seen, int(answer["launches"]))

    @property
    def launches(self) -> int:
        """Children forked by all the session's fork servers, as far as polls saw."""
        return sum(self.launches_by_server.values())

    def summary(self) -> str:
        """One line for the end of the test run."""
        return (
            f"warm launches: {self.launches} children forked by {len(self.launches_by_server)}"
            f" fork server(s) in {self.directory}; {len(self.left_alive)} process(es) left"
            " behind"
        )


def finish_session(report: SessionReport) -> SessionReport:
    """Poll once more, stop every fork server under the report's directory (children too),
    then list any process whose command line still names the directory; remove it."""
    from tests.plugin.forkserver_support import (
        alive,
        processes_mentioning,
        stop_everything_under,
        wait_for,
    )

    directory = report.directory
    report.poll()
    stop_everything_under(directory)
    # A fork server's children carry its command line (they are forks), so this also finds
    # a provider child that outlived its server.
    wait_for(lambda: not any(alive(p) for p in processes_mentioning(str(directory))), timeout=5)
    report.left_alive = [p for p in processes_mentioning(str(directory)) if alive(p)]
    with contextlib.suppress(OSError):
        shutil.rmtree(directory)
    return report
