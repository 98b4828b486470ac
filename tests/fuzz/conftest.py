"""Fixtures for the fuzz tests: the real provider process, configured against a sandbox."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.plugin.plugin_client import PluginClient, launch, plugin_env
from tests.reliability import figures
from tests.support.sandbox import Sandbox


@pytest.fixture(scope="session")
def fuzz_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A default-seed sandbox the fuzzed provider talks to."""
    with Sandbox(tmp_path_factory.mktemp("fuzz-sandbox")) as sandbox:
        yield sandbox


@pytest.fixture(scope="session", params=["6", "5"], ids=["proto6", "proto5"])
def provider(request: pytest.FixtureRequest, fuzz_sandbox: Sandbox) -> Iterator[PluginClient]:
    """`python -m provider` launched as Terraform would (TLS, magic cookie), configured."""
    env, identity = plugin_env(protocol=request.param, **fuzz_sandbox.env())
    client = PluginClient(launch(env, module="provider"), identity)
    # Terraform always reads the plugin's stderr; a full pipe would block its logging.
    threading.Thread(target=_drain, args=(client.proc.stderr,), daemon=True).start()
    config = {name: None for name in _provider_attributes(client)}
    resp = client.call("ConfigureProvider", terraform_version="1.0.3", config=client.dv(config))
    assert [d.summary for d in resp.diagnostics if d.severity == 1] == []
    yield client
    client.close()


def _drain(stream: Any) -> None:
    for _line in iter(stream.readline, b""):
        pass


def _provider_attributes(client: PluginClient) -> list[str]:
    schema = client.call("GetProviderSchema")
    return [a.name for a in schema.provider.block.attributes]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    figures.terminal_summary(terminalreporter)
