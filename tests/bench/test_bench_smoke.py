"""The benchmark harness keeps working: its tiniest run, plus its measuring parts on their own."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench import report, targets
from bench.procwatch import ProcessWatcher
from bench.stats import summarize

REPO = Path(__file__).resolve().parents[2]


def test_watcher_sees_a_grandchild_and_its_memory() -> None:
    """A process that holds ~60 MB behind a shell is found and its peak is measured."""
    code = (
        "import time; b = bytearray(60_000_000); b[::4096] = b'x' * len(b[::4096]); time.sleep(0.4)"
    )
    proc = subprocess.Popen(["/bin/sh", "-c", f'"{sys.executable}" -c "{code}"; true'])
    with ProcessWatcher(proc.pid, interval_s=0.01) as watcher:
        proc.wait()
    python = [p for p in watcher.processes.values() if p.name.startswith("python")]
    assert len(python) == 1
    assert 60_000 <= python[0].peak_kib < 200_000
    assert python[0].last_seen_s > python[0].first_seen_s


def _results(
    ours_hs: float, tf_hs: float, ours_apply: float, go_apply: float, go_hs: float = 0.03
) -> dict:
    def one(x: float) -> dict:
        return summarize([x, x * 1.1, x * 0.9])

    return {
        "meta": {
            "generated_at": "now",
            "command": "test",
            "machine": {
                "cpu_model": "cpu",
                "cores": 2,
                "memory_gib": 1,
                "os": "os",
                "load_average_at_start": [0, 0, 0],
                "python": "3.11",
            },
            "terraform": {"version": "1.0.3", "origin": "PATH", "path": "/t"},
            "settings": {
                "preset": "full",
                "sizes": [1000],
                "reps": 3,
                "handshake_launches": 30,
                "parallelism": 10,
            },
        },
        "subjects": {
            k: {"label": k, "source": k, "version": "1"}
            for k in ("ours", "ours-cold", "tf", "go-null")
        },
        "handshake": {
            "ours": one(ours_hs / 5),
            "ours-cold": one(ours_hs),
            "tf": one(tf_hs),
            "go-null": one(go_hs),
        },
        "scaling": {
            "ours": {"apply": {"1000": one(ours_apply)}},
            "go-null": {"apply": {"1000": one(go_apply)}},
        },
        "memory": {"ours": {"1000": {"apply": 80.0, "plan": 60.0, "destroy": 120.0}}},
        "fork_server": {"ours": {"rss_mb": 52.0, "launches": 9, "threads": 1}},
    }


def test_targets_compare_the_measured_ratios() -> None:
    results = _results(ours_hs=0.1, tf_hs=0.2, ours_apply=3.0, go_apply=1.0)
    rows = {r["target"]: r for r in targets.evaluate(results, 1000)}
    cold = rows["Cold launch → handshake, ours-cold / tf==1.2.0"]
    assert cold["measured"] == pytest.approx(0.5) and cold["met"] is True
    warm = rows["Warm launch → handshake, ours / Go null"]
    assert warm["measured"] == pytest.approx(0.02 / 0.03, abs=1e-3) and warm["met"] is True
    apply = rows["apply at N=1000, ours / Go null_resource"]
    assert apply["measured"] == pytest.approx(3.0) and apply["met"] is False
    assert apply["limit"] == 1.5
    assert rows["plan at N=1000, ours / Go null_resource"]["met"] is None  # not measured
    assert rows["Fork server resident memory"]["met"] is True
    memory = rows["Peak provider memory at N=1000 (apply/plan/destroy)"]
    assert memory["measured"] == 120.0 and memory["met"] is False

    results["targets"] = list(rows.values())
    text = report.render_markdown(results)
    assert "| apply at N=1000, ours / Go null_resource | ≤ 1.5x | 3x | **missed**" in text
    assert "3.00x" in text  # the ours / Go column of the apply table
    assert "| ours | 52.0 MB | 9 | 1 |" in text  # the fork server's own table


def test_each_size_has_its_own_limit() -> None:
    results = _results(ours_hs=0.1, tf_hs=0.2, ours_apply=3.0, go_apply=1.0)
    results["meta"]["settings"]["sizes"] = [10, 100, 1000, 7]
    rows = {r["target"]: r for r in targets.evaluate(results, 1000)}
    assert rows["destroy at N=10, ours / Go null_resource"]["limit"] == 1.0
    assert rows["plan at N=100, ours / Go null_resource"]["limit"] == 1.3
    assert rows["apply at N=1000, ours / Go null_resource"]["limit"] == 1.5
    assert not [t for t in rows if "N=7," in t]  # no target for a size the issue does not name


@pytest.mark.e2e
def test_smoke_run_writes_results(tmp_path: Path) -> None:
    """`python -m bench --smoke`: real Terraform, the sandbox and our provider, N=2."""
    out, work = tmp_path / "out", tmp_path / "work"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--smoke",
            "--out",
            str(out),
            "--work",
            str(work),
            "--no-plots",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    results = json.loads((out / "latest.json").read_text())
    assert not results.get("errors")
    hs = results["handshake"]["ours"]
    assert hs["n"] == 2 and 0 < hs["min"] <= hs["median"] <= hs["max"] < 30
    for op in ("apply", "plan", "destroy"):
        assert results["scaling"]["ours"][op]["2"]["median"] > 0
    assert results["launches"]["ours"]["apply"] >= 2  # Terraform relaunches per phase
    assert 10 < results["memory"]["ours"]["2"]["apply"] < 1000  # MB, a real process
    latency = results["latency"]["by_parallelism"]
    assert set(latency) == {"1", "10"}
    # Four creates at 10 ms each cannot finish faster than 40 ms in series.
    assert latency["1"]["median"] > 0.04
    assert "## Targets" in (out / "latest.md").read_text()
