"""Cloud Servers: ``servers`` and the ``ip_associations`` extension (tenant in the path).

Association PUT is idempotent: **201** when it creates the association, **200** when it
already existed (same body both times). DELETE answers 204, or 404 when the server is not
associated with the IP (research §5.10). POST on the collection is 501.
"""

from __future__ import annotations

import secrets
import sqlite3
import uuid
from typing import Any

from flask import Blueprint, Response, g, request

from sandbox import associations, inventory
from sandbox.context import caller, json_body, json_response, no_content, runtime
from sandbox.errors import ApiError
from sandbox.seed import PUBLICNET_ID, SERVICENET_ID

bp = Blueprint("servers", __name__, url_prefix="/<region>/servers/v2/<tenant>")

ZONE_KEY = "RAX-PUBLIC-IP-ZONE-ID:publicIPZoneId"


def _base_url() -> str:
    return f"{request.host_url}{g.region.lower()}/servers/v2/{caller().tenant_id}"


def _server_rows(db: sqlite3.Connection) -> list[sqlite3.Row]:
    """The caller's servers, filtered by the ``name`` (substring) and ``status`` arguments."""
    rows = inventory.tenant_servers(db, g.region, caller().tenant_id)
    name, status = request.args.get("name"), request.args.get("status")
    return [
        r
        for r in rows
        if (not name or name in r["name"]) and (not status or status.upper() == r["status"])
    ]


@bp.get("/servers")
def list_servers(region: str, tenant: str) -> Response:
    """Servers of the tenant (id, name, links); ``name`` filters by substring."""
    base = _base_url()
    with runtime().store.tx() as db:
        rows = _server_rows(db)
    return json_response(
        {
            "servers": [
                {
                    "id": r["id"],
                    "name": r["name"],
                    "links": [{"rel": "self", "href": f"{base}/servers/{r['id']}"}],
                }
                for r in rows
            ]
        }
    )


@bp.get("/servers/detail")
def list_servers_detail(region: str, tenant: str) -> Response:
    """Servers of the tenant with every attribute."""
    base = _base_url()
    with runtime().store.tx() as db:
        return json_response(
            {"servers": [inventory.server_view(db, r, base) for r in _server_rows(db)]}
        )


@bp.get("/servers/<server_id>")
def show_server(region: str, tenant: str, server_id: str) -> Response:
    """One server, including ``RAX-PUBLIC-IP-ZONE-ID:publicIPZoneId``."""
    with runtime().store.tx() as db:
        row = inventory.find_server(db, g.region, caller().tenant_id, server_id)
        return json_response({"server": inventory.server_view(db, row, _base_url())})


def _create_spec(body: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    if not isinstance(body, dict) or not isinstance(body.get("server"), dict):
        raise ApiError(400, 'Invalid input: the body must be {"server": {...}}.')
    spec = body["server"]
    hints = body.get("os:scheduler_hints") or spec.get("os:scheduler_hints") or {}
    if not isinstance(hints, dict):
        raise ApiError(400, "Invalid input for field os:scheduler_hints: must be an object.")
    name = spec.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        raise ApiError(400, "Invalid input for field name: a non-empty string is required.")
    metadata = spec.get("metadata", {})
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise ApiError(400, "Invalid input for field metadata: must map strings to strings.")
    for key in ("imageRef", "flavorRef"):
        if key in spec and not isinstance(spec[key], str):
            raise ApiError(400, f"Invalid input for field {key}: must be a string.")
    return spec, hints


def _network_ids(db: sqlite3.Connection, spec: dict[str, Any]) -> list[str]:
    nets = spec.get("networks")
    if nets is None:
        return [PUBLICNET_ID, SERVICENET_ID]
    if not isinstance(nets, list) or not all(
        isinstance(n, dict) and isinstance(n.get("uuid"), str) for n in nets
    ):
        raise ApiError(
            400, 'Invalid input for field networks: a list of {"uuid": ...} is required.'
        )
    ids = [n["uuid"] for n in nets]
    for net_id in ids:
        if inventory.visible_network(db, g.region, caller().tenant_id, net_id) is None:
            raise ApiError(400, f"Network {net_id} could not be found.")
    return ids


def _zone(db: sqlite3.Connection, spec: dict[str, Any], hints: dict[str, Any]) -> str:
    zones = inventory.region_zones(db, g.region)
    if ZONE_KEY in spec:  # sandbox extension: pick the zone directly
        if spec[ZONE_KEY] not in zones:
            raise ApiError(400, f"Public IP zone {spec[ZONE_KEY]!r} does not exist in {g.region}.")
        return spec[ZONE_KEY]
    near = hints.get("public_ip_zone:near")
    if near is None:
        return zones[0]
    near_ids = near if isinstance(near, list) else [near]
    if not near_ids or not all(isinstance(n, str) for n in near_ids):
        raise ApiError(400, "Invalid input for scheduler hint public_ip_zone:near.")
    row = inventory.tenant_server(db, g.region, caller().tenant_id, near_ids[0])
    if row is None:
        raise ApiError(400, f"Server {near_ids[0]} named in public_ip_zone:near does not exist.")
    return row["zone"]


@bp.post("/servers")
def create_server(region: str, tenant: str) -> Response:
    """Boot a server (ACTIVE at once) with a PublicNet and a ServiceNet port by default: 202."""
    caller().require("create")
    spec, hints = _create_spec(json_body())
    server_id = str(uuid.uuid4())
    with runtime().store.tx() as db:
        network_ids = _network_ids(db, spec)
        zone = _zone(db, spec, hints)
        inventory.create_server(
            db,
            server_id=server_id,
            name=spec["name"],
            tenant_id=caller().tenant_id,
            region=g.region,
            zone=zone,
            network_ids=network_ids,
            image=spec.get("imageRef"),
            flavor=spec.get("flavorRef"),
            metadata=spec.get("metadata"),
        )
    link = f"{_base_url()}/servers/{server_id}"
    return json_response(
        {
            "server": {
                "id": server_id,
                "adminPass": secrets.token_urlsafe(12),
                "OS-DCF:diskConfig": "AUTO",
                "links": [{"rel": "self", "href": link}],
            }
        },
        202,
    )


@bp.delete("/servers/<server_id>")
def delete_server(region: str, tenant: str, server_id: str) -> Response:
    """Delete a server with its ports and their shared-IP pairs: 204."""
    caller().require("delete")
    with runtime().store.tx() as db:
        inventory.find_server(db, g.region, caller().tenant_id, server_id)
        inventory.delete_server(db, server_id)
    return no_content()


@bp.get("/servers/<server_id>/ip_associations")
def list_associations(region: str, tenant: str, server_id: str) -> Response:
    """IPs explicitly associated with the server."""
    with runtime().store.tx() as db:
        items = associations.list_associations(db, g.region, caller().tenant_id, server_id)
    return json_response({"ip_associations": items})


@bp.post("/servers/<server_id>/ip_associations")
def post_associations(region: str, tenant: str, server_id: str) -> Response:
    """Not implemented by the real service either (research §5.11)."""
    raise ApiError(
        501, "POST on ip_associations is not implemented; use PUT .../ip_associations/{id}."
    )


@bp.get("/servers/<server_id>/ip_associations/<ip_id>")
def show_association(region: str, tenant: str, server_id: str, ip_id: str) -> Response:
    """One association; 404 unless this server is associated with the IP."""
    with runtime().store.tx() as db:
        item = associations.show_association(db, g.region, caller().tenant_id, server_id, ip_id)
    return json_response({"ip_association": item})


@bp.put("/servers/<server_id>/ip_associations/<ip_id>")
def put_association(region: str, tenant: str, server_id: str, ip_id: str) -> Response:
    """Associate: 201 when new, 200 when it already existed."""
    caller().require("create")
    body = json_body(optional=True)
    if body is not None and not (
        isinstance(body, dict)
        and set(body) <= {"ip_association"}
        and isinstance(body.get("ip_association", {}), dict)
    ):
        raise ApiError(400, 'Invalid body: send no body or {"ip_association": {}}.')
    with runtime().store.tx() as db:
        item, created = associations.associate(db, g.region, caller().tenant_id, server_id, ip_id)
    return json_response({"ip_association": item}, 201 if created else 200)


@bp.delete("/servers/<server_id>/ip_associations/<ip_id>")
def delete_association(region: str, tenant: str, server_id: str, ip_id: str) -> Response:
    """Disassociate: 204, or 404 when not associated."""
    caller().require("delete")
    with runtime().store.tx() as db:
        associations.disassociate(db, g.region, caller().tenant_id, server_id, ip_id)
    return no_content()
