"""`rackspace_server_ip_association`: one explicit association of a shared IP with a server."""

from __future__ import annotations

from typing import Any, ClassVar

from provider.plugin import (
    Attribute,
    Context,
    ProviderError,
    RequiresReplace,
    Resource,
    Schema,
    String,
    UseStateForUnknown,
    uuid,
)
from provider.rackspace.api.errors import ApiError, BadRequest, NotFound
from provider.rackspace.diagnostics import api_error
from provider.rackspace.validators import is_uuid

TYPE_NAME = "rackspace_server_ip_association"


class ServerIPAssociation(Resource):
    """One explicit association (Cloud Servers `ip_associations`) of a shared IP with a server."""

    type_name: ClassVar[str] = TYPE_NAME
    schema: ClassVar[Schema] = Schema(
        description=(
            "Explicitly associates a shared IP with one server, so the server may carry its "
            "traffic. The IP must already be provisioned on one of the server's ports."
        ),
        attributes={
            "id": Attribute(
                String,
                computed=True,
                plan=[UseStateForUnknown()],
                description="`<server_id>/<ip_address_id>`.",
            ),
            "server_id": Attribute(
                String,
                required=True,
                validate=[uuid()],
                plan=[RequiresReplace()],
                description="The server (a UUID).",
            ),
            "ip_address_id": Attribute(
                String,
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

    def create(self, planned: dict[str, Any], ctx: Context) -> dict[str, Any]:
        """PUT the association; an association the API already has is adopted."""
        client = self.client.bound(ctx.cancelled)
        server_id, ip_id = planned["server_id"].lower(), planned["ip_address_id"].lower()
        summary = f"Failed to associate shared IP {ip_id} with server {server_id}"
        try:
            created = client.servers.associate(server_id, ip_id)
        except BadRequest as err:
            if "already" not in f"{err.code} {err.message}".lower():
                raise api_error(
                    summary,
                    err,
                    hint="The IP must be provisioned on one (and only one) of this server's "
                    "ports: add the server's port to the `rackspace_ip_address`'s `port_ids`.",
                ) from None
            # Some deployments answer 400 for an association that exists: confirm and adopt it.
            created = self._find(client, server_id, ip_id, summary)
            if created is None:
                raise api_error(summary, err) from None
            ctx.log.info("adopting existing association of %s with %s", ip_id, server_id)
        except NotFound as err:
            raise api_error(
                summary,
                err,
                hint="The server does not exist, the shared IP does not exist, or the IP is not "
                "provisioned on any port of this server (check the IP's `port_ids` / "
                "`server_ids`).",
            ) from None
        except ApiError as err:
            raise api_error(summary, err) from None
        address = (created or {}).get("address") or ""
        if not address:
            found = self._find(client, server_id, ip_id, summary)
            address = (found or {}).get("address") or self._address_of(client, ip_id)
        return _state(planned["server_id"], planned["ip_address_id"], address)

    def read(self, state: dict[str, Any], ctx: Context) -> dict[str, Any] | None:
        """List the server's associations; None when the server or the association is gone."""
        client = self.client.bound(ctx.cancelled)
        server_id, ip_id = state["server_id"].lower(), state["ip_address_id"].lower()
        try:
            associations = client.servers.list_ip_associations(server_id)
        except NotFound:
            ctx.log.info("server %s is gone; removing its association from state", server_id)
            return None
        except ApiError as err:
            raise api_error(f"Failed to read the associations of server {server_id}", err) from None
        for association in associations:
            if association["id"].lower() == ip_id.lower():
                address = association["address"] or state.get("address")
                return _state(state["server_id"], state["ip_address_id"], address)
        ctx.log.info("association of %s with %s is gone; removing it from state", ip_id, server_id)
        return None

    def delete(self, state: dict[str, Any], ctx: Context) -> None:
        """DELETE the association; 404 (already gone) is success."""
        client = self.client.bound(ctx.cancelled)
        server_id, ip_id = state["server_id"].lower(), state["ip_address_id"].lower()
        try:
            client.servers.disassociate(server_id, ip_id)
        except NotFound:
            return
        except ApiError as err:
            raise api_error(
                f"Failed to remove the association of shared IP {ip_id} with server {server_id}",
                err,
            ) from None

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
    def _find(client: Any, server_id: str, ip_id: str, summary: str) -> dict[str, Any] | None:
        try:
            associations = client.servers.list_ip_associations(server_id)
        except ApiError as err:
            raise api_error(summary, err) from None
        return next((a for a in associations if a["id"].lower() == ip_id.lower()), None)

    @staticmethod
    def _address_of(client: Any, ip_id: str) -> str:
        try:
            return client.networks.get_ip_address(ip_id).get("address") or ""
        except ApiError:
            return ""


def _state(server_id: str, ip_id: str, address: str | None) -> dict[str, Any]:
    return {
        "id": f"{server_id}/{ip_id}",
        "server_id": server_id,
        "ip_address_id": ip_id,
        "address": address,
    }
