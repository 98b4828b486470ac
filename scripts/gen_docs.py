"""Generate the registry-format docs in `docs/` from the live provider schema and `examples/`.

The schema comes from `terraform providers schema -json`, run in a temporary directory
against the provider installed into a private plugin mirror, so the docs describe exactly
what Terraform sees. The one fact that JSON does not carry, whether changing an attribute
forces a new resource, is read from the resources' declared plan modifiers.

Prose that no schema holds lives in `scripts/doc_templates/` and is pasted in verbatim
(`{{version}}` becomes the provider's version): `index-*.md` are sections of `docs/index.md`,
and `resources/<page>-import.md` closes a resource page's Import section. Import examples come
from `examples/resources/<type>/import-block/import.tf` (an `import` block, Terraform >= 1.5;
kept in a subfolder so that Terraform 1.0.3, which cannot parse it, never loads it with the
resource example) and `import.sh` (`terraform import`). `docs/guides/` is written by hand and
only listed in `docs/index.md`.

    .venv/bin/python scripts/gen_docs.py            # rewrite docs/
    .venv/bin/python scripts/gen_docs.py --check    # exit 1 when docs/ is stale
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

# Reuse the quick start's Terraform discovery and private provider install (a sibling script).
sys.path.insert(0, str(Path(__file__).resolve().parent))

from quickstart import (
    PROVIDER_ADDRESS,
    QuickstartError,
    find_terraform,
    install_provider,
    quiet_terraform_env,
)

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
DOCS = REPO / "docs"
TEMPLATES = Path(__file__).resolve().parent / "doc_templates"
PROVIDER_NAME = "rackspace"
GENERATED_DIRS = ("resources", "data-sources")
# Sections of docs/index.md kept as prose templates, in page order (after Example Usage).
INDEX_SECTIONS = ("installation", "authentication")


def provider_version() -> str:
    """The provider's version, as the installed package reports it."""
    try:
        from provider import __version__

        return str(__version__)
    except ImportError:
        from importlib import metadata

        return metadata.version("terraform-provider-rackspace")


def template(templates: Path, name: str, version: str) -> list[str]:
    """A prose template's lines (none when the file does not exist), `{{version}}` filled in."""
    path = templates / name
    if not path.is_file():
        return []
    return [*path.read_text().replace("{{version}}", version).rstrip("\n").splitlines(), ""]


def guide_titles(guides: Path) -> dict[str, str]:
    """`docs/guides/*.md` file name → the `page_title` of its front matter."""
    titles: dict[str, str] = {}
    for page in sorted(guides.glob("*.md")):
        for line in page.read_text().splitlines()[1:]:
            if line == "---":
                break
            if line.startswith("page_title:"):
                titles[page.name] = line.partition(":")[2].strip().strip('"')
    return titles


# --------------------------------------------------------------------------- schema


def provider_schema(terraform: Path) -> dict[str, Any]:
    """The provider's entry of `terraform providers schema -json`."""
    with tempfile.TemporaryDirectory(prefix="rackspace-docs-") as tmp:
        workdir = Path(tmp)
        cli_config = install_provider(workdir)
        config_dir = workdir / "config"
        config_dir.mkdir()
        (config_dir / "main.tf").write_text(
            "terraform {\n  required_providers {\n"
            f'    {PROVIDER_NAME} = {{ source = "{PROVIDER_ADDRESS}" }}\n'
            "  }\n}\n"
        )
        env = quiet_terraform_env(os.environ)
        env["TF_CLI_CONFIG_FILE"] = str(cli_config)
        for args in (["init", "-input=false", "-no-color"], ["providers", "schema", "-json"]):
            done = subprocess.run(
                [str(terraform), *args],
                cwd=config_dir,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            if done.returncode != 0:
                raise QuickstartError(f"terraform {' '.join(args)} failed:\n{done.stderr}")
        schemas = json.loads(done.stdout)["provider_schemas"]
        return dict(schemas[PROVIDER_ADDRESS])


def replacement_notes() -> dict[str, dict[str, str]]:
    """For each resource type, attribute name → why changing it forces a new resource.

    `terraform providers schema -json` has no field for this, so it is read from the plan
    modifiers the resources declare (`RequiresReplace`, `RequiresReplaceIf`).
    """
    from provider.plugin import RequiresReplace, RequiresReplaceIf
    from provider.rackspace.provider import RackspaceProvider

    notes: dict[str, dict[str, str]] = {}
    for resource in RackspaceProvider.resources:
        per_attribute: dict[str, str] = {}
        for name, attribute in resource.schema.attributes.items():
            for modifier in attribute.plan:
                if isinstance(modifier, RequiresReplace | RequiresReplaceIf):
                    per_attribute[name] = modifier.description
        notes[resource.type_name] = per_attribute
    return notes


# --------------------------------------------------------------------------- rendering


def type_label(cty_type: Any) -> str:
    """A schema JSON type ("string", ["set", "string"], ...) as registry docs write it."""
    if isinstance(cty_type, str):
        return {"dynamic": "Dynamic"}.get(cty_type, cty_type.capitalize())
    kind, inner = cty_type[0], cty_type[1]
    if kind in ("list", "set", "map"):
        return f"{kind.capitalize()} of {type_label(inner)}"
    if kind == "object":
        return "Object"
    if kind == "tuple":
        return "Tuple"
    return str(kind)


def _object_fields(cty_type: Any) -> dict[str, Any] | None:
    """The attribute types of an object type, also inside a list/set/map of objects."""
    while isinstance(cty_type, list):
        if cty_type[0] == "object":
            return dict(cty_type[1])
        if cty_type[0] in ("list", "set", "map"):
            cty_type = cty_type[1]
            continue
        return None
    return None


def _anchor(path: str) -> str:
    return "nestedatt--" + path.replace(".", "--")


def _attribute_line(
    name: str, attribute: Mapping[str, Any], path: str, replaces: str | None
) -> tuple[str, tuple[str, dict[str, Any]] | None]:
    """One bullet for an attribute, and the nested object to describe below it, if any."""
    flags = [type_label(attribute.get("type", "dynamic"))]
    if attribute.get("sensitive"):
        flags.append("Sensitive")
    if attribute.get("deprecated"):
        flags.append("Deprecated")
    text = " ".join(str(attribute.get("description", "")).split())
    nested = _object_fields(attribute.get("type"))
    full = f"{path}.{name}" if path else name
    if nested is not None:
        text = (text + " " if text else "") + f"(see [below for nested schema](#{_anchor(full)}))"
    if replaces and "replac" not in text.lower():
        text = (text + " " if text else "") + replaces
    line = f"- `{name}` ({', '.join(flags)})" + (f" {text}" if text else "")
    return line, ((full, nested) if nested is not None else None)


def _object_section(full: str, fields: Mapping[str, Any]) -> list[str]:
    """The nested schema of an object-typed attribute, and of objects nested in it."""
    lines = [f'<a id="{_anchor(full)}"></a>', f"### Nested Schema for `{full}`", ""]
    lines += ["Read-Only:", ""]
    deeper: list[tuple[str, dict[str, Any]]] = []
    for name in sorted(fields):
        line = f"- `{name}` ({type_label(fields[name])})"
        inner = _object_fields(fields[name])
        if inner is not None:
            line += f" (see [below for nested schema](#{_anchor(f'{full}.{name}')}))"
            deeper.append((f"{full}.{name}", inner))
        lines.append(line)
    lines.append("")
    for path, inner in deeper:
        lines += _object_section(path, inner)
    return lines


def _block_sections(
    block: Mapping[str, Any],
    replacements: Mapping[str, str],
    *,
    required_title: str,
    optional_title: str,
    computed_title: str,
    path: str = "",
) -> list[str]:
    """The Required / Optional / Read-Only sections of a block, then nested schemas."""
    groups: dict[str, list[str]] = {"required": [], "optional": [], "computed": []}
    nested_objects: list[tuple[str, dict[str, Any]]] = []
    for name in sorted(block.get("attributes", {})):
        attribute = block["attributes"][name]
        if attribute.get("required"):
            group = "required"
        elif attribute.get("optional"):
            group = "optional"
        else:
            group = "computed"
        line, nested = _attribute_line(name, attribute, path, replacements.get(name))
        groups[group].append(line)
        if nested is not None:
            nested_objects.append(nested)
    for name in sorted(block.get("block_types", {})):
        nested_block = block["block_types"][name]
        full = f"{path}.{name}" if path else name
        group = "required" if nested_block.get("min_items", 0) > 0 else "optional"
        mode = nested_block.get("nesting_mode", "list").capitalize()
        groups[group].append(
            f"- `{name}` (Block {mode}) (see [below for nested schema](#{_anchor(full)}))"
        )
    lines: list[str] = []
    for key, title in (
        ("required", required_title),
        ("optional", optional_title),
        ("computed", computed_title),
    ):
        if groups[key]:
            lines += [f"### {title}", "", *groups[key], ""]
    for full, fields in nested_objects:
        lines += _object_section(full, fields)
    for name in sorted(block.get("block_types", {})):
        full = f"{path}.{name}" if path else name
        lines += [f'<a id="{_anchor(full)}"></a>', f"### Nested Schema for `{full}`", ""]
        lines += _block_sections(
            block["block_types"][name]["block"],
            {},
            required_title="Required",
            optional_title="Optional",
            computed_title="Read-Only",
            path=full,
        )
    return lines


def _example(path: Path, fence: str) -> list[str]:
    return ["```" + fence, path.read_text().rstrip("\n"), "```", ""]


def _front_matter(title: str, description: str) -> list[str]:
    summary = description.strip().splitlines()[0] if description.strip() else ""
    return [
        "---",
        f'page_title: "{title}"',
        'subcategory: ""',
        "description: |-",
        f"  {summary}",
        "---",
        "",
    ]


def render_page(
    type_name: str,
    kind: str,
    schema: Mapping[str, Any],
    examples: Path,
    replacements: Mapping[str, str],
    templates: Path = TEMPLATES,
    version: str = "",
) -> str:
    """The markdown page of one resource ("Resource") or data source ("Data Source")."""
    block = schema.get("block", {})
    description = str(block.get("description", "")).strip()
    folder = "resources" if kind == "Resource" else "data-sources"
    example_name = "resource.tf" if kind == "Resource" else "data-source.tf"
    lines = _front_matter(f"{type_name} {kind} - terraform-provider-{PROVIDER_NAME}", description)
    lines += [f"# {type_name} ({kind})", ""]
    if description:
        lines += [description, ""]
    example = examples / folder / type_name / example_name
    if example.is_file():
        lines += ["## Example Usage", "", *_example(example, "terraform")]
    lines += ["## Argument Reference", ""]
    arguments = _block_sections(
        {"attributes": _only(block, computed=False), "block_types": block.get("block_types", {})},
        replacements,
        required_title="Required",
        optional_title="Optional",
        computed_title="Read-Only",
    )
    lines += arguments or ["This has no arguments.", ""]
    computed = _only(block, computed=True)
    if computed:
        lines += ["## Attribute Reference", "", "In addition to the arguments above:", ""]
        lines += _block_sections(
            {"attributes": computed},
            replacements,
            required_title="Required",
            optional_title="Optional",
            computed_title="Read-Only",
        )
    import_section = _import_section(examples / folder / type_name) if kind == "Resource" else []
    if import_section:
        lines += import_section
        lines += template(templates, f"{folder}/{_page_name(type_name)}-import.md", version)
    return "\n".join(lines).rstrip("\n") + "\n"


def _import_section(folder: Path) -> list[str]:
    """The Import section: an `import` block (Terraform >= 1.5), then `terraform import`."""
    block, script = folder / "import-block" / "import.tf", folder / "import.sh"
    if not block.is_file() and not script.is_file():
        return []
    lines = ["## Import", ""]
    if block.is_file():
        lines += [
            "In Terraform 1.5 and later, use an `import` block:",
            "",
            *_example(block, "terraform"),
        ]
    if script.is_file():
        lead = "Any Terraform version can use" if block.is_file() else "Use"
        lines += [f"{lead} the `terraform import` command:", "", *_example(script, "shell")]
    return lines


def _only(block: Mapping[str, Any], *, computed: bool) -> dict[str, Any]:
    """Arguments (set in configuration) or attributes (computed only)."""
    attributes = block.get("attributes", {})
    return {
        name: attribute
        for name, attribute in attributes.items()
        if computed == (not attribute.get("required") and not attribute.get("optional"))
    }


def render_index(
    schema: Mapping[str, Any],
    examples: Path,
    templates: Path = TEMPLATES,
    version: str = "",
    guides: Mapping[str, str] | None = None,
) -> str:
    """`docs/index.md`: the provider, how to install and configure it, and its pages."""
    block = schema.get("provider", {}).get("block", {})
    description = str(block.get("description", "")).strip()
    lines = _front_matter(f"{PROVIDER_NAME} Provider", description)
    lines += [f"# {PROVIDER_NAME} Provider", ""]
    if description:
        lines += [description, ""]
    lines += [
        "A shared IP is a `rackspace_ip_address` provisioned on the ports of two or more "
        "servers plus one `rackspace_server_ip_association` per server. Each association "
        "references the address's id, so `terraform destroy` deletes every association before "
        "the address, the order the API requires.",
        "",
    ]
    example = examples / "provider" / "provider.tf"
    if example.is_file():
        lines += ["## Example Usage", "", *_example(example, "terraform")]
    for section in INDEX_SECTIONS:
        lines += template(templates, f"index-{section}.md", version)
    lines += ["## Argument Reference", ""]
    lines += _block_sections(
        block,
        {},
        required_title="Required",
        optional_title="Optional",
        computed_title="Read-Only",
    )
    if guides:
        lines += ["## Guides", ""]
        lines += [f"- [{title}](guides/{name})" for name, title in guides.items()]
        lines.append("")
    for title, key, folder in (
        ("Resources", "resource_schemas", "resources"),
        ("Data Sources", "data_source_schemas", "data-sources"),
    ):
        names = sorted(schema.get(key, {}))
        if names:
            lines += [f"## {title}", ""]
            lines += [f"- [`{n}`]({folder}/{_page_name(n)}.md)" for n in names]
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _page_name(type_name: str) -> str:
    return type_name.removeprefix(PROVIDER_NAME + "_")


def render_docs(
    schema: Mapping[str, Any],
    examples: Path,
    replacements: Mapping[str, Mapping[str, str]],
    templates: Path = TEMPLATES,
    version: str = "",
    guides: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Every generated docs page, keyed by its path relative to `docs/`."""
    pages = {"index.md": render_index(schema, examples, templates, version, guides)}
    for type_name, resource in sorted(schema.get("resource_schemas", {}).items()):
        pages[f"resources/{_page_name(type_name)}.md"] = render_page(
            type_name,
            "Resource",
            resource,
            examples,
            replacements.get(type_name, {}),
            templates,
            version,
        )
    for type_name, source in sorted(schema.get("data_source_schemas", {}).items()):
        pages[f"data-sources/{_page_name(type_name)}.md"] = render_page(
            type_name, "Data Source", source, examples, {}
        )
    return pages


def generate(terraform: Path, docs: Path = DOCS) -> dict[str, str]:
    """Fetch the live schema and render every page (listing the guides found in `docs`)."""
    return render_docs(
        provider_schema(terraform),
        EXAMPLES,
        replacement_notes(),
        TEMPLATES,
        provider_version(),
        guide_titles(docs / "guides"),
    )


# --------------------------------------------------------------------------- files


def existing_pages(docs: Path) -> dict[str, str]:
    """The generated pages currently in `docs` (index.md, resources/, data-sources/)."""
    pages: dict[str, str] = {}
    if (docs / "index.md").is_file():
        pages["index.md"] = (docs / "index.md").read_text()
    for folder in GENERATED_DIRS:
        for page in sorted((docs / folder).glob("*.md")):
            pages[f"{folder}/{page.name}"] = page.read_text()
    return pages


def stale_report(wanted: Mapping[str, str], present: Mapping[str, str]) -> list[str]:
    """Human-readable differences between generated and committed pages (empty: up to date)."""
    report: list[str] = []
    for name in sorted(set(wanted) | set(present)):
        if name not in present:
            report.append(f"missing: docs/{name}")
        elif name not in wanted:
            report.append(f"not generated any more: docs/{name}")
        elif wanted[name] != present[name]:
            diff = difflib.unified_diff(
                present[name].splitlines(),
                wanted[name].splitlines(),
                f"docs/{name} (committed)",
                f"docs/{name} (generated)",
                lineterm="",
                n=1,
            )
            report.append("\n".join(diff))
    return report


def write_pages(docs: Path, pages: Mapping[str, str]) -> None:
    """Replace the generated pages in `docs` with `pages`."""
    for name in existing_pages(docs):
        if name not in pages:
            (docs / name).unlink()
    for name, text in pages.items():
        target = docs / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


def main(argv: Sequence[str] | None = None) -> int:
    """Regenerate docs/ (or, with --check, report whether it is stale)."""
    parser = argparse.ArgumentParser(prog="gen_docs", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DOCS, help="docs directory (default: docs/)")
    parser.add_argument("--check", action="store_true", help="exit 1 when the docs are stale")
    parser.add_argument("--terraform", help="Terraform executable (default: as the quick start)")
    args = parser.parse_args(argv)
    try:
        terraform, _ = find_terraform(args.terraform)
        pages = generate(terraform, args.out)
    except (QuickstartError, OSError, subprocess.SubprocessError, ValueError, KeyError) as exc:
        print(f"gen_docs: {exc}", file=sys.stderr)
        return 1
    if args.check:
        report = stale_report(pages, existing_pages(args.out))
        for entry in report:
            print(entry, file=sys.stderr)
        if report:
            print("gen_docs: docs are stale; run scripts/gen_docs.py", file=sys.stderr)
            return 1
        print(f"gen_docs: {len(pages)} pages up to date")
        return 0
    write_pages(args.out, pages)
    print(f"gen_docs: wrote {len(pages)} pages to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
