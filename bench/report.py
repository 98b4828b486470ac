"""Writing ``latest.json`` and ``latest.md`` from one run's results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OPS = ("plan", "apply", "destroy")


def write_json(results: dict[str, Any], path: Path) -> None:
    """The full results, raw samples included."""
    path.write_text(json.dumps(results, indent=2, sort_keys=False) + "\n")


def _fmt_s(summary: dict[str, Any] | None) -> str:
    if not summary:
        return "—"
    return f"{summary['median']:.3f} s ({summary['min']:.3f}-{summary['max']:.3f})"


def _fmt_ms(summary: dict[str, Any] | None) -> str:
    if not summary:
        return "—"
    return (
        f"{summary['median'] * 1000:.1f} ms "
        f"({summary['min'] * 1000:.1f}-{summary['max'] * 1000:.1f})"
    )


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _target_rows(targets: list[dict[str, Any]]) -> list[list[str]]:
    rows = []
    for t in targets:
        sign = {"max": "≤", "min": "≥", "under": "<"}[t["kind"]]
        measured = "not measured" if t["measured"] is None else f"{t['measured']:g}{t['unit']}"
        verdict = {True: "met", False: "**missed**", None: "—"}[t["met"]]
        if t["met"] is False and t["kind"] == "min":
            verdict += f" (reaches {t['measured'] / t['limit']:.0%} of the limit)"
        elif t["met"] is False:
            verdict += f" ({t['measured'] / t['limit']:.2f}x the limit)"
        rows.append([t["target"], f"{sign} {t['limit']:g}{t['unit']}", measured, verdict])
    return rows


def render_markdown(results: dict[str, Any], analysis: str | None = None) -> str:
    """The human-readable report: headline ratios first, then every table."""
    meta = results["meta"]
    subjects: dict[str, Any] = results["subjects"]
    labels = {k: v["label"] for k, v in subjects.items()}
    m = meta["machine"]
    tf = meta["terraform"]
    s = meta["settings"]
    out: list[str] = [
        "# Benchmark results",
        "",
        f"Generated {meta['generated_at']} by `{meta['command']}` (preset `{s['preset']}`).",
        "",
        f"- Machine: {m['cpu_model']}, {m['cores']} cores, {m['memory_gib']} GiB, {m['os']}; "
        f"load average at start {m['load_average_at_start']}",
        f"- Python: {m['python']}",
        f"- Terraform: {tf['version']} ({tf['origin']}: `{tf['path']}`)",
        f"- Repetitions: {s['reps']} apply→plan→destroy cycles per provider and N; "
        f"{s['handshake_launches']} launches for the handshake; -parallelism={s['parallelism']}",
        "- Providers: "
        + "; ".join(f"{v['label']}: `{v['source']}` {v['version']}" for v in subjects.values()),
        "",
        "Times are medians with (min-max) across repetitions.",
        "",
        "## Targets",
        "",
    ]
    out += _table(["target", "limit", "measured", "verdict"], _target_rows(results["targets"]))

    out += ["", "## 1. Launch to handshake line", ""]
    hs = results.get("handshake", {})
    rows = [[labels[k], _fmt_ms(v), str(v.get("protocol", ""))] for k, v in hs.items()]
    out += _table(["provider", "median (min-max)", "protocol"], rows)

    scaling = results.get("scaling", {})
    sizes = [str(n) for n in s["sizes"]]
    for op, title in (
        ("plan", "2. `terraform plan` (refresh) of N applied resources"),
        ("apply", "3a. `terraform apply` creating N resources"),
        ("destroy", "3b. `terraform destroy` of N resources"),
    ):
        out += ["", f"## {title}", ""]
        rows = []
        for n in sizes:
            row = [n]
            for key in subjects:
                row.append(_fmt_s(scaling.get(key, {}).get(op, {}).get(n)))
            go = scaling.get("go-null", {}).get(op, {}).get(n)
            for key in ("ours", "ours-cold"):
                ours = scaling.get(key, {}).get(op, {}).get(n)
                row.append(f"{ours['median'] / go['median']:.2f}x" if go and ours else "—")
            rows.append(row)
        out += _table(
            ["N", *[labels[k] for k in subjects], "ours (warm) / Go", "ours-cold / Go"], rows
        )

    lat = results.get("latency")
    out += ["", "## 4. Apply against a slow API", ""]
    if lat and lat.get("by_parallelism"):
        out.append(
            f"{lat['count']} associations, sandbox latency {lat['latency_ms']} ms per "
            "request; ideal = count x latency / parallelism."
        )
        out.append("")
        rows = []
        for p, v in lat["by_parallelism"].items():
            api = v.get("api") or {}
            zero = v.get("at_zero_latency")
            rows.append(
                [
                    p,
                    _fmt_s(v),
                    f"{v['ideal']:.2f} s",
                    f"{v['ratio_to_ideal']:.2f}x",
                    _fmt_s(zero),
                    f"{v['added_by_latency_ratio']:.2f}x" if zero else "—",
                    str(api.get("requests", "—")),
                    f"{api['span_s']:.2f} s" if "span_s" in api else "—",
                    str(api.get("max_in_flight", "—")),
                ]
            )
        out += _table(
            [
                "-parallelism",
                "apply",
                "ideal",
                "apply / ideal",
                "same apply at 0 ms",
                "(apply - at 0 ms) / ideal",
                "API calls",
                "first→last call",
                "max in flight",
            ],
            rows,
        )
        floor = lat.get("floor")
        if floor:
            out += [
                "",
                f"Floor: {labels.get(floor['subject'], floor['subject'])} applies {lat['count']} "
                f"resources in {_fmt_s(floor)} with no API at all (Terraform core's own cost).",
            ]
    else:
        out.append("Not measured in this run.")

    from bench.shared_layout import render as render_shared_layout

    out += render_shared_layout(results.get("shared_layout"))

    out += ["", "## 5. Peak provider memory (largest VmHWM of any provider process)", ""]
    mem = results.get("memory", {})
    rows = []
    for key, by_n in mem.items():
        for n, ops in by_n.items():
            rows.append([labels[key], n, *[f"{ops.get(op, 0):.1f} MB" for op in OPS]])
    out += _table(["provider", "N", *OPS], rows)

    servers = results.get("fork_server", {})
    if servers:
        out += ["", "Fork server at the end of the run (it forked every warm launch):", ""]
        rows = [
            [labels.get(k, k), f"{v['rss_mb']:.1f} MB", str(v["launches"]), str(v["threads"])]
            for k, v in servers.items()
        ]
        out += _table(["provider", "resident", "children forked", "threads"], rows)

    cpu = results.get("provider_cpu", {})
    if cpu:
        out += ["", "CPU seconds used by all provider processes of one command (median):", ""]
        rows = []
        for key, by_n in cpu.items():
            for n, ops in by_n.items():
                rows.append([labels[key], n, *[f"{ops.get(op, 0):.2f} s" for op in OPS]])
        out += _table(["provider", "N", *OPS], rows)

    launches = results.get("launches", {})
    if launches:
        out += ["", "Provider processes Terraform started per command:", ""]
        rows = [[labels[k], *[str(v.get(op, "—")) for op in OPS]] for k, v in launches.items()]
        out += _table(["provider", *OPS], rows)

    plots = results.get("plots", [])
    if plots:
        out += ["", "## Plots", ""]
        out += [f"![{Path(p).stem}]({Path(p).name})" for p in plots]

    profile = results.get("profile")
    if profile:
        out += ["", "## Profile of our provider", "", profile.get("markdown", "")]

    if analysis:
        out += ["", "## Analysis", "", analysis.strip()]

    errors = results.get("errors", [])
    if errors:
        out += ["", "## Errors in this run", ""]
        out += [f"- `{e['where']}`: {e['error'].splitlines()[0]}" for e in errors]
    return "\n".join(out) + "\n"
