"""The sandbox checks every API call: missing, unknown, expired and foreign tokens are refused,
tenants cannot see each other's objects, and roles limit what a token may do.

Every API route is tried, so a route added without the checks fails here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.harness import NETWORK_ID, REGION, TENANT, server_ids, write_seed
from tests.support.sandbox import Sandbox

NET = f"/{REGION.lower()}/networks/v2.0"
SRV = f"/{REGION.lower()}/servers/v2/{TENANT}"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    directory: Path = tmp_path_factory.mktemp("access")
    with Sandbox(directory, seed=write_seed(directory / "seed.yaml", 3)) as sb:
        yield sb


@pytest.fixture(scope="module")
def ip_id(sandbox: Sandbox) -> str:
    """A shared IP of tenant 123456, associated with its first server."""
    token = sandbox.token("demo")
    s1, s2, _ = server_ids(3)
    body = {"ip_address": {"network_id": NETWORK_ID, "version": 4, "device_ids": [s1, s2]}}
    status, data = sandbox.call("POST", f"{NET}/ip_addresses", body, token=token)
    assert status == 201, data
    ip = data["ip_address"]["id"]
    status, _ = sandbox.call("PUT", f"{SRV}/servers/{s1}/ip_associations/{ip}", token=token)
    assert status in (200, 201)
    return ip


def routes(ip: str) -> list[tuple[str, str, dict | None]]:
    """Every API route with a plausible request (reads first, writes after)."""
    s1, s2, s3 = server_ids(3)
    ports = {"ip_address": {"port_ids": []}}
    create = {"ip_address": {"network_id": NETWORK_ID, "version": 4, "device_ids": [s2, s3]}}
    return [
        ("GET", f"{NET}/networks", None),
        ("GET", f"{NET}/networks/{NETWORK_ID}", None),
        ("GET", f"{NET}/ports", None),
        ("GET", f"{NET}/ip_addresses", None),
        ("GET", f"{NET}/ip_addresses/{ip}", None),
        ("GET", f"{SRV}/servers", None),
        ("GET", f"{SRV}/servers/detail", None),
        ("GET", f"{SRV}/servers/{s1}", None),
        ("GET", f"{SRV}/servers/{s1}/ip_associations", None),
        ("GET", f"{SRV}/servers/{s1}/ip_associations/{ip}", None),
        ("POST", f"{NET}/ip_addresses", create),
        ("PUT", f"{NET}/ip_addresses/{ip}", ports),
        ("DELETE", f"{NET}/ip_addresses/{ip}", None),
        ("PUT", f"{SRV}/servers/{s2}/ip_associations/{ip}", None),
        ("DELETE", f"{SRV}/servers/{s1}/ip_associations/{ip}", None),
    ]


def test_every_route_refuses_missing_unknown_and_expired_tokens(
    sandbox: Sandbox, ip_id: str
) -> None:
    expired = sandbox.token("demo")
    sandbox.expire_tokens()
    for method, path, body in routes(ip_id):
        for label, token in (("missing", None), ("unknown", "f" * 32), ("expired", expired)):
            status, _ = sandbox.call(method, path, body, token=token)
            assert status == 401, f"{label} token: {method} {path} -> {status}"


def test_tenants_are_isolated(sandbox: Sandbox, ip_id: str) -> None:
    foreign = sandbox.token("other")
    for method, path, body in routes(ip_id):
        status, _ = sandbox.call(method, path, body, token=foreign)
        if path.startswith(SRV):
            expected = 401  # a token is valid for its own tenant's path only
        elif ip_id in path or NETWORK_ID in path or method == "POST":
            expected = 404  # another tenant's IP or network does not exist for this token
        else:
            expected = 200  # lists: answered, but with this tenant's objects only
        assert status == expected, f"foreign token: {method} {path} -> {status}"
    status, data = sandbox.call("GET", f"{NET}/ip_addresses", token=foreign)
    assert status == 200 and ip_id not in str(data)
    status, data = sandbox.call("GET", f"{NET}/ports", token=foreign)
    assert status == 200 and not any(s in str(data) for s in server_ids(3))
    status, _ = sandbox.call("GET", f"{NET}/ip_addresses/{ip_id}", token=sandbox.token("demo"))
    assert status == 200, "the owner lost its IP"


def test_roles_limit_writes(sandbox: Sandbox, ip_id: str) -> None:
    observer = sandbox.token("observer")
    creator = sandbox.token("creator")
    for method, path, body in routes(ip_id):
        status, _ = sandbox.call(method, path, body, token=observer)
        if method == "GET":
            assert status == 200, f"observer read {method} {path} -> {status}"
        else:
            assert status == 403, f"observer write {method} {path} -> {status}"
    status, _ = sandbox.call("DELETE", f"{NET}/ip_addresses/{ip_id}", token=creator)
    assert status == 403, "a creator may not delete"
    status, _ = sandbox.call("GET", f"{NET}/ip_addresses/{ip_id}", token=sandbox.token("demo"))
    assert status == 200
