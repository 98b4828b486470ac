"""The Flask application: request gate (faults, auth, rate limits), error rendering, wiring.

This is the top of the sandbox's web layer: :func:`create_app` registers the blueprints, which
take their shared helpers from :mod:`sandbox.context` below them, never from here.

Why Flask on werkzeug: Flask is the best-known small WSGI framework, its routing and error
handlers keep each emulated operation a short function, and werkzeug's threaded server exposes
the raw client socket (``environ["werkzeug.socket"]``), which the fault injector needs to
drop a connection without answering. Heavier servers (gunicorn, waitress) hide the socket.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from datetime import UTC, datetime

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from sandbox import admin, auth, identity, inventory, networks, servers
from sandbox.context import EXTENSION_KEY, Runtime, json_response, runtime
from sandbox.errors import ApiError, Service, error_body
from sandbox.origin import foreign_origin, host_allowed, is_loopback
from sandbox.requestlog import DROP_KEY, FAULT_KEY, TENANT_KEY, RecordingMiddleware

log = logging.getLogger("sandbox")

#: Largest request body accepted; bigger ones get 413 without ``Retry-After``.
MAX_BODY_BYTES = 1024 * 1024


def classify(path: str) -> tuple[Service, list[str]]:
    """Which service a path belongs to, plus its segments."""
    segs = [s for s in path.split("/") if s]
    if segs[:1] == ["__sandbox__"]:
        return Service.ADMIN, segs
    if segs[:1] == ["v2.0"]:
        return Service.IDENTITY, segs
    if len(segs) >= 2 and segs[1] == "networks":
        return Service.NETWORKS, segs
    if len(segs) >= 2 and segs[1] == "servers":
        return Service.SERVERS, segs
    return Service.OTHER, segs


def _rate_limit(key: str) -> None:
    rt = runtime()
    wait = rt.traffic.over_limit(key)
    if wait is None:
        return
    request.environ[FAULT_KEY] = "rate_limit"
    retry = rt.traffic.retry_after(wait)
    retry_at = datetime.fromtimestamp(time.time() + retry, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    raise ApiError(
        413,
        "OverLimit Retry...",
        details="Error Details...",
        headers={"Retry-After": str(retry)},
        extra={"retryAt": retry_at},
    )


def _refuse_browsers() -> None:
    """403 for a foreign ``Host`` (DNS rebinding) or a page of another origin (CSRF)."""
    host = request.environ.get("HTTP_HOST")
    if not host_allowed(host, runtime().bind_host):
        request.environ[FAULT_KEY] = "refused_host"
        raise ApiError(
            403,
            f"Host {host!r} is refused: the sandbox answers requests for loopback names and "
            "addresses and its --host only (DNS rebinding protection).",
        )
    origin = request.headers.get("Origin")
    if foreign_origin(origin, request.headers.get("Sec-Fetch-Site"), host):
        request.environ[FAULT_KEY] = "refused_origin"
        raise ApiError(
            403,
            f"Cross-origin request from {origin or 'another site'} refused: web pages may not "
            "drive the sandbox.",
        )


def gate() -> Response | None:
    """Runs before every request: browser checks, latency, faults, token, tenant, rate limit."""
    service, segs = classify(request.path)
    g.service = service
    _refuse_browsers()
    if service is Service.ADMIN:
        if not is_loopback(request.remote_addr):
            raise ApiError(404, "The resource could not be found.")
        return None
    rt = runtime()
    settings = rt.traffic.settings
    if settings.latency_ms:
        time.sleep(settings.latency_ms / 1000)
    fault = rt.traffic.pick_fault(request.path)
    if fault is not None:
        request.environ[FAULT_KEY] = fault
        if fault == "drop":
            request.environ[DROP_KEY] = True
            return Response(status=500)  # never sent: the middleware drops the socket
        status = int(fault)
        text = "The server has either erred or is incapable of performing the requested operation."
        if status == 503:
            raise ApiError(
                503, "The service is temporarily unavailable.", headers={"Retry-After": "1"}
            )
        raise ApiError(status, text)
    if service is Service.IDENTITY:
        _rate_limit(f"identity:{request.remote_addr}")
        return None
    if service is Service.OTHER:
        raise ApiError(404, "The resource could not be found.")
    region = segs[0].upper()
    with rt.store.tx() as db:
        if inventory.region_row(db, region) is None:
            raise ApiError(404, f"Region {segs[0]} is not served by this sandbox.")
        g.caller = auth.caller_for(db, request.headers.get("X-Auth-Token"))
    request.environ[TENANT_KEY] = g.caller.tenant_id
    if service is Service.SERVERS and len(segs) >= 4 and segs[3] != g.caller.tenant_id:
        # Also how a path without the tenant fails: the next segment is read as the tenant.
        raise auth.unauthorized("The token is not valid for tenant " + segs[3] + ".")
    method_class = "read" if request.method in ("GET", "HEAD") else "write"
    _rate_limit(f"{g.caller.tenant_id}:{method_class}")
    g.region = region
    return None


def render_error(error: ApiError) -> Response:
    """An :class:`ApiError` in the calling service's error shape."""
    service = g.get("service") or classify(request.path)[0]
    return json_response(error_body(service, error), error.status, error.headers)


def http_error(exc: HTTPException) -> Response:
    """Routing errors, oversize bodies and the like, in API shape."""
    code = exc.code or 500
    messages = {
        404: "The resource could not be found.",
        405: f"The method {request.method} is not allowed for this resource.",
        413: f"The request body is too large (limit {MAX_BODY_BYTES} bytes).",
    }
    headers = {}
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        headers["Allow"] = ", ".join(exc.valid_methods)
    return render_error(
        ApiError(code, messages.get(code, exc.description or exc.name), headers=headers)
    )


def crash(exc: Exception) -> Response:
    """Any unexpected failure: logged on stderr, a 500 fault body to the client.

    A database failure (disk full, file made read-only or corrupted while serving) is an
    operating problem, not a bug: one line naming the file, no traceback.
    """
    if isinstance(exc, sqlite3.Error):
        path = runtime().store.path
        log.error("database %s failed on %s %s: %s", path, request.method, request.path, exc)
        return render_error(
            ApiError(500, f"The sandbox database failed ({exc}); the sandbox log names the file.")
        )
    log.exception("unexpected error handling %s %s", request.method, request.path)
    return render_error(ApiError(500, "Internal sandbox error; the sandbox log has the details."))


def create_app(rt: Runtime, *, echo_requests: bool = False) -> Flask:
    """The WSGI application serving every emulated API plus the admin path."""
    app = Flask("sandbox")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.extensions[EXTENSION_KEY] = rt
    app.url_map.strict_slashes = False
    app.before_request(gate)
    app.register_error_handler(ApiError, render_error)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, crash)
    for blueprint in (identity.bp, networks.bp, servers.bp, admin.bp):
        app.register_blueprint(blueprint)
    app.wsgi_app = RecordingMiddleware(app.wsgi_app, rt.requests, echo_requests)  # type: ignore[method-assign]
    return app
