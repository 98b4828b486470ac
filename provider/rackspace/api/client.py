"""`RackspaceClient`: what `configure` hands to every resource and data source."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from provider.rackspace.api.coordination import Coordination
from provider.rackspace.api.errors import Unauthorized
from provider.rackspace.api.identity import Identity, Token
from provider.rackspace.api.networks import NetworksApi
from provider.rackspace.api.servers import ServersApi
from provider.rackspace.api.transport import Response, Transport

if TYPE_CHECKING:
    from provider.rackspace.config import Settings

NETWORKS = "cloudNetworks"
SERVERS = "cloudServersOpenStack"

Query = Mapping[str, Any] | Iterable[tuple[str, Any]] | None


class RackspaceClient:
    """Authenticated access to Cloud Networks and Cloud Servers in one region."""

    def __init__(
        self,
        transport: Transport,
        identity: Identity,
        region: str,
        cancelled: threading.Event | None = None,
        coordination: Coordination | None = None,
    ) -> None:
        self.transport = transport
        self.identity = identity
        self.region = region
        self.cancelled = cancelled
        # One per configured provider (one Terraform graph walk), shared by `bound` copies.
        self.coordination = coordination or Coordination()
        self.networks = NetworksApi(self)
        self.servers = ServersApi(self)

    def bound(self, cancelled: threading.Event | None) -> RackspaceClient:
        """The same client (same pool and token) cancelled by `cancelled` instead."""
        if cancelled is None or cancelled is self.cancelled:
            return self
        return RackspaceClient(
            self.transport, self.identity, self.region, cancelled, self.coordination
        )

    def authenticate(self) -> Token:
        """Get a token and check that both services have an endpoint in the region."""
        token = self.identity.token()
        token.endpoint(NETWORKS, self.region)
        token.endpoint(SERVERS, self.region)
        return token

    @property
    def tenant_id(self) -> str:
        """The tenant the token belongs to."""
        return self.identity.token().tenant_id

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
        """Call `path` on `service`'s regional endpoint; re-authenticates once on a 401."""
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
            cancelled=self.cancelled,
        )

    def close(self) -> None:
        """Release pooled connections."""
        self.transport.close()


def connect(settings: Settings, cancelled: threading.Event | None = None) -> RackspaceClient:
    """Build the client for `settings` (does not call the API yet)."""
    version = _version()
    transport = Transport(
        timeout=settings.request_timeout,
        max_retries=settings.max_retries,
        insecure=settings.insecure,
        cacert_file=settings.cacert_file,
        cancelled=cancelled,
        user_agent=f"terraform-provider-rackspace/{version}",
    )
    identity = Identity(
        transport,
        auth_url=settings.auth_url,
        username=settings.username,
        api_key=settings.api_key,
        password=settings.password,
        tenant_id=settings.tenant_id,
    )
    return RackspaceClient(transport, identity, settings.region, cancelled)


def _version() -> str:
    # The package's own constant, not importlib.metadata: a self-contained build carries no
    # distribution metadata, and the lookup costs ~30 ms.
    from provider import __version__

    return __version__
