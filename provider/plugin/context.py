"""The context object handed to every provider, resource and data-source hook."""

from __future__ import annotations

import logging
import threading
from contextvars import ContextVar, Token
from typing import Any

from provider.plugin.diagnostics import Diagnostic, Path, Severity

__all__ = ["Context", "cancellation_scope", "current_cancellation"]

# The cancellation event of the RPC being served, for the code under it that has no `Context`
# (an API client's transport). Set by the core around each call into provider code, the way
# terraform-plugin-go hands every RPC a context that StopProvider cancels. A contextvar rather
# than a thread-local: it is reset exactly on leaving the scope, and copied into a task or a
# `contextvars.copy_context().run` of code that the provider starts itself.
_CANCELLATION: ContextVar[threading.Event | None] = ContextVar(
    "provider_plugin_cancellation", default=None
)


def current_cancellation() -> threading.Event | None:
    """The event set when Terraform asks the provider to stop (StopProvider), for the RPC this
    code runs under; None outside any RPC (a unit test calling resource code directly).

    The SDK sets it for the duration of each call into provider code (the same event as that
    call's `ctx.cancelled`). Long waits should use `event.wait(t)`; code that may run outside
    an RPC should treat None as "never cancelled".
    """
    return _CANCELLATION.get()


class cancellation_scope:  # lower case: it is used like the function it replaced
    """Make `event` the `current_cancellation()` within the block (restored on exit).

    Used by the core around each RPC; tests and tools that call provider code directly may use
    it to run that code as if under an RPC. (A class rather than a generator-based context
    manager: it is entered on every RPC, and this costs a third as much.)
    """

    __slots__ = ("_event", "_token")

    def __init__(self, event: threading.Event) -> None:
        self._event = event
        self._token: Token[threading.Event | None] | None = None

    def __enter__(self) -> None:
        self._token = _CANCELLATION.set(self._event)

    def __exit__(self, *exc: object) -> None:
        if self._token is not None:
            _CANCELLATION.reset(self._token)
            self._token = None


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
