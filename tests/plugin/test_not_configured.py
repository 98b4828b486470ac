"""An RPC that needs the provider's client, called before ConfigureProvider, gets a
diagnostic saying the provider is not configured (not "Unexpected error ... AttributeError").

Terraform never does this, but a reattached debug session, a test harness or a fuzzer can;
the real provider process is driven over gRPC, protocols 6 and 5.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.plugin.plugin_client import PluginClient, launch, plugin_env

IP_ID = "a1000000-0000-4000-8000-000000000001"


@pytest.fixture(params=["6", "5"], ids=["proto6", "proto5"])
def unconfigured(request: pytest.FixtureRequest) -> Iterator[PluginClient]:
    env, identity = plugin_env(protocol=request.param)
    client = PluginClient(launch(env, module="provider"), identity)
    threading.Thread(target=client.proc.stderr.read, daemon=True).start()  # type: ignore[union-attr]
    yield client
    client.close()


def _nulls(client: PluginClient, kind: str, type_name: str) -> dict[str, Any]:
    schema = client.call("GetProviderSchema")
    schemas = schema.data_source_schemas if kind == "data" else schema.resource_schemas
    return {a.name: None for a in schemas[type_name].block.attributes}


def _summaries(response: Any) -> list[str]:
    return [d.summary for d in response.diagnostics]


def test_read_data_source_before_configure(unconfigured: PluginClient) -> None:
    config = _nulls(unconfigured, "data", "rackspace_ip_address") | {"id": IP_ID}
    response = unconfigured.call(
        "ReadDataSource", type_name="rackspace_ip_address", config=unconfigured.dv(config)
    )
    assert _summaries(response) == ["Provider not configured"]
    assert "ConfigureProvider" in response.diagnostics[0].detail


def test_resource_calls_before_configure(unconfigured: PluginClient) -> None:
    state = _nulls(unconfigured, "resource", "rackspace_ip_address") | {"id": IP_ID}
    read = unconfigured.call(
        "ReadResource", type_name="rackspace_ip_address", current_state=unconfigured.dv(state)
    )
    assert _summaries(read) == ["Provider not configured"]
    imported = unconfigured.call("ImportResourceState", type_name="rackspace_ip_address", id=IP_ID)
    assert _summaries(imported) == ["Provider not configured"]
    # Schema and validation need no client and keep working.
    valid = unconfigured.call(
        "ValidateResourceConfig",
        type_name="rackspace_ip_address",
        config=unconfigured.dv(state | {"id": None}),
    )
    assert "Provider not configured" not in _summaries(valid)
