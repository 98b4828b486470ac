"""Fuzz every provider RPC of the real provider process through a real gRPC channel.

Payloads are malformed or hostile msgpack and JSON `DynamicValue`s (random bytes, random
structures, mutations of valid encodings), and whole request messages are replaced by random
protobuf bytes. Every call must come back, in time, as a response (with error diagnostics when
the input is wrong) or as a gRPC status error; the process must still answer afterwards.
"""

from __future__ import annotations

import json
from typing import Any

import grpc
import msgpack
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.plugin.plugin_client import V5_MESSAGES, V5_NAMES, PluginClient
from tests.reliability import figures

RESOURCES = ["rackspace_ip_address", "rackspace_server_ip_association"]
DATA_SOURCES = [
    "rackspace_ip_address",
    "rackspace_ip_addresses",
    "rackspace_server_ip_associations",
    "rackspace_ports",
]
# RPC (v6 name) -> the DynamicValue fields of its request.
PAYLOAD_RPCS: dict[str, tuple[str, ...]] = {
    "ValidateProviderConfig": ("config",),
    "ValidateResourceConfig": ("config",),
    "ValidateDataResourceConfig": ("config",),
    "ReadResource": ("current_state",),
    "PlanResourceChange": ("prior_state", "proposed_new_state", "config"),
    "ApplyResourceChange": ("prior_state", "planned_state", "config"),
    "ReadDataSource": ("config",),
    "ConfigureProvider": ("config",),
}
OTHER_RPCS = ["GetProviderSchema", "UpgradeResourceState", "ImportResourceState", "GetMetadata"]
ALL_RPCS = [*PAYLOAD_RPCS, *OTHER_RPCS]
CALL_TIMEOUT = 15.0
FUZZ = settings(
    max_examples=180,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)

type_names = st.sampled_from(RESOURCES + DATA_SOURCES) | st.text(max_size=30)
keys = st.sampled_from(
    [
        "id",
        "network_id",
        "version",
        "port_ids",
        "server_ids",
        "server_id",
        "ip_address_id",
        "address",
        "type",
        "username",
        "api_key",
        "auth_url",
        "region",
        "max_retries",
    ]
) | st.text(max_size=10)
leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats()
    | st.text(max_size=50)
    | st.binary(max_size=20)
    | st.builds(msgpack.ExtType, st.integers(0, 127), st.binary(max_size=4))
)
structures = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(keys, inner, max_size=10),
    max_leaves=20,
)


@st.composite
def payloads(draw: st.DrawFn) -> tuple[bytes, bytes, bool]:
    """(msgpack, json, malformed) for one DynamicValue: random bytes, or an encoded random
    structure (corrupted when `malformed`), as msgpack, JSON or both."""
    kind = draw(st.sampled_from(["random", "msgpack", "json", "both"]))
    if kind == "random":
        mp, js = draw(st.binary(min_size=1, max_size=200)), draw(st.binary(max_size=200))
        return mp, js, _undecodable(mp)
    value = draw(structures)
    packed = msgpack.packb(value, use_bin_type=True)
    try:
        text = json.dumps(value, default=repr).encode()
    except (TypeError, ValueError):
        text = b"{"
    if draw(st.booleans()):  # cut the encoding short
        packed = packed[: draw(st.integers(0, max(len(packed) - 1, 0)))] or b"\xc1"
    if kind == "msgpack":
        return packed, b"", _undecodable(packed)
    if kind == "json":
        return b"", text, False
    return packed, text, _undecodable(packed)


def _undecodable(packed: bytes) -> bool:
    """True when the bytes are not msgpack at all (random bytes can happen to be valid)."""
    try:
        msgpack.unpackb(packed, raw=False, strict_map_key=False)
    except Exception:
        return True
    return False


def _method(client: PluginClient, rpc: str) -> tuple[str, Any]:
    """(method name on the stub, request message class) for the negotiated protocol."""
    if client.protocol == 5:
        return V5_NAMES.get(rpc, rpc), getattr(client.pb, V5_MESSAGES.get(rpc, rpc))
    return rpc, getattr(client.pb, rpc)


def _call(client: PluginClient, rpc: str, request: Any, malformed: bool = True) -> None:
    """One call; a response or a gRPC status is fine, a deadline (hang) is not.

    Malformed bytes must be answered as invalid input. Well-formed values that break the
    schema (which Terraform never sends) may also end on the SDK's generic error path; they
    are counted, not failed.
    """
    method, _ = _method(client, rpc)
    try:
        response = getattr(client.stub, method)(request, timeout=CALL_TIMEOUT)
    except grpc.RpcError as err:
        assert err.code() != grpc.StatusCode.DEADLINE_EXCEEDED, f"{rpc} hung"
        assert err.code() != grpc.StatusCode.UNAVAILABLE, f"{rpc} killed the provider"
        return
    # Bad input is the caller's mistake: it must be told so, not sent down the "this is a
    # bug in the provider" path.
    unexpected = [
        f"{d.summary}: {d.detail}"
        for d in getattr(response, "diagnostics", [])
        if d.summary.startswith("Unexpected error")
    ]
    if malformed:
        assert unexpected == [], unexpected
    elif unexpected:
        figures.add("fuzz: schema-breaking values answered 'Unexpected error'", 1)


def _request(client: PluginClient, rpc: str, type_name: str, data: Any) -> Any:
    _, message = _method(client, rpc)
    pb = client.pb
    if rpc in PAYLOAD_RPCS:
        fields: dict[str, Any] = {}
        for name, (mp, js, _) in zip(PAYLOAD_RPCS[rpc], data["payloads"], strict=False):
            fields[name] = pb.DynamicValue(msgpack=mp, json=js)
        if rpc not in ("ValidateProviderConfig", "ConfigureProvider"):
            fields["type_name"] = type_name
        if rpc in ("PlanResourceChange", "ApplyResourceChange", "ReadResource"):
            key = {
                "PlanResourceChange": "prior_private",
                "ApplyResourceChange": "planned_private",
                "ReadResource": "private",
            }[rpc]
            fields[key] = data["private"]
        return message.Request(**fields)
    if rpc == "UpgradeResourceState":
        raw = pb.RawState(json=data["raw"], flatmap=data["flatmap"])
        return message.Request(type_name=type_name, version=data["version"], raw_state=raw)
    if rpc == "ImportResourceState":
        return message.Request(type_name=type_name, id=data["text"])
    return message.Request()


request_data = st.fixed_dictionaries(
    {
        "payloads": st.lists(payloads(), min_size=3, max_size=3),
        "private": st.binary(max_size=60) | st.just(b'{"a":1}'),
        "raw": st.binary(max_size=200)
        | structures.map(lambda v: json.dumps(v, default=repr).encode()),
        "flatmap": st.dictionaries(st.text(max_size=12), st.text(max_size=12), max_size=6),
        "version": st.integers(-(2**63), 2**63 - 1),
        "text": st.text(max_size=200),
    }
)


def _still_serving(client: PluginClient) -> None:
    assert client.proc.poll() is None, "the provider process died"
    resp = client.call("GetProviderSchema", timeout=10)
    assert "rackspace_ip_address" in resp.resource_schemas
    health = health_pb2_grpc.HealthStub(client.channel)
    status = health.Check(health_pb2.HealthCheckRequest(service="plugin"), timeout=10).status
    assert status == health_pb2.HealthCheckResponse.SERVING


@pytest.mark.parametrize("rpc", ALL_RPCS)
def test_malformed_payloads(provider: PluginClient, rpc: str) -> None:
    @FUZZ
    @given(type_name=type_names, data=request_data)
    def run(type_name: str, data: dict[str, Any]) -> None:
        figures.add("fuzz cases: RPC payloads", 1)
        used = data["payloads"][: len(PAYLOAD_RPCS.get(rpc, ()))]
        malformed = rpc not in PAYLOAD_RPCS or any(bad for _, _, bad in used)
        _call(provider, rpc, _request(provider, rpc, type_name, data), malformed)

    run()
    _still_serving(provider)


@pytest.mark.parametrize("rpc", ALL_RPCS)
def test_malformed_protobuf(provider: PluginClient, rpc: str) -> None:
    method, message = _method(provider, rpc)
    service = f"tfplugin{provider.protocol}.Provider"
    raw_call = provider.channel.unary_unary(
        f"/{service}/{method}",
        request_serializer=lambda b: b,
        response_deserializer=message.Response.FromString,
    )

    @settings(FUZZ, max_examples=100)
    @given(body=st.binary(max_size=400))
    def run(body: bytes) -> None:
        figures.add("fuzz cases: RPC protobuf", 1)
        try:
            raw_call(body, timeout=CALL_TIMEOUT)
        except grpc.RpcError as err:
            assert err.code() not in (
                grpc.StatusCode.DEADLINE_EXCEEDED,
                grpc.StatusCode.UNAVAILABLE,
            ), err

    run()
    _still_serving(provider)
