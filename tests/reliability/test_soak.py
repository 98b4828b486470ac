"""10,000 RPCs through one provider process: its memory stays flat.

The real provider is launched as Terraform would launch it and configured against a sandbox;
the RPCs are the ones a plan of many resources makes (validate, plan, read of a data source
that calls the API). RSS is taken after a warm-up and at the end.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.plugin.plugin_client import PluginClient, launch, plugin_env
from tests.reliability import figures
from tests.reliability.harness import NETWORK_ID, rss_kib, server_ids
from tests.support.sandbox import Sandbox

TOTAL = 10_000
WARMUP = 1_000
MAX_GROWTH_MB = 20.0


@pytest.fixture
def sandbox(make_sandbox: Any) -> Sandbox:
    """Four servers on the reliability seed."""
    return make_sandbox(4)  # type: ignore[no-any-return]


@pytest.fixture
def shared_ip(sandbox: Sandbox) -> str:
    """A shared IP on two of the servers: plans of associations to it pass the provider's
    plan-time existence checks, as a real configuration's would."""
    body = {"ip_address": {"network_id": NETWORK_ID, "version": 4, "device_ids": server_ids(2)}}
    status, created = sandbox.call(
        "POST", "/dfw/networks/v2.0/ip_addresses", body, token=sandbox.token()
    )
    assert status == 201, created
    return str(created["ip_address"]["id"])


@pytest.fixture
def provider(sandbox: Sandbox) -> Iterator[PluginClient]:
    env, identity = plugin_env(protocol="6", **sandbox.env())
    client = PluginClient(launch(env, module="provider"), identity)
    threading.Thread(target=lambda: client.proc.stderr.read(), daemon=True).start()
    schema = client.call("GetProviderSchema")
    config = {a.name: None for a in schema.provider.block.attributes}
    resp = client.call("ConfigureProvider", terraform_version="1.11.4", config=client.dv(config))
    assert [d.summary for d in resp.diagnostics] == []
    yield client
    client.close()


def _association(server: str, ip: str) -> dict[str, Any]:
    return {"id": None, "server_id": server, "ip_address_id": ip, "address": None}


@pytest.mark.slow
def test_10000_rpcs_keep_memory_flat(provider: PluginClient, shared_ip: str) -> None:
    servers = server_ids(4)
    ip = shared_ip
    ports = {"id": None, "server_id": servers[0], "network_id": None, "ids": None, "ports": None}
    pid = provider.proc.pid
    start_kib = 0
    for i in range(TOTAL):
        if i == WARMUP:
            start_kib = rss_kib(pid)
        kind = i % 10
        if kind == 0:
            resp = provider.call(
                "ReadDataSource", type_name="rackspace_ports", config=provider.dv(ports)
            )
        elif kind < 5:
            config = provider.dv(_association(servers[i % 4], ip))
            resp = provider.call(
                "PlanResourceChange",
                type_name="rackspace_server_ip_association",
                prior_state=provider.dv(None),
                proposed_new_state=config,
                config=config,
            )
        else:
            resp = provider.call(
                "ValidateResourceConfig",
                type_name="rackspace_server_ip_association",
                config=provider.dv(_association(servers[i % 4], f"not-a-uuid-{i}")),
            )
            # The bad id must be reported every time (the work is really done).
            assert [d.attribute.steps[0].attribute_name for d in resp.diagnostics] == [
                "ip_address_id"
            ]
            continue
        assert [d.summary for d in resp.diagnostics if d.severity == 1] == [], i
    end_kib = rss_kib(pid)
    growth_mb = (end_kib - start_kib) / 1024
    figures.record(
        "soak: provider RSS after 1,000 / after 10,000 RPCs (MB)",
        f"{start_kib / 1024:.1f} / {end_kib / 1024:.1f}",
    )
    assert growth_mb < MAX_GROWTH_MB, f"RSS grew {growth_mb:.1f} MB over {TOTAL - WARMUP} RPCs"
