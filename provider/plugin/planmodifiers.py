"""Plan modifiers: per-attribute planning rules declared in the schema.

The SDK applies them inside PlanResourceChange (see `provider.plugin.plan`); resource code only
lists them: `Attribute(String, required=True, plan=[RequiresReplace()])`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["PlanModifier", "RequiresReplace", "RequiresReplaceIf", "UseStateForUnknown"]


class PlanModifier:
    """Base class of the plan modifiers."""

    description: str = ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class RequiresReplace(PlanModifier):
    """A change of this attribute's value on update destroys and re-creates the resource."""

    description = "Changing this value forces a new resource to be created."

    def requires_replace(self, prior: Any, planned: Any) -> bool:
        """True when the change from `prior` to `planned` needs a replacement."""
        return True


class RequiresReplaceIf(PlanModifier):
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
