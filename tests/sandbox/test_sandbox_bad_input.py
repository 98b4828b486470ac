"""Bad input never yields a 500 or a hang: malformed JSON, wrong types, huge bodies, fuzz."""

from __future__ import annotations

import http.client
import json
import socket

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sandbox_api import MISSING, PUBLICNET, WEB, Api

from tests.support.sandbox import Sandbox

ENDPOINTS = [
    ("POST", "/dfw/networks/v2.0/ip_addresses"),
    ("PUT", "/dfw/networks/v2.0/ip_addresses/{ip}"),
    ("PUT", f"/dfw/servers/v2/123456/servers/{WEB[0]}/ip_associations/{{ip}}"),
    ("POST", "/dfw/servers/v2/123456/servers"),
    ("POST", "/v2.0/tokens"),
]


def send(
    sb: Sandbox,
    method: str,
    path: str,
    body: bytes,
    token: str | None,
    content_type: str = "application/json",
) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", sb.port, timeout=10)
    headers = {"Content-Type": content_type}
    if token:
        headers["X-Auth-Token"] = token
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    raw = resp.read()
    assert resp.getheader("Content-Type") == "application/json", raw
    return resp.status, json.loads(raw)


@pytest.fixture
def ip_id(demo: Api) -> str:
    return demo.shared_ip(WEB[:2])["id"]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
@pytest.mark.parametrize("body", [b"{", b"[1,", b"\xff\xfe", b"nul", b'{"a": }', b"[" * 100_000])
def test_malformed_json_is_400(demo: Api, ip_id: str, method: str, path: str, body: bytes) -> None:
    status, data = send(demo.sb, method, path.format(ip=ip_id), body, demo.token)
    assert status == 400, data
    assert "Malformed" in json.dumps(data) or "unable to parse" in json.dumps(data)


@pytest.mark.parametrize(
    ("method", "path"), [e for e in ENDPOINTS if "ip_associations" not in e[1]]
)
def test_empty_body_is_400(demo: Api, ip_id: str, method: str, path: str) -> None:
    status, data = send(demo.sb, method, path.format(ip=ip_id), b"", demo.token)
    assert status == 400, data


@pytest.mark.parametrize(
    "fields",
    [
        {"network_id": 5, "version": 4, "device_ids": WEB[:2]},
        {"network_id": PUBLICNET, "version": True, "device_ids": WEB[:2]},
        {"network_id": PUBLICNET, "version": [4], "device_ids": WEB[:2]},
        {"network_id": PUBLICNET, "version": 4, "port_ids": "abc"},
        {"network_id": PUBLICNET, "version": 4, "port_ids": [1, 2]},
        {"network_id": PUBLICNET, "version": 4, "device_ids": {"a": 1}},
        {"network_id": PUBLICNET, "version": 4, "device_ids": WEB[:2], "port_ids": ["x", "y"]},
        {"network_id": PUBLICNET, "version": 4, "device_ids": WEB[:2], "ip_address": 7},
    ],
)
def test_wrong_types_are_400(demo: Api, fields: dict) -> None:
    status, data = demo.net("POST", "/ip_addresses", {"ip_address": fields})
    assert status == 400 and data["NeutronError"]["type"] in ("InvalidInput", "BadRequest"), data


def test_unknown_ids_are_404(demo: Api) -> None:
    assert demo.net("GET", f"/ip_addresses/{MISSING}")[0] == 404
    assert demo.net("GET", "/ip_addresses/not-even-a-uuid")[0] == 404
    assert demo.srv("GET", "/servers/%00%ff")[0] == 404
    assert demo.associate("x" * 300, "y")[0] == 404


def test_association_body_must_be_empty_or_ip_association(demo: Api, ip_id: str) -> None:
    path = f"/servers/{WEB[0]}/ip_associations/{ip_id}"
    for body in ([], {"foo": 1}, {"ip_association": 5}):
        status, data = demo.srv("PUT", path, body)
        assert status == 400 and "badRequest" in data


def test_xml_is_415(demo: Api) -> None:
    status, _ = send(
        demo.sb,
        "POST",
        "/dfw/networks/v2.0/ip_addresses",
        b"<ip_address/>",
        demo.token,
        content_type="application/xml",
    )
    assert status == 415


def test_huge_body_is_413_without_retry_after(demo: Api) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", demo.sb.port, timeout=10)
    body = b'{"ip_address": {"pad": "' + b"x" * (3 * 1024 * 1024) + b'"}}'
    conn.request(
        "POST",
        "/dfw/networks/v2.0/ip_addresses",
        body=body,
        headers={"Content-Type": "application/json", "X-Auth-Token": demo.token},
    )
    resp = conn.getresponse()
    assert resp.status == 413 and resp.getheader("Retry-After") is None
    assert json.loads(resp.read())["overLimit"]["message"].startswith(
        "The request body is too large"
    )


def test_lying_content_length_does_not_hang_the_server(demo: Api) -> None:
    # A client that promises more bytes than it sends and goes away must not wedge the sandbox.
    with socket.create_connection(("127.0.0.1", demo.sb.port), timeout=5) as sock:
        sock.sendall(
            b"POST /dfw/networks/v2.0/ip_addresses HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nContent-Length: 500\r\n"
            + f"X-Auth-Token: {demo.token}\r\n\r\n".encode()
            + b'{"ip_'
        )
    assert demo.net("GET", "/ip_addresses")[0] == 200


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | st.sampled_from([PUBLICNET, *WEB, MISSING, "4", "6"]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "ip_address",
                    "network_id",
                    "version",
                    "port_ids",
                    "device_ids",
                    "ip_association",
                    "auth",
                    "server",
                    "name",
                    "tenant_id",
                ]
            )
            | st.text(max_size=5),
            inner,
            max_size=5,
        )
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(endpoint=st.sampled_from(ENDPOINTS), body=json_values)
def test_fuzzed_bodies_never_cause_a_server_error(
    demo: Api, endpoint: tuple[str, str], body: object
) -> None:
    method, path = endpoint
    status, data = send(
        demo.sb, method, path.format(ip=MISSING), json.dumps(body).encode(), demo.token
    )
    assert 200 <= status < 500, (status, data)
    assert isinstance(data, dict) and data
