"""The sandbox-only admin path ``/__sandbox__/*``.

No token is needed, and it answers only requests from a loopback address (a 404 otherwise),
so tests and developers on the same machine can steer the sandbox. Faults, latency and rate
limits never apply here, and these calls are not written to the request log.
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

from flask import Blueprint, Response, request

from sandbox import auth, inventory
from sandbox.app import json_body, json_response, runtime
from sandbox.errors import ApiError

bp = Blueprint("admin", __name__, url_prefix="/__sandbox__")


@bp.get("/health")
def health() -> Response:
    """Liveness plus a few facts about this instance."""
    rt = runtime()
    with rt.store.tx() as db:
        regions = inventory.region_names(db)
    return json_response(
        {
            "status": "ok",
            "db": rt.store.path,
            "regions": regions,
            "uptime_seconds": round(time.time() - rt.started, 3),
        }
    )


@bp.get("/requests")
def list_requests() -> Response:
    """The request log as a JSON list, oldest first; ``?since=SEQ`` returns only newer entries."""
    try:
        since = int(request.args.get("since", "0"))
    except ValueError:
        raise ApiError(400, "since must be an integer") from None
    return json_response(runtime().requests.entries(since))


@bp.delete("/requests")
def clear_requests() -> Response:
    """Empty the request log."""
    runtime().requests.clear()
    return Response(status=204)


@bp.get("/faults")
def get_faults() -> Response:
    """Current fault, latency, rate-limit and token settings."""
    return json_response(runtime().traffic.snapshot())


@bp.put("/faults")
def put_faults() -> Response:
    """Change some settings (keys not given keep their value)."""
    try:
        return json_response(runtime().traffic.update(json_body()))
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None


@bp.delete("/faults")
def reset_faults() -> Response:
    """Back to the settings the sandbox started with."""
    return json_response(runtime().traffic.restore_defaults())


@bp.delete("/tokens")
def expire_tokens() -> Response:
    """Expire every issued token now (to exercise clients' re-authentication)."""
    with runtime().store.tx() as db:
        count = auth.expire_all(db)
    return json_response({"expired": count})


@bp.post("/reset")
def reset() -> Response:
    """Throw the world away and apply the seed again (tokens stay valid)."""
    rt = runtime()
    with rt.store.tx() as db:
        inventory.wipe(db)
        inventory.apply_seed(db, rt.seed)
    return json_response({"status": "reset"})


@bp.get("/state")
def state() -> Response:
    """``{tenant: {region: {servers, ports, ip_addresses (with pairs), associations}}}``."""
    rt = runtime()
    dump: dict[str, dict[str, dict[str, list[Any]]]] = defaultdict(
        lambda: defaultdict(
            lambda: {"servers": [], "ports": [], "ip_addresses": [], "associations": []}
        )
    )
    with rt.store.tx() as db:
        for s in db.execute("SELECT * FROM servers ORDER BY rowid"):
            dump[s["tenant_id"]][s["region"]]["servers"].append(
                {"id": s["id"], "name": s["name"], "zone": s["zone"], "status": s["status"]}
            )
        for p in db.execute("SELECT * FROM ports ORDER BY rowid"):
            dump[p["tenant_id"]][p["region"]]["ports"].append(
                {
                    "id": p["id"],
                    "network_id": p["network_id"],
                    "device_id": p["device_id"],
                    "segment": p["segment"],
                }
            )
        pairs: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in db.execute(
            "SELECT pi.*, p.device_id FROM port_ips pi JOIN ports p ON p.id = pi.port_id"
            " ORDER BY pi.rowid"
        ):
            pairs[r["ip_id"]].append(
                {
                    "port_id": r["port_id"],
                    "device_id": r["device_id"],
                    "service": r["service"],
                    "enabled": bool(r["enabled"]),
                }
            )
        for ip in db.execute("SELECT * FROM ip_addresses WHERE deallocated = 0 ORDER BY rowid"):
            where = dump[ip["tenant_id"]][ip["region"]]
            where["ip_addresses"].append(
                {
                    "id": ip["id"],
                    "address": ip["address"],
                    "network_id": ip["network_id"],
                    "version": ip["version"],
                    "type": ip["type"],
                    "pairs": pairs[ip["id"]],
                }
            )
            for pair in pairs[ip["id"]]:
                if pair["service"] == "compute":
                    where["associations"].append(
                        {
                            "server_id": pair["device_id"],
                            "ip_address_id": ip["id"],
                            "address": ip["address"],
                        }
                    )
    return json_response(dump)
