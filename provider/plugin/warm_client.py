"""The warm path of the launcher: hand this launch to a running fork server, or start one.

Terraform starts a provider 3-5 times per command; a cold Python start costs 0.12-0.23 s each
time. A fork server (`provider.plugin.forkserver`) holds the imported provider and forks a
ready child per launch. This module is the launcher half of that: it connects to the fork
unix socket of the server, checks that the server runs as this user (owner and mode of the socket
directory, then SO_PEERCRED), sends its stdin/stdout/stderr (SCM_RIGHTS) with the environment,
working directory, umask and arguments, relays signals to the child and exits with the
status of the child. The child writes the handshake line on the passed stdout itself.

When warm launches are off, no fork server runs, or anything here fails, `launch()` returns
and the launcher goes on with the cold start of today. If no server was found it first starts one
in the background (detached: its own session, stdio on /dev/null), so the next launch is warm
and this one is never slower than a cold start by more than the fork of a small process.

How this code runs: `install.launcher_script` embeds the source of this file verbatim in
the launcher (the `-c` argument of `python -I -S`, in single quotes), so the launcher bytes
still depend only on the provider version. Before `site` runs, only the standard library is
importable, so it imports only modules that are built in or cheap (`_socket`, `_signal`,
`marshal`; not `socket`, `signal` or `json`, which pull in `enum` and `re`, about 3 ms). The
file may not contain a single quote. The fork server imports it as a module for the names
both sides share.

Environment (`<PREFIX>` is the name of the executable upper-cased, `-` as `_`, such as
`TERRAFORM_PROVIDER_RACKSPACE`):

- `<PREFIX>_WARM`: `1`/`true`/`yes`/`on` turns warm launches on, `0`/`false`/`no`/`off` off.
  Unset: `DEFAULT_ON` (on), in CI too.
- `<PREFIX>_WARM_DIR`: the directory holding the socket (default below); it must be a
  directory owned by this user with no group or other permissions, or the warm path is off.
- `<PREFIX>_WARM_IDLE`: seconds a fork server stays without launches, read when a launcher
  starts one. Default 900, or `CI_IDLE_SECONDS` (60) when a truthy `CI` is set (GitHub Actions,
  GitLab CI, CircleCI, Travis, Buildkite...).

Why on in CI, with a short idle period: Terraform starts the provider 3-5 times per command,
so the server the first launch starts already serves the rest of the same job; a Gradle
daemon on a throwaway agent serves one build and then only lingers, which is why Gradle ties
its advice to the agent lifecycle. As Bazel advises for automated builds (a server always,
`--max_idle_secs` short), the idle period in CI is what bounds the server to the job: it is
gone a minute after the last Terraform command instead of fifteen.

Default socket directory: `$XDG_RUNTIME_DIR/<prog>` (a per-user 0700 tmpfs on systemd
machines), else `~/.cache/<prog>/warm` with `~` from the password database, not `HOME`.
Never a fixed name in a shared /tmp, which another user could create first.
"""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]  # signal without its enum module: ~1 ms
import _socket
import marshal
import os
import sys

PROTOCOL = 1
# The longest unix socket path Linux binds (sun_path is 108 bytes with its terminating NUL).
MAX_SOCKET_PATH = 107
# On by default, in CI too (see the module docstring); the compiled client is built with it.
DEFAULT_ON = True
# One working session of plans and applies stays warm; an idle machine gets its memory back.
DEFAULT_IDLE_SECONDS = 900.0
# With CI set: long enough for the next command of the same job, short enough that a server
# on a long-lived agent does not outlast its job by much.
CI_IDLE_SECONDS = 60.0
MAX_MESSAGE = 16 * 1024 * 1024
# Signals the launcher passes on to the child. SIGKILL cannot be caught: the closed
# connection tells the child instead.
RELAYED_SIGNALS = (
    _signal.SIGTERM,
    _signal.SIGINT,
    _signal.SIGHUP,
    _signal.SIGQUIT,
    _signal.SIGUSR1,
    _signal.SIGUSR2,
)
# How often the launcher looks whether Terraform is still its parent (PR_SET_PDEATHSIG is set
# too where Linux offers it; this covers the moment before it is set, and other systems).
PARENT_POLL_SECONDS = 0.5
# Set by Terraform (go-plugin) in every provider it launches; the child checks its value.
MAGIC_COOKIE_KEY = "TF_PLUGIN_MAGIC_COOKIE"
# The first argument that makes a self-contained build run as the fork server (Terraform
# starts providers without arguments).
FORKSERVER_ARG = "__forkserver__"
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")
# Variables the fork server itself keeps; the children get the launcher environment instead.
_SERVER_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "XDG_RUNTIME_DIR")


class Cold(Exception):
    """This launch must start cold; str(error) says why (logged at debug)."""


def env_prefix(prog: str) -> str:
    """`TERRAFORM_PROVIDER_RACKSPACE` for `terraform-provider-rackspace`."""
    return prog.upper().replace("-", "_")


def warm_enabled(prog: str, environ: dict[str, str] | os._Environ[str]) -> bool:
    """Whether this launch may use a fork server (see the module docstring for the rules)."""
    raw = environ.get(env_prefix(prog) + "_WARM")
    if raw is not None:
        return raw.strip().lower() in _TRUE
    return DEFAULT_ON


def idle_seconds(prog: str, environ: dict[str, str] | os._Environ[str]) -> str:
    """The `--idle` a launcher gives the server it starts, as text (`<PREFIX>_WARM_IDLE`, else
    `CI_IDLE_SECONDS` under a truthy `CI`); empty: the server default."""
    explicit = environ.get(env_prefix(prog) + "_WARM_IDLE", "").strip()
    if explicit:
        return explicit
    if environ.get("CI", "").strip().lower() not in _FALSE:
        return str(CI_IDLE_SECONDS)
    return ""


def socket_dir(prog: str, environ: dict[str, str] | os._Environ[str]) -> str:
    """The directory that holds the fork server sockets of this user (absolute path)."""
    explicit = environ.get(env_prefix(prog) + "_WARM_DIR", "")
    if explicit:
        return os.path.abspath(explicit)
    runtime = environ.get("XDG_RUNTIME_DIR", "")
    if runtime and os.path.isabs(runtime):
        return os.path.join(runtime, prog)
    import pwd

    home = pwd.getpwuid(os.getuid()).pw_dir
    return os.path.join(home, ".cache", prog, "warm")


def socket_name(version: str, executable: str) -> str:
    """The file name of the socket: one fork server per provider version and interpreter path.

    The interpreter path is hashed (64-bit FNV-1a, hex: short enough for the 107-byte socket
    path limit, and cheap to compute in the compiled client too), not resolved: two
    virtualenvs share one real Python but hold different packages. A collision would only
    make two servers take turns: every launch names its version and interpreter, and a
    server answers a mismatch with a cold start.
    """
    digest = 0xCBF29CE484222325
    for byte in version.encode() + b"\0" + os.fsencode(executable):
        digest = ((digest ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return "v" + version + "-" + format(digest, "016x") + ".sock"


def is_private_dir(path: str) -> bool:
    """True when `path` is a real directory (not a link) of this user with mode 0700 or less."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return (
        (st.st_mode & 0o170000) == 0o040000
        and st.st_uid == os.getuid()
        and not (st.st_mode & 0o077)
    )


def write_message(sock: _socket.socket, message: object, fds: tuple[int, ...] = ()) -> None:
    """Send one frame: a 4-byte big-endian length and `marshal.dumps(message)`, with `fds`
    attached (SCM_RIGHTS) to its first bytes. Both sides run the same interpreter (the socket
    name holds its path), so the marshal format is shared; peers are this user (SO_PEERCRED)."""
    data = marshal.dumps(message)  # type: ignore[arg-type]  # typing is not imported here
    frame = len(data).to_bytes(4, "big") + data
    if fds:
        rights = b"".join(fd.to_bytes(4, sys.byteorder, signed=True) for fd in fds)
        sent = sock.sendmsg([frame], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, rights)])
        frame = frame[sent:]
    if frame:
        sock.sendall(frame)


def read_message(sock: _socket.socket) -> object:
    """Receive one frame written by `write_message` (without descriptors).

    Raises EOFError when the peer closed the connection before a whole frame arrived."""
    head = _read_exactly(sock, 4)
    size = int.from_bytes(head, "big")
    if size > MAX_MESSAGE:
        raise ValueError("message of " + str(size) + " bytes is too large")
    return marshal.loads(_read_exactly(sock, size))


def _read_exactly(sock: _socket.socket, size: int) -> bytes:
    chunks = []
    while size:
        chunk = sock.recv(min(size, 1 << 20))
        if not chunk:
            raise EOFError("connection closed")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def peer_uid(sock: _socket.socket) -> int:
    """The uid of the process at the other end of a connected unix socket (Linux SO_PEERCRED:
    struct ucred = pid, uid, gid as three C ints)."""
    creds = sock.getsockopt(_socket.SOL_SOCKET, _socket.SO_PEERCRED, 12)
    return int.from_bytes(creds[4:8], sys.byteorder)


def connect(path: str, timeout: float | None = None) -> _socket.socket:
    """A connection to the fork server at `path` after checking it runs as this user.

    Raises `FileNotFoundError`/`ConnectionRefusedError` when no server listens there (start
    one), `Cold` when the directory or the server belongs to someone else (start nothing).
    """
    if not is_private_dir(os.path.dirname(path)):
        raise Cold("the socket directory is not a 0700 directory of this user")
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(path)
        # Checked on the connection itself, not on the path: nothing can swap it in between.
        if peer_uid(sock) != os.getuid():
            raise Cold("the fork server runs as another user")
    except BaseException:
        sock.close()
        raise
    return sock


def launch(prog: str, version: str, module: str, server_module: str, argv: list[str]) -> None:
    """Serve this launch through the fork server and exit the process with the status of the child.

    Returns (having done nothing visible) when the launch must start cold: not a launch by
    Terraform (no magic cookie), warm launches are off, no fork server runs (one is started
    in the background), or anything failed; the reason is logged at debug on stderr as an
    hclog JSON line.
    """
    if not os.environ.get(MAGIC_COOKIE_KEY) or not warm_enabled(prog, os.environ):
        return  # launches by Terraform only: a person running --version starts no server
    try:
        _launch(prog, version, module, server_module, argv)
    except Exception as error:
        _debug("warm launch unavailable, starting cold: " + str(error or type(error).__name__))


def _launch(prog: str, version: str, module: str, server_module: str, argv: list[str]) -> None:
    directory = socket_dir(prog, os.environ)
    path = os.path.join(directory, socket_name(version, sys.executable))
    if len(os.fsencode(path)) > MAX_SOCKET_PATH:
        # No server can bind it, and connect() would fail with a less telling error.
        raise Cold("the socket path is over 107 bytes; set " + env_prefix(prog) + "_WARM_DIR")
    parent = os.getppid()
    try:
        if not os.path.lexists(directory):
            raise FileNotFoundError(directory)  # the server makes it, with mode 0700
        sock = connect(path, timeout=10.0)
    except (FileNotFoundError, ConnectionRefusedError):
        start_server(prog, version, module, server_module, path)
        raise Cold("no fork server was running; started one") from None
    mask = os.umask(0o077)
    os.umask(mask)
    request = {
        "protocol": PROTOCOL,
        "op": "launch",
        "version": version,
        "module": module,
        "executable": sys.executable,
        "argv": list(argv),
        "env": dict(os.environ),
        "cwd": os.getcwd(),
        "umask": mask,
    }
    write_message(sock, request, (0, 1, 2))
    try:
        reply = read_message(sock)
    except BaseException:
        # Closed before the cold start begins: the server checks for that right before it
        # forks, so no child can write a second handshake line on this stdout.
        sock.close()
        raise
    if not isinstance(reply, dict) or "pid" not in reply:
        sock.close()
        raise Cold("the fork server answered " + repr(reply))
    relay(sock, int(reply["pid"]), parent)


def relay(sock: _socket.socket, child: int, parent: int) -> None:
    """Pass signals on to `child` until the fork server reports its exit; then exit the same
    way (status, or the same signal). Exits 1 when Terraform (`parent`) goes away or the fork
    server closes the connection without a status. Never returns."""

    def forward(signum: int, frame: object) -> None:
        try:  # noqa: SIM105 - contextlib is not imported on this path
            os.kill(child, signum)
        except OSError:
            pass

    for signum in RELAYED_SIGNALS:
        _signal.signal(signum, forward)
    # The child holds stdin/stdout now; copies in the launcher would only keep the pipes open.
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)
    sock.settimeout(PARENT_POLL_SECONDS)
    deathsig_set = False
    while True:
        try:
            # Wait for the first byte only: a timeout can then never split a frame.
            sock.recv(1, _socket.MSG_PEEK)
            sock.settimeout(None)
            reply = read_message(sock)
            break
        except TimeoutError:
            pass
        except (EOFError, OSError, ValueError):
            reply = None
            break
        if not deathsig_set:
            # Off the start-up path: ctypes costs a few ms, spent after the child answered.
            deathsig_set = True
            set_parent_death_signal(_signal.SIGKILL)
        if os.getppid() != parent:
            os._exit(1)  # Terraform is gone; the closed connection stops the child
    if isinstance(reply, dict) and "signal" in reply:
        signum = int(reply["signal"])
        _signal.signal(signum, _signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        os._exit(128 + signum)
    if isinstance(reply, dict) and "exit" in reply:
        os._exit(int(reply["exit"]) & 0xFF)
    os._exit(1)


def set_parent_death_signal(signum: int) -> bool:
    """Ask Linux to send `signum` to this process when its parent dies (PR_SET_PDEATHSIG).

    Returns False where that is not available. The caller must still compare os.getppid()
    with the parent it knows: a parent that died before the call sends nothing.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(1, signum, 0, 0, 0)) == 0  # 1 = PR_SET_PDEATHSIG
    except Exception:
        return False


def server_command(
    prog: str, version: str, module: str, server_module: str, path: str
) -> list[str]:
    """The command line of the fork server (run with the interpreter of the launcher)."""
    if getattr(sys, "frozen", False):
        # A self-contained build: its executable runs the server (see `frozen_main`).
        command = [sys.executable, FORKSERVER_ARG]
    else:
        command = [sys.executable, "-I", "-m", server_module]
    command += ["--prog", prog, "--version", version, "--module", module, "--socket", path]
    idle = idle_seconds(prog, os.environ)
    if idle:
        command += ["--idle", idle]
    return command


def server_environment(prog: str) -> dict[str, str]:
    """The own environment of the fork server: no credentials, only what locating files needs."""
    prefix = env_prefix(prog) + "_WARM"
    return {k: v for k, v in os.environ.items() if k in _SERVER_ENV or k.startswith(prefix)}


def start_server(prog: str, version: str, module: str, server_module: str, path: str) -> None:
    """Start a fork server in the background (see `spawn_detached`). It exits at once when
    another one holds the lock of its socket."""
    spawn_detached(
        server_command(prog, version, module, server_module, path), server_environment(prog)
    )


def spawn_detached(command: list[str], environment: dict[str, str]) -> None:
    """Run `command` detached: double fork (not our child, so never a zombie of ours), its
    own session (no terminal, no signals for our process group), stdio on /dev/null and no
    other inherited descriptors. Returns once the intermediate process has exited."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            if os.fork() == 0:
                null = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(null, fd)
                os.closerange(3, os.sysconf("SC_OPEN_MAX"))
                os.execve(command[0], command, environment)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def _debug(message: str) -> None:
    """One hclog JSON line on stderr when Terraform asked for debug or trace logs."""
    level = (os.environ.get("TF_LOG_PROVIDER") or os.environ.get("TF_LOG") or "").strip().upper()
    if not level or level in ("INFO", "WARN", "WARNING", "ERROR", "OFF"):
        return
    import time

    now = time.time()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now))
    stamp += f".{int(now % 1 * 1e6):06d}Z"
    fields = (
        ("@level", "debug"),
        ("@message", message),
        ("@module", "provider.launcher"),
        ("@timestamp", stamp),
    )
    line = "{" + ",".join(_json_string(k) + ":" + _json_string(v) for k, v in fields) + "}\n"
    try:  # noqa: SIM105 - contextlib is not imported on this path
        os.write(2, line.encode())
    except OSError:
        pass


def _json_string(text: str) -> str:
    """`text` as a JSON string (json itself imports re: too slow for the launcher)."""
    quote = chr(34)  # no quote characters in this source: see the module docstring
    escaped = "".join(
        c if " " <= c < "\x7f" and c not in (quote, "\\") else f"\\u{ord(c):04x}" for c in text
    )
    return quote + escaped + quote


def frozen_main(prog: str, version: str, module: str, server_module: str) -> None:
    """Entry point of a self-contained (PyInstaller) build: the fork server when the first
    argument is `FORKSERVER_ARG`, else a warm launch, else the same as `python -m module`.

    The build has no launcher script: Terraform runs this executable itself, so the warm
    path starts here, before the provider is imported.
    """
    if sys.argv[1:2] == [FORKSERVER_ARG]:
        import importlib

        raise SystemExit(importlib.import_module(server_module).main(sys.argv[2:]))
    launch(prog, version, module, server_module, sys.argv[1:])
    import runpy

    runpy.run_module(module, run_name="__main__", alter_sys=True)
