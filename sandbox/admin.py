"""The sandbox-only admin path ``/__sandbox__/*``.

No token is needed, and it answers only requests from a loopback address (a 404 otherwise),
so tests and developers on the same machine can steer the sandbox. Faults, latency and rate
limits never apply here, and these calls are not written to the request log.
"""

from __future__ import annotations

import time

from flask import Blueprint, Response, request

from sandbox import auth, inventory
from sandbox.context import json_body, json_response, runtime
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
    with runtime().store.tx() as db:
        dump = inventory.world_state(db)
    return json_response(dump)
