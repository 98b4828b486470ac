"""Helpers for the release tests: a throwaway GPG key, a throwaway CA, an HTTPS static server."""

from __future__ import annotations

import contextlib
import datetime
import functools
import http.server
import ipaddress
import os
import shutil
import ssl
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# --------------------------------------------------------------------------- gpg


@dataclass(frozen=True)
class GpgKey:
    """A secret key in a private keyring: `home` is the GNUPGHOME, `fingerprint` the key."""

    home: Path
    fingerprint: str

    def env(self) -> dict[str, str]:
        """The environment that makes gpg use this keyring."""
        return {**os.environ, "GNUPGHOME": str(self.home)}

    def verify(self, signature: Path, data: Path) -> subprocess.CompletedProcess[str]:
        """`gpg --verify signature data` against this keyring (not raising)."""
        return subprocess.run(
            ["gpg", "--batch", "--verify", str(signature), str(data)],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )


@contextlib.contextmanager
def throwaway_gpg_key() -> Iterator[GpgKey]:
    """A fresh ed25519 signing key without passphrase in a temporary GNUPGHOME.

    The GNUPGHOME lives directly under the system temp dir: gpg-agent's socket path must stay
    under the 108 bytes a unix socket name may have, which pytest's deep tmp paths can exceed.
    The agent started for it is stopped afterwards.
    """
    home = Path(tempfile.mkdtemp(prefix="gpg-"))
    home.chmod(0o700)
    key = GpgKey(home, "")
    try:
        user = "Release Test <release-test@example.invalid>"
        subprocess.run(
            ["gpg", "--batch", "--passphrase", "", "--quick-gen-key", user, "ed25519", "sign"],
            env=key.env(),
            capture_output=True,
            check=True,
            timeout=120,
        )
        listing = subprocess.run(
            ["gpg", "--batch", "--list-secret-keys", "--with-colons"],
            env=key.env(),
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
        fingerprint = next(
            line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:")
        )
        yield GpgKey(home, fingerprint)
    finally:
        subprocess.run(
            ["gpgconf", "--kill", "gpg-agent"], env=key.env(), capture_output=True, check=False
        )
        shutil.rmtree(home, ignore_errors=True)


@contextlib.contextmanager
def gnupghome(home: Path) -> Iterator[None]:
    """Set GNUPGHOME for the duration (package() signs with the process's gpg settings)."""
    before = os.environ.get("GNUPGHOME")
    os.environ["GNUPGHOME"] = str(home)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("GNUPGHOME", None)
        else:
            os.environ["GNUPGHOME"] = before


# --------------------------------------------------------------------------- TLS


@dataclass(frozen=True)
class Certificates:
    """PEM files: the CA certificate (for SSL_CERT_FILE), the server's chain and key."""

    ca: Path
    server_cert: Path
    server_key: Path


def make_certificates(directory: Path) -> Certificates:
    """A throwaway CA and a server certificate for 127.0.0.1 signed by it (P-256, one day)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "release-test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        # Go checks the SAN only (never the CN), so the IP must be there.
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    files = Certificates(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    files.ca.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files.server_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.server_key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


# --------------------------------------------------------------------------- static HTTPS


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Static files; every request path is remembered instead of logged."""

    requested: list[str]

    def log_message(self, format: str, *args: object) -> None:
        self.requested.append(self.path)


@dataclass
class StaticHttpsServer:
    """A static file server for `root` on 127.0.0.1 over TLS, in a thread."""

    root: Path
    certificates: Certificates

    def __post_init__(self) -> None:
        self.requested: list[str] = []
        handler = type("Handler", (_QuietHandler,), {"requested": self.requested})
        self._server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(handler, directory=str(self.root))
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.certificates.server_cert, self.certificates.server_key)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The base URL, ending in a slash."""
        return f"https://127.0.0.1:{self._server.server_address[1]}/"

    def start(self) -> StaticHttpsServer:
        """Serve in the background."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)
