"""TREC run and qrels files in and out, so runs can be scored by trec_eval, pyserini or ranx.

- a *run* file has one line per retrieved document: ``qid Q0 docid rank score tag``;
- a *qrels* file has one line per judgement: ``qid iteration docid relevance`` (iteration is
  ignored, conventionally ``0``).

Fields are separated by white space, so no id may be empty or hold any. Shapes in memory are
those of qa.evaluation.metrics: ``{qid: {docid: score}}`` and ``{qid: {docid: grade}}``.
Voorhees & Harman (eds.), *TREC: Experiment and Evaluation in Information Retrieval*, 2005, ch. 3;
the formats trec_eval reads (https://github.com/usnistgov/trec_eval).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from pathlib import Path

from qa.evaluation.metrics import rank_documents
from qa.types import QAError


class TrecFormatError(QAError):
    """A TREC run or qrels file is missing, unreadable or malformed, or a value cannot be written to one."""


def text_lines(path: Path, error: type[QAError] = TrecFormatError) -> Iterator[tuple[int, str]]:
    """Yield ``(line number, line without its newline)`` of a UTF-8 file, 1-based.

    Raises ``error`` naming the file when it is missing, unreadable or not UTF-8.
    """
    path = Path(path)
    if not path.is_file():
        raise error(f"{path}: file not found")
    try:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                yield number, line.rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror or exc})") from exc


def _records(path: Path, layout: str) -> Iterator[tuple[str, list[str]]]:
    """Yield ``("FILE:LINE", fields)`` for each non-blank line, checking it has the fields ``layout`` names."""
    count = len(layout.split())
    for number, line in text_lines(Path(path)):
        if not line.strip():
            continue
        fields = line.split()
        where = f"{path}:{number}"
        if len(fields) != count:
            raise TrecFormatError(f"{where}: expected {count} fields ({layout}), got {len(fields)}")
        yield where, fields


def _check_token(value: str, what: str) -> None:
    if not value or any(ch.isspace() for ch in value):
        raise TrecFormatError(f"{what} {value!r} cannot be written to a TREC file: it is empty or holds whitespace")


def write_trec_run(path: Path, run: Mapping[str, Mapping[str, float]], tag: str) -> None:
    """Write ``run`` as a TREC run file: one ``qid Q0 docid rank score tag`` line per document.

    Queries are written in sorted id order; each query's documents in the order of
    ``qa.evaluation.metrics.rank_documents`` (score descending, ties by doc id descending, as
    trec_eval ranks them), with 1-based ranks. Scores are written with ``repr`` so they read back
    exactly. Raises ``TrecFormatError`` when an id or the tag is empty or holds whitespace, or a
    score is not finite; nothing is written then.
    """
    _check_token(tag, "run tag")
    lines = []
    for qid in sorted(run):
        _check_token(qid, "query id")
        scores = run[qid]
        for doc_id, score in scores.items():
            _check_token(doc_id, "document id")
            if not math.isfinite(score):
                raise TrecFormatError(f"score of ({qid!r}, {doc_id!r}) is {score!r}; a TREC run needs finite scores")
        for rank, doc_id in enumerate(rank_documents(scores), start=1):
            lines.append(f"{qid} Q0 {doc_id} {rank} {float(scores[doc_id])!r} {tag}\n")
    Path(path).write_text("".join(lines), encoding="utf-8", newline="\n")


def read_trec_run(path: Path) -> dict[str, dict[str, float]]:
    """Read a TREC run file (``qid Q0 docid rank score tag`` per line) into ``{qid: {docid: score}}``.

    The rank column is ignored, as trec_eval ignores it; blank lines are skipped. Raises
    ``TrecFormatError`` naming the file and line for a wrong field count, a score that is not a
    finite number, or a document listed twice for a query.
    """
    run: dict[str, dict[str, float]] = {}
    for where, (qid, _, doc_id, _, score_text, _) in _records(path, "qid Q0 docid rank score tag"):
        try:
            score = float(score_text)
        except ValueError:
            raise TrecFormatError(f"{where}: score {score_text!r} is not a number") from None
        if not math.isfinite(score):
            raise TrecFormatError(f"{where}: score {score_text!r} is not finite")
        scores = run.setdefault(qid, {})
        if doc_id in scores:
            raise TrecFormatError(f"{where}: document {doc_id!r} listed twice for query {qid!r}")
        scores[doc_id] = score
    return run


def write_trec_qrels(path: Path, qrels: Mapping[str, Mapping[str, int]]) -> None:
    """Write judgements as a TREC qrels file: ``qid 0 docid grade`` per line, sorted by qid then docid.

    Grades are written as they are (0 and negative grades too). Raises ``TrecFormatError`` for an
    id that is empty or holds whitespace or a grade that is not an integer; nothing is written then.
    """
    lines = []
    for qid in sorted(qrels):
        _check_token(qid, "query id")
        for doc_id in sorted(qrels[qid]):
            _check_token(doc_id, "document id")
            grade = qrels[qid][doc_id]
            if isinstance(grade, bool) or not isinstance(grade, int):
                raise TrecFormatError(f"grade of ({qid!r}, {doc_id!r}) is {grade!r}; a qrels file needs integers")
            lines.append(f"{qid} 0 {doc_id} {grade}\n")
    Path(path).write_text("".join(lines), encoding="utf-8", newline="\n")


def read_trec_qrels(path: Path) -> dict[str, dict[str, int]]:
    """Read a TREC qrels file (``qid iteration docid grade`` per line) into ``{qid: {docid: grade}}``.

    Blank lines are skipped. Raises ``TrecFormatError`` naming the file and line for a wrong
    field count, a grade that is not an integer, or a pair judged twice with different grades.
    """
    qrels: dict[str, dict[str, int]] = {}
    for where, (qid, _, doc_id, grade_text) in _records(path, "qid iteration docid grade"):
        try:
            grade = int(grade_text)
        except ValueError:
            raise TrecFormatError(f"{where}: grade {grade_text!r} is not an integer") from None
        judged = qrels.setdefault(qid, {})
        if judged.get(doc_id, grade) != grade:
            raise TrecFormatError(f"{where}: ({qid!r}, {doc_id!r}) judged twice with different grades")
        judged[doc_id] = grade
    return qrels
