"""Constants of the default seed and a small client for the sandbox tests."""

from __future__ import annotations

from typing import Any

from tests.support.sandbox import Sandbox

PUBLICNET = "00000000-0000-0000-0000-000000000000"
SERVICENET = "11111111-1111-1111-1111-111111111111"
PRIVATE_NET = "5ea1c0de-0000-4000-8000-000000000001"
WEB = [f"a1000000-0000-4000-8000-00000000000{i}" for i in range(1, 5)]
DB1 = "b1000000-0000-4000-8000-000000000001"
APP1 = "c1000000-0000-4000-8000-000000000001"
FOREIGN1 = "f1000000-0000-4000-8000-000000000001"
TENANT = "123456"
OTHER_TENANT = "654321"
MISSING = "deadbeef-0000-4000-8000-000000000000"


class Api:
    """Calls the sandbox as one seed user in one region."""

    def __init__(self, sb: Sandbox, user: str = "demo", region: str = "dfw") -> None:
        self.sb = sb
        self.user = user
        self.region = region
        self.token = sb.token(user)
        self.tenant = sb.env(user)["RACKSPACE_TENANT_ID"]

    def net(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """A Cloud Networks call (``path`` after ``/v2.0``)."""
        return self.sb.call(method, f"/{self.region}/networks/v2.0{path}", body, token=self.token)

    def srv(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """A Cloud Servers call (``path`` after ``/v2/{tenant}``)."""
        return self.sb.call(
            method, f"/{self.region}/servers/v2/{self.tenant}{path}", body, token=self.token
        )

    def port(self, server_id: str, network_id: str = PUBLICNET) -> str:
        """The id of the server's port on a network."""
        status, data = self.net("GET", f"/ports?device_id={server_id}&network_id={network_id}")
        assert status == 200, data
        assert len(data["ports"]) == 1, data
        return data["ports"][0]["id"]

    def shared_ip(self, servers: list[str], network_id: str = PUBLICNET, version: int = 4) -> dict:
        """Create a shared IP on the servers' ports; returns the ``ip_address`` object."""
        ports = [self.port(s, network_id) for s in servers]
        status, data = self.net(
            "POST",
            "/ip_addresses",
            {"ip_address": {"network_id": network_id, "version": version, "port_ids": ports}},
        )
        assert status == 201, data
        return data["ip_address"]

    def associate(self, server_id: str, ip_id: str) -> tuple[int, Any]:
        """PUT the association."""
        return self.srv("PUT", f"/servers/{server_id}/ip_associations/{ip_id}")

    def disassociate(self, server_id: str, ip_id: str) -> tuple[int, Any]:
        """DELETE the association."""
        return self.srv("DELETE", f"/servers/{server_id}/ip_associations/{ip_id}")
