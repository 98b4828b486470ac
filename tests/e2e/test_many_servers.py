"""`server_ids` instead of `port_ids`, and `count` / `for_each` over many servers.

A seed with six web servers in one public IP zone: one IP shared by two servers named with
`server_ids` (associations made with `count`), and one shared by all six through their ports
(found with a counted `rackspace_ports`, associations made with `for_each`). The pool is then
scaled in to four servers, which removes two associations and two ports in one apply.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.acceptance import CaseResult, Step, StepContext
from tests.support.sandbox import Sandbox
from tests.support.terraform import TerraformBinary, binary_params

from .world import PUBLICNET, many_web_servers, write_seed_with_web_servers

pytestmark = pytest.mark.e2e

SERVERS = 6
WEB = many_web_servers(SERVERS)


def config(pool: int) -> str:
    """Two IPs: `by_server` on web-1 and web-2, `pool` on web-1 .. web-`pool`."""
    web = ", ".join(f'"{s}"' for s in WEB[:pool])
    return f"""
locals {{
  pair = ["{WEB[0]}", "{WEB[1]}"]
  pool = [{web}]
}}

resource "rackspace_ip_address" "by_server" {{
  network_id = "{PUBLICNET}"
  server_ids = local.pair
}}

resource "rackspace_server_ip_association" "by_server" {{
  count         = length(local.pair)
  server_id     = local.pair[count.index]
  ip_address_id = rackspace_ip_address.by_server.id
}}

data "rackspace_ports" "pool" {{
  count      = length(local.pool)
  server_id  = local.pool[count.index]
  network_id = "{PUBLICNET}"
}}

resource "rackspace_ip_address" "pool" {{
  network_id = "{PUBLICNET}"
  port_ids   = flatten(data.rackspace_ports.pool[*].ids)
}}

resource "rackspace_server_ip_association" "pool" {{
  for_each      = toset(local.pool)
  server_id     = each.key
  ip_address_id = rackspace_ip_address.pool.id
}}
"""


def check_ips(pool: int) -> Callable[[StepContext], None]:
    def check(ctx: StepContext) -> None:
        by_server = ctx.resource("rackspace_ip_address.by_server")
        pooled = ctx.resource("rackspace_ip_address.pool")
        held = {ip["id"]: ip for ip in ctx.shared_ips()}
        assert set(held) == {by_server["id"], pooled["id"]}

        # server_ids: the provider reports the ports the API chose on those servers.
        assert sorted(by_server["server_ids"]) == sorted(WEB[:2])
        pair_ports = [p for s in WEB[:2] for p in ctx.ports_of(s)]
        assert sorted(by_server["port_ids"]) == sorted(pair_ports)
        assert sorted(p["port_id"] for p in held[by_server["id"]]["pairs"]) == sorted(pair_ports)

        pool_ports = [p for s in WEB[:pool] for p in ctx.ports_of(s)]
        assert len(pool_ports) == pool
        assert pooled["server_ids"] is None
        assert sorted(pooled["port_ids"]) == sorted(pool_ports)
        assert sorted(p["port_id"] for p in held[pooled["id"]]["pairs"]) == sorted(pool_ports)

        expected = {(s, by_server["id"]) for s in WEB[:2]} | {(s, pooled["id"]) for s in WEB[:pool]}
        assert ctx.associations() == expected
        for index, server in enumerate(WEB[:2]):
            association = ctx.resource(f"rackspace_server_ip_association.by_server[{index}]")
            assert association["id"] == f"{server}/{by_server['id']}"
        for server in WEB[:pool]:
            association = ctx.resource(f'rackspace_server_ip_association.pool["{server}"]')
            assert (association["ip_address_id"], association["address"]) == (
                pooled["id"],
                pooled["address"],
            )

    return check


def check_scaled_in(ctx: StepContext) -> None:
    """The pool IP kept its id (an in-place PUT) once web-5 and web-6 were disassociated."""
    check_ips(4)(ctx)
    writes = ctx.writes()
    pooled = ctx.resource("rackspace_ip_address.pool")["id"]
    removed = [r for r in writes if r["method"] == "DELETE" and "/ip_associations/" in r["path"]]
    updates = [r for r in writes if r["method"] == "PUT" and r["path"].endswith(f"/{pooled}")]
    assert {r["path"].split("/servers/")[2].split("/")[0] for r in removed} == set(WEB[4:6])
    assert len(updates) == 1 and updates[0]["status"] == 200, writes
    assert max(r["seq"] for r in removed) < updates[0]["seq"], writes
    assert not [r for r in writes if r["method"] == "POST"], writes


def check_destroy_order(ctx: StepContext) -> None:
    """For each IP, all of its association DELETEs come before its own DELETE."""
    deletes = [r for r in ctx.requests() if r["method"] == "DELETE"]
    ip_deletes = {r["path"].rsplit("/", 1)[1]: r for r in deletes if "/ip_addresses/" in r["path"]}
    assert len(ip_deletes) == 2, deletes
    counts = []
    for ip_id, ip_delete in ip_deletes.items():
        mine = [r for r in deletes if r["path"].endswith(f"/ip_associations/{ip_id}")]
        assert max(r["seq"] for r in mine) < ip_delete["seq"], deletes
        counts.append(len(mine))
    # by_server on two servers, pool on four; nothing else was deleted.
    assert sorted(counts) == [2, 4] and len(deletes) == 8, deletes


@pytest.mark.parametrize("binary", binary_params())
def test_server_ids_count_and_for_each(
    binary: TerraformBinary,
    start_sandbox: Callable[..., Sandbox],
    case: Callable[..., CaseResult],
    tmp_path: Path,
) -> None:
    """Two IPs over six servers, scaled in to four, destroyed in dependency order."""
    seed = write_seed_with_web_servers(tmp_path / "seed.yaml", SERVERS)
    sandbox = start_sandbox(seed)
    case(
        binary,
        [
            Step(config=config(SERVERS), check=check_ips(SERVERS)),
            Step(config=config(4), check=check_scaled_in),
        ],
        sandbox=sandbox,
        check_destroy=check_destroy_order,
    )
