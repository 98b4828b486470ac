"""Identity and the client: cached token, catalog lookup, re-authentication on 401."""

from __future__ import annotations

import threading

import pytest

from provider.rackspace.api.client import connect
from provider.rackspace.api.errors import EndpointNotFound, Unauthorized
from provider.rackspace.api.identity import clear_token_cache
from provider.rackspace.config import Settings

from .identity_fake import API_KEY, PASSWORD, USER, FakeIdentityApi


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_token_cache()
    yield
    clear_token_cache()


@pytest.fixture
def api():
    fake = FakeIdentityApi()
    with fake.server:
        yield fake


def settings(api: FakeIdentityApi, **kw) -> Settings:
    base = {
        "username": USER,
        "api_key": API_KEY,
        "region": "dfw",
        "auth_url": api.url + "/v2.0/",
        "max_retries": 1,
        "request_timeout": 5,
    }
    return Settings(**(base | kw))


def test_api_key_auth_and_catalog_lookup_case_insensitive(api):
    client = connect(settings(api))
    ip = client.networks.get_ip_address("abc")
    # `ip_address` fills `address`, and a string version becomes an int.
    assert (ip["address"], ip["version"]) == ("203.0.113.9", 4)
    body = api.auth_requests()[0].body
    assert body == {"auth": {"RAX-KSKEY:apiKeyCredentials": {"username": USER, "apiKey": API_KEY}}}
    assert api.server.paths("GET") == ["/dfw/networks/v2.0/ip_addresses/abc"]
    assert client.servers.list_ip_associations("s1") == [{"id": "ip-1", "address": "203.0.113.9"}]
    assert api.server.paths("GET")[-1] == "/dfw/servers/v2/123456/servers/s1/ip_associations"


def test_password_auth_and_tenant(api):
    client = connect(settings(api, api_key=None, password=PASSWORD, tenant_id="123456"))
    client.authenticate()
    body = api.auth_requests()[0].body["auth"]
    assert body["passwordCredentials"] == {"username": USER, "password": PASSWORD}
    assert body["tenantId"] == "123456"
    assert client.tenant_id == "123456"


def test_one_token_per_process_shared_by_clients_and_threads(api):
    api.auth_delay = 0.1
    clients = [connect(settings(api)) for _ in range(3)]
    errors = []

    def work(c):
        try:
            c.networks.get_ip_address("x")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(clients[i % 3],)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(api.auth_requests()) == 1
    assert len(api.server.paths("GET")) == 12


def test_reauthenticates_once_on_401(api):
    client = connect(settings(api))
    client.networks.get_ip_address("x")
    api.valid.clear()  # the token is revoked behind our back
    client.networks.get_ip_address("y")
    assert len(api.auth_requests()) == 2
    assert api.server.requests[-1].headers["x-auth-token"].startswith("tok-2")


def test_gives_up_after_one_reauthentication(api):
    client = connect(settings(api))
    client.authenticate()
    original = api.handle

    def always_revoke(rec):
        if not rec.path.endswith("/tokens"):
            api.valid.clear()  # every token is refused by the service
        return original(rec)

    api.server.handler = always_revoke
    with pytest.raises(Unauthorized):
        client.networks.get_ip_address("x")
    assert len(api.auth_requests()) == 2


def test_wrong_credentials(api):
    client = connect(settings(api, api_key="wrong"))
    with pytest.raises(Unauthorized) as exc:
        client.authenticate()
    assert "Unable to authenticate" in exc.value.message
    assert "wrong" not in exc.value.describe()


def test_unknown_region_lists_offered_regions(api):
    client = connect(settings(api, region="SYD"))
    with pytest.raises(EndpointNotFound) as exc:
        client.authenticate()
    assert exc.value.regions == ["DFW", "ORD"]
    assert "DFW, ORD" in str(exc.value)
