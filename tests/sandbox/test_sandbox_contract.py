"""Contract: the shared-IP lifecycle as plain HTTP calls, checked against the research file.

Every status and body shape below is quoted from research/rackspace-shared-ip-api.md
(section numbers in the comments). Endpoints come from the service catalog, as a client must.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

from tests.support.sandbox import Sandbox

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
PUBLICNET = "00000000-0000-0000-0000-000000000000"


def http(
    method: str, url: str, body: object = None, token: str | None = None
) -> tuple[int, dict | None, dict]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Accept", "application/json")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("X-Auth-Token", token)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            status, raw, headers = resp.status, resp.read(), dict(resp.headers)
    except urllib.error.HTTPError as err:
        status, raw, headers = err.code, err.read(), dict(err.headers)
    return status, (json.loads(raw) if raw else None), headers


def test_shared_ip_lifecycle_contract(sb: Sandbox) -> None:
    # §2.1 / §2.2: API-key login; endpoints by catalog name and region.
    status, auth, _ = http(
        "POST",
        sb.auth_url + "tokens",
        {
            "auth": {
                "RAX-KSKEY:apiKeyCredentials": {"username": "demo", "apiKey": "sandbox-demo-key"}
            }
        },
    )
    assert status == 200
    token = auth["access"]["token"]["id"]
    tenant = auth["access"]["token"]["tenant"]["id"]
    endpoint = {
        svc["name"]: next(e["publicURL"] for e in svc["endpoints"] if e.get("region") == "DFW")
        for svc in auth["access"]["serviceCatalog"]
        if svc["name"] != "cloudServers"
    }
    networks, servers = endpoint["cloudNetworks"], endpoint["cloudServersOpenStack"]
    assert not networks.endswith(tenant) and servers.endswith(f"/v2/{tenant}")  # §2.2

    # §1 step 2: each server's PublicNet port.
    server_ids = ["a1000000-0000-4000-8000-000000000001", "a1000000-0000-4000-8000-000000000002"]
    port_ids = []
    for server_id in server_ids:
        status, body, _ = http(
            "GET", f"{networks}/ports?device_id={server_id}&network_id={PUBLICNET}", token=token
        )
        assert status == 200 and len(body["ports"]) == 1
        port_ids.append(body["ports"][0]["id"])

    # §5.2: provision. 201 with the §4.1 object, type shared, version an int.
    status, body, headers = http(
        "POST",
        f"{networks}/ip_addresses",
        {"ip_address": {"network_id": PUBLICNET, "version": 4, "port_ids": port_ids}},
        token,
    )
    assert status == 201 and headers["Content-Type"] == "application/json"
    ip = body["ip_address"]
    assert UUID.match(ip["id"]) and ip["network_id"] == PUBLICNET
    assert ip["address"] == ip["ip_address"] and re.match(r"^\d+\.\d+\.\d+\.\d+$", ip["address"])
    assert ip["port_ids"] == port_ids and UUID.match(ip["subnet_id"])
    assert ip["tenant_id"] == tenant and ip["version"] == 4 and ip["type"] == "shared"
    association = {"id": ip["id"], "address": ip["address"]}

    # §5.8: associate each server (PUT; 201 first time, §4.3 object).
    for server_id in server_ids:
        status, body, _ = http(
            "PUT", f"{servers}/servers/{server_id}/ip_associations/{ip['id']}", token=token
        )
        assert (status, body) == (201, {"ip_association": association})
        # §5.7 / §5.9: list and show.
        status, body, _ = http("GET", f"{servers}/servers/{server_id}/ip_associations", token=token)
        assert (status, body) == (200, {"ip_associations": [association]})
        status, body, _ = http(
            "GET", f"{servers}/servers/{server_id}/ip_associations/{ip['id']}", token=token
        )
        assert (status, body) == (200, {"ip_association": association})

    # §5.5 / §6 row 18: de-allocation refused while associations remain.
    status, body, _ = http("DELETE", f"{networks}/ip_addresses/{ip['id']}", token=token)
    assert (status, body) == (
        400,
        {
            "NeutronError": {
                "type": "PortRequiresDisassociation",
                "message": "Port requires disassociation before IP can be deleted",
                "detail": "",
            }
        },
    )

    # §5.10: disassociate both (204, empty body); the ports stay provisioned.
    for i, server_id in enumerate(server_ids):
        status, body, _ = http(
            "DELETE", f"{servers}/servers/{server_id}/ip_associations/{ip['id']}", token=token
        )
        assert (status, body) == (204, None)
        if i == 0:  # one association left: still refused
            assert http("DELETE", f"{networks}/ip_addresses/{ip['id']}", token=token)[0] == 400
    status, body, _ = http("GET", f"{networks}/ip_addresses/{ip['id']}", token=token)
    assert status == 200 and body["ip_address"]["port_ids"] == port_ids

    # §5.5: now the IP goes (204, empty), and is gone (§5.3: 404 IpAddressNotFound).
    status, body, _ = http("DELETE", f"{networks}/ip_addresses/{ip['id']}", token=token)
    assert (status, body) == (204, None)
    status, body, _ = http("GET", f"{networks}/ip_addresses/{ip['id']}", token=token)
    assert (status, body) == (
        404,
        {
            "NeutronError": {
                "type": "IpAddressNotFound",
                "message": f"IP Address {ip['id']} not found.",
                "detail": "",
            }
        },
    )

    # Call order as the sandbox saw it (what e2e tests assert on).
    log = [(r["method"], r["status"]) for r in sb.requests() if "ports" not in r["path"]]
    assert log == [
        ("POST", 200),
        ("POST", 201),
        ("PUT", 201),
        ("GET", 200),
        ("GET", 200),
        ("PUT", 201),
        ("GET", 200),
        ("GET", 200),
        ("DELETE", 400),
        ("DELETE", 204),
        ("DELETE", 400),
        ("DELETE", 204),
        ("GET", 200),
        ("DELETE", 204),
        ("GET", 404),
    ]
