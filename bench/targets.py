"""The issue's targets, evaluated against one run's results."""

from __future__ import annotations

from typing import Any

from bench.stats import ratio


def _median(results: dict[str, Any], *keys: str) -> float | None:
    node: Any = results
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node.get("median") if isinstance(node, dict) else None


# Issue 13: plan, apply and destroy against the Go null provider, by resource count.
_SCALING_LIMITS = {10: 1.0, 100: 1.3, 1000: 1.5}

_COMPARE = {
    "max": lambda measured, limit: measured <= limit,
    "min": lambda measured, limit: measured >= limit,
    "under": lambda measured, limit: measured < limit,
}


def evaluate(results: dict[str, Any], largest_n: int) -> list[dict[str, Any]]:
    """One row per target: what was measured, the limit, and whether it was met."""
    n = str(largest_n)
    rows: list[dict[str, Any]] = []

    def add(name: str, measured: float | None, limit: float, kind: str, unit: str = "x") -> None:
        met = None if measured is None else _COMPARE[kind](measured, limit)
        rows.append(
            {
                "target": name,
                "measured": None if measured is None else round(measured, 3),
                "limit": limit,
                "kind": kind,
                "unit": unit,
                "met": met,
            }
        )

    add(
        "Warm launch → handshake, ours / Go null",
        ratio(_median(results, "handshake", "ours"), _median(results, "handshake", "go-null")),
        1.0,
        "max",
    )
    add(
        "Cold launch → handshake, ours-cold / tf==1.2.0",
        ratio(_median(results, "handshake", "ours-cold"), _median(results, "handshake", "tf")),
        0.8,
        "max",
    )
    # Warm launches are the default, so "ours" (warm) is what the scaling targets judge; the
    # report shows ours-cold beside it.
    sizes = [str(s) for s in results.get("meta", {}).get("settings", {}).get("sizes", [])]
    for size in sizes or [n]:
        limit = _SCALING_LIMITS.get(int(size))
        if limit is None:
            continue
        for op in ("plan", "apply", "destroy"):
            add(
                f"{op} at N={size}, ours / Go null_resource",
                ratio(
                    _median(results, "scaling", "ours", op, size),
                    _median(results, "scaling", "go-null", op, size),
                ),
                limit,
                "max",
            )
    latency = results.get("latency", {}).get("by_parallelism", {})
    p10 = latency.get("10", {})
    p1 = latency.get("1", {})
    # The measure: the wall time beyond Terraform's own cost (the Go floor) against
    # the ideal (count x latency / parallelism).
    floor = (results.get("latency", {}).get("floor") or {}).get("median")
    over_floor = None
    if p10.get("median") is not None and floor is not None and p10.get("ideal"):
        over_floor = round((p10["median"] - floor) / p10["ideal"], 3)
    add("Latency apply at -parallelism=10, (apply - Go floor) / ideal", over_floor, 1.3, "max")
    add(
        "Latency apply, parallelism 1 / parallelism 10",
        ratio(p1.get("median"), p10.get("median")),
        7.0,
        "min",
    )
    layout = results.get("shared_layout", {}).get("by_mode", {}).get("quark", {})
    add(
        "Shared-layout plan (400 resources, 50 ms), batched / today",
        layout.get("ratio"),
        0.5,
        "max",
    )
    add(
        "Shared-layout plan, HTTP calls batched",
        (layout.get("calls_on") or {}).get("total"),
        10,
        "max",
        unit=" calls",
    )
    mem = results.get("memory", {}).get("ours", {}).get(n)
    add(
        f"Peak provider memory at N={n} (apply/plan/destroy)",
        max(mem.values()) if mem else None,
        100.0,
        "under",
        unit=" MB",
    )
    server = results.get("fork_server", {}).get("ours")
    add("Fork server resident memory", server["rss_mb"] if server else None, 100.0, "under", " MB")
    return rows
