"""Rackspace Identity v2.0: one cached token per process, and service-catalog lookup."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from provider.plugin.logging import get_logger, register_secret
from provider.rackspace.api.errors import ApiError, EndpointNotFound

if TYPE_CHECKING:
    from provider.rackspace.api.transport import Transport

log = get_logger("rackspace.identity")

# Refresh a little before the token expires so a request never races the expiry.
_EXPIRY_MARGIN = timedelta(minutes=2)


@dataclass(frozen=True)
class Token:
    """An Identity token and the service catalog that came with it."""

    id: str = field(repr=False)
    tenant_id: str
    expires: datetime | None
    catalog: tuple[dict[str, Any], ...] = field(default=(), repr=False)
    # (service, region) -> publicURL, filled by `endpoint`: every request asks for one, and
    # the catalog of a token never changes.
    _endpoints: dict[tuple[str, str], str] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def fresh(self, now: datetime | None = None) -> bool:
        """True while the token is not close to expiring."""
        if self.expires is None:
            return True
        return (now or datetime.now(UTC)) + _EXPIRY_MARGIN < self.expires

    def endpoint(self, service: str, region: str) -> str:
        """The publicURL of `service` (catalog name) in `region` (case-insensitive)."""
        found = self._endpoints.get((service, region))
        if found is None:
            found = self._endpoints[(service, region)] = self._find_endpoint(service, region)
        return found

    def _find_endpoint(self, service: str, region: str) -> str:
        regions: list[str] = []
        for entry in self.catalog:
            if str(entry.get("name", "")) != service:
                continue
            for ep in entry.get("endpoints") or []:
                ep_region = str(ep.get("region") or "")
                if ep_region.lower() == region.lower() and ep.get("publicURL"):
                    return str(ep["publicURL"]).rstrip("/")
                if ep_region and ep_region not in regions:
                    regions.append(ep_region)
        raise EndpointNotFound(service, region, sorted(regions))

    def regions(self, service: str) -> list[str]:
        """Regions in which the catalog offers `service`."""
        found = {
            str(ep.get("region"))
            for entry in self.catalog
            if entry.get("name") == service
            for ep in entry.get("endpoints") or []
            if ep.get("region")
        }
        return sorted(found)


# One token per set of credentials per process, shared by every client built in it.
_cache: dict[tuple[str, ...], Token] = {}
_cache_lock = threading.Lock()


def clear_token_cache() -> None:
    """Forget every cached token (tests, and after credentials change)."""
    with _cache_lock:
        _cache.clear()


class Identity:
    """Authenticates with an API key or a password and hands out a valid token."""

    def __init__(
        self,
        transport: Transport,
        *,
        auth_url: str,
        username: str,
        api_key: str | None = None,
        password: str | None = None,
        tenant_id: str | None = None,
    ) -> None:
        self._transport = transport
        self.tokens_url = _tokens_url(auth_url)
        self.username = username
        self._api_key = api_key
        self._password = password
        self.tenant_id = tenant_id
        secret = api_key if api_key is not None else (password or "")
        # The cache key must tell credentials apart without holding the secret itself.
        digest = hashlib.sha256(secret.encode()).hexdigest()
        self._key = (self.tokens_url, username, digest, tenant_id or "")

    def token(self) -> Token:
        """A fresh token, from the process cache or from a new authentication."""
        # Every request asks; a dict read needs no lock (the GIL makes it atomic), and a token
        # found stale is looked at again under the lock.
        cached = _cache.get(self._key)
        if cached is not None and cached.fresh():
            return cached
        with _cache_lock:
            cached = _cache.get(self._key)
            if cached is not None and cached.fresh():
                return cached
            # Authenticating under the lock makes parallel callers share one new token.
            token = self._authenticate()
            _cache[self._key] = token
            return token

    def invalidate(self, token_id: str) -> None:
        """Drop the cached token if it is still `token_id` (after a 401 with it)."""
        with _cache_lock:
            cached = _cache.get(self._key)
            if cached is not None and cached.id == token_id:
                del _cache[self._key]

    def _authenticate(self) -> Token:
        if self._api_key is not None:
            credentials: dict[str, Any] = {
                "RAX-KSKEY:apiKeyCredentials": {"username": self.username, "apiKey": self._api_key}
            }
            method = "API key"
        else:
            credentials = {
                "passwordCredentials": {"username": self.username, "password": self._password}
            }
            method = "password"
        auth: dict[str, Any] = dict(credentials)
        if self.tenant_id:
            auth["tenantId"] = self.tenant_id
        log.debug("authenticating user %s with %s at %s", self.username, method, self.tokens_url)
        response = self._transport.request(
            "POST", self.tokens_url, json_body={"auth": auth}, idempotent=True
        )
        data = response.json()
        try:
            access = data["access"]
            token_data = access["token"]
            token_id = str(token_data["id"])
        except (TypeError, KeyError):
            raise ApiError(
                "the identity service answered without a token (`access.token.id`)",
                status=response.status,
                method="POST",
                url=self.tokens_url,
            ) from None
        register_secret(token_id)
        tenant = token_data.get("tenant") or {}
        token = Token(
            id=token_id,
            tenant_id=str(tenant.get("id") or self.tenant_id or ""),
            expires=_parse_time(token_data.get("expires")),
            catalog=tuple(access.get("serviceCatalog") or ()),
        )
        log.info(
            "authenticated user %s (tenant %s, token expires %s)",
            self.username,
            token.tenant_id or "?",
            token_data.get("expires") or "never",
        )
        return token


def _tokens_url(auth_url: str) -> str:
    url = auth_url.rstrip("/")
    return url if url.endswith("/tokens") else url + "/tokens"


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
