"""Provider configuration: the schema with its rules, environment fallbacks and defaults.

The schema declares what a configuration alone decides (ranges, the credentials rule); the
SDK checks it at ValidateProviderConfig. `resolve` applies the same schema rules, then the
environment fallbacks, in one pass. Pure functions over the configuration dict and an
environment mapping; nothing here talks to the network. Every problem names the argument (as
the diagnostic's attribute path) and the environment variables that can stand in for it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import urlparse

from provider.plugin import (
    Attribute,
    Bool,
    ConflictsWith,
    Number,
    ProviderError,
    Schema,
    Severity,
    String,
    Unknown,
    between,
)
from provider.plugin.validators import validate_config

DEFAULT_AUTH_URL = "https://identity.api.rackspacecloud.com/v2.0/"
DEFAULT_MAX_RETRIES = 5
DEFAULT_REQUEST_TIMEOUT = 60.0

# argument -> environment variables consulted, in order, when the argument is not set
ENV_FALLBACKS: dict[str, tuple[str, ...]] = {
    "username": ("RACKSPACE_USERNAME", "OS_USERNAME"),
    "api_key": ("RACKSPACE_API_KEY",),
    "password": ("RACKSPACE_PASSWORD", "OS_PASSWORD"),
    "tenant_id": ("RACKSPACE_TENANT_ID",),
    "region": ("RACKSPACE_REGION", "OS_REGION_NAME"),
    "auth_url": ("RACKSPACE_AUTH_URL",),
}


# The one statement of the credentials rule: the schema checks it for arguments in the block
# (terraform validate), `resolve` for the environment variables standing in for them. A blank
# argument means "use the environment", so it does not count as set.
CREDENTIALS = ConflictsWith(
    "api_key",
    "password",
    summary="Conflicting credentials",
    detail="Set exactly one of `api_key` (RACKSPACE_API_KEY) and `password` "
    "(RACKSPACE_PASSWORD / OS_PASSWORD), not both.",
    blank_is_unset=True,
)

SCHEMA = Schema(
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
            validate=[between(0, 100, whole=True)],
            description=(
                "Retries for 413 / 429 / 500 / 502 / 503 and connection errors "
                "(honouring `Retry-After` and `retryAt`). Default 5."
            ),
        ),
        "request_timeout": Attribute(
            Number,
            optional=True,
            validate=[between(0, 3600, above_lo=True)],
            description="Seconds allowed for one HTTP request. Default 60.",
        ),
    },
    validators=[CREDENTIALS],
)


@dataclass(frozen=True)
class Settings:
    """The resolved provider configuration. Secrets are kept out of `repr`."""

    username: str
    region: str
    auth_url: str = DEFAULT_AUTH_URL
    api_key: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    tenant_id: str | None = None
    insecure: bool = False
    cacert_file: str | None = None
    max_retries: int = DEFAULT_MAX_RETRIES
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    # where each credential came from, e.g. {"api_key": "RACKSPACE_API_KEY"}; for diagnostics
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def secret_argument(self) -> str:
        """`api_key` or `password`: the credential in use."""
        return "api_key" if self.api_key is not None else "password"


def env_hint(name: str) -> str:
    """ "set `name` or ENV_A (or ENV_B)" for a diagnostic."""
    envs = ENV_FALLBACKS.get(name, ())
    if not envs:
        return f"set `{name}` in the provider block"
    rest = f" (or {', '.join(envs[1:])})" if len(envs) > 1 else ""
    return f"set `{name}` in the provider block or the {envs[0]}{rest} environment variable"


class Resolved(NamedTuple):
    """What `resolve` found: the settings (None when there is any problem) and every
    problem, as errors carrying the attribute path."""

    settings: Settings | None
    problems: list[ProviderError]


def resolve(config: Mapping[str, Any], env: Mapping[str, str] | None = None) -> Resolved:
    """The settings for `config` and every problem with it, in one pass: the schema's rules
    first, then each argument with its environment fallbacks and default."""
    problems = [
        ProviderError(d.summary, d.detail, d.path)
        for d in validate_config(SCHEMA, config)
        if d.severity is Severity.ERROR
    ]
    settings = _resolve(config, os.environ if env is None else env, problems)
    return Resolved(None if problems else settings, problems)


def _resolve(
    config: Mapping[str, Any], env: Mapping[str, str], problems: list[ProviderError]
) -> Settings | None:
    """The settings, or None when they cannot be made; problems are added to `problems`."""
    sources: dict[str, str] = {}

    def not_known(name: str) -> None:
        problems.append(
            ProviderError(
                f"`{name}` is not known yet",
                "The provider needs its configuration before planning. Use a value that "
                f"is known at plan time, or {env_hint(name)}.",
                path=(name,),
            )
        )

    def text(name: str) -> str | None:
        value = config.get(name)
        if value is Unknown:
            not_known(name)
            return None
        if isinstance(value, str) and value.strip():
            sources[name] = name
            return value.strip()
        for var in ENV_FALLBACKS.get(name, ()):
            env_value = env.get(var, "").strip()
            if env_value:
                sources[name] = var
                return env_value
        return None

    username = text("username")
    if username is None and "username" not in _unknown_names(config):
        problems.append(
            ProviderError(
                "Missing Rackspace username",
                f"The provider needs a username to authenticate: {env_hint('username')}.",
                path=("username",),
            )
        )

    api_key_set = _is_set(config.get("api_key"))
    password_set = _is_set(config.get("password"))
    if api_key_set or password_set:
        # An argument in the block wins over every environment variable of either kind;
        # both in the block is the schema's CREDENTIALS rule, reported above.
        api_key = text("api_key") if api_key_set else None
        password = text("password") if password_set and not api_key_set else None
    else:
        api_key = text("api_key")
        password = text("password")
        if api_key is not None and password is not None:
            problems.append(
                ProviderError(
                    CREDENTIALS.summary,
                    f"Both an API key (from {sources['api_key']}) and a password (from "
                    f"{sources['password']}) are set. {CREDENTIALS.detail}",
                    path=("api_key",),
                )
            )
    if (
        api_key is None
        and password is None
        and not _unknown_names(config) & {"api_key", "password"}
    ):
        problems.append(
            ProviderError(
                "Missing Rackspace credentials",
                "Set `api_key` (or the RACKSPACE_API_KEY environment variable), or "
                "`password` (or RACKSPACE_PASSWORD / OS_PASSWORD).",
                path=("api_key",),
            )
        )

    tenant_id = text("tenant_id")

    region = text("region")
    if region is None and "region" not in _unknown_names(config):
        problems.append(
            ProviderError(
                "Missing region",
                f"The provider needs a region (for example DFW): {env_hint('region')}.",
                path=("region",),
            )
        )

    auth_url = text("auth_url") or DEFAULT_AUTH_URL
    parsed = urlparse(auth_url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        problems.append(
            ProviderError(
                "Invalid auth_url",
                f"{auth_url!r} is not an http(s) URL; {env_hint('auth_url')} to the Identity "
                f"v2.0 endpoint, e.g. {DEFAULT_AUTH_URL}.",
                path=("auth_url",),
            )
        )

    insecure = config.get("insecure")
    insecure = bool(insecure) if isinstance(insecure, bool) else False

    cacert_file = config.get("cacert_file")
    if isinstance(cacert_file, str) and cacert_file.strip():
        cacert_file = os.path.expanduser(cacert_file.strip())
        if not os.path.isfile(cacert_file):
            problems.append(
                ProviderError(
                    "CA certificate file not found",
                    f"`cacert_file` {cacert_file!r} does not exist or is not a file.",
                    path=("cacert_file",),
                )
            )
    else:
        cacert_file = None

    # Their ranges and types are the schema's (`between`), reported above.
    max_retries = config.get("max_retries")
    request_timeout = config.get("request_timeout")
    for name, number in (("max_retries", max_retries), ("request_timeout", request_timeout)):
        if number is Unknown:
            not_known(name)

    if problems or username is None or region is None:
        return None
    return Settings(
        username=username,
        region=region,
        auth_url=auth_url,
        api_key=api_key,
        password=password,
        tenant_id=tenant_id,
        insecure=insecure,
        cacert_file=cacert_file,
        max_retries=DEFAULT_MAX_RETRIES if max_retries is None else int(max_retries),
        request_timeout=(
            DEFAULT_REQUEST_TIMEOUT if request_timeout is None else float(request_timeout)
        ),
        sources=sources,
    )


def _is_set(value: Any) -> bool:
    return value is Unknown or (isinstance(value, str) and bool(value.strip()))


def _unknown_names(config: Mapping[str, Any]) -> set[str]:
    return {name for name, value in config.items() if value is Unknown}
