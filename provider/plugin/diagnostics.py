"""Diagnostics: what a provider tells Terraform besides values, and the SDK's exception type."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TypeAlias

__all__ = ["Diagnostic", "Key", "Path", "ProviderError", "Severity", "show_path"]

# One step is an attribute/block name (str) or an element key: a list index (int) or a map
# key. Map keys are strings too, so callers that need a map key inside a path use `Key`.
Path: TypeAlias = tuple["str | int | Key", ...]


class Key(str):
    """A map element key inside an attribute path (a plain `str` step is an attribute name)."""

    __slots__ = ()


def show_path(path: Path) -> str:
    """A path as a user writes it in a message: `` `rule[0].port` ``, or "the value" for ()."""
    text = ""
    for step in path:
        if isinstance(step, Key):
            text += f'["{step}"]'
        elif isinstance(step, int):
            text += f"[{step}]"
        else:
            text += f".{step}" if text else step
    return f"`{text}`" if text else "the value"


class Severity(enum.IntEnum):
    """Diagnostic severity, numbered as in the protocol."""

    ERROR = 1
    WARNING = 2


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One message for the user, optionally pointing at an attribute."""

    severity: Severity
    summary: str
    detail: str = ""
    path: Path | None = None


class ProviderError(Exception):
    """Raise from resource code to fail the operation with a clear diagnostic.

    `path` points the diagnostic at an attribute, e.g. `("port_ids",)` or `("rule", 0, "port")`.
    """

    def __init__(self, summary: str, detail: str = "", path: Path | None = None) -> None:
        super().__init__(summary)
        self.summary = summary
        self.detail = detail
        self.path = tuple(path) if path is not None else None

    def to_diagnostic(self) -> Diagnostic:
        """The error diagnostic this exception stands for."""
        return Diagnostic(Severity.ERROR, self.summary, self.detail, self.path)
