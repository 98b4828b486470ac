"""Handshake time of the self-contained release build vs the virtualenv launcher, interleaved.

    .venv/bin/python -m bench.release_handshake [--zip PATH] [--launches 30] [--warmup 2]

Without `--zip` the release is built first with `package()` into a temporary directory. The
virtualenv launcher is installed with `terraform-provider-rackspace install --dir <tmp>`.
Each launch gets Terraform's magic cookie and `PLUGIN_PROTOCOL_VERSIONS=5,6` (no
`PLUGIN_CLIENT_CERT`); the clock runs from spawn until the go-plugin handshake line has been
read from stdout, then the process group is killed. Launches alternate A B B A ..., so drift
of the machine's speed hits both alike; the ratio is taken pair by pair.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

MAGIC_COOKIE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"


def handshake_seconds(executable: Path, env: dict[str, str]) -> float:
    """Seconds from spawning `executable` to reading its handshake line."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [str(executable)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        seconds = time.perf_counter() - start
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    if not line.startswith(b"1|"):
        raise RuntimeError(f"{executable}: no handshake line, got {line[:200]!r}")
    return seconds


def _unpack(zip_path: Path, dest: Path) -> Path:
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            Path(archive.extract(info, dest)).chmod((info.external_attr >> 16) & 0o777)
    return next(p for p in dest.iterdir() if p.is_file())


def _build(work: Path) -> Path:
    from provider import __version__
    from provider.cli import SOURCE_ADDRESS
    from provider.plugin.release import package

    written = package(
        source_address=SOURCE_ADDRESS,
        version=__version__,
        module="provider",
        out_dir=work / "dist",
        progress=lambda line: print(f"package: {line}", file=sys.stderr),
    )
    return written[0]


def _install_launcher(plugins: Path) -> Path:
    script = Path(sys.executable).parent / "terraform-provider-rackspace"
    subprocess.run([str(script), "install", "--dir", str(plugins)], check=True, timeout=120)
    return next(plugins.glob("*/*/*/*/*/terraform-provider-rackspace_v*"))


def _summary(name: str, samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    return (
        f"{name:<22} median {statistics.median(ms):7.1f} ms   "
        f"min {ms[0]:7.1f}   max {ms[-1]:7.1f}   (n={len(ms)})"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print one line per subject plus the paired ratio."""
    parser = argparse.ArgumentParser(prog="python -m bench.release_handshake")
    parser.add_argument("--zip", type=Path, help="a release zip (default: build one)")
    parser.add_argument("--launches", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-release-") as tmp:
        work = Path(tmp)
        zip_path = args.zip or _build(work)
        frozen = _unpack(zip_path, work / "frozen")
        launcher = _install_launcher(work / "plugins")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "PLUGIN_"))}
        env.update(
            TF_PLUGIN_MAGIC_COOKIE=MAGIC_COOKIE,
            PLUGIN_PROTOCOL_VERSIONS="5,6",
            TMPDIR=str(work),  # sockets of killed providers go away with it
        )
        subjects = {"self-contained build": frozen, "virtualenv launcher": launcher}
        for executable in subjects.values():
            for _ in range(args.warmup):
                handshake_seconds(executable, env)
        samples: dict[str, list[float]] = {name: [] for name in subjects}
        order = list(subjects)
        for i in range(args.launches):
            for name in order if i % 2 == 0 else reversed(order):
                samples[name].append(handshake_seconds(subjects[name], env))
        print(f"zip: {zip_path.name}, {zip_path.stat().st_size / 1e6:.1f} MB")
        for name, values in samples.items():
            print(_summary(name, values))
        a, b = samples[order[0]], samples[order[1]]
        ratios = [x / y for x, y in zip(a, b, strict=True)]
        print(f"paired ratio build/launcher: median {statistics.median(ratios):.2f}")
        shutil.rmtree(work / "frozen", ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
