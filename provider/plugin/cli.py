"""The command line of a provider executable: `serve` (default), `install`, `uninstall`,
`package`, `debug`, `--version`.

A provider's console script calls `run(argv, factory, source_address, version)`; nothing here
knows which provider it is.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from provider.plugin.handshake import has_magic_cookie
from provider.plugin.install import default_plugin_dir, platform_target

if TYPE_CHECKING:
    from provider.plugin.resource import Provider

__all__ = ["default_plugin_dir", "platform_target", "run"]

_NOT_FOR_HUMANS = """\
This binary is a plugin: Terraform starts it and talks to it; it does nothing on its own.

  {prog} install [--dir DIR]
      put a launcher where Terraform finds it (default DIR: {default_dir})
  {prog} uninstall [--dir DIR]
      take it out again
  {prog} package [--out DIR] [--gpg-key KEY]
      self-contained release files (zip, SHA256SUMS, manifest, mirror tree)
  {prog} --version
  {prog} debug
      serve without Terraform and print the TF_REATTACH_PROVIDERS value to export

Then use `source = "{source}"` in a required_providers block and run `terraform init`.
"""


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

    def resolved_version() -> str:
        return version() if callable(version) else version

    parser = argparse.ArgumentParser(prog=prog, description=f"Terraform provider {source_address}")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    commands = parser.add_subparsers(dest="command")
    for name, text in (
        ("install", "install a launcher for Terraform to find"),
        ("uninstall", "remove the launcher that install wrote"),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument(
            "--dir",
            type=Path,
            default=None,
            help=f"plugin directory (default {default_plugin_dir()})",
        )
    p_package = commands.add_parser(
        "package", help="build self-contained release files (needs the release extra)"
    )
    p_package.add_argument(
        "--out", type=Path, default=Path("dist"), help="output directory (default ./dist)"
    )
    p_package.add_argument(
        "--gpg-key", default=None, help="sign SHA256SUMS with this gpg key (id or e-mail)"
    )
    commands.add_parser("debug", help="serve without Terraform; print TF_REATTACH_PROVIDERS")
    commands.add_parser("serve", help="serve for Terraform (what Terraform runs)")
    ns = parser.parse_args(args)
    if ns.version:
        sys.stdout.write(f"{prog} {resolved_version()}\n")
        return 0
    if ns.command is None:
        parser.print_usage(sys.stderr)
        return 2
    if ns.command in ("install", "uninstall"):
        return _install_command(ns.command, ns.dir, source_address, resolved_version(), module)
    if ns.command == "package":
        return _package_command(ns.out, ns.gpg_key, source_address, resolved_version(), module)
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


def _install_command(
    command: str, plugin_dir: Path | None, source_address: str, version: str, module: str
) -> int:
    from provider.plugin import install as installer

    if command == "uninstall":
        removed = installer.uninstall(source_address, version, plugin_dir)
        directory = plugin_dir or installer.default_plugin_dir()
        if not removed:
            sys.stdout.write(f"{source_address} {version} is not installed in {directory}\n")
        for path in removed:
            sys.stdout.write(f"removed {path}\n")
        return 0
    try:
        where = installer.install(source_address, version, module, plugin_dir)
    except (installer.InstallError, OSError) as error:
        sys.stderr.write(f"install: {error}\n")
        return 1
    sys.stdout.write(
        installer.next_steps(
            source_address, version, where, sys.executable, implied=plugin_dir is None
        )
    )
    return 0


def _package_command(
    out_dir: Path, gpg_key: str | None, source_address: str, version: str, module: str
) -> int:
    from provider.plugin import release

    def progress(line: str) -> None:
        sys.stderr.write(f"package: {line}\n")

    try:
        written = release.package(
            source_address=source_address,
            version=version,
            module=module,
            out_dir=out_dir,
            gpg_key=gpg_key,
            progress=progress,
        )
    except release.ReleaseError as error:
        sys.stderr.write(f"package: {error}\n")
        return 1
    for path in written:
        sys.stdout.write(f"{path}\n")
    return 0
