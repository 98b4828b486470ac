"""Protocol tests: a Python gRPC client plays Terraform against the example provider process.

Every test runs over protocol 6 and protocol 5, with TLS and a Terraform-shaped P-521 client
certificate, against a real provider process launched through the handshake.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import msgpack
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.plugin.plugin_client import (
    UNKNOWN,
    PluginClient,
    launch,
    path_steps,
    plugin_env,
    unpack,
)

THING_ATTRS = (
    "id",
    "name",
    "size",
    "tags",
    "labels",
    "owner_ids",
    "secret",
    "big",
    "old_field",
    "serial",
    "created_at",
)
UUID_A = "6b1f6f1e-8a53-4d0e-9d7f-1f0d6b7f3a01"


def thing(**values: Any) -> dict[str, Any]:
    """A full example_thing object value as Terraform sends it (absent = null)."""
    obj: dict[str, Any] = {name: None for name in THING_ATTRS}
    obj["rule"] = []
    obj.update(values)
    return obj


@pytest.fixture(scope="module", params=["6", "5"], ids=["proto6", "proto5"])
def client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PluginClient]:
    store = tmp_path_factory.mktemp("store") / "store.json"
    env, identity = plugin_env(protocol=request.param)
    c = PluginClient(launch(env), identity)
    c.store = store  # type: ignore[attr-defined]
    resp = c.call(
        "ConfigureProvider",
        terraform_version="1.0.3",
        config=c.dv({"store": str(store), "token": None}),
    )
    assert list(resp.diagnostics) == []
    yield c
    c.close()


def errors(resp: Any) -> list[Any]:
    return [d for d in resp.diagnostics if d.severity == 1]


def store_objects(c: PluginClient) -> dict[str, Any]:
    path: Path = c.store  # type: ignore[attr-defined]
    return json.loads(path.read_text()) if path.exists() else {}


def create_thing(c: PluginClient, **values: Any) -> dict[str, Any]:
    config = thing(**values)
    plan = c.call(
        "PlanResourceChange",
        type_name="example_thing",
        prior_state=c.dv(None),
        proposed_new_state=c.dv(config),
        config=c.dv(config),
    )
    assert errors(plan) == []
    applied = c.call(
        "ApplyResourceChange",
        type_name="example_thing",
        prior_state=c.dv(None),
        planned_state=plan.planned_state,
        config=c.dv(config),
        planned_private=plan.planned_private,
    )
    assert errors(applied) == [], applied.diagnostics
    state = unpack(applied.new_state)
    state["__private"] = applied.private
    return state


def without_private(state: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in state.items() if k != "__private"}


# ------------------------------------------------------------------------------ schema


def test_negotiated_protocol_is_the_forced_one(client: PluginClient) -> None:
    assert client.protocol in (5, 6)
    assert client.pb.__name__.endswith(f"tfplugin{client.protocol}_pb2")


def test_schema_describes_provider_resources_and_data_sources(client: PluginClient) -> None:
    resp = client.call("GetProviderSchema")
    assert errors(resp) == []
    provider_attrs = {a.name: a for a in resp.provider.block.attributes}
    assert provider_attrs["token"].sensitive and provider_attrs["token"].optional
    thing_schema = resp.resource_schemas["example_thing"]
    assert thing_schema.version == 1
    attrs = {a.name: a for a in thing_schema.block.attributes}
    assert attrs["id"].computed and not attrs["id"].optional
    assert attrs["name"].required
    assert attrs["size"].optional and attrs["size"].computed
    assert attrs["secret"].sensitive
    assert attrs["old_field"].deprecated
    assert json.loads(attrs["tags"].type) == ["set", "string"]
    assert json.loads(attrs["labels"].type) == ["map", "string"]
    assert attrs["name"].description_kind == 1  # markdown
    (rule,) = thing_schema.block.block_types
    assert (rule.type_name, rule.nesting, rule.max_items) == ("rule", 2, 5)
    assert {a.name for a in rule.block.attributes} == {"port", "note"}
    assert set(resp.data_source_schemas) == {"example_echo"}


def test_metadata_lists_types(client: PluginClient) -> None:
    resp = client.stub.GetMetadata(client.pb.GetMetadata.Request(), timeout=10)
    assert [r.type_name for r in resp.resources] == ["example_thing"]
    assert [d.type_name for d in resp.data_sources] == ["example_echo"]


# ------------------------------------------------------------------------------ validate


def test_validate_reports_attribute_paths(client: PluginClient) -> None:
    config = thing(name="Bad Name", owner_ids=[UUID_A, "not-a-uuid"], size=500)
    resp = client.call(
        "ValidateResourceConfig", type_name="example_thing", config=client.dv(config)
    )
    found = {tuple(path_steps(d.attribute)): d for d in errors(resp)}
    assert set(found) == {("name",), ("owner_ids", 1), ("size",)}
    assert all(d.summary == "Invalid attribute value" for d in found.values())
    assert "not-a-uuid" in found[("owner_ids", 1)].detail


def test_validate_resource_level_rule_and_deprecation(client: PluginClient) -> None:
    config = thing(name="ok", tags=["a"], labels={"k": "v"}, old_field="x")
    resp = client.call(
        "ValidateResourceConfig", type_name="example_thing", config=client.dv(config)
    )
    assert [d.summary for d in errors(resp)] == ["Conflicting arguments"]
    warnings = [d for d in resp.diagnostics if d.severity == 2]
    assert [path_steps(w.attribute) for w in warnings] == [["old_field"]]


def test_validate_tolerates_unknown_values(client: PluginClient) -> None:
    config = thing(name=UNKNOWN, tags=UNKNOWN, labels={"k": "v"}, owner_ids=[UNKNOWN, "nope"])
    resp = client.call(
        "ValidateResourceConfig", type_name="example_thing", config=client.dv(config)
    )
    # Only the known bad element is reported; unknowns are checked on a later call.
    assert [path_steps(d.attribute) for d in errors(resp)] == [["owner_ids", 1]]


def test_validate_accepts_json_config(client: PluginClient) -> None:
    config = json.dumps(thing(name="json-ok")).encode()
    resp = client.call(
        "ValidateResourceConfig",
        type_name="example_thing",
        config=client.pb.DynamicValue(json=config),
    )
    assert list(resp.diagnostics) == []


# ------------------------------------------------------------------------------ plan / apply


def test_plan_create_marks_computed_unknown_and_applies_default(client: PluginClient) -> None:
    config = thing(name="fresh", tags=["b", "a"])
    resp = client.call(
        "PlanResourceChange",
        type_name="example_thing",
        prior_state=client.dv(None),
        proposed_new_state=client.dv(config),
        config=client.dv(config),
    )
    assert errors(resp) == []
    raw = msgpack.unpackb(resp.planned_state.msgpack, raw=False)
    assert raw["id"] == UNKNOWN and raw["serial"] == UNKNOWN and raw["created_at"] == UNKNOWN
    assert raw["size"] == 1
    assert sorted(raw["tags"]) == ["a", "b"]
    assert raw["secret"] is None
    assert list(resp.requires_replace) == []


def test_apply_create_then_read_keeps_private_state(client: PluginClient) -> None:
    state = create_thing(client, name="created", big="123456789012345678901234567890.5")
    assert state["serial"] == 1 and state["size"] == 1
    assert state["big"] == "123456789012345678901234567890.5"
    assert json.loads(state["__private"]) == {"etag": "v1"}
    assert state["id"] in store_objects(client)
    read = client.call(
        "ReadResource",
        type_name="example_thing",
        current_state=client.dv(without_private(state)),
        private=state["__private"],
    )
    assert errors(read) == []
    assert unpack(read.new_state) == without_private(state)
    assert json.loads(read.private) == {"etag": "v1", "reads": 1}


def test_plan_update_in_place(client: PluginClient) -> None:
    state = without_private(create_thing(client, name="grow"))
    config = thing(name="grow", size=7)
    proposed = dict(state, size=7)
    resp = client.call(
        "PlanResourceChange",
        type_name="example_thing",
        prior_state=client.dv(state),
        proposed_new_state=client.dv(proposed),
        config=client.dv(config),
        prior_private=b'{"etag":"v1"}',
    )
    planned = unpack(resp.planned_state)
    assert planned["size"] == 7
    assert planned["serial"] == UNKNOWN  # computed, no UseStateForUnknown
    assert planned["id"] == state["id"] and planned["created_at"] == state["created_at"]
    assert list(resp.requires_replace) == []
    assert resp.planned_private == b'{"etag":"v1"}'
    applied = client.call(
        "ApplyResourceChange",
        type_name="example_thing",
        prior_state=client.dv(state),
        planned_state=resp.planned_state,
        config=client.dv(config),
        planned_private=resp.planned_private,
    )
    new = unpack(applied.new_state)
    assert new["serial"] == 2 and new["size"] == 7 and new["id"] == state["id"]
    assert json.loads(applied.private) == {"etag": "v2"}


def test_plan_without_changes_keeps_computed_values(client: PluginClient) -> None:
    state = without_private(create_thing(client, name="steady"))
    resp = client.call(
        "PlanResourceChange",
        type_name="example_thing",
        prior_state=client.dv(state),
        proposed_new_state=client.dv(state),
        config=client.dv(thing(name="steady")),
    )
    assert unpack(resp.planned_state) == state


def test_plan_replace_top_level_and_nested(client: PluginClient) -> None:
    state = without_private(
        create_thing(
            client, name="old", rule=[{"port": 80, "note": None}, {"port": 443, "note": "tls"}]
        )
    )
    config = thing(
        name="new", rule=[{"port": 80, "note": "changed"}, {"port": 8443, "note": "tls"}]
    )
    proposed = dict(state, name="new", rule=config["rule"])
    resp = client.call(
        "PlanResourceChange",
        type_name="example_thing",
        prior_state=client.dv(state),
        proposed_new_state=client.dv(proposed),
        config=client.dv(config),
    )
    assert errors(resp) == []
    paths = sorted(path_steps(p) for p in resp.requires_replace)
    assert paths == [["name"], ["rule", 1, "port"]]


def test_apply_destroy(client: PluginClient) -> None:
    state = without_private(create_thing(client, name="doomed"))
    resp = client.call(
        "ApplyResourceChange",
        type_name="example_thing",
        prior_state=client.dv(state),
        planned_state=client.dv(None),
        config=client.dv(None),
    )
    assert errors(resp) == []
    assert unpack(resp.new_state) is None
    assert state["id"] not in store_objects(client)


def test_read_of_vanished_object_returns_null(client: PluginClient) -> None:
    state = without_private(create_thing(client, name="vanishing"))
    path: Path = client.store  # type: ignore[attr-defined]
    objects = store_objects(client)
    del objects[state["id"]]
    path.write_text(json.dumps(objects))
    resp = client.call("ReadResource", type_name="example_thing", current_state=client.dv(state))
    assert errors(resp) == []
    assert resp.new_state.msgpack == msgpack.packb(None)


def test_import_then_read(client: PluginClient) -> None:
    state = without_private(create_thing(client, name="imported", labels={"env": "test"}))
    resp = client.call("ImportResourceState", type_name="example_thing", id=state["id"])
    assert errors(resp) == []
    (imported,) = resp.imported_resources
    partial = unpack(imported.state)
    assert imported.type_name == "example_thing"
    assert partial == thing(id=state["id"])
    read = client.call("ReadResource", type_name="example_thing", current_state=imported.state)
    assert unpack(read.new_state) == state


def test_upgrade_from_version_0_json_and_flatmap(client: PluginClient) -> None:
    raw = {"id": "x1", "title": "legacy", "count": 3, "tags": ["t"], "serial": 4, "rule": []}
    resp = client.call(
        "UpgradeResourceState",
        type_name="example_thing",
        version=0,
        raw_state=client.pb.RawState(json=json.dumps(raw).encode()),
    )
    assert errors(resp) == []
    assert unpack(resp.upgraded_state) == thing(
        id="x1", name="legacy", size=3, tags=["t"], serial=4
    )
    flat = {
        "id": "x2",
        "title": "flat",
        "count": "2",
        "tags.#": "1",
        "tags.1234": "z",
        "rule.#": "1",
        "rule.0.port": "22",
    }
    resp = client.call(
        "UpgradeResourceState",
        type_name="example_thing",
        version=0,
        raw_state=client.pb.RawState(flatmap=flat),
    )
    assert errors(resp) == []
    assert unpack(resp.upgraded_state) == thing(
        id="x2", name="flat", size=2, tags=["z"], rule=[{"port": 22, "note": None}]
    )


def test_upgrade_current_version_drops_removed_attributes(client: PluginClient) -> None:
    raw = dict(thing(id="x3", name="same", serial=1), removed_attribute="gone")
    resp = client.call(
        "UpgradeResourceState",
        type_name="example_thing",
        version=1,
        raw_state=client.pb.RawState(json=json.dumps(raw).encode()),
    )
    assert errors(resp) == []
    assert unpack(resp.upgraded_state) == thing(id="x3", name="same", serial=1)


def test_upgrade_from_newer_version_is_an_error(client: PluginClient) -> None:
    resp = client.call(
        "UpgradeResourceState",
        type_name="example_thing",
        version=9,
        raw_state=client.pb.RawState(json=b"{}"),
    )
    assert [d.summary for d in errors(resp)] == ["State of example_thing is from a newer provider"]


def test_provider_error_and_crash_become_diagnostics(client: PluginClient) -> None:
    config = thing(name="refused")
    plan = client.call(
        "PlanResourceChange",
        type_name="example_thing",
        prior_state=client.dv(None),
        proposed_new_state=client.dv(config),
        config=client.dv(config),
    )
    resp = client.call(
        "ApplyResourceChange",
        type_name="example_thing",
        prior_state=client.dv(None),
        planned_state=plan.planned_state,
        config=client.dv(config),
    )
    (diag,) = errors(resp)
    assert diag.summary == "Thing refused" and path_steps(diag.attribute) == ["name"]
    assert unpack(resp.new_state) is None

    config = thing(name="boom")
    resp = client.call(
        "ApplyResourceChange",
        type_name="example_thing",
        prior_state=client.dv(None),
        planned_state=client.dv(
            dict(config, id=UNKNOWN, size=1, serial=UNKNOWN, created_at=UNKNOWN)
        ),
        config=client.dv(config),
    )
    (diag,) = errors(resp)
    assert diag.summary == "Unexpected error in example_thing.apply"
    assert "kaboom" in diag.detail and "Traceback" not in diag.detail


def test_data_source_read(client: PluginClient) -> None:
    resp = client.call(
        "ReadDataSource",
        type_name="example_echo",
        config=client.dv({"input": "hello", "output": None}),
    )
    assert errors(resp) == []
    assert unpack(resp.state) == {"input": "hello", "output": "HELLO"}


def test_unknown_type_is_a_diagnostic(client: PluginClient) -> None:
    resp = client.call("ReadDataSource", type_name="nope", config=client.dv({}))
    assert [d.summary for d in errors(resp)] == ["Unknown data source type 'nope'"]


def test_large_message_beyond_grpc_default_limit(client: PluginClient) -> None:
    text = "x" * (6 * 1024 * 1024)
    resp = client.call(
        "ReadDataSource",
        type_name="example_echo",
        config=client.dv({"input": text, "output": None}),
    )
    assert len(unpack(resp.state)["output"]) == len(text)


# ------------------------------------------------------------------------------ lifecycle


def test_ten_rpcs_run_concurrently(client: PluginClient) -> None:
    started = time.monotonic()
    futures = [
        client.future(
            "ReadDataSource",
            type_name="example_echo",
            config=client.dv({"input": f"sleep:0.6:{i}", "output": None}),
        )
        for i in range(10)
    ]
    outputs = [unpack(f.result().state)["output"] for f in futures]
    assert outputs == [str(i) for i in range(10)]
    # Serially this would take 6 s; concurrently about 0.6 s.
    assert time.monotonic() - started < 3.0


def test_newer_rpcs_answer_unimplemented(client: PluginClient) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        client.stub.MoveResourceState(client.pb.MoveResourceState.Request(), timeout=10)
    assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED
    with pytest.raises(grpc.RpcError) as caught:
        list(client.stub.ListResource(client.pb.ListResource.Request(), timeout=10))
    assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert client.stub.GetFunctions(client.pb.GetFunctions.Request(), timeout=10).functions == {}
    # ...and the provider is still serving.
    assert client.call("GetProviderSchema").resource_schemas


def test_health_and_stdio_services(client: PluginClient) -> None:
    health = health_pb2_grpc.HealthStub(client.channel)
    resp = health.Check(health_pb2.HealthCheckRequest(service="plugin"), timeout=10)
    assert resp.status == health_pb2.HealthCheckResponse.SERVING
    from google.protobuf import empty_pb2

    assert list(client.stdio.StreamStdio(empty_pb2.Empty(), timeout=10)) == []


def test_stop_cancels_in_flight_work_and_keeps_serving(tmp_path: Path) -> None:
    env, identity = plugin_env(protocol="6")
    c = PluginClient(launch(env), identity)
    try:
        c.call("ConfigureProvider", config=c.dv({"store": str(tmp_path / "s.json"), "token": None}))
        config = thing(name="slow-create")
        plan = c.call(
            "PlanResourceChange",
            type_name="example_thing",
            prior_state=c.dv(None),
            proposed_new_state=c.dv(config),
            config=c.dv(config),
        )
        pending = c.future(
            "ApplyResourceChange",
            type_name="example_thing",
            prior_state=c.dv(None),
            planned_state=plan.planned_state,
            config=c.dv(config),
        )
        time.sleep(0.3)
        started = time.monotonic()
        assert c.call("StopProvider").Error == ""
        resp = pending.result(timeout=10)
        assert time.monotonic() - started < 5
        assert [d.summary for d in errors(resp)] == ["Operation cancelled"]
        assert c.proc.poll() is None  # Stop is not an exit
        assert c.call("GetProviderSchema").resource_schemas
        assert c.shutdown() == 0
    finally:
        c.close()


def test_shutdown_exits_promptly(tmp_path: Path) -> None:
    env, identity = plugin_env(protocol="5")
    c = PluginClient(launch(env), identity)
    try:
        started = time.monotonic()
        assert c.shutdown() == 0
        assert time.monotonic() - started < 1.5
        socket_dir = Path(c.handshake.address).parent
        assert not socket_dir.exists()
    finally:
        c.close()


def test_stderr_is_hclog_json_with_traceback_and_no_secret(tmp_path: Path) -> None:
    env, identity = plugin_env(protocol="6", TF_LOG="DEBUG")
    c = PluginClient(launch(env), identity)
    secret = "s3cr3t-token-value"
    try:
        c.call(
            "ConfigureProvider", config=c.dv({"store": str(tmp_path / "s.json"), "token": secret})
        )
        config = thing(name="boom")
        c.call(
            "ApplyResourceChange",
            type_name="example_thing",
            prior_state=c.dv(None),
            planned_state=c.dv(
                dict(config, id=UNKNOWN, size=1, serial=UNKNOWN, created_at=UNKNOWN)
            ),
            config=c.dv(config),
        )
        assert c.shutdown() == 0
        stderr = c.proc.stderr.read().decode()  # type: ignore[union-attr]
    finally:
        c.close()
    lines = [json.loads(line) for line in stderr.splitlines() if line.strip()]
    assert lines, "expected log lines on stderr"
    assert all({"@level", "@message", "@timestamp"} <= line.keys() for line in lines)
    crash = [
        line for line in lines if "unexpected error in example_thing.apply" in line["@message"]
    ]
    assert crash and crash[0]["@level"] == "error" and "Traceback" in crash[0]["@message"]
    assert secret not in stderr
    assert any("configured with token ***" in line["@message"] for line in lines)


def test_payload_dump_folder(tmp_path: Path) -> None:
    dump = tmp_path / "dump"
    env, identity = plugin_env(protocol="6", TF_LOG_SDK_PROTO_DATA_DIR=str(dump))
    c = PluginClient(launch(env), identity)
    try:
        c.call(
            "ConfigureProvider",
            config=c.dv({"store": str(tmp_path / "s.json"), "token": "tok-123456"}),
        )
        config = thing(name="dumped", secret="hunter2-password")
        c.call(
            "PlanResourceChange",
            type_name="example_thing",
            prior_state=c.dv(None),
            proposed_new_state=c.dv(config),
            config=c.dv(config),
        )
        assert c.shutdown() == 0
    finally:
        c.close()
    files = sorted(p.name for p in dump.iterdir())
    assert any(f.endswith("_ConfigureProvider_request.json") for f in files)
    plan_request = next(
        p for p in dump.iterdir() if p.name.endswith("_PlanResourceChange_request.json")
    )
    body = json.loads(plan_request.read_text())
    assert body["type_name"] == "example_thing"
    assert body["config"]["name"] == "dumped"
    assert body["config"]["secret"] == "(sensitive value)"
    everything = "".join(p.read_text() for p in dump.iterdir())
    assert "hunter2-password" not in everything and "tok-123456" not in everything


def test_concurrent_clients_share_one_core(client: PluginClient) -> None:
    results: list[Any] = []

    def worker(i: int) -> None:
        resp = client.call(
            "ReadDataSource",
            type_name="example_echo",
            config=client.dv({"input": f"w{i}", "output": None}),
        )
        results.append(unpack(resp.state)["output"])

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == sorted(f"W{i}" for i in range(12))
