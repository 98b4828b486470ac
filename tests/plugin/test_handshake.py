"""Handshake: negotiation, the stdout line, the certificate, listeners and process lifecycle."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from provider.plugin.handshake import (
    MAGIC_COOKIE_VALUE,
    HandshakeError,
    handshake_line,
    has_magic_cookie,
    negotiate,
    offered_versions,
)
from tests.plugin.plugin_client import (
    REPO_ROOT,
    Handshake,
    PluginClient,
    launch,
    plugin_env,
    wait_for,
)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"PLUGIN_PROTOCOL_VERSIONS": "5,6"}, 6),
        ({"PLUGIN_PROTOCOL_VERSIONS": "6"}, 6),
        ({"PLUGIN_PROTOCOL_VERSIONS": "5"}, 5),
        ({"PLUGIN_PROTOCOL_VERSIONS": "4,5"}, 5),
        ({}, 6),
        ({"PLUGIN_PROTOCOL_VERSIONS": "5,6", "PLUGIN_FORCE_PROTOCOL_VERSION": "5"}, 5),
    ],
)
def test_negotiate(env: dict[str, str], expected: int) -> None:
    assert negotiate(env) == expected


@pytest.mark.parametrize(
    "env",
    [
        {"PLUGIN_PROTOCOL_VERSIONS": "3,4"},
        {"PLUGIN_PROTOCOL_VERSIONS": "6", "PLUGIN_FORCE_PROTOCOL_VERSION": "5"},
        {"PLUGIN_FORCE_PROTOCOL_VERSION": "7"},
    ],
)
def test_negotiate_failures(env: dict[str, str]) -> None:
    with pytest.raises(HandshakeError):
        negotiate(env)


def test_parsing_helpers() -> None:
    assert offered_versions({"PLUGIN_PROTOCOL_VERSIONS": " 5, 6 ,x"}) == [5, 6]
    assert has_magic_cookie({"TF_PLUGIN_MAGIC_COOKIE": MAGIC_COOKIE_VALUE})
    assert not has_magic_cookie({"TF_PLUGIN_MAGIC_COOKIE": "nope"})
    der = bytes(range(200))  # 200 bytes: base64 needs padding, which must be stripped
    line = handshake_line(6, "unix", "/tmp/x/plugin.sock", der)
    assert line.startswith("1|6|unix|/tmp/x/plugin.sock|grpc|") and not line.endswith("=")
    assert Handshake.parse(line).cert_der == der
    assert handshake_line(5, "tcp", "127.0.0.1:10000", None) == "1|5|tcp|127.0.0.1:10000|grpc|"


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "tests.plugin.example_provider", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        timeout=60,
    )


def test_without_magic_cookie_prints_help_to_stderr_and_exits_1() -> None:
    env, _ = plugin_env(tls=False)
    del env["TF_PLUGIN_MAGIC_COOKIE"]
    proc = _run(env)
    assert proc.returncode == 1
    assert proc.stdout == b""
    assert b"This binary is a plugin" in proc.stderr and b"Traceback" not in proc.stderr


def test_no_common_protocol_exits_1_with_a_message() -> None:
    env, _ = plugin_env(tls=False, PLUGIN_PROTOCOL_VERSIONS="4")
    proc = _run(env)
    assert proc.returncode == 1
    assert b"no common plugin protocol version" in proc.stdout
    assert b"Traceback" not in proc.stderr


def test_tls_handshake_certificate_and_socket_directory() -> None:
    env, identity = plugin_env()
    c = PluginClient(launch(env), identity)
    try:
        hs = c.handshake
        assert (hs.protocol, hs.network) == (6, "unix")
        mode = stat.S_IMODE(os.stat(Path(hs.address).parent).st_mode)
        assert mode == 0o700
        cert = x509.load_der_x509_certificate(hs.cert_der or b"")
        assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)
        assert cert.public_key().curve.name == "secp256r1"
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert san.get_values_for_type(x509.DNSName) == ["localhost"]
        assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        assert c.call("GetProviderSchema").provider.block.attributes
        assert c.shutdown() == 0
        rest = c.proc.stdout.read()  # type: ignore[union-attr]
        assert rest == b"", "nothing but the handshake line may reach stdout"
    finally:
        c.close()


def test_plaintext_without_client_cert_still_on_a_private_unix_socket() -> None:
    env, _ = plugin_env(tls=False)
    c = PluginClient(launch(env), None)
    try:
        assert c.handshake.network == "unix" and c.handshake.cert_der is None
        assert stat.S_IMODE(os.stat(Path(c.handshake.address).parent).st_mode) == 0o700
        assert c.call("GetProviderSchema").resource_schemas
        assert c.shutdown() == 0
    finally:
        c.close()


def test_tcp_transport_is_refused_with_one_line_and_exit_1() -> None:
    env, _ = plugin_env(tls=False, PLUGIN_TRANSPORT="tcp")
    proc = _run(env)
    assert proc.returncode == 1
    assert proc.stdout.decode().count("\n") == 1
    assert proc.stdout.startswith(b"PLUGIN_TRANSPORT=tcp is refused")
    assert b"Traceback" not in proc.stderr


def test_start_up_failure_is_one_line_and_logs_are_hclog_json() -> None:
    env, _ = plugin_env(PLUGIN_UNIX_SOCKET_GROUP="no-such-group-here")
    proc = _run(env)
    assert proc.returncode == 1
    assert proc.stdout == b"PLUGIN_UNIX_SOCKET_GROUP=no-such-group-here: no such group\n"
    lines = [json.loads(line) for line in proc.stderr.decode().splitlines() if line.startswith("{")]
    assert any(entry["@level"] == "error" for entry in lines)
    assert b"Traceback" not in proc.stderr


def test_socket_dir_env_is_honoured(tmp_path: Path) -> None:
    env, identity = plugin_env(PLUGIN_UNIX_SOCKET_DIR=str(tmp_path))
    c = PluginClient(launch(env), identity)
    try:
        assert Path(c.handshake.address).parent.parent == tmp_path
        assert c.shutdown() == 0
    finally:
        c.close()


def test_sigint_is_ignored() -> None:
    env, identity = plugin_env()
    c = PluginClient(launch(env), identity)
    try:
        c.proc.send_signal(signal.SIGINT)
        time.sleep(0.3)
        assert c.proc.poll() is None
        assert c.call("GetProviderSchema").resource_schemas
        assert c.shutdown() == 0
    finally:
        c.close()


@pytest.mark.parametrize("delay", [0.0, 1.5], ids=["dies-at-once", "dies-later"])
def test_exits_when_parent_dies(delay: float) -> None:
    env, _ = plugin_env()
    # A middle process starts the provider, reports its pid, then is killed like a crashed
    # Terraform would be.
    middle = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, sys, time\n"
            "p = subprocess.Popen([sys.executable, '-m', 'tests.plugin.example_provider'],"
            " stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)\n"
            "p.stdout.readline()\n"
            "print(p.pid, flush=True)\n"
            "time.sleep(60)\n",
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
    )
    try:
        pid = int(middle.stdout.readline())  # type: ignore[union-attr]
        time.sleep(delay)
        middle.kill()
        middle.wait()

        def gone() -> bool:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
            # A zombie (exited, not yet reaped by init) counts as gone.
            status = Path(f"/proc/{pid}/status")
            return status.exists() and "zombie" in status.read_text()

        assert wait_for(gone, timeout=5), "provider outlived its parent"
    finally:
        if middle.poll() is None:
            middle.kill()
        middle.stdout.close()  # type: ignore[union-attr]
