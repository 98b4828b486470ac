"""Rewrite the committed example lock file's `h1:` hash after the launcher changed.

    .venv/bin/python scripts/update_example_lock.py          # rewrite
    .venv/bin/python scripts/update_example_lock.py --check  # exit 1 when stale

`examples/shared-ip/.terraform.lock.hcl` is committed, as a team would commit theirs. Its
hash covers the launcher that `terraform-provider-rackspace install` writes, whose bytes
depend only on the version and the launcher's template: any change to either makes the
committed hash stale, and `terraform init -lockfile=readonly` (plan-check.sh) refuses it.
The hash is Terraform's `h1:` (Go dirhash Hash1) over the installed package directory,
computed here without running Terraform.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import re
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LOCK = REPO / "examples" / "shared-ip" / ".terraform.lock.hcl"
SOURCE = "registry.terraform.io/rackspace/rackspace"


def launcher_h1() -> str:
    """The `h1:` of the package directory `install` writes for this checkout's version."""
    sys.path.insert(0, str(REPO))
    from provider import __version__
    from provider.plugin.install import install

    with tempfile.TemporaryDirectory() as tmp:
        where = install(SOURCE, __version__, "provider", Path(tmp), compile_client=False)
        summary = hashlib.sha256()
        for path in sorted(where.launcher.parent.iterdir(), key=lambda p: p.name.encode()):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            summary.update(f"{digest}  {path.name}\n".encode())
    return "h1:" + base64.b64encode(summary.digest()).decode()


def rewritten(text: str, h1: str) -> str:
    """`text` (a lock file) with the rackspace provider's hashes replaced by `h1` alone."""
    block = re.compile(
        r'(provider "' + re.escape(SOURCE) + r'" \{.*?hashes = \[\n)(.*?)(\n  \])', re.S
    )
    if not block.search(text):
        raise SystemExit(f"{LOCK}: no hashes list for {SOURCE}")
    return block.sub(lambda m: f'{m.group(1)}    "{h1}",{m.group(3)}', text, count=1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the lock is stale")
    args = parser.parse_args()
    h1 = launcher_h1()
    text = LOCK.read_text()
    if h1 in text:
        print(f"{LOCK.relative_to(REPO)} is up to date ({h1})")
        return 0
    if args.check:
        print(f"{LOCK.relative_to(REPO)} is stale: the launcher's hash is now {h1}")
        return 1
    LOCK.write_text(rewritten(text, h1))
    print(f"{LOCK.relative_to(REPO)}: {h1}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
