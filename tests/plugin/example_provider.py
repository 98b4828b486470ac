"""A test-only provider built on the SDK (never shipped): `example_thing` and `example_echo`.

Its "remote API" is a JSON file named by the provider's `store` argument or the
`EXAMPLE_STORE` environment variable, so tests can inspect and tamper with remote objects.
Run as `python -m tests.plugin.example_provider` (the same CLI as a real provider).
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
import uuid as uuidlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

from provider.plugin import (
    Attribute,
    Block,
    ConflictsWith,
    Context,
    DataSource,
    List,
    Map,
    NestedBlock,
    Nesting,
    Number,
    Provider,
    ProviderError,
    RequiresReplace,
    Resource,
    Schema,
    Set,
    String,
    UseStateForUnknown,
    between,
    each,
    matches,
    uuid,
)

SOURCE_ADDRESS = "registry.terraform.io/example/example"
STORE_ENV = "EXAMPLE_STORE"


class Store:
    """Remote objects in a JSON file, safe across processes."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def objects(self) -> Iterator[dict[str, Any]]:
        """The objects, written back when the block ends."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            data = json.loads(self.path.read_text()) if self.path.exists() else {}
            yield data
            self.path.write_text(json.dumps(data, indent=1, sort_keys=True))


def _wait_or_cancel(ctx: Context, seconds: float) -> None:
    if ctx.cancelled.wait(seconds):
        raise ProviderError("Operation cancelled", "Terraform asked the provider to stop.")


class Thing(Resource):
    """A remote object with a replace-forcing name, defaults, sets, maps and a rule block."""

    type_name: ClassVar[str] = "example_thing"
    schema: ClassVar[Schema] = Schema(
        version=1,
        description="A thing in the example store.",
        attributes={
            "id": Attribute(String, computed=True, plan=[UseStateForUnknown()]),
            "name": Attribute(
                String,
                required=True,
                description="Name; changing it **replaces** the thing.",
                validate=[matches(r"[a-z][a-z0-9-]*", "must be lower-case letters, digits, -")],
                plan=[RequiresReplace()],
            ),
            "size": Attribute(
                Number, optional=True, computed=True, default=1, validate=[between(1, 100)]
            ),
            "tags": Attribute(Set(String), optional=True),
            "labels": Attribute(Map(String), optional=True),
            "owner_ids": Attribute(List(String), optional=True, validate=[each(uuid())]),
            "secret": Attribute(String, optional=True, sensitive=True),
            "big": Attribute(Number, optional=True),
            "old_field": Attribute(String, optional=True, deprecated=True),
            "serial": Attribute(Number, computed=True),
            "created_at": Attribute(String, computed=True, plan=[UseStateForUnknown()]),
        },
        blocks={
            "rule": NestedBlock(
                Block(
                    attributes={
                        "port": Attribute(Number, required=True, plan=[RequiresReplace()]),
                        "note": Attribute(String, optional=True),
                    }
                ),
                nesting=Nesting.LIST,
                max_items=5,
            )
        },
        validators=[ConflictsWith("tags", "labels")],
    )

    def _store(self) -> Store:
        return self.client

    def _behave(self, name: str, ctx: Context) -> None:
        # Names steer failure modes for the tests.
        if name.startswith("slow"):
            _wait_or_cancel(ctx, 30)
        if name == "boom":
            raise RuntimeError("kaboom: the API client fell over")
        if name == "refused":
            raise ProviderError("Thing refused", "The store refused the name.", ("name",))

    def create(self, planned: dict[str, Any], ctx: Context) -> dict[str, Any]:
        self._behave(planned["name"], ctx)
        state = dict(planned)
        state["id"] = str(uuidlib.uuid4())
        state["serial"] = 1
        state["created_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        with self._store().objects() as objects:
            objects[state["id"]] = _jsonable(state)
        ctx.private["etag"] = "v1"
        return state

    def read(self, state: dict[str, Any], ctx: Context) -> dict[str, Any] | None:
        with self._store().objects() as objects:
            remote = objects.get(state["id"])
        if remote is None:
            return None
        ctx.private["reads"] = int(ctx.private.get("reads", 0)) + 1
        return _from_json(remote)

    def update(self, prior: dict[str, Any], planned: dict[str, Any], ctx: Context) -> dict:
        self._behave(planned["name"], ctx)
        state = dict(planned)
        state["serial"] = int(prior["serial"]) + 1
        with self._store().objects() as objects:
            objects[state["id"]] = _jsonable(state)
        ctx.private["etag"] = f"v{state['serial']}"
        return state

    def delete(self, state: dict[str, Any], ctx: Context) -> None:
        with self._store().objects() as objects:
            objects.pop(state["id"], None)

    def upgrade_state(self, version: int, raw: dict[str, Any], ctx: Context) -> dict[str, Any]:
        if version != 0:
            return super().upgrade_state(version, raw, ctx)
        # Version 0 called the name `title` and the size `count`.
        upgraded = dict(raw)
        upgraded["name"] = upgraded.pop("title", None)
        upgraded["size"] = upgraded.pop("count", None)
        return upgraded


class Echo(DataSource):
    """Upper-cases its input (after an optional `sleep:<seconds>:` prefix is honoured)."""

    type_name: ClassVar[str] = "example_echo"
    schema: ClassVar[Schema] = Schema(
        attributes={
            "input": Attribute(String, required=True),
            "output": Attribute(String, computed=True),
        }
    )

    def read(self, config: dict[str, Any], ctx: Context) -> dict[str, Any]:
        text = config["input"]
        if text.startswith("sleep:"):
            _, seconds, text = text.split(":", 2)
            _wait_or_cancel(ctx, float(seconds))
        return {"output": text.upper()}


class ExampleProvider(Provider):
    """The example provider."""

    type_name: ClassVar[str] = "example"
    schema: ClassVar[Schema] = Schema(
        attributes={
            "store": Attribute(String, optional=True, description="Path of the store file."),
            "token": Attribute(String, optional=True, sensitive=True),
        }
    )
    resources: ClassVar[list[type[Resource]]] = [Thing]
    data_sources: ClassVar[list[type[DataSource]]] = [Echo]

    def configure(self, config: dict[str, Any], ctx: Context) -> Any:
        path = config.get("store") or os.environ.get(STORE_ENV)
        if not path:
            raise ProviderError("Missing store", f"Set `store` or {STORE_ENV}.", ("store",))
        if config.get("token"):
            ctx.log.info("configured with token %s", config["token"])
        return Store(Path(path))


def _jsonable(state: dict[str, Any]) -> dict[str, Any]:
    out = dict(state)
    if out.get("tags") is not None:
        out["tags"] = sorted(out["tags"])
    if out.get("big") is not None:
        out["big"] = str(out["big"])
    return out


def _from_json(remote: dict[str, Any]) -> dict[str, Any]:
    state = dict(remote)
    if state.get("tags") is not None:
        state["tags"] = frozenset(state["tags"])
    if state.get("big") is not None:
        from decimal import Decimal

        state["big"] = Decimal(state["big"])
    return state


def main(argv: list[str] | None = None) -> int:
    """The test provider's command line (serve / install / debug)."""
    from provider.plugin.cli import run

    return run(
        argv, ExampleProvider, SOURCE_ADDRESS, "0.0.1", module="tests.plugin.example_provider"
    )


if __name__ == "__main__":
    sys.exit(main())
