"""Identity v2.0: logins, the service catalog, token checks and expiry."""

from __future__ import annotations

import time

from sandbox_api import Api, Sandbox


def login(sb: Sandbox, creds: dict, **extra: object) -> tuple[int, dict]:
    return sb.call("POST", "/v2.0/tokens", {"auth": {**creds, **extra}})


def test_api_key_login_returns_token_catalog_and_user(sb: Sandbox) -> None:
    status, data = login(
        sb, {"RAX-KSKEY:apiKeyCredentials": {"username": "demo", "apiKey": "sandbox-demo-key"}}
    )
    assert status == 200
    access = data["access"]
    assert len(access["token"]["id"]) == 32
    assert access["token"]["expires"].endswith("Z")
    assert access["token"]["tenant"] == {"id": "123456", "name": "123456"}
    assert access["token"]["RAX-AUTH:authenticatedBy"] == ["APIKEY"]
    assert access["user"]["name"] == "demo"
    assert access["user"]["RAX-AUTH:defaultRegion"] == "DFW"
    catalog = {entry["name"]: entry for entry in access["serviceCatalog"]}
    assert catalog["cloudNetworks"]["type"] == "network"
    assert [e["publicURL"] for e in catalog["cloudNetworks"]["endpoints"]] == [
        f"{sb.url}/dfw/networks/v2.0",
        f"{sb.url}/ord/networks/v2.0",
    ]
    servers = catalog["cloudServersOpenStack"]
    assert servers["type"] == "compute"
    assert [(e["region"], e["publicURL"]) for e in servers["endpoints"]] == [
        ("DFW", f"{sb.url}/dfw/servers/v2/123456"),
        ("ORD", f"{sb.url}/ord/servers/v2/123456"),
    ]
    # The legacy entry has the same type, so clients must match by name.
    legacy = catalog["cloudServers"]
    assert legacy["type"] == "compute" and "region" not in legacy["endpoints"][0]


def test_password_login_and_tenant_selection(sb: Sandbox) -> None:
    creds = {"passwordCredentials": {"username": "demo", "password": "sandbox-demo-password"}}
    status, data = login(sb, creds, tenantId="123456")
    assert status == 200
    assert data["access"]["token"]["RAX-AUTH:authenticatedBy"] == ["PASSWORD"]
    status, data = login(sb, creds, tenantName="654321")
    assert status == 401 and "unauthorized" in data


def test_wrong_credentials_are_401_with_identity_body(sb: Sandbox) -> None:
    for creds in (
        {"RAX-KSKEY:apiKeyCredentials": {"username": "demo", "apiKey": "wrong"}},
        {"RAX-KSKEY:apiKeyCredentials": {"username": "nobody", "apiKey": "sandbox-demo-key"}},
        {"passwordCredentials": {"username": "demo", "password": "sandbox-demo-key"}},
    ):
        status, data = login(sb, creds)
        assert status == 401
        assert data == {
            "unauthorized": {
                "code": 401,
                "message": "Unable to authenticate user with credentials provided.",
            }
        }


def test_malformed_auth_bodies_are_400(sb: Sandbox) -> None:
    key = {"username": "demo", "apiKey": "sandbox-demo-key"}
    bodies = [
        {},
        {"auth": "x"},
        {"auth": {}},
        {"auth": {"RAX-KSKEY:apiKeyCredentials": {"username": "demo"}}},
        {"auth": {"RAX-KSKEY:apiKeyCredentials": {"username": 5, "apiKey": "k"}}},
        {"auth": {"RAX-KSKEY:apiKeyCredentials": key, "tenantId": "1", "tenantName": "1"}},
        {"auth": {"RAX-KSKEY:apiKeyCredentials": key, "passwordCredentials": key}},
    ]
    for body in bodies:
        status, data = sb.call("POST", "/v2.0/tokens", body)
        assert status == 400, body
        assert data["badRequest"]["code"] == 400


def test_missing_unknown_and_expired_tokens_are_401(sb: Sandbox) -> None:
    for token in (None, "0" * 32):
        status, data = sb.call("GET", "/dfw/networks/v2.0/ip_addresses", token=token)
        assert status == 401 and data["unauthorized"]["code"] == 401
        status, data = sb.call("GET", "/dfw/servers/v2/123456/servers", token=token)
        assert status == 401 and data["unauthorized"]["code"] == 401
    sb.set_faults(token_ttl_seconds=1)
    api = Api(sb)
    assert api.net("GET", "/ip_addresses")[0] == 200
    time.sleep(1.2)
    status, data = api.net("GET", "/ip_addresses")
    assert status == 401 and "expired" in data["unauthorized"]["message"]
    # A new login works again.
    assert Api(sb).net("GET", "/ip_addresses")[0] == 200


def test_admin_can_expire_every_token(sb: Sandbox) -> None:
    api = Api(sb)
    assert api.srv("GET", "/servers")[0] == 200
    assert sb.expire_tokens() >= 1
    assert api.srv("GET", "/servers")[0] == 401


def test_endpoints_of_a_token(sb: Sandbox) -> None:
    api = Api(sb)
    status, data = sb.call("GET", f"/v2.0/tokens/{api.token}/endpoints", token=api.token)
    assert status == 200
    names = {(e["name"], e.get("region")) for e in data["endpoints"]}
    assert ("cloudNetworks", "DFW") in names and ("cloudServersOpenStack", "ORD") in names
    assert sb.call("GET", f"/v2.0/tokens/{api.token}/endpoints")[0] == 401
