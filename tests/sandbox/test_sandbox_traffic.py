"""Rate limits, injected faults, latency, commit-then-drop, and the request log."""

from __future__ import annotations

import http.client
import json
import time
from datetime import UTC, datetime

import pytest
from sandbox_api import PUBLICNET, WEB, Api

from tests.support.sandbox import Sandbox, SandboxError


def raw(sb: Sandbox, method: str, path: str, body: str | None = None, token: str | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", sb.port, timeout=10)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["X-Auth-Token"] = token
    conn.request(method, path, body=body, headers=headers)
    return conn.getresponse()


def test_rate_limit_answers_413_with_retry_after_and_retry_at(sb: Sandbox) -> None:
    demo = Api(sb)
    sb.set_faults(rate_limit_per_minute=3)
    for _ in range(3):
        assert demo.net("GET", "/ip_addresses")[0] == 200
    resp = raw(sb, "GET", "/dfw/networks/v2.0/ip_addresses", token=demo.token)
    assert resp.status == 413
    body = json.loads(resp.read())
    retry = int(resp.getheader("Retry-After"))
    assert 50 <= retry <= 60
    assert body["overLimit"]["code"] == 413
    retry_at = datetime.strptime(body["overLimit"]["retryAt"], "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=UTC
    )
    assert abs((retry_at - datetime.now(UTC)).total_seconds() - retry) < 3
    # Writes are a separate class; another tenant has its own budget.
    assert demo.associate(WEB[0], "x")[0] == 404
    assert Api(sb, "other").net("GET", "/ip_addresses")[0] == 200
    status, data = demo.srv("GET", "/servers")
    assert status == 413 and "retryAt" in data["overLimit"]
    # The admin path is never limited.
    assert sb.requests()[-1]["fault"] == "rate_limit"


def test_rate_limit_window_and_fixed_retry_after(sb: Sandbox) -> None:
    demo = Api(sb)
    sb.set_faults(rate_limit_per_minute=2, rate_limit_window_seconds=1, retry_after_seconds=7)
    assert [demo.srv("GET", "/servers")[0] for _ in range(3)] == [200, 200, 413]
    resp = raw(sb, "GET", "/dfw/servers/v2/123456/servers", token=demo.token)
    assert resp.status == 413 and resp.getheader("Retry-After") == "7"
    time.sleep(1.1)
    assert demo.srv("GET", "/servers")[0] == 200


@pytest.mark.parametrize(
    ("kind", "element"), [("500", "computeFault"), ("503", "serviceUnavailable")]
)
def test_injected_server_errors(sb: Sandbox, kind: str, element: str) -> None:
    demo = Api(sb)
    sb.set_faults(fault_rate=1.0, fault_kinds=[kind])
    status, data = demo.srv("GET", "/servers")
    assert status == int(kind) and data[element]["code"] == int(kind)
    status, data = demo.net("GET", "/ip_addresses")
    assert status == int(kind) and "NeutronError" in data
    status, data = sb.call("POST", "/v2.0/tokens", {"auth": {}})
    assert status == int(kind)
    assert sb.health()["status"] == "ok"  # admin calls are never faulted
    assert [r["fault"] for r in sb.requests()] == [None] + [kind] * 3  # the login came first


def test_faults_hit_only_matching_paths_and_rate_is_respected(sb: Sandbox) -> None:
    demo = Api(sb)
    sb.set_faults(fault_rate=1.0, fault_kinds=["503"], fault_path_contains="ip_associations")
    assert demo.srv("GET", "/servers")[0] == 200
    assert demo.srv("GET", f"/servers/{WEB[0]}/ip_associations")[0] == 503
    sb.set_faults(fault_rate=0.5, fault_path_contains=None)
    statuses = [demo.srv("GET", "/servers")[0] for _ in range(60)]
    assert 8 <= statuses.count(503) <= 52  # ~30 expected; bounds are > 5 sigma wide
    assert set(statuses) == {200, 503}


def test_dropped_connections(sb: Sandbox) -> None:
    demo = Api(sb)
    sb.set_faults(fault_rate=1.0, fault_kinds=["drop"])
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        raw(sb, "GET", "/dfw/networks/v2.0/ip_addresses", token=demo.token)
    sb.clear_faults()
    assert demo.net("GET", "/ip_addresses")[0] == 200
    log = sb.requests()
    assert log[1]["status"] is None and log[1]["fault"] == "drop"  # log[0] is the login
    assert "Traceback" not in sb.log_text()


def test_drop_after_commit_keeps_the_ip(sb: Sandbox) -> None:
    demo = Api(sb)
    sb.set_faults(drop_after_commit=1)
    body = json.dumps(
        {"ip_address": {"network_id": PUBLICNET, "version": 4, "device_ids": WEB[:2]}}
    )
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        raw(sb, "POST", "/dfw/networks/v2.0/ip_addresses", body, token=demo.token)
    assert sb.faults()["drop_after_commit"] == 0
    shared = demo.net("GET", "/ip_addresses?type=shared")[1]["ip_addresses"]
    assert len(shared) == 1  # committed although the client never heard back
    # The next create answers normally.
    assert demo.shared_ip(WEB[2:4])["type"] == "shared"


def test_latency_is_added(sb: Sandbox) -> None:
    demo = Api(sb)
    sb.set_faults(latency_ms=300)
    started = time.perf_counter()
    assert demo.srv("GET", "/servers")[0] == 200
    assert time.perf_counter() - started >= 0.3
    assert sb.requests()[-1]["duration_ms"] >= 300


def test_request_log_records_order_status_and_tenant(sb: Sandbox) -> None:
    demo = Api(sb)
    ip = demo.shared_ip(WEB[:2])
    demo.associate(WEB[0], ip["id"])
    demo.net("DELETE", f"/ip_addresses/{ip['id']}")
    demo.disassociate(WEB[0], ip["id"])
    demo.net("DELETE", f"/ip_addresses/{ip['id']}")
    log = sb.requests()
    calls = [
        (r["method"], r["path"].split("/")[-2] if r["method"] != "POST" else "create", r["status"])
        for r in log
        if r["method"] != "GET"
    ]
    assert calls == [
        ("POST", "create", 200),
        ("POST", "create", 201),
        ("PUT", "ip_associations", 201),
        ("DELETE", "ip_addresses", 400),
        ("DELETE", "ip_associations", 204),
        ("DELETE", "ip_addresses", 204),
    ]
    assert [r["seq"] for r in log] == sorted(r["seq"] for r in log)
    assert {r["tenant"] for r in log if r["path"] != "/v2.0/tokens"} == {"123456"}
    assert all(
        set(r) >= {"seq", "method", "path", "status", "started", "duration_ms", "tenant"}
        for r in log
    )
    assert sb.requests(since=log[-1]["seq"]) == []
    sb.clear_requests()
    assert sb.requests() == []


def test_fault_settings_are_validated(sb: Sandbox) -> None:
    for bad in (
        {"fault_rate": 2},
        {"fault_kinds": ["404"]},
        {"nope": 1},
        {"latency_ms": "5"},
        {"rate_limit_per_minute": True},
    ):
        with pytest.raises(SandboxError, match="400"):
            sb.set_faults(**bad)
    assert sb.faults()["fault_rate"] == 0.0
