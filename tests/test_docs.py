"""docs/ is generated from the live provider schema plus examples/, and must not be stale."""

from __future__ import annotations

import importlib.util
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
