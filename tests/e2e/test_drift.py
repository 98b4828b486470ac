"""Changes made behind Terraform's back are seen by the next plan and repaired by the apply."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.acceptance import CaseResult, Step, StepContext
from tests.support.sandbox import Sandbox
from tests.support.terraform import TerraformBinary, binary_params

from .world import PUBLICNET, WEB, shared_ip_config

pytestmark = pytest.mark.e2e

SERVERS = WEB[:2]
CONFIG = shared_ip_config(SERVERS, PUBLICNET)


class Seen:
    """The IP id each step found."""

    def __init__(self) -> None:
        self.ids: list[str] = []


def check_whole(seen: Seen) -> Callable[[StepContext], None]:
    """The sandbox holds the IP in state, on both servers' ports, associated with both."""

    def check(ctx: StepContext) -> None:
        ip = ctx.resource("rackspace_ip_address.shared")
        [held] = ctx.shared_ips()
        assert held["id"] == ip["id"]
        assert sorted(p["port_id"] for p in held["pairs"]) == sorted(ip["port_ids"])
        assert ctx.associations() == {(s, ip["id"]) for s in SERVERS}
        seen.ids.append(ip["id"])

    return check


def disassociate(server: str) -> Callable[[StepContext], None]:
    """DELETE one association through the Servers API."""

    def pre(ctx: StepContext) -> None:
        ip_id = ctx.resource("rackspace_ip_address.shared")["id"]
        status, _ = ctx.api("DELETE", "servers", f"/servers/{server}/ip_associations/{ip_id}")
        assert status == 204
        assert (server, ip_id) not in ctx.associations()

    return pre


def delete_ip(ctx: StepContext) -> None:
    """Remove every association and then the IP, the way the API requires."""
    ip_id = ctx.resource("rackspace_ip_address.shared")["id"]
    for server in SERVERS:
        status, _ = ctx.api("DELETE", "servers", f"/servers/{server}/ip_associations/{ip_id}")
        assert status == 204
    status, _ = ctx.api("DELETE", "networks", f"/ip_addresses/{ip_id}")
    assert status == 204
    assert not ctx.shared_ips() and not ctx.associations()


def check_plan_recreates_association(ctx: StepContext) -> None:
    address = f'rackspace_server_ip_association.web["{WEB[1]}"]'
    assert f"{address} will be created" in ctx.output()
    assert "Plan: 1 to add, 0 to change, 0 to destroy." in ctx.output()
    assert not ctx.writes(), "a plan must not write anything"


def check_association_recreated(seen: Seen) -> Callable[[StepContext], None]:
    inner = check_whole(seen)

    def check(ctx: StepContext) -> None:
        inner(ctx)
        assert seen.ids[-1] == seen.ids[0], "the IP itself was not touched"
        assert [(r["method"], r["status"]) for r in ctx.writes()] == [("PUT", 201)]
        assert f"/servers/{WEB[1]}/ip_associations/" in ctx.writes()[0]["path"]

    return check


def check_ip_recreated(seen: Seen) -> Callable[[StepContext], None]:
    inner = check_whole(seen)

    def check(ctx: StepContext) -> None:
        inner(ctx)
        assert seen.ids[-1] != seen.ids[0], "a new IP was allocated"
        writes = [(r["method"], r["status"]) for r in ctx.writes()]
        assert writes == [("POST", 201), ("PUT", 201), ("PUT", 201)], ctx.writes()

    return check


@pytest.mark.parametrize("binary", binary_params())
def test_drift_is_repaired(
    binary: TerraformBinary, sandbox: Sandbox, case: Callable[..., CaseResult]
) -> None:
    """A lost association comes back; a lost IP comes back with its associations."""
    seen = Seen()
    case(
        binary,
        [
            Step(config=CONFIG, check=check_whole(seen)),
            Step(
                pre=disassociate(WEB[1]),
                plan_only=True,
                expect_non_empty_plan=True,
                check=check_plan_recreates_association,
            ),
            Step(check=check_association_recreated(seen)),
            Step(pre=delete_ip, check=check_ip_recreated(seen)),
        ],
        sandbox=sandbox,
    )
