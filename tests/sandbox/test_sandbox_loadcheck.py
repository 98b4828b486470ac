"""The load check runs end to end and every answer it got was the expected 201/204."""

from __future__ import annotations

from sandbox.loadcheck import run


def test_loadcheck_short_run() -> None:
    result = run(clients=3, seconds=1.0)
    assert result["errors"] == 0, result["error_samples"]
    assert result["requests"] >= 20
    assert result["requests_per_second"] > 10
    assert 0 < result["p50_ms"] <= result["p99_ms"]
