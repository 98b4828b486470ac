"""A scripted Identity + Networks + Servers endpoint for client and configure tests."""

from __future__ import annotations

import threading
import time
from typing import Any

from .fakes import Recorded, ScriptedServer, token_reply

USER, API_KEY, PASSWORD = "demo", "sekret-api-key-123", "sekret-password-456"


class FakeIdentityApi:
    """Issues tokens tok-1, tok-2, ...; other paths need a currently valid token."""

    def __init__(self, auth_delay: float = 0.0) -> None:
        self.valid: set[str] = set()
        self.issued = 0
        self.auth_delay = auth_delay
        self._lock = threading.Lock()
        self.server = ScriptedServer(self.handle)

    @property
    def url(self) -> str:
        return self.server.url

    def auth_requests(self) -> list[Recorded]:
        return [r for r in self.server.requests if r.path.endswith("/tokens")]

    def handle(self, rec: Recorded) -> tuple[int, dict[str, str], Any]:
        if rec.path == "/v2.0/tokens":
            auth = (rec.body or {}).get("auth", {})
            key = auth.get("RAX-KSKEY:apiKeyCredentials", {})
            pw = auth.get("passwordCredentials", {})
            good = (key.get("username") == USER and key.get("apiKey") == API_KEY) or (
                pw.get("username") == USER and pw.get("password") == PASSWORD
            )
            if not good:
                return (
                    401,
                    {},
                    {
                        "unauthorized": {
                            "code": 401,
                            "message": "Unable to authenticate user with credentials provided.",
                        }
                    },
                )
            time.sleep(self.auth_delay)
            with self._lock:
                self.issued += 1
                token = f"tok-{self.issued}-0123456789abcdef"
                self.valid.add(token)
            return 200, {}, token_reply(self.url, token)
        if rec.headers.get("x-auth-token") not in self.valid:
            return 401, {}, {"unauthorized": {"code": 401, "message": "No valid token"}}
        if rec.path.startswith("/dfw/networks/v2.0/ip_addresses/"):
            ip_id = rec.path.rsplit("/", 1)[1]
            return (
                200,
                {"X-Openstack-Request-Id": "req-9"},
                {
                    "ip_address": {
                        "id": ip_id,
                        "network_id": "00000000-0000-0000-0000-000000000000",
                        "ip_address": "203.0.113.9",
                        "port_ids": ["p1", "p2"],
                        "version": "4",
                        "type": "shared",
                        "subnet_id": "s",
                        "tenant_id": "123456",
                    }
                },
            )
        if rec.path.startswith("/dfw/servers/v2/123456/servers/") and rec.path.endswith(
            "/ip_associations"
        ):
            return 200, {}, {"ip_associations": [{"id": "ip-1", "address": "203.0.113.9"}]}
        return 404, {}, {"itemNotFound": {"code": 404, "message": "no route " + rec.path}}
