"""The release file writers on a small fake build folder: zip, hashes, SHA256SUMS, manifest,
mirror index, and the argument checks `package()` makes before it builds anything."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import os
import stat
import zipfile
from pathlib import Path

import pytest

from provider.plugin import release
from provider.plugin.release import (
    ReleaseError,
    file_sha256,
    hash_v1,
    manifest_json,
    package,
    sha256sums,
    update_mirror,
    write_zip,
    zip_date_time,
)

SOURCE = "registry.terraform.io/example/thing"


def fake_build(root: Path, *, loose_modes: bool = False) -> Path:
    """A folder shaped like a PyInstaller one-folder build.

    `loose_modes` gives the same files other permission bits and timestamps (as another
    checkout, umask or build time would): the zip must not change.
    """
    root.mkdir(parents=True)
    exe = root / "terraform-provider-thing_v1.2.3"
    exe.write_bytes(b"\x7fELF fake executable\n")
    internal = root / "_internal"
    (internal / "pkg" / "sub").mkdir(parents=True)
    (internal / "libpython3.11.so.1.0").write_bytes(b"shared library" * 100)
    (internal / "base_library.zip").write_bytes(b"PK stdlib")
    (internal / "pkg" / "data.json").write_text('{"a": 1}\n')
    (internal / "pkg" / "sub" / "Lorem ipsum.txt").write_text("spaces in names\n")
    (internal / "pkg" / "Z-upper.txt").write_text("upper case sorts first in bytes\n")
    exe.chmod(0o700 if loose_modes else 0o755)
    (internal / "libpython3.11.so.1.0").chmod(0o711 if loose_modes else 0o755)
    for path in root.rglob("*"):
        if path.is_file() and not os.access(path, os.X_OK):
            path.chmod(0o600 if loose_modes else 0o644)
        stamp = 1_600_000_000 + (12345 if loose_modes else 0) + len(path.name)
        os.utime(path, (stamp, stamp))
    return root


def dirhash_h1(folder: Path) -> str:
    """Go's dirhash.HashDir(folder, "", Hash1), written independently of the code under test."""
    lines = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        lines.append((name, hashlib.sha256(path.read_bytes()).hexdigest()))
    lines.sort(key=lambda item: item[0].encode())
    summary = "".join(f"{digest}  {name}\n" for name, digest in lines).encode()
    return "h1:" + base64.b64encode(hashlib.sha256(summary).digest()).decode()


# --------------------------------------------------------------------------- zip


def test_zip_is_byte_identical_whatever_the_file_modes_and_times(tmp_path: Path) -> None:
    a = fake_build(tmp_path / "a")
    b = fake_build(tmp_path / "b", loose_modes=True)
    write_zip(a, tmp_path / "a.zip")
    write_zip(b, tmp_path / "b.zip")
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()


def test_zip_entries_sorted_with_fixed_time_modes_and_no_extras(tmp_path: Path) -> None:
    build = fake_build(tmp_path / "build", loose_modes=True)
    write_zip(build, tmp_path / "out.zip", date_time=(2024, 5, 6, 7, 8, 10))
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        infos = archive.infolist()
        names = [i.filename for i in infos]
        assert names == sorted(names, key=str.encode)
        assert names == [
            "_internal/base_library.zip",
            "_internal/libpython3.11.so.1.0",
            "_internal/pkg/Z-upper.txt",
            "_internal/pkg/data.json",
            "_internal/pkg/sub/Lorem ipsum.txt",
            "terraform-provider-thing_v1.2.3",
        ]
        modes = {i.filename: stat.S_IMODE(i.external_attr >> 16) for i in infos}
        assert modes["terraform-provider-thing_v1.2.3"] == 0o755
        assert modes["_internal/libpython3.11.so.1.0"] == 0o755
        assert modes["_internal/pkg/data.json"] == 0o644
        for info in infos:
            assert stat.S_ISREG(info.external_attr >> 16), info.filename
            assert info.date_time == (2024, 5, 6, 7, 8, 10)
            assert info.create_system == 3
            assert info.extra == b""
            assert info.compress_type == zipfile.ZIP_DEFLATED
            assert not info.is_dir()
        assert archive.read("_internal/pkg/data.json") == b'{"a": 1}\n'
        assert archive.testzip() is None


def test_zip_stores_a_symlink_as_the_file_it_points_to(tmp_path: Path) -> None:
    build = fake_build(tmp_path / "build")
    (build / "_internal" / "link.so").symlink_to("libpython3.11.so.1.0")
    write_zip(build, tmp_path / "out.zip")
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        info = archive.getinfo("_internal/link.so")
        assert stat.S_ISREG(info.external_attr >> 16)
        assert archive.read(info) == (build / "_internal" / "libpython3.11.so.1.0").read_bytes()


def test_zip_refuses_a_dangling_symlink(tmp_path: Path) -> None:
    build = fake_build(tmp_path / "build")
    (build / "gone").symlink_to("nowhere")
    with pytest.raises(ReleaseError, match="dangling"):
        write_zip(build, tmp_path / "out.zip")
    assert not (tmp_path / "out.zip").exists()


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, (1980, 1, 1, 0, 0, 0)),
        ({"SOURCE_DATE_EPOCH": ""}, (1980, 1, 1, 0, 0, 0)),
        ({"SOURCE_DATE_EPOCH": "1700000000"}, (2023, 11, 14, 22, 13, 20)),
        ({"SOURCE_DATE_EPOCH": "1700000001"}, (2023, 11, 14, 22, 13, 20)),  # 2-second steps
        ({"SOURCE_DATE_EPOCH": "0"}, (1980, 1, 1, 0, 0, 0)),  # a zip cannot say 1970
    ],
)
def test_zip_date_time_follows_source_date_epoch(
    environ: dict[str, str], expected: tuple[int, ...]
) -> None:
    assert zip_date_time(environ) == expected


def test_zip_date_time_refuses_a_non_number() -> None:
    with pytest.raises(ReleaseError, match="SOURCE_DATE_EPOCH"):
        zip_date_time({"SOURCE_DATE_EPOCH": "yesterday"})


# --------------------------------------------------------------------------- hashes


def test_h1_of_the_zip_equals_dirhash_of_the_unpacked_folder(tmp_path: Path) -> None:
    build = fake_build(tmp_path / "build")
    write_zip(build, tmp_path / "out.zip")
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        archive.extractall(unpacked)
    assert hash_v1(tmp_path / "out.zip") == dirhash_h1(unpacked) == dirhash_h1(build)


def test_sha256sums_lines_sorted_by_file_name(tmp_path: Path) -> None:
    b = tmp_path / "thing_1.0.0_manifest.json"
    a = tmp_path / "thing_1.0.0_linux_amd64.zip"
    b.write_text("manifest")
    a.write_bytes(b"zip")
    text = sha256sums([b, a])
    assert text == (
        f"{hashlib.sha256(b'zip').hexdigest()}  thing_1.0.0_linux_amd64.zip\n"
        f"{hashlib.sha256(b'manifest').hexdigest()}  thing_1.0.0_manifest.json\n"
    )
    assert file_sha256(a) == hashlib.sha256(b"zip").hexdigest()


def test_manifest_names_protocols_6_and_5() -> None:
    assert json.loads(manifest_json()) == {
        "version": 1,
        "metadata": {"protocol_versions": ["6.0", "5.0"]},
    }


# --------------------------------------------------------------------------- mirror


def test_mirror_tree_holds_the_zip_and_a_network_mirror_index(tmp_path: Path) -> None:
    build = fake_build(tmp_path / "build")
    zip_path = tmp_path / "terraform-provider-thing_1.2.3_linux_amd64.zip"
    write_zip(build, zip_path)
    written = update_mirror(
        tmp_path / "mirror",
        source_address=SOURCE,
        version="1.2.3",
        target="linux_amd64",
        zip_path=zip_path,
    )
    folder = tmp_path / "mirror" / "registry.terraform.io" / "example" / "thing"
    assert written == [folder / zip_path.name, folder / "index.json", folder / "1.2.3.json"]
    assert (folder / zip_path.name).read_bytes() == zip_path.read_bytes()
    assert json.loads((folder / "index.json").read_text()) == {"versions": {"1.2.3": {}}}
    assert json.loads((folder / "1.2.3.json").read_text()) == {
        "archives": {
            "linux_amd64": {
                "url": zip_path.name,
                "hashes": [hash_v1(zip_path), "zh:" + file_sha256(zip_path)],
            }
        }
    }


def test_mirror_index_merges_with_other_versions_and_platforms(tmp_path: Path) -> None:
    folder = tmp_path / "mirror" / "registry.terraform.io" / "example" / "thing"
    folder.mkdir(parents=True)
    older = {"url": "terraform-provider-thing_1.0.0_linux_amd64.zip", "hashes": ["zh:00"]}
    darwin = {"url": "terraform-provider-thing_1.2.3_darwin_arm64.zip", "hashes": ["zh:11"]}
    (folder / "index.json").write_text(json.dumps({"versions": {"1.0.0": {}}}))
    (folder / "1.0.0.json").write_text(json.dumps({"archives": {"linux_amd64": older}}))
    (folder / "1.2.3.json").write_text(json.dumps({"archives": {"darwin_arm64": darwin}}))
    zip_path = tmp_path / "terraform-provider-thing_1.2.3_linux_amd64.zip"
    write_zip(fake_build(tmp_path / "build"), zip_path)

    for _ in range(2):  # packaging the same build again changes nothing
        update_mirror(
            tmp_path / "mirror",
            source_address=SOURCE,
            version="1.2.3",
            target="linux_amd64",
            zip_path=zip_path,
        )
        index = json.loads((folder / "index.json").read_text())
        assert index == {"versions": {"1.0.0": {}, "1.2.3": {}}}
        listing = json.loads((folder / "1.2.3.json").read_text())
        assert listing["archives"]["darwin_arm64"] == darwin
        assert listing["archives"]["linux_amd64"]["url"] == zip_path.name
        assert json.loads((folder / "1.0.0.json").read_text()) == {
            "archives": {"linux_amd64": older}
        }


@pytest.mark.parametrize("content", ["not json", "[]", '{"versions": []}'])
def test_mirror_index_that_is_not_the_protocols_shape_is_a_release_error(
    tmp_path: Path, content: str
) -> None:
    folder = tmp_path / "mirror" / "registry.terraform.io" / "example" / "thing"
    folder.mkdir(parents=True)
    (folder / "index.json").write_text(content)
    zip_path = tmp_path / "terraform-provider-thing_1.2.3_linux_amd64.zip"
    write_zip(fake_build(tmp_path / "build"), zip_path)
    with pytest.raises(ReleaseError, match=r"mirror index .*index\.json"):
        update_mirror(
            tmp_path / "mirror",
            source_address=SOURCE,
            version="1.2.3",
            target="linux_amd64",
            zip_path=zip_path,
        )


# --------------------------------------------------------------------------- package() refusals


def _package(out_dir: Path, **overrides: str) -> list[Path]:
    arguments = {"source_address": SOURCE, "version": "1.2.3", "module": "provider"}
    arguments.update(overrides)
    return package(out_dir=out_dir, **arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize("source", ["example/thing", "registry.terraform.io//thing", ""])
def test_package_refuses_a_bad_source_address(tmp_path: Path, source: str) -> None:
    with pytest.raises(ReleaseError, match="source address"):
        _package(tmp_path / "out", source_address=source)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("version", ["v1.2.3", "1.2", "latest"])
def test_package_refuses_a_version_terraform_would_not_accept(tmp_path: Path, version: str) -> None:
    with pytest.raises(ReleaseError, match="semantic version"):
        _package(tmp_path / "out", version=version)


def test_package_without_pyinstaller_names_the_extra_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_find_spec = importlib.util.find_spec

    def without_pyinstaller(name: str, package: str | None = None) -> object:
        return None if name == "PyInstaller" else real_find_spec(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", without_pyinstaller)
    with pytest.raises(ReleaseError) as caught:
        _package(tmp_path / "out")
    assert "pip install 'terraform-provider-rackspace[release]'" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_package_with_an_unknown_gpg_key_fails_before_building(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "gnupg"
    empty.mkdir(mode=0o700)
    monkeypatch.setenv("GNUPGHOME", str(empty))
    lines: list[str] = []
    with pytest.raises(ReleaseError, match=r"no secret key 'nobody@example\.invalid'"):
        package(
            source_address=SOURCE,
            version="1.2.3",
            module="provider",
            out_dir=tmp_path / "out",
            gpg_key="nobody@example.invalid",
            progress=lines.append,
        )
    assert lines == []  # refused before the (slow) build started


def test_package_without_gpg_on_path_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no gpg
    with pytest.raises(ReleaseError, match="gpg is not installed"):
        _package(tmp_path / "out", gpg_key="someone")


def test_release_module_imports_nothing_provider_specific() -> None:
    # The SDK layer must stay generic: a second provider could be released with it.
    source = Path(release.__file__).read_text()
    assert "rackspace" not in source.lower()
