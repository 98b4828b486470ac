"""The mission: a shared IP on two servers' ports with both associations, imported, destroyed.

Runs on every Terraform binary at protocol 6 and protocol 5. Destroy must send both
association DELETEs before the IP's DELETE and leave nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.acceptance import (
    CaseResult,
    Step,
    StepContext,
    supports_import_block,
)
from tests.support.sandbox import Sandbox
from tests.support.terraform import TerraformBinary, binary_params, protocol_params

from .world import PUBLICNET, TENANT, WEB

pytestmark = pytest.mark.e2e

WEB_1, WEB_2 = WEB[0], WEB[1]

CONFIG = f"""
data "rackspace_ports" "web1" {{
  server_id  = "{WEB_1}"
  network_id = "{PUBLICNET}"
}}

data "rackspace_ports" "web2" {{
  server_id  = "{WEB_2}"
  network_id = "{PUBLICNET}"
}}

resource "rackspace_ip_address" "shared" {{
  network_id = "{PUBLICNET}"
  port_ids   = concat(data.rackspace_ports.web1.ids, data.rackspace_ports.web2.ids)
}}

resource "rackspace_server_ip_association" "web1" {{
  server_id     = "{WEB_1}"
  ip_address_id = rackspace_ip_address.shared.id
}}

resource "rackspace_server_ip_association" "web2" {{
  server_id     = "{WEB_2}"
  ip_address_id = rackspace_ip_address.shared.id
}}

output "address" {{
  value = rackspace_ip_address.shared.address
}}
"""


def check_created(ctx: StepContext) -> None:
    """Terraform's state and the sandbox's own data describe the same shared IP."""
    web1_ports, web2_ports = ctx.ports_of(WEB_1), ctx.ports_of(WEB_2)
    assert len(web1_ports) == 1 and len(web2_ports) == 1
    assert ctx.data("rackspace_ports.web1")["ids"] == web1_ports
    assert ctx.data("rackspace_ports.web2")["ids"] == web2_ports

    ip = ctx.resource("rackspace_ip_address.shared")
    [held] = ctx.shared_ips()
    assert ip["id"] == held["id"]
    assert ip["address"] == held["address"] == ctx.outputs()["address"]
    assert (ip["network_id"], ip["version"], ip["type"]) == (PUBLICNET, 4, "shared")
    assert held["type"] == "shared" and held["network_id"] == PUBLICNET
    assert ip["tenant_id"] == TENANT
    assert ip["server_ids"] is None
    assert sorted(ip["port_ids"]) == sorted(web1_ports + web2_ports)
    assert sorted(p["port_id"] for p in held["pairs"]) == sorted(ip["port_ids"])

    for name, server in (("web1", WEB_1), ("web2", WEB_2)):
        association = ctx.resource(f"rackspace_server_ip_association.{name}")
        assert association["id"] == f"{server}/{ip['id']}"
        assert association["server_id"] == server
        assert association["ip_address_id"] == ip["id"]
        assert association["address"] == ip["address"]
    assert ctx.associations() == {(WEB_1, ip["id"]), (WEB_2, ip["id"])}

    # One IP allocated and two associations made; nothing else written.
    writes = [(r["method"], r["path"].rsplit("/", 1)[-1], r["status"]) for r in ctx.writes()]
    assert sorted(writes) == sorted(
        [("POST", "ip_addresses", 201), ("PUT", ip["id"], 201), ("PUT", ip["id"], 201)]
    ), writes


def check_destroy_order(ctx: StepContext) -> None:
    """Every association DELETE was answered before the IP's DELETE was sent."""
    deletes = [r for r in ctx.requests() if r["method"] == "DELETE"]
    disassociations = [r for r in deletes if "/ip_associations/" in r["path"]]
    deallocations = [r for r in deletes if "/ip_addresses/" in r["path"]]
    assert len(disassociations) == 2 and len(deallocations) == 1, deletes
    assert all(r["status"] == 204 for r in deletes), deletes
    ip_id = deallocations[0]["path"].rsplit("/", 1)[1]
    assert {r["path"].rsplit("/", 1)[1] for r in disassociations} == {ip_id}
    assert {r["path"].split("/servers/")[2].split("/")[0] for r in disassociations} == {
        WEB_1,
        WEB_2,
    }
    assert max(r["seq"] for r in disassociations) < deallocations[0]["seq"], deletes


def association_id(name: str, server: str) -> Callable[[StepContext], str]:
    """The documented import id `<server_id>/<ip_address_id>`, from the IP in state."""
    return lambda ctx: f"{server}/{ctx.resource('rackspace_ip_address.shared')['id']}"


def lifecycle_steps(binary: TerraformBinary) -> list[Step]:
    """Create, then import each resource type with the CLI (and an import block when possible).

    The association imported with the CLI replaces the applied one in the case's state, so the
    destroy order is also shown for state that came from an import.
    """
    steps = [
        Step(config=CONFIG, check=check_created),
        Step(import_address="rackspace_ip_address.shared", import_verify=True),
        # Into the case's own state: the destroy then starts from an imported association.
        Step(
            import_address="rackspace_server_ip_association.web1",
            import_id=association_id("web1", WEB_1),
            import_verify=True,
            import_persist=True,
        ),
    ]
    if supports_import_block(binary):
        steps += [
            Step(
                import_address="rackspace_ip_address.shared",
                import_block=True,
                import_verify=True,
            ),
            Step(
                import_address="rackspace_server_ip_association.web2",
                import_id=association_id("web2", WEB_2),
                import_block=True,
                import_verify=True,
            ),
        ]
    return steps


@pytest.mark.parametrize("protocol", protocol_params())
@pytest.mark.parametrize("binary", binary_params())
def test_shared_ip_with_two_associations(
    binary: TerraformBinary,
    protocol: str,
    sandbox: Sandbox,
    case: Callable[..., CaseResult],
    tmp_path: Path,
) -> None:
    """Create from two servers' ports, import both types, destroy in the right order."""
    log = tmp_path / "terraform.log"
    result = case(
        binary,
        lifecycle_steps(binary),
        sandbox=sandbox,
        protocol=protocol,
        check_destroy=check_destroy_order,
        log_path=log,
    )
    assert result.destroy is not None and "Destroy complete! Resources: 3 destroyed." in (
        result.destroy.stdout
    )
    # The provider was really served on the protocol asked for.
    assert f"using plugin: version={protocol}" in log.read_text(errors="replace")
