"""The hand-assembled server certificate, checked with cryptography's X.509 parser."""

from __future__ import annotations

import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from provider.plugin.tls import make_identity


def test_certificate_is_a_valid_self_signed_localhost_ca() -> None:
    now = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    identity = make_identity(now)
    cert = x509.load_der_x509_certificate(identity.cert_der)
    assert x509.load_pem_x509_certificate(identity.cert_pem) == cert
    assert cert.version is x509.Version.v3
    assert cert.issuer == cert.subject
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "localhost"
    key = cert.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1"
    key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(hashes.SHA256()))
    assert cert.not_valid_before_utc == now - datetime.timedelta(seconds=30)
    assert cert.not_valid_after_utc == now + datetime.timedelta(days=365 * 30)
    ext = cert.extensions
    assert ext.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName
    ) == ["localhost"]
    basic = ext.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical and basic.value.ca
    usage = ext.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.key_cert_sign and usage.value.digital_signature
    eku = ext.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    assert cert.serial_number > 0


def test_each_identity_is_fresh() -> None:
    a, b = make_identity(), make_identity()
    assert a.key_pem != b.key_pem and a.cert_der != b.cert_der
    assert a.key_pem.startswith(b"-----BEGIN PRIVATE KEY-----")
