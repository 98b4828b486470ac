"""`port_ids` changes in place; a new `network_id` replaces the IP and its associations."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.acceptance import CaseResult, Step, StepContext
from tests.support.sandbox import Sandbox
from tests.support.terraform import TerraformBinary, binary_params

from .world import ISOLATED_NET, PUBLICNET, WEB, shared_ip_config

pytestmark = pytest.mark.e2e


class History:
    """The IP ids seen by earlier steps."""

    def __init__(self) -> None:
        self.ids: list[str] = []


def check_ip(servers: list[str], network: str, history: History) -> Callable[[StepContext], None]:
    """State and sandbox agree: one shared IP on `network`, on these servers, all associated."""

    def check(ctx: StepContext) -> None:
        ip = ctx.resource("rackspace_ip_address.shared")
        [held] = ctx.shared_ips()
        ports = [p for s in servers for p in ctx.ports_of(s, network)]
        assert len(ports) == len(servers)
        assert (ip["id"], ip["address"]) == (held["id"], held["address"])
        assert ip["network_id"] == held["network_id"] == network
        assert sorted(ip["port_ids"]) == sorted(ports)
        assert sorted(p["port_id"] for p in held["pairs"]) == sorted(ports)
        assert ctx.associations() == {(s, ip["id"]) for s in servers}
        for server in servers:
            association = ctx.resource(f'rackspace_server_ip_association.web["{server}"]')
            assert association["id"] == f"{server}/{ip['id']}"
            assert association["address"] == ip["address"]
        history.ids.append(ip["id"])

    return check


def check_updated_in_place(history: History) -> Callable[[StepContext], None]:
    """Adding web-3 was one PUT of the same IP plus one new association."""
    inner = check_ip(WEB[:3], PUBLICNET, history)

    def check(ctx: StepContext) -> None:
        inner(ctx)
        before, after = history.ids[-2:]
        assert before == after, "adding a port must not replace the IP"
        writes = [(r["method"], r["path"], r["status"]) for r in ctx.writes()]
        assert writes == [
            ("PUT", f"/dfw/networks/v2.0/ip_addresses/{after}", 200),
            ("PUT", f"/dfw/servers/v2/123456/servers/{WEB[2]}/ip_associations/{after}", 201),
        ], writes

    return check


def check_replaced(history: History) -> Callable[[StepContext], None]:
    """Moving to the isolated network made a new IP; the old one went after its associations."""
    inner = check_ip(WEB[:3], ISOLATED_NET, history)

    def check(ctx: StepContext) -> None:
        inner(ctx)
        old, new = history.ids[-2:]
        assert old != new
        writes = ctx.writes()
        old_unassociations = [
            r for r in writes if r["method"] == "DELETE" and r["path"].endswith(f"/{old}")
        ]
        old_delete = [r for r in writes if r["path"].endswith(f"/ip_addresses/{old}")]
        create = [r for r in writes if r["method"] == "POST"]
        associations = [r for r in writes if r["method"] == "PUT"]
        assert len(old_unassociations) == 4 and len(old_delete) == 1, writes  # 3 + the IP
        assert len(create) == 1 and create[0]["status"] == 201, writes
        assert len(associations) == 3 and all(r["path"].endswith(f"/{new}") for r in associations)
        assert len(writes) == 8, writes
        last_unassociation = max(
            r["seq"] for r in old_unassociations if "/ip_associations/" in r["path"]
        )
        assert last_unassociation < old_delete[0]["seq"] < create[0]["seq"], writes
        assert create[0]["seq"] < min(r["seq"] for r in associations), writes

    return check


@pytest.mark.parametrize("binary", binary_params())
def test_port_ids_update_in_place_then_network_change_replaces(
    binary: TerraformBinary, sandbox: Sandbox, case: Callable[..., CaseResult]
) -> None:
    """Two servers, then a third joins in place, then everything moves to an isolated network."""
    history = History()
    case(
        binary,
        [
            Step(
                config=shared_ip_config(WEB[:2], PUBLICNET),
                check=check_ip(WEB[:2], PUBLICNET, history),
            ),
            Step(
                config=shared_ip_config(WEB[:3], PUBLICNET), check=check_updated_in_place(history)
            ),
            Step(config=shared_ip_config(WEB[:3], ISOLATED_NET), check=check_replaced(history)),
        ],
        sandbox=sandbox,
    )
