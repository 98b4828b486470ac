"""A 404 names what is missing: which servers, which ports, which half of an association.

Issue 12, fault 7: the API answers a create naming several servers with one 404 for all; the
diagnostic names each server (or port) that was not found and why, and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.acceptance import CaseResult, Step, StepContext
from tests.support.sandbox import Sandbox
from tests.support.terraform import TerraformBinary, binary_params

from .world import DB_1, FOREIGN_SERVER, ISOLATED_NET, PUBLICNET, UNKNOWN_SERVER, WEB

pytestmark = pytest.mark.e2e

BY_SERVERS = f"""
resource "rackspace_ip_address" "shared" {{
  network_id = "{ISOLATED_NET}"
  server_ids = ["{WEB[0]}", "{WEB[1]}", "{DB_1}", "{UNKNOWN_SERVER}", "{FOREIGN_SERVER}"]
}}
"""

GHOST_PORT = "d0000000-0000-4000-8000-0000000000aa"
BY_PORTS = f"""
data "rackspace_ports" "web" {{
  server_id  = "{WEB[0]}"
  network_id = "{PUBLICNET}"
}}

resource "rackspace_ip_address" "shared" {{
  network_id = "{PUBLICNET}"
  port_ids   = concat(data.rackspace_ports.web.ids, ["{GHOST_PORT}"])
}}
"""

UNPROVISIONED = f"""
resource "rackspace_ip_address" "shared" {{
  network_id = "{PUBLICNET}"
  server_ids = ["{WEB[0]}", "{WEB[1]}"]
}}

resource "rackspace_server_ip_association" "web3" {{
  server_id     = "{WEB[2]}"
  ip_address_id = rackspace_ip_address.shared.id
}}
"""


def names(*present: str, absent: tuple[str, ...] = ()) -> Callable[[StepContext], None]:
    def check(ctx: StepContext) -> None:
        out = ctx.output()
        for text in present:
            assert text in out, out
        for text in absent:
            assert text not in out, out
        assert not ctx.shared_ips() or "web3" in out

    return check


@pytest.mark.parametrize("binary", binary_params())
def test_missing_servers_ports_and_association_halves_are_named(
    binary: TerraformBinary, sandbox: Sandbox, case: Callable[..., CaseResult]
) -> None:
    case(
        binary,
        [
            Step(
                config=BY_SERVERS,
                # by the plan on Terraform >= 1.3 (fault 8), else by the apply's refused POST
                expect_error="Failed to create shared IP|Servers not found",
                check=names(
                    f"server {DB_1}: has no port on network {ISOLATED_NET}",
                    f"server {UNKNOWN_SERVER}: no such server in this account and region",
                    # another tenant's server is not this account's: the same words
                    f"server {FOREIGN_SERVER}: no such server in this account and region",
                    absent=(f"server {WEB[0]}:", f"server {WEB[1]}:"),
                ),
            ),
            Step(
                config=BY_PORTS,
                expect_error="Failed to create shared IP|Port not found",
                check=names(f"port {GHOST_PORT}: no such port in this account and region"),
            ),
            Step(
                config=UNPROVISIONED,
                expect_error="Failed to associate shared IP",
                check=names(f"is not provisioned on any port of server {WEB[2]}", "web3"),
            ),
        ],
        sandbox=sandbox,
    )
