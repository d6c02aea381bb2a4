"""Many questions (``qa ask --questions FILE``) or queries (``qa search --queries FILE``) in one
process: one model load, queries encoded in blocks, one JSON object printed per input line.

Input: one question per line, or JSONL objects with a ``question`` field (``query`` or
``question`` for search); a line may be either. Blank lines are skipped. Every other field of an
object is passed through to its output line; a field whose name the output uses itself (such as
``answer``) is passed through under ``input`` instead. A bad line (invalid JSON, no question
field, an empty or unsearchable question) prints ``{"line": N, "error": "..."}`` at its place in
the output and the same message on standard error, and the rest goes on; the exit status is
then 2.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, TextIO

BLOCK = 32  # questions encoded together; output is flushed after each block


@dataclass(frozen=True)
class BatchItem:
    """One input line: its number, the question (None when the line is bad), the fields to pass
    through, and the error that makes it bad."""

    line: int
    text: str | None
    extra: dict = field(default_factory=dict)
    error: str = ""


def read_items(lines: Iterable[str], fields: tuple[str, ...]) -> Iterator[BatchItem]:
    """The items of ``lines`` (numbered from 1), blank lines left out; ``fields`` are the JSON
    field names that hold the question, in order of preference."""
    for n, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        if not line.startswith("{"):  # a plain question; a JSON line is an object
            yield BatchItem(n, line)
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            yield BatchItem(n, None, error=f"line {n}: invalid JSON ({exc.msg} at column {exc.colno})")
            continue
        name = next((f for f in fields if f in row), None)
        extra = {k: v for k, v in row.items() if k != name}
        if name is None:
            yield BatchItem(n, None, extra, f"line {n}: no {' or '.join(repr(f) for f in fields)} field")
        elif not isinstance(row[name], str) or not row[name].strip():
            yield BatchItem(n, None, extra, f"line {n}: the {name!r} field is empty or not text")
        else:
            yield BatchItem(n, row[name], extra)


def merge(extra: dict, result: dict) -> dict:
    """The output line: passed-through fields, then the result (clashing input fields under ``input``)."""
    clash = {k: v for k, v in extra.items() if k in result or k == "input"}
    out = {k: v for k, v in extra.items() if k not in clash}
    if clash:
        out["input"] = clash
    out.update(result)
    return out


def run_batch(items: Iterable[BatchItem], answer_block: Callable[[list[str]], list[dict]], clean: Callable[[str], str],
              out: TextIO, total: int | None = None, desc: str = "questions") -> int:
    """Answer ``items`` in blocks with ``answer_block`` (cleaned texts -> result dicts) and print
    one JSON line per item in input order; returns the number of bad lines."""
    from tqdm import tqdm

    from qa.types import QAError

    bad = 0
    bar = tqdm(total=total, desc=desc, unit="q", file=sys.stderr, disable=None)
    block: list[BatchItem] = []

    def flush() -> None:
        nonlocal bad
        good = []
        for i, item in enumerate(block):
            if item.error:
                continue
            try:
                good.append(clean(item.text))
            except QAError as exc:  # empty after cleaning, no letters, too long
                block[i] = BatchItem(item.line, None, item.extra, f"line {item.line}: {exc}")
        results = iter(answer_block(good) if good else ())
        for item in block:
            if item.error:
                bad += 1
                print(f"qa: {item.error}", file=sys.stderr)
                row = merge(item.extra, {"line": item.line, "error": item.error})
            else:
                row = merge(item.extra, {"line": item.line, **next(results)})
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        out.flush()
        bar.update(len(block))
        block.clear()

    for item in items:
        block.append(item)
        if len(block) >= BLOCK:
            flush()
    if block:
        flush()
    bar.close()
    return bad


def open_lines(path: str) -> tuple[Iterable[str], int | None]:
    """The lines of ``path`` (``-`` for standard input) and how many there are (None for stdin)."""
    from pathlib import Path

    from qa.types import SettingsError

    if path == "-":
        return sys.stdin, None
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"cannot read {path}: {exc}") from exc
    return lines, sum(1 for line in lines if line.strip())
