"""The context object handed to every provider, resource and data-source hook."""

from __future__ import annotations

import logging
import threading
from typing import Any

from provider.plugin.diagnostics import Diagnostic, Path, Severity

__all__ = ["Context"]


class Context:
    """What resource code may use besides its values.

    - `warn()` / `error()` add diagnostics without raising (raise `ProviderError` to stop);
    - `private`: a `dict` of JSON values kept as the resource's private state;
    - `cancelled`: a `threading.Event` set when Terraform asks the provider to stop;
    - `log`: a `logging.Logger`; `terraform_version`: the calling Terraform's version or "".
    """

    def __init__(
        self,
        *,
        cancelled: threading.Event | None = None,
        log: logging.Logger | None = None,
        terraform_version: str = "",
        private: dict[str, Any] | None = None,
    ) -> None:
        self.cancelled = cancelled if cancelled is not None else threading.Event()
        self.log = log if log is not None else logging.getLogger("provider")
        self.terraform_version = terraform_version
        self.private: dict[str, Any] = private if private is not None else {}
        self.diagnostics: list[Diagnostic] = []

    def warn(self, summary: str, detail: str = "", path: Path | None = None) -> None:
        """Add a warning for the user."""
        self.diagnostics.append(
            Diagnostic(Severity.WARNING, summary, detail, tuple(path) if path else None)
        )

    def error(self, summary: str, detail: str = "", path: Path | None = None) -> None:
        """Add an error; the operation fails once the hook returns."""
        self.diagnostics.append(
            Diagnostic(Severity.ERROR, summary, detail, tuple(path) if path else None)
        )

    @property
    def has_errors(self) -> bool:
        """True once any error diagnostic was added."""
        return any(d.severity is Severity.ERROR for d in self.diagnostics)
