"""Schemas: the declared shape of a provider configuration, resource or data source.

A schema is data. Each attribute carries its flags, its value validators and its plan
modifiers, so the rules sit next to the attribute and CRUD code holds only API calls.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from provider.plugin.types import CtyType, Dynamic, List, Map, Object, Set, wire_type

if TYPE_CHECKING:
    from provider.plugin.planmodifiers import PlanModifier
    from provider.plugin.validators import ConfigValidator, ValueValidator

__all__ = ["Attribute", "Block", "NestedBlock", "Nesting", "Schema"]


class Nesting(enum.IntEnum):
    """How a nested block repeats, numbered as in the protocol."""

    SINGLE = 1
    LIST = 2
    SET = 3
    MAP = 4
    GROUP = 5


@dataclass(frozen=True, eq=False)
class Attribute:
    """One attribute of a block: its type, flags, validators and plan modifiers."""

    type: CtyType
    required: bool = False
    optional: bool = False
    computed: bool = False
    sensitive: bool = False
    deprecated: bool = False
    description: str = ""
    default: Any = None
    validate: Sequence[ValueValidator] = ()
    plan: Sequence[PlanModifier] = ()

    def __init__(
        self,
        type: CtyType,
        *,
        required: bool = False,
        optional: bool = False,
        computed: bool = False,
        sensitive: bool = False,
        deprecated: bool = False,
        description: str = "",
        default: Any = None,
        validate: Sequence[ValueValidator] = (),
        plan: Sequence[PlanModifier] = (),
    ) -> None:
        if not isinstance(type, CtyType):
            raise TypeError(f"Attribute type must be a cty type, got {type!r}")
        if required and (optional or computed):
            raise ValueError("a required attribute cannot also be optional or computed")
        if not (required or optional or computed):
            raise ValueError("an attribute must be required, optional or computed")
        if default is not None and not computed:
            raise ValueError("an attribute with a default must be computed (and usually optional)")
        set_ = object.__setattr__
        set_(self, "type", type)
        set_(self, "required", required)
        set_(self, "optional", optional)
        set_(self, "computed", computed)
        set_(self, "sensitive", sensitive)
        set_(self, "deprecated", deprecated)
        set_(self, "description", description)
        set_(self, "default", default)
        set_(self, "validate", tuple(validate))
        set_(self, "plan", tuple(plan))


@dataclass(frozen=True, eq=False)
class Block:
    """A set of attributes and nested blocks (the body of a resource or nested block)."""

    attributes: Mapping[str, Attribute] = field(default_factory=dict)
    blocks: Mapping[str, NestedBlock] = field(default_factory=dict)
    description: str = ""
    deprecated: bool = False

    def __post_init__(self) -> None:
        clash = set(self.attributes) & set(self.blocks)
        if clash:
            raise ValueError(f"names used for both an attribute and a block: {sorted(clash)}")

    def implied_type(self) -> Object:
        """The object type of a value conforming to this block (semantic string types are
        plain `String` here: this is the type values are encoded with)."""
        attrs: dict[str, CtyType] = {n: wire_type(a.type) for n, a in self.attributes.items()}
        for name, nb in self.blocks.items():
            attrs[name] = nb.implied_type()
        return Object(attrs)


@dataclass(frozen=True, eq=False)
class NestedBlock:
    """A block nested inside another, repeated according to `nesting`."""

    block: Block
    nesting: Nesting = Nesting.LIST
    min_items: int = 0
    max_items: int = 0

    def implied_type(self) -> CtyType:
        """The type of this block's value in its parent object."""
        obj = self.block.implied_type()
        if self.nesting in (Nesting.SINGLE, Nesting.GROUP):
            return obj
        if self.nesting is Nesting.SET:
            return Set(obj)
        # cty cannot hold differently-typed elements in a list or map, so blocks whose
        # content is dynamic become a dynamic value as a whole (as Terraform does).
        if obj.has_dynamic():
            return Dynamic
        return List(obj) if self.nesting is Nesting.LIST else Map(obj)


@dataclass(frozen=True, eq=False)
class Schema(Block):
    """The top-level schema of a provider, resource or data source."""

    version: int = 0
    validators: Sequence[ConfigValidator] = ()

    def __init__(
        self,
        attributes: Mapping[str, Attribute] | None = None,
        blocks: Mapping[str, NestedBlock] | None = None,
        version: int = 0,
        description: str = "",
        deprecated: bool = False,
        validators: Sequence[ConfigValidator] = (),
    ) -> None:
        set_ = object.__setattr__
        set_(self, "attributes", dict(attributes or {}))
        set_(self, "blocks", dict(blocks or {}))
        set_(self, "version", version)
        set_(self, "description", description)
        set_(self, "deprecated", deprecated)
        set_(self, "validators", tuple(validators))
        self.__post_init__()
        # The implied type is asked for on every request; compute it once.
        set_(self, "_type", Block.implied_type(self))

    def implied_type(self) -> Object:
        """The object type of a value conforming to this schema (cached)."""
        return self._type  # type: ignore[attr-defined,no-any-return]
