"""Batched refresh: serve resource reads from one listing per provider process.

Terraform refreshes every resource of a plan with its own `ReadResource`, so today a plan of
N shared IPs and M associations sends N GETs of `/v2.0/ip_addresses/{id}` and M lists of
`/servers/{id}/ip_associations`: against an API with 50 to 200 ms of latency, seconds of waiting.
`ReadCache` answers those reads from

- one listing of the tenant's IPs, `GET /v2.0/ip_addresses` with `limit`/`marker`, following
  the `ip_addresses_links` `next` link when the API gives one. quark ignores both parameters and
  answers every IP in one page without links (research §3.3, open question 13); then the first
  page is the whole listing;
- one `GET /servers/{id}/ip_associations` per distinct server, shared by the reads of all the
  associations of that server (the call each association read made on its own before).

Rules (each has a test in `tests/rackspace/test_read_cache.py`):

- **Single-flight.** Concurrent readers of one listing wait for one fetch.
- **Dropped by every write.** `Session` counts every POST / PUT / DELETE on its `WriteClock`
  (before the write is sent and after it ends); a listing whose generation moved is thrown
  away, and a fetch that began before a write, or overlapped one, is never stored. While a
  write is in flight, reads go straight to their own GET.
- **Misses are confirmed.** An IP not in a complete listing, or an association not in its
  server's listing, is looked up on its own (`get_ip_address`, `find_ip_association`) before
  it is reported gone; that call's answer is the read's answer.
- **Failures are not cached.** When a listing fails, every reader that waited for it falls back
  to its own call, and the error is not remembered. (A server's association list is the very
  call its reader made before batching, so that reader gets the list's error itself, e.g.
  `NotFound` for a deleted server.) After `MAX_FAILED_LISTINGS` failed tenant
  listings in a process, the tenant listing is no longer tried (the API is struggling; one GET
  per read is what it answered before).
- **Cancellable.** A waiting reader gives up with `Cancelled` as soon as Terraform's StopProvider
  sets the RPC's cancellation event (`current_cancellation()`, the one the transport reads).
- **Switch.** `TERRAFORM_PROVIDER_RACKSPACE_BATCH_READS=0` turns batching off: every read is its
  own call, as before (the bench compares both in one run).

**The threshold: when the tenant listing stops paying.** Listing costs one round trip per page
(pages are sequential: each needs the previous page's marker); a read costs one round trip, and
Terraform runs up to `-parallelism` (default 10) of them at once. The listing is used

1. only from the `START_AFTER_READS`-th (2nd) IP read of the process: a configuration with one
   shared IP never lists the tenant; and
2. only as far as the pages pay for themselves: page *n*+1 is fetched only while
   *n* < 1 + reads // `READS_PER_PAGE` (10), counting the IP reads seen so far in the process.
   A page holds `PAGE_SIZE` (100, Neutron's page maximum) IPs, so a tenant of 100·*k* IPs is
   listed in full once the configuration has read about 10·*k* of them. Ten reads per page is
   the parallelism Terraform refreshes with by default: one sequential page then costs the wall
   time one round of ten parallel GETs would have cost, and never more round trips than the
   reads it can serve. A read whose IP is not in the pages fetched so far (and the budget does
   not allow another) uses its own GET, so a tenant with far more IPs than the configuration
   reads costs at most one page per ten reads beyond today's calls, never a full listing.

quark's unpaginated answer cannot be bounded before it arrives: there the first page is the
whole tenant, and rule 1 is what keeps a configuration with a single IP from paying for it.
Measured against the sandbox (no added latency, medians of 15): one GET of an IP 3.8 ms, the
unpaginated listing of a 1,000-IP tenant 15.5 ms. At 50 ms of API latency that listing costs
about 1.2 GETs, so a whole-tenant answer pays off from the second read onward. The 400-resource
bench layout (scenario 6) refreshes with 6 calls instead of 401, at 0.46x the wall time.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from provider.plugin.context import current_cancellation
from provider.plugin.logging import get_logger
from provider.rackspace.api.errors import ApiError, Cancelled
from provider.rackspace.api.ids import api_id

if TYPE_CHECKING:
    from provider.rackspace.api.networks import NetworksApi
    from provider.rackspace.api.servers import ServersApi
    from provider.rackspace.api.session import WriteClock

log = get_logger("rackspace.reads")

#: Environment switch: "0" (or false / no / off) turns batched reads off.
ENV_SWITCH = "TERRAFORM_PROVIDER_RACKSPACE_BATCH_READS"
#: IPs asked for per page: Neutron's documented maximum page size (research §3.3).
PAGE_SIZE = 100
#: The tenant listing starts at this IP read of the process (the first ones GET on their own).
START_AFTER_READS = 2
#: One more page of the tenant listing is allowed per this many IP reads (see the docstring).
READS_PER_PAGE = 10
#: Failed tenant listings after which the process stops trying to list.
MAX_FAILED_LISTINGS = 2
# Bounds a runaway `next` chain (Neutron pages at 100: 100,000 IPs).
_MAX_PAGES = 1000
# How often a waiting reader re-checks cancellation while nothing wakes it (seconds).
_POLL = 0.1
# Fetches in a row a reader may see thrown away by writes before it reads on its own.
_MAX_DISCARDS = 3


def batching_enabled(environ: Mapping[str, str] | None = None) -> bool:
    """Whether `TERRAFORM_PROVIDER_RACKSPACE_BATCH_READS` leaves batched reads on (default on)."""
    value = (os.environ if environ is None else environ).get(ENV_SWITCH, "").strip().lower()
    return value not in ("0", "false", "no", "off")


def _copy_ip(ip: dict[str, Any]) -> dict[str, Any]:
    return dict(ip, port_ids=list(ip.get("port_ids") or []))


class ReadCache:
    """Resource reads served from shared listings; one per `RackspaceClient`, thread-safe.

    `ip_address` answers as `NetworksApi.get_ip_address` does (a normalized `ip_address`
    object, `NotFound` when the IP is gone) and `ip_association` as
    `ServersApi.find_ip_association` (`{id, address}` or None; `NotFound` when the server is
    gone). Both raise the API's typed `ApiError`s, and `Cancelled` when Terraform stops while
    they wait for another reader's listing. `stats` counts what was done (for tests and logs).
    """

    def __init__(
        self,
        networks: NetworksApi,
        servers: ServersApi,
        writes: WriteClock,
        *,
        enabled: bool = True,
        cancelled: threading.Event | None = None,
        start_after_reads: int = START_AFTER_READS,
        reads_per_page: int = READS_PER_PAGE,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self.enabled = enabled
        self.start_after_reads = start_after_reads
        self.reads_per_page = reads_per_page
        self.page_size = page_size
        self.stats: Counter[str] = Counter()
        self._networks = networks
        self._servers = servers
        self._writes = writes
        self._cancelled = cancelled
        self._cond = threading.Condition()
        # The tenant's IPs: what the pages fetched in generation `_ips_gen` held.
        self._ip_reads = 0
        self._ips: dict[str, dict[str, Any]] = {}
        self._ips_gen = writes.generation
        self._ips_marker: str | None = None
        self._ips_pages = 0
        self._ips_complete = False
        self._ips_fetching = False
        self._ips_failures = 0
        # Each server's associations (server id as the API spells it -> list), one generation.
        self._assocs: dict[str, list[dict[str, Any]]] = {}
        self._assocs_gen = writes.generation
        self._assocs_fetching: set[str] = set()
        self._assocs_failures: Counter[str] = Counter()

    # ------------------------------------------------------------------ shared IPs

    def ip_address(self, ip_id: str) -> dict[str, Any]:
        """The IP `ip_id` (normalized, as `get_ip_address`); `NotFound` once its own GET says
        it is gone."""
        with self._cond:
            self._ip_reads += 1
            listing = (
                self.enabled
                and self._ip_reads >= self.start_after_reads
                and self._ips_failures < MAX_FAILED_LISTINGS
            )
        if listing:
            found = self._ip_from_listing(api_id(ip_id))
            if found is not None:
                return found
        # Not listed (off, under the threshold, beyond the page budget, the listing failed)
        # or not in a complete listing: the IP's own GET decides, and a 404 means gone.
        self._count("ip_own_reads")
        return self._networks.get_ip_address(ip_id)

    def _page_budget(self) -> int:
        return min(_MAX_PAGES, 1 + self._ip_reads // max(1, self.reads_per_page))

    def _ip_from_listing(self, key: str) -> dict[str, Any] | None:
        """The IP from the tenant listing (fetching or waiting for pages as the budget allows),
        or None when the listing cannot tell (then the caller GETs it)."""
        discards = 0
        while True:
            with self._cond:
                while True:
                    if self._writes.in_flight:
                        return None
                    if not self._writes.quiet_since(self._ips_gen):
                        self._reset_ips()
                    if key in self._ips:
                        self.stats["ip_hits"] += 1
                        return _copy_ip(self._ips[key])
                    if self._ips_complete or self._ips_failures >= MAX_FAILED_LISTINGS:
                        return None
                    if not self._ips_fetching:
                        break
                    failures = self._ips_failures
                    self._wait()
                    if self._ips_failures != failures:
                        return None  # the listing this reader waited for failed
                if self._ips_pages >= self._page_budget():
                    return None
                self._ips_fetching = True
                gen, marker = self._ips_gen, self._ips_marker
            stored = self._fetch_ip_page(gen, marker)
            if stored is None:
                return None
            if not stored:
                discards += 1
                if discards >= _MAX_DISCARDS:
                    return None

    def _fetch_ip_page(self, gen: int, marker: str | None) -> bool | None:
        """Fetch the page after `marker` for generation `gen`: True when stored, False when a
        write made it stale, None when the listing failed."""
        try:
            items, next_marker = self._networks.list_ip_addresses_page(
                limit=self.page_size, marker=marker
            )
        except ApiError as err:
            with self._cond:
                self._ips_fetching = False
                self._ips_failures += 1
                self._cond.notify_all()
            log.debug("listing the tenant's IPs failed (%s); reading one by one", err)
            return None
        except BaseException:
            with self._cond:
                self._ips_fetching = False
                self._ips_failures += 1
                self._cond.notify_all()
            raise
        with self._cond:
            self._ips_fetching = False
            self._cond.notify_all()
            if gen != self._ips_gen or not self._writes.quiet_since(gen):
                log.debug("a write overlapped a listing of the tenant's IPs; not keeping it")
                return False
            self.stats["ip_listing_pages"] += 1
            for ip in items:
                if ip.get("id"):
                    self._ips[api_id(ip["id"])] = ip
            self._ips_pages += 1
            # No link, a link back to the same place, or an empty page: nothing more to list.
            self._ips_complete = next_marker is None or next_marker == marker or not items
            self._ips_marker = next_marker
            return True

    def _reset_ips(self) -> None:
        self._ips = {}
        self._ips_gen = self._writes.generation
        self._ips_marker = None
        self._ips_pages = 0
        self._ips_complete = False

    # ------------------------------------------------------------------ associations

    def ip_association(self, server_id: str, ip_id: str) -> dict[str, Any] | None:
        """The server's association with the IP as `{id, address}`, or None once the server's
        own list (a fresh call) has no such association; `NotFound` when the server is gone."""
        if self.enabled:
            found = self._association_from_listing(api_id(server_id), api_id(ip_id), server_id)
            if found is not None:
                return found
        self._count("association_own_reads")
        return self._servers.find_ip_association(server_id, ip_id)

    def _association_from_listing(
        self, server_key: str, ip_key: str, server_id: str
    ) -> dict[str, Any] | None:
        discards = 0
        while True:
            with self._cond:
                while True:
                    if self._writes.in_flight:
                        return None
                    if not self._writes.quiet_since(self._assocs_gen):
                        self._assocs = {}
                        self._assocs_gen = self._writes.generation
                    listed = self._assocs.get(server_key)
                    if listed is not None:
                        found = next((a for a in listed if api_id(a["id"]) == ip_key), None)
                        if found is None:
                            return None  # confirmed by the caller's own call
                        self.stats["association_hits"] += 1
                        return dict(found)
                    if server_key not in self._assocs_fetching:
                        break
                    failures = self._assocs_failures[server_key]
                    self._wait()
                    if self._assocs_failures[server_key] != failures:
                        return None
                self._assocs_fetching.add(server_key)
                gen = self._assocs_gen
            try:
                listed = self._servers.list_ip_associations(server_id)
            except BaseException as err:
                with self._cond:
                    self._assocs_fetching.discard(server_key)
                    self._assocs_failures[server_key] += 1
                    self._cond.notify_all()
                if isinstance(err, ApiError):
                    log.debug("listing the associations of %s failed (%s)", server_id, err)
                # The list is this reader's own call (the one it made before batching): its
                # answer (`NotFound` for a missing server) is the read's. Waiters ask again.
                raise
            with self._cond:
                self._assocs_fetching.discard(server_key)
                self._cond.notify_all()
                if gen == self._assocs_gen and self._writes.quiet_since(gen):
                    self.stats["association_listings"] += 1
                    self._assocs[server_key] = listed
                    continue
            discards += 1
            if discards >= _MAX_DISCARDS:
                return None

    # ------------------------------------------------------------------ waiting

    def _count(self, what: str) -> None:
        with self._cond:
            self.stats[what] += 1

    def _wait(self) -> None:
        """Wait (holding `_cond`) for another reader's fetch; `Cancelled` when Terraform stops."""
        cancel = current_cancellation() or self._cancelled
        if cancel is not None and cancel.is_set():
            raise Cancelled("cancelled while waiting for a listing: Terraform is stopping")
        self._cond.wait(_POLL)
        if cancel is not None and cancel.is_set():
            raise Cancelled("cancelled while waiting for a listing: Terraform is stopping")
