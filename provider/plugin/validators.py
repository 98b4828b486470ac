"""Validators declared in schemas, and the walk that runs them over a configuration.

A *value validator* is an object with a `validate(request) -> ValidationResponse` method, as
the Go framework's `validator.String`; the SDK calls the validators of each attribute in
order, with known, non-null values only, and turns each finding into an "Invalid attribute
value" error diagnostic that carries the attribute path. A provider writes its own by
subclassing `ValueValidator` and overriding `check(value) -> str | None` (one message for a bad
value) or, for findings below the attribute or other diagnostics, `validate`.

A *config validator* checks a whole configuration (schema-level rules such as
`ExactlyOneOf`); its `validate(config)` returns diagnostics and ignores values that are still
unknown.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from provider.plugin.diagnostics import Diagnostic, Key, Path, Severity, show_path
from provider.plugin.plan import pair_elements
from provider.plugin.values import Unknown, is_fully_known

if TYPE_CHECKING:
    from provider.plugin.schema import Block, Schema

__all__ = [
    "AtLeastOneOf",
    "ConfigValidator",
    "ConflictsWith",
    "ExactlyOneOf",
    "ValidationRequest",
    "ValidationResponse",
    "ValueValidator",
    "between",
    "each",
    "matches",
    "one_of",
    "run_value_validators",
    "size_between",
    "uuid",
    "validate_config",
]

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


_SHOW_MAX = 80  # characters of a rejected value quoted back in a diagnostic


def _show(value: Any) -> str:
    text = f'"{value}"' if isinstance(value, str) else repr(value)
    if len(text) > _SHOW_MAX:
        # A megabyte pasted into a config must not come back as a megabyte of diagnostic.
        text = f"{text[: _SHOW_MAX - 1]}… ({len(str(value))} characters)"
    return text


@dataclass(frozen=True, slots=True)
class ValidationRequest:
    """What a value validator sees: the attribute's `path`, its `value` (known and not null;
    a collection may hold unknown elements only for `element_wise` validators), and
    `config`, the whole object holding the attribute (for rules about a sibling)."""

    path: Path
    value: Any
    config: Mapping[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class ValidationResponse:
    """What a value validator found: `errors` as `(sub_path, message)` pairs (the sub-path
    is relative to the attribute, `()` for the attribute itself), and any other diagnostics
    (warnings, say) with their full paths."""

    errors: list[tuple[Path, str]] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def error(self, message: str, sub_path: Path = ()) -> None:
        """Record that the value (or the element at `sub_path`) is bad: `message` says why,
        as "must be ..., got ..."."""
        self.errors.append((tuple(sub_path), message))


class ValueValidator:
    """Base class of the value validators: override `check` (or `validate`).

    `description` says what a good value is ("between 1 and 5"); documentation reads it.
    `element_wise = True` marks a validator that checks only a collection's known elements,
    so the SDK runs it on a partly unknown collection too (others wait for whole values).
    """

    description: str = ""
    element_wise: bool = False

    def validate(self, request: ValidationRequest) -> ValidationResponse:
        """Findings for `request`; the base class asks `check` about the whole value."""
        response = ValidationResponse()
        message = self.check(request.value)
        if message:
            response.error(message)
        return response

    def check(self, value: Any) -> str | None:
        """An error message for a bad `value`, None for a good one."""
        raise NotImplementedError(f"{type(self).__name__} must override check or validate")

    def __call__(self, value: Any) -> str | None:
        """The first finding's message for `value` alone, or None (handy in tests)."""
        for _path, message in self.validate(ValidationRequest((), value)).errors:
            return message
        return None

    def __repr__(self) -> str:
        return f"<validator {self.description}>"


class _Check(ValueValidator):
    """A built-in validator made of a description and a check function."""

    def __init__(self, description: str, check: Callable[[Any], str | None]) -> None:
        self.description = description
        self._check = check

    def check(self, value: Any) -> str | None:
        """An error message for a bad `value`, None for a good one."""
        return self._check(value)


def one_of(*values: Any) -> ValueValidator:
    """The value must equal one of `values`."""
    allowed = ", ".join(_show(v) for v in values)

    def check(value: Any) -> str | None:
        return None if value in values else f"must be one of {allowed}, got {_show(value)}"

    return _Check(f"one of {allowed}", check)


def matches(regex: str | re.Pattern[str], message: str) -> ValueValidator:
    """The whole string must match `regex`; `message` says what was expected."""
    pattern = re.compile(regex) if isinstance(regex, str) else regex

    def check(value: Any) -> str | None:
        if isinstance(value, str) and pattern.fullmatch(value):
            return None
        return f"{message}, got {_show(value)}"

    return _Check(message, check)


def uuid() -> ValueValidator:
    """The value must be a UUID in its canonical 8-4-4-4-12 hexadecimal form."""

    def check(value: Any) -> str | None:
        if isinstance(value, str) and _UUID.fullmatch(value):
            return None
        return f"must be a UUID (8-4-4-4-12 hexadecimal digits), got {_show(value)}"

    return _Check("a UUID", check)


def between(
    lo: int | float | Decimal,
    hi: int | float | Decimal,
    *,
    whole: bool = False,
    above_lo: bool = False,
) -> ValueValidator:
    """A number within `lo..hi`, both ends included.

    `whole=True`: a whole number as well (counts); `above_lo=True`: `lo` itself is excluded
    (a duration that must be positive: `between(0, 3600, above_lo=True)`).
    """
    kind = "a whole number" if whole else "a number"
    low = f"above {lo}" if above_lo else f"from {lo}"
    wanted = f"{kind} {low} to {hi}" if whole or above_lo else f"between {lo} and {hi}"

    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            return f"must be {kind}, got {_show(value)}"
        in_range = (lo < value if above_lo else lo <= value) and value <= hi
        if in_range and (not whole or value == int(value)):
            return None
        return f"must be {wanted}, got {value}"

    return _Check(wanted, check)


def size_between(lo: int, hi: int) -> ValueValidator:
    """A collection (or string) with `lo..hi` elements (characters), both ends included."""

    def check(value: Any) -> str | None:
        try:
            n = len(value)
        except TypeError:
            return f"must be a collection or string, got {_show(value)}"
        if lo <= n <= hi:
            return None
        if lo == hi:
            return f"must have exactly {lo} elements, got {n}"
        return f"must have between {lo} and {hi} elements, got {n}"

    return _Check(f"size between {lo} and {hi}", check)


class each(ValueValidator):  # lower case: it reads as a function, validate=[each(uuid())]
    """Apply `validator` to every known, non-null element; findings point at the element."""

    element_wise = True

    def __init__(self, validator: ValueValidator) -> None:
        self.validator = validator
        self.description = f"each element {validator.description}"

    def validate(self, request: ValidationRequest) -> ValidationResponse:
        """Run the element validator on every known, non-null element."""
        value = request.value
        items: Any
        if isinstance(value, Mapping):
            items = ((Key(k), v) for k, v in value.items())
        elif isinstance(value, list | tuple):
            items = enumerate(value)
        else:
            # Set elements have no key a path can name; findings point at the set itself.
            items = ((None, v) for v in value)
        response = ValidationResponse()
        for key, element in items:
            if element is Unknown or element is None:
                continue
            sub: Path = () if key is None else (key,)
            found = self.validator.validate(
                ValidationRequest((*request.path, *sub), element, request.config)
            )
            response.errors.extend(((*sub, *p), m) for p, m in found.errors)
            response.diagnostics.extend(found.diagnostics)
        return response

    def errors(self, value: Any) -> Iterator[tuple[Path, str]]:
        """Yield `(element_path, message)` for every bad element."""
        yield from self.validate(ValidationRequest((), value)).errors


def run_value_validators(
    validators: Iterable[ValueValidator],
    value: Any,
    path: Path = (),
    config: Mapping[str, Any] | None = None,
) -> Iterator[Diagnostic]:
    """Run value validators, in order, on one attribute's value; yield their diagnostics.

    A value that is not fully known is seen only by `element_wise` validators.
    """
    known = is_fully_known(value)
    for validator in validators:
        if not known and not validator.element_wise:
            continue
        found = validator.validate(ValidationRequest(path, value, config or {}))
        for sub, message in found.errors:
            where = (*path, *sub)
            yield Diagnostic(
                Severity.ERROR, "Invalid attribute value", f"{show_path(where)} {message}", where
            )
        yield from found.diagnostics


def validate_config(schema: Schema, config: Any) -> list[Diagnostic]:
    """Every schema-declared finding about a configuration, in order: value validators
    (nested blocks included), deprecated arguments that are set, then the schema's rules."""
    if not isinstance(config, Mapping):
        return []
    diagnostics = list(_check_block(schema, config, ()))
    for name, attr in schema.attributes.items():
        if attr.deprecated and config.get(name) is not None:
            diagnostics.append(
                Diagnostic(
                    Severity.WARNING,
                    "Argument is deprecated",
                    f"{show_path((name,))} is deprecated and will be removed in a future version.",
                    (name,),
                )
            )
    for rule in schema.validators:
        diagnostics.extend(rule.validate(config))
    return diagnostics


def _check_block(block: Block, value: Mapping[str, Any], path: Path) -> Iterator[Diagnostic]:
    for name, attr in block.attributes.items():
        v = value.get(name)
        if v is None or v is Unknown or not attr.validate:
            continue
        yield from run_value_validators(attr.validate, v, (*path, name), value)
    for name, nb in block.blocks.items():
        v = value.get(name)
        if v is None or v is Unknown:
            continue
        for key, element, _ in pair_elements(nb.nesting, nb.block, v, None):
            if isinstance(element, Mapping):
                sub = (*path, name) if key is None or key == () else (*path, name, key)
                yield from _check_block(nb.block, element, sub)


class ConfigValidator:
    """A rule over a whole configuration; subclasses implement `validate`."""

    def validate(self, config: Mapping[str, Any]) -> list[Diagnostic]:
        """Diagnostics for `config` (values may be `Unknown`)."""
        raise NotImplementedError

    def __call__(self, config: Mapping[str, Any]) -> list[Diagnostic]:
        return self.validate(config)


class _NamesRule(ConfigValidator):
    default_summary = ""

    def __init__(
        self, *names: str, summary: str = "", detail: str = "", blank_is_unset: bool = False
    ) -> None:
        if len(names) < 2:
            raise ValueError(f"{type(self).__name__} needs at least two attribute names")
        self.names = names
        # A provider may word the finding for its users ("Conflicting credentials").
        self.summary = summary or self.default_summary
        self.detail = detail
        # For arguments whose blank value means "not given" (fall back to the environment).
        self.blank_is_unset = blank_is_unset

    def _listing(self) -> str:
        return ", ".join(f"`{n}`" for n in self.names)

    def _set_names(self, config: Mapping[str, Any]) -> list[str] | None:
        """Names with a non-null value, or None when any of them is still unknown."""
        values = [config.get(n) for n in self.names]
        if any(v is Unknown for v in values):
            return None
        return [n for n, v in zip(self.names, values, strict=True) if not self._unset(v)]

    def _unset(self, value: Any) -> bool:
        if value is None:
            return True
        return self.blank_is_unset and isinstance(value, str) and not value.strip()

    def _error(self, detail: str, path: Path | None = None) -> Diagnostic:
        return Diagnostic(Severity.ERROR, self.summary, self.detail or detail, path)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(map(repr, self.names))})"


class ExactlyOneOf(_NamesRule):
    """Exactly one of the named attributes must be set."""

    default_summary = "Invalid combination of arguments"

    def validate(self, config: Mapping[str, Any]) -> list[Diagnostic]:
        """One error when none is set; one per extra attribute when several are."""
        present = self._set_names(config)
        if present is None or len(present) == 1:
            return []
        if not present:
            return [self._error(f"Exactly one of {self._listing()} must be set; none is.")]
        detail = f"Exactly one of {self._listing()} must be set; found {len(present)}."
        return [self._error(detail, (name,)) for name in present[1:]]


class ConflictsWith(_NamesRule):
    """At most one of the named attributes may be set."""

    default_summary = "Conflicting arguments"

    def validate(self, config: Mapping[str, Any]) -> list[Diagnostic]:
        """One error per attribute set after the first."""
        present = self._set_names(config)
        if present is None or len(present) <= 1:
            return []
        detail = f"Only one of {self._listing()} may be set; found {len(present)}."
        return [self._error(detail, (name,)) for name in present[1:]]


class AtLeastOneOf(_NamesRule):
    """At least one of the named attributes must be set."""

    default_summary = "Missing required argument"

    def validate(self, config: Mapping[str, Any]) -> list[Diagnostic]:
        """One error when none is set."""
        present = self._set_names(config)
        if present is None or present:
            return []
        return [self._error(f"At least one of {self._listing()} must be set.")]
