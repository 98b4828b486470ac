"""Release files for a provider: a self-contained build, checksums, signature, manifest, mirror.

`package()` freezes the provider with PyInstaller (one-folder mode) into a native executable
that bundles Python and every dependency, then writes what Terraform's registries and mirrors
expect, named after the provider's type (`TYPE`) and version:

    out_dir/
      terraform-provider-TYPE_<version>_<os>_<arch>.zip   the build; the executable at its root
      terraform-provider-TYPE_<version>_SHA256SUMS        "<sha256>  <file>" lines, sorted
      terraform-provider-TYPE_<version>_SHA256SUMS.sig    detached binary GPG signature (optional)
      terraform-provider-TYPE_<version>_manifest.json     {"version": 1, "metadata": {...}}
      mirror/<host>/<namespace>/<type>/
        terraform-provider-TYPE_<version>_<os>_<arch>.zip a filesystem_mirror (packed layout)
        index.json, <version>.json                        ... and a network_mirror, as static files

Nothing here knows which provider it is: the source address, version and importable module
come from the caller. PyInstaller is imported only by the build step (the `release` extra);
everything else is the standard library, so the zip writer, the hashes and the mirror index are
usable and testable without it.

Facts this module relies on, and where they come from:

- File names and SHA256SUMS format: the public registry's release layout (as goreleaser writes
  it for terraform-provider-scaffolding): `<sha256>  <file>` lines for the zips and the manifest.
- Manifest: `{"version": 1, "metadata": {"protocol_versions": [...]}}`, the registry's
  `terraform-registry-manifest.json` published as `..._manifest.json`.
- Network mirror protocol (developer.hashicorp.com/terraform/internals/provider-network-mirror-
  protocol): `<host>/<namespace>/<type>/index.json` = `{"versions": {"<v>": {}}}` and
  `<v>.json` = `{"archives": {"<os>_<arch>": {"url": ..., "hashes": [...]}}}`; a relative `url`
  is resolved against the `<v>.json` URL.
- Filesystem mirror, packed layout:
  `<host>/<namespace>/<type>/terraform-provider-<type>_<v>_<os>_<arch>.zip`.
- Hashes: `zh:` is the hex SHA-256 of the zip; `h1:` is Go's dirhash `Hash1` (the hash Terraform
  writes into `.terraform.lock.hcl`): SHA-256 over the lines `"<hex sha256 of file>  <name>\\n"`
  for every file, names sorted, base64-encoded. Terraform computes it over the unpacked
  directory; because the zip holds no directory entries and no symlinks, hashing the zip's
  entries gives the same value.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

__all__ = [
    "PROTOCOL_VERSIONS",
    "ReleaseError",
    "file_sha256",
    "hash_v1",
    "manifest_json",
    "package",
    "sha256sums",
    "sign",
    "update_mirror",
    "write_zip",
    "zip_date_time",
]

# The plugin protocols the SDK serves, newest first, as the registry manifest spells them.
PROTOCOL_VERSIONS = ("6.0", "5.0")

# Used when SOURCE_DATE_EPOCH is not set: the earliest date a zip entry can carry (MS-DOS
# time starts in 1980), the same choice as Go module zips and reproducible-builds tooling.
DEFAULT_DATE_TIME = (1980, 1, 1, 0, 0, 0)

# Terraform accepts semantic versions only (the registry rejects anything else).
_SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")

Progress = Callable[[str], None]

# Modules that PyInstaller's analysis drags in but a serving provider never imports:
# grpc imports grpc_tools (the protobuf compiler, 8 MB) only to compile .proto files at run
# time, which the SDK never does (its stubs are generated ahead of time); setuptools and its
# distutils shims arrive through PyInstaller's own setuptools hook (about 2 MB);
# multiprocessing is only reachable through concurrent.futures' process pool (the SDK serves
# from threads), and its presence adds a run-time hook that costs about 9 ms per launch.
_EXCLUDED_MODULES = (
    "grpc_tools",
    "setuptools",
    "pkg_resources",
    "distutils",
    "_distutils_hack",
    "multiprocessing",
)


class ReleaseError(Exception):
    """A release step failed; str(error) is the one line to show the user (no traceback)."""


# --------------------------------------------------------------------------- the whole release


def package(
    *,
    source_address: str,
    version: str,
    module: str,
    out_dir: Path,
    gpg_key: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[Path]:
    """Build the release files for this machine's platform into out_dir; return the paths written.

    `source_address` is `<host>/<namespace>/<type>`; `module` is the importable package whose
    `__main__` serves the provider (the frozen executable behaves exactly as `python -m module`).
    `progress` receives human-readable lines. Raises `ReleaseError` when an argument is
    invalid, PyInstaller is missing, the build fails, an existing mirror index is unreadable,
    or `gpg` is missing or fails. PyInstaller's work files (and its cache) live in a temporary
    directory that is removed afterwards; nothing else is written outside `out_dir`.
    """
    say = progress or (lambda _line: None)
    host, namespace, type_name = _split_source(source_address)
    if not _SEMVER.match(version):
        raise ReleaseError(f"version {version!r} is not a semantic version (such as 1.2.3)")
    if getattr(sys, "frozen", False):
        raise ReleaseError("package runs from a Python installation of the provider, not a build")
    # Checked before the slow build, so a missing tool fails in a second, not after a minute.
    _require_pyinstaller(module)
    if gpg_key is not None:
        _require_secret_key(gpg_key)

    from provider.plugin.cli import platform_target

    target = platform_target()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    prefix = f"terraform-provider-{type_name}_{version}"
    executable = f"terraform-provider-{type_name}_v{version}"
    zip_path = out_dir / f"{prefix}_{target}.zip"

    with tempfile.TemporaryDirectory(prefix="provider-release-") as work:
        started = time.monotonic()
        say(f"freezing {module} with PyInstaller for {target} (takes a minute or two)")
        build = _freeze(module, executable, version, Path(work), say)
        say(f"froze in {time.monotonic() - started:.0f}s; writing {zip_path.name}")
        write_zip(build, zip_path, date_time=zip_date_time())
    written = [zip_path]

    manifest = out_dir / f"{prefix}_manifest.json"
    manifest.write_text(manifest_json())
    written.append(manifest)

    sums = out_dir / f"{prefix}_SHA256SUMS"
    sums.write_text(sha256sums([zip_path, manifest]))
    written.append(sums)
    if gpg_key is not None:
        say(f"signing {sums.name} with GPG key {gpg_key}")
        written.append(sign(sums, gpg_key))

    written += update_mirror(
        out_dir / "mirror",
        source_address=f"{host}/{namespace}/{type_name}",
        version=version,
        target=target,
        zip_path=zip_path,
    )
    size_mb = zip_path.stat().st_size / 1e6
    say(f"wrote {len(written)} files into {out_dir} ({zip_path.name}: {size_mb:.1f} MB)")
    return written


def _split_source(source_address: str) -> tuple[str, str, str]:
    parts = source_address.split("/")
    if len(parts) != 3 or not all(parts):
        raise ReleaseError(
            f"source address {source_address!r} is not <host>/<namespace>/<type> "
            "(such as registry.terraform.io/example/example)"
        )
    return parts[0], parts[1], parts[2]


# --------------------------------------------------------------------------- freezing


def _require_pyinstaller(module: str) -> None:
    """Raise `ReleaseError` naming the `release` extra of `module`'s distribution when
    PyInstaller cannot be imported."""
    import importlib.util

    if importlib.util.find_spec("PyInstaller") is not None:
        return
    dists = _distributions(module)
    what = f"'{dists[0]}[release]'" if dists else "pyinstaller"
    raise ReleaseError(
        f"PyInstaller is not installed; install the release tools: pip install {what}"
    )


def _distributions(module: str) -> list[str]:
    """The installed distributions that provide the top-level package `module`."""
    from importlib import metadata

    return sorted(set(metadata.packages_distributions().get(module, [])))


def _freeze(module: str, name: str, version: str, work: Path, say: Progress) -> Path:
    """Run PyInstaller (one-folder mode) in `work`; return the folder holding `name`.

    PyInstaller runs in a child interpreter because the hash seed must be fixed before the
    interpreter starts (PyInstaller's reproducible-build advice: PYTHONHASHSEED).
    """
    import importlib.util

    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ReleaseError(f"{module!r} is not an importable package")
    # The folder that holds the package, so PyInstaller finds it whether the project is
    # installed normally or in editable mode (an import hook PyInstaller cannot follow).
    search_root = Path(next(iter(spec.submodule_search_locations))).resolve().parent

    entry = work / "entry" / f"{module}_main.py"
    entry.parent.mkdir()
    # The launch is offered to a warm fork server first (the same warm path as the installed
    # launcher's); otherwise runpy gives the frozen program the exact semantics of
    # `python -m module`.
    sdk = __name__.rsplit(".", 1)[0]
    entry.write_text(
        "# Entry point of the frozen provider: a warm launch, else the same as `python -m "
        + module
        + "`.\n"
        f"from {sdk}.warm_client import frozen_main\n\n"
        f"frozen_main({name.rsplit('_v', 1)[0]!r}, {version!r}, {module!r}, "
        f"{sdk + '.forkserver'!r})\n"
    )
    hook = work / "entry" / "isolate_sys_path.py"
    # The bootloader builds sys.path from the bundle only; this hook makes sure that stays
    # so whatever the environment says (PYTHONPATH) or wherever Terraform starts it (the
    # configuration's folder): nothing outside the bundle is ever importable.
    hook.write_text(
        "import os\nimport sys\n\n"
        "_root = os.path.normcase(os.path.abspath(sys._MEIPASS))\n"
        "sys.path[:] = [\n"
        "    p for p in sys.path\n"
        "    if os.path.normcase(os.path.abspath(p or '.')).startswith(_root)\n"
        "]\n"
    )
    datas = _distribution_metadata(module, version, work / "metadata")

    command = [
        sys.executable,
        "-P",  # the child's cwd (the work dir) is not put on sys.path
        "-m",
        "PyInstaller",
        str(entry),
        "--noconfirm",
        "--clean",
        "--onedir",
        "--name",
        name,
        "--distpath",
        str(work / "dist"),
        "--workpath",
        str(work / "build"),
        "--specpath",
        str(work),
        "--paths",
        str(search_root),
        # The SDK imports its modules lazily (importlib, inside functions, on a thread after
        # the handshake); collecting every submodule means none can be missing at run time.
        "--collect-submodules",
        module,
        "--hidden-import",
        f"{module}.__main__",
        "--hidden-import",
        f"{sdk}.forkserver",
        "--runtime-hook",
        str(hook),
        "--noupx",
        # Modules as loose .pyc files (hash-based, unchecked: no timestamps) instead of one
        # zlib archive appended to the executable: the standard importer loads them without
        # decompressing, which makes the handshake about 10 ms faster.
        "--debug",
        "noarchive",
        "--strip",  # smaller; `strip` output is the same for the same input
        "--log-level",
        "WARN",
    ]
    for excluded in _EXCLUDED_MODULES:
        command += ["--exclude-module", excluded]
    for source, dest in datas:
        command += ["--add-data", f"{source}{os.pathsep}{dest}"]
    env = dict(os.environ)
    env.update(
        PYTHONHASHSEED="0",
        # PyInstaller caches stripped binaries in the user's cache dir; keep it in `work`.
        PYINSTALLER_CONFIG_DIR=str(work / "config"),
    )
    # PyInstaller resolves the package in this child and in further children of its own (hook
    # and submodule discovery); this makes all of them find the copy this process found,
    # whatever finder an installation uses, and nothing else the shell's PYTHONPATH names.
    env["PYTHONPATH"] = str(search_root)
    done = subprocess.run(
        command,
        cwd=work,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        for line in lines[-20:]:
            say(f"  pyinstaller: {line}")
        last = lines[-1] if lines else "(no output)"
        raise ReleaseError(f"PyInstaller failed with exit status {done.returncode}: {last}")
    build = work / "dist" / name
    if not (build / name).is_file():
        raise ReleaseError(f"PyInstaller wrote no executable {name} in {build}")
    return build


def _distribution_metadata(module: str, version: str, where: Path) -> list[tuple[Path, str]]:
    """A minimal `<dist>-<version>.dist-info/METADATA` so that the frozen program's
    `importlib.metadata.version(<dist>)` answers `version`.

    Written here rather than copied (PyInstaller's --copy-metadata) because an editable
    install's dist-info holds the checkout's absolute path, which must not reach the build.
    """
    names = _distributions(module)
    datas: list[tuple[Path, str]] = []
    for dist in names:
        folder = where / f"{dist.replace('-', '_')}-{version}.dist-info"
        folder.mkdir(parents=True)
        (folder / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n"
        )
        datas.append((folder, folder.name))
    return datas


# --------------------------------------------------------------------------- the zip


def zip_date_time(environ: Mapping[str, str] | None = None) -> tuple[int, int, int, int, int, int]:
    """The timestamp every zip entry carries: SOURCE_DATE_EPOCH (UTC) when set, else 1980-01-01.

    A SOURCE_DATE_EPOCH before 1980 (which a zip cannot store) is clamped to 1980-01-01; one
    that is not an integer raises `ReleaseError`.
    """
    env = os.environ if environ is None else environ
    raw = env.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        return DEFAULT_DATE_TIME
    try:
        epoch = int(raw)
    except ValueError:
        raise ReleaseError(f"SOURCE_DATE_EPOCH={raw!r} is not a number of seconds") from None
    stamp = time.gmtime(max(epoch, 315532800))  # 315532800 = 1980-01-01T00:00:00Z
    # Zip stores seconds in 2-second steps: round down so that every writer agrees.
    return (*stamp[:5], stamp.tm_sec - stamp.tm_sec % 2)  # type: ignore[return-value]


def write_zip(
    root: Path,
    dest: Path,
    *,
    date_time: tuple[int, int, int, int, int, int] = DEFAULT_DATE_TIME,
) -> None:
    """Zip every file under `root` (names relative to it) into `dest`, deterministically.

    Entries are sorted by name; each carries `date_time`, mode 0755 when the file is
    executable by its owner (else 0644), Unix as the creating system and no extra fields.
    Directories get no entries of their own (unzip tools, Terraform's included, create them
    0755), which keeps the zip's `h1:` equal to that of the unpacked folder. Symlinks are
    stored as the files they point to (Terraform's unzip does not create links). Raises
    `ReleaseError` for a name holding a newline (dirhash refuses those) or a dangling link.
    """
    files: list[tuple[str, Path]] = []
    for path in root.rglob("*"):
        if path.is_dir():  # follows links to folders, as their files are listed below them
            continue
        if not path.exists():
            raise ReleaseError(f"{path} is a dangling symbolic link")
        name = path.relative_to(root).as_posix()
        if "\n" in name:
            raise ReleaseError(f"file name {name!r} holds a newline")
        files.append((name, path))
    files.sort(key=lambda item: item[0].encode())
    tmp = dest.with_name(dest.name + ".tmp")
    with zipfile.ZipFile(tmp, "w") as archive:
        for name, path in files:
            info = zipfile.ZipInfo(name, date_time=date_time)
            mode = 0o755 if path.stat().st_mode & stat.S_IXUSR else 0o644
            info.external_attr = (stat.S_IFREG | mode) << 16
            info.create_system = 3  # Unix, so that the mode bits above are honoured
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as source, archive.open(info, "w") as target:
                shutil.copyfileobj(source, target, 1 << 20)
    os.replace(tmp, dest)


# --------------------------------------------------------------------------- hashes, manifest


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def hash_v1(zip_path: Path) -> str:
    """Terraform's `h1:` hash of a provider zip (Go dirhash Hash1 over its file entries).

    Equals the `h1:` Terraform computes over the unpacked folder for zips written by
    `write_zip` (no directory entries, no symlinks).
    """
    summary = hashlib.sha256()
    with zipfile.ZipFile(zip_path) as archive:
        names = sorted((i.filename for i in archive.infolist() if not i.is_dir()), key=str.encode)
        for name in names:
            digest = hashlib.sha256()
            with archive.open(name) as f:
                while chunk := f.read(1 << 20):
                    digest.update(chunk)
            summary.update(f"{digest.hexdigest()}  {name}\n".encode())
    return "h1:" + base64.b64encode(summary.digest()).decode()


def sha256sums(paths: Iterable[Path]) -> str:
    """The SHA256SUMS text for `paths`: `<hex sha256>  <file name>` lines sorted by name."""
    lines = sorted((p.name, file_sha256(p)) for p in paths)
    return "".join(f"{digest}  {name}\n" for name, digest in lines)


def manifest_json(protocol_versions: Iterable[str] = PROTOCOL_VERSIONS) -> str:
    """The registry manifest: `{"version": 1, "metadata": {"protocol_versions": [...]}}`."""
    body = {"version": 1, "metadata": {"protocol_versions": list(protocol_versions)}}
    return json.dumps(body, indent=2) + "\n"


def _gpg() -> str:
    gpg = shutil.which("gpg")
    if gpg is None:
        raise ReleaseError("gpg is not installed (needed for --gpg-key); install gnupg")
    return gpg


def _require_secret_key(key: str) -> None:
    """Raise `ReleaseError` unless gpg holds a secret key for `key` (GNUPGHOME honoured)."""
    done = subprocess.run(
        [_gpg(), "--batch", "--list-secret-keys", "--with-colons", "--", key],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 or not done.stdout.strip():
        home = os.environ.get("GNUPGHOME", "~/.gnupg")
        raise ReleaseError(f"gpg has no secret key {key!r} in its keyring ({home})")


def sign(path: Path, key: str) -> Path:
    """Write a detached binary GPG signature of `path` to `<path>.sig` with the system `gpg`.

    Uses the keyring of `GNUPGHOME` (or gpg's default). Raises `ReleaseError` when gpg is
    missing or fails (unknown key, passphrase needed in batch mode, ...), with gpg's message.
    """
    gpg = _gpg()
    sig = path.with_name(path.name + ".sig")
    sig.unlink(missing_ok=True)
    command = [gpg, "--batch", "--yes", "--local-user", key, "--output", str(sig)]
    done = subprocess.run(
        [*command, "--detach-sign", "--", str(path)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 or not sig.is_file():
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        reason = lines[-1].strip() if lines else f"exit status {done.returncode}"
        raise ReleaseError(f"gpg could not sign {path.name} with key {key!r}: {reason}")
    return sig


# --------------------------------------------------------------------------- the mirror


def update_mirror(
    mirror: Path,
    *,
    source_address: str,
    version: str,
    target: str,
    zip_path: Path,
) -> list[Path]:
    """Put `zip_path` into a mirror tree and merge it into the network-mirror index.

    Writes `<mirror>/<host>/<ns>/<type>/<zip>`, `index.json` and `<version>.json`; versions
    and platforms already listed there are kept (a mirror can hold many builds). Returns the
    three paths. Raises `ReleaseError` when an existing index file is not the JSON object the
    network mirror protocol describes.
    """
    folder = mirror.joinpath(*_split_source(source_address))
    folder.mkdir(parents=True, exist_ok=True)
    packed = folder / zip_path.name
    if packed.resolve() != zip_path.resolve():
        shutil.copyfile(zip_path, packed)

    index_path = folder / "index.json"
    index = _read_json_object(index_path, "versions")
    index["versions"][version] = {}
    index["versions"] = dict(sorted(index["versions"].items()))
    _write_json(index_path, index)

    version_path = folder / f"{version}.json"
    listing = _read_json_object(version_path, "archives")
    listing["archives"][target] = {
        # Relative: resolved against the URL of <version>.json, so the tree works from any
        # server and any path prefix.
        "url": zip_path.name,
        "hashes": [hash_v1(zip_path), "zh:" + file_sha256(zip_path)],
    }
    listing["archives"] = dict(sorted(listing["archives"].items()))
    _write_json(version_path, listing)
    return [packed, index_path, version_path]


def _read_json_object(path: Path, key: str) -> dict[str, dict[str, object]]:
    if not path.exists():
        return {key: {}}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise ReleaseError(f"cannot read the mirror index {path}: {e}") from None
    if not isinstance(data, dict) or not isinstance(data.get(key, {}), dict):
        raise ReleaseError(f"the mirror index {path} is not a JSON object with a {key!r} object")
    data.setdefault(key, {})
    return data


def _write_json(path: Path, data: object) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)
