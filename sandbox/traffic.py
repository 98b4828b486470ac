"""Run-time knobs: rate limits, faults, latency, pagination (``/__sandbox__/faults``).

Rate limits follow Repose: a per-minute budget per tenant and method class (``read`` for
GET/HEAD, ``write`` for the rest); going over it answers 413 with ``Retry-After`` and an
``overLimit`` body carrying ``retryAt``. Faults are drawn per request with probability
``fault_rate`` from ``fault_kinds`` ("500", "503", "drop").
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import defaultdict, deque
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

FAULT_KINDS = ("500", "503", "drop")


@dataclass(frozen=True)
class TrafficSettings:
    """Everything ``/__sandbox__/faults`` reads and writes."""

    fault_rate: float = 0.0
    fault_kinds: tuple[str, ...] = FAULT_KINDS
    #: Only paths containing this text get faults (``None``: every API path).
    fault_path_contains: str | None = None
    latency_ms: int = 0
    #: Requests per window per tenant and method class; ``None`` or 0 disables the limit.
    rate_limit_per_minute: int | None = None
    #: Window length; 60 is "per minute", tests shorten it to keep waits small.
    rate_limit_window_seconds: float = 60.0
    #: Fixed ``Retry-After`` value; ``None`` computes it from the window.
    retry_after_seconds: int | None = None
    #: The next N ``POST ip_addresses`` commit and then drop the connection unanswered.
    drop_after_commit: int = 0
    token_ttl_seconds: int = 86400
    #: ``GET /ip_addresses`` honours ``limit``/``marker`` and answers ``ip_addresses_links``
    #: (Neutron's general pagination). Off: both are ignored and every IP comes in one answer,
    #: as quark does (research §3.3, open question 13).
    paginate_ip_addresses: bool = False


#: Upper bounds: beyond them a value is a typo, and ``inf`` would overflow date arithmetic.
MAX_WINDOW_SECONDS = 86_400.0
MAX_RETRY_AFTER_SECONDS = 86_400
MAX_TOKEN_TTL_SECONDS = 10 * 365 * 86_400
MAX_COUNT = 1_000_000


def _check(settings: TrafficSettings) -> None:
    """Raise ``ValueError`` naming the first setting out of its range (NaN and inf included)."""
    # Every comparison is written so that NaN fails it.
    if not 0.0 <= settings.fault_rate <= 1.0:
        raise ValueError("fault_rate must be between 0 and 1")
    unknown = set(settings.fault_kinds) - set(FAULT_KINDS)
    if unknown or not settings.fault_kinds:
        raise ValueError(f"fault_kinds must be a non-empty subset of {list(FAULT_KINDS)}")
    if not 0 <= settings.latency_ms <= 60_000:
        raise ValueError("latency_ms must be between 0 and 60000")
    limit = settings.rate_limit_per_minute
    if limit is not None and not 0 <= limit <= MAX_COUNT:
        raise ValueError(f"rate_limit_per_minute must be between 0 and {MAX_COUNT}, or null")
    if not 0 < settings.rate_limit_window_seconds <= MAX_WINDOW_SECONDS:
        raise ValueError(
            f"rate_limit_window_seconds must be > 0 and at most {MAX_WINDOW_SECONDS:g}"
        )
    retry = settings.retry_after_seconds
    if retry is not None and not 0 <= retry <= MAX_RETRY_AFTER_SECONDS:
        raise ValueError(
            f"retry_after_seconds must be between 0 and {MAX_RETRY_AFTER_SECONDS}, or null"
        )
    if not 0 <= settings.drop_after_commit <= MAX_COUNT:
        raise ValueError(f"drop_after_commit must be between 0 and {MAX_COUNT}")
    if not 0 < settings.token_ttl_seconds <= MAX_TOKEN_TTL_SECONDS:
        raise ValueError(f"token_ttl_seconds must be > 0 and at most {MAX_TOKEN_TTL_SECONDS}")


_TYPES: dict[str, tuple[type, ...]] = {
    "fault_rate": (int, float),
    "fault_kinds": (list, tuple),
    "fault_path_contains": (str, type(None)),
    "latency_ms": (int,),
    "rate_limit_per_minute": (int, type(None)),
    "rate_limit_window_seconds": (int, float),
    "retry_after_seconds": (int, type(None)),
    "drop_after_commit": (int,),
    "token_ttl_seconds": (int,),
    "paginate_ip_addresses": (bool,),
}


def apply_patch(settings: TrafficSettings, patch: Any) -> TrafficSettings:
    """``settings`` with the keys of ``patch`` replaced; ``ValueError`` on bad input."""
    if not isinstance(patch, dict):
        raise ValueError("the body must be a JSON object")
    known = {f.name for f in fields(TrafficSettings)}
    unknown = set(patch) - known
    if unknown:
        raise ValueError(f"unknown settings {sorted(unknown)}; known: {sorted(known)}")
    changes: dict[str, Any] = {}
    for key, value in patch.items():
        # bool is an int in Python: a number setting must not take true/false, nor the reverse.
        if (isinstance(value, bool) != (bool in _TYPES[key])) or not isinstance(value, _TYPES[key]):
            raise ValueError(f"{key} has the wrong type")
        if key == "fault_kinds" and isinstance(value, list | tuple):  # checked above; for mypy
            value = tuple(str(v) for v in value)
        changes[key] = value
    updated = replace(settings, **changes)
    _check(updated)
    return updated


@dataclass
class TrafficControl:
    """Thread-safe holder of the settings plus the rate-limit windows."""

    defaults: TrafficSettings = field(default_factory=TrafficSettings)
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        _check(self.defaults)
        self._settings = self.defaults
        self._lock = threading.Lock()
        self._windows: dict[str, deque[float]] = defaultdict(deque)

    @property
    def settings(self) -> TrafficSettings:
        """The current settings (an immutable snapshot)."""
        return self._settings

    def snapshot(self) -> dict[str, Any]:
        """The current settings as JSON-ready data."""
        data = asdict(self._settings)
        data["fault_kinds"] = list(data["fault_kinds"])
        return data

    def update(self, patch: Any) -> dict[str, Any]:
        """Apply a partial update (``ValueError`` on bad input); returns the new settings."""
        with self._lock:
            self._settings = apply_patch(self._settings, patch)
            self._windows.clear()
        return self.snapshot()

    def restore_defaults(self) -> dict[str, Any]:
        """Back to the settings given at start-up."""
        with self._lock:
            self._settings = self.defaults
            self._windows.clear()
        return self.snapshot()

    def pick_fault(self, path: str) -> str | None:
        """The fault to inject into this request, if any."""
        s = self._settings
        if s.fault_rate <= 0 or (s.fault_path_contains and s.fault_path_contains not in path):
            return None
        with self._lock:
            if self.rng.random() >= s.fault_rate:
                return None
            return self.rng.choice(s.fault_kinds)

    def over_limit(self, key: str) -> float | None:
        """Seconds until ``key`` may call again when over its budget, else ``None``."""
        s = self._settings
        if not s.rate_limit_per_minute:
            return None
        now = time.monotonic()
        with self._lock:
            window = self._windows[key]
            while window and window[0] <= now - s.rate_limit_window_seconds:
                window.popleft()
            if len(window) >= s.rate_limit_per_minute:
                return max(window[0] + s.rate_limit_window_seconds - now, 0.0)
            window.append(now)
        return None

    def retry_after(self, wait: float) -> int:
        """The ``Retry-After`` value for a computed wait."""
        fixed = self._settings.retry_after_seconds
        return fixed if fixed is not None else max(1, math.ceil(wait))

    def take_drop_after_commit(self) -> bool:
        """Consume one pending "commit then drop"; ``True`` when this request must drop."""
        with self._lock:
            if self._settings.drop_after_commit <= 0:
                return False
            self._settings = replace(
                self._settings, drop_after_commit=self._settings.drop_after_commit - 1
            )
            return True
