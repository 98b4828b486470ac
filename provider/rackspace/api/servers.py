"""Cloud Servers (Nova + Rackspace extension): servers and explicit IP associations."""

from __future__ import annotations

from typing import Any

from provider.rackspace.api.errors import AlreadyAssociated, ApiError, BadRequest
from provider.rackspace.api.ids import api_id
from provider.rackspace.api.session import SERVERS, Session


def association_key(server_id: str, ip_id: str) -> tuple[str, str, str]:
    """The identity of an association in the API: the pair of ids, as the API spells them."""
    return ("association", api_id(server_id), api_id(ip_id))


class ServersApi:
    """Calls to the `cloudServersOpenStack` endpoint (its publicURL ends in `/v2/{tenant}`)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._session.request(SERVERS, method, path, **kwargs).json()

    def get_server(self, server_id: str) -> dict[str, Any]:
        """One server; raises `NotFound` for an unknown server."""
        data = self._call("GET", f"/servers/{api_id(server_id)}")
        if isinstance(data, dict) and isinstance(data.get("server"), dict):
            return data["server"]
        raise ApiError("unexpected response from the Servers API: no `server` object")

    def list_server_ids(self, *, limit: int = 1000) -> frozenset[str]:
        """The ids (as `api_id` spells them) of the tenant's servers on the first page of
        `GET /servers?limit=` (Nova caps a page at 1000 by default, `osapi_max_limit`; the
        rest, if any, are behind a `servers_links` `next` link that this does not follow)."""
        data = self._call("GET", "/servers", query={"limit": limit})
        if not (isinstance(data, dict) and isinstance(data.get("servers"), list)):
            raise ApiError("unexpected response from the Servers API: no `servers` list")
        return frozenset(
            api_id(s["id"]) for s in data["servers"] if isinstance(s, dict) and s.get("id")
        )

    def list_ip_associations(self, server_id: str) -> list[dict[str, Any]]:
        """IPs explicitly associated with the server, as `{id, address}` objects."""
        data = self._call("GET", f"/servers/{api_id(server_id)}/ip_associations")
        if isinstance(data, dict) and isinstance(data.get("ip_associations"), list):
            return [_assoc(a) for a in data["ip_associations"] if isinstance(a, dict)]
        raise ApiError("unexpected response from the Servers API: no `ip_associations` list")

    def find_ip_association(self, server_id: str, ip_id: str) -> dict[str, Any] | None:
        """The server's association with the IP as `{id, address}`, or None when it has none.

        Uses the list call, which is unambiguous (research §5.9: the single GET may answer for
        any IP of the tenant). Raises `NotFound` when the server itself does not exist.
        """
        wanted = api_id(ip_id)
        return next(
            (a for a in self.list_ip_associations(server_id) if api_id(a["id"]) == wanted), None
        )

    def get_ip_association(self, server_id: str, ip_id: str) -> dict[str, Any]:
        """One association; raises `NotFound` when the server does not hold it."""
        data = self._call("GET", f"/servers/{api_id(server_id)}/ip_associations/{api_id(ip_id)}")
        if isinstance(data, dict) and isinstance(data.get("ip_association"), dict):
            return _assoc(data["ip_association"])
        raise ApiError("unexpected response from the Servers API: no `ip_association` object")

    def associate(self, server_id: str, ip_id: str) -> dict[str, Any] | None:
        """Explicitly associate the IP with the server (PUT; 200 and 201 both mean done).

        Whether the association existed before cannot be read from the status (the real API
        answers 200 to new associations too, research §5.8): ask `find_ip_association` first.
        Raises `AlreadyAssociated` for a 400 that says it already exists.
        """
        try:
            data = self._call(
                "PUT",
                f"/servers/{api_id(server_id)}/ip_associations/{api_id(ip_id)}",
                json_body={"ip_association": {}},
            )
        except BadRequest as err:
            if "already" in err.message.lower():
                raise AlreadyAssociated(
                    err.message,
                    status=err.status,
                    code=err.code,
                    request_id=err.request_id,
                    method=err.method,
                    url=err.url,
                ) from None
            raise
        if isinstance(data, dict):
            if isinstance(data.get("ip_association"), dict):
                return _assoc(data["ip_association"])
            # One published sample answers with the list instead of the single object.
            for item in data.get("ip_associations") or []:
                if isinstance(item, dict) and api_id(item.get("id") or "") == api_id(ip_id):
                    return _assoc(item)
        return None

    def disassociate(self, server_id: str, ip_id: str) -> None:
        """Remove the explicit association (the IP stays provisioned on the server's port)."""
        self._call("DELETE", f"/servers/{api_id(server_id)}/ip_associations/{api_id(ip_id)}")


def _assoc(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(raw.get("id") or ""),
        "address": str(raw.get("address") or raw.get("ip_address") or ""),
    }
