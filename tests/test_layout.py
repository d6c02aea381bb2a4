"""The package's shape: no import cycles, lower stages never import higher ones, modules stay small."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "qa"

# The data's way through the package, lowest first; a module may import its own stage or lower ones.
STAGES = {
    "qa.version": 0, "qa.types": 0, "qa.tuning": 0, "qa.onnx_session": 0, "qa.parallel": 0,
    "qa.ingestion": 1,
    "qa.retrieval": 2,
    "qa.reader": 3,
    "qa.answers": 4,
    "qa.evaluation": 5,
    "qa.api": 6, "qa": 6,
    "qa.cli": 7, "qa.web": 7,
}
MAX_LINES = 300


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def stage_of(module: str) -> int:
    """The stage of ``module``: that of its longest listed prefix."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        name = ".".join(parts[:n])
        if name in STAGES:
            return STAGES[name]
    raise KeyError(f"{module} belongs to no stage: add its package to STAGES")


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The project modules ``path`` imports, at any depth of the file (lazy imports count)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    this = module_name(path)
    package = this if path.name == "__init__.py" else this.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # `from pkg import module` imports the module; `from module import name` the module
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != this:
                found.add(name)
    return found


def graph(files: list[Path]) -> dict[str, set[str]]:
    known = {module_name(f) for f in files}
    return {module_name(f): imports_of(f, known) for f in files}


def project_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules (first == last), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def upward_imports(edges: dict[str, set[str]]) -> list[str]:
    """``a -> b`` for every import of a higher stage by a lower one (the package root is exempt)."""
    bad = []
    for src, targets in edges.items():
        for dst in targets:
            if dst == "qa":  # `import qa.x` resolves through the root; the root itself imports lazily
                continue
            if stage_of(dst) > stage_of(src):
                bad.append(f"{src} (stage {stage_of(src)}) imports {dst} (stage {stage_of(dst)})")
    return sorted(bad)


def test_no_import_cycles():
    assert find_cycle(graph(project_files())) is None


def test_lower_stages_never_import_higher_ones():
    assert upward_imports(graph(project_files())) == []


def test_every_module_has_a_stage_and_stays_small():
    for path in project_files():
        stage_of(module_name(path))
        lines = len(path.read_text(encoding="utf-8").splitlines())
        assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines (one job per module, ≤ {MAX_LINES})"


def test_the_checker_catches_a_cycle_and_an_upward_import(tmp_path, monkeypatch):
    """Break the rules on purpose in a scratch package: both checks must notice."""
    pkg = tmp_path / "qa"
    (pkg / "retrieval").mkdir(parents=True)
    (pkg / "answers").mkdir()
    for d in (pkg, pkg / "retrieval", pkg / "answers"):
        (d / "__init__.py").write_text("")
    (pkg / "retrieval" / "store.py").write_text("from qa.answers.answer import x\n")
    (pkg / "answers" / "answer.py").write_text("def f():\n    from ..retrieval import store\n")
    monkeypatch.setattr(__import__(__name__), "ROOT", tmp_path)
    edges = graph(sorted(pkg.rglob("*.py")))
    assert edges["qa.answers.answer"] == {"qa.retrieval.store"}
    assert find_cycle(edges) is not None
    assert upward_imports(edges) == ["qa.retrieval.store (stage 2) imports qa.answers.answer (stage 4)"]


@pytest.mark.parametrize("module", ["qa", "qa.api"])
def test_importing_the_api_does_not_load_torch(module):
    """`import qa` and the API stay light: the model (and torch) load on first use only."""
    import subprocess
    import sys

    code = f"import sys, {module}; print('torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.split() == ["False", "False"]
