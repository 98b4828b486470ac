"""Detached GPG signatures of SHA256SUMS with the system gpg and a throwaway key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from provider.plugin.release import ReleaseError, sha256sums, sign
from tests.release.support import GpgKey, gnupghome

pytestmark = pytest.mark.skipif(shutil.which("gpg") is None, reason="gpg is not installed")


def _sums(tmp_path: Path) -> Path:
    archive = tmp_path / "terraform-provider-thing_1.2.3_linux_amd64.zip"
    manifest = tmp_path / "terraform-provider-thing_1.2.3_manifest.json"
    archive.write_bytes(b"zip bytes")
    manifest.write_text('{"version": 1}\n')
    sums = tmp_path / "terraform-provider-thing_1.2.3_SHA256SUMS"
    sums.write_text(sha256sums([archive, manifest]))
    return sums


def test_signature_verifies_and_a_tampered_sums_file_does_not(
    tmp_path: Path, gpg_key: GpgKey
) -> None:
    sums = _sums(tmp_path)
    with gnupghome(gpg_key.home):
        signature = sign(sums, gpg_key.fingerprint)
    assert signature == sums.with_name(sums.name + ".sig")
    # A binary OpenPGP packet, as the registry expects (not ASCII armour).
    assert not signature.read_bytes().startswith(b"-----BEGIN")

    good = gpg_key.verify(signature, sums)
    assert good.returncode == 0, good.stderr
    assert "Good signature" in good.stderr
    assert gpg_key.fingerprint[-16:] in good.stderr.replace(" ", "")

    lines = sums.read_text().splitlines()
    lines[0] = "0" * 64 + lines[0][64:]  # point one file at another hash
    sums.write_text("\n".join(lines) + "\n")
    bad = gpg_key.verify(signature, sums)
    assert bad.returncode != 0
    assert "BAD signature" in bad.stderr


def test_signing_twice_replaces_the_signature(tmp_path: Path, gpg_key: GpgKey) -> None:
    sums = _sums(tmp_path)
    with gnupghome(gpg_key.home):
        sign(sums, gpg_key.fingerprint)
        sums.write_text(sums.read_text() + "0" * 64 + "  another_file.zip\n")
        signature = sign(sums, gpg_key.fingerprint)
    assert gpg_key.verify(signature, sums).returncode == 0


def test_signing_with_a_key_gpg_does_not_hold_is_one_line_naming_the_key(
    tmp_path: Path, gpg_key: GpgKey
) -> None:
    sums = _sums(tmp_path)
    with gnupghome(gpg_key.home), pytest.raises(ReleaseError) as caught:
        sign(sums, "nobody@example.invalid")
    message = str(caught.value)
    assert message.startswith("gpg could not sign terraform-provider-thing_1.2.3_SHA256SUMS")
    assert "nobody@example.invalid" in message
    assert "\n" not in message
    assert not sums.with_name(sums.name + ".sig").exists()
