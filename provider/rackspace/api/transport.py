"""The one HTTP session of the provider: pooled urllib3, retries with backoff, cancellation.

Imported only once the provider is configured (it pulls in urllib3). Retries are done here,
not by urllib3, so that each wait can be cut short by Terraform's StopProvider and so that a
non-idempotent request is never repeated once it may have reached the server.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import re
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import urllib3
from urllib3 import exceptions as u3
from urllib3.util import parse_url

from provider.plugin.context import current_cancellation
from provider.plugin.logging import get_logger
from provider.rackspace.api.errors import (
    AmbiguousOutcome,
    ApiError,
    Cancelled,
    ConnectionFailed,
    error_for_status,
    parse_error_body,
    request_id_from,
)

log = get_logger("rackspace.http")

# Statuses that mean "try again later"; 413 is how Repose reports a rate limit.
RETRY_STATUSES = frozenset({413, 429, 500, 502, 503})
# Of those, the ones after which a POST is known not to have been acted on.
_RETRY_STATUSES_NOT_APPLIED = frozenset({413, 429, 503})
# Terraform runs up to 10 operations at once by default; leave head-room for -parallelism.
DEFAULT_POOL_SIZE = 16
_BACKOFF_CAP = 30.0
# `scheme://authority` at the start of a URL: the part that picks the connection pool.
_URL_HEAD = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*")


@dataclass(frozen=True)
class Response:
    """A successful HTTP response."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    method: str = ""
    url: str = ""

    def json(self) -> Any:
        """The decoded JSON body, or None for an empty body."""
        if not self.body.strip():
            return None
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise ApiError(
                f"the API answered with a body that is not JSON ({exc})",
                status=self.status,
                method=self.method,
                url=self.url,
                request_id=request_id_from(self.headers),
            ) from None


class Transport:
    """Pooled, thread-safe HTTP with bounded retries; one per provider process.

    `pool` is a urllib3 `PoolManager` (or anything with its `connection_from_url`); the
    transport asks it once per endpoint (`scheme://host:port`) for that endpoint's connection
    pool and sends each request to it directly, so the URL is not parsed and the pool not looked
    up again on every call.
    """

    def __init__(
        self,
        *,
        timeout: float = 60.0,
        max_retries: int = 5,
        insecure: bool = False,
        cacert_file: str | None = None,
        cancelled: threading.Event | None = None,
        user_agent: str = "terraform-provider-rackspace",
        pool_size: int = DEFAULT_POOL_SIZE,
        backoff_base: float = 0.5,
        pool: Any = None,
    ) -> None:
        self.timeout = float(timeout)
        self.max_retries = int(max_retries)
        self.cancelled = cancelled or threading.Event()
        self.user_agent = user_agent
        self.backoff_base = backoff_base
        if pool is None:
            kwargs: dict[str, Any] = {"num_pools": 8, "maxsize": pool_size, "block": False}
            if insecure:
                kwargs["cert_reqs"] = "CERT_NONE"
                urllib3.disable_warnings(u3.InsecureRequestWarning)
            elif cacert_file:
                kwargs["ca_certs"] = cacert_file
            pool = urllib3.PoolManager(**kwargs)
        self._pool = pool
        # Built once: every attempt of every request uses the same limits.
        self._timeout = urllib3.Timeout(connect=min(self.timeout, 15.0), read=self.timeout)
        # URL head (`scheme://authority` as written) -> (its connection pool, its origin).
        self._endpoints: dict[str, tuple[Any, str]] = {}
        self._endpoints_lock = threading.Lock()
        # Endpoints (scheme://host:port) that have answered in this process: a refused
        # connection to one of them is a restart worth waiting for, to any other a wrong URL.
        self._answered: set[str] = set()
        self._answered_lock = threading.Lock()

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        json_body: Any = None,
        idempotent: bool | None = None,
        cancelled: threading.Event | None = None,
    ) -> Response:
        """Send one logical request, retrying what is safe to retry; raise `ApiError` on failure.

        `idempotent` defaults to False for POST. A non-idempotent request is retried only when
        it certainly was not acted on (no connection, or 413 / 429 / 503); otherwise
        `AmbiguousOutcome` (no answer) or the server error (500 / 502) is raised.
        Cancellation (`Cancelled`, checked before each attempt and during each wait) comes from
        `cancelled`, else the current RPC's event (`current_cancellation()`), else the
        transport's own.
        """
        if idempotent is None:
            idempotent = method.upper() != "POST"
        # The RPC's own event when running under one (StopProvider sets it), so a caller never
        # binds cancellation by hand; the transport's event otherwise.
        cancel = cancelled or current_cancellation() or self.cancelled
        all_headers = {"Accept": "application/json", "User-Agent": self.user_agent}
        body: bytes | None = None
        if json_body is not None:
            body = json.dumps(json_body).encode()
            all_headers["Content-Type"] = "application/json"
        if headers:
            all_headers.update(headers)
        pool, origin, target = self._endpoint(url)

        attempt = 0
        first_started = time.monotonic()
        while True:
            if cancel.is_set():
                raise Cancelled("cancelled: Terraform is stopping", method=method, url=url)
            attempt += 1
            started = time.monotonic()
            try:
                try:
                    raw = self._send(pool, method, target, body, all_headers)
                except u3.ClosedPoolError:
                    # The manager dropped this endpoint's pool (it holds a bounded number):
                    # ask it for a new one and send again; nothing was sent on a closed pool.
                    pool, origin, target = self._endpoint(url, renew=True)
                    raw = self._send(pool, method, target, body, all_headers)
            except u3.HTTPError as exc:
                error, sent = _connection_error(exc, method, url)
                error.attempts, error.elapsed = attempt, time.monotonic() - first_started
                if not idempotent and sent:
                    raise AmbiguousOutcome(
                        f"no answer to a request that may have reached the API ({error.message})",
                        method=method,
                        url=url,
                    ) from None
                if not self._worth_retrying(error, origin) or attempt > self.max_retries:
                    raise error from None
                wait = self._backoff(attempt)
                log.warning(
                    "%s %s failed (%s); retrying in %.1f s (attempt %d of %d)",
                    method,
                    url,
                    error.message,
                    wait,
                    attempt + 1,
                    self.max_retries + 1,
                )
                self._wait(wait, cancel, method, url)
                continue

            status = raw.status
            if origin not in self._answered:
                with self._answered_lock:
                    self._answered.add(origin)
            resp_headers = raw.headers
            # The request id is looked up only for a line that will be written: on every call
            # that is four case-insensitive header lookups for nothing.
            if log.isEnabledFor(logging.DEBUG):
                log.debug(
                    "%s %s -> %d in %.0f ms%s",
                    method,
                    url,
                    status,
                    (time.monotonic() - started) * 1000,
                    _rid(resp_headers),
                )
            if status < 400:
                return Response(status, resp_headers, raw.data or b"", method, url)

            retry_after = _retry_after(resp_headers, raw.data or b"")
            refusal = error_for_status(
                status,
                raw.data or b"",
                resp_headers,
                method=method,
                url=url,
                retry_after=retry_after,
            )
            retryable = status in RETRY_STATUSES and (
                idempotent or status in _RETRY_STATUSES_NOT_APPLIED
            )
            if not retryable or attempt > self.max_retries:
                raise refusal
            wait = retry_after if retry_after is not None else self._backoff(attempt)
            if wait > self.timeout:
                refusal.message = (
                    f"{refusal.message} (the API asked to retry after {wait:.0f} s, "
                    f"longer than request_timeout = {self.timeout:.0f} s)"
                )
                raise refusal
            log.warning(
                "%s %s -> %d; retrying in %.1f s (attempt %d of %d)",
                method,
                url,
                status,
                wait,
                attempt + 1,
                self.max_retries + 1,
            )
            self._wait(wait, cancel, method, url)

    def _send(
        self, pool: Any, method: str, target: str, body: bytes | None, headers: dict[str, str]
    ) -> Any:
        """One attempt on `pool`; retries and redirects are this transport's own business."""
        return pool.urlopen(
            method,
            target,
            body=body,
            headers=headers,
            timeout=self._timeout,
            retries=False,
            redirect=False,
            assert_same_host=False,
        )

    def _endpoint(self, url: str, renew: bool = False) -> tuple[Any, str, str]:
        """(connection pool, origin, request target) for `url`; pools are kept per URL head."""
        match = _URL_HEAD.match(url)
        head = match.group(0) if match else url
        target = url[len(head) :]
        if "#" in target:  # a fragment is never sent (urllib3 drops it too)
            target = target.split("#", 1)[0]
        if not target.startswith("/"):
            target = "/" + target
        found = None if renew else self._endpoints.get(head)
        if found is None:
            with self._endpoints_lock:
                found = None if renew else self._endpoints.get(head)
                if found is None:
                    found = (self._pool.connection_from_url(head), _origin(head))
                    self._endpoints[head] = found
        return found[0], found[1], target

    def _worth_retrying(self, error: ConnectionFailed, origin: str) -> bool:
        """Whether waiting can fix a failure without a response.

        A name that does not resolve, a TLS failure, or a refused connection to an endpoint
        that never answered in this process (a wrong `auth_url`, a closed port) stays so;
        a timeout, a lost connection, or a refusal from an endpoint that answered before (a
        restart) may pass.
        """
        if error.kind in ("dns", "tls"):
            return False
        if error.kind == "refused":
            return origin in self._answered
        return True

    def close(self) -> None:
        """Close pooled connections."""
        with self._endpoints_lock:
            self._endpoints.clear()
        self._pool.clear()

    def _backoff(self, attempt: int) -> float:
        # Exponential with full jitter keeps parallel Terraform operations from retrying in step.
        ceiling = min(_BACKOFF_CAP, self.timeout, self.backoff_base * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)

    @staticmethod
    def _wait(seconds: float, cancel: threading.Event, method: str, url: str) -> None:
        if cancel.wait(max(0.0, seconds)):
            raise Cancelled(
                "cancelled while waiting to retry: Terraform is stopping", method=method, url=url
            )


def _connection_error(exc: Exception, method: str, url: str) -> tuple[ConnectionFailed, bool]:
    """Describe a failure without a response, and whether the request may have been sent."""
    reason: Exception = exc
    if isinstance(exc, u3.MaxRetryError) and exc.reason is not None:
        reason = exc.reason
    # Failing to connect (refused, DNS, connect timeout) means nothing was sent.
    sent = not isinstance(reason, u3.NewConnectionError | u3.ConnectTimeoutError | u3.SSLError)
    host = _origin(url).split("://", 1)[-1]
    cause = reason.__context__ or reason.__cause__
    if isinstance(reason, u3.SSLError):
        kind, text = "tls", "TLS error; check `cacert_file` or `insecure`"
    elif isinstance(reason, u3.ReadTimeoutError):
        kind, text = "timeout", "timed out waiting for the response (request_timeout)"
    elif isinstance(reason, u3.ConnectTimeoutError) and not isinstance(
        reason, u3.NewConnectionError
    ):
        kind, text = "timeout", f"timed out connecting to {host}"
    elif isinstance(reason, u3.NameResolutionError) or isinstance(cause, socket.gaierror):
        # EAI_AGAIN is a resolver that did not answer in time, not a name that does not exist.
        transient = isinstance(cause, socket.gaierror) and cause.errno == socket.EAI_AGAIN
        kind = "timeout" if transient else "dns"
        text = f"could not resolve the host name {host.rsplit(':', 1)[0]}"
    elif isinstance(reason, u3.NewConnectionError) and isinstance(cause, ConnectionRefusedError):
        kind, text = "refused", f"connection refused by {host} (nothing is listening there)"
    elif isinstance(reason, u3.NewConnectionError):
        kind, text = "lost", f"could not connect to {host}"
    else:
        kind, text = "lost", "connection lost"
    # The operating system's own words ("[Errno 111] Connection refused") say it best.
    detail = str(cause) if kind in ("refused", "dns") and cause else _reason_text(reason)
    message = f"{text}: {detail}" if detail else text
    return ConnectionFailed(message, kind=kind, method=method, url=url), sent


def _origin(url: str) -> str:
    """`scheme://host:port` of a URL (the default port filled in)."""
    parsed = parse_url(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    return f"{parsed.scheme}://{parsed.host}:{port}"


def _reason_text(exc: Exception) -> str:
    inner = getattr(exc, "reason", None) or (exc.args[-1] if exc.args else None)
    text = str(inner if isinstance(inner, BaseException) else exc)
    # urllib3 prefixes messages with the object repr; keep the useful tail.
    return text.split(": ", 1)[-1] if "object at 0x" in text else text


def _rid(headers: Mapping[str, str]) -> str:
    rid = request_id_from(headers)
    return f" (request id {rid})" if rid else ""


def _retry_after(headers: Mapping[str, str], body: bytes) -> float | None:
    """Seconds to wait from `Retry-After` (seconds or HTTP date), else the body's `retryAt`."""
    value = headers.get("retry-after") if headers else None
    if value:
        value = value.strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                when = None
            if when is not None:
                if when.tzinfo is None:
                    when = when.replace(tzinfo=UTC)
                return max(0.0, (when - datetime.now(UTC)).total_seconds())
    retry_at = parse_error_body(body).retry_at if body else ""
    if retry_at:
        try:
            when = datetime.fromisoformat(retry_at)
        except ValueError:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - datetime.now(UTC)).total_seconds())
    return None
