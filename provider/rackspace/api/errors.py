"""Typed errors raised by the API client, and parsing of the APIs' error bodies.

Three body shapes exist (see the API research): Neutron's `{"NeutronError": {...}}`, Nova / Repose
fault elements such as `{"itemNotFound": {"code": 404, "message": ...}}` (Identity uses the same
form, e.g. `unauthorized`), and anything else, which is kept as raw text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

# Longest raw body quoted in an error message; the rest of an HTML error page is noise.
_RAW_TEXT_LIMIT = 300

_REQUEST_ID_HEADERS = (
    "x-compute-request-id",
    "x-openstack-request-id",
    "x-request-id",
    "x-trans-id",
)


@dataclass(frozen=True)
class ErrorBody:
    """What an error response says about itself."""

    code: str = ""  # the API's error type, e.g. "PortRequiresDisassociation" or "itemNotFound"
    message: str = ""
    retry_at: str = ""  # ISO 8601 timestamp from an `overLimit` fault, if any


def parse_error_body(body: bytes | str) -> ErrorBody:
    """Read the error type and message from any of the known body shapes, else the raw text."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = text.strip()
    if not text:
        return ErrorBody()
    try:
        data: Any = json.loads(text)
    except ValueError:
        return ErrorBody(message=_shorten(text))
    if isinstance(data, dict):
        neutron = data.get("NeutronError")
        if isinstance(neutron, dict):
            message = str(neutron.get("message") or "")
            detail = str(neutron.get("detail") or "")
            if detail and detail not in message:
                message = f"{message} ({detail})" if message else detail
            return ErrorBody(code=str(neutron.get("type") or ""), message=message)
        if isinstance(neutron, str):
            return ErrorBody(message=neutron)
        # Nova / Identity fault: a single key naming the fault, holding code/message/details.
        if len(data) == 1:
            ((name, fault),) = data.items()
            if isinstance(fault, dict) and ("message" in fault or "code" in fault):
                message = str(fault.get("message") or "")
                details = str(fault.get("details") or "")
                if details and details not in message:
                    message = f"{message} ({details})" if message else details
                return ErrorBody(
                    code=str(name), message=message, retry_at=str(fault.get("retryAt") or "")
                )
        for key in ("message", "error", "title"):
            if isinstance(data.get(key), str):
                return ErrorBody(message=data[key])
    return ErrorBody(message=_shorten(text))


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _RAW_TEXT_LIMIT else text[:_RAW_TEXT_LIMIT] + "…"


class ApiError(Exception):
    """An API call failed. `status` is the HTTP status, 0 when no response arrived."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        code: str = "",
        request_id: str = "",
        method: str = "",
        url: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id
        self.method = method
        self.url = url
        self.retry_after = retry_after

    def describe(self) -> str:
        """A diagnostic's detail: HTTP status, the API's own code and message, request id."""
        parts = []
        if self.status:
            parts.append(f"HTTP {self.status}")
        if self.method and self.url:
            parts.append(f"from {self.method} {self.url}")
        head = " ".join(parts)
        code = f"{self.code}: " if self.code else ""
        text = f"{head}: {code}{self.message}" if head else f"{code}{self.message}"
        if self.request_id:
            text += f" (request id {self.request_id})"
        return text

    def __str__(self) -> str:
        return self.describe()


class BadRequest(ApiError):
    """400: the API refused the request as invalid."""


class Unauthorized(ApiError):
    """401: missing, wrong or expired credentials or token."""


class PortRequiresDisassociation(BadRequest):
    """400 `PortRequiresDisassociation`: a server is still explicitly associated with the IP.

    Cloud Networks answers it to a DELETE of the IP, or to a PUT that drops such a server's
    port, until the association is removed through the Servers API (research §5.4, §5.5).
    """


class PortNotOnNetwork(BadRequest):
    """400 to a shared-IP create: a port (or server's port) named is not on `network_id`.

    quark raises a generic `BadRequest` ("Must have ports connected to the requested network",
    research §6 row 9), so the message is the only signal.
    """


class SegmentMismatch(BadRequest):
    """400 to a shared-IP create on PublicNet: the ports are in different public IP zones.

    quark's "Segment id's do not match." is a generic `BadRequest` (research §6 row 10).
    """


class AlreadyAssociated(BadRequest):
    """400 to an association PUT because the association already exists.

    The API's answer to a repeated PUT is unsettled (research §5.8, open question 4): 200/201
    (idempotent) or 400 "association already exists" with the generic `badRequest` fault, so
    the Servers client recognises it by the message of that one call; callers confirm it with
    `ServersApi.find_ip_association`.
    """


class Forbidden(ApiError):
    """403: the account or role may not do this."""


class NotFound(ApiError):
    """404: the object (or a parent of it) does not exist for this tenant."""


class NetworkNotFound(NotFound):
    """404 `NetworkNotFound`: the network named does not exist for this tenant (§6 row 6)."""


class PortsNotFound(NotFound):
    """404 to a shared-IP create: some ports or servers named were not found on the network.

    Types `NotAllPortOrDeviceFound`, `PortNotFoundOnNetwork` and `PortNotFound` (§6 row 8).
    The answer does not say which ones; `finders.find_missing_ports` / `find_missing_servers`
    do.
    """


class Conflict(ApiError):
    """409: a conflict or quota error."""


class QuotaExceeded(Conflict):
    """409 quota error: `CannotCreateMoreSharedIPs` (shared IPs per tenant and network),
    `CannotAddMoreIPsToPort` (IPs per port) or neutron-lib's `OverQuota` (§3.2, §6 rows 11-12).
    `per_port` tells the second from the first."""

    @property
    def per_port(self) -> bool:
        """Whether the limit is the per-port one (remove IPs from those ports)."""
        return self.code == "CannotAddMoreIPsToPort"


class RateLimited(ApiError):
    """413 / 429: over a rate limit; `retry_after` holds the wait the API asked for, if any."""


class ServerError(ApiError):
    """5xx: the service failed."""


class ConnectionFailed(ApiError):
    """No HTTP response: connection refused, name not resolved, reset, or timed out.

    `kind` says which: "refused", "dns", "timeout", "tls" or "lost"; `attempts` and `elapsed`
    (seconds, from the first attempt to giving up) say how hard the transport tried.
    """

    def __init__(self, message: str, *, kind: str = "lost", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.kind = kind
        self.attempts = 1
        self.elapsed = 0.0

    def describe(self) -> str:
        """The base description plus the attempts made, e.g. "(3 attempts over 3.4 s)"."""
        tries = "1 attempt" if self.attempts == 1 else f"{self.attempts} attempts"
        return f"{super().describe()} ({tries} over {self.elapsed:.1f} s)"


class AmbiguousOutcome(ApiError):
    """A non-idempotent request may have reached the server, but no answer came back.

    Retrying could create a duplicate, so the caller must find out what happened itself.
    """


class Cancelled(ApiError):
    """Terraform asked the provider to stop while the request was waiting to be retried."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: RateLimited,
    429: RateLimited,
}


def error_for_status(
    status: int,
    body: bytes | str,
    headers: Any = None,
    *,
    method: str = "",
    url: str = "",
    retry_after: float | None = None,
) -> ApiError:
    """Build the typed error for an HTTP error response."""
    parsed = parse_error_body(body)
    cls = _classify(status, parsed)
    message = parsed.message or _default_message(status)
    return cls(
        message,
        status=status,
        code=parsed.code,
        request_id=request_id_from(headers),
        method=method,
        url=url,
        retry_after=retry_after,
    )


# The API's own error types (`NeutronError.type`), by the status they come with (research §6).
_BY_TYPE: dict[tuple[int, str], type[ApiError]] = {
    (400, "PortRequiresDisassociation"): PortRequiresDisassociation,
    (404, "NetworkNotFound"): NetworkNotFound,
    (404, "NotAllPortOrDeviceFound"): PortsNotFound,
    (404, "PortNotFoundOnNetwork"): PortsNotFound,
    (404, "PortNotFound"): PortsNotFound,
    (409, "CannotCreateMoreSharedIPs"): QuotaExceeded,
    (409, "CannotAddMoreIPsToPort"): QuotaExceeded,
    (409, "OverQuota"): QuotaExceeded,
}
# Types that say nothing beyond the status: the message is then the only signal.
_GENERIC_TYPES = frozenset({"", "BadRequest", "HTTPBadRequest", "badRequest", "InvalidInput"})
_GENERIC_NOT_FOUND = frozenset({"", "NotFound", "HTTPNotFound"})
# quark's fixed messages for errors it raises as a generic `BadRequest` (research §6).
_BY_MESSAGE: tuple[tuple[str, type[ApiError]], ...] = (
    ("segment id", SegmentMismatch),
    ("must have ports connected to the requested network", PortNotOnNetwork),
)


def _classify(status: int, parsed: ErrorBody) -> type[ApiError]:
    """The most specific error class: keyed on the API's own error type; the message is read
    only for a 400 whose type is generic or missing."""
    specific = _BY_TYPE.get((status, parsed.code))
    if specific is not None:
        return specific
    text = parsed.message.lower()
    if status == 400 and not parsed.code and "requires disassociation" in text:
        # A bare webob page in place of the NeutronError envelope (§3.1, open question 1): a
        # typed one is never taken for it, whatever its message says.
        return PortRequiresDisassociation
    if status == 400 and parsed.code in _GENERIC_TYPES:
        for fragment, cls in _BY_MESSAGE:
            if fragment in text:
                return cls
    # A webob page: "Network <id> could not be found." (one about ports or devices names them).
    if (
        status == 404
        and parsed.code in _GENERIC_NOT_FOUND
        and "network" in text
        and not ("port" in text or "device" in text)
    ):
        return NetworkNotFound
    return _BY_STATUS.get(status) or (ServerError if status >= 500 else ApiError)


def request_id_from(headers: Any) -> str:
    """The request id the API put in its response headers, if any."""
    if not headers:
        return ""
    for name in _REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return str(value)
    return ""


def _default_message(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "error"


class EndpointNotFound(ApiError):
    """The service catalog has no endpoint for a service in the configured region."""

    def __init__(self, service: str, region: str, regions: list[str]) -> None:
        offered = ", ".join(regions) if regions else "none"
        super().__init__(
            f"the service catalog has no `{service}` endpoint in region {region!r} "
            f"(regions offered for it: {offered})"
        )
        self.service = service
        self.region = region
        self.regions = regions
