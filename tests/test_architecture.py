"""The shape of the house: no import cycle between the package's modules (imports made only for type checking
do not count), no module far over 400 lines, and no private attribute of Mesa used anywhere."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SIM = Path(__file__).resolve().parent.parent / "sim"


def _module(path: Path) -> str:
    parts = path.relative_to(SIM.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(path: Path, known: set[str]) -> set[str]:
    """Modules of the package imported at module level (not under ``if TYPE_CHECKING``)."""
    out: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for sub in ast.walk(node):
            if isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef):
                break
            names: list[str] = []
            if isinstance(sub, ast.ImportFrom) and sub.module:
                names = [sub.module] + [f"{sub.module}.{a.name}" for a in sub.names]
            elif isinstance(sub, ast.Import):
                names = [a.name for a in sub.names]
            out |= {n for n in names if n in known}
    return out


def test_no_import_cycle() -> None:
    files = {_module(p): p for p in SIM.rglob("*.py")}
    known = set(files)
    graph = {m: _runtime_imports(p, known) - {m} for m, p in files.items()}
    # a package's __init__ importing its own modules is not a cycle through them
    for m in graph:
        graph[m] = {d for d in graph[m] if not (m.startswith(d + ".") and files[d].name == "__init__.py")}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for d in sorted(graph[m]):
            if state.get(d) == 1:
                raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(d) :] + [d]))
            if d not in state:
                visit(d)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)


def test_modules_stay_small() -> None:
    big = {
        str(p.relative_to(SIM)): n for p in SIM.rglob("*.py") if (n := len(p.read_text().splitlines())) > 420
    }
    assert not big, f"modules over 420 lines: {big}"


def test_no_private_mesa_attribute() -> None:
    pattern = re.compile(
        r"\._(agent_to_index|collection_steps|agent_records|close\b)|make_initial_grid_layout\s*=(?!=)"
    )
    hits = [
        f"{p.relative_to(SIM.parent)}:{i}"
        for root in (SIM, SIM.parent / "tests")
        for p in root.rglob("*.py")
        if p.name != "test_architecture.py"
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
        if pattern.search(line)
    ]
    assert not hits, hits


# What each layer may import from the rest of the package (data flows one way: model -> engine -> clients).
LAYERS = {
    "sim.model": ("sim.model",),
    "sim.engine": ("sim.model", "sim.engine"),
}


def test_layers_import_only_downward() -> None:
    files = {_module(p): p for p in SIM.rglob("*.py")}
    known = set(files)
    wrong = []
    for m, p in sorted(files.items()):
        for layer, allowed in LAYERS.items():
            if m == layer or m.startswith(layer + "."):
                bad = {d for d in _runtime_imports(p, known) if d != "sim" and not d.startswith(allowed)}
                wrong += [f"{m} imports {d}" for d in sorted(bad)]
    assert not wrong, wrong
