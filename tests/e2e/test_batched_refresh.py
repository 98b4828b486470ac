"""Batched refresh through real Terraform: a plan reads from one listing, in both listing modes.

12 shared IPs on 3 servers, each associated with each server (48 resources), in a tenant whose
113 other fixed IPs put the listing at two pages of 100 when the sandbox paginates. Each plan's
HTTP calls are counted from the sandbox's request log: with quark's unpaginated listing, one
listing and one association list per server; with Neutron's pages, both pages (the second asked
for with the first's marker); with batching off, one call per resource, as before. An
association and an IP deleted behind Terraform's back are confirmed by their own calls and
planned again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from bench.shared_layout import calls, layout_config, layout_seed, layout_servers
from tests.support.acceptance import CaseResult, Step, StepContext
from tests.support.sandbox import Sandbox
from tests.support.terraform import TerraformBinary, binary_params

pytestmark = pytest.mark.e2e

IPS = 12
SERVERS = 3
BATCH_ENV = "TERRAFORM_PROVIDER_RACKSPACE_BATCH_READS"


def listing_mode(paginate: bool) -> Callable[[StepContext], None]:
    def pre(ctx: StepContext) -> None:
        ctx.sandbox.set_faults(paginate_ip_addresses=paginate)

    return pre


def check_quark(ctx: StepContext) -> None:
    c = calls(ctx.requests())
    assert c["ip_list"] == 1, c
    assert c["ip_get"] <= 1, c  # the process's first IP read, before the threshold
    assert c["association_list"] == SERVERS, c
    assert c["total"] <= 10, [(r["method"], r["path"]) for r in ctx.requests()]


def check_paginated(ctx: StepContext) -> None:
    requests = ctx.requests()
    c = calls(requests)
    lists = [parse_qs(r["query"]) for r in requests if r["path"].endswith("/ip_addresses")]
    assert len(lists) == 2, lists
    assert lists[0] == {"limit": ["100"]}
    assert lists[1]["limit"] == ["100"] and len(lists[1]["marker"]) == 1
    # Never more calls than one GET per IP (today), and both pages were needed.
    assert c["ip_list"] + c["ip_get"] <= IPS, c
    assert c["association_list"] == SERVERS, c


def check_today(ctx: StepContext) -> None:
    c = calls(ctx.requests())
    assert (c["ip_list"], c["ip_get"], c["association_list"]) == (0, IPS, IPS * SERVERS), c


def delete_behind_terraform(servers: list[str]) -> Callable[[StepContext], None]:
    """Remove the association of IP 0 with the first server, and IP 11 with its associations."""

    def pre(ctx: StepContext) -> None:
        ctx.sandbox.set_faults(paginate_ip_addresses=False)
        first = ctx.resource("rackspace_ip_address.shared[0]")["id"]
        last = ctx.resource(f"rackspace_ip_address.shared[{IPS - 1}]")["id"]
        status, _ = ctx.api(
            "DELETE", "servers", f"/servers/{servers[0]}/ip_associations/{first}", user="bench"
        )
        assert status == 204
        for server in servers:
            status, _ = ctx.api(
                "DELETE", "servers", f"/servers/{server}/ip_associations/{last}", user="bench"
            )
            assert status == 204
        status, _ = ctx.api("DELETE", "networks", f"/ip_addresses/{last}", user="bench")
        assert status == 204

    return pre


def check_deleted_are_planned_again(ctx: StepContext) -> None:
    out = ctx.output()
    assert "rackspace_server_ip_association.a[0] will be created" in out
    assert f"rackspace_ip_address.shared[{IPS - 1}] will be created" in out
    assert f"Plan: {1 + SERVERS + 1} to add, 0 to change, 0 to destroy." in out
    c = calls(ctx.requests())
    # The IP missing from the listing was confirmed by its own GET (404) ...
    gets = [r for r in ctx.requests() if "/ip_addresses/" in r["path"] and r["status"] == 404]
    assert len(gets) == 1, c
    # ... and the association missing from its server's list by a second, fresh list.
    assert c["association_list"] >= SERVERS + 1, c
    assert not ctx.writes(), "a plan must not write anything"


@pytest.mark.parametrize("binary", binary_params())
def test_plan_reads_from_listings_in_both_modes(
    binary: TerraformBinary,
    start_sandbox: Callable[..., Sandbox],
    case: Callable[..., CaseResult],
    tmp_path: Path,
) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps(layout_seed(servers=SERVERS, ips=IPS, others=110)))
    sandbox = start_sandbox(seed)
    servers = layout_servers(sandbox)
    assert len(servers) == SERVERS
    env = sandbox.env(user="bench")
    case(
        binary,
        [
            Step(config=layout_config(servers, IPS)),
            Step(plan_only=True, pre=listing_mode(False), check=check_quark),
            Step(plan_only=True, pre=listing_mode(True), check=check_paginated),
            Step(plan_only=True, env={BATCH_ENV: "0"}, check=check_today),
            Step(
                plan_only=True,
                pre=delete_behind_terraform(servers),
                check=check_deleted_are_planned_again,
                expect_non_empty_plan=True,
            ),
        ],
        sandbox=sandbox,
        env=env,
    )
