"""Faults that used to look healthy: each is one clear line and a non-zero exit at start, or a
clear error for the request, never a traceback.

Read-only, empty, damaged, foreign and non-SQLite databases; numeric flags out of range
(``inf`` and ``nan`` included); and ``--log-requests`` lines under concurrency.
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.support.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[2]


def serve(*args: str, wrapper: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    """`rackspace-sandbox serve --port 0 ARGS`, expected to stop on its own."""
    return subprocess.run(
        [*(wrapper or []), sys.executable, "-m", "sandbox", "serve", "--port", "0", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )


def one_line_refusal(result: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a refused start (exit status non-zero, no traceback)."""
    assert result.returncode != 0, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("rackspace-sandbox: ")
    return lines[0]


def make_world(db: Path) -> None:
    """A real sandbox database at `db` (started, used, stopped)."""
    with Sandbox(db.parent / "first-run", db=db) as sb:
        assert sb.token("demo")


def test_read_only_database_is_refused_at_start(tmp_path: Path) -> None:
    if subprocess.run(["unshare", "--mount", "true"], capture_output=True).returncode:
        pytest.skip("cannot make a mount namespace here (needs root)")
    directory = tmp_path / "ro"
    directory.mkdir()
    db = directory / "sandbox.db"
    make_world(db)
    before = db.read_bytes()
    # A read-only file system: the one kind of read-only that binds root too.
    script = (
        f'mount --bind {directory} {directory} && mount -o remount,bind,ro {directory} && exec "$@"'
    )
    line = one_line_refusal(
        serve("--db", str(db), wrapper=["unshare", "--mount", "sh", "-c", script, "sh"])
    )
    assert f"cannot write to the database {db}" in line
    assert "another --db" in line
    assert db.read_bytes() == before


def test_empty_database_is_refused_without_reset(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.db"
    db.touch()
    line = one_line_refusal(serve("--db", str(db)))
    assert f"{db} is empty (0 bytes)" in line and "--reset" in line
    assert db.stat().st_size == 0, "a refused start must not seed the file"
    with Sandbox(tmp_path, db=db, args=["--reset"]) as sb:
        assert f"--reset: {db} now holds a fresh world" in sb.log_text()
        state = sb.call("GET", "/__sandbox__/state")[1]
        assert "web-1" in str(state)


def test_reset_throws_away_the_stored_world_and_tokens(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.db"
    with Sandbox(tmp_path, db=db) as sb:
        token = sb.token("demo")
    with Sandbox(tmp_path, db=db, args=["--reset"]) as sb:
        status, _ = sb.call("GET", "/dfw/networks/v2.0/networks", token=token)
        assert status == 401, "tokens of the old world must be gone"
        assert sb.call("GET", "/dfw/networks/v2.0/networks", token=sb.token("demo"))[0] == 200


def test_file_that_is_not_sqlite_is_refused_and_untouched(tmp_path: Path) -> None:
    db = tmp_path / "notes.txt"
    db.write_text("my notes, not a database\n")
    line = one_line_refusal(serve("--db", str(db)))
    assert f"{db} is not an SQLite database" in line
    assert one_line_refusal(serve("--db", str(db), "--reset")) == line, "--reset must not help"
    assert db.read_text() == "my notes, not a database\n"


def test_damaged_database_names_the_file(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.db"
    make_world(db)
    data = bytearray(db.read_bytes())
    data[100:] = bytes((i * 7 + 3) % 256 for i in range(len(data) - 100))
    db.write_bytes(bytes(data))
    line = one_line_refusal(serve("--db", str(db)))
    assert f"the database {db} is damaged" in line and "move it away" in line


def test_another_programs_database_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "app.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER)")
    line = one_line_refusal(serve("--db", str(db)))
    assert f"{db} is an SQLite database but not a sandbox's (tables: invoices)" in line
    with sqlite3.connect(db) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    assert names == ["invoices"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rate-limit-window", "inf"], "rate_limit_window_seconds must be > 0"),
        (["--rate-limit-window", "nan"], "rate_limit_window_seconds must be > 0"),
        (["--rate-limit-window", "0"], "rate_limit_window_seconds must be > 0"),
        (["--fault-rate", "nan"], "fault_rate must be between 0 and 1"),
        (["--fault-rate", "1.5"], "fault_rate must be between 0 and 1"),
        (["--latency-ms", "-1"], "latency_ms must be between 0 and 60000"),
        (["--retry-after", "-1"], "retry_after_seconds must be between 0 and 86400"),
        (["--retry-after", "99999999"], "retry_after_seconds must be between 0 and 86400"),
        (["--token-ttl", "0"], "token_ttl_seconds must be > 0"),
        (["--token-ttl", "999999999999"], "token_ttl_seconds must be > 0"),
        (["--rate-limit", "-5"], "rate_limit_per_minute must be between 0"),
    ],
)
def test_numeric_flags_out_of_range_are_one_line(
    tmp_path: Path, args: list[str], message: str
) -> None:
    line = one_line_refusal(serve("--db", str(tmp_path / "x.db"), *args))
    assert message in line
    assert not (tmp_path / "x.db").exists(), "nothing is created for a refused start"


def test_port_out_of_range_is_an_argument_error(tmp_path: Path) -> None:
    result = serve("--db", str(tmp_path / "x.db"), "--port", "70000")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "port must be between 0 and 65535, not 70000" in result.stderr


def test_fault_settings_at_run_time_reject_infinity(sb: Sandbox) -> None:
    for body in ({"rate_limit_window_seconds": float("inf")}, {"fault_rate": float("nan")}):
        status, data = sb.call("PUT", "/__sandbox__/faults", body)  # json writes Infinity, NaN
        assert status == 400, data
    # Still serving, with the limits it had.
    assert sb.call("GET", "/__sandbox__/faults")[1]["rate_limit_window_seconds"] == 60.0


LOG_LINE = re.compile(
    r"^rackspace-sandbox: \d{4}-\d\d-\d\dT\S+ GET /dfw/networks/v2\.0/networks 401 "
    r"\d+\.\dms tenant=-$"
)


def test_request_log_lines_stay_whole_under_concurrency(tmp_path: Path) -> None:
    threads, per_thread = 16, 60
    with Sandbox(tmp_path, args=["--log-requests"]) as sb:
        url = f"{sb.url}/dfw/networks/v2.0/networks"

        def hammer() -> None:
            for _ in range(per_thread):
                try:
                    urllib.request.urlopen(url, timeout=30).close()
                except urllib.error.HTTPError as err:
                    err.close()

        workers = [threading.Thread(target=hammer) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    lines = [
        line
        for line in sb.log_text().splitlines()
        if "serving http" not in line and line != "rackspace-sandbox: stopped"
    ]
    broken = [line for line in lines if not LOG_LINE.match(line)]
    assert broken == []
    assert len(lines) == threads * per_thread
