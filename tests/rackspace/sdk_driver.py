"""Drive the SDK core in-process (validation and planning) with plain values, no Terraform."""

from __future__ import annotations

from typing import Any

from provider.plugin.codec import decode_msgpack, encode_msgpack
from provider.plugin.core import ProviderCore, Wire
from provider.rackspace.provider import RackspaceProvider


class Driver:
    """A configured `ProviderCore` whose client is whatever the test gives it."""

    def __init__(self, client: Any) -> None:
        self.core = ProviderCore(RackspaceProvider())
        self.core.client = client
        self.core.configured = True

    def _schema(self, type_name: str, data: bool = False) -> Any:
        types = self.core.data_sources if data else self.core.resources
        return types[type_name].schema

    def wire(self, type_name: str, value: Any, data: bool = False) -> Wire:
        schema = self._schema(type_name, data)
        full = None if value is None else {n: None for n in schema.attributes} | value
        return Wire(msgpack=encode_msgpack(full, schema.implied_type()))

    def validate(self, type_name: str, config: dict[str, Any], data: bool = False) -> list:
        """Diagnostics of ValidateResourceConfig (or ValidateDataResourceConfig)."""
        if data:
            return self.core.validate_data_source_config(
                type_name, self.wire(type_name, config, True)
            ).diagnostics
        return self.core.validate_resource_config(
            type_name, self.wire(type_name, config)
        ).diagnostics

    def plan(
        self, type_name: str, prior: dict | None, config: dict
    ) -> tuple[dict | None, list, list]:
        """(planned, requires_replace, diagnostics); proposed = config over prior's computed."""
        schema = self._schema(type_name)
        proposed = {n: None for n in schema.attributes} | (prior or {})
        for name, attr in schema.attributes.items():
            if attr.required or attr.optional:
                value = config.get(name)
                if value is not None or not attr.computed:
                    proposed[name] = value
        result = self.core.plan_resource_change(
            type_name,
            self.wire(type_name, prior),
            self.wire(type_name, proposed),
            self.wire(type_name, config),
            b"",
        )
        planned = decode_msgpack(result.state, schema.implied_type()) if result.state else None
        return planned, result.requires_replace, result.diagnostics
