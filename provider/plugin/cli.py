"""The command line of a provider executable: `serve` (default), `install`, `debug`.

A provider's console script calls `run(argv, factory, source_address, version)`; nothing here
knows which provider it is.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from provider.plugin.handshake import has_magic_cookie

if TYPE_CHECKING:
    from provider.plugin.resource import Provider

__all__ = ["default_plugin_dir", "install", "launcher_script", "platform_target", "run"]

_NOT_FOR_HUMANS = """\
This binary is a plugin: Terraform starts it and talks to it; it does nothing on its own.

  {prog} install [--dir DIR]
      put a launcher where Terraform finds it (default DIR: {default_dir})
  {prog} debug
      serve without Terraform and print the TF_REATTACH_PROVIDERS value to export

Then use `source = "{source}"` in a required_providers block and run `terraform init`.
"""


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


def launcher_script(module: str, python: str | None = None) -> str:
    """A shell launcher that *execs* the interpreter, so killing it kills the provider."""
    interpreter = python or sys.executable
    return f'#!/bin/sh\nexec "{interpreter}" -m {module} "$@"\n'


def install(source_address: str, version: str, module: str, plugin_dir: Path | None = None) -> Path:
    """Write the launcher into `plugin_dir` in Terraform's unpacked mirror layout."""
    host, namespace, type_name = source_address.split("/")
    target = (
        (plugin_dir or default_plugin_dir())
        / host
        / namespace
        / type_name
        / version
        / platform_target()
    )
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"terraform-provider-{type_name}_v{version}"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(launcher_script(module))
    tmp.chmod(tmp.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    os.replace(tmp, path)
    return path


def run(
    argv: Sequence[str] | None,
    provider_factory: Callable[[], Provider],
    source_address: str,
    version: str | Callable[[], str],
    *,
    module: str | None = None,
    prog: str | None = None,
) -> int:
    """Dispatch a provider executable's command line; returns the exit status.

    `module` is what the launcher runs with `python -m` (default: the factory's top package).
    `version` may be a callable, so serving never pays for looking it up.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    type_name = source_address.rsplit("/", 1)[-1]
    prog = prog or f"terraform-provider-{type_name}"
    module = module or provider_factory.__module__.split(".")[0]
    if not args:
        if has_magic_cookie():
            from provider.plugin.server import serve

            serve(provider_factory, type_name)
            return 0
        sys.stderr.write(
            _NOT_FOR_HUMANS.format(
                prog=prog,
                source=source_address.removeprefix("registry.terraform.io/"),
                default_dir=default_plugin_dir(),
            )
        )
        return 1
    import argparse  # not on the serve path: Terraform launches with no arguments

    parser = argparse.ArgumentParser(prog=prog, description=f"Terraform provider {source_address}")
    commands = parser.add_subparsers(dest="command", required=True)
    p_install = commands.add_parser("install", help="install a launcher for Terraform to find")
    p_install.add_argument(
        "--dir",
        type=Path,
        default=None,
        help=f"plugin directory to install into (default {default_plugin_dir()})",
    )
    commands.add_parser("debug", help="serve without Terraform; print TF_REATTACH_PROVIDERS")
    commands.add_parser("serve", help="serve for Terraform (what Terraform runs)")
    ns = parser.parse_args(args)
    if ns.command == "install":
        resolved = version() if callable(version) else version
        path = install(source_address, resolved, module, ns.dir)
        sys.stderr.write(f"Installed {source_address} {resolved} launcher at {path}\n")
        return 0
    if ns.command == "debug":
        from provider.plugin.server import serve_debug

        serve_debug(provider_factory, source_address)
        return 0
    if not has_magic_cookie():
        sys.stderr.write(f"{prog} serve must be started by Terraform (no magic cookie).\n")
        return 1
    from provider.plugin.server import serve

    serve(provider_factory, type_name)
    return 0
