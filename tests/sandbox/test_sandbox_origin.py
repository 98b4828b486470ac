"""Which `Host`, `Origin` and caller addresses the sandbox accepts, and how a database that
fails while serving is reported (one line naming the file, no traceback)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from sandbox import inventory
from sandbox.app import create_app
from sandbox.context import Runtime
from sandbox.origin import foreign_origin, host_allowed, is_loopback
from sandbox.seed import load_seed
from sandbox.store import Store


@pytest.mark.parametrize(
    "addr",
    ["127.0.0.1", "127.9.9.9", "::1", "::ffff:127.0.0.1", "::ffff:127.1.2.3", "::1%lo"],
)
def test_loopback_callers(addr: str) -> None:
    assert is_loopback(addr)


@pytest.mark.parametrize("addr", [None, "", "192.0.2.1", "::ffff:192.0.2.1", "2001:db8::1", "x"])
def test_other_callers(addr: str | None) -> None:
    assert not is_loopback(addr)


@pytest.mark.parametrize(
    ("host", "bind", "allowed"),
    [
        (None, "127.0.0.1", True),
        ("127.0.0.1:8900", "127.0.0.1", True),
        ("localhost", "127.0.0.1", True),
        ("LocalHost.:8900", "127.0.0.1", True),
        ("api.localhost:8900", "127.0.0.1", True),
        ("[::1]:8900", "127.0.0.1", True),
        ("evil.example", "127.0.0.1", False),
        ("localhost.evil.example", "127.0.0.1", False),
        ("127.0.0.1.nip.io", "127.0.0.1", False),
        ("10.0.0.5:8900", "127.0.0.1", False),  # an address the sandbox was not told to serve
        ("10.0.0.5:8900", "10.0.0.5", True),
        ("sandbox.lan:8900", "sandbox.lan", True),
        ("10.0.0.5:8900", "0.0.0.0", True),  # every interface: any literal address
        ("[2001:db8::5]:8900", "::", True),
        ("evil.example", "0.0.0.0", False),
        ("[2001:db8:0::5]:8900", "2001:db8::5", True),  # two spellings of one address
    ],
)
def test_host_header(host: str | None, bind: str, allowed: bool) -> None:
    assert host_allowed(host, bind) is allowed


@pytest.mark.parametrize(
    ("origin", "fetch_site", "host", "foreign"),
    [
        (None, None, "127.0.0.1:8900", False),  # not a browser, or a same-origin GET
        ("http://127.0.0.1:8900", None, "127.0.0.1:8900", False),
        ("http://127.0.0.1:8900/", "same-origin", "127.0.0.1:8900", False),
        (None, "none", "127.0.0.1:8900", False),  # the user typed the URL
        ("http://evil.example", None, "127.0.0.1:8900", True),
        ("null", None, "127.0.0.1:8900", True),
        ("http://127.0.0.1:3000", None, "127.0.0.1:8900", True),
        ("https://127.0.0.1:8900", None, "127.0.0.1:8900", True),
        (None, "cross-site", "127.0.0.1:8900", True),
        (None, "same-site", "localhost:8900", True),
        ("http://127.0.0.1:8900", None, None, True),
    ],
)
def test_origin(
    origin: str | None, fetch_site: str | None, host: str | None, foreign: bool
) -> None:
    assert foreign_origin(origin, fetch_site, host) is foreign


def test_database_failing_while_serving_is_one_line_naming_the_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = str(tmp_path / "sandbox.db")
    store = Store(db)
    seed = load_seed(None)
    with store.tx() as conn:
        inventory.apply_seed(conn, seed)
    client = create_app(Runtime(store=store, seed=seed)).test_client()
    assert client.get("/__sandbox__/health").status_code == 200
    store._conn.close()  # the file vanishes from under the server (disk pulled, fd closed)
    with caplog.at_level(logging.ERROR, logger="sandbox"):
        answer = client.get("/dfw/networks/v2.0/networks", headers={"X-Auth-Token": "t"})
    assert answer.status_code == 500
    assert "The sandbox database failed" in answer.get_data(as_text=True)
    [record] = [r for r in caplog.records if r.name == "sandbox"]
    assert db in record.getMessage() and record.exc_info is None
