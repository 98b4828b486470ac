"""A web page cannot drive or read the sandbox: foreign `Host` (DNS rebinding) and foreign
`Origin` (CSRF) are refused, on the admin path and everywhere else; loopback callers work,
including IPv4 callers of a sandbox bound to `::`.

Requests are sent over real sockets with the headers a browser would send.
"""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.sandbox import Sandbox


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    with Sandbox(tmp_path_factory.mktemp("browser")) as sb:
        yield sb


def request(
    port: int,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes | None = None,
    address: str = "127.0.0.1",
) -> tuple[int, Any]:
    """One HTTP request with exactly these headers (Host included, when given)."""
    conn = http.client.HTTPConnection(address, port, timeout=10)
    try:
        conn.putrequest(method, path, skip_host="Host" in headers, skip_accept_encoding=True)
        for key, value in headers.items():
            conn.putheader(key, value)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        raw = resp.read()
        return resp.status, json.loads(raw) if raw else None
    finally:
        conn.close()


def _ip_count(sb: Sandbox) -> int:
    """How many shared IPs the world holds (a reset drops them to 0)."""
    state = sb.call("GET", "/__sandbox__/state")[1]
    return sum(
        ip["type"] == "shared"
        for tenant in state.values()
        for region in tenant.values()
        for ip in region["ip_addresses"]
    )


def _with_one_ip(sb: Sandbox) -> None:
    """Make sure the world holds a shared IP, so a reset would be visible."""
    if _ip_count(sb):
        return
    token = sb.token("demo")
    body = {
        "ip_address": {
            "network_id": "00000000-0000-0000-0000-000000000000",
            "version": 4,
            "device_ids": [
                "a1000000-0000-4000-8000-000000000001",
                "a1000000-0000-4000-8000-000000000002",
            ],
        }
    }
    status, data = sb.call("POST", "/dfw/networks/v2.0/ip_addresses", body, token=token)
    assert status == 201, data


FOREIGN_HOSTS = ["evil.example", "evil.example:8900", "127.0.0.1.nip.io", "localhost.evil.example"]


@pytest.mark.parametrize("host", FOREIGN_HOSTS)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/__sandbox__/state"),
        ("POST", "/__sandbox__/reset"),
        ("POST", "/v2.0/tokens"),
        ("GET", "/dfw/networks/v2.0/networks"),
    ],
)
def test_foreign_host_is_refused(sandbox: Sandbox, host: str, method: str, path: str) -> None:
    _with_one_ip(sandbox)
    status, body = request(
        sandbox.port, method, path, {"Host": host}, b"" if method == "POST" else None
    )
    assert status == 403, body
    assert "refused" in json.dumps(body)
    assert _ip_count(sandbox) == 1, "a refused request changed the world"


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1:{port}",
        "localhost:{port}",
        "[::1]:{port}",
        "app.localhost:{port}",
        "LOCALHOST.:{port}",
    ],
)
def test_loopback_hosts_are_answered(sandbox: Sandbox, host: str) -> None:
    status, body = request(
        sandbox.port, "GET", "/__sandbox__/health", {"Host": host.format(port=sandbox.port)}
    )
    assert status == 200 and body["status"] == "ok"


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example", "Content-Type": "text/plain"},
        {"Origin": "null", "Content-Type": "application/x-www-form-urlencoded"},
        {"Origin": "http://localhost:3000"},  # another local dev server: another origin
        {"Sec-Fetch-Site": "cross-site"},  # a browser that sent no Origin
    ],
    ids=["foreign", "null", "other-port", "sec-fetch-site"],
)
def test_cross_origin_admin_request_is_refused(sandbox: Sandbox, headers: dict[str, str]) -> None:
    _with_one_ip(sandbox)
    headers = {"Host": f"127.0.0.1:{sandbox.port}", **headers}
    status, body = request(sandbox.port, "POST", "/__sandbox__/reset", headers, b"x=1")
    assert status == 403, body
    assert _ip_count(sandbox) == 1, "a cross-origin simple POST reset the world"
    status, body = request(sandbox.port, "GET", "/__sandbox__/state", headers)
    assert status == 403 and "servers" not in json.dumps(body)
    status, _ = request(sandbox.port, "DELETE", "/__sandbox__/tokens", headers)
    assert status == 403


def test_same_origin_admin_request_is_answered(sandbox: Sandbox) -> None:
    origin = f"http://127.0.0.1:{sandbox.port}"
    headers = {
        "Host": f"127.0.0.1:{sandbox.port}",
        "Origin": origin,
        "Sec-Fetch-Site": "same-origin",
    }
    status, body = request(sandbox.port, "GET", "/__sandbox__/faults", headers)
    assert status == 200 and "fault_rate" in body


def _ipv6_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::", 0))
        return True
    except OSError:
        return False


def test_dual_stack_sandbox_treats_ipv4_loopback_as_loopback(tmp_path: Path) -> None:
    if not _ipv6_available():
        pytest.skip("no IPv6 on this machine")
    with Sandbox(tmp_path, args=["--host", "::"]) as sb:
        for address in ("127.0.0.1", "::1"):
            status, body = request(sb.port, "GET", "/__sandbox__/health", {}, address=address)
            assert status == 200, (address, body)
            status, _ = request(sb.port, "POST", "/__sandbox__/reset", {}, b"", address=address)
            assert status == 200, address
        # Bound to every interface: an address literal is a fine Host, a name is not.
        status, _ = request(sb.port, "GET", "/__sandbox__/health", {"Host": "10.1.2.3:1"})
        assert status == 200
        status, _ = request(sb.port, "GET", "/__sandbox__/health", {"Host": "evil.example"})
        assert status == 403
