"""What every request handler shares: the runtime, the caller, and JSON in and out.

The blueprints (``identity``, ``networks``, ``servers``, ``admin``) import these helpers from
here, below them, and :mod:`sandbox.app` wires the blueprints from above, as in Flask's
tutorial layout (``flaskr/db.py`` under the blueprints, the factory over them). Nothing here
imports a blueprint or the application, so no import runs back up.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from flask import Response, current_app, g, request

from sandbox.auth import Caller
from sandbox.errors import ApiError
from sandbox.requestlog import RequestLog
from sandbox.seed import Seed
from sandbox.store import Store
from sandbox.traffic import TrafficControl

#: The key of the :class:`Runtime` in ``Flask.extensions``.
EXTENSION_KEY = "sandbox"


@dataclass
class Runtime:
    """Everything the request handlers share."""

    store: Store
    seed: Seed
    traffic: TrafficControl = field(default_factory=TrafficControl)
    requests: RequestLog = field(default_factory=RequestLog)
    started: float = field(default_factory=time.time)
    #: The ``--host`` the sandbox serves; requests must name it or a loopback host.
    bind_host: str = "127.0.0.1"


def runtime() -> Runtime:
    """The :class:`Runtime` of the current application."""
    rt: Runtime = current_app.extensions[EXTENSION_KEY]
    return rt


def caller() -> Caller:
    """The authenticated caller of the current request (set by the application's gate)."""
    who: Caller = g.caller
    return who


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response (compact, keys in insertion order)."""
    return Response(json.dumps(data), status=status, headers=headers, mimetype="application/json")


def no_content() -> Response:
    """204 with an empty body."""
    return Response(status=204, mimetype="application/json")


def json_body(*, optional: bool = False) -> Any:
    """The parsed JSON request body; 400/413/415 with an API body on bad input."""
    data = request.get_data(cache=True)  # raises 413 past MAX_CONTENT_LENGTH
    if not data.strip():
        if optional:
            return None
        raise ApiError(400, "The request body is empty; a JSON document is required.")
    if "xml" in (request.mimetype or ""):
        raise ApiError(415, f"Unsupported media type {request.mimetype}; send application/json.")
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        raise ApiError(400, "Malformed request body: the body is not valid JSON.") from None
