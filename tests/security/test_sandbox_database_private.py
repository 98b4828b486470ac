"""Another local user cannot read the sandbox's database (API keys and live tokens in plain text).

The sandbox is started for real at its default path and at a named path; a forked child running
as a second uid tries to read the database and its WAL. Controls open one layer at a time to show
that the file's mode and the default directory's mode each refuse on their own.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.plugin.plugin_client import REPO_ROOT
from tests.security.intruder import as_user, read, require_root
from tests.support.sandbox import Sandbox

STARTUP = re.compile(r"serving http://127\.0\.0\.1:(\d+) ")


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A directory under /tmp every user may traverse (pytest's own tmp tree is 0700)."""
    path = Path(tempfile.mkdtemp(prefix="tfprov-sbx-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _serve_at_default_path(data_home: Path) -> subprocess.Popen[bytes]:
    """`rackspace-sandbox serve` with no --db: $XDG_DATA_HOME/rackspace-sandbox/sandbox.db."""
    log = data_home / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sandbox", "serve", "--port", "0"],
            cwd=REPO_ROOT,
            env={**os.environ, "XDG_DATA_HOME": str(data_home), "PYTHONUNBUFFERED": "1"},
            stdout=out,
            stderr=out,
        )
    deadline = time.monotonic() + 20
    while not STARTUP.search(log.read_text()):
        assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)
    return proc


def test_default_database_and_directory_are_private(open_dir: Path) -> None:
    require_root()
    proc = _serve_at_default_path(open_dir)
    try:
        directory = open_dir / "rackspace-sandbox"
        db = directory / "sandbox.db"
        assert _mode(directory) == 0o700
        files = [db, Path(f"{db}-wal"), Path(f"{db}-shm")]
        assert {f.name: _mode(f) for f in files} == {f.name: 0o600 for f in files}
        assert as_user(read(str(db))) == errno.EACCES
        assert as_user(read(f"{db}-wal")) == errno.EACCES
        # Controls, one layer at a time: each mode refuses on its own, both open lets in.
        directory.chmod(0o755)
        assert as_user(read(str(db))) == errno.EACCES, "the file's 0600 alone must refuse"
        db.chmod(0o644)
        assert as_user(read(str(db))) == 0, "with both open the probe must get in"
        directory.chmod(0o700)
        assert as_user(read(str(db))) == errno.EACCES, "the directory's 0700 alone must refuse"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_named_database_is_private_and_a_loose_one_is_tightened(open_dir: Path) -> None:
    require_root()
    db = open_dir / "world.db"
    with Sandbox(open_dir / "logs", db=db) as sb:
        assert sb.token("demo")  # a token is now stored in the database
        assert _mode(db) == 0o600 and _mode(Path(f"{db}-wal")) == 0o600
        assert as_user(read(str(db))) == errno.EACCES
    # Left readable by someone (a copy, a chmod): the next start makes it private again.
    db.chmod(0o644)
    assert as_user(read(str(db))) == 0
    with Sandbox(open_dir / "logs", db=db) as sb:
        assert f"made {db} (was 0644) private (0600)" in sb.log_text()
        assert _mode(db) == 0o600
        assert as_user(read(str(db))) == errno.EACCES
