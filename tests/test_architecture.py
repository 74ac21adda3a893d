"""Every import points down the layers (docs/architecture.md, "Layers"), and no module imports
itself back through others. Run alone with:

    .venv/bin/python -m pytest tests/test_architecture.py -q

The graph is read from the source (every `import` and `from ... import`, module level or inside a
function), so it cannot be hidden by a lazy import.
"""
from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Lowest first. A module may import from its own layer or any layer below, never above.
LAYERS = (
    ("base", ("compliance", "compliance.errors", "compliance.config", "compliance.contract",
              "compliance.months", "compliance.queries", "compliance.warehouse", "compliance.settings",
              "compliance.display")),
    ("sources", ("compliance.sources", "compliance.synth")),
    ("policy", ("compliance.policy",)),
    ("quality and rules", ("compliance.quality", "compliance.rules")),
    ("reports", ("compliance.reports",)),
    ("review", ("compliance.review",)),
    ("delivery", ("compliance.delivery",)),
    ("stages", ("compliance.pipeline", "compliance.airflow_local", "compliance.demo",
                "compliance.dag_defaults")),
    ("entry points", ("compliance.cli", "compliance.web", "dags")),
)


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    files = list((REPO / "compliance").rglob("*.py")) + list((REPO / "dags").glob("*.py"))
    return {module_name(path): path for path in files}


def imports_of(path: Path, modules: dict[str, Path]) -> set[str]:
    """Project modules `path` imports (`from compliance import x` names the submodule x when
    there is one)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names
                      if f"{node.module}.{alias.name}" in modules}
    return {name for name in found if name in modules}


def layer_of(module: str) -> int:
    best, rank = -1, None
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), index
    assert rank is not None, f"{module} belongs to no layer: add it to LAYERS and docs/architecture.md"
    return rank


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: imports_of(path, modules) - {name} for name, path in modules.items()}


def test_every_import_points_down():
    upward = [f"{module} ({LAYERS[layer_of(module)][0]}) imports {target} ({LAYERS[layer_of(target)][0]})"
              for module, targets in sorted(import_graph().items()) for target in sorted(targets)
              if layer_of(target) > layer_of(module)]
    assert upward == []


def test_no_module_imports_itself_back():
    graph = import_graph()
    cycles, state = [], {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                cycles.append(" -> ".join(path[path.index(target):] + [target]))
            elif target not in state:
                visit(target, path + [target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_the_check_sees_an_upward_import():
    """The scan itself: a lazy import inside a function is found, and a report is above sources."""
    modules = project_modules()
    assert "compliance.reports.build" in imports_of(modules["compliance.pipeline"], modules)
    assert layer_of("compliance.reports.build") > layer_of("compliance.sources.formats")
