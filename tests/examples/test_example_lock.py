"""The committed example lock file matches the launcher this checkout installs.

A fast guard with a fix in its message; `test_plan_check.py` proves the same with real
Terraform (`init -lockfile=readonly` on the committed file).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_committed_lock_file_has_the_launchers_hash() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "update_example_lock.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, (
        f"{done.stdout}{done.stderr}\nThe launcher's bytes changed (its template or the "
        "version): run `.venv/bin/python scripts/update_example_lock.py` and commit the lock."
    )
