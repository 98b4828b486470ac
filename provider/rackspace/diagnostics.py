"""Turning API errors into diagnostics a Terraform user can act on."""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from provider.plugin import ProviderError
from provider.plugin.diagnostics import Path
from provider.rackspace.api.errors import ApiError, Cancelled, ConnectionFailed

if TYPE_CHECKING:
    from provider.plugin import Context
    from provider.rackspace.api.coordination import Coordination

# What to do when no response came, by `ConnectionFailed.kind`. Only a timeout is helped by a
# longer `request_timeout`; a wrong host or port is not.
_NO_RESPONSE_HINTS: dict[str, str] = {
    "refused": "Nothing accepts connections at that address: check the URL's host and port "
    "(`auth_url` / RACKSPACE_AUTH_URL for the identity service) and that no proxy or "
    "firewall is in the way. Retrying would not help, so the provider did not wait.",
    "dns": "The host name does not resolve: check its spelling in the URL (`auth_url` / "
    "RACKSPACE_AUTH_URL for the identity service) and this machine's DNS. Retrying would not "
    "help, so the provider did not wait.",
    "timeout": "The endpoint did not answer in time; if the network is slow, raise "
    "`request_timeout` or `max_retries`.",
    "tls": "Check `cacert_file` (or `insecure` for a private endpoint).",
    "lost": "The connection broke before an answer came; check network access to the "
    "endpoint and try again.",
}

# What to do, by HTTP status (0: no response at all).
_HINTS: dict[int, str] = {
    0: "Check network access to the API endpoints and `auth_url`.",
    400: "The API refused the request as invalid; check the arguments named above.",
    401: "The credentials were refused; check `username` and `api_key` / `password` "
    "(RACKSPACE_USERNAME, RACKSPACE_API_KEY / RACKSPACE_PASSWORD).",
    403: "This account or role may not do this (the Cloud Networks `creator` role cannot "
    "delete; RackConnect v3 accounts cannot use shared IPs).",
    404: "Check that the id exists in this region and belongs to this account.",
    409: "A quota was reached (shared IPs per network, IPs per port); remove unused shared "
    "IPs or ask Rackspace to raise the quota.",
    413: "The API rate limit was reached; try again later, or raise `max_retries` / "
    "`request_timeout`.",
    429: "The API rate limit was reached; try again later, or raise `max_retries` / "
    "`request_timeout`.",
}
_SERVER_HINT = (
    "The service failed; try again later. If it keeps failing, contact Rackspace support."
)


def hint_for(error: ApiError) -> str:
    """What the user should do about `error`."""
    if isinstance(error, Cancelled):
        return "Terraform is stopping; the operation was abandoned before it completed."
    if isinstance(error, ConnectionFailed):
        return _NO_RESPONSE_HINTS.get(error.kind, _HINTS[0])
    if error.status >= 500:
        return _SERVER_HINT
    return _HINTS.get(error.status, "")


def api_error(
    summary: str, error: ApiError, *, hint: str | None = None, path: Path | None = None
) -> ProviderError:
    """A `ProviderError` whose detail holds the status, the API's own message and a hint."""
    advice = hint if hint is not None else hint_for(error)
    detail = error.describe()
    if advice:
        detail = f"{detail}\n\n{advice}"
    return ProviderError(summary, detail, path=path)


@contextmanager
def one_at_a_time(
    coordination: Coordination, key: Hashable, ctx: Context, summary: str
) -> Iterator[None]:
    """Hold `key` exclusively within this walk (one create per target, one operation per
    association); when Terraform stops while waiting, raise `ProviderError(summary, ...)`."""
    try:
        with coordination.exclusive(key, ctx.cancelled):
            yield
    except InterruptedError:
        raise ProviderError(
            summary, "Terraform is stopping; the operation was abandoned before it started."
        ) from None
