"""Every Terraform file under examples/ is `terraform fmt` clean, for old and new Terraform."""

from __future__ import annotations

import os
from pathlib import Path

from example_support import EXAMPLES, REPO, run_terraform


def _fmt_check(terraform: Path) -> None:
    done = run_terraform(
        terraform,
        ["fmt", "-check", "-recursive", "-diff", "-no-color", str(EXAMPLES)],
        REPO,
        dict(os.environ, CHECKPOINT_DISABLE="1"),
        ok=(0, 3),
    )
    assert done.returncode == 0, f"not fmt-clean with {terraform}:\n{done.stdout}"


def test_examples_are_fmt_clean_with_terraform_1_0_3(bundled_terraform: Path) -> None:
    _fmt_check(bundled_terraform)


def test_examples_are_fmt_clean_with_terraform_on_path(
    path_terraform: tuple[Path, tuple[int, ...]] | None,
) -> None:
    if path_terraform is None:
        import pytest

        pytest.skip("no terraform binary on PATH")
    _fmt_check(path_terraform[0])


def test_every_example_folder_holds_terraform() -> None:
    # The registry layout: one folder per resource / data source type.
    for kind, file_name in (("resources", "resource.tf"), ("data-sources", "data-source.tf")):
        folders = sorted((EXAMPLES / kind).iterdir())
        assert folders, kind
        for folder in folders:
            assert (folder / file_name).is_file(), folder
            if kind == "resources":
                assert (folder / "import.sh").is_file(), folder
