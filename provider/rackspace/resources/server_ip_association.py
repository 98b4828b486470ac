"""`rackspace_server_ip_association`: one explicit association of a shared IP with a server."""

from __future__ import annotations

from typing import Any, ClassVar

from provider.plugin import (
    UUID,
    Attribute,
    CaseInsensitiveString,
    Context,
    ProviderError,
    RequiresReplace,
    Resource,
    Schema,
    String,
    UseStateForUnknown,
    uuid,
)
from provider.rackspace.api.client import RackspaceClient
from provider.rackspace.api.errors import AlreadyAssociated, ApiError, BadRequest, NotFound
from provider.rackspace.api.finders import (
    find_association_blocker,
    ip_address_exists,
    server_exists,
)
from provider.rackspace.api.servers import association_key
from provider.rackspace.diagnostics import api_error, one_at_a_time
from provider.rackspace.resources._compat import plan_checks_allowed
from provider.rackspace.validators import is_uuid

TYPE_NAME = "rackspace_server_ip_association"
# `<server_id>/<ip_address_id>`: two UUIDs, so letter case does not matter either.
_PAIR = CaseInsensitiveString("ServerIPPair")


class ServerIPAssociation(Resource[RackspaceClient]):
    """One explicit association (Cloud Servers `ip_associations`) of a shared IP with a server."""

    type_name: ClassVar[str] = TYPE_NAME
    schema: ClassVar[Schema] = Schema(
        description=(
            "Explicitly associates a shared IP with one server, so the server may carry its "
            "traffic. The IP must already be provisioned on one of the server's ports.\n\n"
            "**An association that already exists is taken over, with a warning.** A server "
            "and an IP have exactly one association, and the API records no owner. When the "
            "API already holds it at create time (read from the server's association list "
            "before the PUT, not from the PUT's status, which the API does not use "
            "consistently), the create succeeds and Terraform prints a warning that names the "
            "server and the IP and gives the alternatives: `terraform import "
            "rackspace_server_ip_association.<name> <server_id>/<ip_address_id>` (or an "
            "`import` block) to manage an existing association on purpose, a `moved` block to "
            "rename a resource, or `terraform state rm` when another workspace manages it. "
            "A warning rather than an error because the provider cannot tell whose it is: the "
            "same answer comes back when this configuration lost track of its own association "
            "(an apply interrupted after the API made it, which a plain apply then repairs) "
            "and when it replaces one with `create_before_destroy` or renames a `for_each` "
            "key; an error would turn each of those into a manual import. The price: if "
            "another workspace manages it too, destroying either removes it for both, which "
            "is what the warning says.\n\n"
            "Within one apply, operations on the same server and IP run one at a time, and a "
            "destroy never removes an association that a create of the same apply made or "
            "took over, so a replacement or a renamed key keeps the association at any "
            "`-parallelism`. Two resources of one configuration that create the same "
            "association in one apply are an error (`Association declared twice`): both "
            "would manage one object."
        ),
        attributes={
            "id": Attribute(
                _PAIR,
                computed=True,
                plan=[UseStateForUnknown()],
                description="`<server_id>/<ip_address_id>`.",
            ),
            "server_id": Attribute(
                UUID,
                required=True,
                validate=[uuid()],
                plan=[RequiresReplace()],
                description="The server (a UUID).",
            ),
            "ip_address_id": Attribute(
                UUID,
                required=True,
                validate=[uuid()],
                plan=[RequiresReplace()],
                description="The shared IP's id (`rackspace_ip_address.<name>.id`).",
            ),
            "address": Attribute(
                String,
                computed=True,
                plan=[UseStateForUnknown()],
                description="The IP address itself.",
            ),
        },
    )

    def modify_plan(
        self,
        prior: dict[str, Any] | None,
        planned: dict[str, Any],
        config: dict[str, Any],
        ctx: Context,
    ) -> dict[str, Any]:
        """Fail the plan, at the attribute, when a new server or IP id names nothing (each
        looked up once per run; skipped while unknown, or when the lookup itself fails)."""
        if getattr(self.client, "coordination", None) is None:
            return planned  # no API to ask (an unconfigured provider in tests)
        if not plan_checks_allowed(ctx.terraform_version):
            return planned  # the apply names what is missing instead
        checks = (
            ("server_id", "Server", server_exists),
            ("ip_address_id", "Shared IP", ip_address_exists),
        )
        for name, what, exists in checks:
            value = planned.get(name)
            if not isinstance(value, str) or (prior is not None and prior.get(name) == value):
                continue
            try:
                found = exists(self.client, value)
            except ApiError as err:
                ctx.log.warning("could not check %s %s at plan time: %s", name, value, err)
                continue
            if not found:
                raise ProviderError(
                    f"{what} not found",
                    f"{what} {value} does not exist in this account and region; check `{name}`.",
                    path=(name,),
                )
        return planned

    def create(self, planned: dict[str, Any], ctx: Context) -> dict[str, Any]:
        """PUT the association. One the API already holds is taken over with a warning (see
        the schema description for why not an error)."""
        server_id, ip_id = planned["server_id"], planned["ip_address_id"]
        key = association_key(server_id, ip_id)
        coordination = self.client.coordination
        summary = f"Failed to associate shared IP {ip_id} with server {server_id}"
        with one_at_a_time(coordination, key, ctx, summary):
            # Asked first, because the PUT's status cannot say whether it existed: the real
            # API answers 200 to new associations too (research §5.8).
            existing = self._find(self.client, server_id, ip_id, summary)
            if existing is None:
                created = self._put(self.client, server_id, ip_id, summary)
                if created is not None:
                    # A destroy of this walk that reaches the same association later (the
                    # stale state of a renamed or replaced instance) must leave it.
                    coordination.record_created(key)
                    address = created.get("address") or self._address_of(self.client, ip_id)
                    return _state(planned["server_id"], planned["ip_address_id"], address)
                # The PUT said it already exists: someone made it since the lookup.
                existing = self._find(self.client, server_id, ip_id, summary)
                if existing is None:
                    raise ProviderError(
                        summary,
                        "The API answered that the association already exists, but it is not "
                        f"in the list of server {server_id}'s associations; run apply again.",
                    )
            if coordination.held(key):
                # Another create of this same apply made it or took it over: the
                # configuration declares it twice, and both would fight over one object.
                raise _declared_twice(planned)
            # Taken over: an instance being destroyed in this walk (create_before_destroy, a
            # renamed key) must now leave it to this one.
            coordination.record_created(key)
        ctx.warn(*_already_associated(planned, existing))
        address = existing.get("address") or self._address_of(self.client, ip_id)
        return _state(planned["server_id"], planned["ip_address_id"], address)

    def read(self, state: dict[str, Any], ctx: Context) -> dict[str, Any] | None:
        """List the server's associations; None when the server or the association is gone."""
        server_id, ip_id = state["server_id"], state["ip_address_id"]
        try:
            # One shared list per server; a miss is confirmed by the server's own fresh list.
            found = self.client.reads.ip_association(server_id, ip_id)
        except NotFound:
            ctx.log.info("server %s is gone; removing its association from state", server_id)
            return None
        except ApiError as err:
            raise api_error(f"Failed to read the associations of server {server_id}", err) from None
        if found is None:
            ctx.log.info(
                "association of %s with %s is gone; removing it from state", ip_id, server_id
            )
            return None
        address = found["address"] or state.get("address")
        return _state(state["server_id"], state["ip_address_id"], address)

    def delete(self, state: dict[str, Any], ctx: Context) -> None:
        """DELETE the association; 404 (already gone) is success. Left in place when an instance
        created in this same walk holds it (a replacement or a renamed key)."""
        server_id, ip_id = state["server_id"], state["ip_address_id"]
        key = association_key(server_id, ip_id)
        summary = f"Failed to remove the association of shared IP {ip_id} with server {server_id}"
        coordination = self.client.coordination
        with one_at_a_time(coordination, key, ctx, summary):
            if coordination.hand_over(key):
                ctx.log.info(
                    "association of %s with %s now belongs to the instance created "
                    "in this run; not removing it",
                    ip_id,
                    server_id,
                )
                return
            try:
                with coordination.removing(ip_id):
                    self.client.servers.disassociate(server_id, ip_id)
            except NotFound:
                return
            except ApiError as err:
                raise api_error(summary, err) from None

    def import_state(self, import_id: str, ctx: Context) -> dict[str, Any]:
        """Import by `<server_id>/<ip_address_id>`."""
        parts = import_id.strip().split("/")
        problems = [is_uuid(p) for p in parts] if len(parts) == 2 else ["malformed"]
        if any(problems):
            raise ProviderError(
                "Invalid import id",
                f"Import a {TYPE_NAME} by `<server_id>/<ip_address_id>`: two UUIDs joined by "
                f"a slash, e.g. a1000000-0000-4000-8000-000000000001/"
                f"89875b4a-b098-414f-980a-5e9f89078a49. Got {import_id!r}.",
            )
        return _state(parts[0], parts[1], None)

    @staticmethod
    def _find(
        client: RackspaceClient, server_id: str, ip_id: str, summary: str
    ) -> dict[str, Any] | None:
        try:
            return client.servers.find_ip_association(server_id, ip_id)
        except NotFound as err:
            raise api_error(
                summary,
                err,
                hint=f"Server {server_id} does not exist in this account and "
                "region; check `server_id`.",
                path=("server_id",),
            ) from None
        except ApiError as err:
            raise api_error(summary, err) from None

    @staticmethod
    def _put(
        client: RackspaceClient, server_id: str, ip_id: str, summary: str
    ) -> dict[str, Any] | None:
        """PUT the association: its `{id, address}` (address may be ""), None if it existed."""
        try:
            return client.servers.associate(server_id, ip_id) or {}
        except AlreadyAssociated:
            return None
        except BadRequest as err:
            raise api_error(
                summary,
                err,
                hint="The IP must be provisioned on one (and only one) of this server's "
                "ports: add the server's port to the `rackspace_ip_address`'s `port_ids`.",
            ) from None
        except NotFound as err:
            raise api_error(
                summary, err, hint=_missing_for_association(client, server_id, ip_id)
            ) from None
        except ApiError as err:
            raise api_error(summary, err) from None

    @staticmethod
    def _address_of(client: RackspaceClient, ip_id: str) -> str:
        try:
            return client.networks.get_ip_address(ip_id).get("address") or ""
        except ApiError:
            return ""


def _already_associated(planned: dict[str, Any], existing: dict[str, Any]) -> tuple[str, str]:
    """Summary and detail of the warning for an association the API held before the create."""
    server_id, ip_id = planned["server_id"], planned["ip_address_id"]
    address = f" ({existing['address']})" if existing.get("address") else ""
    pair = f"{server_id}/{ip_id}"
    return (
        "Association already existed",
        f"Server {server_id} was already explicitly associated with shared IP {ip_id}"
        f"{address} before this resource created it; this resource now manages that "
        "association, and destroying it will remove it for everyone.\n\n"
        "This is expected when this apply replaces or renames the resource that held it "
        "(`create_before_destroy`, a renamed `for_each` key: the old instance's destroy leaves "
        "it in place), or when an earlier apply was interrupted after the API made it.\n\n"
        "If another workspace or configuration (or an operator, or an HA tool) manages it, "
        "one of the two must let go before either is destroyed: drop it from this state with "
        "`terraform state rm <address of this resource>` and remove the resource, or remove it "
        "from the other side and keep it here. To bring an existing association under "
        "management on purpose, import it instead of creating it:\n\n"
        f"  terraform import {TYPE_NAME}.<name> {pair}\n\n"
        f'(or an `import` block with `id = "{pair}"` on Terraform 1.5 and later); to rename '
        "a resource that manages it, use a `moved` block instead of a new resource.",
    )


def _declared_twice(planned: dict[str, Any]) -> ProviderError:
    """Two resources of one configuration create the same association in one apply."""
    server_id, ip_id = planned["server_id"], planned["ip_address_id"]
    return ProviderError(
        "Association declared twice",
        f"Another {TYPE_NAME} of this configuration created the association of server "
        f"{server_id} with shared IP {ip_id} earlier in this apply. A server and an IP have "
        "one association, so two resources cannot both manage it: destroying either would "
        "remove it for the other. Keep one resource for it and remove the other (a `moved` "
        "block renames a resource without re-creating it).",
    )


def _missing_for_association(client: RackspaceClient, server_id: str, ip_id: str) -> str:
    """Which of the association's objects is missing, by asking for each (best effort)."""
    try:
        blocker = find_association_blocker(client, server_id, ip_id)
    except ApiError:
        blocker = None
    if blocker == "server":
        return f"Server {server_id} does not exist in this account and region; check `server_id`."
    if blocker == "ip":
        return (
            f"Shared IP {ip_id} does not exist in this account and region; check `ip_address_id`."
        )
    if blocker == "ports":
        return (
            f"Shared IP {ip_id} is not provisioned on any port of server {server_id}: add the "
            "server (or its port) to the `rackspace_ip_address`'s `server_ids` / `port_ids`."
        )
    return (
        "The server does not exist, the shared IP does not exist, or the IP is not "
        "provisioned on any port of this server (check the IP's `port_ids` / `server_ids`)."
    )


def _state(server_id: str, ip_id: str, address: str | None) -> dict[str, Any]:
    return {
        "id": f"{server_id}/{ip_id}",
        "server_id": server_id,
        "ip_address_id": ip_id,
        "address": address,
    }
