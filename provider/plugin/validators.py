"""Validators declared in schemas.

A *value validator* is any callable `(value) -> str | None` that returns an error message for a
bad value; the SDK calls it only with known, non-null values and turns a message into an
"Invalid attribute value" error diagnostic that carries the attribute path. A validator may
also offer `errors(value)` yielding `(sub_path, message)` pairs when its findings point below
the attribute (as `each` does).

A *config validator* checks a whole configuration (resource-level rules such as
`ExactlyOneOf`); it yields diagnostics and ignores values that are still unknown.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any, TypeAlias

from provider.plugin.diagnostics import Diagnostic, Key, Path, Severity
from provider.plugin.values import Unknown

__all__ = [
    "AtLeastOneOf",
    "ConfigValidator",
    "ConflictsWith",
    "ExactlyOneOf",
    "ValueValidator",
    "between",
    "each",
    "matches",
    "one_of",
    "run_value_validators",
    "size_between",
    "uuid",
]

ValueValidator: TypeAlias = Callable[[Any], "str | None"]

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


_SHOW_MAX = 80  # characters of a rejected value quoted back in a diagnostic


def _show(value: Any) -> str:
    text = f'"{value}"' if isinstance(value, str) else repr(value)
    if len(text) > _SHOW_MAX:
        # A megabyte pasted into a config must not come back as a megabyte of diagnostic.
        text = f"{text[: _SHOW_MAX - 1]}… ({len(str(value))} characters)"
    return text


class _Validator:
    """A named value validator with a readable description (used by docs and repr)."""

    def __init__(self, description: str, check: Callable[[Any], str | None]) -> None:
        self.description = description
        self._check = check

    def __call__(self, value: Any) -> str | None:
        return self._check(value)

    def __repr__(self) -> str:
        return f"<validator {self.description}>"


def one_of(*values: Any) -> ValueValidator:
    """The value must equal one of `values`."""
    allowed = ", ".join(_show(v) for v in values)

    def check(value: Any) -> str | None:
        return None if value in values else f"must be one of {allowed}, got {_show(value)}"

    return _Validator(f"one of {allowed}", check)


def matches(regex: str | re.Pattern[str], message: str) -> ValueValidator:
    """The whole string must match `regex`; `message` says what was expected."""
    pattern = re.compile(regex) if isinstance(regex, str) else regex

    def check(value: Any) -> str | None:
        if isinstance(value, str) and pattern.fullmatch(value):
            return None
        return f"{message}, got {_show(value)}"

    return _Validator(message, check)


def uuid() -> ValueValidator:
    """The value must be a UUID in its canonical 8-4-4-4-12 hexadecimal form."""

    def check(value: Any) -> str | None:
        if isinstance(value, str) and _UUID.fullmatch(value):
            return None
        return f"must be a UUID (8-4-4-4-12 hexadecimal digits), got {_show(value)}"

    return _Validator("a UUID", check)


def between(lo: int | float | Decimal, hi: int | float | Decimal) -> ValueValidator:
    """A number within `lo..hi`, both ends included."""

    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            return f"must be a number, got {_show(value)}"
        return None if lo <= value <= hi else f"must be between {lo} and {hi}, got {value}"

    return _Validator(f"between {lo} and {hi}", check)


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

    return _Validator(f"size between {lo} and {hi}", check)


class each:  # lower case: it reads as a function in schemas, validate=[each(uuid())]
    """Apply `validator` to every known, non-null element; findings point at the element."""

    def __init__(self, validator: ValueValidator) -> None:
        self.validator = validator
        self.description = f"each element {getattr(validator, 'description', validator)}"

    def errors(self, value: Any) -> Iterator[tuple[Path, str]]:
        """Yield `(element_path, message)` for every bad element."""
        items: Any
        if isinstance(value, Mapping):
            items = ((Key(k), v) for k, v in value.items())
        elif isinstance(value, list | tuple):
            items = enumerate(value)
        else:
            # Set elements have no key a path can name; findings point at the set itself.
            items = ((None, v) for v in value)
        for key, element in items:
            if element is Unknown or element is None:
                continue
            sub: Path = () if key is None else (key,)
            yield from run_value_validators([self.validator], element, sub)

    def __call__(self, value: Any) -> str | None:
        for _path, message in self.errors(value):
            return message
        return None

    def __repr__(self) -> str:
        return f"<validator {self.description}>"


def run_value_validators(
    validators: Any, value: Any, path: Path = ()
) -> Iterator[tuple[Path, str]]:
    """Run value validators on a known, non-null value; yield `(path, message)` findings."""
    for validator in validators:
        errors = getattr(validator, "errors", None)
        if errors is not None:
            for sub, message in errors(value):
                yield path + tuple(sub), message
        else:
            message = validator(value)
            if message:
                yield path, message


class ConfigValidator:
    """A rule over a whole configuration; subclasses implement `__call__`."""

    def __call__(self, config: Mapping[str, Any]) -> list[Diagnostic]:
        raise NotImplementedError


class _NamesRule(ConfigValidator):
    def __init__(self, *names: str) -> None:
        if len(names) < 2:
            raise ValueError(f"{type(self).__name__} needs at least two attribute names")
        self.names = names

    def _listing(self) -> str:
        return ", ".join(f"`{n}`" for n in self.names)

    def _set_names(self, config: Mapping[str, Any]) -> list[str] | None:
        """Names with a non-null value, or None when any of them is still unknown."""
        values = [config.get(n) for n in self.names]
        if any(v is Unknown for v in values):
            return None
        return [n for n, v in zip(self.names, values, strict=True) if v is not None]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(map(repr, self.names))})"


class ExactlyOneOf(_NamesRule):
    """Exactly one of the named attributes must be set."""

    def __call__(self, config: Mapping[str, Any]) -> list[Diagnostic]:
        present = self._set_names(config)
        if present is None or len(present) == 1:
            return []
        if not present:
            detail = f"Exactly one of {self._listing()} must be set; none is."
            return [Diagnostic(Severity.ERROR, "Invalid combination of arguments", detail)]
        detail = f"Exactly one of {self._listing()} must be set; found {len(present)}."
        return [
            Diagnostic(Severity.ERROR, "Invalid combination of arguments", detail, (name,))
            for name in present[1:]
        ]


class ConflictsWith(_NamesRule):
    """At most one of the named attributes may be set."""

    def __call__(self, config: Mapping[str, Any]) -> list[Diagnostic]:
        present = self._set_names(config)
        if present is None or len(present) <= 1:
            return []
        detail = f"Only one of {self._listing()} may be set; found {len(present)}."
        return [
            Diagnostic(Severity.ERROR, "Conflicting arguments", detail, (name,))
            for name in present[1:]
        ]


class AtLeastOneOf(_NamesRule):
    """At least one of the named attributes must be set."""

    def __call__(self, config: Mapping[str, Any]) -> list[Diagnostic]:
        present = self._set_names(config)
        if present is None or present:
            return []
        detail = f"At least one of {self._listing()} must be set."
        return [Diagnostic(Severity.ERROR, "Missing required argument", detail)]
