"""``GET /ip_addresses``: quark's unpaginated answer by default, Neutron's pages when switched on.

The provider's batched refresh serves reads from this listing, so the listing must say exactly
what ``GET /ip_addresses/{id}`` says, and both pagination behaviours must be reachable.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from sandbox_api import PRIVATE_NET, WEB, Api

from tests.support.sandbox import Sandbox


def _all_ids(demo: Api) -> list[str]:
    status, data = demo.net("GET", "/ip_addresses")
    assert status == 200, data
    return [ip["id"] for ip in data["ip_addresses"]]


def test_list_and_get_answer_the_same_fields(demo: Api) -> None:
    shared = demo.shared_ip(WEB[:2])
    demo.associate(WEB[0], shared["id"])
    status, data = demo.net("GET", "/ip_addresses")
    assert status == 200
    listed = data["ip_addresses"]
    assert shared["id"] in {ip["id"] for ip in listed}
    assert any(ip["type"] == "fixed" for ip in listed)
    for ip in listed:
        status, one = demo.net("GET", f"/ip_addresses/{ip['id']}")
        assert status == 200
        assert one["ip_address"] == ip  # same keys, same values, fixed and shared alike


def test_default_ignores_limit_and_marker_as_quark_does(demo: Api) -> None:
    demo.shared_ip(WEB[:2])
    everything = _all_ids(demo)
    assert len(everything) > 3
    status, data = demo.net("GET", f"/ip_addresses?limit=2&marker={everything[0]}")
    assert status == 200
    assert [ip["id"] for ip in data["ip_addresses"]] == everything
    assert "ip_addresses_links" not in data
    # Even a marker that names nothing is ignored.
    status, data = demo.net("GET", "/ip_addresses?limit=1&marker=nothing")
    assert status == 200 and len(data["ip_addresses"]) == len(everything)


def test_paginated_pages_follow_next_links_to_the_whole_list(sb: Sandbox, demo: Api) -> None:
    demo.shared_ip(WEB[:2])
    demo.shared_ip(WEB[2:4], PRIVATE_NET)
    everything = _all_ids(demo)
    assert len(everything) >= 5
    sb.set_faults(paginate_ip_addresses=True)

    status, data = demo.net("GET", "/ip_addresses?type=fixed")
    fixed = [ip["id"] for ip in data["ip_addresses"]]
    assert len(fixed) >= 3
    collected: list[str] = []
    query = "?limit=2&type=fixed"
    pages = 0
    while True:
        status, data = demo.net("GET", f"/ip_addresses{query}")
        assert status == 200, data
        pages += 1
        page = [ip["id"] for ip in data["ip_addresses"]]
        assert 1 <= len(page) <= 2
        collected += page
        links = {link["rel"]: link["href"] for link in data.get("ip_addresses_links", [])}
        if pages > 1:
            assert "previous" in links
        if "next" not in links:
            break
        href = urlparse(links["next"])
        args = parse_qs(href.query)
        assert args["limit"] == ["2"] and args["marker"] == [page[-1]]
        assert args["type"] == ["fixed"], "the filters are kept in the next link"
        query = f"?{href.query}"
    assert collected == fixed
    assert pages == (len(fixed) + 1) // 2


def test_paginated_default_page_is_capped_at_100(sb: Sandbox, demo: Api) -> None:
    sb.set_faults(paginate_ip_addresses=True)
    status, data = demo.net("GET", "/ip_addresses?limit=1000")
    assert status == 200
    # The default seed holds fewer than 100 IPs: one page, no next link.
    assert len(data["ip_addresses"]) == len(_all_ids(demo)) <= 100
    assert "ip_addresses_links" not in data


def test_paginated_rejects_a_bad_limit_or_marker(sb: Sandbox, demo: Api) -> None:
    sb.set_faults(paginate_ip_addresses=True)
    assert demo.net("GET", "/ip_addresses?limit=zero")[0] == 400
    assert demo.net("GET", "/ip_addresses?limit=0")[0] == 400
    status, data = demo.net("GET", "/ip_addresses?marker=deadbeef")
    assert status == 404 and data["NeutronError"]["type"] == "IpAddressNotFound"


def test_switch_is_a_runtime_setting_and_restored(sb: Sandbox) -> None:
    assert sb.set_faults(paginate_ip_addresses=True)["paginate_ip_addresses"] is True
    assert sb.clear_faults()["paginate_ip_addresses"] is False
    status, _ = sb.call("PUT", "/__sandbox__/faults", {"paginate_ip_addresses": 1})
    assert status == 400
    status, _ = sb.call("PUT", "/__sandbox__/faults", {"latency_ms": True})
    assert status == 400


def test_command_line_flag_turns_pagination_on(tmp_path) -> None:
    with Sandbox(tmp_path / "paged", args=["--paginate-ip-addresses"]) as paged:
        assert paged.clear_faults()["paginate_ip_addresses"] is True
        api = Api(paged)
        status, data = api.net("GET", "/ip_addresses?limit=1")
        assert status == 200 and len(data["ip_addresses"]) == 1
        assert [link["rel"] for link in data["ip_addresses_links"]] == ["next"]
