"""API errors and the three error-body shapes the emulated services answer with.

* Cloud Networks: ``{"NeutronError": {"type", "message", "detail"}}``.
* Cloud Servers: a Nova fault element named after the error, e.g.
  ``{"itemNotFound": {"code": 404, "message": ..., "details": ...}}``.
* Identity: the same fault-element form (``unauthorized``, ``badRequest``, ...).

401 and 413 are produced by the authentication / rate-limiting layer that sits in front of
both Rackspace services (Repose), so they use the fault-element form on every service.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Service(StrEnum):
    """Which emulated API a request belongs to (decides the error body shape)."""

    IDENTITY = "identity"
    NETWORKS = "networks"
    SERVERS = "servers"
    ADMIN = "admin"
    OTHER = "other"


_FAULT_ELEMENTS = {
    400: "badRequest",
    401: "unauthorized",
    403: "forbidden",
    404: "itemNotFound",
    405: "badMethod",
    409: "conflictingRequest",
    413: "overLimit",
    415: "badMediaType",
    500: "computeFault",
    501: "notImplemented",
    503: "serviceUnavailable",
}

_NEUTRON_TYPES = {
    400: "BadRequest",
    403: "Forbidden",
    404: "NotFound",
    405: "HTTPMethodNotAllowed",
    409: "Conflict",
    413: "RequestEntityTooLarge",
    415: "HTTPUnsupportedMediaType",
    500: "HTTPInternalServerError",
    501: "HTTPNotImplemented",
    503: "HTTPServiceUnavailable",
}


class ApiError(Exception):
    """An HTTP error answered to the client with the calling service's error body.

    ``type`` is the Neutron exception class name (used only in the ``NeutronError`` envelope);
    ``details`` fills the Nova fault's ``details`` field; ``extra`` adds keys to a fault
    element (``retryAt`` on ``overLimit``).
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str | None = None,
        details: str = "",
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type or _NEUTRON_TYPES.get(status, "HTTPError")
        self.details = details
        self.headers = headers or {}
        self.extra = extra or {}


def bad_request(message: str, *, type: str = "BadRequest", resource: str | None = None) -> ApiError:
    """A 400; with ``resource`` the message is rendered as Neutron's ``Bad <resource> request``."""
    if resource is not None:
        message = f"Bad {resource} request: {message.rstrip('.')}."
    return ApiError(400, message, type=type)


def error_body(service: Service, error: ApiError) -> dict[str, Any]:
    """The JSON body for ``error`` in the shape ``service`` uses."""
    if service is Service.NETWORKS and error.status not in (401, 413):
        return {"NeutronError": {"type": error.type, "message": error.message, "detail": ""}}
    element = _FAULT_ELEMENTS.get(
        error.status, "computeFault" if error.status >= 500 else "badRequest"
    )
    if service is Service.IDENTITY and error.status == 500:
        element = "identityFault"
    fault: dict[str, Any] = {"code": error.status, "message": error.message}
    if service is not Service.IDENTITY or error.details:
        fault["details"] = error.details
    fault.update(error.extra)
    return {element: fault}
