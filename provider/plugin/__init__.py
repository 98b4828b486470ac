"""A Terraform plugin SDK for Python: tfplugin6/tfplugin5 over grpcio, cty values, schemas.

Names are re-exported lazily so that importing this package costs nothing until a name is
used (start-up time matters: Terraform launches a provider several times per command).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    # types
    "CtyType": "types",
    "String": "types",
    "Number": "types",
    "Bool": "types",
    "Dynamic": "types",
    "List": "types",
    "Set": "types",
    "Map": "types",
    "Object": "types",
    "Tuple": "types",
    "SemanticString": "types",
    "CaseInsensitiveString": "types",
    "UUID": "types",
    "semantically_equal": "semantic",
    # values
    "Unknown": "values",
    "DynamicValue": "values",
    # schema
    "Schema": "schema",
    "Attribute": "schema",
    "Block": "schema",
    "NestedBlock": "schema",
    "Nesting": "schema",
    # validators
    "ValueValidator": "validators",
    "ValidationRequest": "validators",
    "ValidationResponse": "validators",
    "ConfigValidator": "validators",
    "one_of": "validators",
    "matches": "validators",
    "uuid": "validators",
    "between": "validators",
    "size_between": "validators",
    "each": "validators",
    "ExactlyOneOf": "validators",
    "ConflictsWith": "validators",
    "AtLeastOneOf": "validators",
    # plan modifiers
    "PlanModifier": "planmodifiers",
    "PlanRequest": "planmodifiers",
    "PlanResponse": "planmodifiers",
    "RequiresReplace": "planmodifiers",
    "RequiresReplaceIf": "planmodifiers",
    "UseStateForUnknown": "planmodifiers",
    # diagnostics, context, base classes
    "ProviderError": "diagnostics",
    "Diagnostic": "diagnostics",
    "Severity": "diagnostics",
    "Context": "context",
    "current_cancellation": "context",
    "Resource": "resource",
    "DataSource": "resource",
    "Provider": "resource",
    # serving
    "serve": "server",
}

__all__ = [
    "UUID",
    "AtLeastOneOf",
    "Attribute",
    "Block",
    "Bool",
    "CaseInsensitiveString",
    "ConfigValidator",
    "ConflictsWith",
    "Context",
    "CtyType",
    "DataSource",
    "Diagnostic",
    "Dynamic",
    "DynamicValue",
    "ExactlyOneOf",
    "List",
    "Map",
    "NestedBlock",
    "Nesting",
    "Number",
    "Object",
    "PlanModifier",
    "PlanRequest",
    "PlanResponse",
    "Provider",
    "ProviderError",
    "RequiresReplace",
    "RequiresReplaceIf",
    "Resource",
    "Schema",
    "SemanticString",
    "Set",
    "Severity",
    "String",
    "Tuple",
    "Unknown",
    "UseStateForUnknown",
    "ValidationRequest",
    "ValidationResponse",
    "ValueValidator",
    "between",
    "current_cancellation",
    "each",
    "matches",
    "one_of",
    "semantically_equal",
    "serve",
    "size_between",
    "uuid",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:
    from provider.plugin.context import Context, current_cancellation
    from provider.plugin.diagnostics import Diagnostic, ProviderError, Severity
    from provider.plugin.planmodifiers import (
        PlanModifier,
        PlanRequest,
        PlanResponse,
        RequiresReplace,
        RequiresReplaceIf,
        UseStateForUnknown,
    )
    from provider.plugin.resource import DataSource, Provider, Resource
    from provider.plugin.schema import Attribute, Block, NestedBlock, Nesting, Schema
    from provider.plugin.semantic import semantically_equal
    from provider.plugin.server import serve
    from provider.plugin.types import (
        UUID,
        Bool,
        CaseInsensitiveString,
        CtyType,
        Dynamic,
        List,
        Map,
        Number,
        Object,
        SemanticString,
        Set,
        String,
        Tuple,
    )
    from provider.plugin.validators import (
        AtLeastOneOf,
        ConfigValidator,
        ConflictsWith,
        ExactlyOneOf,
        ValidationRequest,
        ValidationResponse,
        ValueValidator,
        between,
        each,
        matches,
        one_of,
        size_between,
        uuid,
    )
    from provider.plugin.values import DynamicValue, Unknown
