"""Error bodies of the three API families are parsed; anything else falls back to raw text."""

from __future__ import annotations

import json

import pytest

from provider.rackspace.api.errors import (
    BadRequest,
    NetworkNotFound,
    NotFound,
    PortNotOnNetwork,
    PortRequiresDisassociation,
    PortsNotFound,
    QuotaExceeded,
    RateLimited,
    SegmentMismatch,
    ServerError,
    Unauthorized,
    error_for_status,
    parse_error_body,
)


def test_neutron_error():
    body = json.dumps(
        {
            "NeutronError": {
                "type": "PortRequiresDisassociation",
                "message": "Port requires disassociation",
                "detail": "",
            }
        }
    )
    err = error_for_status(
        400,
        body,
        {"x-openstack-request-id": "req-1"},
        method="DELETE",
        url="http://h/v2.0/ip_addresses/x",
    )
    assert isinstance(err, BadRequest)
    assert (err.status, err.code, err.message, err.request_id) == (
        400,
        "PortRequiresDisassociation",
        "Port requires disassociation",
        "req-1",
    )
    assert "HTTP 400" in err.describe() and "req-1" in err.describe()


def test_nova_fault_and_identity_fault():
    err = error_for_status(404, json.dumps({"itemNotFound": {"code": 404, "message": "Gone"}}))
    assert isinstance(err, NotFound) and (err.code, err.message) == ("itemNotFound", "Gone")
    err = error_for_status(
        401,
        json.dumps(
            {
                "unauthorized": {
                    "code": 401,
                    "message": "Unable to authenticate user with credentials provided.",
                }
            }
        ),
    )
    assert isinstance(err, Unauthorized) and err.message.startswith("Unable to authenticate")


def test_over_limit_carries_retry_at():
    body = {
        "overLimit": {
            "code": 413,
            "message": "OverLimit Retry...",
            "details": "Error",
            "retryAt": "2030-01-01T00:00:00Z",
        }
    }
    parsed = parse_error_body(json.dumps(body))
    assert parsed.retry_at == "2030-01-01T00:00:00Z" and parsed.code == "overLimit"
    assert isinstance(error_for_status(413, json.dumps(body)), RateLimited)
    assert isinstance(error_for_status(429, b""), RateLimited)


def test_raw_text_fallback_is_shortened():
    err = error_for_status(502, "<html><body>" + "Bad gateway " * 100 + "</body></html>")
    assert isinstance(err, ServerError)
    assert err.message.startswith("<html><body>Bad gateway") and len(err.message) < 320
    assert error_for_status(500, b"").message == "Internal Server Error"


def test_port_requires_disassociation_is_typed_by_the_apis_error_type():
    neutron = {"NeutronError": {"type": "PortRequiresDisassociation", "message": "m"}}
    assert isinstance(error_for_status(400, json.dumps(neutron)), PortRequiresDisassociation)
    # another type is not it, whatever its message says
    other = {"NeutronError": {"type": "BadRequest", "message": "requires disassociation"}}
    err = error_for_status(400, json.dumps(other))
    assert isinstance(err, BadRequest) and not isinstance(err, PortRequiresDisassociation)
    # a bare webob page (no type at all) is read by quark's fixed message
    page = "400 Bad Request\n\nPort requires disassociation before IP can be deleted"
    assert isinstance(error_for_status(400, page), PortRequiresDisassociation)
    assert not isinstance(error_for_status(404, json.dumps(neutron)), PortRequiresDisassociation)


@pytest.mark.parametrize(
    ("status", "type_", "message", "expected"),
    [
        (404, "NetworkNotFound", "Network n could not be found.", NetworkNotFound),
        (404, "NotAllPortOrDeviceFound", "Not all ports or devices", PortsNotFound),
        (404, "PortNotFoundOnNetwork", "Could not find port on network n.", PortsNotFound),
        (409, "CannotCreateMoreSharedIPs", "quota", QuotaExceeded),
        (409, "CannotAddMoreIPsToPort", "Cannot add more IPs to port", QuotaExceeded),
        # quark raises these as a generic BadRequest: only the message tells them apart
        (
            400,
            "BadRequest",
            "Bad ip_addresses request: Segment id's do not match.",
            SegmentMismatch,
        ),
        (400, "", "Must have ports connected to the requested network", PortNotOnNetwork),
    ],
)
def test_create_refusals_are_typed_by_the_apis_error_type(status, type_, message, expected):
    body = {"NeutronError": {"type": type_, "message": message}} if type_ else {"message": message}
    assert type(error_for_status(status, json.dumps(body))) is expected


def test_a_specific_type_is_never_read_from_its_message():
    # a typed error that happens to mention a segment is not a segment mismatch
    body = {"NeutronError": {"type": "InvalidIpForNetwork", "message": "segment id mismatch"}}
    assert type(error_for_status(400, json.dumps(body))) is BadRequest
    # the same fault type at another status is not the specific error
    body = {"NeutronError": {"type": "NetworkNotFound", "message": "Network n could not be found."}}
    assert type(error_for_status(400, json.dumps(body))) is BadRequest


def test_a_bare_not_found_page_about_a_network_is_network_not_found():
    assert type(error_for_status(404, "Network n could not be found.")) is NetworkNotFound
    assert type(error_for_status(404, "Port p on network n could not be found.")) is NotFound
    nova = {"itemNotFound": {"code": 404, "message": "Network n could not be found."}}
    assert type(error_for_status(404, json.dumps(nova))) is NotFound


def test_quota_errors_say_which_limit():
    per_port = {"NeutronError": {"type": "CannotAddMoreIPsToPort", "message": "m"}}
    tenant = {"NeutronError": {"type": "CannotCreateMoreSharedIPs", "message": "m"}}
    assert error_for_status(409, json.dumps(per_port)).per_port  # type: ignore[attr-defined]
    assert not error_for_status(409, json.dumps(tenant)).per_port  # type: ignore[attr-defined]
