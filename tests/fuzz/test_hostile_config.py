"""Huge, unicode and out-of-range values in every configurable attribute of the provider,
its resources and its data sources, sent to the real provider process over gRPC.

Each must come back promptly. Where the schema declares validators for the attribute, the
answer must be an error diagnostic whose path names that attribute; nowhere may the answer
be the SDK's "Unexpected error" (a provider bug).
"""

from __future__ import annotations

from typing import Any

import pytest

from provider.plugin.types import Number, Set
from provider.rackspace.provider import RackspaceProvider
from tests.plugin.plugin_client import PluginClient, path_steps
from tests.reliability import figures

HUGE = "a" * (1 << 20)
UNICODE = "\u202eevil\u200b💥\x00ñ" * 3
STRINGS = {"huge": HUGE, "unicode": UNICODE, "empty": "", "spaces": "   "}
NUMBERS = {
    "negative": -1,
    "fraction": 4.5,
    "beyond int64": str(2**64),
    "huge exponent": "1e999999999",
}

TARGETS: list[tuple[str, str, Any]] = [("provider", "", RackspaceProvider.schema)]
TARGETS += [("resource", cls.type_name, cls.schema) for cls in RackspaceProvider.resources]
TARGETS += [("data", cls.type_name, cls.schema) for cls in RackspaceProvider.data_sources]
RPC = {
    "provider": "ValidateProviderConfig",
    "resource": "ValidateResourceConfig",
    "data": "ValidateDataResourceConfig",
}


def _cases() -> list[Any]:
    cases = []
    for kind, type_name, schema in TARGETS:
        for name, attr in schema.attributes.items():
            if not (attr.required or attr.optional):
                continue
            if attr.type is Number:
                values = NUMBERS
            elif isinstance(attr.type, Set):
                values = {k: [v, f"{v}-2"] for k, v in STRINGS.items()} | {
                    "10k elements": [f"{UNICODE}{i}" for i in range(10_000)]
                }
            elif attr.type is not None and str(attr.type) == "String":
                values = STRINGS
            else:
                continue
            for label, value in values.items():
                cases.append(
                    pytest.param(
                        kind, type_name, name, value, id=f"{type_name or kind}.{name}-{label}"
                    )
                )
    return cases


# Values above that are good for one attribute: 4.5 s is a fine `request_timeout` (its
# schema validator, `between(0, 3600, above_lo=True)`, rightly accepts it).
GOOD_VALUES = [("provider", "", "request_timeout", 4.5)]  # a list: values may be lists


def _validated(kind: str, type_name: str, name: str, value: Any = None) -> bool:
    if (kind, type_name, name, value) in GOOD_VALUES:
        return False
    for k, t, schema in TARGETS:
        if (k, t) == (kind, type_name):
            return bool(schema.attributes[name].validate)
    raise AssertionError(name)


@pytest.mark.parametrize(("kind", "type_name", "name", "value"), _cases())
def test_hostile_value(
    provider: PluginClient, kind: str, type_name: str, name: str, value: Any
) -> None:
    figures.add("hostile config values sent", 1)
    schema = next(s for k, t, s in TARGETS if (k, t) == (kind, type_name))
    config = {attr: None for attr in schema.attributes} | {name: value}
    fields: dict[str, Any] = {"config": provider.dv(config)}
    if type_name:
        fields["type_name"] = type_name
    resp = provider.call(RPC[kind], timeout=20, **fields)
    errors = [d for d in resp.diagnostics if d.severity == 1]
    assert not [d.summary for d in errors if d.summary.startswith("Unexpected error")]
    if _validated(kind, type_name, name, value):
        paths = [path_steps(d.attribute)[:1] for d in errors]
        assert [name] in paths, [(d.summary, d.detail[:200]) for d in errors]
        # A clear message: short enough to read even when the value was a megabyte.
        assert all(len(d.detail) < 2000 for d in errors), "the diagnostic repeats the value"
