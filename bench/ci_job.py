"""A CI job from nothing, warm against cold: the measurement behind warm launches staying on
in CI (README, "Warm launches").

    .venv/bin/python -m bench.ci_job [--rounds 4] [--count 10]

Each round runs `terraform apply`, `plan` and `destroy` of `--count` associations in a fresh
directory twice, in alternating order: once with warm launches as CI gets them (`CI=true`,
no fork server running, a fresh socket directory: the job's first launch starts the server)
and once with `TERRAFORM_PROVIDER_RACKSPACE_WARM=0`. The fork server is stopped after each
warm job, so every job starts from nothing, as on a fresh CI agent.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.mirror import write_cli_config
from bench.ours import PROG, OursCold
from bench.terraform import Workspace, find_terraform

_PREFIX = PROG.upper().replace("-", "_")


def main(argv: list[str] | None = None) -> int:
    """Run the rounds and print both medians and their ratio."""
    parser = argparse.ArgumentParser(prog="bench.ci_job")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--count", type=int, default=10)
    args = parser.parse_args(argv)
    from tests.plugin.forkserver_support import stop_everything_under

    work = Path(tempfile.mkdtemp(prefix="bench-ci-", dir="/tmp"))
    terraform = find_terraform(None)
    cli_config = write_cli_config(work / "mirror", work / "terraformrc")
    ours = OursCold(work / "ours")  # one sandbox; each job sets its own warm settings
    ours.install(work / "mirror")
    ours.prepare(args.count)
    times: dict[str, list[float]] = {"cold": [], "warm": []}
    try:
        for round_ in range(args.rounds):
            for mode in ("cold", "warm") if round_ % 2 == 0 else ("warm", "cold"):
                directory = work / f"{mode}-{round_}"
                directory.mkdir()
                sockets = Path(tempfile.mkdtemp(prefix="bench-ci-warm-", dir="/tmp"))
                env = ours.env()
                if mode == "warm":
                    del env[_PREFIX + "_WARM"]
                    env.update({"CI": "true", _PREFIX + "_WARM_DIR": str(sockets / "s")})
                workspace = Workspace(terraform, directory, cli_config, env)
                ours.write_config(directory, args.count)
                workspace.init()
                start = time.perf_counter()
                workspace.apply()
                workspace.plan()
                workspace.destroy()
                times[mode].append(time.perf_counter() - start)
                stop_everything_under(sockets)
                shutil.rmtree(sockets, ignore_errors=True)
    finally:
        ours.close()
        shutil.rmtree(work, ignore_errors=True)
    print(f"Terraform {terraform.version}; apply+plan+destroy of {args.count}, from no server")
    for mode, samples in times.items():
        shown = ", ".join(f"{s:.2f}" for s in samples)
        print(f"{mode}: median {statistics.median(samples):.2f} s ({shown})")
    ratio = statistics.median(times["warm"]) / statistics.median(times["cold"])
    print(f"warm / cold: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
