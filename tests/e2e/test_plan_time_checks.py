"""A misspelled server, port or network fails `terraform plan`, at the attribute.

Issue 12, fault 8: when the referenced objects are known at plan time, PlanResourceChange checks
that they exist, at most one lookup per object per provider process. Terraform before 1.3 plans
the configuration before a destroy, where such an error would block the destroy, so there the
provider leaves the check to the apply (see `test_bad_input`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from tests.support.acceptance import CaseResult, Step, StepContext
from tests.support.sandbox import Sandbox
from tests.support.terraform import TerraformBinary, binary_params

from .world import PUBLICNET, WEB

pytestmark = pytest.mark.e2e

MISSPELLED = WEB[0][:-1] + "9"  # a typo of web-1's id: still a UUID, only a lookup can tell


def config(servers: list[str], ips: int = 3) -> str:
    """`ips` shared IPs over the same servers, with an association per server and IP."""
    names = ", ".join(f'"{s}"' for s in servers)
    return f"""
locals {{
  servers = [{names}]
  pairs   = {{ for p in setproduct(range({ips}), local.servers) : "${{p[0]}}-${{p[1]}}" => p }}
}}

resource "rackspace_ip_address" "vip" {{
  count      = {ips}
  network_id = "{PUBLICNET}"
  server_ids = local.servers
}}

resource "rackspace_server_ip_association" "member" {{
  for_each      = local.pairs
  server_id     = each.value[1]
  ip_address_id = rackspace_ip_address.vip[each.value[0]].id
}}
"""


def caught_by_the_plan(ctx: StepContext) -> None:
    out = ctx.output()
    assert re.search(
        r"Error: Server not found with rackspace_ip_address\.vip\[0\], .*?server_ids = "
        rf".*?Not found in `server_ids`: server {MISSPELLED}: no such server in this account",
        out,
    ), out
    assert not ctx.writes(), ctx.writes()
    gets = [(r["method"], r["path"].split("/v2")[-1]) for r in ctx.requests()]
    # One provider process planned 3 IPs and 6 associations: each object looked up once.
    network = [g for g in gets if g[1] == f".0/networks/{PUBLICNET}"]
    server = [g for g in gets if g[1].endswith(f"/servers/{MISSPELLED}")]
    assert len(network) == 1, gets
    assert len(server) == 1, gets


def looked_up_once_each(ctx: StepContext) -> None:
    """A good configuration plans and applies; each plan process looked each object up once
    (the plan walk and the apply walk are two processes)."""
    requests = ctx.requests()
    network = [r for r in requests if r["path"].endswith(f"/networks/{PUBLICNET}")]
    port_lists = [r for r in requests if r["path"].endswith("/ports")]
    assert len(network) <= 2, [r["path"] for r in requests]
    assert len(port_lists) <= 2 + 3, [r["path"] for r in requests]  # + create-time lookups


@pytest.mark.parametrize("binary", binary_params())
def test_misspelled_server_fails_the_plan_with_one_lookup_per_object(
    binary: TerraformBinary, sandbox: Sandbox, case: Callable[..., CaseResult]
) -> None:
    if binary.version_tuple < (1, 3):
        pytest.skip("before Terraform 1.3 a plan-time error would also block `destroy`")
    case(
        binary,
        [
            Step(
                config=config([MISSPELLED, WEB[1]]),
                plan_only=True,
                expect_error="Server not found",
                check=caught_by_the_plan,
            ),
            Step(config=config([WEB[0], WEB[1]]), check=looked_up_once_each),
        ],
        sandbox=sandbox,
    )
