"""The package's shape: every module imports, imports form no cycle, and they run downward only.

Layers, bottom up: the shared modules at the top of `nlp/` (config, errors, labels, ...), then
`models/`, then `tasks/`, then the runners (`infer/`, `finetune/`, `evaluate/`, ...), then the CLI.
A module imports its own layer or lower ones, never a sibling runner or anything above it. Imports
inside functions count too: they are the ones that would only fail when run.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil

import pytest

import nlp
from helpers import REPO

SHARED, MODELS, TASKS, RUNNER, ENTRY = range(5)
RUNNERS = {"infer", "finetune", "evaluate", "report", "serve"}


def modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(nlp.__path__, "nlp."))


def layer(module: str) -> tuple[int, str]:
    parts = module.split(".")
    if module in (
        "nlp",
        "nlp.cli",
        "nlp.commands",
        "nlp.__main__",
        "nlp.preflight",
    ):  # preflight: what `nlp check` runs
        return ENTRY, ""
    if parts[1] == "models":
        return MODELS, "models"
    if parts[1] == "tasks":
        return TASKS, "tasks"
    if parts[1] in RUNNERS:
        return RUNNER, parts[1]
    return SHARED, ""


def imports_of(module: str) -> set[str]:
    """The `nlp` modules that `module` imports anywhere in its source (functions included)."""
    path = REPO / (module.replace(".", "/") + ".py")
    if not path.exists():
        path = REPO / module.replace(".", "/") / "__init__.py"
    found = set()
    known = set(modules()) | {"nlp"}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("nlp"):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in known else node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("nlp.")}
    found.discard(module)
    return {name for name in found if name in known and name != "nlp"}


@pytest.mark.parametrize("module", modules())
def test_every_module_imports(module):
    importlib.import_module(module)


def test_imports_form_no_cycle():
    graph = {module: imports_of(module) for module in modules()}
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for child in sorted(graph.get(node, ())):
            if state.get(child) == 1:
                raise AssertionError("import cycle: " + " -> ".join(path[path.index(child) :] + [child]))
            if child not in state:
                visit(child)
        path.pop()
        state[node] = 2

    for module in graph:
        if module not in state:
            visit(module)


def test_imports_run_downward_only():
    upward = []
    for module in modules():
        rank, room = layer(module)
        for target in imports_of(module):
            target_rank, target_room = layer(target)
            if target_rank > rank or (target_rank == rank == RUNNER and target_room != room):
                upward.append(f"{module} -> {target}")
    assert not upward, upward


def test_the_checks_see_the_package():
    assert {"nlp.labels", "nlp.infer.window", "nlp.finetune.outputs", "nlp.tasks.stance"} <= set(modules())
    assert "nlp.finetune.outputs" in imports_of("nlp.finetune.trainer")
