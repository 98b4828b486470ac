"""The schema-driven rules of PlanResourceChange and of shaping states from resource code.

Rules (in order):

1. Create: planned = proposed (that is, the config); computed attributes null in config get
   their `default`, else `Unknown`.
2. Update: planned = proposed (config plus prior values of computed attributes); defaults apply
   to null config values; if anything differs from the prior state, every computed attribute
   null in config becomes `Unknown`.
3. Every attribute's plan modifiers run in order (`PlanModifier.modify`), on the resource and
   on each nested block element; each may change the planned value (`UseStateForUnknown`
   puts the prior value back), ask for a replacement (`RequiresReplace`) or add diagnostics.
   A new list or map element is a creation, so nothing in it replaces the resource; a set
   element has no path, so a replacement asked for inside it points at the set block.

Nested blocks are walked element by element: lists by index, maps by key, sets by matching
the elements' configurable (non-computed) attributes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from provider.plugin.diagnostics import Diagnostic, Key, Path
from provider.plugin.planmodifiers import PlanRequest
from provider.plugin.schema import Block, Nesting
from provider.plugin.values import DynamicValue, Unknown

__all__ = [
    "Plan",
    "complete",
    "contains_unknown",
    "honour_plan",
    "pair_elements",
    "plan",
    "plan_block",
    "requires_replace_paths",
    "unknown_paths",
]


def _configurable(block: Block, element: Any) -> Any:
    """The part of a nested-block element that configuration decides (for matching sets)."""
    if not isinstance(element, Mapping):
        return element
    return tuple(
        (name, _freeze(element.get(name)))
        for name, attr in sorted(block.attributes.items())
        if not attr.computed or attr.optional
    )


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, set | frozenset):
        return frozenset(_freeze(v) for v in value)
    if isinstance(value, DynamicValue):
        return (value.type, _freeze(value.value))
    return value


def pair_elements(
    nesting: Nesting, block: Block, planned: Any, other: Any
) -> Iterator[tuple[Any, Any, Any]]:
    """Yield `(key, planned_element, matching_other_element)` for a nested block's elements.

    `key` is the list index or map key, or None for set elements (which have no path key).
    """
    if planned is None or planned is Unknown:
        return
    if nesting in (Nesting.SINGLE, Nesting.GROUP):
        yield (), planned, other if isinstance(other, Mapping) else None
    elif nesting is Nesting.LIST:
        others = other if isinstance(other, list | tuple) else []
        for i, element in enumerate(planned):
            yield i, element, others[i] if i < len(others) else None
    elif nesting is Nesting.MAP:
        by_key = other if isinstance(other, Mapping) else {}
        for k, element in planned.items():
            yield Key(k), element, by_key.get(k)
    else:
        pool = list(other) if isinstance(other, list | tuple | set | frozenset) else []
        for element in planned:
            wanted = _configurable(block, element)
            match = next((o for o in pool if _configurable(block, o) == wanted), None)
            if match is not None:
                pool.remove(match)
            yield None, element, match


def _step(path: Path, key: Any) -> Path:
    if key == ():
        return path
    return path if key is None else (*path, key)


@dataclass(slots=True)
class Plan:
    """What planning one resource produced: the planned value, the paths whose change
    replaces the resource, and the plan modifiers' diagnostics."""

    planned: Any
    requires_replace: list[Path] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def plan(block: Block, prior: Any, proposed: Any, config: Any) -> Plan:
    """Rules 1 and 2, then every attribute's plan modifiers in order (rule 3 comes from the
    modifiers' answers)."""
    planned = _plan_values(block, prior, proposed, config)
    result = Plan(planned)
    if planned is None or planned is Unknown:
        return result
    result.planned = _modify_block(
        block, prior, planned, config, (), creating=prior is None, result=result
    )
    return result


def plan_block(block: Block, prior: Any, proposed: Any, config: Any) -> Any:
    """Apply rules 1 and 2 and the plan modifiers to one block value; the planned value."""
    return plan(block, prior, proposed, config).planned


def requires_replace_paths(block: Block, prior: Any, planned: Any, path: Path = ()) -> list[Path]:
    """Paths whose plan modifiers ask for a replacement, given a finished plan.

    The planner reports these itself (`plan(...).requires_replace`); this asks the same
    modifiers about a plan made elsewhere (configuration is not known here: `None`).
    """
    if not isinstance(prior, Mapping) or not isinstance(planned, Mapping):
        return []
    result = Plan(planned)
    _modify_block(block, prior, planned, None, path, creating=False, result=result)
    return result.requires_replace


def _plan_values(
    block: Block, prior: Any, proposed: Any, config: Any, *, changed: bool | None = None
) -> Any:
    """Rules 1 and 2 on one block value: defaults, and computed values becoming unknown."""
    if proposed is None or proposed is Unknown:
        return proposed
    planned = dict(proposed)
    creating = prior is None
    cfg = config if isinstance(config, Mapping) else {}
    for name, attr in block.attributes.items():
        if attr.computed and cfg.get(name) is None and attr.default is not None:
            planned[name] = attr.default
    if changed is None:
        changed = creating or _differs(planned, prior)
    for name, attr in block.attributes.items():
        if not attr.computed or cfg.get(name) is not None:
            continue
        if attr.default is not None:
            continue
        if creating or changed:
            planned[name] = Unknown
    for name, nb in block.blocks.items():
        value = planned.get(name)
        if value is None or value is Unknown:
            continue
        prior_blocks = prior.get(name) if isinstance(prior, Mapping) else None
        cfg_blocks = cfg.get(name)
        priors = {id(e): o for _, e, o in pair_elements(nb.nesting, nb.block, value, prior_blocks)}
        configs = {id(e): o for _, e, o in pair_elements(nb.nesting, nb.block, value, cfg_blocks)}
        planned[name] = _map_elements(
            nb.nesting,
            value,
            lambda e, nb=nb, priors=priors, configs=configs: _plan_values(
                nb.block,
                None if creating else priors.get(id(e)),
                e,
                configs.get(id(e)),
                changed=creating or changed or priors.get(id(e)) is None,
            ),
        )
    return planned


def _modify_block(
    block: Block,
    prior: Any,
    planned: Mapping[str, Any],
    config: Any,
    path: Path,
    *,
    creating: bool,
    result: Plan,
    in_set: bool = False,
) -> dict[str, Any]:
    """Run every attribute's plan modifiers on one object, then on its nested blocks.

    `in_set`: the object is (inside) a set element, which no path can name, so a replacement
    asked for anywhere in it points at the set block itself (`path`).
    """
    out = dict(planned)
    prior_map = prior if isinstance(prior, Mapping) else None
    cfg = config if isinstance(config, Mapping) else {}
    for name, attr in block.attributes.items():
        if not attr.plan:
            continue
        request = PlanRequest(
            path=path if in_set else (*path, name),
            prior=prior_map.get(name) if prior_map is not None else None,
            planned=out.get(name),
            config=cfg.get(name),
            creating=creating,
            prior_object=prior_map,
            planned_object=out,
        )
        for modifier in attr.plan:
            response = modifier.modify(request)
            result.diagnostics.extend(response.diagnostics)
            if response.requires_replace and request.path not in result.requires_replace:
                result.requires_replace.append(request.path)
            if response.planned is not request.planned:
                out[name] = response.planned
                request = replace(request, planned=response.planned, planned_object=out)
    for name, nb in block.blocks.items():
        value = out.get(name)
        if value is None or value is Unknown:
            continue
        prior_blocks = prior_map.get(name) if prior_map is not None else None
        cfg_blocks = cfg.get(name)
        configs = {id(e): o for _, e, o in pair_elements(nb.nesting, nb.block, value, cfg_blocks)}
        modified: dict[int, Any] = {}
        for key, element, prior_element in pair_elements(nb.nesting, nb.block, value, prior_blocks):
            if not isinstance(element, Mapping):
                continue
            set_element = in_set or key is None
            modified[id(element)] = _modify_block(
                nb.block,
                prior_element,
                element,
                configs.get(id(element)),
                (*path, name) if set_element else _step((*path, name), key),
                # A new list or map element is created, not replaced; a set element without
                # a match in the prior set is an element whose configuration changed.
                creating=creating or (prior_element is None and not set_element),
                result=result,
                in_set=set_element,
            )
        out[name] = _map_elements(nb.nesting, value, lambda e, m=modified: m.get(id(e), e))
    return out


def _map_elements(nesting: Nesting, value: Any, fn: Any) -> Any:
    if nesting in (Nesting.SINGLE, Nesting.GROUP):
        return fn(value)
    if nesting is Nesting.MAP:
        return {k: fn(v) for k, v in value.items()}
    return [fn(v) for v in value]


def _differs(a: Any, b: Any) -> bool:
    try:
        return bool(a != b)
    except TypeError:
        return True


def complete(block: Block, value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Fill in every attribute and block missing from a state returned by resource code."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise TypeError(f"a state must be a dict, got {type(value).__name__}")
    full = dict(value)
    for name in block.attributes:
        full.setdefault(name, None)
    for name, nb in block.blocks.items():
        current = full.get(name)
        if nb.nesting in (Nesting.SINGLE, Nesting.GROUP):
            if current is None and nb.nesting is Nesting.GROUP:
                current = {}
            full[name] = complete(nb.block, current) if current is not Unknown else Unknown
        elif nb.nesting is Nesting.MAP:
            current = current if current is not None else {}
            full[name] = (
                {k: complete(nb.block, v) for k, v in current.items()}
                if current is not Unknown
                else Unknown
            )
        else:
            current = current if current is not None else []
            full[name] = (
                [complete(nb.block, v) for v in current] if current is not Unknown else Unknown
            )
    return full


def honour_plan(planned: Any, returned: Any) -> Any:
    """Known planned values win over what resource code returned; it fills only unknowns.

    Terraform rejects a new state that contradicts a known planned value, so the SDK keeps
    the plan and lets resource code decide only what the plan left open.
    """
    if planned is Unknown:
        return returned
    if not _contains_unknown(planned):
        return planned
    if isinstance(planned, Mapping) and isinstance(returned, Mapping):
        merged = dict(returned)
        for key, value in planned.items():
            merged[key] = honour_plan(value, returned.get(key, value))
        return merged
    if (
        isinstance(planned, list)
        and isinstance(returned, list | tuple)
        and len(planned) == len(returned)
    ):
        return [honour_plan(p, r) for p, r in zip(planned, returned, strict=True)]
    if isinstance(planned, list | set | frozenset) and _contains_unknown(planned):
        return returned
    return planned


_KNOWN_SCALARS = frozenset({str, int, float, bool, type(None)})


def contains_unknown(value: Any) -> bool:
    """True when `value` holds `Unknown` anywhere inside it."""
    return _contains_unknown(value)


def _contains_unknown(value: Any) -> bool:
    if value is Unknown:
        return True
    # Exact types first: the values of a state are mostly plain dicts and strings, and the
    # abstract-class checks below cost several times as much.
    kind = type(value)
    if kind in _KNOWN_SCALARS:
        return False
    if kind is dict:
        for v in value.values():
            if v is Unknown or (type(v) not in _KNOWN_SCALARS and _contains_unknown(v)):
                return True
        return False
    if isinstance(value, Mapping):
        return any(_contains_unknown(v) for v in value.values())
    if isinstance(value, list | tuple | set | frozenset):
        return any(_contains_unknown(v) for v in value)
    if isinstance(value, DynamicValue):
        return _contains_unknown(value.value)
    return False


def unknown_paths(value: Any, path: Path = ()) -> Iterator[Path]:
    """Paths at which `value` still holds `Unknown`."""
    if value is Unknown:
        yield path
    elif isinstance(value, DynamicValue):
        yield from unknown_paths(value.value, path)
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield from unknown_paths(v, (*path, k))
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            yield from unknown_paths(v, (*path, i))
    elif isinstance(value, set | frozenset) and Unknown in value:
        yield path
