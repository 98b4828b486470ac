"""`Session`: the one authenticated request function the service APIs are built on.

It sits below `networks`, `servers` and `client` (each service module imports it; nothing here
imports them), so the client that wires the services together is never imported back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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


class Session:
    """Authenticated requests to a service's endpoint in one region.

    Cancellation is not held here: the transport reads the current RPC's event
    (`provider.plugin.context.current_cancellation()`), so one session serves every operation.
    """

    def __init__(self, transport: Transport, identity: Identity, region: str) -> None:
        self.transport = transport
        self.identity = identity
        self.region = region

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
        endpoint for `service` in the region.
        """
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
