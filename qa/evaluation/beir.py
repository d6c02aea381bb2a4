"""BEIR-format retrieval benchmarks in (TREC run and qrels files: qa.evaluation.trec).

A BEIR folder holds ``corpus.jsonl`` (``{"_id", "title", "text"}`` per line),
``queries.jsonl`` (``{"_id", "text"}``) and ``qrels/<split>.tsv`` (a header line, then
``query-id <TAB> corpus-id <TAB> score``). Thakur et al., "BEIR: A Heterogeneous Benchmark
for Zero-shot Evaluation of Information Retrieval Models", NeurIPS 2021.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from qa.evaluation.trec import text_lines
from qa.types import QAError


class BeirFormatError(QAError):
    """A BEIR folder is missing, unreadable or malformed; the message says where."""


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


def load_beir(folder: Path, split: str, with_corpus: bool = True) -> BeirDataset:
    """Read one split of the BEIR benchmark in ``folder``.

    Returns the whole corpus, the queries judged in ``qrels/<split>.tsv`` and those qrels; with
    ``with_corpus=False`` the corpus is left empty (``read_corpus`` streams it, one entry at a time).
    Raises ``BeirFormatError`` (a ``QAError``) naming the file, and the line where there is one,
    for: a missing folder or file, an unknown split (the message lists the available ones),
    a line that is not a JSON object, a missing ``_id``/``text``, an ``_id`` neither a string nor an
    integer (integers are read as their digits), a ``text`` not a string, a repeated id,
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
    corpus = dict(read_corpus(folder)) if with_corpus else {}
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


def read_corpus(folder: Path) -> Iterator[tuple[str, BeirDoc]]:
    """Yield ``(_id, BeirDoc)`` for each entry of ``folder/corpus.jsonl``, in file order, reading one
    line at a time (a corpus of 100,000s of documents is never held whole). Raises BeirFormatError
    as ``load_beir`` does, when the bad line is reached."""
    folder = Path(folder)
    if not folder.is_dir():
        raise BeirFormatError(f"{folder}: no such folder (expected a BEIR dataset folder)")
    for doc_id, title, text in _read_records(folder / "corpus.jsonl", with_title=True):
        yield doc_id, BeirDoc(title=title, text=text)


def corpus_size(folder: Path) -> int:
    """The number of non-blank lines of ``folder/corpus.jsonl`` (its entries, when it is well formed),
    counted without parsing them; raises BeirFormatError when the file is missing."""
    path = Path(folder) / "corpus.jsonl"
    if not path.is_file():
        raise BeirFormatError(f"{path}: file not found")
    with open(path, "rb") as f:
        return sum(1 for line in f if line.strip())


def _read_records(path: Path, with_title: bool) -> Iterator[tuple[str, str, str]]:
    """Yield ``(_id, title, text)`` from a BEIR JSONL file; title is "" for queries or when absent."""
    seen: set[str] = set()
    for number, line in text_lines(path, BeirFormatError):
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
        doc_id = _record_id(record["_id"], where)
        if not isinstance(record["text"], str):
            raise BeirFormatError(f"{where}: field 'text' must be a string")
        title = record.get("title", "") if with_title else ""
        if title is None:
            title = ""
        if not isinstance(title, str):
            raise BeirFormatError(f"{where}: field 'title' must be a string")
        if doc_id in seen:
            raise BeirFormatError(f"{where}: id {doc_id!r} appears more than once")
        seen.add(doc_id)
        yield doc_id, title, record["text"]


def _record_id(value, where: str) -> str:
    """An ``_id`` as text: a string as it is, a JSON integer (``{"_id": 42}``) as its digits, so it
    matches the qrels' ``42``; anything else raises BeirFormatError."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise BeirFormatError(f"{where}: field '_id' must be a string or an integer, got {json.dumps(value)}")


def _read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """Parse ``qrels/<split>.tsv``; the first line is skipped when it is a header (non-integer score)."""
    qrels: dict[str, dict[str, int]] = {}
    for number, line in text_lines(path, BeirFormatError):
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
