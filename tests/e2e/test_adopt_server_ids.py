"""An IP in state without `server_ids` (imported, or managed by `port_ids`) adopts them in place.

`server_ids` forces replacement once set, but its first value for an IP already in state only
records the servers that hold it, after the provider checked them against the API; naming
other servers is a plan-time error pointing at `-replace`.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.acceptance import CaseResult, Step, StepContext
from tests.support.sandbox import Sandbox
from tests.support.terraform import TerraformBinary, terraform_binaries

from .world import PUBLICNET, WEB, shared_ip_config

pytestmark = pytest.mark.e2e


def by_servers_config(servers: list[str]) -> str:
    names = ", ".join(f'"{s}"' for s in servers)
    return f"""
locals {{
  servers = [{names}]
}}

resource "rackspace_ip_address" "shared" {{
  network_id = "{PUBLICNET}"
  server_ids = local.servers
}}

resource "rackspace_server_ip_association" "web" {{
  for_each      = toset(local.servers)
  server_id     = each.key
  ip_address_id = rackspace_ip_address.shared.id
}}
"""


class Seen:
    """The IP id of the first step."""

    ip_id = ""


def remember(seen: Seen) -> Callable[[StepContext], None]:
    def check(ctx: StepContext) -> None:
        seen.ip_id = ctx.resource("rackspace_ip_address.shared")["id"]

    return check


def adopted(seen: Seen) -> Callable[[StepContext], None]:
    def check(ctx: StepContext) -> None:
        ip = ctx.resource("rackspace_ip_address.shared")
        assert ip["id"] == seen.ip_id, "adopting server_ids must not replace the IP"
        assert sorted(ip["server_ids"]) == sorted(WEB[:2])
        assert ctx.writes() == [], ctx.writes()  # recorded in state only, no API change
        assert [i["id"] for i in ctx.shared_ips()] == [seen.ip_id]

    return check


def unchanged(seen: Seen) -> Callable[[StepContext], None]:
    def check(ctx: StepContext) -> None:
        assert ctx.writes() == [], ctx.writes()
        assert [i["id"] for i in ctx.shared_ips()] == [seen.ip_id]

    return check


def replaced(seen: Seen) -> Callable[[StepContext], None]:
    def check(ctx: StepContext) -> None:
        ip = ctx.resource("rackspace_ip_address.shared")
        assert ip["id"] != seen.ip_id, "a change of server_ids once set replaces the IP"
        assert sorted(ip["server_ids"]) == sorted(WEB[1:3])
        assert [i["id"] for i in ctx.shared_ips()] == [ip["id"]]

    return check


@pytest.mark.parametrize(
    "binary", [pytest.param(b, id=f"tf{b.version}") for b in terraform_binaries()[-1:]]
)
def test_server_ids_adopted_in_place_then_changes_replace(
    binary: TerraformBinary, sandbox: Sandbox, case: Callable[..., CaseResult]
) -> None:
    seen = Seen()
    case(
        binary,
        [
            Step(config=shared_ip_config(WEB[:2], PUBLICNET), check=remember(seen)),
            Step(
                config=by_servers_config([WEB[0], WEB[2]]),
                expect_error=r"server_ids do not match the servers of this shared IP",
                check=unchanged(seen),
            ),
            Step(config=by_servers_config(WEB[:2]), check=adopted(seen)),
            Step(config=by_servers_config(WEB[1:3]), check=replaced(seen)),
        ],
        sandbox=sandbox,
    )
