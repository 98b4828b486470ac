"""Debug knob: write every request and response to a folder as JSON files.

Set `TF_LOG_SDK_PROTO_DATA_DIR=/some/dir` (the same name terraform-plugin-go uses). Values are
written decoded, with sensitive attributes and registered secrets replaced.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from provider.plugin.codec import to_jsonable
from provider.plugin.logging import redact
from provider.plugin.schema import Block, Nesting

__all__ = ["ENV_VAR", "PayloadDumper", "redact_sensitive"]

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
