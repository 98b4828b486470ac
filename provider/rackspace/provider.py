"""The `rackspace` provider: configuration schema and the hook that builds the API client."""

from __future__ import annotations

from typing import Any, ClassVar

from provider.plugin import (
    Attribute,
    Bool,
    Context,
    Number,
    Provider,
    ProviderError,
    Schema,
    String,
)
from provider.plugin.logging import register_secret
from provider.rackspace import config as provider_config
from provider.rackspace.data_sources.ip_address import IPAddressDataSource
from provider.rackspace.data_sources.ip_addresses import IPAddressesDataSource
from provider.rackspace.data_sources.ports import PortsDataSource
from provider.rackspace.data_sources.server_ip_associations import ServerIPAssociationsDataSource
from provider.rackspace.resources.ip_address import IPAddress
from provider.rackspace.resources.server_ip_association import ServerIPAssociation


class RackspaceProvider(Provider):
    """Rackspace Cloud shared IPs: Cloud Networks `ip_addresses`, Cloud Servers associations."""

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
                description=(
                    "API key (exactly one of `api_key` / `password`). Env: `RACKSPACE_API_KEY`."
                ),
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
    resources: ClassVar[list] = [IPAddress, ServerIPAssociation]
    data_sources: ClassVar[list] = [
        IPAddressDataSource,
        IPAddressesDataSource,
        ServerIPAssociationsDataSource,
        PortsDataSource,
    ]

    def validate_config(self, config: dict[str, Any], ctx: Context) -> None:
        """Reject what is wrong whatever the environment holds (both secrets in the block)."""
        if all(isinstance(config.get(k), str) and config[k] for k in ("api_key", "password")):
            ctx.error(
                "Conflicting credentials",
                "Set exactly one of `api_key` and `password`, not both.",
                path=("password",),
            )

    def configure(self, config: dict[str, Any], ctx: Context) -> Any:
        """Resolve the configuration, authenticate, and return the API client."""
        problems = provider_config.check(config)
        if problems:
            for problem in problems:
                ctx.error(problem.summary, problem.detail, problem.path)
            return None
        settings = provider_config.resolve(config)
        for secret in (settings.api_key, settings.password):
            if secret:
                register_secret(secret)
        # The HTTP stack is imported here, not at start-up: most launches never configure.
        from provider.rackspace.api.client import connect

        client = connect(settings, ctx.cancelled)
        try:
            _check_access(client, settings)
        except ProviderError as err:
            client.close()
            ctx.error(err.summary, err.detail, err.path)
            return None
        return client


def _check_access(client: Any, settings: provider_config.Settings) -> None:
    """Authenticate once and check the region; problems name the argument to fix."""
    from provider.rackspace.api.errors import (
        ApiError,
        Cancelled,
        EndpointNotFound,
        Forbidden,
        Unauthorized,
    )
    from provider.rackspace.diagnostics import hint_for

    secret = settings.secret_argument
    secret_env = "RACKSPACE_API_KEY" if secret == "api_key" else "RACKSPACE_PASSWORD / OS_PASSWORD"
    try:
        token = client.authenticate()
    except (Unauthorized, Forbidden) as err:
        user_from = settings.sources.get("username", "username")
        secret_from = settings.sources.get(secret, secret)
        raise ProviderError(
            "Rackspace authentication failed",
            f"The identity service refused user {settings.username!r} (from {user_from}) with "
            f"the {'API key' if secret == 'api_key' else 'password'} from {secret_from}: "
            f"{err.describe()}\n\nCheck `username` (RACKSPACE_USERNAME / OS_USERNAME) and "
            f"`{secret}` ({secret_env}).",
            path=(secret,),
        ) from None
    except EndpointNotFound as err:
        offered = ", ".join(err.regions) or "none"
        raise ProviderError(
            "Unknown region",
            f"Region {settings.region!r} (from {settings.sources.get('region', 'region')}) has "
            f"no `{err.service}` endpoint in this account's service catalog. Regions offered: "
            f"{offered}. Set `region` or RACKSPACE_REGION (or OS_REGION_NAME) to one of them.",
            path=("region",),
        ) from None
    except Cancelled as err:
        raise ProviderError("Provider configuration cancelled", hint_for(err)) from None
    except ApiError as err:
        raise ProviderError(
            "Could not authenticate with the Rackspace identity service",
            f"{err.describe()}\n\n{hint_for(err)} The identity endpoint is "
            f"{settings.auth_url} (`auth_url` / RACKSPACE_AUTH_URL).",
            path=("auth_url",),
        ) from None
    if settings.tenant_id and token.tenant_id and token.tenant_id != settings.tenant_id:
        raise ProviderError(
            "Tenant mismatch",
            f"The credentials belong to tenant {token.tenant_id}, not {settings.tenant_id!r}. "
            "Fix `tenant_id` (RACKSPACE_TENANT_ID) or leave it unset.",
            path=("tenant_id",),
        )
