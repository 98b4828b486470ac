"""Install a provider's launcher into a Terraform plugin mirror, and take it out again.

Terraform finds a provider in a local mirror at
`<dir>/<host>/<namespace>/<type>/<version>/<os>_<arch>/terraform-provider-<type>_v<version>`
and records a hash of that directory (`h1:`) in `.terraform.lock.hcl`. For a lock file to
work on every machine of a team, the launcher's bytes must depend only on the provider's
version and module, never on where the Python environment is. So the launcher finds the
environment at run time:

1. the environment variable `<PROG>_PYTHON` (`TERRAFORM_PROVIDER_RACKSPACE_PYTHON` for
   `terraform-provider-rackspace`): an interpreter that has the provider installed; else
2. the *interpreter record* `<dir>/.<prog>/v<version>.interpreter`, one line naming the
   interpreter, written by `install` beside the mirror tree. The launcher reaches it through
   its own physical path: Terraform symlinks an unpacked mirror directory into
   `.terraform/providers/` and into a plugin cache (seen with Terraform 1.0.3 and 1.11.4), so
   the real directory is always the mirror's. Terraform's mirror scan ignores entries less
   than three levels deep, so the record is invisible to it.

The interpreter runs with `-I` (isolated mode): neither the working directory nor
`PYTHONPATH` nor the user's site-packages is on `sys.path`, so a `provider.py` in a
configuration's folder is never imported. It also runs with `-S`: the launcher first offers
the launch to a warm fork server (`warm_client`, whose source the launcher embeds, and
`forkserver`), which needs only the standard library; only a cold start adds the site
directories. When the interpreter or the package is missing,
or the environment now holds another version, the launcher prints one line on stdout and
exits 1: Terraform shows that line to the user ("Unrecognized remote plugin message: ...").
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "InstallError",
    "Installation",
    "default_plugin_dir",
    "install",
    "interpreter_variable",
    "launcher_script",
    "next_steps",
    "platform_target",
    "uninstall",
]


class InstallError(Exception):
    """`install` cannot work here; str(error) is the one line to show."""


def platform_target() -> str:
    """Terraform's `<os>_<arch>` name for this machine (linux_amd64, darwin_arm64, ...)."""
    import platform

    os_name = sys.platform
    if os_name.startswith("linux"):
        os_name = "linux"
    elif os_name.startswith("win"):
        os_name = "windows"
    machine = platform.machine().lower()
    arch = {
        "x86_64": "amd64",
        "amd64": "amd64",
        "aarch64": "arm64",
        "arm64": "arm64",
        "i386": "386",
        "i686": "386",
        "armv7l": "arm",
    }.get(machine, machine)
    return f"{os_name}_{arch}"


def default_plugin_dir() -> Path:
    """Terraform's implied local mirror directory for the current user."""
    return Path.home() / ".terraform.d" / "plugins"


def interpreter_variable(prog: str) -> str:
    """The environment variable that overrides the interpreter record, e.g.
    `TERRAFORM_PROVIDER_RACKSPACE_PYTHON` for `terraform-provider-rackspace`."""
    return prog.upper().replace("-", "_") + "_PYTHON"


# The bootstrap runs under `python -I -S -c`; it may not contain a single quote (it sits
# inside one in the shell script). It first offers the launch to a fork server (the source of
# `warm_client`, then a call; see that module), which exits this process when it served it.
# Otherwise it adds the site directories that -S left out (-S saves the launcher the .pth
# files on the warm path) and checks the package before handing over to `python -m module`,
# so that a missing or upgraded package is one line Terraform shows, not a traceback it hides.
_WARM_CALL = """
launch({prog}, {version}, {module}, {server_module}, sys.argv[1:])
"""
_BOOTSTRAP = """\
import site
site.main()
import sys
try:
    import {module} as package
except ImportError as error:
    sys.stdout.write(f"{prog} {version}: the Python at {{sys.executable}} cannot import"
                     f" the provider ({{error}}). {fix}\\n")
    raise SystemExit(1)
found = getattr(package, "__version__", None)
if found != "{version}":
    sys.stdout.write(f"{prog} {version}: the Python at {{sys.executable}} now holds version"
                     f" {{found}} - run {prog} install from that environment to install its"
                     " launcher, then terraform init -upgrade.\\n")
    raise SystemExit(1)
import runpy
runpy.run_module("{module}", run_name="__main__", alter_sys=True)
"""

_LAUNCHER = """\
#!/bin/sh
# {prog} {version}: the launcher written by `{prog} install`.
# Its bytes are the same on every machine, so one .terraform.lock.hcl serves a whole team.
# It runs the Python named by ${variable}, else the one recorded in
# .{prog}/v{version}.interpreter at the root of the plugin directory it is in
# (through the warm client .{prog}/v{version}.warm beside it, when there is one).
# Terraform reads stdout: the only line printed here is an error for the user.
fix="{fix}"
py=${{{variable}:-}}
case "$0" in */*) here=${{0%/*}} ;; *) here=. ;; esac
root=$(cd -P -- "$here/../../../../.." 2>/dev/null && pwd -P)
if [ -z "$py" ]; then
  record="$root/.{prog}/v{version}.interpreter"
  if [ -r "$record" ]; then IFS= read -r py <"$record" || true; fi
fi
if [ -z "$py" ]; then
  echo "{prog} {version}: no Python environment recorded ($record is missing). $fix"
  exit 1
fi
if [ ! -x "$py" ]; then
  echo "{prog} {version}: the Python environment it was installed from is gone ($py). $fix"
  exit 1
fi
boot='{bootstrap}'
# The compiled warm client, when install could build one here; it runs the same bootstrap
# with this Python whenever it cannot serve the launch warm.
client="$root/.{prog}/v{version}.warm"
if [ -x "$client" ]; then exec "$client" "$py" "$boot" "$@"; fi
exec "$py" -I -S -c "$boot" "$@"
"""


# The fork server this SDK runs (the launcher names it when it starts one).
_SERVER_MODULE = __name__.rsplit(".", 1)[0] + ".forkserver"


def _warm_source() -> str:
    """The source of `warm_client`, embedded in the launcher: fixed for a given version of
    this SDK, so the launcher stays one file for every machine."""
    from importlib import resources

    package = __name__.rsplit(".", 1)[0]
    return resources.files(package).joinpath("warm_client.py").read_text(encoding="utf-8")


def launcher_script(prog: str, version: str, module: str) -> str:
    """The launcher's text: a POSIX shell script that depends only on its arguments.

    `prog` is the executable's name (`terraform-provider-rackspace`), `module` the package
    whose `__main__` serves the provider and whose `__version__` must equal `version`. The
    script `exec`s the interpreter, so signals from Terraform reach the provider itself (or,
    on a warm launch, the launcher, which relays them to the forked child). The text embeds
    the source of `warm_client` from this SDK, which is fixed for a version.
    """
    variable = interpreter_variable(prog)
    fix = (
        f"Fix: run {prog} install from a Python environment that has {prog} {version},"
        f" or set {variable} to such a Python."
    )
    bootstrap = _warm_source() + _WARM_CALL.format(
        prog=json.dumps(prog),
        version=json.dumps(version),
        module=json.dumps(module),
        server_module=json.dumps(_SERVER_MODULE),
    )
    bootstrap += _BOOTSTRAP.format(module=module, prog=prog, version=version, fix=fix)
    if "'" in bootstrap:
        raise ValueError("the launcher's bootstrap may not contain a single quote")
    return _LAUNCHER.format(
        prog=prog, version=version, variable=variable, fix=fix, bootstrap=bootstrap
    )


@dataclass(frozen=True)
class Installation:
    """Where one version of a provider lives in a plugin mirror.

    `plugin_dir` is the mirror's root; `launcher` the executable Terraform runs; `record` the
    interpreter record beside the tree (see the module docstring); `client` the compiled
    warm client beside the record.
    """

    plugin_dir: Path
    launcher: Path
    record: Path

    @property
    def client(self) -> Path:
        """The compiled warm client beside the record (see `warm_cc`); may not exist."""
        return self.record.with_suffix(".warm")

    @classmethod
    def at(cls, plugin_dir: Path, source_address: str, version: str) -> Installation:
        """The paths for `source_address` (host/namespace/type) at `version` on this machine."""
        host, namespace, type_name = source_address.split("/")
        prog = f"terraform-provider-{type_name}"
        target = plugin_dir / host / namespace / type_name / version / platform_target()
        return cls(
            plugin_dir=plugin_dir,
            launcher=target / f"{prog}_v{version}",
            record=plugin_dir / f".{prog}" / f"v{version}.interpreter",
        )


def _write_atomically(path: Path, text: str, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text)
    tmp.chmod(mode)
    os.replace(tmp, path)


def install(
    source_address: str,
    version: str,
    module: str,
    plugin_dir: Path | None = None,
    python: str | None = None,
    compile_client: bool = True,
) -> Installation:
    """Write the launcher and the interpreter record into `plugin_dir` (default: Terraform's
    implied local mirror) for the interpreter `python` (default: this one).

    With `compile_client` (the default) the warm client is also compiled beside the record
    when this machine has a C compiler (`warm_cc`); without one the launcher uses the Python
    client, and an older compiled client of this version is removed.

    Raises `InstallError` in a self-contained build, which has no interpreter to record (its
    zip goes into a mirror as it is).
    """
    if getattr(sys, "frozen", False):
        raise InstallError(
            "this is a self-contained build: put its zip in a filesystem or network mirror"
            " instead of running install (see the README, 'Using it in a team and in CI')"
        )
    root = (plugin_dir or default_plugin_dir()).absolute()
    where = Installation.at(root, source_address, version)
    prog = where.launcher.name.rsplit("_v", 1)[0]
    interpreter = python or sys.executable
    if "\n" in interpreter:
        raise InstallError(f"cannot record an interpreter path with a newline: {interpreter!r}")
    # The record first: a launcher that exists always has an environment to run.
    _write_atomically(where.record, interpreter + "\n", 0o644)
    _write_atomically(where.launcher, launcher_script(prog, version, module), 0o755)
    from provider.plugin import warm_cc

    if compile_client:
        warm_cc.compile_client(where.client, prog, version, module)
    else:
        where.client.unlink(missing_ok=True)
    return where


def uninstall(source_address: str, version: str, plugin_dir: Path | None = None) -> list[Path]:
    """Remove the launcher and interpreter record of `version` from `plugin_dir` (default:
    the implied local mirror), and the directories that leaves empty. Returns what was removed
    (empty when nothing was installed there). The compiled warm client, a by-product of the
    record that install rebuilds at will, goes with the record and is not listed."""
    root = (plugin_dir or default_plugin_dir()).absolute()
    where = Installation.at(root, source_address, version)
    removed: list[Path] = []
    for path in (where.launcher, where.record):
        if path.is_file() or path.is_symlink():
            path.unlink()
            removed.append(path)
    where.client.unlink(missing_ok=True)
    for directory in (*where.launcher.parents, where.record.parent):
        if directory == where.plugin_dir or where.plugin_dir not in directory.parents:
            continue
        try:
            directory.rmdir()  # only when empty: other versions and providers stay
        except OSError:
            continue
    return removed


def next_steps(
    source_address: str, version: str, where: Installation, interpreter: str, implied: bool
) -> str:
    """What `install` tells a human to do next (a few lines, ending in a newline)."""
    short = source_address.removeprefix("registry.terraform.io/")
    local = short.rsplit("/", 1)[-1]
    major_minor = ".".join(version.split(".")[:2])
    lines = [
        f"Installed {source_address} {version}",
        f"  launcher     {where.launcher}",
        f"  interpreter  {interpreter} (recorded in {where.record})",
        "",
        "Next: declare it in your configuration and run `terraform init`:",
        "",
        "  terraform {",
        "    required_providers {",
        f'      {local} = {{ source = "{short}", version = "~> {major_minor}" }}',
        "    }",
        "  }",
    ]
    if not implied:
        patterns = f'["{source_address}"]'
        lines += [
            "",
            "This is not Terraform's implied local mirror: add it to your CLI configuration",
            "(~/.terraformrc or TF_CLI_CONFIG_FILE):",
            "",
            "  provider_installation {",
            "    filesystem_mirror {",
            f"      path    = {json.dumps(str(where.plugin_dir))}",
            f"      include = {patterns}",
            "    }",
            "    direct {",
            f"      exclude = {patterns}",
            "    }",
            "  }",
        ]
    lines += [
        "",
        "The launcher is the same file on every machine, so commit .terraform.lock.hcl;",
        "each colleague runs `pip install` and `install` once.",
    ]
    return "\n".join(lines) + "\n"
