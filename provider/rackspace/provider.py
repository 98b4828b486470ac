"""The `rackspace` provider: configuration schema and the hook that builds the API client."""

from __future__ import annotations

from typing import Any, ClassVar

from provider.plugin import Context, Provider, ProviderError, Schema
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
    schema: ClassVar[Schema] = provider_config.SCHEMA
    resources: ClassVar[list] = [IPAddress, ServerIPAssociation]
    data_sources: ClassVar[list] = [
        IPAddressDataSource,
        IPAddressesDataSource,
        ServerIPAssociationsDataSource,
        PortsDataSource,
    ]

    def configure(self, config: dict[str, Any], ctx: Context) -> Any:
        """Resolve the configuration, authenticate, and return the API client."""
        settings, problems = provider_config.resolve(config)
        for problem in problems:
            ctx.error(problem.summary, problem.detail, problem.path)
        if settings is None:
            return None
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
