"""Semantic equality: values of an attribute that are equal for Terraform without being the
same text, like terraform-plugin-framework's `StringValuableWithSemanticEquals`.

A *semantic string type* is a cty type that travels as `string` on the wire (schemas, msgpack,
JSON) and carries one rule, `equal(prior, new)`. Use it wherever `String` fits, alone or as the
element of a collection: `Attribute(UUID, ...)`, `Attribute(Set(UUID), ...)`. When a new value
is semantically equal to the prior one, the SDK keeps the prior spelling:

- plan (PlanResourceChange): a configured value equal to the prior state's is planned as the
  prior value. Only the whole value is swapped, because Terraform accepts a planned value
  that differs from the configuration only when it is exactly the prior value (so a set with
  one real change keeps the configuration's spelling throughout);
- apply and read: each value (each element of a set or list) the resource returns that is
  equal to the prior state's keeps the prior spelling; known planned values still win;
- data sources: returned values equal to the configured ones keep the configured spelling.

`UUID` is the ready case-insensitive type for ids. Validation is unchanged: declare `uuid()` or
`each(uuid())` as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from provider.plugin.schema import Block, Nesting
from provider.plugin.types import (
    UUID,
    CaseInsensitiveString,
    CtyType,
    List,
    Map,
    Object,
    SemanticString,
    Set,
    Tuple,
    wire_type,
)
from provider.plugin.values import Unknown

__all__ = [
    "UUID",
    "CaseInsensitiveString",
    "SemanticString",
    "keep_prior_spelling",
    "plan_prior_spelling",
    "semantically_equal",
    "wire_type",
]


def _has_semantics(t: CtyType) -> bool:
    return wire_type(t) is not t


def semantically_equal(t: CtyType, a: Any, b: Any) -> bool:
    """Whether values `a` and `b` of type `t` are equal under its semantic rules.

    Strings of a semantic type use its `equal`; sets are equal when their elements pair off
    one to one; lists and tuples by position; maps and objects by key. Everything else (and
    any unknown or null value) is compared with `==`.
    """
    if a is Unknown or b is Unknown or a is None or b is None:
        return a is b
    if isinstance(t, SemanticString):
        return isinstance(a, str) and isinstance(b, str) and t.equal(a, b)
    if isinstance(t, Set) and _has_semantics(t):
        pool = list(a)
        for item in b:
            match = next(
                (i for i, p in enumerate(pool) if semantically_equal(t.element, p, item)), None
            )
            if match is None:
                return False
            pool.pop(match)
        return not pool
    if isinstance(t, List | Tuple) and _has_semantics(t):
        if len(a) != len(b):
            return False
        types = t.elements if isinstance(t, Tuple) else [t.element] * len(a)
        return all(semantically_equal(et, x, y) for et, x, y in zip(types, a, b, strict=True))
    if isinstance(t, Map | Object) and _has_semantics(t) and isinstance(a, Mapping):
        if not isinstance(b, Mapping) or a.keys() != b.keys():
            return False
        by_key = t.attributes if isinstance(t, Object) else dict.fromkeys(a, t.element)
        return all(semantically_equal(by_key[k], a[k], b[k]) for k in a)
    try:
        return bool(a == b)
    except TypeError:
        return False


def _respell(t: CtyType, prior: Any, new: Any) -> Any:
    """`new` with each part that is semantically equal to the matching part of `prior`
    replaced by that part (elements of sets paired one to one, lists by position)."""
    if prior is None or prior is Unknown or new is None or new is Unknown:
        return new
    if semantically_equal(t, prior, new):
        return prior
    if isinstance(t, Set) and isinstance(new, set | frozenset | list | tuple):
        pool = list(prior) if isinstance(prior, set | frozenset | list | tuple) else []
        out = []
        for item in new:
            match = next((p for p in pool if semantically_equal(t.element, p, item)), None)
            if match is not None:
                pool.remove(match)
                out.append(match)
            else:
                out.append(item)
        return frozenset(out) if isinstance(new, set | frozenset) else out
    if isinstance(t, List) and isinstance(new, list | tuple) and isinstance(prior, list | tuple):
        return [
            _respell(t.element, prior[i], v) if i < len(prior) else v for i, v in enumerate(new)
        ]
    if isinstance(t, Map | Object) and isinstance(new, Mapping) and isinstance(prior, Mapping):
        types = t.attributes if isinstance(t, Object) else dict.fromkeys(new, t.element)
        return {k: _respell(types[k], prior.get(k), v) if k in types else v for k, v in new.items()}
    return new


def keep_prior_spelling(block: Block, prior: Any, new: Any) -> Any:
    """`new` (a block value from apply, read or a data source) with every value, or element
    of a collection, that is semantically equal to `prior`'s keeping `prior`'s spelling.

    Raises nothing; values that do not fit the schema are left for the codec to report.
    """
    if not isinstance(prior, Mapping) or not isinstance(new, Mapping):
        return new
    out = dict(new)
    for name, attr in block.attributes.items():
        if name in out and _has_semantics(attr.type):
            out[name] = _respell(attr.type, prior.get(name), out[name])
    for name, nb in block.blocks.items():
        before, after = prior.get(name), out.get(name)
        if nb.nesting in (Nesting.SINGLE, Nesting.GROUP):
            out[name] = keep_prior_spelling(nb.block, before, after)
        elif nb.nesting is Nesting.LIST and isinstance(after, list) and isinstance(before, list):
            out[name] = [
                keep_prior_spelling(nb.block, before[i], e) if i < len(before) else e
                for i, e in enumerate(after)
            ]
        elif (
            nb.nesting is Nesting.MAP and isinstance(after, Mapping) and isinstance(before, Mapping)
        ):
            out[name] = {
                k: keep_prior_spelling(nb.block, before.get(k), e) for k, e in after.items()
            }
    return out


def plan_prior_spelling(block: Block, prior: Any, planned: Any) -> Any:
    """`planned` with each attribute whose whole value is semantically equal to the prior
    state's set to the prior value (the only difference from configuration Terraform allows
    in a plan). Nested single, list and map blocks are walked; set blocks are left alone."""
    if not isinstance(prior, Mapping) or not isinstance(planned, Mapping):
        return planned
    out = dict(planned)
    for name, attr in block.attributes.items():
        before, after = prior.get(name), out.get(name)
        if (
            _has_semantics(attr.type)
            and before is not None
            and after is not None
            and before != after
            and semantically_equal(attr.type, before, after)
        ):
            out[name] = before
    for name, nb in block.blocks.items():
        before, after = prior.get(name), out.get(name)
        if nb.nesting in (Nesting.SINGLE, Nesting.GROUP):
            out[name] = plan_prior_spelling(nb.block, before, after)
        elif nb.nesting is Nesting.LIST and isinstance(after, list) and isinstance(before, list):
            out[name] = [
                plan_prior_spelling(nb.block, before[i], e) if i < len(before) else e
                for i, e in enumerate(after)
            ]
        elif (
            nb.nesting is Nesting.MAP and isinstance(after, Mapping) and isinstance(before, Mapping)
        ):
            out[name] = {
                k: plan_prior_spelling(nb.block, before.get(k), e) for k, e in after.items()
            }
    return out
