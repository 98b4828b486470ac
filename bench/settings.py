"""How much to measure: the full run, the quick subset and the smoke-test configuration."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
# "ours": warm launches (the default); "ours-cold": the same provider with them switched off.
ALL_SUBJECTS = ("ours", "ours-cold", "tf", "go-null")
ALL_SCENARIOS = ("handshake", "scaling", "latency", "profile", "shared-layout")


@dataclass
class Settings:
    """Every knob of one bench run."""

    preset: str = "full"
    sizes: list[int] = field(default_factory=lambda: [10, 100, 1000])
    reps: int = 3  # apply → plan → destroy cycles per (provider, N)
    handshake_launches: int = 30
    handshake_warmup: int = 2
    parallelism: int = 10
    latency_ms: int = 50
    latency_count: int = 200
    latency_parallelisms: tuple[int, ...] = (1, 10)
    latency_reps: int = 2
    subjects: tuple[str, ...] = ALL_SUBJECTS
    scenarios: tuple[str, ...] = ALL_SCENARIOS
    work_dir: Path = BENCH_DIR / ".work"
    out_dir: Path = BENCH_DIR / "results"
    terraform: str | None = None
    plots: bool = True
    render_only: bool = False

    @classmethod
    def preset_named(cls, name: str) -> Settings:
        """``full`` (the committed results), ``quick`` (iteration) or ``smoke`` (the test)."""
        if name == "full":
            return cls()
        if name == "quick":
            return cls(
                preset="quick", sizes=[10, 100], reps=2, handshake_launches=10, latency_reps=1
            )
        if name == "smoke":
            return cls(
                preset="smoke",
                sizes=[2],
                reps=1,
                handshake_launches=2,
                handshake_warmup=1,
                latency_count=4,
                latency_ms=10,
                latency_reps=1,
                subjects=("ours",),
                scenarios=("handshake", "scaling", "latency"),
            )
        raise ValueError(f"unknown preset {name!r}")
