"""The server's ephemeral TLS identity for go-plugin's AutoMTLS.

Terraform passes its own client certificate in `PLUGIN_CLIENT_CERT` and expects the plugin to
present a certificate that verifies as its own root, for the name `localhost`. We make a P-256
key and a self-signed CA certificate in memory at each start; nothing touches the disk.
(grpcio cannot verify Terraform's P-521 client certificate, so client authentication is left
to the socket's 0700 directory; see the protocol research.)

Start-up time matters (Terraform launches a provider several times per command), and
importing cryptography's X.509 builder costs more than everything else here together. The
certificate is one fixed shape, so its DER is assembled directly below and only the key
generation and the ECDSA signature come from cryptography. Tests check the result with
cryptography's X.509 parser, and real Terraform accepts it.
"""

from __future__ import annotations

import base64
import datetime
import secrets
from dataclasses import dataclass

__all__ = ["ServerIdentity", "make_identity"]

# Object identifiers, DER-encoded (tag, length, value).
_OID_ECDSA_SHA256 = bytes.fromhex("06082a8648ce3d040302")
_OID_ORGANIZATION = bytes.fromhex("060355040a")
_OID_COMMON_NAME = bytes.fromhex("0603550403")
_OID_SAN = bytes.fromhex("0603551d11")
_OID_BASIC_CONSTRAINTS = bytes.fromhex("0603551d13")
_OID_KEY_USAGE = bytes.fromhex("0603551d0f")
_OID_EXT_KEY_USAGE = bytes.fromhex("0603551d25")
_OID_SERVER_AUTH = bytes.fromhex("06082b06010505070301")
_OID_CLIENT_AUTH = bytes.fromhex("06082b06010505070302")
_TRUE = b"\x01\x01\xff"
# digitalSignature, keyEncipherment, keyAgreement, keyCertSign: bits 0, 2, 4, 5.
_KEY_USAGE_BITS = b"\x03\x02\x02\xac"


@dataclass(frozen=True, slots=True)
class ServerIdentity:
    """A private key and its certificate, in the encodings grpc and the handshake need."""

    key_pem: bytes
    cert_pem: bytes
    cert_der: bytes


def _tlv(tag: int, value: bytes) -> bytes:
    n = len(value)
    if n < 0x80:
        length = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + value


def _seq(*parts: bytes) -> bytes:
    return _tlv(0x30, b"".join(parts))


def _integer(n: int) -> bytes:
    raw = n.to_bytes(max(1, (n.bit_length() + 8) // 8), "big")  # leading 0 keeps it positive
    return _tlv(0x02, raw)


def _time(t: datetime.datetime) -> bytes:
    # RFC 5280: UTCTime through 2049, GeneralizedTime from 2050.
    if t.year < 2050:
        return _tlv(0x17, t.strftime("%y%m%d%H%M%SZ").encode())
    return _tlv(0x18, t.strftime("%Y%m%d%H%M%SZ").encode())


def _name() -> bytes:
    def rdn(oid: bytes, text: str) -> bytes:
        return _tlv(0x31, _seq(oid, _tlv(0x0C, text.encode())))

    return _seq(
        rdn(_OID_ORGANIZATION, "Terraform provider plugin"), rdn(_OID_COMMON_NAME, "localhost")
    )


def _extension(oid: bytes, value: bytes, critical: bool) -> bytes:
    return _seq(oid, _TRUE if critical else b"", _tlv(0x04, value))


def _tbs_certificate(spki: bytes, serial: int, now: datetime.datetime) -> bytes:
    not_before = now - datetime.timedelta(seconds=30)  # slack for clocks a little apart
    not_after = now + datetime.timedelta(days=365 * 30)
    extensions = _seq(
        _extension(_OID_SAN, _seq(_tlv(0x82, b"localhost")), critical=False),
        _extension(_OID_BASIC_CONSTRAINTS, _seq(_TRUE), critical=True),
        _extension(_OID_KEY_USAGE, _KEY_USAGE_BITS, critical=True),
        _extension(_OID_EXT_KEY_USAGE, _seq(_OID_SERVER_AUTH, _OID_CLIENT_AUTH), critical=False),
    )
    return _seq(
        _tlv(0xA0, _integer(2)),  # version 3
        _integer(serial),
        _seq(_OID_ECDSA_SHA256),
        _name(),
        _seq(_time(not_before), _time(not_after)),
        _name(),
        spki,
        _tlv(0xA3, extensions),
    )


def _pem(label: str, der: bytes) -> bytes:
    body = base64.encodebytes(der).decode().replace("\n", "")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return (f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n").encode()


def make_identity(now: datetime.datetime | None = None) -> ServerIdentity:
    """A fresh P-256 key and a self-signed CA certificate for `localhost`, valid 30 years."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    spki = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    now = (now or datetime.datetime.now(datetime.UTC)).replace(microsecond=0)
    tbs = _tbs_certificate(spki, secrets.randbits(127) | 1, now)
    signature = key.sign(tbs, ec.ECDSA(hashes.SHA256()))
    cert_der = _seq(tbs, _seq(_OID_ECDSA_SHA256), _tlv(0x03, b"\x00" + signature))
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return ServerIdentity(
        key_pem=key_pem, cert_pem=_pem("CERTIFICATE", cert_der), cert_der=cert_der
    )
