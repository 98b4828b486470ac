"""ConfigureProvider: diagnostics naming the argument, authentication, no secret in any log."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
import threading

import pytest

from provider.plugin import Context, Unknown
from provider.plugin.logging import TRACE, HclogJSONFormatter
from provider.rackspace.api.identity import clear_token_cache
from provider.rackspace.provider import RackspaceProvider

from .identity_fake import API_KEY, PASSWORD, USER, FakeIdentityApi

ENV_VARS = [
    "RACKSPACE_USERNAME",
    "OS_USERNAME",
    "RACKSPACE_API_KEY",
    "RACKSPACE_PASSWORD",
    "OS_PASSWORD",
    "RACKSPACE_TENANT_ID",
    "RACKSPACE_REGION",
    "OS_REGION_NAME",
    "RACKSPACE_AUTH_URL",
]


@pytest.fixture(autouse=True)
def _clean(monkeypatch):
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    clear_token_cache()
    yield
    clear_token_cache()


@pytest.fixture
def api():
    fake = FakeIdentityApi()
    with fake.server:
        yield fake


def config(api, **kw):
    base = dict.fromkeys(RackspaceProvider.schema.attributes)
    return (
        base
        | {
            "username": USER,
            "api_key": API_KEY,
            "region": "DFW",
            "auth_url": api.url + "/v2.0/",
            "max_retries": 0,
        }
        | kw
    )


def configure(cfg):
    ctx = Context(cancelled=threading.Event())
    client = RackspaceProvider().configure(cfg, ctx)
    return client, ctx.diagnostics


def test_configure_returns_a_working_client(api):
    client, diags = configure(config(api, region="dfw"))
    assert diags == []
    assert client.networks.get_ip_address("x")["id"] == "x"
    assert len(api.auth_requests()) == 1


def test_env_only_configuration(api, monkeypatch):
    monkeypatch.setenv("RACKSPACE_USERNAME", USER)
    monkeypatch.setenv("OS_PASSWORD", PASSWORD)
    monkeypatch.setenv("OS_REGION_NAME", "ord")
    monkeypatch.setenv("RACKSPACE_AUTH_URL", api.url + "/v2.0")
    client, diags = configure(dict.fromkeys(RackspaceProvider.schema.attributes))
    assert diags == [] and client.region == "ord"


def test_wrong_credentials_name_the_argument_and_env_var(api):
    client, diags = configure(config(api, api_key="not-the-key-xyz"))
    assert client is None
    [d] = diags
    assert d.path == ("api_key",)
    assert "RACKSPACE_API_KEY" in d.detail and "401" in d.detail
    assert "not-the-key-xyz" not in d.summary + d.detail
    _, [d] = configure(config(api, api_key=None, password="wrong-pw-abc"))
    assert d.path == ("password",) and "wrong-pw-abc" not in d.detail


def test_unknown_region_lists_the_offered_ones(api):
    _, [d] = configure(config(api, region="LON"))
    assert d.path == ("region",)
    assert "DFW, ORD" in d.detail and "RACKSPACE_REGION" in d.detail


def test_unreachable_identity_points_at_auth_url():
    _, [d] = configure(config(type("A", (), {"url": "http://127.0.0.1:9"})))
    assert d.path == ("auth_url",) and "RACKSPACE_AUTH_URL" in d.detail


def test_missing_arguments_are_all_reported(api):
    _, diags = configure(dict.fromkeys(RackspaceProvider.schema.attributes))
    assert {d.path for d in diags} == {("username",), ("api_key",), ("region",)}


def test_unknown_value_is_a_diagnostic_not_a_crash(api):
    _, [d] = configure(config(api, username=Unknown))
    assert d.path == ("username",)


def test_tenant_mismatch(api):
    _, [d] = configure(config(api, tenant_id="999"))
    assert d.path == ("tenant_id",) and "123456" in d.detail


def test_importing_the_provider_does_not_import_urllib3():
    code = (
        "import sys, provider.rackspace.provider as p; p.RackspaceProvider.resources; "
        "print('urllib3' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_no_secret_in_any_log_line(api):
    redacted, raw = io.StringIO(), io.StringIO()
    handlers = [logging.StreamHandler(redacted), logging.StreamHandler(raw)]
    handlers[0].setFormatter(HclogJSONFormatter())
    handlers[1].setFormatter(logging.Formatter("%(name)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    for h in handlers:
        root.addHandler(h)
    root.setLevel(TRACE)
    logging.getLogger("urllib3").setLevel(logging.DEBUG)
    try:
        client, _ = configure(config(api))
        client.networks.get_ip_address("x")
        api.valid.clear()  # force a re-authentication
        client.servers.list_ip_associations("s")
        clear_token_cache()
        configure(config(api, api_key=None, password=PASSWORD))
        configure(config(api, api_key="bad-key-value-777"))
    finally:
        for h in handlers:
            root.removeHandler(h)
        root.setLevel(old_level)
    tokens = [f"tok-{i}-0123456789abcdef" for i in range(1, api.issued + 1)]
    assert len(tokens) >= 3
    for text in (redacted.getvalue(), raw.getvalue()):
        assert "authenticated user demo" in text  # the logs are really captured
        assert "/dfw/networks/v2.0/ip_addresses/x" in text
        for secret in [API_KEY, PASSWORD, "bad-key-value-777", *tokens]:
            assert secret not in text
