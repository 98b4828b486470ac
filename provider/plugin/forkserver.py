"""The fork server: a per-user background process that imports a provider once and forks a
ready child for every launch Terraform makes.

A launcher (`warm_client`) connects to its unix socket and sends its stdin/stdout/stderr
(SCM_RIGHTS), environment, working directory, umask and arguments. The server forks; the
child takes all of that over and runs the provider's `__main__` exactly as a cold start
would (`runpy`, so `serve()` writes the handshake line on the passed stdout), while the
server reports the child's pid and, later, its exit status to the launcher.

Rules, each with its reason and test (tests/plugin/test_forkserver*.py):

- gRPC is imported, never started here (no server, no channel): after a server has run, a
  gRPC timer thread remains and forking is unsafe. The server checks that it is
  single-threaded before it listens, and refuses to serve otherwise.
- The server closes its copies of the passed descriptors right after the fork, or Terraform
  would never see end-of-file on the provider's stdout.
- Death: the child watches its launcher connection; end-of-file means the launcher died
  (go-plugin's SIGKILL reaches only the launcher; the launcher dies with Terraform through
  PR_SET_PDEATHSIG), and the child stops as on SIGTERM. The server also sends SIGTERM to a
  child whose launcher left, then SIGKILL after `KILL_AFTER_SECONDS`. A child gets
  PR_SET_PDEATHSIG(SIGTERM) for the server itself.
- Only this user: the socket is in a 0700 directory of this user; every connection's peer
  uid (SO_PEERCRED) must be ours.
- Staleness: a launch names the provider version, module and interpreter; the server also
  re-reads the sizes and modification times of the package's files and the mtimes of the
  site directories (a `pip install` changes them). On any difference the launch is answered
  "cold" (the launcher starts cold) and the server hands over: it stops listening, starts a
  fresh server from the new files, waits for its own children and exits.
- Per child: environment, working directory, umask, `tempfile.tempdir`, TMPDIR, locale and
  time zone come from the launcher; `random` is reseeded; logging re-reads its level.
- Lifecycle: exits after `--idle` seconds without launches or children (default 900: one
  working session of plans and applies stays warm; an idle machine gets its memory back),
  refuses to serve when it holds more than `MAX_RSS_BYTES` after importing, and stops
  listening on SIGTERM (then exits once its children are done).

Usage: `python -I -m provider.plugin.forkserver --prog P --version V --module M --socket PATH
[--idle SECONDS]`, as `warm_client.start_server` runs it.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import fcntl
import gc
import importlib
import logging
import os
import selectors
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from provider.plugin import warm_client

__all__ = ["ForkServer", "files_fingerprint", "main", "preload", "prepare_dir"]

log = logging.getLogger("provider.plugin.forkserver")

MAX_RSS_BYTES = 100 * 1024 * 1024
_FILES_CHANGED = "installed files changed"
# Source files, and the loose bytecode files of a self-contained build (--debug noarchive).
_MODULE_SUFFIXES = (".py", ".pyc")
KILL_AFTER_SECONDS = 5.0
REQUEST_TIMEOUT_SECONDS = 5.0
# Third-party modules the SDK imports inside functions, on the serving path (the provider's
# own modules are all imported by walking its package).
_LAZY_IMPORTS = (
    "grpc",
    "grpc_health.v1.health_pb2",
    "concurrent.futures.thread",
    "cryptography.x509",
    "cryptography.hazmat.primitives.asymmetric.ec",
    "cryptography.hazmat.primitives.serialization",
    "cryptography.hazmat.primitives.hashes",
    "json",
    "datetime",
    "tempfile",
    "random",
    "locale",
    "runpy",
    "ctypes",
)


def prepare_dir(directory: str) -> None:
    """Create `directory` (mode 0700, parents as needed) or check an existing one.

    Raises PermissionError when it is not a real directory of this user without group or
    other permissions: someone else could then replace the socket.
    """
    parent = os.path.dirname(directory)
    os.makedirs(parent, mode=0o700, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.mkdir(directory, 0o700)
    if not warm_client.is_private_dir(directory):
        raise PermissionError(f"{directory} is not a 0700 directory owned by uid {os.getuid()}")


def preload(module: str) -> Any:
    """Import `module`, every module of its package and of this SDK (except `__main__`s and
    generated test helpers), and the SDK's lazy third-party imports; return `module`.

    A module that fails to import is logged at debug and skipped: the child would import it
    again and report the error the way a cold start does.
    """
    package = importlib.import_module(module)
    roots = {package.__name__: package}
    sdk = __name__.rsplit(".", 1)[0]
    roots.setdefault(sdk.split(".")[0], importlib.import_module(sdk.split(".")[0]))
    for name in sorted(_submodules(roots.values())):
        _try_import(name)
    for name in _LAZY_IMPORTS:
        _try_import(name)
    return package


def _submodules(packages: Iterable[Any]) -> set[str]:
    names: set[str] = set()
    for package in packages:
        for root in getattr(package, "__path__", []):
            base = Path(root)
            for path in base.rglob("*.py*"):
                if path.suffix not in _MODULE_SUFFIXES:
                    continue
                parts = path.relative_to(base).with_suffix("").parts
                if "__pycache__" in parts or parts[-1] == "__main__":
                    continue
                if parts[-1] == "__init__":
                    parts = parts[:-1]
                if all(part.isidentifier() for part in parts):
                    names.add(".".join((package.__name__, *parts)))
    return names


def _try_import(name: str) -> None:
    try:
        importlib.import_module(name)
    except BaseException as error:  # SystemExit too: a module may not end the server
        log.debug("preload: cannot import %s: %s", name, error)


def _warm_up() -> None:
    """Run once what every child would otherwise run first: the first TLS identity of a
    process costs about 13 ms (OpenSSL loads its EC code and seeds its random generator),
    later ones 0.2 ms. Safe to fork after: OpenSSL (3.x, bundled with cryptography) reseeds
    its generator in a forked child, which test_forkserver_provider checks (two children,
    two different keys). Uses no thread and no gRPC."""
    try:
        from provider.plugin.tls import make_identity

        make_identity()
    except Exception as error:
        log.debug("warm-up: %s", error)


def _package_roots(module: str) -> list[str]:
    package = sys.modules[module]
    roots = list(getattr(package, "__path__", []))
    sdk_top = sys.modules[__name__.split(".")[0]]
    roots += [r for r in getattr(sdk_top, "__path__", []) if r not in roots]
    return roots


def files_fingerprint(roots: Iterable[str], site_dirs: Iterable[str]) -> frozenset[Any]:
    """What must not change under a running server: (path, size, mtime_ns) of every `.py`
    (and loose `.pyc`) file under `roots` and of the interpreter, and (path, mtime_ns) of
    every directory in `site_dirs`.

    A new, removed, edited or replaced file changes it; so does a `pip install` or `pip
    uninstall` into a site directory (it adds or removes entries there). About 0.3 ms for the
    provider's ~60 files on this machine.
    """
    entries: set[Any] = set()
    stack = list(roots)
    while stack:
        directory = stack.pop()
        try:
            scan = list(os.scandir(directory))
        except OSError:
            entries.add((directory, "missing"))
            continue
        for entry in scan:
            if entry.name == "__pycache__":
                continue
            if entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)
            elif entry.name.endswith(_MODULE_SUFFIXES):
                try:
                    st = entry.stat()
                except OSError:
                    continue
                entries.add((entry.path, st.st_size, st.st_mtime_ns))
    for directory in site_dirs:
        try:
            entries.add((directory, os.stat(directory).st_mtime_ns))
        except OSError:
            entries.add((directory, "missing"))
    # The interpreter (or a self-contained build's executable) replaced in place.
    try:
        st = os.stat(sys.executable)
        entries.add((sys.executable, st.st_size, st.st_mtime_ns))
    except OSError:
        entries.add((sys.executable, "missing"))
    return frozenset(entries)


def _site_dirs() -> list[str]:
    """The site-packages (dist-packages) directories on sys.path: `pip install` and `pip
    uninstall` add or remove entries there, which changes their mtime. Other sys.path
    entries (a script's folder, PYTHONPATH) change for unrelated reasons; the package's own
    files are watched one by one instead."""
    return [
        entry
        for entry in sys.path
        if os.path.basename(entry.rstrip(os.sep)) in ("site-packages", "dist-packages")
        and os.path.isdir(entry)
    ]


def rss_bytes() -> int:
    """This process's resident set size in bytes (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def thread_count() -> int:
    """OS threads in this process (Linux /proc/self/task; Python's own count elsewhere): a
    thread started by a C extension is invisible to `threading` but not to the kernel."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


@dataclass
class _Child:
    conn: socket.socket
    launcher_gone_at: float | None = None


@dataclass
class ForkServer:
    """One fork server: the preloaded `module`, its socket at `path`, its children.

    `prog`, `version` and `module` are what a launch must name (with this interpreter) to be
    served; `idle_seconds` is how long it lives without launches or children.
    """

    prog: str
    version: str
    module: str
    path: str
    idle_seconds: float
    lock_fd: int
    listener: socket.socket | None = None
    children: dict[int, _Child] = field(default_factory=dict)
    fingerprint: frozenset[Any] = frozenset()
    roots: list[str] = field(default_factory=list)
    site_dirs: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.time)
    draining: bool = False
    launches: int = 0
    last_activity: float = field(default_factory=time.monotonic)

    def load(self) -> None:
        """Import everything, then check what forking needs. Raises RuntimeError when the
        package holds another version, a thread was started, or memory is over the limit."""
        package = preload(self.module)
        found = getattr(package, "__version__", None)
        if found != self.version:
            raise RuntimeError(f"{self.module} is version {found}, launches ask for {self.version}")
        _warm_up()
        self.roots = _package_roots(self.module)
        self.site_dirs = _site_dirs()
        self.fingerprint = files_fingerprint(self.roots, self.site_dirs)
        # Objects imported so far never change: keep the collector from touching (and so
        # copying) their pages in every child (gc.freeze, Python 3.7+).
        gc.collect()
        gc.freeze()
        if thread_count() != 1:
            raise RuntimeError(f"{thread_count()} threads after importing: forking is unsafe")
        if rss_bytes() > MAX_RSS_BYTES:
            raise RuntimeError(f"holds {rss_bytes() >> 20} MB after importing (limit 100 MB)")

    def listen(self) -> None:
        """Bind the socket (replacing a dead server's: we hold the lock) and listen."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)
        try:
            listener.bind(self.path)
        finally:
            os.umask(old)
        listener.listen(128)
        listener.setblocking(False)
        self.listener = listener

    def run(self) -> NoReturn:
        """Serve launches until idle (or drained after SIGTERM or a stale launch); exit 0."""
        wake_r, wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)
        signal.signal(signal.SIGTERM, lambda signum, frame: self._drain("SIGTERM"))
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        selector = selectors.DefaultSelector()
        selector.register(wake_r, selectors.EVENT_READ, "wake")
        if self.listener is not None:
            selector.register(self.listener, selectors.EVENT_READ, "accept")
        self._selector = selector
        self._wake = (wake_r, wake_w)
        log.debug(
            "fork server %d serving %s %s on %s", os.getpid(), self.module, self.version, self.path
        )
        while True:
            self._reap()
            if self.draining and self.listener is not None:
                selector.unregister(self.listener)
                self._close_listener()
            if not self.children and (
                self.draining or time.monotonic() - self.last_activity >= self.idle_seconds
            ):
                break
            for key, _ in selector.select(self._timeout()):
                if key.data == "wake":
                    with contextlib.suppress(OSError):
                        os.read(wake_r, 4096)
                elif key.data == "accept":
                    self._accept()
                else:
                    self._launcher_closed(key.data)
            self._escalate()
        self._close_listener()
        log.debug("fork server %d exiting", os.getpid())
        os._exit(0)

    def _timeout(self) -> float:
        if any(c.launcher_gone_at is not None for c in self.children.values()):
            return 0.5
        if self.children:
            return 60.0
        return max(0.05, self.idle_seconds - (time.monotonic() - self.last_activity))

    def _close_listener(self) -> None:
        if self.listener is None:
            return
        # The path is ours while we hold the lock: a successor takes the lock after this.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        self.listener.close()
        self.listener = None
        os.close(self.lock_fd)
        self.lock_fd = -1

    def _drain(self, why: str) -> None:
        log.debug("fork server %d stops listening (%s)", os.getpid(), why)
        self.draining = True

    def _accept(self) -> None:
        assert self.listener is not None
        try:
            conn, _ = self.listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        try:
            self._serve_connection(conn)
        except Exception as error:
            log.debug("fork server: dropped a connection: %s", error)
            conn.close()

    def _serve_connection(self, conn: socket.socket) -> None:
        conn.setblocking(True)
        conn.settimeout(REQUEST_TIMEOUT_SECONDS)
        uid = warm_client.peer_uid(conn)
        if uid != os.getuid():
            log.warning("fork server: refused a connection from uid %d", uid)
            conn.close()
            return
        raw, fds = _read_request(conn)
        try:
            request = _decoded(raw)
            op = request.get("op") if isinstance(request, dict) else None
            if op == "status":
                warm_client.write_message(conn, self.status())
                conn.close()
                return
            if op != "launch" or len(fds) != 3:
                warm_client.write_message(conn, {"cold": "not a launch request"})
                conn.close()
                return
            stale = self._stale(request)
            if stale or self.draining:
                warm_client.write_message(conn, {"cold": stale or "the fork server is stopping"})
                conn.close()
                # Only new files call for a new server: a launcher that names another version
                # or interpreter (a hash collision, an old compiled client) starts cold.
                if stale == _FILES_CHANGED:
                    self._hand_over(stale)
                return
            if _peer_closed(conn):
                # The launcher gave up waiting and started cold: a child now would write a
                # second handshake line on the same stdout.
                conn.close()
                return
            self.last_activity = time.monotonic()
            pid = os.fork()
            if pid == 0:
                self._become_child(conn, fds, request)
        finally:
            # Right after the fork (and on every other path): the child holds the launcher's
            # stdio now, and a copy here would keep Terraform from seeing end-of-file.
            for fd in fds:
                os.close(fd)
        self.launches += 1
        self.children[pid] = _Child(conn)
        self._selector.register(conn, selectors.EVENT_READ, pid)
        warm_client.write_message(conn, {"pid": pid})

    def status(self) -> dict[str, Any]:
        """What a `status` request answers (for tests and diagnosis): pid, start time (epoch
        seconds), OS threads, resident bytes, children's pids, launches forked so far, version,
        socket path."""
        return {
            "pid": os.getpid(),
            "started": self.started,
            "threads": thread_count(),
            "rss": rss_bytes(),
            "children": sorted(self.children),
            "launches": self.launches,
            "version": self.version,
            "path": self.path,
        }

    def _stale(self, request: dict[str, Any]) -> str:
        """Why this server must not serve `request` ("" when it may)."""
        if request.get("protocol") != warm_client.PROTOCOL:
            return "launcher protocol differs"
        for key, ours in (
            ("version", self.version),
            ("module", self.module),
            ("executable", sys.executable),
        ):
            if request.get(key) != ours:
                return f"{key} differs ({request.get(key)!r}, serving {ours!r})"
        if files_fingerprint(self.roots, self.site_dirs) != self.fingerprint:
            return _FILES_CHANGED
        return ""

    def _hand_over(self, why: str) -> None:
        """Stop listening, start a fresh server (new code) on the same socket, exit when
        drained; the successor takes the lock once this one has let it go."""
        log.info("fork server %d is stale (%s); starting a fresh one", os.getpid(), why)
        self._drain(why)
        if self.listener is not None:
            self._selector.unregister(self.listener)
            self._close_listener()
        # The same command line and environment: a server started by a launcher has the
        # minimal environment the launcher gave it, one started by hand keeps its own.
        warm_client.spawn_detached(_own_command(), dict(os.environ))

    def _launcher_closed(self, pid: int) -> None:
        child = self.children.get(pid)
        if child is None:
            return
        with contextlib.suppress(OSError):
            if child.conn.recv(4096, socket.MSG_DONTWAIT):
                return  # the launcher never writes after its request; drop stray bytes
        self._selector.unregister(child.conn)
        if child.launcher_gone_at is None:
            log.debug("fork server: launcher of child %d went away; stopping it", pid)
            child.launcher_gone_at = time.monotonic()
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    def _escalate(self) -> None:
        now = time.monotonic()
        for pid, child in self.children.items():
            if (
                child.launcher_gone_at is not None
                and now - child.launcher_gone_at > KILL_AFTER_SECONDS
            ):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)

    def _reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            child = self.children.pop(pid, None)
            if child is None:
                continue
            self.last_activity = time.monotonic()
            if child.launcher_gone_at is None:
                with contextlib.suppress(KeyError, ValueError):
                    self._selector.unregister(child.conn)
            if os.WIFSIGNALED(status):
                message = {"signal": os.WTERMSIG(status)}
            else:
                message = {"exit": os.waitstatus_to_exitcode(status)}
            with contextlib.suppress(OSError):
                child.conn.settimeout(1.0)
                warm_client.write_message(child.conn, message)
            child.conn.close()

    def _become_child(
        self, conn: socket.socket, fds: list[int], request: dict[str, Any]
    ) -> NoReturn:
        """In the forked child: take over the launch and run the provider; never returns."""
        code = 1
        try:
            server_pid = os.getppid()
            signal.set_wakeup_fd(-1)
            for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
                signal.signal(signum, signal.SIG_DFL)
            # What a fresh interpreter has (serve() then ignores it: Terraform owns Ctrl-C).
            signal.signal(signal.SIGINT, signal.default_int_handler)
            self._selector.close()
            for fd in self._wake:
                os.close(fd)
            if self.listener is not None:
                self.listener.close()
            if self.lock_fd >= 0:
                os.close(self.lock_fd)
            for other in self.children.values():
                other.conn.close()
            warm_client.set_parent_death_signal(signal.SIGTERM)
            if os.getppid() != server_pid:
                os._exit(1)
            for target, fd in enumerate(fds):
                os.dup2(fd, target)
            for fd in fds:
                if fd > 2:
                    os.close(fd)
            _adopt(request)
            conn.settimeout(None)
            threading.Thread(
                target=_watch_launcher, args=(conn,), name="launcher-watch", daemon=True
            ).start()
            import runpy

            runpy.run_module(self.module, run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as exit_:
            code = _exit_code(exit_.code)
        except BaseException as error:
            # Never a traceback in front of a user: one hclog line on stderr.
            with contextlib.suppress(BaseException):
                log.error("the provider failed in a warm child: %s", error, exc_info=True)
        finally:
            with contextlib.suppress(BaseException):
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(code)


def _decoded(value: Any) -> Any:
    """`value` with every bytes object turned into str the way os.environ does it
    (os.fsdecode): the compiled client sends environment, paths and arguments as bytes."""
    if isinstance(value, bytes):
        return os.fsdecode(value)
    if isinstance(value, dict):
        return {_decoded(k): _decoded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decoded(v) for v in value]
    return value


def _own_command() -> list[str]:
    """The command line that started this server (a self-contained build's bootloader
    hands Python its own argv; sys.argv is the one to repeat there)."""
    if getattr(sys, "frozen", False):
        return [sys.executable, *sys.argv[1:]]
    return list(sys.orig_argv)


def _peer_closed(conn: socket.socket) -> bool:
    """True when the other end has closed (the launcher never writes after its request, so
    readable-with-no-data can only mean end-of-file)."""
    timeout = conn.gettimeout()
    conn.setblocking(False)  # with a timeout set, recv would first wait for data
    try:
        return conn.recv(1, socket.MSG_PEEK) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        conn.settimeout(timeout)


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    with contextlib.suppress(BaseException):
        sys.stderr.write(f"{code}\n")
    return 1


def _adopt(request: dict[str, Any]) -> None:
    """Take the launcher's process state: environment, cwd, umask, argv, temp dir, locale,
    time zone, a fresh `random` seed, and the log level its environment asks for."""
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    os.umask(int(request["umask"]))
    sys.argv = [sys.argv[0], *request["argv"]]
    import tempfile

    tempfile.tempdir = None  # recomputed from TMPDIR on first use
    time.tzset()
    import locale

    with contextlib.suppress(locale.Error):
        locale.setlocale(locale.LC_CTYPE, "")
    import random

    random.seed()  # os.fork reseeds too (register_at_fork); explicit, so a test can rely on it
    # Log records go through the SDK's handler, which writes to whatever sys.stderr is at emit
    # time (now the launcher's stderr); its level comes from TF_LOG* of the new environment.
    from provider.plugin import logging as plugin_logging

    plugin_logging.configure()


def _watch_launcher(conn: socket.socket) -> None:
    """Stop this child when its launcher goes away (end-of-file on the connection)."""
    with contextlib.suppress(OSError):
        while conn.recv(4096):
            pass  # the launcher sends nothing after its request; keep waiting for EOF
    log.warning("the launcher went away (Terraform stopped it); stopping")
    os.kill(os.getpid(), signal.SIGTERM)  # serve() stops cleanly and removes its socket dir
    time.sleep(KILL_AFTER_SECONDS)
    os._exit(1)


def _read_request(conn: socket.socket) -> tuple[Any, list[int]]:
    """One request frame and the descriptors that came with it."""
    data, fds, flags, _ = socket.recv_fds(conn, 65536, 3)
    fds = list(fds)
    try:
        if flags & socket.MSG_CTRUNC:
            raise ValueError("descriptors truncated")
        while len(data) < 4:
            more = conn.recv(65536)
            if not more:
                raise EOFError("connection closed")
            data += more
        size = int.from_bytes(data[:4], "big")
        if size > warm_client.MAX_MESSAGE:
            raise ValueError(f"request of {size} bytes is too large")
        body = bytearray(data[4:])
        while len(body) < size:
            more = conn.recv(size - len(body))
            if not more:
                raise EOFError("connection closed")
            body += more
        import marshal

        return marshal.loads(bytes(body)), fds
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise


def main(argv: list[str] | None = None) -> int:
    """Run a fork server (see the module docstring); 0 also when another one already runs."""
    parser = argparse.ArgumentParser(prog="forkserver")
    parser.add_argument("--prog", required=True)
    parser.add_argument("--version", required=True)
    parser.add_argument("--module", required=True)
    parser.add_argument("--socket", required=True)
    parser.add_argument("--idle", type=float, default=warm_client.DEFAULT_IDLE_SECONDS)
    args = parser.parse_args(argv)
    from provider.plugin import logging as plugin_logging

    plugin_logging.configure()
    path = os.path.abspath(args.socket)
    if len(os.fsencode(path)) > warm_client.MAX_SOCKET_PATH:
        log.debug("fork server cannot start: the socket path %s is too long", path)
        return 1  # before importing anything: bind() would refuse it after
    try:
        prepare_dir(os.path.dirname(path))
        lock_fd = os.open(path + ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as error:
        log.debug("fork server cannot start: %s", error)
        return 1
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            return 0  # another server runs (or is starting) for this socket
        raise
    server = ForkServer(args.prog, args.version, args.module, path, args.idle, lock_fd)
    try:
        server.load()
        # Keep no launcher's working directory busy (an unmount, a removed checkout).
        os.chdir("/")
        server.listen()
    except Exception as error:
        log.warning("fork server cannot serve: %s", error)
        return 1
    server.run()


if __name__ == "__main__":
    sys.exit(main())
