"""Summaries of repeated measurements."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any


def summarize(samples: Sequence[float]) -> dict[str, Any]:
    """Median, min, max and the raw samples (seconds, rounded to the microsecond)."""
    if not samples:
        raise ValueError("no samples")
    return {
        "median": round(statistics.median(samples), 6),
        "min": round(min(samples), 6),
        "max": round(max(samples), 6),
        "n": len(samples),
        "samples": [round(s, 6) for s in samples],
    }


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator / denominator``, or None when either side is missing or zero."""
    if numerator is None or not denominator:
        return None
    return numerator / denominator
