"""Logging to stderr as hclog JSON lines, the format Terraform re-logs at the right level.

Terraform reads the provider's stderr, parses each line as JSON and keeps `@level`,
`@message` and `@timestamp` (6 fractional digits); other keys become key/value pairs. With no
`TF_LOG*` set Terraform throws provider stderr away, so anything a user must see has to be a
diagnostic instead. Registered secrets are replaced in every line before it is written.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import traceback
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from provider.plugin.schema import Block

__all__ = [
    "TRACE",
    "HclogJSONFormatter",
    "configure",
    "get_logger",
    "level_from_env",
    "redact",
    "register_secret",
    "register_sensitive",
]

TRACE = 5
logging.addLevelName(TRACE, "TRACE")

REDACTED = "***"
_secrets: set[str] = set()
_secrets_lock = threading.Lock()
_ordered_secrets: tuple[str, ...] = ()

_LEVEL_NAMES = {
    "TRACE": TRACE,
    "JSON": TRACE,
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARN": logging.WARNING,
    "WARNING": logging.WARNING,
    "ERROR": logging.ERROR,
    "OFF": logging.CRITICAL + 10,
}
_HCLOG_LEVEL = {
    TRACE: "trace",
    logging.DEBUG: "debug",
    logging.INFO: "info",
    logging.WARNING: "warn",
    logging.ERROR: "error",
    logging.CRITICAL: "error",
}
_STD_RECORD_KEYS = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys()
    | {"message", "asctime", "taskName"}
)


def register_secret(value: str) -> None:
    """Never let `value` appear in a log line from now on (it is replaced by `***`)."""
    global _ordered_secrets
    if not isinstance(value, str) or not value:
        return
    with _secrets_lock:
        if value in _secrets:
            return
        _secrets.add(value)
        # Longest first, so a secret containing another is replaced whole.
        _ordered_secrets = tuple(sorted(_secrets, key=len, reverse=True))


def register_sensitive(block: Block, value: Any) -> None:
    """Register every non-empty string held by a sensitive attribute of `block` in `value`
    (nested blocks included), e.g. a provider configuration's secrets once it is known."""
    for secret in _sensitive_strings(block, value):
        register_secret(secret)


def _sensitive_strings(block: Block, value: Any) -> Iterator[str]:
    # Imported here, not at the top: this module is on every launch's start-up path and
    # sits below the schema machinery; secrets are registered once, at configuration.
    from provider.plugin.plan import pair_elements

    if not isinstance(value, Mapping):
        return
    for name, attr in block.attributes.items():
        if attr.sensitive:
            yield from _strings(value.get(name))
    for name, nb in block.blocks.items():
        for _, element, _ in pair_elements(nb.nesting, nb.block, value.get(name), None):
            yield from _sensitive_strings(nb.block, element)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        if value:
            yield value
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list | tuple | set | frozenset):
        for v in value:
            yield from _strings(v)


def redact(text: str) -> str:
    """`text` with every registered secret replaced."""
    for secret in _ordered_secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def get_logger(name: str) -> logging.Logger:
    """A stdlib logger whose records reach stderr as hclog JSON once `configure()` ran."""
    return logging.getLogger(name)


def level_from_env(environ: dict[str, str] | None = None) -> int:
    """The provider log level Terraform asked for (`TF_LOG_PROVIDER`, then `TF_LOG`)."""
    env = os.environ if environ is None else environ
    for key in ("TF_LOG_PROVIDER", "TF_LOG"):
        raw = env.get(key, "").strip().upper()
        if raw:
            # Terraform treats unrecognised non-empty values as TRACE.
            return _LEVEL_NAMES.get(raw, TRACE)
    return logging.WARNING


def _timestamp(created: float) -> str:
    # json and datetime are imported where a line is formatted, not on the start-up path:
    # with no TF_LOG nothing is formatted at all.
    from datetime import UTC, datetime

    return (
        datetime.fromtimestamp(created, UTC)
        .isoformat(timespec="microseconds")
        .replace("+00:00", "Z")
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


class HclogJSONFormatter(logging.Formatter):
    """Formats a record as one hclog JSON line, secrets redacted."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "@level": _HCLOG_LEVEL.get(record.levelno)
            or ("trace" if record.levelno < logging.DEBUG else "error"),
            "@message": record.getMessage(),
            "@module": record.name,
            "@timestamp": _timestamp(record.created),
        }
        for key, value in record.__dict__.items():
            if key not in _STD_RECORD_KEYS and not key.startswith("_"):
                entry[key] = _jsonable(value)
        if record.exc_info and record.exc_info[0] is not None:
            entry["traceback"] = "".join(traceback.format_exception(*record.exc_info))
        import json

        return redact(json.dumps(entry, ensure_ascii=False, default=str))


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at emit time (tests swap it)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__(stream)
        self._fixed = stream

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return self._fixed or sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


_handler: logging.Handler | None = None


def configure(level: int | None = None, stream: TextIO | None = None) -> logging.Handler:
    """Send every log record to stderr as hclog JSON at the level Terraform asked for.

    Idempotent: a second call only updates the level.
    """
    global _handler
    root = logging.getLogger()
    if level is None:
        level = level_from_env()
    if _handler is None:
        _handler = _StderrHandler(stream)
        _handler.setFormatter(HclogJSONFormatter())
        root.addHandler(_handler)
    root.setLevel(level)
    # grpc and urllib3 are chatty at debug; keep them one notch quieter than ours.
    for noisy in ("grpc", "urllib3", "hpack"):
        logging.getLogger(noisy).setLevel(max(level, logging.INFO))
    return _handler
