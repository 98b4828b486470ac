"""hclog JSON lines, levels from TF_LOG / TF_LOG_PROVIDER, and secret redaction."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest

from provider.plugin import logging as plugin_logging

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)$")


def _line(record_level: int, message: str, *args: object, **extra: object) -> dict:
    formatter = plugin_logging.HclogJSONFormatter()
    record = logging.LogRecord("provider.test", record_level, __file__, 1, message, args, None)
    record.__dict__.update(extra)
    return json.loads(formatter.format(record))


def test_hclog_line_shape() -> None:
    entry = _line(logging.WARNING, "hello %s", "world", request_id="r-1")
    assert entry["@level"] == "warn"
    assert entry["@message"] == "hello world"
    assert entry["@module"] == "provider.test"
    assert TIMESTAMP.match(entry["@timestamp"]), entry["@timestamp"]
    assert entry["request_id"] == "r-1"
    assert _line(plugin_logging.TRACE, "t")["@level"] == "trace"


@pytest.mark.parametrize(
    ("env", "level"),
    [
        ({}, logging.WARNING),
        ({"TF_LOG": "trace"}, plugin_logging.TRACE),
        ({"TF_LOG": "DEBUG"}, logging.DEBUG),
        ({"TF_LOG": "JSON"}, plugin_logging.TRACE),
        ({"TF_LOG": "debug", "TF_LOG_PROVIDER": "ERROR"}, logging.ERROR),
        ({"TF_LOG_PROVIDER": "off"}, logging.CRITICAL + 10),
    ],
)
def test_levels_from_env(env: dict[str, str], level: int) -> None:
    assert plugin_logging.level_from_env(env) == level


def test_registered_secrets_never_appear() -> None:
    plugin_logging.register_secret("pa55word-xyz")
    plugin_logging.register_secret("pa55word-xyz-longer")
    entry = _line(logging.ERROR, "login with %s and %s", "pa55word-xyz", "pa55word-xyz-longer")
    assert entry["@message"] == "login with *** and ***"
    formatter = plugin_logging.HclogJSONFormatter()
    try:
        raise ValueError("bad pa55word-xyz")
    except ValueError:
        import sys

        record = logging.LogRecord("m", logging.ERROR, __file__, 1, "x", None, sys.exc_info())
    assert "pa55word-xyz" not in formatter.format(record)


def test_configure_writes_to_the_given_stream() -> None:
    stream = io.StringIO()
    handler = plugin_logging.configure(level=logging.INFO, stream=stream)
    try:
        if getattr(handler, "_fixed", None) is not stream:
            pytest.skip("logging was configured earlier in this process")
        plugin_logging.get_logger("provider.test").info("to the stream")
        assert json.loads(stream.getvalue().splitlines()[-1])["@message"] == "to the stream"
    finally:
        logging.getLogger().removeHandler(handler)
        plugin_logging._handler = None
