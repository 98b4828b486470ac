"""The provider package's import graph has no cycles, imports inside functions and under
`TYPE_CHECKING` included (the `api.client` <-> `api.networks` / `api.servers` cycle hid
behind imports inside `_call` and under `TYPE_CHECKING`)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "provider" / "rackspace"


def _module(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def graph() -> dict[str, set[str]]:
    """`provider.rackspace` module -> the `provider.rackspace` modules it imports."""
    modules = {_module(p): p for p in PACKAGE.rglob("*.py")}
    edges: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
                found.update(f"{node.module}.{a.name}" for a in node.names)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
        edges[name] = {m for m in found if m in modules and m != name}
    return edges


def cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path that ends where it starts, or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for target in sorted(edges[node]):
            if state.get(target) == "open":
                return [*stack[stack.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycles() -> None:
    found = cycle(graph())
    assert found is None, "import cycle: " + " -> ".join(found or [])


def test_the_service_apis_sit_below_the_client() -> None:
    edges = graph()
    for service in ("networks", "servers"):
        assert "provider.rackspace.api.client" not in edges[f"provider.rackspace.api.{service}"]
        assert "provider.rackspace.api.session" in edges[f"provider.rackspace.api.{service}"]
