"""A Python gRPC client that plays Terraform against a provider process.

It launches the provider the way Terraform does (magic cookie, `PLUGIN_PROTOCOL_VERSIONS`,
a fresh P-521 client certificate in `PLUGIN_CLIENT_CERT`), parses the handshake line, trusts
exactly the certificate the provider announced, presents its client certificate, and calls
the provider with protocol 5 or 6 under the v6 method names.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import grpc
import msgpack
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from provider.plugin.proto import (
    grpc_controller_pb2,
    grpc_controller_pb2_grpc,
    grpc_stdio_pb2_grpc,
    tfplugin5_pb2,
    tfplugin5_pb2_grpc,
    tfplugin6_pb2,
    tfplugin6_pb2_grpc,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
MAGIC_COOKIE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
HANDSHAKE = re.compile(r"^1\|(5|6)\|(unix|tcp)\|([^|]+)\|grpc\|([A-Za-z0-9+/]*)$")

# v6 name -> v5 name, where they differ.
V5_NAMES = {
    "GetProviderSchema": "GetSchema",
    "ValidateProviderConfig": "PrepareProviderConfig",
    "ValidateResourceConfig": "ValidateResourceTypeConfig",
    "ValidateDataResourceConfig": "ValidateDataSourceConfig",
    "ConfigureProvider": "Configure",
    "StopProvider": "Stop",
}
V5_MESSAGES = {**V5_NAMES, "GetProviderSchema": "GetProviderSchema"}


def terraform_like_client_cert() -> tuple[bytes, bytes]:
    """(key PEM, cert PEM) shaped like go-plugin's: P-521, self-signed CA, localhost."""
    key = ec.generate_private_key(ec.SECP521R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "HashiCorp"),
            x509.NameAttribute(NameOID.COMMON_NAME, "localhost"),
        ]
    )
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(seconds=30))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA512())
    )
    return (
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        cert.public_bytes(serialization.Encoding.PEM),
    )


@dataclass
class Handshake:
    """The parsed handshake line."""

    protocol: int
    network: str
    address: str
    cert_der: bytes | None

    @classmethod
    def parse(cls, line: str) -> Handshake:
        """Parse `1|6|unix|/path|grpc|<cert>`; raises AssertionError when malformed."""
        m = HANDSHAKE.match(line.rstrip("\n"))
        assert m, f"bad handshake line {line!r}"
        cert = m.group(4)
        assert "=" not in cert, "certificate must be unpadded base64"
        der = base64.b64decode(cert + "=" * (-len(cert) % 4)) if cert else None
        return cls(int(m.group(1)), m.group(2), m.group(3), der)


def plugin_env(
    protocol: str | None = None, tls: bool = True, **extra: str
) -> tuple[dict[str, str], tuple[bytes, bytes] | None]:
    """The environment Terraform gives a provider (and the client identity, when TLS)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PLUGIN_", "TF_"))}
    env.update(
        TF_PLUGIN_MAGIC_COOKIE=MAGIC_COOKIE,
        PLUGIN_PROTOCOL_VERSIONS="5,6",
        PLUGIN_MIN_PORT="10000",
        PLUGIN_MAX_PORT="25000",
        PYTHONPATH=str(REPO_ROOT),
    )
    identity = None
    if tls:
        identity = terraform_like_client_cert()
        env["PLUGIN_CLIENT_CERT"] = identity[1].decode()
    if protocol:
        env["PLUGIN_FORCE_PROTOCOL_VERSION"] = protocol
    env.update(extra)
    return env, identity


def launch(env: dict[str, str], module: str = "tests.plugin.example_provider") -> subprocess.Popen:
    """Start a provider process as Terraform would (stdout piped, stderr piped)."""
    return subprocess.Popen(
        [sys.executable, "-m", module],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


class PluginClient:
    """A connection to one provider process, speaking its negotiated protocol."""

    def __init__(self, proc: subprocess.Popen, identity: tuple[bytes, bytes] | None) -> None:
        self.proc = proc
        line = proc.stdout.readline().decode()  # type: ignore[union-attr]
        self.handshake = Handshake.parse(line)
        self.pb: ModuleType = tfplugin6_pb2 if self.handshake.protocol == 6 else tfplugin5_pb2
        target = (
            f"unix:{self.handshake.address}"
            if self.handshake.network == "unix"
            else self.handshake.address
        )
        options = [
            ("grpc.max_receive_message_length", 256 << 20),
            ("grpc.max_send_message_length", 256 << 20),
        ]
        if self.handshake.cert_der is not None:
            assert identity is not None
            server_pem = x509.load_der_x509_certificate(self.handshake.cert_der).public_bytes(
                serialization.Encoding.PEM
            )
            creds = grpc.ssl_channel_credentials(
                root_certificates=server_pem, private_key=identity[0], certificate_chain=identity[1]
            )
            options.append(("grpc.ssl_target_name_override", "localhost"))
            self.channel = grpc.secure_channel(target, creds, options=options)
        else:
            self.channel = grpc.insecure_channel(target, options=options)
        grpc.channel_ready_future(self.channel).result(timeout=10)
        stub_module = tfplugin6_pb2_grpc if self.handshake.protocol == 6 else tfplugin5_pb2_grpc
        self.stub = stub_module.ProviderStub(self.channel)
        self.controller = grpc_controller_pb2_grpc.GRPCControllerStub(self.channel)
        self.stdio = grpc_stdio_pb2_grpc.GRPCStdioStub(self.channel)

    @property
    def protocol(self) -> int:
        """The negotiated protocol version."""
        return self.handshake.protocol

    def _names(self, rpc: str) -> tuple[str, str]:
        if self.protocol == 5:
            return V5_NAMES.get(rpc, rpc), V5_MESSAGES.get(rpc, rpc)
        return rpc, rpc

    def call(self, rpc: str, timeout: float = 30, **fields: Any) -> Any:
        """Call an RPC by its v6 name with request fields."""
        method, message = self._names(rpc)
        request = getattr(self.pb, message).Request(**fields)
        return getattr(self.stub, method)(request, timeout=timeout)

    def future(self, rpc: str, **fields: Any) -> Any:
        """Start an RPC without waiting for it."""
        method, message = self._names(rpc)
        request = getattr(self.pb, message).Request(**fields)
        return getattr(self.stub, method).future(request, timeout=60)

    def dv(self, value: Any) -> Any:
        """A DynamicValue holding a msgpack-ready Python structure."""
        return self.pb.DynamicValue(msgpack=msgpack.packb(value, use_bin_type=True))

    def shutdown(self, timeout: float = 5) -> int:
        """Send GRPCController.Shutdown and wait for the process to exit; returns its status."""
        # The process may already be tearing the connection down when the answer is due.
        with contextlib.suppress(grpc.RpcError):
            self.controller.Shutdown(grpc_controller_pb2.Empty(), timeout=timeout)
        self.channel.close()
        return self.proc.wait(timeout=timeout)

    def close(self) -> None:
        """Stop the process however it is."""
        self.channel.close()
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()


UNKNOWN = msgpack.ExtType(0, b"\x00")


def unpack(dv: Any) -> Any:
    """Decode a DynamicValue's msgpack raw (unknowns stay `msgpack.ExtType`)."""
    if not dv.msgpack:
        return None
    return msgpack.unpackb(dv.msgpack, raw=False, strict_map_key=False)


def path_steps(attribute_path: Any) -> list[Any]:
    """An AttributePath as a list of names and keys."""
    steps: list[Any] = []
    for step in attribute_path.steps:
        kind = step.WhichOneof("selector")
        steps.append(getattr(step, kind))
    return steps


def wait_for(predicate: Any, timeout: float = 5.0) -> bool:
    """Poll `predicate` until true or `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return bool(predicate())
