"""`TF_LOG=trace` logs of a full apply and destroy hold no API key, password or token.

The apply logs in with the API key and the destroy with the password (both from the
environment, as CI would), with the provider's own log at trace level too. Every token the
sandbox issued is read from its database afterwards and looked for in the logs and the state.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.reliability import figures
from tests.reliability.harness import API_KEY, PASSWORD, Layout, assert_converged, runner_for

LAYOUT = Layout(ips=2, per_ip=3)


def _tokens(db: str) -> list[tuple[str, str]]:
    """(token id, login method) of every token the sandbox issued."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return [(row[0], str(row[1])) for row in conn.execute("SELECT id, method FROM tokens")]


@pytest.mark.e2e
def test_trace_logs_and_state_hold_no_secret(
    tmp_path: Path, plugin_dir: Path, make_sandbox: Any
) -> None:
    sandbox = make_sandbox(LAYOUT.servers)
    log_path = tmp_path / "terraform-trace.log"
    runner = runner_for(
        tmp_path, plugin_dir, sandbox, log_path=log_path, env={"TF_LOG_PROVIDER": "trace"}
    )
    env = runner.env
    assert env["RACKSPACE_API_KEY"] == API_KEY
    runner.write("main.tf", LAYOUT.config())
    runner.init().check()
    applied = runner.apply()
    applied.check()
    assert_converged(runner, sandbox, LAYOUT)
    state_text = (runner.workdir / "terraform.tfstate").read_text()

    by_password = {k: v for k, v in env.items() if k != "RACKSPACE_API_KEY"}
    by_password["RACKSPACE_PASSWORD"] = PASSWORD
    runner.env = by_password
    destroyed = runner.destroy()
    destroyed.check()

    log = runner.log_text()
    issued = _tokens(sandbox.db)
    tokens = [token for token, _ in issued]
    methods = {method for _, method in issued}
    assert len(methods) == 2, f"both login methods must have been used: {methods}"
    # The log must really be a trace log with the provider's lines in it.
    assert "[TRACE]" in log and "rackspace" in log and len(log) > 50_000
    texts = {
        "trace log": log,
        "state": state_text,
        "apply output": applied.stdout + applied.stderr,
        "destroy output": destroyed.stdout + destroyed.stderr,
    }
    secrets = {"api key": API_KEY, "password": PASSWORD} | {
        f"token {i}": t for i, t in enumerate(tokens)
    }
    leaks = [
        f"{what} in {where}"
        for where, text in texts.items()
        for what, secret in secrets.items()
        if secret in text
    ]
    assert leaks == []
    figures.record(
        "secrets scan: trace log bytes / tokens looked for", f"{len(log)} / {len(tokens)}"
    )
