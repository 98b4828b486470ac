"""PNG plots of time against resource count, one line per provider."""

from __future__ import annotations

from pathlib import Path
from typing import Any

_STYLE = {
    "ours": ("tab:blue", "o"),
    "ours-cold": ("tab:purple", "D"),
    "tf": ("tab:orange", "s"),
    "go-null": ("tab:green", "^"),
}


def write_plots(results: dict[str, Any], out_dir: Path) -> list[Path]:
    """One PNG per operation (plan, apply, destroy) plus the handshake bar chart."""
    import matplotlib

    matplotlib.use("Agg")  # no display; set before pyplot is imported
    import matplotlib.pyplot as plt
    from matplotlib.ticker import ScalarFormatter

    labels = {k: v["label"] for k, v in results["subjects"].items()}
    terraform = results["meta"]["terraform"]["version"]
    written: list[Path] = []
    for op in ("plan", "apply", "destroy"):
        fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=100)
        drawn = False
        for key, by_op in results.get("scaling", {}).items():
            points = sorted((int(n), s) for n, s in by_op.get(op, {}).items())
            if not points:
                continue
            xs = [n for n, _ in points]
            med = [s["median"] for _, s in points]
            err = [
                [s["median"] - s["min"] for _, s in points],
                [s["max"] - s["median"] for _, s in points],
            ]
            color, marker = _STYLE.get(key, ("tab:gray", "x"))
            ax.errorbar(
                xs, med, yerr=err, label=labels.get(key, key), color=color, marker=marker, capsize=3
            )
            drawn = True
        if not drawn:
            plt.close(fig)
            continue
        ax.set_xscale("log")
        ax.set_yscale("log")
        # Plain seconds on the axis instead of 2x10^0-style labels.
        ax.yaxis.set_major_formatter(ScalarFormatter())
        ax.yaxis.set_minor_formatter(ScalarFormatter())
        ax.xaxis.set_major_formatter(ScalarFormatter())
        ax.set_xlabel("resources (N)")
        ax.set_ylabel("wall time (s), median with min-max")
        ax.set_title(f"terraform {op} (Terraform {terraform})")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
        fig.tight_layout()
        path = out_dir / f"{op}.png"
        fig.savefig(path)
        plt.close(fig)
        written.append(path)

    handshake = results.get("handshake", {})
    if handshake:
        fig, ax = plt.subplots(figsize=(6.4, 3.2), dpi=100)
        keys = list(handshake)
        med = [handshake[k]["median"] * 1000 for k in keys]
        err = [
            [(handshake[k]["median"] - handshake[k]["min"]) * 1000 for k in keys],
            [(handshake[k]["max"] - handshake[k]["median"]) * 1000 for k in keys],
        ]
        ax.barh(
            [labels.get(k, k) for k in keys],
            med,
            xerr=err,
            capsize=3,
            color=[_STYLE.get(k, ("tab:gray", ""))[0] for k in keys],
        )
        ax.set_xlabel("launch → handshake line (ms), median with min-max")
        ax.set_title("Provider start-up")
        fig.tight_layout()
        path = out_dir / "handshake.png"
        fig.savefig(path)
        plt.close(fig)
        written.append(path)
    return written
