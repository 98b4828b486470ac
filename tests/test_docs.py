"""docs/ is generated from the live provider schema plus examples/, and must not be stale."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parent.parent


def _load_gen_docs() -> ModuleType:
    sys.path.insert(0, str(REPO / "scripts"))
    spec = importlib.util.spec_from_file_location("gen_docs", REPO / "scripts" / "gen_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen_docs = _load_gen_docs()


@pytest.mark.e2e
def test_docs_are_up_to_date() -> None:
    terraform, _ = gen_docs.find_terraform(None)
    wanted = gen_docs.generate(terraform)
    report = gen_docs.stale_report(wanted, gen_docs.existing_pages(REPO / "docs"))
    assert not report, "docs/ is stale; run `.venv/bin/python scripts/gen_docs.py`:\n" + "\n".join(
        report
    )


SCHEMA = {
    "provider": {"block": {"description": "Demo.", "attributes": {}}},
    "resource_schemas": {
        "rackspace_thing": {
            "block": {
                "description": "A thing.",
                "attributes": {
                    "id": {"type": "string", "computed": True, "description": "Id."},
                    "name": {"type": "string", "required": True, "description": "Name."},
                    "secret": {"type": "string", "optional": True, "sensitive": True},
                    "tags": {"type": ["set", "string"], "optional": True, "computed": True},
                    "parts": {
                        "type": ["list", ["object", {"n": "number", "sub": ["object", {}]}]],
                        "computed": True,
                    },
                },
            }
        }
    },
    "data_source_schemas": {},
}


def test_a_resource_page_has_every_section(tmp_path: Path) -> None:
    folder = tmp_path / "resources" / "rackspace_thing"
    folder.mkdir(parents=True)
    (folder / "resource.tf").write_text('resource "rackspace_thing" "x" {}\n')
    (folder / "import.sh").write_text("terraform import rackspace_thing.x ID\n")
    pages = gen_docs.render_docs(SCHEMA, tmp_path, {"rackspace_thing": {"name": "Replaces."}})
    page = pages["resources/thing.md"]
    assert page.startswith('---\npage_title: "rackspace_thing Resource')
    assert '```terraform\nresource "rackspace_thing" "x" {}\n```' in page
    assert "### Required\n\n- `name` (String) Name. Replaces.\n" in page
    assert "- `secret` (String, Sensitive)" in page
    assert "- `tags` (Set of String)" in page.split("## Attribute Reference")[0]
    attributes = page.split("## Attribute Reference")[1].split("## Import")[0]
    assert "- `id` (String) Id." in attributes
    assert "### Nested Schema for `parts`" in attributes
    assert "### Nested Schema for `parts.sub`" in attributes
    assert "```shell\nterraform import rackspace_thing.x ID\n```" in page
    assert "- [`rackspace_thing`](resources/thing.md)" in pages["index.md"]


def test_stale_report_names_changed_missing_and_extra_pages() -> None:
    wanted = {"index.md": "a\n", "resources/x.md": "b\n"}
    present = {"index.md": "a\nchanged\n", "resources/old.md": "c\n"}
    report = gen_docs.stale_report(wanted, present)
    assert any("docs/index.md (generated)" in entry for entry in report)
    assert "missing: docs/resources/x.md" in report
    assert "not generated any more: docs/resources/old.md" in report
    assert gen_docs.stale_report(wanted, dict(wanted)) == []


def test_the_import_section_shows_the_import_block_the_command_and_notes(tmp_path: Path) -> None:
    folder = tmp_path / "examples" / "resources" / "rackspace_thing"
    (folder / "import-block").mkdir(parents=True)
    (folder / "resource.tf").write_text('resource "rackspace_thing" "x" {}\n')
    (folder / "import.sh").write_text("terraform import rackspace_thing.x ID\n")
    (folder / "import-block" / "import.tf").write_text(
        'import {\n  to = rackspace_thing.x\n  id = "ID"\n}\n'
    )
    (tmp_path / "examples" / "provider").mkdir()
    (tmp_path / "examples" / "provider" / "provider.tf").write_text('provider "rackspace" {}\n')
    templates = tmp_path / "templates"
    (templates / "resources").mkdir(parents=True)
    (templates / "resources" / "thing-import.md").write_text("### After import\n\nv{{version}}\n")
    (templates / "index-installation.md").write_text("## Installation\n\nv{{version}} here\n")
    pages = gen_docs.render_docs(
        SCHEMA,
        tmp_path / "examples",
        {},
        templates,
        "9.8.7",
        {"a.md": "Guide A"},
    )
    section = pages["resources/thing.md"].split("## Import\n")[1]
    block = section.index('```terraform\nimport {\n  to = rackspace_thing.x\n  id = "ID"\n}\n```')
    command = section.index("```shell\nterraform import rackspace_thing.x ID\n```")
    notes = section.index("### After import\n\nv9.8.7\n")
    assert block < command < notes
    assert "Terraform 1.5 and later" in section
    index = pages["index.md"]
    assert index.index("## Example Usage") < index.index("## Installation\n\nv9.8.7 here\n")
    assert index.index("## Installation") < index.index("## Argument Reference")
    assert "## Guides\n\n- [Guide A](guides/a.md)\n" in index


def test_the_import_block_examples_stay_out_of_the_resource_example_folders() -> None:
    # Terraform 1.0.3 (the example tests) loads every .tf file of a folder and cannot parse an
    # `import` block, so import blocks live one folder down, where it does not look.
    for folder in sorted((REPO / "examples" / "resources").iterdir()):
        assert (folder / "import-block" / "import.tf").is_file(), folder
        for tf in folder.glob("*.tf"):
            assert "import {" not in tf.read_text(), tf


GUIDES = sorted((REPO / "docs" / "guides").glob("*.md"))


@pytest.mark.parametrize("guide", GUIDES, ids=[g.name for g in GUIDES])
def test_every_guide_has_registry_front_matter(guide: Path) -> None:
    lines = guide.read_text().splitlines()
    assert lines[0] == "---", guide
    front = lines[1 : lines.index("---", 1)]
    assert front[0].startswith('page_title: "') and front[0].endswith('"')
    assert 'subcategory: "Guides"' in front
    assert "description: |-" in front
    title = front[0].split('"')[1]
    assert f"# {title}" in lines, "the page's heading is its page_title"


LINK = re.compile(r"\]\(([^)\s]+)\)")


def _anchors(page: Path) -> set[str]:
    """GitHub's heading anchors of a markdown page, and its `<a id="...">` anchors."""
    text = page.read_text()
    anchors = set(re.findall(r'<a id="([^"]+)"></a>', text))
    for line in text.splitlines():
        if line.startswith("#"):
            text = line.lstrip("#").strip().lower().replace("`", "")
            anchors.add(re.sub(r"[^\w\- ]", "", text).replace(" ", "-"))
    return anchors


def test_relative_links_in_the_docs_and_readmes_resolve() -> None:
    pages = [*sorted((REPO / "docs").rglob("*.md")), REPO / "README.md"]
    pages.append(REPO / "sandbox" / "README.md")
    broken = []
    for page in pages:
        for target in LINK.findall(page.read_text()):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            path, _, anchor = target.partition("#")
            resolved = (page.parent / path).resolve() if path else page
            if not resolved.exists():
                broken.append(f"{page.relative_to(REPO)}: {target}")
            elif anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
                broken.append(f"{page.relative_to(REPO)}: {target} (no such heading)")
    assert not broken, broken
