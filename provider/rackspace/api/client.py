"""`RackspaceClient`: what `configure` hands to every resource and data source."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from provider.rackspace.api.coordination import Coordination
from provider.rackspace.api.networks import NetworksApi
from provider.rackspace.api.read_cache import ReadCache, batching_enabled
from provider.rackspace.api.servers import ServersApi
from provider.rackspace.api.session import NETWORKS, SERVERS, Query, Session

if TYPE_CHECKING:
    from provider.rackspace.api.identity import Identity, Token
    from provider.rackspace.api.transport import Response, Transport
    from provider.rackspace.config import Settings

__all__ = ["NETWORKS", "SERVERS", "RackspaceClient", "connect"]


class RackspaceClient:
    """Authenticated access to Cloud Networks and Cloud Servers in one region.

    One per configured provider (one Terraform graph walk), shared by every operation: each
    call is cancelled by the RPC it runs under (the transport reads
    `provider.plugin.context.current_cancellation()`), so nothing is bound per operation.
    """

    def __init__(
        self,
        transport: Transport,
        identity: Identity,
        region: str,
        coordination: Coordination | None = None,
        *,
        batch_reads: bool = True,
    ) -> None:
        self.session = Session(transport, identity, region)
        self.coordination = coordination or Coordination()
        self.networks = NetworksApi(self.session)
        self.servers = ServersApi(self.session)
        # Resource reads (refresh) come from shared listings, dropped by every write.
        self.reads = ReadCache(
            self.networks,
            self.servers,
            self.session.writes,
            enabled=batch_reads,
            cancelled=getattr(transport, "cancelled", None),
        )

    @property
    def transport(self) -> Transport:
        """The HTTP session (pool, retries)."""
        return self.session.transport

    @property
    def identity(self) -> Identity:
        """Where tokens come from."""
        return self.session.identity

    @property
    def region(self) -> str:
        """The configured region."""
        return self.session.region

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
        """Call `path` on `service`'s regional endpoint (see `Session.request`)."""
        return self.session.request(
            service, method, path, query=query, json_body=json_body, idempotent=idempotent
        )

    def close(self) -> None:
        """Release pooled connections."""
        self.transport.close()


def connect(settings: Settings, cancelled: threading.Event | None = None) -> RackspaceClient:
    """Build the client for `settings` (does not call the API yet).

    `cancelled` stops calls made outside any RPC's cancellation scope (the provider's own, set
    by StopProvider too); inside one, the RPC's event is used. Batched reads follow
    `TERRAFORM_PROVIDER_RACKSPACE_BATCH_READS` (see `provider.rackspace.api.read_cache`).
    """
    # The HTTP stack (urllib3) comes in here, once the provider is configured.
    from provider.rackspace.api.identity import Identity
    from provider.rackspace.api.transport import Transport

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
    return RackspaceClient(transport, identity, settings.region, batch_reads=batching_enabled())


def _version() -> str:
    # The package's own constant, not importlib.metadata: a self-contained build carries no
    # distribution metadata, and the lookup costs ~30 ms.
    from provider import __version__

    return __version__
