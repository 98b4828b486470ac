"""`TF_LOG=trace` of a full apply and destroy holds no API key, password or token.

The first apply logs in with a password from a sensitive variable in the provider block, the
rest with an API key the same way, so both secrets pass through the provider; the tokens the
sandbox issued are read from its own database afterwards.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.acceptance import CaseResult, Step
from tests.support.sandbox import Sandbox
from tests.support.terraform import TerraformBinary, binary_params

from .world import API_KEY, PASSWORD, PUBLICNET, WEB, shared_ip_config

pytestmark = pytest.mark.e2e

RESOURCES = shared_ip_config(WEB[:2], PUBLICNET)


def provider_block(argument: str) -> str:
    """The provider configured from a sensitive variable (`api_key` or `password`)."""
    return f"""
variable "{argument}" {{
  type      = string
  sensitive = true
}}

provider "rackspace" {{
  {argument} = var.{argument}
}}
"""


def issued_tokens(sandbox: Sandbox) -> dict[str, str]:
    """Every token the sandbox handed out -> how its user logged in, from its database."""
    with sqlite3.connect(f"file:{sandbox.db}?mode=ro", uri=True) as db:
        return dict(db.execute("SELECT id, method FROM tokens").fetchall())


@pytest.mark.parametrize("binary", binary_params())
def test_trace_log_holds_no_secret(
    binary: TerraformBinary,
    sandbox: Sandbox,
    case: Callable[..., CaseResult],
    tmp_path: Path,
) -> None:
    """Apply with a password, re-plan and destroy with an API key, all at TF_LOG=trace."""
    log = tmp_path / "terraform-trace.log"
    env = {**sandbox.env(), "TF_VAR_api_key": API_KEY, "TF_VAR_password": PASSWORD}
    del env["RACKSPACE_API_KEY"]
    result = case(
        binary,
        [
            Step(config=provider_block("password") + RESOURCES),
            Step(config=provider_block("api_key") + RESOURCES),
        ],
        sandbox=sandbox,
        env=env,
        log_path=log,
    )
    text = log.read_text(errors="replace")
    tokens = issued_tokens(sandbox)
    logins = [r for r in sandbox.requests() if r["path"] == "/v2.0/tokens"]
    assert len(tokens) == len(logins), (tokens, logins)
    # Both secrets really went through the provider.
    assert set(tokens.values()) == {"PASSWORD", "APIKEY"}, tokens

    # The log is the real thing: trace lines from Terraform and from the provider's calls.
    assert len(text) > 100_000 and "[TRACE]" in text
    assert "/v2.0/tokens" in text and "/ip_associations/" in text, "provider logs are missing"

    for secret, what in [(API_KEY, "API key"), (PASSWORD, "password")] + [
        (t, "token") for t in tokens
    ]:
        assert secret not in text, f"the {what} is in the TF_LOG=trace output"
        for command in result.commands:
            assert secret not in command.stdout + command.stderr, f"the {what} was printed"
        assert secret not in (result.runner.workdir / "terraform.tfstate").read_text()
