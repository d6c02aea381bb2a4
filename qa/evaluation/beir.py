"""BEIR-format retrieval benchmarks in, TREC run files out.

A BEIR folder holds ``corpus.jsonl`` (``{"_id", "title", "text"}`` per line),
``queries.jsonl`` (``{"_id", "text"}``) and ``qrels/<split>.tsv`` (a header line, then
``query-id <TAB> corpus-id <TAB> score``). Thakur et al., "BEIR: A Heterogeneous Benchmark
for Zero-shot Evaluation of Information Retrieval Models", NeurIPS 2021.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from qa.evaluation.metrics import rank_documents
from qa.types import QAError


class BeirFormatError(QAError):
    """A BEIR folder or a TREC run file is missing, unreadable or malformed; the message says where."""


@dataclass(frozen=True)
class BeirDoc:
    """One corpus entry: its title ("" when the corpus has none) and its text."""

    title: str
    text: str


@dataclass(frozen=True)
class BeirDataset:
    """One split of a BEIR benchmark.

    ``queries`` holds only the queries that appear in this split's qrels; ``qrels`` maps
    query id -> corpus id -> relevance grade, exactly as in the file (grades <= 0 kept).
    """

    split: str
    corpus: dict[str, BeirDoc]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


def available_splits(folder: Path) -> list[str]:
    """Return the split names found as ``folder/qrels/<split>.tsv``, sorted; [] if there are none."""
    qrels_dir = Path(folder) / "qrels"
    if not qrels_dir.is_dir():
        return []
    return sorted(path.stem for path in qrels_dir.glob("*.tsv") if path.is_file())


def load_beir(folder: Path, split: str) -> BeirDataset:
    """Read one split of the BEIR benchmark in ``folder``.

    Returns the whole corpus, the queries judged in ``qrels/<split>.tsv`` and those qrels.
    Raises ``BeirFormatError`` (a ``QAError``) naming the file, and the line where there is one,
    for: a missing folder or file, an unknown split (the message lists the available ones),
    a line that is not a JSON object, a missing or non-string ``_id``/``text``, a repeated id,
    a malformed qrels line, or a judged query that ``queries.jsonl`` lacks. Blank lines are skipped.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise BeirFormatError(f"{folder}: no such folder (expected a BEIR dataset folder)")
    qrels_path = folder / "qrels" / f"{split}.tsv"
    if not qrels_path.is_file():
        splits = available_splits(folder)
        listed = ", ".join(splits) if splits else f"none: {folder / 'qrels'} has no .tsv files"
        raise BeirFormatError(f"{qrels_path}: unknown split {split!r}; available splits: {listed}")
    qrels = _read_qrels(qrels_path)
    corpus = {
        doc_id: BeirDoc(title=title, text=text)
        for doc_id, title, text in _read_records(folder / "corpus.jsonl", with_title=True)
    }
    all_queries = {qid: text for qid, _, text in _read_records(folder / "queries.jsonl", with_title=False)}
    missing = [qid for qid in qrels if qid not in all_queries]
    if missing:
        shown = ", ".join(repr(qid) for qid in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise BeirFormatError(
            f"{qrels_path}: {len(missing)} judged queries are not in {folder / 'queries.jsonl'}: {shown}{more}"
        )
    queries = {qid: all_queries[qid] for qid in qrels}
    return BeirDataset(split=split, corpus=corpus, queries=queries, qrels=qrels)


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Yield ``(line number, line without its newline)``, 1-based; raise BeirFormatError if unreadable."""
    if not path.is_file():
        raise BeirFormatError(f"{path}: file not found")
    try:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                yield number, line.rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise BeirFormatError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise BeirFormatError(f"{path}: cannot be read ({exc.strerror or exc})") from exc


def _read_records(path: Path, with_title: bool) -> Iterator[tuple[str, str, str]]:
    """Yield ``(_id, title, text)`` from a BEIR JSONL file; title is "" for queries or when absent."""
    seen: set[str] = set()
    for number, line in _lines(path):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BeirFormatError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from exc
        if not isinstance(record, dict):
            raise BeirFormatError(f"{where}: expected a JSON object, got {type(record).__name__}")
        for field in ("_id", "text"):
            if field not in record:
                raise BeirFormatError(f"{where}: missing field {field!r}")
            if not isinstance(record[field], str):
                raise BeirFormatError(f"{where}: field {field!r} must be a string")
        title = record.get("title", "") if with_title else ""
        if title is None:
            title = ""
        if not isinstance(title, str):
            raise BeirFormatError(f"{where}: field 'title' must be a string")
        doc_id = record["_id"]
        if doc_id in seen:
            raise BeirFormatError(f"{where}: id {doc_id!r} appears more than once")
        seen.add(doc_id)
        yield doc_id, title, record["text"]


def _read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """Parse ``qrels/<split>.tsv``; the first line is skipped when it is a header (non-integer score)."""
    qrels: dict[str, dict[str, int]] = {}
    for number, line in _lines(path):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        fields = line.split("\t")
        if len(fields) != 3:
            raise BeirFormatError(
                f"{where}: expected 3 tab-separated fields (query-id, corpus-id, score), got {len(fields)}"
            )
        qid, doc_id, score_text = (field.strip() for field in fields)
        try:
            grade = int(score_text)
        except ValueError:
            if number == 1:
                continue  # the header line, e.g. "query-id\tcorpus-id\tscore"
            raise BeirFormatError(f"{where}: score {score_text!r} is not an integer") from None
        if not qid or not doc_id:
            raise BeirFormatError(f"{where}: empty query id or corpus id")
        judged = qrels.setdefault(qid, {})
        if judged.get(doc_id, grade) != grade:
            raise BeirFormatError(f"{where}: ({qid!r}, {doc_id!r}) judged twice with different scores")
        judged[doc_id] = grade
    return qrels


def _check_token(value: str, what: str) -> None:
    if not value or any(ch.isspace() for ch in value):
        raise BeirFormatError(f"{what} {value!r} cannot be written to a TREC run: it is empty or holds whitespace")


def write_trec_run(path: Path, run: Mapping[str, Mapping[str, float]], tag: str) -> None:
    """Write ``run`` as a TREC run file: one ``qid Q0 docid rank score tag`` line per document.

    Queries are written in sorted id order; each query's documents in the order of
    ``qa.metrics.rank_documents`` (score descending, ties by doc id descending, as trec_eval
    ranks them), with 1-based ranks. Scores are written with ``repr`` so they read back exactly.
    Raises ``BeirFormatError`` when an id or the tag is empty or holds whitespace, or a score is
    not finite; nothing is written then.
    """
    _check_token(tag, "run tag")
    lines = []
    for qid in sorted(run):
        _check_token(qid, "query id")
        scores = run[qid]
        for doc_id, score in scores.items():
            _check_token(doc_id, "document id")
            if not math.isfinite(score):
                raise BeirFormatError(f"score of ({qid!r}, {doc_id!r}) is {score!r}; a TREC run needs finite scores")
        for rank, doc_id in enumerate(rank_documents(scores), start=1):
            lines.append(f"{qid} Q0 {doc_id} {rank} {float(scores[doc_id])!r} {tag}\n")
    Path(path).write_text("".join(lines), encoding="utf-8", newline="\n")


def read_trec_run(path: Path) -> dict[str, dict[str, float]]:
    """Read a TREC run file (``qid Q0 docid rank score tag`` per line) into ``{qid: {docid: score}}``.

    The rank column is ignored, as trec_eval ignores it. Raises ``BeirFormatError`` naming the
    line for a wrong field count, a non-numeric score or a document listed twice for a query.
    """
    path = Path(path)
    run: dict[str, dict[str, float]] = {}
    for number, line in _lines(path):
        if not line.strip():
            continue
        fields = line.split()
        where = f"{path}:{number}"
        if len(fields) != 6:
            raise BeirFormatError(f"{where}: expected 6 fields (qid Q0 docid rank score tag), got {len(fields)}")
        qid, _, doc_id, _, score_text, _ = fields
        try:
            score = float(score_text)
        except ValueError:
            raise BeirFormatError(f"{where}: score {score_text!r} is not a number") from None
        scores = run.setdefault(qid, {})
        if doc_id in scores:
            raise BeirFormatError(f"{where}: document {doc_id!r} listed twice for query {qid!r}")
        scores[doc_id] = score
    return run
