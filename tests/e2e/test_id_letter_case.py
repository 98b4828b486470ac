"""Ids in any letter case: one rule everywhere (issue 12 fault 3, case datasource-uppercase-ids).

Every id attribute is typed `UUID` (case-insensitive, prior spelling kept), and the API client
spells ids in one place. So upper-case ids work in every resource attribute and every data
source filter, the plan after apply is empty, a later change of only letter case makes no
diff, import takes upper-case ids, and destroy succeeds with such lookups in the config.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.acceptance import CaseResult, Step, StepContext
from tests.support.sandbox import Sandbox
from tests.support.terraform import TerraformBinary, terraform_binaries

from .world import PUBLICNET, WEB

pytestmark = pytest.mark.e2e


def config(spell: Callable[[str], str], lookup: str) -> str:
    """Both resources and all four data sources, ids spelled by `spell`; `lookup` is the HCL
    function (`upper`/`lower`) applied to the IP id in references."""
    s1, s2 = spell(WEB[0]), spell(WEB[1])
    return f"""
resource "rackspace_ip_address" "shared" {{
  network_id = "{PUBLICNET}"
  server_ids = ["{s1}", "{s2}"]
}}

resource "rackspace_server_ip_association" "web1" {{
  server_id     = "{s1}"
  ip_address_id = {lookup}(rackspace_ip_address.shared.id)
}}

data "rackspace_ports" "web1" {{
  server_id  = "{s1}"
  network_id = "{PUBLICNET}"
}}

data "rackspace_ip_addresses" "web1" {{
  server_id  = "{s1}"
  network_id = "{PUBLICNET}"
  type       = "shared"
  depends_on = [rackspace_ip_address.shared]
}}

data "rackspace_server_ip_associations" "web1" {{
  server_id  = "{s1}"
  depends_on = [rackspace_server_ip_association.web1]
}}

data "rackspace_ip_address" "shared" {{
  id = {lookup}(rackspace_ip_address.shared.id)
}}
"""


def everything_found(ctx: StepContext) -> None:
    ip = ctx.resource("rackspace_ip_address.shared")
    data = ctx.resources("data")
    assert data["data.rackspace_ports.web1"]["ids"], "a filter must not miss because of case"
    assert data["data.rackspace_ip_addresses.web1"]["ids"] == [ip["id"]]
    associated = data["data.rackspace_server_ip_associations.web1"]["ip_associations"]
    assert [a["id"].lower() for a in associated] == [ip["id"].lower()]
    assert data["data.rackspace_ip_address.shared"]["address"] == ip["address"]
    assert sorted(ip["server_ids"]) == sorted(s.upper() for s in WEB[:2]), "spelling kept"
    assert [i["id"] for i in ctx.shared_ips()] == [ip["id"]]


def nothing_written(ctx: StepContext) -> None:
    assert ctx.writes() == [], ctx.writes()
    # The first spelling stays in state: only letter case changed in the configuration.
    assert ctx.resource("rackspace_server_ip_association.web1")["server_id"] == WEB[0].upper()


@pytest.mark.parametrize(
    "binary", [pytest.param(b, id=f"tf{b.version}") for b in terraform_binaries()]
)
def test_ids_in_any_letter_case(
    binary: TerraformBinary, sandbox: Sandbox, case: Callable[..., CaseResult]
) -> None:
    result = case(
        binary,
        [
            # Upper case everywhere; the plan after apply must be empty (checked by the case).
            Step(config=config(str.upper, "upper"), check=everything_found),
            # Only the letter case changes: no diff, no API write.
            Step(config=config(str.lower, "lower"), check=nothing_written),
            # Import with upper-case ids.
            Step(
                import_address="rackspace_ip_address.shared",
                import_id=lambda ctx: ctx.resource("rackspace_ip_address.shared")["id"].upper(),
            ),
            Step(
                import_address="rackspace_server_ip_association.web1",
                import_id=lambda ctx: (
                    f"{WEB[0].upper()}/" + ctx.resource("rackspace_ip_address.shared")["id"].upper()
                ),
            ),
        ],
        sandbox=sandbox,
    )
    # Destroy (with the lookups still in the configuration) succeeded and left nothing.
    assert result.destroy is not None and result.destroy.returncode == 0
