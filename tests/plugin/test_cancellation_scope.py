"""The core makes each RPC's cancellation event current for the provider code it runs
(`current_cancellation()`), as terraform-plugin-go hands every RPC a stoppable context."""

from __future__ import annotations

import threading
from typing import Any

from provider.plugin import (
    Attribute,
    Context,
    DataSource,
    Provider,
    Schema,
    String,
    current_cancellation,
)
from provider.plugin.codec import encode_msgpack
from provider.plugin.core import ProviderCore
from provider.plugin.wire import Wire

SCHEMA = Schema(attributes={"id": Attribute(String, computed=True)})


class Recorder(DataSource[list[Any]]):
    """Appends the current cancellation event to its client (a list) on every read."""

    type_name = "test_recorder"
    schema = SCHEMA

    def read(self, config: dict[str, Any], ctx: Context) -> dict[str, Any]:
        self.client.append((current_cancellation(), ctx.cancelled))
        return {"id": "x"}


class RecordingProvider(Provider):
    type_name = "test"
    data_sources = (Recorder,)

    def __init__(self) -> None:
        self.seen: list[Any] = []

    def configure(self, config: dict[str, Any], ctx: Context) -> Any:
        return self.seen


def test_rpc_code_sees_the_core_cancel_event_and_nothing_outside() -> None:
    provider = RecordingProvider()
    core = ProviderCore(provider)
    core.configure(Wire(msgpack=encode_msgpack({}, Schema().implied_type())), "")
    config = Wire(msgpack=encode_msgpack({"id": None}, SCHEMA.implied_type()))
    result = core.read_data_source("test_recorder", config)
    assert not result.diagnostics
    [(current, from_ctx)] = provider.seen
    assert current is core.cancelled and from_ctx is core.cancelled
    assert current_cancellation() is None


def test_each_thread_sees_only_its_own_rpc() -> None:
    """gRPC serves RPCs on worker threads: a scope set by one is not seen by another."""
    from provider.plugin.context import cancellation_scope

    mine, seen = threading.Event(), []
    with cancellation_scope(mine):
        other = threading.Thread(target=lambda: seen.append(current_cancellation()))
        other.start()
        other.join()
        assert current_cancellation() is mine
    assert seen == [None]
