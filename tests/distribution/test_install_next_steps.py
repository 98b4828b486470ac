"""What `install` tells a user to paste works as pasted, with real Terraform."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.terraform import TerraformBinary, binary_params

pytestmark = pytest.mark.e2e


def _snippet(text: str, opening: str) -> str:
    """The indented block that starts with `opening` in install's output, dedented."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(opening))
    indent = len(lines[start]) - len(lines[start].lstrip())
    block = []
    for line in lines[start:]:
        block.append(line[indent:])
        if line == " " * indent + "}":
            break
    return "\n".join(block) + "\n"


@pytest.mark.parametrize("binary", binary_params())
def test_the_printed_blocks_work_when_pasted(binary: TerraformBinary, tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "terraform-provider-rackspace"
    done = subprocess.run(
        [str(script), "install", "--dir", str(tmp_path / "plugins")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    (tmp_path / "cli.tfrc").write_text(_snippet(done.stdout, "provider_installation {"))
    config = tmp_path / "config"
    config.mkdir()
    (config / "main.tf").write_text(_snippet(done.stdout, "terraform {"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "PLUGIN_"))}
    env.update(TF_CLI_CONFIG_FILE=str(tmp_path / "cli.tfrc"), CHECKPOINT_DISABLE="1")
    init = subprocess.run(
        [str(binary.path), "init", "-no-color", "-input=false"],
        cwd=config,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert init.returncode == 0, init.stdout + init.stderr
    assert re.search(r"Installed rackspace/rackspace v0\.1\.0", init.stdout), init.stdout
