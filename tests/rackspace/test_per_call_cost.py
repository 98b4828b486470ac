"""The transport's per-call work: what it must not redo on every request (no timing here)."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from urllib3.exceptions import ClosedPoolError

from provider.rackspace.api.transport import Transport


class CountingHeaders(Mapping[str, str]):
    """Response headers that count every lookup (the debug line's request id reads them)."""

    def __init__(self, **values: str) -> None:
        self._values = {k.lower(): v for k, v in values.items()}
        self.lookups = 0

    def __getitem__(self, key: str) -> str:
        self.lookups += 1
        return self._values[key.lower()]

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        self.lookups += 1
        return self._values.get(key.lower(), default)

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


class Answer:
    def __init__(self, headers: Mapping[str, str]) -> None:
        self.status = 200
        self.headers = headers
        self.data = b'{"ok": true}'


class Pools:
    """A pool manager whose pools answer 200; counts pools asked for and requests per pool."""

    def __init__(self, headers: Mapping[str, str] | None = None) -> None:
        self.asked: list[str] = []
        self.targets: list[tuple[str, str]] = []
        self.headers = headers if headers is not None else {}
        self.closed: set[str] = set()

    def connection_from_url(self, url: str) -> Any:
        self.asked.append(url)
        manager, generation = self, len(self.asked)

        class Pool:
            def urlopen(self, method: str, target: str, **kw: Any) -> Answer:
                if (url, generation) in manager.closed:
                    raise ClosedPoolError(None, "Pool is closed.")  # type: ignore[arg-type]
                manager.targets.append((url, target))
                assert kw["retries"] is False and kw["redirect"] is False
                return Answer(manager.headers)

        return Pool()

    def clear(self) -> None:
        pass


def test_one_pool_per_endpoint_and_the_request_target_is_path_and_query() -> None:
    pools = Pools()
    t = Transport(pool=pools)
    t.request("GET", "http://api.example:8080/v2.0/ip_addresses/a")
    t.request("GET", "http://api.example:8080/v2.0/ip_addresses?network_id=n&marker=m")
    t.request("PUT", "http://api.example:8080/v2/123/servers/s/ip_associations/i", json_body={})
    t.request("GET", "https://identity.example/v2.0/tokens")
    t.request("GET", "http://api.example:8080")
    t.request("GET", "http://api.example:8080/a?b=c#frag")
    assert pools.asked == ["http://api.example:8080", "https://identity.example"]
    assert [target for _, target in pools.targets] == [
        "/v2.0/ip_addresses/a",
        "/v2.0/ip_addresses?network_id=n&marker=m",
        "/v2/123/servers/s/ip_associations/i",
        "/v2.0/tokens",
        "/",
        "/a?b=c",
    ]


def test_a_pool_the_manager_closed_is_replaced_and_the_request_sent_once() -> None:
    pools = Pools()
    t = Transport(pool=pools)
    t.request("GET", "http://api.example/a")
    pools.closed.add(("http://api.example", 1))  # evicted by the manager
    assert t.request("GET", "http://api.example/b").status == 200
    assert pools.asked == ["http://api.example", "http://api.example"]
    assert pools.targets == [("http://api.example", "/a"), ("http://api.example", "/b")]


@pytest.fixture
def http_log() -> Iterator[logging.Logger]:
    logger = logging.getLogger("rackspace.http")
    before = logger.level
    yield logger
    logger.setLevel(before)


def test_nothing_is_looked_up_for_a_debug_line_that_will_not_be_written(
    http_log: logging.Logger,
) -> None:
    headers = CountingHeaders(**{"X-Compute-Request-Id": "req-42"})
    t = Transport(pool=Pools(headers))
    http_log.setLevel(logging.INFO)
    for _ in range(3):
        t.request("GET", "http://api.example/x")
    assert headers.lookups == 0


def test_the_debug_line_still_names_the_request_id_when_debug_is_on(
    http_log: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    headers = CountingHeaders(**{"X-Compute-Request-Id": "req-42"})
    t = Transport(pool=Pools(headers))
    http_log.setLevel(logging.DEBUG)
    with caplog.at_level(logging.DEBUG, logger="rackspace.http"):
        t.request("GET", "http://api.example/x")
    assert headers.lookups > 0
    assert any(
        "GET http://api.example/x -> 200 in" in r.getMessage()
        and "(request id req-42)" in r.getMessage()
        for r in caplog.records
    )


def _token(catalog: list[dict[str, Any]]) -> Any:
    from provider.rackspace.api.identity import Token

    return Token(id="t", tenant_id="1", expires=None, catalog=tuple(catalog))


def test_a_token_reads_its_catalog_once_per_service_and_region() -> None:
    catalog = [
        {"name": "cloudNetworks", "endpoints": [{"region": "DFW", "publicURL": "http://n/v2.0/"}]}
    ]
    token = _token(catalog)
    assert token.endpoint("cloudNetworks", "DFW") == "http://n/v2.0"
    catalog[0]["endpoints"] = []  # a second scan would find nothing now
    assert token.endpoint("cloudNetworks", "DFW") == "http://n/v2.0"


def test_a_missing_endpoint_is_not_remembered() -> None:
    from provider.rackspace.api.errors import EndpointNotFound

    catalog: list[dict[str, Any]] = [{"name": "cloudNetworks", "endpoints": []}]
    token = _token(catalog)
    with pytest.raises(EndpointNotFound):
        token.endpoint("cloudNetworks", "DFW")
    catalog[0]["endpoints"] = [{"region": "dfw", "publicURL": "http://n"}]
    assert token.endpoint("cloudNetworks", "DFW") == "http://n"
