"""Debug knob: write every request and response to a folder as JSON files.

Set `TF_LOG_SDK_PROTO_DATA_DIR=/some/dir` (the same name terraform-plugin-go uses). Values are
written decoded, with sensitive attributes and registered secrets replaced.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from provider.plugin import codec
from provider.plugin.codec import to_jsonable
from provider.plugin.logging import redact
from provider.plugin.schema import Block, Nesting, Schema
from provider.plugin.wire import Wire

if TYPE_CHECKING:
    from provider.plugin.core import ProviderCore, Result

__all__ = ["ENV_VAR", "PayloadDumper", "dumped", "redact_sensitive"]

ENV_VAR = "TF_LOG_SDK_PROTO_DATA_DIR"
SENSITIVE = "(sensitive value)"

log = logging.getLogger("provider.plugin")


def redact_sensitive(block: Block, value: Any) -> Any:
    """`value` with every sensitive attribute of `block` replaced, nested blocks included."""
    if not isinstance(value, Mapping):
        return value
    out = dict(value)
    for name, attr in block.attributes.items():
        if attr.sensitive and out.get(name) is not None:
            out[name] = SENSITIVE
    for name, nb in block.blocks.items():
        v = out.get(name)
        if v is None:
            continue
        if nb.nesting in (Nesting.SINGLE, Nesting.GROUP):
            out[name] = redact_sensitive(nb.block, v)
        elif nb.nesting is Nesting.MAP and isinstance(v, Mapping):
            out[name] = {k: redact_sensitive(nb.block, e) for k, e in v.items()}
        elif isinstance(v, list | tuple):
            out[name] = [redact_sensitive(nb.block, e) for e in v]
    return out


class PayloadDumper:
    """Writes `<time>_<seq>_<rpc>_<request|response>.json` files into a folder."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._seq = itertools.count(1)

    @classmethod
    def from_env(cls) -> PayloadDumper | None:
        """A dumper when the environment asks for one."""
        directory = os.environ.get(ENV_VAR)
        return cls(directory) if directory else None

    def dump(self, rpc: str, kind: str, body: Mapping[str, Any]) -> None:
        """Write one payload; failures are logged, never raised (this is a debug aid)."""
        seq = next(self._seq)
        name = f"{time.strftime('%Y%m%dT%H%M%S')}_{os.getpid()}_{seq:05d}_{rpc}_{kind}.json"
        try:
            text = json.dumps(to_jsonable(dict(body)), indent=2, sort_keys=True, default=str)
            (self.directory / name).write_text(redact(text) + "\n")
        except OSError as e:
            log.warning("cannot write payload dump %s: %s", name, e)

    def dump_call(
        self, rpc: str, request: Mapping[str, Any], result: Result, schema: Schema
    ) -> None:
        """Write one RPC's request and response, values decoded with `schema` and redacted."""

        def show(value: Any) -> Any:
            if isinstance(value, Wire):
                try:
                    value = codec.decode(value.msgpack, value.json, schema.implied_type())
                except Exception as e:
                    return f"(undecodable: {e})"
                return redact_sensitive(schema, value)
            if isinstance(value, bytes):
                return _private(value)
            return value

        self.dump(rpc, "request", {k: show(v) for k, v in request.items()})
        response: dict[str, Any] = {}
        if rpc == "ImportResourceState":
            response["imported"] = [
                {"type_name": i.type_name, "state": show(Wire(i.state))} for i in result.imported
            ]
        else:
            if result.state is not None:
                response["state"] = show(Wire(result.state))
            response["private"] = show(result.private)
            response["requires_replace"] = [list(p) for p in result.requires_replace]
        response["diagnostics"] = [
            {"severity": d.severity.name, "summary": d.summary, "detail": d.detail}
            for d in result.diagnostics
        ]
        self.dump(rpc, "response", response)


def _private(raw: bytes) -> Any:
    """Private state as the JSON it holds (or `{}` for none or for another SDK's bytes)."""
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        return {}


F = TypeVar("F", bound=Callable[..., Any])


def dumped(rpc: str) -> Callable[[F], F]:
    """Decorate a `ProviderCore` RPC method: when the core has a dumper, write the call's
    request and response (the method's arguments by name, and the `Result` it returns)."""

    def decorate(fn: F) -> F:
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def wrapper(core: ProviderCore, *args: Any, **kwargs: Any) -> Any:
            out = fn(core, *args, **kwargs)
            if core.dumper is not None:
                request = signature.bind(core, *args, **kwargs).arguments
                request.pop("self")
                core.dumper.dump_call(
                    rpc, request, out, core.schema_for(str(request.get("type_name") or ""))
                )
            return out

        return wrapper  # type: ignore[return-value]

    return decorate
