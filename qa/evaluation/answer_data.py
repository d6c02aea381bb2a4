"""Gold questions -> every candidate answer of the top passages with its features and labels.

A candidate is *positive* when it overlaps one of the question's evidence quotes (located with the
citation lookup: exact places, else the closest near match of similarity >= 0.9, since a PDF's
text can split a word, "op erational") and contains a gold answer (is_hit). The rows
are cached in ``eval/cache`` keyed by the feature code, the index and the questions, so refitting
the answer model reads them back in a second.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, TypeVar

import numpy as np

from qa.answers import answer as answer_module
from qa.answers import features as features_module
from qa.answers import short as short_module
from qa.answers.answer import CITATION_DEPTH, gather
from qa.answers.features import QueryTerms, question_constants
from qa.answers.quotes import QuoteFinder
from qa.evaluation.answer_metrics import is_hit, overlaps
from qa.evaluation.gold import GoldQuestion
from qa.retrieval.retriever import Retriever, SearchSettings
from qa.retrieval.tokenize import tokenize

POOL = 10                    # passages whose candidates are kept (the most the fit may choose)
POOLS = (3, 5, 8, 10)        # pool sizes the fit chooses among

T = TypeVar("T")


@dataclass(frozen=True)
class CandidateRow:
    """One candidate of one question: where it is, its features, and whether it answers."""

    doc_id: str
    start: int
    end: int
    rank: int
    features: tuple[float, ...]
    positive: bool
    hit: bool
    page: int | None
    text: str


@dataclass(frozen=True)
class QuestionRow:
    """A gold question with its candidates and its question constants for each pool size."""

    gold_set: str
    id: str
    question: str
    split: str
    group: str
    answerable: bool
    answers: tuple[str, ...]
    pages: tuple[int, ...]
    answer_type: str
    paraphrased: bool
    candidates: tuple[CandidateRow, ...]
    constants: dict


def question_row(gold_set: str, q: GoldQuestion, retriever: Retriever, qvec, evidence) -> QuestionRow:
    """The QuestionRow of ``q`` (hybrid search, the top ``POOL`` passages' candidates)."""
    hits = retriever.search(q.question, SearchSettings(k=max(POOL, CITATION_DEPTH)), query_vector=qvec)[:POOL]
    cands, _ = gather(retriever, q.question, qvec, hits)
    terms = QueryTerms.of(retriever.term_weights(tokenize(q.question)))
    vectors = retriever.passage_vectors([h.chunk for h in hits])
    constants = {p: question_constants(q.question, terms, hits[:p], vectors[:p], qvec) for p in POOLS}
    docs = retriever.documents
    rows = []
    for c in cands:
        text = docs[c.doc_id].text[c.start:c.end]
        hit = q.answerable and is_hit(text, q.answers)
        near = any(overlaps((c.doc_id, c.start, c.end), e) for e in evidence)
        rows.append(CandidateRow(c.doc_id, c.start, c.end, c.rank, c.features, bool(hit and near), bool(hit),
                                 docs[c.doc_id].page_at(c.start), text))
    group = f"{gold_set}:{q.docs[0] if q.docs else 'off-corpus:' + q.id}"  # off-corpus: nothing shared
    return QuestionRow(gold_set, q.id, q.question, q.split, group, q.answerable, q.answers, q.pages,
                       q.answer_type, q.paraphrased, tuple(rows), constants)


def cache_key(retriever: Retriever, questions: list[GoldQuestion]) -> str:
    """A hash of the feature code, the index's manifest and the questions."""
    h = hashlib.sha256()
    for module in (features_module, short_module, answer_module):
        h.update(Path(module.__file__).read_bytes())
    h.update(json.dumps(retriever.manifest, sort_keys=True, default=str).encode())
    h.update(json.dumps([asdict(q) for q in questions], sort_keys=True).encode())
    h.update(str((POOL, POOLS)).encode())
    return h.hexdigest()[:16]


def collect(gold_set: str, retriever: Retriever, questions: list[GoldQuestion], cache_dir: Path | None,
            progress=None) -> list[QuestionRow]:
    """Every question's QuestionRow, read from ``cache_dir`` when its key matches."""
    path = cache_dir / f"answer-rows-{gold_set}-{cache_key(retriever, questions)}.json" if cache_dir else None
    finder = QuoteFinder(retriever)

    def make(q: GoldQuestion, vec: np.ndarray) -> QuestionRow:
        return question_row(gold_set, q, retriever, vec, [p for quote in locate(finder, [q])[q.id] for p in quote])

    return cached_rows(path, _row_from_json, retriever, questions, make, progress)


def cached_rows(path: Path | None, from_json: Callable[[dict], T], retriever: Retriever,
                questions: list[GoldQuestion], make: Callable[[GoldQuestion, np.ndarray], T], progress=None) -> list[T]:
    """The rows stored at ``path`` when it exists; else ``make(question, its query vector)`` for each
    question (the vectors encoded in one batch), stored at ``path`` (when given) and returned."""
    if path is not None and path.is_file():
        return [from_json(r) for r in json.loads(path.read_text(encoding="utf-8"))]
    vectors = retriever.encode_many([q.question for q in questions])
    rows = []
    for n, (q, vec) in enumerate(zip(questions, vectors), start=1):
        rows.append(make(q, vec))
        if progress:
            progress(n, len(questions))
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps([asdict(r) for r in rows]), encoding="utf-8")
    return rows


def locate(finder: QuoteFinder, questions: list[GoldQuestion], near: float = 0.9) -> dict[str, list[list]]:
    """For each question, for each evidence quote, its places: every exact one, else the best near one."""
    out = {}
    for q in questions:
        per_quote = []
        for quote in q.evidence:
            matches = finder.find(quote)
            exact = [(m.doc_id, m.start, m.end) for m in matches if m.exact]
            close = [(m.doc_id, m.start, m.end) for m in matches if m.similarity >= near][:1]
            per_quote.append(exact or close)
        out[q.id] = per_quote
    return out


def _row_from_json(r: dict) -> QuestionRow:
    cands = tuple(CandidateRow(**{**c, "features": tuple(c["features"])}) for c in r["candidates"])
    return QuestionRow(**{**r, "answers": tuple(r["answers"]), "pages": tuple(r["pages"]), "candidates": cands,
                          "constants": {int(p): tuple(v) for p, v in r["constants"].items()}})
