"""The sandbox's import graph: no cycles, every module importable alone, no provider code.

The graph is read from the source, imports inside functions included: the cycle this guards
against (``app`` wiring the blueprints while the blueprints imported helpers from ``app``) hid
behind an import inside ``create_app``, so importing each module alone could not see it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "sandbox"
MODULES = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")


def _imports(module: str) -> set[str]:
    """Top-level names of every module under ``sandbox`` (or outside) that ``module`` imports."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(), f"sandbox/{module}.py")
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "sandbox":  # from sandbox import a, b: a and b are modules
                found.update(f"sandbox.{alias.name}" for alias in node.names)
            else:
                found.add(node.module)
    return found


def _graph() -> dict[str, set[str]]:
    """``sandbox`` module -> the ``sandbox`` modules it imports (package face excluded)."""
    graph = {}
    for module in MODULES:
        targets = {name.split(".")[1] for name in _imports(module) if name.startswith("sandbox.")}
        graph[module] = targets & set(MODULES)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path that ends where it starts, or ``None``."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                return [*stack[stack.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_sandbox_has_no_import_cycle() -> None:
    cycle = _cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(f"sandbox/{m}.py" for m in cycle)


def test_the_cycle_check_sees_a_cycle() -> None:
    # The check itself, on the shape the sandbox had: app -> networks -> app.
    assert _cycle({"app": {"networks"}, "networks": {"app", "errors"}, "errors": set()}) == [
        "app",
        "networks",
        "app",
    ]


def test_blueprints_take_helpers_from_below_not_from_the_app() -> None:
    graph = _graph()
    importers_of_app = sorted(m for m, targets in graph.items() if "app" in targets)
    assert importers_of_app == ["server"]  # only the process that serves it
    for blueprint in ("admin", "identity", "networks", "servers"):
        assert "context" in graph[blueprint]


def test_the_sandbox_shares_no_code_with_the_provider() -> None:
    for module in MODULES:
        names = _imports(module)
        assert not any(n == "provider" or n.startswith("provider.") for n in names), module


def test_every_sandbox_module_imports_alone() -> None:
    # Each in a fresh interpreter, so no module is rescued by one imported before it.
    failures = []
    for module in MODULES:
        if module == "__main__":  # runs the CLI when imported, by design
            continue
        done = subprocess.run(
            [sys.executable, "-c", f"import sandbox.{module}"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode:
            failures.append(f"sandbox.{module}: {done.stderr.strip().splitlines()[-1:]}")
    assert failures == []
