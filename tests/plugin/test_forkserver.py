"""The fork server and the launcher's warm path, one test per pitfall of issue 13.

Most tests use a fake provider package (`warmfake`, see forkserver_support) whose child
reports its own process state, with the real launcher text and the real fork server. The
tests that need the real provider (a go-plugin handshake, Terraform itself) are in
test_forkserver_provider.py. Every server a test starts is stopped in its teardown.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from provider.plugin import forkserver, warm_client
from provider.plugin.install import install, launcher_script
from provider.plugin.warm_cc import find_compiler
from tests.plugin.forkserver_support import (
    FAKE_PROG,
    FAKE_SOURCE,
    FAKE_VERSION,
    FakeWarm,
    alive,
    fake_warm,
    parent_of,
    processes_mentioning,
    status,
    wait_for,
)

pytestmark = pytest.mark.timeout(120)

COLD = "cannot import the provider"  # what the fake launcher prints when it starts cold


CLIENTS = [
    "python",
    pytest.param(
        "c", marks=pytest.mark.skipif(find_compiler() is None, reason="no C compiler here")
    ),
]


@pytest.fixture(params=CLIENTS)
def warm(request: pytest.FixtureRequest) -> Iterator[FakeWarm]:
    """Every pitfall test runs with the Python client and with the compiled one."""
    with fake_warm(client=request.param) as w:
        yield w


def _report(done: object) -> dict[str, object]:
    stdout = getattr(done, "stdout", "")
    assert COLD not in stdout, f"the launch started cold: {done}"
    return dict(json.loads(stdout.splitlines()[0]))


# --------------------------------------------------------------------------- the launcher


def test_the_embedded_client_has_no_single_quote_and_the_launcher_no_machine_path() -> None:
    source = Path(warm_client.__file__).read_text()
    assert "'" not in source  # it sits inside single quotes in the shell script
    text = launcher_script(FAKE_PROG, FAKE_VERSION, "warmfake")
    assert source in text
    assert sys.executable not in text and str(Path.home()) not in text
    assert text == launcher_script(FAKE_PROG, FAKE_VERSION, "warmfake")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, True),
        ({"X_WARM": "1"}, True),
        ({"X_WARM": "on"}, True),
        ({"X_WARM": "0"}, False),
        ({"X_WARM": "off"}, False),
        # On in CI too: only the server's idle period is shorter there (next test).
        ({"CI": "true"}, True),
        ({"CI": "false"}, True),
        ({"CI": "true", "X_WARM": "0"}, False),
    ],
)
def test_warm_is_on_by_default_in_ci_too_and_the_switch_wins(
    env: dict[str, str], expected: bool
) -> None:
    assert warm_client.warm_enabled("x", env) is expected


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, ""),  # the server's own default, DEFAULT_IDLE_SECONDS
        ({"CI": "true"}, str(warm_client.CI_IDLE_SECONDS)),
        ({"CI": "1"}, str(warm_client.CI_IDLE_SECONDS)),
        ({"CI": "false"}, ""),
        ({"CI": "true", "X_WARM_IDLE": "300"}, "300"),
        ({"X_WARM_IDLE": "5"}, "5"),
    ],
)
def test_the_idle_period_is_short_in_ci_unless_set(
    env: dict[str, str], expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert warm_client.idle_seconds("x", env) == expected
    # What the launcher's command line for the server carries, from its own environment.
    for name in ("CI", "X_WARM_IDLE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    command = warm_client.server_command("x", "1.0.0", "m", "m.forkserver", "/s/v.sock")
    if expected:
        assert command[-2:] == ["--idle", expected]
    else:
        assert "--idle" not in command


def test_socket_dir_is_per_user_never_a_shared_tmp_name() -> None:
    assert warm_client.socket_dir("p", {"XDG_RUNTIME_DIR": "/run/user/7"}) == "/run/user/7/p"
    import pwd

    home = pwd.getpwuid(os.getuid()).pw_dir
    assert warm_client.socket_dir("p", {"HOME": "/elsewhere"}) == f"{home}/.cache/p/warm"
    assert warm_client.socket_dir("p", {"P_WARM_DIR": "/x/y"}) == "/x/y"
    # One server per version and interpreter: two virtualenvs never share one.
    assert warm_client.socket_name("1.0.0", "/a/bin/python") != warm_client.socket_name(
        "1.0.0", "/b/bin/python"
    )


# --------------------------------------------------------------------------- serving


def test_a_warm_launch_is_a_child_of_the_fork_server_and_relays_the_exit_status(
    warm: FakeWarm,
) -> None:
    server = warm.start_server()
    done = warm.run("report", "--flag")
    info = _report(done)
    assert done.returncode == 3, done
    assert info["ppid"] == server["pid"]
    assert info["argv"] == ["report", "--flag"]
    # Stdout carried only what the child wrote; nothing from the launcher.
    assert done.stdout.count("\n") == 1
    assert status(warm.socket_path)["launches"] == 1  # type: ignore[index]


def test_a_crash_in_a_warm_child_is_one_log_line_never_a_traceback(warm: FakeWarm) -> None:
    warm.start_server()
    done = warm.run("crash")
    assert done.returncode == 1 and done.stdout == "", done
    lines = done.stderr.splitlines()
    assert lines, done
    for line in lines:
        entry = json.loads(line)  # hclog JSON only: Terraform shows nothing raw to the user
        assert entry["@level"] == "error" and "boom" in entry["@message"]


def test_env_cwd_umask_tmpdir_and_random_are_the_launchers(warm: FakeWarm) -> None:
    warm.start_server()
    seen = []
    for n in range(2):
        where = warm.root / f"cwd{n}"
        tmp = warm.root / f"tmp{n}"
        where.mkdir()
        tmp.mkdir()
        mask = 0o027 if n else 0o002
        old = os.umask(mask)
        try:
            done = warm.run("report", cwd=where, WARMFAKE_VALUE=f"v{n}", TMPDIR=str(tmp), TZ="UTC")
        finally:
            os.umask(old)
        info = _report(done)
        assert info["cwd"] == str(where)
        assert info["umask"] == mask
        assert info["value"] == f"v{n}"
        assert info["tmpdir"] == str(tmp)
        assert info["tz"] == "UTC"
        seen.append(info["random"])
    assert seen[0] != seen[1]  # reseeded per child, not a copy of the server's state


def _start_real_server(warm: FakeWarm) -> dict[str, Any]:
    """A fork server for the real provider (as a launcher starts it, with -I)."""
    from provider import __version__

    path = warm.sock_dir / "real.sock"
    command = [sys.executable, "-I", "-m", "provider.plugin.forkserver", "--prog", "p"]
    command += ["--version", __version__, "--module", "provider"]
    command += ["--socket", str(path), "--idle", "60"]
    proc = subprocess.Popen(command, cwd=warm.root, start_new_session=True)
    warm.servers.append(proc)
    answer = wait_for(lambda: status(path), timeout=60)
    assert answer
    return dict(answer)


def test_the_real_server_imported_grpc_but_started_no_thread_and_holds_under_100_mb(
    warm: FakeWarm,
) -> None:
    answer = _start_real_server(warm)
    pid = int(answer["pid"])
    with open(f"/proc/{pid}/maps") as f:
        assert "cygrpc" in f.read()  # imported, so children do not pay for it ...
    # ... but never started: a gRPC server or channel leaves threads, and forking is unsafe.
    assert answer["threads"] == 1
    assert len(os.listdir(f"/proc/{pid}/task")) == 1
    assert 0 < answer["rss"] < forkserver.MAX_RSS_BYTES, answer["rss"] >> 20


def test_the_server_keeps_no_copy_of_the_passed_descriptors(warm: FakeWarm) -> None:
    # The child closes its stdout and keeps running: the reader must see end-of-file now,
    # which it would not if the fork server (or the launcher) still held a copy.
    warm.start_server()
    proc = warm.popen("wait", "close-stdout")
    try:
        assert proc.stdout is not None
        child = int(json.loads(proc.stdout.readline())["pid"])
        started = time.monotonic()
        assert proc.stdout.read() == ""  # EOF
        assert time.monotonic() - started < 5
        assert alive(child)
        # Signals reach the child through the launcher, and its status comes back.
        proc.send_signal(signal.SIGUSR1)
        assert proc.wait(timeout=10) == 42
    finally:
        proc.kill()
        proc.wait()


def test_a_launcher_that_gave_up_gets_no_child(warm: FakeWarm) -> None:
    # The launcher waits 10 s for the pid, then starts cold; a request still queued then must
    # not be forked, or two providers would write handshake lines on one stdout.
    server = warm.start_server()
    pid = int(server["pid"])
    os.kill(pid, signal.SIGSTOP)
    try:
        sock = warm_client.connect(str(warm.socket_path), timeout=5)
        out_r, out_w = os.pipe()
        try:
            warm_client.write_message(sock, _launch_request(), (out_w, out_w, out_w))
        finally:
            os.close(out_w)
            sock.close()
    finally:
        os.kill(pid, signal.SIGCONT)
    try:
        assert wait_for(lambda: status(warm.socket_path), timeout=10)
        assert os.read(out_r, 100) == b""  # nothing written, and every copy closed
    finally:
        os.close(out_r)
    assert status(warm.socket_path)["launches"] == 0  # type: ignore[index]


def _launch_request(**changes: object) -> dict[str, object]:
    request: dict[str, object] = {
        "protocol": warm_client.PROTOCOL,
        "op": "launch",
        "version": FAKE_VERSION,
        "module": "warmfake",
        "executable": sys.executable,
        "argv": ["report"],
        "env": {},
        "cwd": "/",
        "umask": 0o22,
    }
    request.update(changes)
    return request


@pytest.mark.skipif(find_compiler() is None, reason="no C compiler here")
def test_the_compiled_client_is_what_the_launcher_runs() -> None:
    with fake_warm(client="c") as warm:
        warm.start_server()
        proc = warm.popen("wait")
        try:
            assert proc.stdout is not None
            json.loads(proc.stdout.readline())
            assert os.readlink(f"/proc/{proc.pid}/exe").endswith(f"v{FAKE_VERSION}.warm")
            proc.send_signal(signal.SIGUSR1)
            assert proc.wait(timeout=10) == 42
        finally:
            proc.kill()
            proc.wait()


def test_without_a_compiler_install_leaves_the_python_client(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with fake_warm() as warm:
        where = install(FAKE_SOURCE, FAKE_VERSION, "warmfake", warm.root / "mirror")
        had_compiler = where.client.exists()
        empty = warm.root / "no-tools"
        empty.mkdir()
        monkeypatch.setenv("PATH", str(empty))
        monkeypatch.delenv("CC", raising=False)
        again = install(FAKE_SOURCE, FAKE_VERSION, "warmfake", warm.root / "mirror")
        monkeypatch.undo()
        # An older compiled client is removed: one that may not match must never run.
        assert not again.client.exists()
        assert had_compiler or find_compiler() is None
        warm.launcher = again.launcher
        server = warm.start_server()
        info = _report(warm.run("report"))
        assert info["ppid"] == server["pid"]  # warm, through `python -I -S` and warm_client


# --------------------------------------------------------------------------- death


def test_sigkill_of_the_launcher_stops_the_child(warm: FakeWarm) -> None:
    warm.start_server()
    proc = warm.popen("wait")
    assert proc.stdout is not None
    child = int(json.loads(proc.stdout.readline())["pid"])
    assert alive(child)
    proc.kill()  # what go-plugin does to a provider that does not exit after Shutdown
    proc.wait()
    assert wait_for(lambda: not alive(child), timeout=10), "the child outlived its launcher"


def test_killing_terraform_stops_launcher_and_child(warm: FakeWarm) -> None:
    # A stand-in for Terraform: a process that starts the launcher and is then SIGKILLed.
    script = (
        "import subprocess, sys, time\n"
        f"p = subprocess.Popen([{str(warm.launcher)!r}, 'wait'], stdout=subprocess.PIPE)\n"
        "sys.stdout.write(str(p.pid) + ' ' + p.stdout.readline().decode())\n"
        "sys.stdout.flush()\n"
        "time.sleep(600)\n"
    )
    warm.start_server()
    terraform = subprocess.Popen(
        [sys.executable, "-c", script],
        env=warm.env(),
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert terraform.stdout is not None
        launcher_pid, line = terraform.stdout.readline().split(" ", 1)
        launcher, child = int(launcher_pid), int(json.loads(line)["pid"])
        assert parent_of(launcher) == terraform.pid
        time.sleep(1.0)  # past the launcher's first parent check (PR_SET_PDEATHSIG is set)
        terraform.kill()
        terraform.wait()
        assert wait_for(lambda: not alive(launcher), timeout=10), "launcher outlived Terraform"
        assert wait_for(lambda: not alive(child), timeout=10), "child outlived Terraform"
    finally:
        terraform.kill()
        terraform.wait()


def test_killing_terraform_right_away_also_stops_the_child(warm: FakeWarm) -> None:
    # Terraform dies before the launcher set PR_SET_PDEATHSIG: the parent poll catches it.
    script = (
        "import subprocess, sys\n"
        f"p = subprocess.Popen([{str(warm.launcher)!r}, 'wait'], stdout=subprocess.PIPE)\n"
        "sys.stdout.write(str(p.pid) + ' ' + p.stdout.readline().decode())\n"
        "sys.stdout.flush()\n"
    )
    warm.start_server()
    done = subprocess.run(
        [sys.executable, "-c", script], env=warm.env(), capture_output=True, text=True, timeout=60
    )
    launcher_pid, line = done.stdout.split(" ", 1)
    launcher, child = int(launcher_pid), int(json.loads(line)["pid"])
    assert wait_for(lambda: not alive(launcher), timeout=10)
    assert wait_for(lambda: not alive(child), timeout=10)


# --------------------------------------------------------------------------- security


def _as_nobody(body: str, *args: str) -> int:
    """Run `body` (Python, with `socket`, `os` and `sys` imported) in a fresh interpreter that
    becomes uid/gid 65534 first; returns its exit status. A fresh process, not a fork of
    pytest: pytest may hold gRPC threads by now, and forking those is what this is about."""
    script = "import os, socket, sys\nos.setgroups([])\nos.setgid(65534)\nos.setuid(65534)\n" + body
    done = subprocess.run([sys.executable, "-I", "-c", script, *args], timeout=60, check=False)
    return done.returncode


_CONNECT_AND_READ = """
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
try:
    s.connect(sys.argv[1])
except PermissionError:
    sys.exit(10)  # the 0700 directory keeps other users out
except OSError:
    sys.exit(11)
try:
    s.sendall(b"\\0\\0\\0\\1N")  # a whole frame: marshal.dumps(None)
    sys.exit(20 if s.recv(100) == b"" else 21)
except OSError:
    sys.exit(20)
"""


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to become another user")
def test_a_foreign_uid_is_refused(warm: FakeWarm) -> None:
    warm.start_server()
    path = str(warm.socket_path)
    # As made: the private directory alone refuses the other user.
    assert _as_nobody(_CONNECT_AND_READ, path) == 10
    # With the directory and socket opened up, the server's SO_PEERCRED check refuses it.
    os.chmod(warm.root, 0o711)
    os.chmod(warm.sock_dir, 0o711)
    os.chmod(path, 0o777)
    assert _as_nobody(_CONNECT_AND_READ, path) == 20
    os.chmod(warm.sock_dir, 0o700)
    assert status(warm.socket_path)["launches"] == 0  # type: ignore[index]
    assert "refused a connection from uid 65534" in (warm.root / "server.log").read_text()


_LISTEN_AND_READ = """
listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listener.bind(sys.argv[1])
listener.listen(1)
listener.settimeout(30)
print("ready", flush=True)
conn, _ = listener.accept()
conn.settimeout(5)
try:
    data = conn.recv(100)
except OSError:
    data = b""
sys.exit(1 if data else 0)
"""


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to become another user")
def test_the_launcher_sends_nothing_to_a_server_of_another_user(warm: FakeWarm) -> None:
    warm.sock_dir.mkdir(mode=0o700)
    path = str(warm.socket_path)
    os.chmod(warm.root, 0o711)
    os.chmod(warm.sock_dir, 0o777)  # so that nobody can bind there
    script = (
        "import os, socket, sys\nos.setgroups([])\nos.setgid(65534)\nos.setuid(65534)\n"
        + _LISTEN_AND_READ
    )
    other = subprocess.Popen([sys.executable, "-I", "-c", script, path], stdout=subprocess.PIPE)
    try:
        assert other.stdout is not None and other.stdout.readline() == b"ready\n"
        os.chmod(warm.sock_dir, 0o700)
        # The directory is ours and private again, but the listener is another user's:
        # SO_PEERCRED on the connection itself says so, before any environment is sent.
        with pytest.raises(warm_client.Cold, match="another user"):
            warm_client.connect(path, timeout=5)
        assert other.wait(timeout=30) == 0, "the launcher sent something"
    finally:
        other.kill()
        other.wait()


def test_a_socket_dir_open_to_others_is_not_used(warm: FakeWarm) -> None:
    warm.start_server()
    os.chmod(warm.sock_dir, 0o755)
    try:
        done = warm.run("report", TF_LOG="debug")
        assert COLD in done.stdout  # cold, and no server was started in its place
        assert "not a 0700 directory" in done.stderr
        assert status(warm.socket_path) is None  # the client refuses to talk there
    finally:
        os.chmod(warm.sock_dir, 0o700)
    assert status(warm.socket_path)["launches"] == 0  # type: ignore[index]


def test_prepare_dir_refuses_a_directory_of_wrong_mode(tmp_path: Path) -> None:
    target = tmp_path / "d"
    forkserver.prepare_dir(str(target))
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
    target.chmod(0o750)
    with pytest.raises(PermissionError):
        forkserver.prepare_dir(str(target))


# --------------------------------------------------------------------------- staleness


def test_a_changed_file_makes_the_server_hand_over_to_a_fresh_one(warm: FakeWarm) -> None:
    first = warm.start_server()
    assert _report(warm.run("report"))["ppid"] == first["pid"]
    init = warm.package_root / "warmfake" / "__init__.py"
    init.write_text(init.read_text() + "# edited\n")
    os.utime(init, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
    stale = warm.run("report", TF_LOG="debug")
    assert COLD in stale.stdout  # this launch starts cold: never old code
    if warm.client == "python":  # the compiled client hands over to it without a word
        assert "installed files changed" in stale.stderr
    assert wait_for(lambda: not alive(int(first["pid"])), timeout=20), "stale server stayed"
    fresh = wait_for(lambda: status(warm.socket_path), timeout=30)
    assert fresh and fresh["pid"] != first["pid"] and fresh["started"] > first["started"]
    assert _report(warm.run("report"))["ppid"] == fresh["pid"]


def test_a_launch_the_server_answers_cold_asks_only_once(warm: FakeWarm) -> None:
    # A stand-in server that answers every launch "cold", as a stale or stopping one does.
    # The launch starts cold without asking again: the compiled client hands over to the
    # Python path, which must not connect once more (nor start a second server beside the
    # one a stale server hands over to; that race left no server at all in the test above).
    warm.sock_dir.mkdir(mode=0o700)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(warm.socket_path))
    listener.listen(8)
    listener.settimeout(0.2)
    asked: list[object] = []
    done_serving = threading.Event()

    def serve() -> None:
        while not done_serving.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(5)
                data, fds, _, _ = socket.recv_fds(conn, 65536, 3)
                for fd in fds:
                    os.close(fd)
                # The whole request, as a server reads it: an answer sent before the client
                # finished writing would make its write fail, a different path.
                while len(data) < 4 or len(data) < 4 + int.from_bytes(data[:4], "big"):
                    data += conn.recv(65536)
                asked.append(data[:4])
                warm_client.write_message(conn, {"cold": "files changed (stand-in)"})

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        done = warm.run("report", TF_LOG="debug")
    finally:
        done_serving.set()
        thread.join(timeout=5)
        listener.close()
    assert COLD in done.stdout
    assert len(asked) == 1, done.stderr
    assert "no fork server was running" not in done.stderr


def test_a_stale_launch_request_is_answered_cold(warm: FakeWarm) -> None:
    first = warm.start_server()
    sock = warm_client.connect(str(warm.socket_path), timeout=5)
    null = os.open(os.devnull, os.O_RDWR)
    try:
        warm_client.write_message(sock, _launch_request(version="9.9.9"), (null, null, null))
        reply = warm_client.read_message(sock)
    finally:
        os.close(null)
        sock.close()
    assert isinstance(reply, dict) and "version differs" in reply["cold"]
    # Another version's launcher (a hash collision, an old compiled client) starts cold;
    # only changed files replace the server.
    assert status(warm.socket_path)["pid"] == first["pid"]  # type: ignore[index]


# --------------------------------------------------------------------------- lifecycle


def test_the_server_exits_after_its_idle_period() -> None:
    with fake_warm(idle=1.0) as warm:
        answer = warm.start_server()
        warm.run("report")
        pid = int(answer["pid"])  # type: ignore[call-overload]
        assert wait_for(lambda: not alive(pid), timeout=15), "still running after idle"
        assert not warm.socket_path.exists()


def test_a_server_waits_for_its_children_before_going_idle() -> None:
    with fake_warm(idle=0.5) as warm:
        answer = warm.start_server()
        proc = warm.popen("wait")
        try:
            assert proc.stdout is not None
            proc.stdout.readline()
            time.sleep(2.0)
            assert alive(int(answer["pid"]))  # type: ignore[call-overload]
            proc.send_signal(signal.SIGUSR1)
            assert proc.wait(timeout=10) == 42
        finally:
            proc.kill()
            proc.wait()
        assert wait_for(lambda: not alive(int(answer["pid"])), timeout=15)  # type: ignore[call-overload]


def test_sigterm_stops_listening_and_exits(warm: FakeWarm) -> None:
    answer = warm.start_server()
    os.kill(int(answer["pid"]), signal.SIGTERM)  # type: ignore[call-overload]
    assert wait_for(lambda: not alive(int(answer["pid"])), timeout=10)  # type: ignore[call-overload]
    assert not warm.socket_path.exists()


def test_only_one_server_per_socket(warm: FakeWarm) -> None:
    first = warm.start_server()
    warm.start_server(wait=False)
    assert warm.servers[-1].wait(timeout=30) == 0  # the lock is held: it leaves at once
    assert status(warm.socket_path)["pid"] == first["pid"]  # type: ignore[index]


# --------------------------------------------------------------------------- fallback


def test_no_server_means_a_cold_start_and_one_started_in_the_background(warm: FakeWarm) -> None:
    # The launcher starts the server with -I, so for the fake package it cannot import it
    # and leaves; what matters here is the cold start and the attempt.
    done = warm.run("report", TF_LOG="debug")
    assert COLD in done.stdout
    assert "no fork server was running; started one" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.parametrize(
    ("extra", "unset"),
    [
        ({"TERRAFORM_PROVIDER_WARMFAKE_WARM": "0"}, ()),
        ({"CI": "true", "TERRAFORM_PROVIDER_WARMFAKE_WARM": "no"}, ()),
        ({}, ("TF_PLUGIN_MAGIC_COOKIE",)),
    ],
    ids=["switched-off", "switched-off-in-ci", "not-launched-by-terraform"],
)
def test_turned_off_means_cold_even_with_a_server_running(
    warm: FakeWarm, extra: dict[str, str], unset: tuple[str, ...]
) -> None:
    warm.start_server()
    env = warm.env(**extra)
    for name in unset:
        env.pop(warm_client.env_prefix(FAKE_PROG) + name if name.startswith("_") else name)
    done = subprocess.run(
        [str(warm.launcher), "report"],
        cwd=warm.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert COLD in done.stdout
    assert status(warm.socket_path)["launches"] == 0  # type: ignore[index]


def test_ci_alone_leaves_warm_launches_on(warm: FakeWarm) -> None:
    # Both clients: the compiled one has the default built in (DEFAULT_ON), and neither
    # looks at CI to decide.
    server = warm.start_server()
    env = warm.env(CI="true")
    env.pop(warm_client.env_prefix(FAKE_PROG) + "_WARM")
    done = subprocess.run(
        [str(warm.launcher), "report"],
        cwd=warm.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert _report(done)["ppid"] == server["pid"]
    assert status(warm.socket_path)["launches"] == 1  # type: ignore[index]


def test_a_socket_path_too_long_to_bind_is_cold_and_starts_no_server(warm: FakeWarm) -> None:
    deep = warm.root / ("d" * 60) / ("e" * 40)
    deep.mkdir(parents=True, mode=0o700)
    prefix = warm_client.env_prefix(FAKE_PROG)
    done = warm.run("report", TF_LOG="debug", **{prefix + "_WARM_DIR": str(deep)})
    assert COLD in done.stdout
    if warm.client == "python":  # the compiled client hands over to it without a word
        assert "over 107 bytes" in done.stderr
    assert "no fork server was running" not in done.stderr
    assert processes_mentioning(str(deep)) == []
    # And a server asked to bind such a path leaves at once (before importing anything).
    too_long = str(deep / warm_client.socket_name(FAKE_VERSION, sys.executable))
    command = [sys.executable, "-m", "provider.plugin.forkserver", "--prog", FAKE_PROG]
    command += ["--version", FAKE_VERSION, "--module", "warmfake", "--socket", too_long]
    server = subprocess.run(
        command,
        env={**warm.server_env(), "TF_LOG": "debug"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert server.returncode == 1 and "too long" in server.stderr, server
