"""Start the HTTP server: open the database, seed it if empty, serve until SIGTERM/SIGINT."""

from __future__ import annotations

import logging
import signal
import socket
import sys
import threading
from dataclasses import dataclass
from types import FrameType

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from sandbox import inventory
from sandbox.app import create_app
from sandbox.context import Runtime
from sandbox.dbfile import tighten
from sandbox.seed import Seed, parse_seed
from sandbox.store import DatabaseUnusable, Store
from sandbox.traffic import TrafficControl, TrafficSettings


class _QuietHandler(WSGIRequestHandler):
    """werkzeug's handler without its per-request access log (the sandbox keeps its own).

    It speaks HTTP/1.1 (chunked answers, HTTP/1.1 status lines), but werkzeug 3 still ends
    every answer with `Connection: close`, so each call opens a new connection where the real
    API would keep one alive. That costs the client about 0.15 ms of CPU per call (measured by
    `bench/cpu_per_resource.py`); the bench's numbers for ours include it.
    """

    protocol_version = "HTTP/1.1"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


@dataclass
class ServeOptions:
    """What ``rackspace-sandbox serve`` was asked for."""

    host: str
    port: int
    db: str
    seed: Seed | None  # None: the seed stored in the database, else the default seed
    default_seed: Seed
    traffic: TrafficSettings
    echo_requests: bool = False
    reset: bool = False  # --reset: throw away the stored world, tokens and seed first


def open_runtime(options: ServeOptions) -> tuple[Runtime, bool]:
    """Open (and if empty, seed) the database; returns the runtime and whether it was seeded."""
    store = Store(options.db)
    if options.db != ":memory:":
        for loose in tighten(options.db):
            print(f"rackspace-sandbox: made {loose} private (0600)", file=sys.stderr)
    if options.reset:
        store.wipe_all()
    stored = store.get_meta("seed")
    seeded = False
    if stored is None:
        seed = options.seed or options.default_seed
        with store.tx() as db:
            inventory.apply_seed(db, seed)
        seeded = True
    else:
        seed = options.seed or parse_seed(stored, "stored seed")
    rt = Runtime(
        store=store, seed=seed, traffic=TrafficControl(options.traffic), bind_host=options.host
    )
    return rt, seeded


def build_server(options: ServeOptions) -> tuple[BaseWSGIServer, Runtime, bool]:
    """The bound (not yet serving) threaded server."""
    rt, seeded = open_runtime(options)
    app = create_app(rt, echo_requests=options.echo_requests)
    try:
        listener = _listen(options.host, options.port)
    except OSError:
        rt.store.close()
        raise
    with listener:
        # werkzeug would print its own message and exit on a busy port; binding here first
        # keeps the error ours, and werkzeug serves on a duplicate of the bound socket.
        server = make_server(
            options.host,
            options.port,
            app,
            threaded=True,
            request_handler=_QuietHandler,
            fd=listener.fileno(),
        )
    return server, rt, seeded


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def serve(options: ServeOptions) -> int:
    """Serve until told to stop; returns the exit code."""
    logging.basicConfig(
        stream=sys.stderr, level=logging.WARNING, format="rackspace-sandbox: %(message)s"
    )
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    try:
        server, rt, seeded = build_server(options)
    except DatabaseUnusable as exc:
        print(f"rackspace-sandbox: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(
            f"rackspace-sandbox: cannot listen on {options.host}:{options.port}:"
            f" {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 1
    if options.reset:
        print(
            f"rackspace-sandbox: --reset: {options.db} now holds a fresh world from the seed",
            file=sys.stderr,
        )
    elif not seeded and options.seed is not None:
        print(
            f"rackspace-sandbox: {options.db} already holds a world; --seed is used only by"
            " POST /__sandbox__/reset (start with a fresh --db to apply it now)",
            file=sys.stderr,
        )

    def stop(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    host = server.server_address[0]
    if isinstance(host, bytes):  # typeshed allows bytes; an IP socket's address is a str
        host = host.decode()
    url_host = f"[{host}]" if ":" in host else host
    regions = ", ".join(r.name for r in rt.seed.regions)
    print(
        f"rackspace-sandbox: serving http://{url_host}:{server.server_address[1]}"
        f" (db {options.db}, regions {regions})",
        file=sys.stderr,
        flush=True,
    )
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        rt.store.close()
    print("rackspace-sandbox: stopped", file=sys.stderr, flush=True)
    return 0
