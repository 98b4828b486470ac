"""``python -m bench``: run every scenario, write ``bench/results/latest.{json,md}`` and plots."""

from __future__ import annotations

import argparse
import datetime
import json
import shlex
import sys
from pathlib import Path
from typing import Any

from bench import machine, report, scenarios, targets
from bench.mirror import write_cli_config
from bench.settings import ALL_SCENARIOS, ALL_SUBJECTS, BENCH_DIR, Settings
from bench.subjects import Subject
from bench.terraform import find_terraform

ANALYSIS_FILE = BENCH_DIR / "ANALYSIS.md"


def parse_args(argv: list[str] | None) -> Settings:
    """Turn the command line into Settings (a preset, then individual overrides)."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--quick", action="store_true", help="N=10,100, 2 repetitions, 10 handshakes: for iterating"
    )
    group.add_argument(
        "--smoke",
        action="store_true",
        help="N=2, 1 repetition, ours only, 4 slow associations: the smoke test",
    )
    parser.add_argument(
        "--sizes",
        type=lambda v: [int(x) for x in v.split(",")],
        help="comma-separated resource counts, e.g. 10,100,1000",
    )
    parser.add_argument("--reps", type=int, help="apply→plan→destroy cycles per provider and N")
    parser.add_argument("--handshakes", type=int, help="timed launches per provider")
    parser.add_argument("--providers", help=f"comma-separated subset of {','.join(ALL_SUBJECTS)}")
    parser.add_argument("--scenarios", help=f"comma-separated subset of {','.join(ALL_SCENARIOS)}")
    parser.add_argument("--out", type=Path, help="directory for latest.json/.md and the plots")
    parser.add_argument("--work", type=Path, help="scratch directory (default bench/.work)")
    parser.add_argument("--terraform", help="path of the Terraform binary to use")
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    parser.add_argument(
        "--render",
        action="store_true",
        help="measure nothing: rebuild latest.md and the plots from latest.json (and ANALYSIS.md)",
    )
    args = parser.parse_args(argv)

    preset = "quick" if args.quick else "smoke" if args.smoke else "full"
    settings = Settings.preset_named(preset)
    if args.sizes:
        settings.sizes = args.sizes
    if args.reps:
        settings.reps = args.reps
    if args.handshakes:
        settings.handshake_launches = args.handshakes
    if args.providers:
        settings.subjects = _subset(args.providers, ALL_SUBJECTS, parser)
    if args.scenarios:
        settings.scenarios = _subset(args.scenarios, ALL_SCENARIOS, parser)
    if args.out:
        settings.out_dir = args.out.resolve()
    if args.work:
        settings.work_dir = args.work.resolve()
    settings.terraform = args.terraform
    settings.plots = not args.no_plots
    settings.render_only = args.render
    return settings


def _subset(
    value: str, allowed: tuple[str, ...], parser: argparse.ArgumentParser
) -> tuple[str, ...]:
    chosen = tuple(v.strip() for v in value.split(",") if v.strip())
    unknown = [v for v in chosen if v not in allowed]
    if unknown:
        parser.error(f"unknown {unknown}; choose from {', '.join(allowed)}")
    return chosen


def make_subjects(settings: Settings) -> list[Subject]:
    """The providers to measure, in the order tables show them."""
    made: list[Subject] = []
    for key in settings.subjects:
        if key == "ours":
            from bench.ours import Ours

            made.append(Ours(settings.work_dir))
        elif key == "ours-cold":
            from bench.ours import OursCold

            made.append(OursCold(settings.work_dir / "cold"))
        elif key == "tf":
            from bench.peers.tf_peer.peer import TfPeer

            made.append(TfPeer())
        elif key == "go-null":
            from bench.peers.go_null import GoNull

            made.append(GoNull())
    return made


def run(settings: Settings, command: str) -> dict[str, Any]:
    """Run the chosen scenarios and write the results; return them."""
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    settings.out_dir.mkdir(parents=True, exist_ok=True)
    terraform = find_terraform(settings.terraform)
    scenarios.log(f"Terraform {terraform.version} from {terraform.origin}: {terraform.path}")
    mirror = settings.work_dir / "mirror"
    cli_config = write_cli_config(mirror, settings.work_dir / "terraformrc")
    subjects = make_subjects(settings)
    results: dict[str, Any] = {
        "meta": {
            "generated_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "command": command,
            "machine": machine.describe(),
            "terraform": {
                "version": terraform.version,
                "origin": terraform.origin,
                "path": str(terraform.path),
            },
            "settings": {
                "preset": settings.preset,
                "sizes": settings.sizes,
                "reps": settings.reps,
                "handshake_launches": settings.handshake_launches,
                "parallelism": settings.parallelism,
                "subjects": list(settings.subjects),
                "scenarios": list(settings.scenarios),
            },
        },
        "subjects": {
            s.key: {"label": s.label, "source": s.source, "version": s.version} for s in subjects
        },
    }
    bench_run = scenarios.BenchRun(settings, terraform, cli_config, {}, results)
    ready: list[Subject] = []
    max_count = max([*settings.sizes, settings.latency_count])
    try:
        for subject in subjects:
            try:
                bench_run.executables[subject.key] = subject.install(mirror)
                subject.prepare(max_count)
            except Exception as exc:
                bench_run.record_error(f"setup/{subject.key}", exc)
                continue
            ready.append(subject)
        if "handshake" in settings.scenarios:
            scenarios.run_handshake(bench_run, ready)
        if "scaling" in settings.scenarios:
            scenarios.run_scaling(bench_run, ready)
        ours = next((s for s in ready if s.key == "ours"), None)
        if "latency" in settings.scenarios and ours is not None:
            try:
                floor = next((s for s in ready if s.key == "go-null"), None)
                scenarios.run_latency(bench_run, ours, floor)
            except Exception as exc:
                bench_run.record_error("latency/ours", exc)
        if "shared-layout" in settings.scenarios and ours is not None:
            try:
                scenarios.run_shared_layout(bench_run, ours)
            except Exception as exc:
                bench_run.record_error("shared-layout/ours", exc)
        if "profile" in settings.scenarios and ours is not None:
            from bench import profile

            try:
                results["profile"] = profile.profile_ours(bench_run, ours)
            except Exception as exc:
                bench_run.record_error("profile/ours", exc)
    finally:
        for subject in subjects:
            status = getattr(subject, "fork_server", lambda: None)()
            if status:
                # The server that forked every warm launch of the run, at its end.
                results.setdefault("fork_server", {})[subject.key] = {
                    "rss_mb": round(status["rss"] / 1e6, 1),
                    "launches": status["launches"],
                    "threads": status["threads"],
                }
            try:
                subject.close()
            except Exception as exc:
                bench_run.record_error(f"close/{subject.key}", exc)

    return write_outputs(results, settings)


def write_outputs(results: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Evaluate the targets; write the plots, latest.json and latest.md."""
    results["targets"] = targets.evaluate(results, max(results["meta"]["settings"]["sizes"]))
    if settings.plots:
        from bench.plots import write_plots

        results["plots"] = [p.name for p in write_plots(results, settings.out_dir)]
    report.write_json(results, settings.out_dir / "latest.json")
    analysis = ANALYSIS_FILE.read_text() if ANALYSIS_FILE.exists() else None
    (settings.out_dir / "latest.md").write_text(report.render_markdown(results, analysis))
    scenarios.log(f"wrote {settings.out_dir / 'latest.md'}")
    return results


def main(argv: list[str] | None = None) -> int:
    """Entry point; the exit code is 1 when any scenario failed."""
    args = sys.argv[1:] if argv is None else argv
    settings = parse_args(args)
    if settings.render_only:
        results = json.loads((settings.out_dir / "latest.json").read_text())
        write_outputs(results, settings)
        return 0
    command = shlex.join([".venv/bin/python", "-m", "bench", *args])
    results = run(settings, command)
    return 1 if results.get("errors") else 0
