"""The README's Python API example runs as it stands, on a copy of the home corpus."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def readme_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Python API", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_example_uses_the_public_api_only():
    code = readme_example()
    assert "import qa\n" in code
    assert not re.search(r"from qa\.|import qa\.", code), "the example should need only `import qa`"


@pytest.mark.slow
def test_readme_example_runs(tmp_path, monkeypatch, capsys):
    shutil.copytree(ROOT / "corpus", tmp_path / "corpus")
    shutil.copytree(ROOT / "eval", tmp_path / "eval", ignore=shutil.ignore_patterns("cache", "reports"))
    monkeypatch.chdir(tmp_path)
    exec(compile(readme_example(), "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "March 2022" in out
    assert "[False, True]" in out
    assert "strategic-framework" in out and "exact" in out
