"""Fakes for the provider's unit tests: a scripted HTTP server and an in-memory cloud."""

from __future__ import annotations

import json
import threading
import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from provider.rackspace.api.coordination import Coordination
from provider.rackspace.api.errors import (
    AlreadyAssociated,
    AmbiguousOutcome,
    NotFound,
    PortRequiresDisassociation,
    PortsNotFound,
)
from provider.rackspace.api.ids import api_id
from provider.rackspace.api.networks import NetworksApi
from provider.rackspace.api.read_cache import ReadCache
from provider.rackspace.api.servers import ServersApi
from provider.rackspace.api.session import WriteClock


@dataclass
class Recorded:
    """One request the scripted server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


Reply = tuple[int, dict[str, str], Any]  # status, headers, body (dict -> JSON, str/bytes raw)
Handler = Callable[[Recorded], Reply]


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out on purpose leaves a broken pipe behind; that is expected.
        pass


class ScriptedServer:
    """An HTTP server on 127.0.0.1 whose answers come from a Python function."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        outer = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode()
                rec = Recorded(
                    self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )
                with outer._lock:
                    outer.requests.append(rec)
                status, headers, reply = outer.handler(rec)
                data = (
                    json.dumps(reply).encode()
                    if isinstance(reply, dict | list)
                    else (reply.encode() if isinstance(reply, str) else (reply or b""))
                )
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                if isinstance(reply, dict | list):
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = _QuietServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def paths(self, method: str | None = None) -> list[str]:
        """Paths requested (optionally only with `method`), in order."""
        return [r.path for r in self.requests if method is None or r.method == method]


def catalog(base: str, regions: tuple[str, ...] = ("DFW", "ORD"), tenant: str = "123456") -> list:
    """A service catalog whose endpoints point at `base`."""
    return [
        {
            "name": "cloudNetworks",
            "type": "network",
            "endpoints": [
                {"region": r, "tenantId": tenant, "publicURL": f"{base}/{r.lower()}/networks/v2.0"}
                for r in regions
            ],
        },
        {
            "name": "cloudServersOpenStack",
            "type": "compute",
            "endpoints": [
                {
                    "region": r,
                    "tenantId": tenant,
                    "publicURL": f"{base}/{r.lower()}/servers/v2/{tenant}",
                }
                for r in regions
            ],
        },
        {"name": "cloudServers", "type": "compute", "endpoints": [{"publicURL": f"{base}/v1"}]},
    ]


def token_reply(base: str, token: str, tenant: str = "123456") -> dict:
    """An Identity v2.0 200 body."""
    return {
        "access": {
            "token": {
                "id": token,
                "expires": "2099-01-01T00:00:00.000Z",
                "tenant": {"id": tenant, "name": tenant},
            },
            "serviceCatalog": catalog(base, tenant=tenant),
            "user": {"id": "1", "name": "demo"},
        }
    }


# ---------------------------------------------------------------------------------------------
# In-memory cloud for resource tests: the same methods as NetworksApi / ServersApi.

PUBLICNET = "00000000-0000-0000-0000-000000000000"


def new_id() -> str:
    return str(uuidlib.uuid4())


@dataclass
class FakeCloud:
    """Ports, shared IPs and associations, with the API's refusal rules."""

    ports: dict[str, dict[str, Any]] = field(default_factory=dict)
    ips: dict[str, dict[str, Any]] = field(default_factory=dict)
    associated: set[tuple[str, str]] = field(default_factory=set)  # (server_id, ip_id)
    servers: set[str] = field(default_factory=set)
    calls: list[tuple[str, ...]] = field(default_factory=list)
    # test knobs
    create_outcome: str = "ok"  # "ok" | "ambiguous-created" | "ambiguous-none"
    repeat_put_400: bool = False

    def add_server(self, server_id: str, network_id: str = PUBLICNET) -> str:
        self.servers.add(server_id)
        port_id = new_id()
        self.ports[port_id] = {
            "id": port_id,
            "device_id": server_id,
            "network_id": network_id,
            "name": "",
            "mac_address": "",
            "fixed_ips": [],
        }
        return port_id

    # NetworksApi surface

    networks: tuple[str, ...] = (PUBLICNET,)

    def get_network(self, network_id: str) -> dict:
        self.calls.append(("get_network", network_id))
        if network_id not in self.networks:
            raise NotFound(f"Network {network_id} could not be found.", status=404)
        return {"id": network_id}

    def list_ports(self, *, device_id=None, network_id=None, ids=None) -> list[dict]:
        self.calls.append(("list_ports", device_id or "", network_id or ""))
        return [
            dict(p)
            for p in self.ports.values()
            if (device_id is None or p["device_id"] == device_id)
            and (network_id is None or p["network_id"] == network_id)
            and (ids is None or p["id"] in ids)
        ]

    def list_ip_addresses(self, **filters: Any) -> list[dict]:
        self.calls.append(("list_ip_addresses",))
        out = []
        for ip in self.ips.values():
            if filters.get("network_id") and ip["network_id"] != filters["network_id"]:
                continue
            out.append(dict(ip, port_ids=list(ip["port_ids"])))
        return out

    def list_ip_addresses_page(self, *, limit: int, marker: str | None = None) -> tuple:
        """One page holding every IP and no next marker, as quark answers."""
        return self.list_ip_addresses(), None

    def get_ip_address(self, ip_id: str) -> dict:
        self.calls.append(("get_ip_address", ip_id))
        if ip_id not in self.ips:
            raise NotFound(f"IP Address {ip_id} not found.", status=404, code="IpAddressNotFound")
        ip = self.ips[ip_id]
        return dict(ip, port_ids=list(ip["port_ids"]))

    def create_ip_address(self, *, network_id, version, port_ids=None, device_ids=None) -> dict:
        self.calls.append(("create_ip_address", network_id))
        if device_ids is not None:
            port_ids = [
                p["id"]
                for p in self.ports.values()
                if p["device_id"] in device_ids and p["network_id"] == network_id
            ]
            if len(port_ids) != len(device_ids):
                raise PortsNotFound(
                    "Not all ports or devices from request could be found",
                    status=404,
                    code="NotAllPortOrDeviceFound",
                )
        if any(p not in self.ports for p in port_ids):
            raise PortsNotFound(
                "Not all ports or devices from request could be found",
                status=404,
                code="NotAllPortOrDeviceFound",
            )
        ip_id = new_id()
        ip = {
            "id": ip_id,
            "network_id": network_id,
            "address": f"203.0.113.{len(self.ips) + 50}",
            "port_ids": list(port_ids),
            "subnet_id": "s-1",
            "tenant_id": "123456",
            "version": version,
            "type": "shared",
        }
        if self.create_outcome == "ambiguous-none":
            raise AmbiguousOutcome("no answer", method="POST", url="/ip_addresses")
        self.ips[ip_id] = ip
        if self.create_outcome == "ambiguous-created":
            raise AmbiguousOutcome("no answer", method="POST", url="/ip_addresses")
        return dict(ip)

    def update_ip_address(self, ip_id: str, port_ids: list[str]) -> dict:
        self.calls.append(("update_ip_address", ip_id))
        ip = self.get_ip_address(ip_id)
        unknown = [p for p in port_ids if p not in self.ports]
        if unknown:
            raise NotFound(
                f"Port {unknown[0]} could not be found.", status=404, code="PortNotFound"
            )
        removed = set(ip["port_ids"]) - set(port_ids)
        for port in removed:
            if (self.ports[port]["device_id"], ip_id) in self.associated:
                raise PortRequiresDisassociation(
                    "Port requires disassociation before IP can be deleted",
                    status=400,
                    code="PortRequiresDisassociation",
                )
        self.ips[ip_id]["port_ids"] = list(port_ids)
        return self.get_ip_address(ip_id)

    def delete_ip_address(self, ip_id: str) -> None:
        self.calls.append(("delete_ip_address", ip_id))
        self.get_ip_address(ip_id)
        if any(ip == ip_id for _, ip in self.associated):
            raise PortRequiresDisassociation(
                "Port requires disassociation before IP can be deleted",
                status=400,
                code="PortRequiresDisassociation",
            )
        del self.ips[ip_id]

    # ServersApi surface

    def list_ip_associations(self, server_id: str) -> list[dict]:
        self.calls.append(("list_ip_associations", server_id))
        if server_id not in self.servers:
            raise NotFound("Instance could not be found", status=404, code="itemNotFound")
        return [
            {"id": ip, "address": self.ips[ip]["address"]}
            for s, ip in sorted(self.associated)
            if s == server_id and ip in self.ips
        ]

    def associate(self, server_id: str, ip_id: str) -> dict:
        self.calls.append(("associate", server_id, ip_id))
        if server_id not in self.servers or ip_id not in self.ips:
            raise NotFound("not found", status=404, code="itemNotFound")
        if not any(self.ports[p]["device_id"] == server_id for p in self.ips[ip_id]["port_ids"]):
            raise NotFound("no port of the server holds the IP", status=404, code="itemNotFound")
        if self.repeat_put_400 and (server_id, ip_id) in self.associated:
            raise AlreadyAssociated("IP association already exists", status=400, code="badRequest")
        self.associated.add((server_id, ip_id))
        return {"id": ip_id, "address": self.ips[ip_id]["address"]}

    def find_ip_association(self, server_id: str, ip_id: str) -> dict | None:
        return next((a for a in self.list_ip_associations(server_id) if a["id"] == ip_id), None)

    def list_server_ids(self, *, limit: int = 1000) -> frozenset[str]:
        self.calls.append(("list_server_ids",))
        return frozenset(self.servers)

    def get_server(self, server_id: str) -> dict:
        self.calls.append(("get_server", server_id))
        if server_id not in self.servers:
            raise NotFound("Instance could not be found", status=404, code="itemNotFound")
        return {"id": server_id}

    def disassociate(self, server_id: str, ip_id: str) -> None:
        self.calls.append(("disassociate", server_id, ip_id))
        if (server_id, ip_id) not in self.associated:
            raise NotFound("IP association not found", status=404, code="itemNotFound")
        self.associated.discard((server_id, ip_id))


# The calls of `NetworksApi` and `ServersApi`, whose id arguments the real client spells as the
# API does (`api_id`) before sending them.
_API_CALLS = frozenset(
    n
    for api in (NetworksApi, ServersApi)
    for n, v in vars(api).items()
    if callable(v) and not n.startswith("_")
)


def _spelled(value: Any) -> Any:
    if isinstance(value, str):
        return api_id(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [_spelled(v) for v in value]
    return value


class _SpellsIds:
    """A FakeCloud seen through the real client's id spelling: the API calls receive ids in
    the API's lower case, as `NetworksApi`/`ServersApi` send them; everything else is the
    cloud itself."""

    def __init__(self, cloud: FakeCloud) -> None:
        self._cloud = cloud

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._cloud, name)
        if name not in _API_CALLS:
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            return attr(*[_spelled(a) for a in args], **{k: _spelled(v) for k, v in kwargs.items()})

        return call


class FakeClient:
    """Stands in for `RackspaceClient`: `networks` and `servers` both backed by a FakeCloud."""

    region = "DFW"

    def __init__(self, cloud: FakeCloud) -> None:
        self.cloud = cloud
        self.networks: Any = _SpellsIds(cloud)
        self.servers: Any = _SpellsIds(cloud)
        self.coordination = Coordination()
        # The FakeCloud's writes bypass a `Session`, so nothing would drop a listing: reads go
        # one by one here (the cache itself is tested in test_read_cache.py).
        self.reads = ReadCache(self.networks, self.servers, WriteClock(), enabled=False)

    def next_walk(self) -> FakeClient:
        """The client of a later Terraform command: same cloud, fresh coordination."""
        return FakeClient(self.cloud)
