"""The `rackspace` provider: configuration schema and the hook that builds the API client."""

from __future__ import annotations

from typing import Any, ClassVar

from provider.plugin import Attribute, Bool, Context, Number, Provider, Schema, String


class RackspaceProvider(Provider):
    """Rackspace Cloud shared IPs (Cloud Networks `ip_addresses`, Cloud Servers `ip_associations`)."""

    type_name: ClassVar[str] = "rackspace"
    schema: ClassVar[Schema] = Schema(
        description="Manage Rackspace Cloud shared IPs and their explicit server associations.",
        attributes={
            "username": Attribute(
                String,
                optional=True,
                description="Rackspace username. Env: `RACKSPACE_USERNAME`, then `OS_USERNAME`.",
            ),
            "api_key": Attribute(
                String,
                optional=True,
                sensitive=True,
                description="API key (exactly one of `api_key` / `password`). Env: `RACKSPACE_API_KEY`.",
            ),
            "password": Attribute(
                String,
                optional=True,
                sensitive=True,
                description=(
                    "Account password (exactly one of `api_key` / `password`). "
                    "Env: `RACKSPACE_PASSWORD`, then `OS_PASSWORD`."
                ),
            ),
            "tenant_id": Attribute(
                String,
                optional=True,
                description="Tenant (account number). Env: `RACKSPACE_TENANT_ID`.",
            ),
            "region": Attribute(
                String,
                optional=True,
                description=(
                    "Region, case-insensitive (for example `DFW`). Required unless "
                    "`RACKSPACE_REGION` or `OS_REGION_NAME` is set."
                ),
            ),
            "auth_url": Attribute(
                String,
                optional=True,
                description=(
                    "Identity v2.0 endpoint. Default "
                    "`https://identity.api.rackspacecloud.com/v2.0/`. Env: `RACKSPACE_AUTH_URL`."
                ),
            ),
            "insecure": Attribute(
                Bool,
                optional=True,
                description="Skip TLS certificate verification (private endpoints only).",
            ),
            "cacert_file": Attribute(
                String,
                optional=True,
                description="PEM file of CA certificates to trust for the API endpoints.",
            ),
            "max_retries": Attribute(
                Number,
                optional=True,
                description=(
                    "Retries for 413 / 429 / 500 / 502 / 503 and connection errors "
                    "(honouring `Retry-After` and `retryAt`). Default 5."
                ),
            ),
            "request_timeout": Attribute(
                Number,
                optional=True,
                description="Seconds allowed for one HTTP request. Default 60.",
            ),
        },
    )
    resources: ClassVar[list] = []
    data_sources: ClassVar[list] = []

    def configure(self, config: dict[str, Any], ctx: Context) -> Any:
        """Resolve credentials and build the API client (filled in by the provider issue)."""
        return None
