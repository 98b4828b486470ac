"""Identity v2.0: ``POST /v2.0/tokens`` and ``GET /v2.0/tokens/{token}/endpoints`` (research §2)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from sandbox import auth, inventory
from sandbox.context import json_body, json_response, runtime
from sandbox.errors import ApiError

bp = Blueprint("identity", __name__, url_prefix="/v2.0")

PARSE_ERROR = (
    "Invalid request body: unable to parse Auth data. Please review XML or JSON formatting"
)
BAD_CREDENTIALS = "Unable to authenticate user with credentials provided."


def _credentials(body: Any) -> tuple[str, str | None, str | None, str | None, str]:
    """(username, api_key, password, requested tenant, method) from an auth body."""
    if not isinstance(body, dict) or not isinstance(body.get("auth"), dict):
        raise ApiError(400, PARSE_ERROR)
    auth_body = body["auth"]
    key_creds = auth_body.get("RAX-KSKEY:apiKeyCredentials")
    pass_creds = auth_body.get("passwordCredentials")
    if (key_creds is None) == (pass_creds is None):
        raise ApiError(400, PARSE_ERROR)
    creds = key_creds if key_creds is not None else pass_creds
    secret_key = "apiKey" if key_creds is not None else "password"
    if not isinstance(creds, dict):
        raise ApiError(400, PARSE_ERROR)
    username, secret = creds.get("username"), creds.get(secret_key)
    if not isinstance(username, str) or not isinstance(secret, str) or not username or not secret:
        raise ApiError(400, PARSE_ERROR)
    tenant_keys = [
        where[key]
        for where in (creds, auth_body)
        for key in ("tenantId", "tenantName")
        if key in where
    ]
    if len(tenant_keys) > 1:
        raise ApiError(400, "Invalid request: tenantId and tenantName may not both be given.")
    tenant = tenant_keys[0] if tenant_keys else None
    if tenant is not None and not isinstance(tenant, str):
        raise ApiError(400, PARSE_ERROR)
    if key_creds is not None:
        return username, secret, None, tenant, "APIKEY"
    return username, None, secret, tenant, "PASSWORD"


def catalog(base: str, tenant: str, regions: list[str]) -> list[dict[str, Any]]:
    """The service catalog, pointing back at this sandbox (``base`` ends with ``/``)."""
    networks, servers = [], []
    for region in regions:
        lower = region.lower()
        networks.append(
            {
                "region": region,
                "tenantId": tenant,
                "publicURL": f"{base}{lower}/networks/v2.0",
            }
        )
        servers.append(
            {
                "region": region,
                "tenantId": tenant,
                "publicURL": f"{base}{lower}/servers/v2/{tenant}",
                "versionInfo": f"{base}{lower}/servers/v2",
                "versionList": f"{base}{lower}/servers/",
                "versionId": "2",
            }
        )
    return [
        {"name": "cloudNetworks", "type": "network", "endpoints": networks},
        {"name": "cloudServersOpenStack", "type": "compute", "endpoints": servers},
        # The legacy first-generation entry: clients must match by name, not by type.
        {
            "name": "cloudServers",
            "type": "compute",
            "endpoints": [
                {
                    "tenantId": tenant,
                    "publicURL": f"{base}legacy/servers/v1.0/{tenant}",
                    "versionId": "1.0",
                }
            ],
        },
    ]


@bp.post("/tokens")
def authenticate() -> Response:
    """Exchange an API key or password for a token and the service catalog."""
    username, api_key, password, tenant, method = _credentials(json_body())
    rt = runtime()
    with rt.store.tx() as db:
        user = auth.check_credentials(db, username, api_key, password)
        if user is None or (tenant is not None and tenant != user["tenant_id"]):
            raise ApiError(401, BAD_CREDENTIALS)
        token, expires = auth.issue_token(db, user, rt.traffic.settings.token_ttl_seconds, method)
        regions = inventory.region_names(db)
    tenant_id = user["tenant_id"]
    return json_response(
        {
            "access": {
                "token": {
                    "id": token,
                    "expires": auth.iso(expires),
                    "tenant": {"id": tenant_id, "name": tenant_id},
                    "RAX-AUTH:authenticatedBy": [method],
                },
                "serviceCatalog": catalog(request.host_url, tenant_id, regions),
                "user": {
                    "id": user["user_id"],
                    "name": user["name"],
                    "RAX-AUTH:defaultRegion": regions[0],
                    "RAX-AUTH:domainId": tenant_id,
                    "roles": [
                        {
                            "id": "6",
                            "name": "compute:default",
                            "tenantId": tenant_id,
                            "description": "A role that allows a user access to keystone"
                            " Service methods",
                        },
                        {
                            "id": "10000",
                            "name": f"cloudNetworks:{user['role']}",
                            "tenantId": tenant_id,
                            "description": f"Cloud Networks {user['role']} role",
                        },
                    ],
                },
            }
        }
    )


@bp.get("/tokens/<token>/endpoints")
def endpoints(token: str) -> Response:
    """The flat endpoint list of a token (the caller authenticates with ``X-Auth-Token``)."""
    rt = runtime()
    with rt.store.tx() as db:
        auth.caller_for(db, request.headers.get("X-Auth-Token"))
        owner = auth.caller_for(db, token) if token else None
        if owner is None:
            raise ApiError(404, "Token not found.")
        regions = inventory.region_names(db)
    flat = []
    for service in catalog(request.host_url, owner.tenant_id, regions):
        for endpoint in service["endpoints"]:
            flat.append({"name": service["name"], "type": service["type"], **endpoint})
    return json_response({"endpoints": flat})
