"""An identity endpoint that refuses connections or does not resolve fails the plan at once.

Issue 12, fault 6: no retry can fix a closed port or a host name that does not exist, so the
provider does not wait; the diagnostic names the URL and the real error, counts the attempts,
and gives the `request_timeout` hint only for timeouts.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest

from tests.support.acceptance import CaseResult, Step, StepContext
from tests.support.sandbox import Sandbox
from tests.support.terraform import TerraformBinary, binary_params

pytestmark = pytest.mark.e2e

CONFIG = """
data "rackspace_ports" "any" {
  network_id = "00000000-0000-0000-0000-000000000000"
}
"""
# Before the fix the provider retried for 11-12 s; Terraform itself needs a few seconds here.
FAST_ENOUGH = 8.0


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def said(*fragments: str, absent: tuple[str, ...] = ()) -> Callable[[StepContext], None]:
    def check(ctx: StepContext) -> None:
        out = ctx.output()
        for fragment in fragments:
            assert fragment in out, out
        for fragment in absent:
            assert fragment not in out, out
        assert not ctx.requests(), "nothing reached the sandbox"

    return check


@pytest.mark.parametrize("binary", binary_params())
@pytest.mark.parametrize("where", ["refused", "dns"])
def test_unreachable_identity_fails_fast_and_says_why(
    binary: TerraformBinary, where: str, sandbox: Sandbox, case: Callable[..., CaseResult]
) -> None:
    if where == "refused":
        url = f"http://127.0.0.1:{closed_port()}/v2.0/"
        words = (f"connection refused by 127.0.0.1:{url.split(':')[2].split('/')[0]}",)
    else:
        url = "http://identity.no-such-host.invalid/v2.0/"
        words = ("could not resolve the host name identity.no-such-host.invalid",)
    result = case(
        binary,
        [
            Step(
                config=CONFIG,
                plan_only=True,
                env={"RACKSPACE_AUTH_URL": url},
                expect_error="Could not authenticate with the Rackspace identity service",
                check=said(
                    *words,
                    f"from POST {url}tokens",
                    "(1 attempt over",
                    "Retrying would not help",
                    absent=("request_timeout",),
                ),
            )
        ],
        sandbox=sandbox,
    )
    [(_, took)] = [t for t in result.timings if t[0].startswith("plan")]
    assert took < FAST_ENOUGH, f"terraform plan took {took:.1f} s"
