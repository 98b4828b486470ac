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


class Forbidden(ApiError):
    """403: the account or role may not do this."""


class NotFound(ApiError):
    """404: the object (or a parent of it) does not exist for this tenant."""


class Conflict(ApiError):
    """409: a conflict or quota error."""


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
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else ApiError)
    if status == 400 and _is_port_requires_disassociation(parsed):
        cls = PortRequiresDisassociation
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


def _is_port_requires_disassociation(parsed: ErrorBody) -> bool:
    """Keyed on the API's own error type; the message is read only when the body has no type.

    quark's extension controller may answer with a bare webob page instead of the NeutronError
    envelope (research §3.1, open question 1); its text is then quark's fixed message.
    """
    if parsed.code:
        return parsed.code == "PortRequiresDisassociation"
    return "requires disassociation" in parsed.message.lower()


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
