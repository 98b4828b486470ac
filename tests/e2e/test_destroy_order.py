"""One destroy converges when the configuration does not order associations before their IP.

Issue 12, fault 5: a configuration written by `import` blocks with `-generate-config-out` holds
the IP id as a literal, so Terraform destroys the IP and its associations in parallel. The
IP's DELETE is then refused (`PortRequiresDisassociation`) while the association DELETEs are
in flight; the provider waits for them instead of failing.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.acceptance import CaseResult, Step, StepContext
from tests.support.sandbox import Sandbox
from tests.support.terraform import TerraformBinary, binary_params

from .world import PUBLICNET, WEB

pytestmark = pytest.mark.e2e

SERVERS = WEB[:4]
# Room for the 503s injected below: an association DELETE is retried until it gets through.
PROVIDER = """
provider "rackspace" {
  max_retries = 15
}
"""


def referencing_config() -> str:
    """The usual shape: associations reference the IP, so Terraform orders the destroy."""
    servers = ", ".join(f'"{s}"' for s in SERVERS)
    return f"""{PROVIDER}
resource "rackspace_ip_address" "shared" {{
  network_id = "{PUBLICNET}"
  server_ids = [{servers}]
}}

resource "rackspace_server_ip_association" "web" {{
  for_each      = toset([{servers}])
  server_id     = each.key
  ip_address_id = rackspace_ip_address.shared.id
}}
"""


def literal_config(ip_id: str) -> str:
    """What `-generate-config-out` writes: every id a literal, no reference to the IP."""
    servers = ", ".join(f'"{s}"' for s in SERVERS)
    return f"""{PROVIDER}
resource "rackspace_ip_address" "shared" {{
  network_id = "{PUBLICNET}"
  server_ids = [{servers}]
}}

resource "rackspace_server_ip_association" "web" {{
  for_each      = toset([{servers}])
  server_id     = each.key
  ip_address_id = "{ip_id}"
}}
"""


def to_literal(ctx: StepContext) -> None:
    """Rewrite the configuration with the IP id as a literal (the step applies no change), and
    slow association calls down so the IP's DELETE overtakes them at destroy time."""
    ip_id = ctx.resource("rackspace_ip_address.shared")["id"]
    ctx.runner.write("main.tf", literal_config(ip_id))


def slow_associations(ctx: StepContext) -> None:
    # Most association DELETEs are answered 503 at first and retried after a backoff, which
    # keeps them in flight well after the IP's DELETE arrives (all four succeeding at once,
    # before the IP's DELETE, has a chance of about 0.4 ** 4).
    ctx.sandbox.set_faults(
        fault_rate=0.6, fault_kinds=["503"], fault_path_contains="/ip_associations/"
    )


def destroyed_in_one_go(ctx: StepContext) -> None:
    """The one destroy removed everything; the IP's DELETE was refused while associations were
    still being removed, and sent again once they were gone."""
    deletes = [r for r in ctx.requests() if r["method"] == "DELETE"]
    ip_deletes = [r for r in deletes if "/ip_addresses/" in r["path"]]
    assert ip_deletes[-1]["status"] == 204, deletes
    refused = [r for r in ip_deletes if r["status"] == 400]
    assert refused, f"the IP's DELETE never overtook the associations: {deletes}"
    last_association = max(
        r["seq"] for r in deletes if "/ip_associations/" in r["path"] and r["status"] == 204
    )
    assert last_association < ip_deletes[-1]["seq"]


@pytest.mark.parametrize("binary", binary_params())
def test_destroy_with_literal_ip_id_converges(
    binary: TerraformBinary, sandbox: Sandbox, case: Callable[..., CaseResult]
) -> None:
    case(
        binary,
        [
            Step(config=referencing_config()),
            Step(pre=to_literal, check=slow_associations),
        ],
        sandbox=sandbox,
        check_destroy=destroyed_in_one_go,
    )
