"""The server's ephemeral TLS identity for go-plugin's AutoMTLS.

Terraform passes its own client certificate in `PLUGIN_CLIENT_CERT` and expects the plugin to
present a certificate that verifies as its own root, for the name `localhost`. We make a P-256
key and a self-signed CA certificate in memory at each start; nothing touches the disk.
(grpcio cannot verify Terraform's P-521 client certificate, so client authentication is left
to the socket's 0700 directory; see the protocol research.)
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

__all__ = ["ServerIdentity", "make_identity"]


@dataclass(frozen=True, slots=True)
class ServerIdentity:
    """A private key and its certificate, in the encodings grpc and the handshake need."""

    key_pem: bytes
    cert_pem: bytes
    cert_der: bytes


def make_identity(now: datetime.datetime | None = None) -> ServerIdentity:
    """A fresh P-256 key and a self-signed certificate for `localhost`, valid for 30 years."""
    # Imported here: cryptography's x509 stack costs tens of milliseconds to import and is
    # only needed when Terraform asks for TLS.
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    now = now or datetime.datetime.now(datetime.UTC)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Terraform provider plugin"),
            x509.NameAttribute(NameOID.COMMON_NAME, "localhost"),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        # A little slack for clocks that disagree by a few seconds.
        .not_valid_before(now - datetime.timedelta(seconds=30))
        .not_valid_after(now + datetime.timedelta(days=365 * 30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=True,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    return ServerIdentity(
        key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        cert_pem=cert.public_bytes(serialization.Encoding.PEM),
        cert_der=cert.public_bytes(serialization.Encoding.DER),
    )
