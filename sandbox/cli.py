"""``rackspace-sandbox``: ``serve`` the emulator, or print the ``env`` exports for the provider."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from sandbox import DEFAULT_PORT
from sandbox.seed import SeedError, load_seed
from sandbox.traffic import FAULT_KINDS, TrafficSettings


def default_db_path() -> str:
    """``$XDG_DATA_HOME/rackspace-sandbox/sandbox.db`` (``~/.local/share`` by default)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return str(Path(base) / "rackspace-sandbox" / "sandbox.db")


def _fault_kinds(values: list[str]) -> tuple[str, ...]:
    kinds = tuple(k for v in values for k in v.split(",") if k)
    bad = set(kinds) - set(FAULT_KINDS)
    if bad or not kinds:
        raise argparse.ArgumentTypeError(f"fault kinds must be among {', '.join(FAULT_KINDS)}")
    return kinds


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be between 0 and 65535, not {port}")
    return port


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (``serve`` and ``env``)."""
    parser = argparse.ArgumentParser(
        prog="rackspace-sandbox",
        description="A local emulator of Rackspace Identity, Cloud Networks and Cloud Servers "
        "(shared IPs), for developing and testing Terraform configurations offline.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="{serve,env}")
    serve = sub.add_parser("serve", help="run the sandbox HTTP server")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=DEFAULT_PORT, help="port (0 picks a free one)")
    serve.add_argument("--db", help=f"SQLite file, or :memory: (default {default_db_path()})")
    serve.add_argument("--seed", help="YAML/JSON seed file applied to an empty database")
    serve.add_argument("--latency-ms", type=int, default=0, help="delay added to every API call")
    serve.add_argument(
        "--fault-rate", type=float, default=0.0, help="share of calls (0..1) that fail"
    )
    serve.add_argument(
        "--fault-kinds",
        nargs="+",
        default=["500,503,drop"],
        help="which failures to inject: 500, 503, drop (default all)",
    )
    serve.add_argument(
        "--rate-limit",
        type=int,
        default=None,
        help="requests per minute per tenant and method class (default unlimited)",
    )
    serve.add_argument(
        "--rate-limit-window",
        type=float,
        default=60.0,
        help="rate-limit window in seconds (default 60)",
    )
    serve.add_argument(
        "--retry-after",
        type=int,
        default=None,
        help="fixed Retry-After seconds for 413 answers (default: computed)",
    )
    serve.add_argument("--token-ttl", type=int, default=86400, help="token lifetime in seconds")
    serve.add_argument(
        "--paginate-ip-addresses",
        action="store_true",
        help="GET ip_addresses honours limit/marker and answers next links (Neutron's "
        "pagination); by default both are ignored, as quark does",
    )
    serve.add_argument("--log-requests", action="store_true", help="one line per request on stderr")
    serve.add_argument(
        "--reset",
        action="store_true",
        help="start from the seed: throw away the stored world and tokens (also accepts an "
        "empty database file)",
    )

    env = sub.add_parser("env", help="print the RACKSPACE_* exports that point the provider here")
    env.add_argument("--host", default="127.0.0.1")
    env.add_argument("--port", type=_port, default=DEFAULT_PORT)
    env.add_argument("--user", default="demo", help="seed user to log in as (default demo)")
    env.add_argument("--region", default=None, help="region (default: the seed's first)")
    env.add_argument("--seed", help="the seed file the sandbox was started with")
    return parser


def env_exports(
    host: str, port: int, user_name: str, region: str | None, seed_path: str | None
) -> dict[str, str]:
    """The ``RACKSPACE_*`` variables for a seed user."""
    seed = load_seed(seed_path)
    user = seed.user(user_name)
    regions = [r.name for r in seed.regions]
    chosen = (region or regions[0]).upper()
    if chosen not in regions:
        raise SeedError(f"region {chosen} is not in the seed (regions: {', '.join(regions)})")
    url_host = f"[{host}]" if ":" in host else host
    exports = {
        "RACKSPACE_AUTH_URL": f"http://{url_host}:{port}/v2.0/",
        "RACKSPACE_USERNAME": user.name,
    }
    if user.api_key:
        exports["RACKSPACE_API_KEY"] = user.api_key
    else:
        exports["RACKSPACE_PASSWORD"] = user.password or ""
    exports["RACKSPACE_REGION"] = chosen
    exports["RACKSPACE_TENANT_ID"] = user.tenant_id
    return exports


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rackspace-sandbox`` console script."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "env":
            exports = env_exports(args.host, args.port, args.user, args.region, args.seed)
            for key, value in exports.items():
                print(f"export {key}={shlex.quote(value)}")
            return 0
        return _serve(args)
    except SeedError as exc:
        print(f"rackspace-sandbox: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug: say so in one line rather than with a traceback
        print(f"rackspace-sandbox: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


def _serve(args: argparse.Namespace) -> int:
    from sandbox.server import ServeOptions, serve

    try:
        traffic = TrafficSettings(
            fault_rate=args.fault_rate,
            fault_kinds=_fault_kinds(args.fault_kinds),
            latency_ms=args.latency_ms,
            rate_limit_per_minute=args.rate_limit,
            rate_limit_window_seconds=args.rate_limit_window,
            retry_after_seconds=args.retry_after,
            token_ttl_seconds=args.token_ttl,
            paginate_ip_addresses=args.paginate_ip_addresses,
        )
        from sandbox.traffic import apply_patch

        apply_patch(traffic, {})  # validates the ranges
    except (ValueError, argparse.ArgumentTypeError) as exc:
        print(f"rackspace-sandbox: {exc}", file=sys.stderr)
        return 2
    db = args.db or default_db_path()
    if db != ":memory:":
        from sandbox.dbfile import PRIVATE_UMASK, DatabaseFileError, prepare

        # Whatever the sandbox creates (the database, its -wal and -shm files) is private.
        os.umask(PRIVATE_UMASK)
        try:
            # The default directory is the sandbox's own; a directory the user named is not.
            prepare(db, private_dir=not args.db, reset=args.reset)
        except DatabaseFileError as exc:
            print(f"rackspace-sandbox: {exc}", file=sys.stderr)
            return 1
    options = ServeOptions(
        host=args.host,
        port=args.port,
        db=db,
        seed=load_seed(args.seed) if args.seed else None,
        default_seed=load_seed(None),
        traffic=traffic,
        echo_requests=args.log_requests,
        reset=args.reset,
    )
    return serve(options)
