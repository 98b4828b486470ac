"""Plan modifiers: per-attribute planning rules declared in the schema.

A plan modifier is an object with a `modify(request) -> PlanResponse` method, as the Go
framework's `planmodifier.String`. The planner (`provider.plugin.plan`) calls the modifiers of
each attribute in the order the schema lists them, handing each the value the previous one
planned. Resource code only lists them: `Attribute(String, required=True,
plan=[RequiresReplace()])`; a provider writes its own by subclassing `PlanModifier`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from provider.plugin.diagnostics import Diagnostic, Path
from provider.plugin.values import Unknown

__all__ = [
    "PlanModifier",
    "PlanRequest",
    "PlanResponse",
    "RequiresReplace",
    "RequiresReplaceIf",
    "UseStateForUnknown",
]


@dataclass(frozen=True, slots=True)
class PlanRequest:
    """What a plan modifier sees of one attribute.

    - `path`: the attribute's path (inside a set block: the block's path and the attribute
      name, since set elements have no key a path can name);
    - `prior`: its value in the prior state, `None` when its object is new;
    - `planned`: the value planned so far (by the SDK's rules and earlier modifiers);
    - `config`: its configured value (`None` when not configured, `Unknown` when not yet known);
    - `creating`: its object is being created (a new resource, or a new list or map block
      element), so there is nothing to replace or keep;
    - `prior_object`, `planned_object`: the whole enclosing object (the resource, or the
      nested block element), for rules that look at a sibling attribute.
    """

    path: Path
    prior: Any
    planned: Any
    config: Any
    creating: bool
    prior_object: Mapping[str, Any] | None = None
    planned_object: Mapping[str, Any] | None = None


@dataclass(slots=True)
class PlanResponse:
    """What a plan modifier decides: the planned value, whether the change replaces the
    resource, and diagnostics (an error fails the plan)."""

    planned: Any
    requires_replace: bool = False
    diagnostics: list[Diagnostic] = field(default_factory=list)


def _differs(a: Any, b: Any) -> bool:
    try:
        return bool(a != b)
    except TypeError:
        # Values that cannot even be compared are not the same value.
        return True


class PlanModifier:
    """Base class of the plan modifiers: override `modify`.

    `description` says in one sentence what the modifier does (documentation generators
    read it).
    """

    description: str = ""

    def modify(self, request: PlanRequest) -> PlanResponse:
        """The planned value for `request`; the base class keeps it as it is."""
        return PlanResponse(request.planned)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class RequiresReplace(PlanModifier):
    """A change of this attribute's value on update destroys and re-creates the resource."""

    description = "Changing this value forces a new resource to be created."

    def modify(self, request: PlanRequest) -> PlanResponse:
        """Ask for a replacement when an existing object's value changes."""
        changed = not request.creating and _differs(request.prior, request.planned)
        return PlanResponse(
            request.planned,
            requires_replace=changed and self.requires_replace(request.prior, request.planned),
        )

    def requires_replace(self, prior: Any, planned: Any) -> bool:
        """True when the change from `prior` to `planned` needs a replacement."""
        return True


class RequiresReplaceIf(RequiresReplace):
    """Replace only when `fn(prior_value, planned_value)` returns True for a changed value."""

    def __init__(self, fn: Callable[[Any, Any], bool], description: str) -> None:
        self.fn = fn
        self.description = description

    def requires_replace(self, prior: Any, planned: Any) -> bool:
        """True when the change from `prior` to `planned` needs a replacement."""
        return bool(self.fn(prior, planned))

    def __repr__(self) -> str:
        return f"RequiresReplaceIf({self.description!r})"


class UseStateForUnknown(PlanModifier):
    """Keep the prior state's value instead of planning an unknown one on update.

    For computed values that never change once set (ids, allocated addresses).
    """

    description = "The value does not change after creation."

    def modify(self, request: PlanRequest) -> PlanResponse:
        """The prior value in place of an unknown one the SDK planned (not one configured)."""
        if (
            request.planned is Unknown
            and request.config is not Unknown
            and request.prior is not None
        ):
            return PlanResponse(request.prior)
        return PlanResponse(request.planned)
