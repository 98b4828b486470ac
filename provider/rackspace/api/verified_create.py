"""Creating a shared IP at most once when the API's answer is lost.

`POST /v2.0/ip_addresses` is not idempotent (research §5.2): sent twice, it makes two IPs. The
transport never repeats it once it may have reached the API, and raises `AmbiguousOutcome`
instead (a 5xx is just as unclear: the IP may have been committed before the failure). What
happened is then read from the API itself:

1. Before the first create of a walk on a network, the IPs on that network are listed once
   (`ip_ids_on_network`).
2. After a lost answer, the shared IPs carried by exactly the requested ports (or servers) are
   listed again. New ones that no other create of this walk made or adopted (the
   coordination group `SHARED_IPS`) are this request's:
   - exactly one → it is adopted;
   - none → nothing was made, so sending the POST again cannot make a second IP (up to
     `ATTEMPTS` times, pausing `DELAY` times the attempt number seconds);
   - several → `CreateAmbiguous`, naming them (another process made the others).
3. When even that lookup fails, `CreateUnresolved` carries a JSON record (`pending`) that the
   caller keeps (private state) and later hands to `settle_create`.

Creates of one walk on the same target must run one at a time (`CreateTarget.key` is the
coordination key), so "new since my POST" can only be mine or another process's.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from provider.plugin.context import current_cancellation
from provider.rackspace.api.errors import AmbiguousOutcome, ApiError, ServerError
from provider.rackspace.api.finders import find_shared_ips_on, ip_ids_on_network

if TYPE_CHECKING:
    from provider.rackspace.api.client import RackspaceClient

# How often a create is sent again after a lookup found no IP it could have made.
ATTEMPTS = 5
# Seconds; the pause before attempt n+1 is DELAY * n.
DELAY = 0.25
# Coordination group of the shared IPs this walk created or adopted.
SHARED_IPS = "shared-ips"


@dataclass(frozen=True)
class CreateTarget:
    """What a create asks for: the network and exactly one of the port or server ids (any
    letter case; the finders compare them case-insensitively)."""

    network_id: str
    version: int = 4
    port_ids: frozenset[str] | None = None
    server_ids: frozenset[str] | None = None

    @property
    def by_servers(self) -> bool:
        """Whether the IP is requested on servers (`device_ids`) rather than on ports."""
        return self.server_ids is not None

    @property
    def key(self) -> tuple[str, str, str, frozenset[str]]:
        """The coordination key under which creates on this target run one at a time."""
        ids = self.server_ids if self.server_ids is not None else self.port_ids
        by = "servers" if self.by_servers else "ports"
        return ("ip-create", self.network_id, by, frozenset(ids or ()))


class CreateUnresolved(ApiError):
    """The create got no answer and the API could not be asked whether it made an IP.

    `pending` is a JSON object to keep until `settle_create` can look; `cause` is the create's
    error, `lookup_error` the failed lookup's.
    """

    def __init__(self, cause: ApiError, lookup_error: ApiError, pending: dict[str, Any]) -> None:
        super().__init__(cause.message, status=cause.status, code=cause.code)
        self.cause = cause
        self.lookup_error = lookup_error
        self.pending = pending


class CreateAmbiguous(ApiError):
    """More than one new shared IP matches the request: `ids` (sorted) with their `addresses`
    (id → address; may lack some); `cause` is the create's error (None when settling)."""

    def __init__(self, cause: ApiError | None, ids: list[str], addresses: dict[str, str]) -> None:
        super().__init__(f"{len(ids)} new shared IPs match the request: {', '.join(ids)}")
        self.cause = cause
        self.ids = ids
        self.addresses = addresses


class NothingCreated(ApiError):
    """Every attempt got no clear answer, and each time no matching IP existed afterwards:
    nothing was made. `cause` is the last attempt's error."""

    def __init__(self, cause: ApiError) -> None:
        super().__init__(cause.message, status=cause.status, code=cause.code)
        self.cause = cause


def create_shared_ip(
    client: RackspaceClient, target: CreateTarget, log: logging.Logger
) -> dict[str, Any]:
    """POST the IP, recovering a lost answer as the module docstring says; the IP object
    (`NetworksApi.get_ip_address`'s shape), created or adopted, claimed for this walk.

    Raises `CreateUnresolved`, `CreateAmbiguous`, `NothingCreated`, or the API's refusal as
    its typed `ApiError` (e.g. `PortsNotFound`, `SegmentMismatch`, `QuotaExceeded`).
    """
    before = ip_ids_on_network(client, target.network_id)
    # Outside an RPC (a tool, a unit test) nothing cancels, but the pause still applies.
    cancelled = current_cancellation() or threading.Event()
    for attempt in range(1, ATTEMPTS + 1):
        try:
            ip = client.networks.create_ip_address(
                network_id=target.network_id,
                version=target.version,
                port_ids=None if target.by_servers else sorted(target.port_ids or ()),
                device_ids=sorted(target.server_ids) if target.server_ids is not None else None,
            )
        except (AmbiguousOutcome, ServerError) as err:
            adopted = _after_lost_answer(client, target, before, err, log)
            if adopted is not None:
                ip = adopted
            elif attempt >= ATTEMPTS:
                raise NothingCreated(err) from None
            else:
                log.warning(
                    "create of a shared IP got no clear answer (%s) and made no IP; sending "
                    "it again (attempt %d of %d)",
                    err.message,
                    attempt + 1,
                    ATTEMPTS,
                )
                if cancelled.wait(DELAY * attempt):
                    raise NothingCreated(err) from None
                continue
        client.coordination.claim(SHARED_IPS, ip["id"])
        return ip
    raise AssertionError("unreachable")  # pragma: no cover


def _after_lost_answer(
    client: RackspaceClient,
    target: CreateTarget,
    before: frozenset[str],
    err: ApiError,
    log: logging.Logger,
) -> dict[str, Any] | None:
    """The IP a create with a lost answer made, or None when it made none."""
    try:
        new = frozenset(matching_shared_ips(client, target)) - before
        new -= client.coordination.claimed(SHARED_IPS)
        if len(new) > 1:
            raise _ambiguous(client, target, err, new)
        if not new:
            return None
        [ip_id] = new
        log.warning(
            "create of a shared IP got no answer (%s); adopting %s, the one new IP on its ports",
            err.message,
            ip_id,
        )
        return client.networks.get_ip_address(ip_id)
    except CreateAmbiguous:
        raise
    except ApiError as lookup_err:
        others = client.coordination.claimed(SHARED_IPS)
        pending = {"before": sorted(before), "others": sorted(others)}
        raise CreateUnresolved(err, lookup_err, pending) from None


def settle_create(
    client: RackspaceClient, target: CreateTarget, pending: dict[str, Any]
) -> dict[str, Any] | None:
    """The IP an unresolved create (`CreateUnresolved.pending`) made, claimed for this walk,
    or None when it made none. Raises `CreateAmbiguous`, or `ApiError` when the API still
    cannot be asked."""
    new = set(matching_shared_ips(client, target))
    new -= set(pending.get("before") or ())
    new -= set(pending.get("others") or ())
    new -= client.coordination.claimed(SHARED_IPS)
    if len(new) > 1:
        raise _ambiguous(client, target, None, new)
    if not new:
        return None
    ip = client.networks.get_ip_address(new.pop())
    client.coordination.claim(SHARED_IPS, ip["id"])
    return ip


def matching_shared_ips(client: RackspaceClient, target: CreateTarget) -> dict[str, str]:
    """Shared IPs (id → address) carried by exactly the ports or the servers of `target`."""
    found = find_shared_ips_on(
        client,
        target.network_id,
        server_ids=target.server_ids,
        port_ids=None if target.by_servers else (target.port_ids or ()),
    )
    return {ip["id"]: ip.get("address") or "" for ip in found}


def _ambiguous(
    client: RackspaceClient, target: CreateTarget, err: ApiError | None, ids: Iterable[str]
) -> CreateAmbiguous:
    try:
        addresses = matching_shared_ips(client, target)
    except ApiError:
        addresses = {}
    return CreateAmbiguous(err, sorted(ids), addresses)
