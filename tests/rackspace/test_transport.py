"""Transport: retries with backoff, Retry-After / retryAt, non-idempotent POST, cancellation."""

from __future__ import annotations

import re
import socket
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from urllib3.exceptions import NameResolutionError, NewConnectionError

from provider.rackspace.api.errors import (
    AmbiguousOutcome,
    Cancelled,
    ConnectionFailed,
    RateLimited,
    ServerError,
)
from provider.rackspace.api.transport import Transport
from provider.rackspace.diagnostics import hint_for

from .fakes import ScriptedServer


def sequence(*replies):
    """A handler answering with `replies` in turn, then repeating the last one."""
    state = {"i": 0}

    def handler(_rec):
        i = min(state["i"], len(replies) - 1)
        state["i"] += 1
        reply = replies[i]
        if callable(reply):
            return reply()
        return reply

    return handler


OK = (200, {}, {"ok": True})


def transport(**kw) -> Transport:
    kw.setdefault("timeout", 5)
    kw.setdefault("max_retries", 3)
    kw.setdefault("backoff_base", 0.01)
    return Transport(**kw)


def test_retry_after_header_is_honoured():
    with ScriptedServer(
        sequence(
            (
                413,
                {"Retry-After": "0.3"},
                {"overLimit": {"code": 413, "message": "OverLimit Retry..."}},
            ),
            OK,
        )
    ) as srv:
        started = time.monotonic()
        resp = transport().request("GET", srv.url + "/x")
        assert resp.json() == {"ok": True}
        assert time.monotonic() - started >= 0.3
        assert len(srv.requests) == 2


def test_retry_at_in_body_is_honoured():
    def over_limit():
        at = (datetime.now(UTC) + timedelta(seconds=0.6)).isoformat().replace("+00:00", "Z")
        return (413, {}, {"overLimit": {"code": 413, "message": "slow down", "retryAt": at}})

    with ScriptedServer(sequence(over_limit, OK)) as srv:
        started = time.monotonic()
        transport().request("GET", srv.url + "/x")
        assert time.monotonic() - started >= 0.4
        assert len(srv.requests) == 2


def test_server_errors_retried_up_to_max_retries():
    with ScriptedServer(sequence((500, {}, "boom"))) as srv:
        with pytest.raises(ServerError) as exc:
            transport(max_retries=2).request("GET", srv.url + "/x")
        assert len(srv.requests) == 3
        assert exc.value.status == 500 and "boom" in exc.value.describe()


@pytest.mark.parametrize("status", [500, 502])
def test_post_not_retried_after_it_may_have_been_applied(status):
    with ScriptedServer(sequence((status, {}, "maybe"), OK)) as srv:
        with pytest.raises(ServerError):
            transport().request("POST", srv.url + "/ip_addresses", json_body={})
        assert len(srv.requests) == 1


@pytest.mark.parametrize("status", [413, 429, 503])
def test_post_retried_when_the_api_says_it_did_nothing(status):
    with ScriptedServer(sequence((status, {"Retry-After": "0"}, "later"), OK)) as srv:
        transport().request("POST", srv.url + "/ip_addresses", json_body={"a": 1})
        assert len(srv.requests) == 2
        assert srv.requests[1].body == {"a": 1}


def test_post_read_timeout_is_ambiguous_and_not_retried():
    def slow():
        time.sleep(1.0)
        return OK

    with ScriptedServer(sequence(slow)) as srv:
        with pytest.raises(AmbiguousOutcome):
            transport(timeout=0.3).request("POST", srv.url + "/ip_addresses", json_body={})
        assert len(srv.requests) == 1


def test_get_read_timeout_is_retried():
    def slow():
        time.sleep(0.6)
        return OK

    with ScriptedServer(sequence(slow, OK)) as srv:
        transport(timeout=0.3).request("GET", srv.url + "/x")
        assert len(srv.requests) == 2


class ScriptedPool:
    """A pool that follows a script: "ok" answers 201, "refused" / "dns" / "dns-again" fail to
    connect the way urllib3 does (the OS error as the exception's context)."""

    def __init__(self, *script: str) -> None:
        self.script = list(script)
        self.calls = 0

    def connection_from_url(self, url):
        # The transport asks its manager for one endpoint's pool: this fake plays both.
        return self

    def urlopen(self, method, url, **kw):
        step = self.script[min(self.calls, len(self.script) - 1)]
        self.calls += 1
        if step == "refused":
            try:
                raise ConnectionRefusedError(111, "Connection refused")
            except ConnectionRefusedError:
                raise NewConnectionError(None, "Failed to establish a new connection") from None  # type: ignore[arg-type]
        if step in ("dns", "dns-again"):
            errno = socket.EAI_AGAIN if step == "dns-again" else socket.EAI_NONAME
            try:
                raise socket.gaierror(errno, "Name or service not known")
            except socket.gaierror:
                raise NameResolutionError("h", None, "Failed to resolve") from None  # type: ignore[arg-type]

        class R:
            status = 201
            headers = {}
            data = b'{"ip_address": {}}'

        return R()

    def clear(self):
        pass


URL = "http://api.example:8080/ip_addresses"


def test_refused_by_an_endpoint_that_never_answered_fails_at_once():
    """A wrong URL or a closed port: no retry can fix it, so no wait."""
    pool = ScriptedPool("refused")
    started = time.monotonic()
    with pytest.raises(ConnectionFailed) as exc:
        transport(pool=pool, max_retries=5).request("GET", URL)
    assert pool.calls == 1 and time.monotonic() - started < 0.5
    err = exc.value
    assert err.kind == "refused" and err.attempts == 1
    assert "connection refused by api.example:8080" in err.message
    assert "GET http://api.example:8080/ip_addresses" in err.describe()
    assert "(1 attempt over 0.0 s)" in err.describe()
    hint = hint_for(err)
    assert "request_timeout" not in hint and "`auth_url`" in hint


def test_refused_by_an_endpoint_that_answered_before_is_retried_even_for_post():
    """The endpoint answered earlier in this process: a refusal is a restart, worth waiting."""
    pool = ScriptedPool("ok", "refused", "refused", "ok")
    t = transport(pool=pool)
    t.request("GET", URL)
    resp = t.request("POST", URL, json_body={})
    assert resp.status == 201 and pool.calls == 4


def test_refused_after_answering_gives_up_after_max_retries_and_counts_them():
    pool = ScriptedPool("ok", "refused")
    t = transport(pool=pool, max_retries=2)
    t.request("GET", URL)
    with pytest.raises(ConnectionFailed) as exc:
        t.request("GET", URL)
    assert pool.calls == 4 and exc.value.attempts == 3
    assert re.search(r"\(3 attempts over \d+\.\d s\)", exc.value.describe())


def test_name_that_does_not_resolve_fails_at_once():
    pool = ScriptedPool("dns")
    with pytest.raises(ConnectionFailed) as exc:
        transport(pool=pool, max_retries=5).request("GET", URL)
    assert pool.calls == 1 and exc.value.kind == "dns"
    assert "could not resolve the host name api.example" in exc.value.message
    assert "request_timeout" not in hint_for(exc.value)


def test_resolver_that_did_not_answer_is_retried():
    """EAI_AGAIN is a resolver timeout, not a missing name."""
    pool = ScriptedPool("dns-again", "ok")
    assert transport(pool=pool).request("GET", URL).status == 201 and pool.calls == 2


def test_timeouts_keep_the_request_timeout_hint():
    with ScriptedServer(sequence((200, {}, "slow"))) as srv:
        srv.handler = lambda rec: (time.sleep(1), OK)[1]
        with pytest.raises(ConnectionFailed) as exc:
            transport(timeout=0.2, max_retries=1).request("GET", srv.url + "/x")
    assert exc.value.kind == "timeout" and exc.value.attempts == 2
    assert "request_timeout" in hint_for(exc.value)


def test_real_connection_refused_and_unresolvable_name_fail_fast():
    for url in ("http://127.0.0.1:9/x", "http://no-such-host.invalid/x"):
        started = time.monotonic()
        with pytest.raises(ConnectionFailed) as exc:
            transport(max_retries=5).request("GET", url)
        assert exc.value.kind in ("refused", "dns") and exc.value.attempts == 1
        assert time.monotonic() - started < 2


def test_cancel_during_retry_wait_returns_promptly():
    cancel = threading.Event()
    with ScriptedServer(sequence((413, {"Retry-After": "4"}, "wait"), OK)) as srv:
        threading.Timer(0.2, cancel.set).start()
        started = time.monotonic()
        with pytest.raises(Cancelled):
            transport(cancelled=cancel).request("GET", srv.url + "/x")
        assert time.monotonic() - started < 2
        assert len(srv.requests) == 1


def test_retry_after_longer_than_request_timeout_gives_up():
    with ScriptedServer(sequence((413, {"Retry-After": "120"}, "wait"), OK)) as srv:
        started = time.monotonic()
        with pytest.raises(RateLimited) as exc:
            transport(timeout=2).request("GET", srv.url + "/x")
        assert time.monotonic() - started < 1
        assert "120" in exc.value.message and exc.value.retry_after == 120


def test_json_and_headers_sent():
    with ScriptedServer(sequence(OK)) as srv:
        transport().request(
            "PUT", srv.url + "/x", headers={"X-Auth-Token": "t"}, json_body={"k": [1]}
        )
        rec = srv.requests[0]
        assert rec.body == {"k": [1]}
        assert rec.headers["content-type"] == "application/json"
        assert rec.headers["x-auth-token"] == "t"
        assert rec.headers["accept"] == "application/json"


def test_cancel_comes_from_the_current_rpc():
    """Under an RPC's cancellation scope the transport stops on that RPC's event, with no
    event passed by the caller (resources call `self.client...` and bind nothing)."""
    from provider.plugin.context import cancellation_scope

    cancel = threading.Event()
    with ScriptedServer(sequence((413, {"Retry-After": "4"}, "wait"), OK)) as srv:
        threading.Timer(0.2, cancel.set).start()
        started = time.monotonic()
        with cancellation_scope(cancel), pytest.raises(Cancelled):
            transport().request("GET", srv.url + "/x")
        assert time.monotonic() - started < 2
        assert len(srv.requests) == 1
