"""The acceptance harness itself: it fails when it should, and cleans up when a step fails.

Run on the first Terraform binary only: this is about the harness, not about Terraform.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.acceptance import CaseResult, Step, StepContext, check_nothing_left
from tests.support.sandbox import Sandbox
from tests.support.terraform import TerraformBinary, terraform_binaries

from .world import PUBLICNET, WEB, shared_ip_config

pytestmark = pytest.mark.e2e

CONFIG = shared_ip_config(WEB[:2], PUBLICNET)


def disassociate_web2(ctx: StepContext) -> None:
    ip_id = ctx.resource("rackspace_ip_address.shared")["id"]
    status, _ = ctx.api("DELETE", "servers", f"/servers/{WEB[1]}/ip_associations/{ip_id}")
    assert status == 204


@pytest.fixture
def binary() -> TerraformBinary:
    binaries = terraform_binaries()
    if not binaries:
        pytest.skip("no real Terraform binary")
    return binaries[0]


def test_a_failing_step_fails_the_case_and_everything_is_destroyed(
    binary: TerraformBinary, sandbox: Sandbox, case: Callable[..., CaseResult]
) -> None:
    """Drift behind Terraform's back makes the plan non-empty: a step expecting an empty plan
    must fail, a wrong `expect_error` must fail, and the sandbox is emptied either way."""
    with pytest.raises(AssertionError, match="expected an empty plan"):
        case(
            binary,
            [Step(config=CONFIG), Step(pre=disassociate_web2, plan_only=True)],
            sandbox=sandbox,
        )
    assert check_nothing_left(sandbox) == {}

    with pytest.raises(AssertionError, match="expected an error, the command succeeded"):
        case(binary, [Step(config=CONFIG, expect_error="Error")], sandbox=sandbox)
    assert check_nothing_left(sandbox) == {}
