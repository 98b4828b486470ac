"""`rackspace_ip_address`: a shared IP provisioned on two or more servers' ports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from provider.plugin import (
    Attribute,
    Context,
    ExactlyOneOf,
    Number,
    ProviderError,
    RequiresReplace,
    RequiresReplaceIf,
    Resource,
    Schema,
    Set,
    String,
    Unknown,
    UseStateForUnknown,
    each,
    one_of,
    uuid,
)
from provider.rackspace.api.errors import (
    AmbiguousOutcome,
    ApiError,
    NotFound,
    PortRequiresDisassociation,
    ServerError,
)
from provider.rackspace.api.finders import find_missing_ports, find_missing_servers
from provider.rackspace.diagnostics import api_error
from provider.rackspace.validators import at_least, is_uuid, keep_spelling, same_ids

TYPE_NAME = "rackspace_ip_address"
_T = TypeVar("_T")
# A create without a clear answer is sent again only after a lookup found no IP it could have
# made; this bounds how often, and the pause grows with each attempt.
_VERIFIED_CREATE_ATTEMPTS = 5
_VERIFIED_CREATE_DELAY = 0.25
# An IP operation refused because servers are still associated waits while this walk removes
# associations of that IP: up to _REMOVAL_GRACE s for removals Terraform has scheduled but not
# sent yet (independent operations start together), and _REMOVAL_LIMIT s in all.
_REMOVAL_GRACE = 3.0
_REMOVAL_LIMIT = 300.0


def _computed(description: str) -> Attribute:
    return Attribute(String, computed=True, description=description, plan=[UseStateForUnknown()])


def _had_servers(prior: Any, planned: Any) -> bool:
    """Replace for a change of `server_ids`, but not for their first value (see modify_plan)."""
    return prior is not None


class IPAddress(Resource):
    """A shared IP (Cloud Networks `ip_addresses`) provisioned on the given ports or servers."""

    type_name: ClassVar[str] = TYPE_NAME
    schema: ClassVar[Schema] = Schema(
        description=(
            "A shared IP address provisioned on two or more servers' ports. Each server also "
            "needs a `rackspace_server_ip_association` before it can use the IP."
        ),
        attributes={
            "id": _computed("The IP address id (a UUID, used in every API path)."),
            "network_id": Attribute(
                String,
                required=True,
                validate=[uuid()],
                plan=[RequiresReplace()],
                description=(
                    "Network to draw the IP from: PublicNet "
                    "`00000000-0000-0000-0000-000000000000` or an isolated network."
                ),
            ),
            "version": Attribute(
                Number,
                optional=True,
                computed=True,
                default=4,
                validate=[one_of(4, 6)],
                plan=[RequiresReplace()],
                description="IP version, 4 or 6. Default 4.",
            ),
            "port_ids": Attribute(
                Set(String),
                optional=True,
                computed=True,
                validate=[at_least(2, "port ids"), each(uuid())],
                plan=[UseStateForUnknown()],
                description=(
                    "Ports that carry the IP (at least two; see the `rackspace_ports` data "
                    "source). Updated in place. Computed when `server_ids` is used."
                ),
            ),
            "server_ids": Attribute(
                Set(String),
                optional=True,
                validate=[at_least(2, "server ids"), each(uuid())],
                # A first value for an IP already in state (imported, or managed by `port_ids`
                # until now) is adopted in place when it names the servers that hold the IP;
                # `modify_plan` checks that. Any later change replaces the IP.
                plan=[RequiresReplaceIf(_had_servers, "Changing the servers replaces the IP.")],
                description=(
                    "Servers whose ports on `network_id` carry the IP (at least two), instead "
                    "of `port_ids`. Changing it replaces the IP."
                ),
            ),
            "address": _computed("The IP address itself."),
            "subnet_id": _computed("Subnet the address was drawn from."),
            "tenant_id": _computed("Owning tenant (account number)."),
            "type": _computed("`shared` for IPs made by this resource."),
        },
        validators=[ExactlyOneOf("port_ids", "server_ids")],
    )

    def modify_plan(
        self,
        prior: dict[str, Any] | None,
        planned: dict[str, Any],
        config: dict[str, Any],
        ctx: Context,
    ) -> dict[str, Any]:
        """Adopt `server_ids` for an IP in state without them, if they are its servers."""
        servers = planned.get("server_ids")
        if prior is None or prior.get("server_ids") is not None:
            return planned
        if servers is None or servers is Unknown or Unknown in servers:
            return planned
        client = self.client.bound(ctx.cancelled)
        try:
            held = _servers_of_ports(client, prior)
        except ApiError as err:
            raise api_error(
                f"Failed to look up the servers of shared IP {prior['id']}", err
            ) from None
        if not same_ids(servers, held):
            raise ProviderError(
                "server_ids do not match the servers of this shared IP",
                f"Shared IP {prior['id']} ({prior.get('address')}) is carried by the ports of "
                f"{', '.join(sorted(held)) or 'no server'}, but `server_ids` names "
                f"{', '.join(sorted(servers))}. Set `server_ids` to the servers that hold it, "
                "or ask for a new IP on these servers with `terraform apply "
                "-replace=<address of this resource>`.",
                path=("server_ids",),
            )
        return planned

    def create(self, planned: dict[str, Any], ctx: Context) -> dict[str, Any]:
        """POST the IP; never retried once it may have reached the API."""
        client = self.client.bound(ctx.cancelled)
        api = client.networks
        server_ids = planned.get("server_ids")
        port_ids = None if server_ids is not None else planned.get("port_ids")
        version = int(planned.get("version") or 4)
        attempt = 0
        while True:
            attempt += 1
            try:
                ip = api.create_ip_address(
                    # The API's ids are lower case; the user's spelling is kept in state only.
                    network_id=planned["network_id"].lower(),
                    version=version,
                    port_ids=_lower(port_ids) if port_ids is not None else None,
                    device_ids=_lower(server_ids) if server_ids is not None else None,
                )
                break
            except (AmbiguousOutcome, ServerError) as err:
                candidates = self._candidates(planned, ctx)
                # Repeat the POST only once a lookup has shown that no IP was allocated, so
                # a flaky API does not fail the apply and no second IP is ever made.
                if candidates != [] or attempt >= _VERIFIED_CREATE_ATTEMPTS:
                    raise self._maybe_created(planned, err, candidates) from None
                ctx.log.warning(
                    "create of a shared IP got no clear answer (%s) and no matching IP "
                    "exists; sending it again (attempt %d of %d)",
                    err.message,
                    attempt + 1,
                    _VERIFIED_CREATE_ATTEMPTS,
                )
                if ctx.cancelled.wait(_VERIFIED_CREATE_DELAY * attempt):
                    raise self._maybe_created(planned, err, candidates) from None
            except ApiError as err:
                raise _create_error(planned, err, client) from None
        ctx.log.info("created shared IP %s (%s)", ip.get("id"), ip.get("address"))
        return _state(ip, planned)

    def read(self, state: dict[str, Any], ctx: Context) -> dict[str, Any] | None:
        """GET the IP; None (removed from state) when it is gone."""
        client = self.client.bound(ctx.cancelled)
        ip_id = state["id"]
        try:
            ip = client.networks.get_ip_address(ip_id)
        except NotFound:
            ctx.log.info("shared IP %s is gone; removing it from state", ip_id)
            return None
        except ApiError as err:
            raise api_error(f"Failed to read shared IP {ip_id}", err) from None
        server_ids = state.get("server_ids")
        if server_ids is not None and not same_ids(ip["port_ids"], state.get("port_ids") or ()):
            # The ports changed behind Terraform's back: report which servers hold it now, so a
            # configuration by server sees the drift (and replaces the IP).
            server_ids = _servers_of_ports(client, ip)
        return _state(ip, state, server_ids=server_ids)

    def update(
        self, prior: dict[str, Any], planned: dict[str, Any], ctx: Context
    ) -> dict[str, Any]:
        """PUT the new `port_ids` (the only argument updated in place)."""
        client = self.client.bound(ctx.cancelled)
        ip_id = prior["id"]
        port_ids = planned.get("port_ids")
        try:
            if (
                port_ids is not Unknown
                and port_ids is not None
                and not same_ids(port_ids, prior.get("port_ids") or ())
            ):
                ip = _after_removals(
                    client,
                    ip_id,
                    ctx,
                    lambda: client.networks.update_ip_address(ip_id, _lower(port_ids)),
                )
            else:
                ip = client.networks.get_ip_address(ip_id)
        except PortRequiresDisassociation as err:
            removed = {p.lower() for p in prior.get("port_ids") or ()} - {
                p.lower() for p in port_ids or ()
            }
            servers = _associated_servers(client, ip_id, only_ports=removed)
            raise ProviderError(
                f"Failed to update the ports of shared IP {ip_id}",
                f"{_still_associated(servers)} A port cannot be removed from the IP while "
                "its server is explicitly associated with it: remove the "
                "`rackspace_server_ip_association` for that server first (or in the same "
                f"apply, before this change).\n\n{err.describe()}",
                path=("port_ids",),
            ) from None
        except NotFound as err:
            hint = "The IP or one of the ports does not exist; check `port_ids`."
            if port_ids is not None and port_ids is not Unknown:
                hint = _not_found_hint(client, {**prior, "port_ids": port_ids}, "port_ids")
            raise api_error(
                f"Failed to update the ports of shared IP {ip_id}",
                err,
                hint=hint,
                path=("port_ids",),
            ) from None
        except ApiError as err:
            raise api_error(
                f"Failed to update the ports of shared IP {ip_id}", err, path=("port_ids",)
            ) from None
        return _state(ip, planned)

    def delete(self, state: dict[str, Any], ctx: Context) -> None:
        """DELETE the IP; a missing IP is success."""
        client = self.client.bound(ctx.cancelled)
        ip_id = state["id"]
        try:
            _after_removals(client, ip_id, ctx, lambda: client.networks.delete_ip_address(ip_id))
        except NotFound:
            return
        except PortRequiresDisassociation as err:
            servers = _associated_servers(client, ip_id)
            raise ProviderError(
                f"Failed to delete shared IP {ip_id}",
                f"{_still_associated(servers)} The API refuses to de-allocate an IP while any "
                "server is explicitly associated with it, and nothing in this run is removing "
                "those associations. Remove the `rackspace_server_ip_association` resources of "
                "those servers first (or disassociate them), then run this again.\n\n"
                + err.describe(),
            ) from None
        except ApiError as err:
            raise api_error(f"Failed to delete shared IP {ip_id}", err) from None

    def import_state(self, import_id: str, ctx: Context) -> dict[str, Any]:
        """Import by IP address id; `read` fills in the rest."""
        import_id = import_id.strip()
        problem = is_uuid(import_id)
        if problem:
            raise ProviderError(
                "Invalid import id",
                f"Import a {TYPE_NAME} by its IP address id, which {problem}.",
            )
        # A server's own fixed IP has one port and is not ours to manage: refuse it here rather
        # than let the next plan fail on the two-port rule (or a destroy try to de-allocate it).
        client = self.client.bound(ctx.cancelled)
        partial = {name: None for name in self.schema.attributes} | {"id": import_id}
        try:
            ip = client.networks.get_ip_address(import_id)
        except NotFound:
            return partial  # `read` finds nothing; Terraform says "non-existent remote object"
        except ApiError as err:
            raise api_error(f"Failed to read IP address {import_id}", err) from None
        if ip.get("type") != "shared":
            raise ProviderError(
                "Not a shared IP",
                f"IP address {import_id} ({ip.get('address')}) is of type {ip.get('type')!r}; "
                f"{TYPE_NAME} manages only shared IPs (created with two or more ports). "
                "A server's own fixed IP cannot be imported.",
            )
        return partial

    def _candidates(self, planned: dict[str, Any], ctx: Context) -> list[dict[str, Any]] | None:
        """IPs a create without a clear answer may have made; None when the lookup failed."""
        client = self.client.bound(ctx.cancelled)
        try:
            return _matching_ips(client, planned)
        except ApiError as lookup_err:
            ctx.log.warning(
                "could not look for IPs the failed create may have made: %s", lookup_err
            )
            return None

    @staticmethod
    def _maybe_created(
        planned: dict[str, Any], err: ApiError, candidates: list[dict[str, Any]] | None
    ) -> ProviderError:
        """The POST may have allocated an IP: name the candidates instead of guessing."""
        if not candidates:
            if isinstance(err, AmbiguousOutcome) and candidates is None:
                return api_error(
                    "Creating the shared IP may or may not have succeeded",
                    err,
                    hint="The provider did not retry, to avoid allocating a second IP, and could "
                    "not check. Look for a new shared IP on the network (data source "
                    "`rackspace_ip_addresses`) and import it, or run apply again if there is none.",
                )
            if isinstance(err, AmbiguousOutcome):
                return api_error(
                    "Failed to create shared IP",
                    err,
                    hint="No shared IP matching this configuration exists, so none was created; "
                    "run apply again.",
                )
            return _create_error(planned, err)
        listing = ", ".join(f"{ip['id']} ({ip['address'] or 'no address'})" for ip in candidates)
        first = candidates[0]["id"]
        return ProviderError(
            "Creating the shared IP may have succeeded",
            f"The API gave no clear answer to the create request ({err.describe()}). The "
            "provider did not retry it, because a retry could allocate a second IP.\n\n"
            f"Shared IPs on network {planned['network_id']} that match this configuration: "
            f"{listing}. If one of them was made by this run, import it instead of creating "
            f"another:\n\n  terraform import {TYPE_NAME}.<name> {first}\n\n(or an `import` "
            "block on Terraform 1.5 and later), then run apply again.",
        )


def _state(
    ip: dict[str, Any], like: dict[str, Any], *, server_ids: Any = Ellipsis
) -> dict[str, Any]:
    """A full state from an API object, keeping the id spellings of `like` (plan or state)."""
    prior_ports = like.get("port_ids")
    prior_ports = prior_ports if prior_ports not in (None, Unknown) else ()
    network_id = ip.get("network_id") or like.get("network_id") or ""
    if isinstance(like.get("network_id"), str) and like["network_id"].lower() == network_id.lower():
        network_id = like["network_id"]
    if server_ids is Ellipsis:
        server_ids = like.get("server_ids")
    if server_ids is not None and server_ids is not Unknown:
        server_ids = frozenset(keep_spelling(like.get("server_ids") or (), server_ids))
    else:
        server_ids = None
    return {
        "id": ip["id"],
        "network_id": network_id,
        "version": ip.get("version") if ip.get("version") is not None else like.get("version"),
        "port_ids": frozenset(keep_spelling(prior_ports, ip.get("port_ids") or [])),
        "server_ids": server_ids,
        "address": ip.get("address") or "",
        "subnet_id": ip.get("subnet_id") or "",
        "tenant_id": str(ip.get("tenant_id") or ""),
        "type": ip.get("type") or "",
    }


def _lower(ids: Any) -> list[str]:
    return sorted({i.lower() for i in ids})


def _not_found_hint(client: Any, planned: dict[str, Any], by: str) -> str:
    """Name the servers or ports of `by` that the API could not find, and why."""
    network_id = planned.get("network_id") or ""
    what = "servers" if by == "server_ids" else "ports"
    generic = (
        f"Some of the {what} in `{by}` were not found on network {network_id} in this "
        "account (the `rackspace_ports` data source lists the ports of a server)."
    )
    ids = sorted(planned.get(by) or ())
    if client is None or not ids:
        return generic
    try:
        if by == "server_ids":
            missing = find_missing_servers(client, network_id, ids)
        else:
            missing = find_missing_ports(client, network_id, ids)
    except ApiError:
        return generic
    if not missing:
        return generic
    kind = what[:-1]
    named = "; ".join(f"{kind} {i}: {why}" for i, why in sorted(missing.items()))
    return (
        f"Not found in `{by}`: {named}. Fix or remove {'it' if len(missing) == 1 else 'them'} "
        "(the `rackspace_ports` data source lists the ports of a server)."
    )


def _create_error(planned: dict[str, Any], err: ApiError, client: Any = None) -> ProviderError:
    """The diagnostic for a refused create; `client` (when given) names what was not found."""
    by = "server_ids" if planned.get("server_ids") is not None else "port_ids"
    text = f"{err.code} {err.message}".lower()
    summary = "Failed to create shared IP"
    if err.status == 404 and "network" in text and "port" not in text and "device" not in text:
        return api_error(
            summary,
            err,
            hint="`network_id` names no network of this account.",
            path=("network_id",),
        )
    if err.status == 404:
        return api_error(summary, err, hint=_not_found_hint(client, planned, by), path=(by,))
    if err.status == 400 and "segment" in text:
        return api_error(
            summary,
            err,
            hint="On PublicNet every server must be in the same public IP zone "
            "(`RAX-PUBLIC-IP-ZONE-ID:publicIPZoneId`); pick servers from one zone.",
            path=(by,),
        )
    if err.status == 400 and ("network" in text and "port" in text):
        return api_error(
            summary, err, hint=f"Every port in `{by}` must be on `network_id`.", path=(by,)
        )
    return api_error(summary, err)


def _after_removals(client: Any, ip_id: str, ctx: Context, call: Callable[[], _T]) -> _T:
    """Run `call`; while it is refused with `PortRequiresDisassociation` and this walk is
    removing associations of the IP (a configuration that does not order them before the IP),
    wait for those removals and run it again. Raises the last refusal otherwise."""
    coordination = client.coordination
    group = ip_id.lower()
    while True:
        seen = coordination.removals_done(group)
        try:
            return call()
        except PortRequiresDisassociation:
            if not coordination.wait_for_removals(
                group, seen, _REMOVAL_GRACE, _REMOVAL_LIMIT, ctx.cancelled
            ):
                raise
            ctx.log.info("retrying on shared IP %s after this run removed associations", ip_id)


def _still_associated(servers: list[str] | None) -> str:
    if servers is None:
        return "Some servers are still explicitly associated with the IP."
    if not servers:
        return "The API reports that a server is still explicitly associated with the IP."
    names = ", ".join(servers)
    return f"Still explicitly associated with server{'s' if len(servers) > 1 else ''} {names}."


def _servers_of_ports(client: Any, ip: dict[str, Any]) -> frozenset[str]:
    wanted = {p.lower() for p in ip["port_ids"]}
    ports = client.networks.list_ports(network_id=ip.get("network_id") or None)
    return frozenset(
        str(p["device_id"])
        for p in ports
        if str(p.get("id", "")).lower() in wanted and p.get("device_id")
    )


def _associated_servers(
    client: Any, ip_id: str, only_ports: set[str] | None = None
) -> list[str] | None:
    """Servers that still hold an explicit association with the IP; None if unknown."""
    try:
        ip = client.networks.get_ip_address(ip_id)
        if only_ports is not None:
            ip = {**ip, "port_ids": [p for p in ip["port_ids"] if p.lower() in only_ports]}
        servers = sorted(_servers_of_ports(client, ip))
        held = []
        for server_id in servers:
            try:
                associations = client.servers.list_ip_associations(server_id)
            except NotFound:
                continue
            if any(a["id"].lower() == ip_id.lower() for a in associations):
                held.append(server_id)
        return held
    except ApiError:
        return None


def _matching_ips(client: Any, planned: dict[str, Any]) -> list[dict[str, Any]]:
    """Shared IPs on the planned network carried by exactly the planned ports or servers."""
    network_id = planned["network_id"]
    ips = [
        ip
        for ip in client.networks.list_ip_addresses(network_id=network_id)
        if ip.get("type") in ("shared", None, "")
        and str(ip.get("network_id", network_id)).lower() == network_id.lower()
    ]
    server_ids = planned.get("server_ids")
    if server_ids is None:
        wanted = planned.get("port_ids") or ()
        return [ip for ip in ips if same_ids(ip["port_ids"], wanted)]
    ports = client.networks.list_ports(network_id=network_id)
    device_of = {str(p.get("id", "")).lower(): str(p.get("device_id") or "") for p in ports}
    return [
        ip
        for ip in ips
        if same_ids({device_of.get(p.lower(), "") for p in ip["port_ids"]}, server_ids)
    ]
