"""Scenario 6, shared layout: a plan of 100 shared IPs x 3 associations on 3 servers, slow API.

The issue's target: "A 400-resource plan (100 shared IPs x 3 associations on 3 servers) at
50 ms latency: <= 0.5x of today, with at most 10 HTTP calls". Today is batched reads turned off
(`TERRAFORM_PROVIDER_RACKSPACE_BATCH_READS=0`: one GET per IP, one association list per
association); batched is the default. Both are timed in one run, interleaved (the order flips
each repetition), against one sandbox: the layout is applied once at 0 ms, then every timed
`terraform plan` (a refresh of all 400 resources) runs at `LATENCY_MS`. HTTP calls are counted
from the sandbox's request log (the token request included). Both listing behaviours are
measured: quark's (`limit`/`marker` ignored, one answer) and Neutron's pages
(`paginate_ip_addresses`); the targets are read from the quark one, the API's real behaviour.
"""

from __future__ import annotations

import json
import shutil
from typing import Any

from bench.ours import BENCH_NETWORK_ID, BENCH_REGION, BENCH_TENANT, BENCH_USER, bench_seed
from bench.stats import summarize
from bench.subjects import required_providers_block
from bench.terraform import Workspace
from tests.support.sandbox import Sandbox

SERVERS = 3
IPS = 100
LATENCY_MS = 50
BATCH_ENV = "TERRAFORM_PROVIDER_RACKSPACE_BATCH_READS"
MODES = {"quark": False, "paginated": True}  # name -> sandbox `paginate_ip_addresses`


def layout_seed(servers: int = SERVERS, ips: int = IPS, others: int = 0) -> dict[str, Any]:
    """`servers` servers on one isolated network whose ports may hold `ips` shared IPs each,
    plus `others` more servers on it (their fixed IPs make the tenant's listing longer)."""
    return bench_seed(servers, prefix="layout-", ips_per_port=ips + 1, others=others)


def layout_config(server_ids: list[str], ips: int, version: str | None = None) -> str:
    """`ips` shared IPs on every server of `server_ids`, each associated with each server."""
    head = required_providers_block("rackspace", "rackspace/rackspace", version) if version else ""
    servers = ", ".join(f'"{s}"' for s in server_ids)
    return (
        head
        + '\nprovider "rackspace" {}\n\n'
        + f"locals {{\n  server_ids = [{servers}]\n}}\n\n"
        + 'resource "rackspace_ip_address" "shared" {\n'
        + f"  count      = {ips}\n"
        + f'  network_id = "{BENCH_NETWORK_ID}"\n'
        + "  server_ids = local.server_ids\n}\n\n"
        + 'resource "rackspace_server_ip_association" "a" {\n'
        + f"  count         = {ips} * length(local.server_ids)\n"
        + "  server_id     = local.server_ids[count.index % length(local.server_ids)]\n"
        + "  ip_address_id = rackspace_ip_address.shared["
        + "floor(count.index / length(local.server_ids))].id\n}\n"
    )


def layout_servers(sandbox: Sandbox, prefix: str = "layout-") -> list[str]:
    """Ids of the seeded servers whose name starts with `prefix`, in name order."""
    state = sandbox.state()[BENCH_TENANT][BENCH_REGION]
    named = sorted((s["name"], s["id"]) for s in state["servers"])
    return [ident for name, ident in named if name.startswith(prefix)]


def calls(entries: list[dict[str, Any]]) -> dict[str, int]:
    """The request log of one command, by kind of call."""
    kinds = {"total": len(entries), "ip_list": 0, "ip_get": 0, "association_list": 0}
    for e in entries:
        path = e["path"]
        if e["method"] != "GET":
            continue
        if path.endswith("/ip_addresses"):
            kinds["ip_list"] += 1
        elif "/ip_addresses/" in path:
            kinds["ip_get"] += 1
        elif path.endswith("/ip_associations"):
            kinds["association_list"] += 1
    return kinds


def run_shared_layout(run: Any, version: str, reps: int) -> dict[str, Any]:
    """Apply the layout once, then time `reps` interleaved plans per (mode, batching)."""
    from bench.scenarios import log

    work = run.settings.work_dir / "shared-layout"
    if work.exists():
        shutil.rmtree(work)
    (work / "tf").mkdir(parents=True)
    seed = work / "seed.json"
    seed.write_text(json.dumps(layout_seed(), indent=1))
    sandbox = Sandbox(work / "sandbox", seed=seed).start()
    try:
        servers = layout_servers(sandbox)
        (work / "tf" / "main.tf").write_text(layout_config(servers, IPS, version))
        env = sandbox.env(user=BENCH_USER, region=BENCH_REGION)

        def workspace(batch: bool) -> Workspace:
            return Workspace(
                terraform=run.terraform,
                directory=work / "tf",
                cli_config=run.cli_config,
                extra_env={**env, BATCH_ENV: "1" if batch else "0"},
                parallelism=run.settings.parallelism,
            )

        workspace(True).init()
        log(f"shared-layout: applying {IPS} IPs x {SERVERS} associations at 0 ms")
        workspace(True).apply(log_name="apply")
        count = IPS * (SERVERS + 1)
        out: dict[str, Any] = {
            "count": count,
            "ips": IPS,
            "servers": SERVERS,
            "latency_ms": LATENCY_MS,
            "reps": reps,
            "by_mode": {},
        }
        for mode, paginate in MODES.items():
            times: dict[str, list[float]] = {"off": [], "on": []}
            traffic: dict[str, dict[str, int]] = {}
            for rep in range(reps):
                order = ("off", "on") if rep % 2 == 0 else ("on", "off")
                for which in order:
                    log(f"shared-layout: {mode} plan, batching {which} ({rep + 1}/{reps})")
                    sandbox.set_faults(paginate_ip_addresses=paginate, latency_ms=LATENCY_MS)
                    sandbox.clear_requests()
                    try:
                        result = workspace(which == "on").plan(log_name=f"plan-{mode}-{which}")
                    finally:
                        sandbox.set_faults(latency_ms=0)
                    times[which].append(result.seconds)
                    traffic[which] = calls(sandbox.requests())
            off, on = summarize(times["off"]), summarize(times["on"])
            out["by_mode"][mode] = {
                "off": off,
                "on": on,
                "ratio": round(on["median"] / off["median"], 3),
                "calls_off": traffic["off"],
                "calls_on": traffic["on"],
            }
        workspace(True).run("destroy", "-auto-approve", "-input=false", log_name="destroy")
        return out
    finally:
        sandbox.stop()


def render(section: dict[str, Any] | None) -> list[str]:
    """The report's section for this scenario (markdown lines)."""
    out = ["", "## 6. Plan of a shared layout against a slow API (batched refresh)", ""]
    if not section:
        return [*out, "Not measured in this run."]
    out += [
        f"{section['ips']} shared IPs x {section['servers']} associations on "
        f"{section['servers']} servers ({section['count']} resources), `terraform plan` at "
        f"{section['latency_ms']} ms per request, {section['reps']} interleaved repetitions. "
        "Today = `TERRAFORM_PROVIDER_RACKSPACE_BATCH_READS=0`. Calls from the sandbox's request "
        "log (token request included; IP list / IP GETs / association lists).",
        "",
        "| listing | today | batched | batched / today | calls today | calls batched |",
        "|---|---|---|---|---|---|",
    ]
    for mode, v in section["by_mode"].items():
        c_off, c_on = v["calls_off"], v["calls_on"]
        out.append(
            f"| {mode} | {v['off']['median']:.2f} s | {v['on']['median']:.2f} s | "
            f"{v['ratio']:.2f}x | {c_off['total']} ({c_off['ip_list']}/{c_off['ip_get']}/"
            f"{c_off['association_list']}) | {c_on['total']} ({c_on['ip_list']}/"
            f"{c_on['ip_get']}/{c_on['association_list']}) |"
        )
    return out
