"""The README and docs/ cannot rot: every shell command in them parses with the real `qa` parser
and its `--help` runs, every `make` target and script they name exists, every Python block
compiles (the README's runs in tests/test_readme.py), every link and picture points at something,
and docs/configuration.md names every environment variable and settings field.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LANGUAGES = {"sh", "python", "text", "mermaid"}
FENCE = re.compile(r"^```(\S*)\n(.*?)^```", re.S | re.M)
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
SEPARATORS = {";", "&&", "||", "|", "&"}
REDIRECTS = {">", ">>", "<", "2>", "2>&1"}


def blocks(page: Path) -> list[tuple[str, str]]:
    """``(language, text)`` of each fenced code block of ``page``."""
    return FENCE.findall(page.read_text(encoding="utf-8"))


def commands(script: str) -> list[list[str]]:
    """The simple commands of a shell block: lines joined at a trailing backslash, comments and
    redirections dropped, split at ``;``, ``&&``, ``||`` and pipes, leading ``NAME=value`` dropped."""
    out = []
    for line in script.replace("\\\n", " ").splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        current: list[str] = []
        tokens = iter(list(lexer))
        for token in tokens:
            if token in SEPARATORS:
                out.append(current)
                current = []
            elif token in REDIRECTS:
                next(tokens, None)
            else:
                current.append(token)
        out.append(current)
    cleaned = []
    for argv in out:
        while argv and re.fullmatch(r"[A-Z_][A-Z0-9_]*=\S*", argv[0]):
            argv = argv[1:]
        if argv:
            cleaned.append(argv)
    return cleaned


def documented_commands() -> list[tuple[str, list[str]]]:
    return [(f"{page.relative_to(ROOT)}: {' '.join(argv)}", argv)
            for page in PAGES for lang, text in blocks(page) if lang == "sh" for argv in commands(text)]


COMMANDS = documented_commands()


def test_commands_by_hand():
    script = ("qa eval --backend milvus;  qa eval --beir x --split train  # both\n"
              "QA_BACKEND=milvus make run\n"
              "printf '%s\\n' 'a # b' \\\n  'c' | qa ask --questions - > answers.jsonl\n")
    assert commands(script) == [["qa", "eval", "--backend", "milvus"], ["qa", "eval", "--beir", "x", "--split", "train"],
                                ["make", "run"], ["printf", "%s\\n", "a # b", "c"], ["qa", "ask", "--questions", "-"]]


def test_there_are_commands_and_every_block_names_its_language():
    assert len(COMMANDS) > 20
    for page in PAGES:
        for lang, _ in blocks(page):
            assert lang in LANGUAGES, f"{page.relative_to(ROOT)}: a ``` block in {lang or 'no language'}"


@pytest.mark.parametrize("where, argv", [c for c in COMMANDS if c[1][0] == "qa"], ids=lambda v: v if isinstance(v, str) else "")
def test_qa_command_parses_and_its_help_runs(where, argv):
    from qa.cli.main import build_parser, main

    try:
        build_parser().parse_args(argv[1:])
    except SystemExit as exc:
        pytest.fail(f"{where}: the qa parser rejects it (exit {exc.code})")
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as exc:
        main([argv[1], "--help"])
    assert exc.value.code == 0 and f"usage: qa {argv[1]}" in out.getvalue()


@pytest.mark.parametrize("where, argv", [c for c in COMMANDS if c[1][0] != "qa"], ids=lambda v: v if isinstance(v, str) else "")
def test_other_command_exists(where, argv):
    program = argv[0]
    if program == "make":
        makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
        for target in argv[1:]:
            assert re.search(rf"^{re.escape(target)}:", makefile, re.M), f"{where}: no make target {target}"
    elif program in ("python", "python3"):
        script = ROOT / argv[1]
        assert script.is_file(), f"{where}: no script {argv[1]}"
        if "argparse" in script.read_text(encoding="utf-8"):
            proc = subprocess.run([sys.executable, str(script), "--help"], cwd=ROOT, capture_output=True,
                                  text=True, timeout=120)
            assert proc.returncode == 0 and "usage:" in proc.stdout, (where, proc.stderr[-2000:])
    else:
        assert program == "printf", f"{where}: a command the docs test does not know how to check: {program}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_python_blocks_compile(page):
    for n, (lang, text) in enumerate(blocks(page)):
        if lang == "python":
            compile(text, f"{page.name} block {n}", "exec")


def slug(heading: str) -> str:
    """GitHub's anchor of a Markdown heading: lower case, punctuation but ``-`` and ``_`` dropped,
    spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_slug_by_hand():
    assert slug("Quote lookup (`qa cite`, Find a quote)") == "quote-lookup-qa-cite-find-a-quote"
    assert slug("The earlier linear scorer (`--stage linear`)") == "the-earlier-linear-scorer---stage-linear"


def anchors(page: Path) -> set[str]:
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    return {slug(m.group(1)) for m in re.finditer(r"^#+\s+(.*)$", text, re.M)}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_links_and_pictures_point_at_something(page):
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        assert linked.exists(), f"{page.relative_to(ROOT)}: {target} does not exist"
        if anchor:
            assert anchor in anchors(linked), f"{page.relative_to(ROOT)}: no heading for #{anchor} in {linked.name}"


def test_readme_is_short_and_shows_the_page():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 200
    assert re.search(r"!\[[^\]]*\]\(docs/images/ask\.png\)", readme)
    linked = {m.split("#")[0] for m in LINK.findall(readme)}
    assert {f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md")} <= linked, "the README links every docs page"


def test_every_picture_the_screenshot_script_makes_is_shown():
    script = (ROOT / "docs" / "make_screenshots.py").read_text(encoding="utf-8")
    made = set(re.findall(r'"(\w[\w-]*\.png)"', script))
    shown = {Path(t).name for page in PAGES for t in LINK.findall(page.read_text(encoding="utf-8")) if t.endswith(".png")}
    assert made == {"ask.png", "citation-dialog.png", "find-a-quote.png", "evaluate.png"} and made <= shown


def environment_variables() -> set[str]:
    files = [*(ROOT / "qa").rglob("*.py"), ROOT / "app.py", *(ROOT / "eval").glob("*.py"),
             *(ROOT / "docs").glob("*.py"), *(ROOT / "tests").glob("*.py"), ROOT / "Makefile", ROOT / ".ci" / "run"]
    names = set()
    for f in files:
        names |= set(re.findall(r"[\"'](QA_[A-Z_]+)[\"']", f.read_text(encoding="utf-8")))
    return names


def settings_fields() -> set[str]:
    from qa.answers.answer import AnswerSettings
    from qa.ingestion.chunking import ChunkSettings
    from qa.reader.sentence_train import SentenceTrainSettings
    from qa.reader.train import TrainSettings
    from qa.retrieval.bm25 import BM25Params
    from qa.retrieval.build import IndexSettings
    from qa.retrieval.retriever import SearchSettings

    return {f.name for cls in (SearchSettings, ChunkSettings, IndexSettings, BM25Params, AnswerSettings, TrainSettings,
                                         SentenceTrainSettings)
            for f in dataclasses.fields(cls)}


def test_configuration_names_every_variable_and_setting():
    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`([^`]+)`", page))
    variables = environment_variables()
    assert {"QA_INDEX", "QA_READER", "QA_CHROMIUM"} <= variables
    assert variables - named == set(), "add these to docs/configuration.md"
    assert settings_fields() - named == set(), "add these settings to docs/configuration.md"
