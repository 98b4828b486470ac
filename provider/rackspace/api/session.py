"""`Session`: the one authenticated request function the service APIs are built on.

It sits below `networks`, `servers` and `client` (each service module imports it; nothing here
imports them), so the client that wires the services together is never imported back.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from provider.rackspace.api.errors import Unauthorized

if TYPE_CHECKING:
    # Annotations only: the HTTP stack (urllib3) is imported once a client is built.
    from provider.rackspace.api.identity import Identity, Token
    from provider.rackspace.api.transport import Response, Transport

# Service catalog names of the two services the provider calls.
NETWORKS = "cloudNetworks"
SERVERS = "cloudServersOpenStack"

Query = Mapping[str, Any] | Iterable[tuple[str, Any]] | None

# Methods that change nothing on the API side; every other method counts as a write.
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class WriteClock:
    """Counts the writes (POST / PUT / DELETE / PATCH) sent through one `Session`.

    `generation` moves when a write starts and again when it ends, so something read while
    `generation` stayed put and `in_flight` was 0 at both ends saw no write's effect half-way
    (`provider.rackspace.api.read_cache` uses it to drop its listings). Thread-safe.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._generation = 0
        self._in_flight = 0

    @property
    def generation(self) -> int:
        """A number that changes whenever a write starts or ends."""
        with self._lock:
            return self._generation

    @property
    def in_flight(self) -> int:
        """How many writes are being sent right now."""
        with self._lock:
            return self._in_flight

    def quiet_since(self, generation: int) -> bool:
        """True when no write started or ended since `generation` and none is in flight."""
        with self._lock:
            return self._generation == generation and self._in_flight == 0

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Mark one write in flight for the block (whether it succeeds or fails: a failed or
        unanswered write may still have changed something)."""
        with self._lock:
            self._generation += 1
            self._in_flight += 1
        try:
            yield
        finally:
            with self._lock:
                self._generation += 1
                self._in_flight -= 1


class Session:
    """Authenticated requests to a service's endpoint in one region.

    Cancellation is not held here: the transport reads the current RPC's event
    (`provider.plugin.context.current_cancellation()`), so one session serves every operation.
    """

    def __init__(self, transport: Transport, identity: Identity, region: str) -> None:
        self.transport = transport
        self.identity = identity
        self.region = region
        self.writes = WriteClock()

    def request(
        self,
        service: str,
        method: str,
        path: str,
        *,
        query: Query = None,
        json_body: Any = None,
        idempotent: bool | None = None,
    ) -> Response:
        """Call `path` on `service`'s regional endpoint; re-authenticates once on a 401.

        Raises the transport's typed `ApiError`s; `EndpointNotFound` when the catalog has no
        endpoint for `service` in the region. Every method but GET / HEAD / OPTIONS is counted
        on `writes` (which drops the read cache's listings).
        """
        if method.upper() in _READ_METHODS:
            return self._authenticated(service, method, path, query, json_body, idempotent)
        with self.writes.writing():
            return self._authenticated(service, method, path, query, json_body, idempotent)

    def _authenticated(
        self,
        service: str,
        method: str,
        path: str,
        query: Query,
        json_body: Any,
        idempotent: bool | None,
    ) -> Response:
        token = self.identity.token()
        try:
            return self._send(token, service, method, path, query, json_body, idempotent)
        except Unauthorized:
            # The token may have been revoked or expired early: one fresh token, one more try.
            self.identity.invalidate(token.id)
            token = self.identity.token()
            return self._send(token, service, method, path, query, json_body, idempotent)

    def _send(
        self,
        token: Token,
        service: str,
        method: str,
        path: str,
        query: Query,
        json_body: Any,
        idempotent: bool | None,
    ) -> Response:
        url = token.endpoint(service, self.region) + path
        if query:
            items = query.items() if isinstance(query, Mapping) else query
            pairs = [(k, v) for k, v in items if v is not None]
            if pairs:
                url += "?" + urlencode(pairs, doseq=True)
        return self.transport.request(
            method,
            url,
            headers={"X-Auth-Token": token.id},
            json_body=json_body,
            idempotent=idempotent,
        )
