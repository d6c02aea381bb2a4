"""Gold questions -> retrieval and answer metrics per mode, over the corpus index in use.

A passage is relevant to a question when its character span overlaps the span of one of the
question's evidence quotes, located in the documents with the citation lookup; judgements
therefore survive any change of chunking. Recall@k is the share of a question's evidence quotes
that the top k passages cover; MRR@10 and nDCG@10 use passage relevance (qa.evaluation.metrics).
Answers are measured with qa.evaluation.answer_metrics (through qa.evaluation.gold_answers): a
citation is relevant only when its own quote overlaps an evidence quote's span (not when it merely
sits in a passage that holds evidence). Recall@5 of the paraphrased questions is reported apart.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qa.answers.answer import AnswerSettings, answer_question
from qa.answers.quotes import QuoteFinder
from qa.answers.rerank import ensure_reranker
from qa.evaluation.evidence import alnum_fold, loose_places
from qa.evaluation.gold_answers import QuestionResult, answer_counts, question_row, reliability, summarise_answers
from qa.evaluation.metrics import evaluate_run
from qa.retrieval.retriever import MODES as RETRIEVAL_MODES
from qa.retrieval.retriever import Retriever, SearchSettings
from qa.types import QAError

MODES = RETRIEVAL_MODES   # bm25, dense, hybrid, rerank (hybrid re-ranked by the sentence scorer)
RECALL_KS = (1, 3, 5, 10, 20)
# A home-set question's ``type`` stands for its answer type and paraphrase flag when the line has none.
_HOME_ANSWER_TYPES = {"date": "date", "numeric": "number", "name": "name"}

__all__ = ["MODES", "EvalResult", "GoldQuestion", "QuestionResult", "evaluate_gold", "load_gold",
           "locate_evidence", "summarise_answers"]


@dataclass(frozen=True)
class GoldQuestion:
    """One line of a gold file; ``answers`` and ``evidence`` are empty for unanswerable questions."""

    id: str
    question: str
    answers: tuple[str, ...]
    evidence: tuple[str, ...]
    split: str = "report"
    type: str = ""
    docs: tuple[str, ...] = ()
    pages: tuple[int, ...] = ()
    answer_type: str = ""
    paraphrased: bool = False

    @property
    def answerable(self) -> bool:
        return bool(self.evidence)


def document_group(gold_set: str, q: GoldQuestion) -> str:
    """The group a question's folds keep together: its gold set and first document (an
    off-corpus question is a group of its own), so no fold holds another's document."""
    return f"{gold_set}:{q.docs[0] if q.docs else 'off-corpus:' + q.id}"


def fold_index(groups, folds: int) -> dict[str, int]:
    """group -> fold: the groups sorted, the i-th in fold i mod ``folds`` (the out-of-fold fits and
    the sentence scorer's fold models assign alike)."""
    return {g: i % folds for i, g in enumerate(sorted(set(groups)))}


def load_gold(path: Path) -> list[GoldQuestion]:
    """Read a gold JSONL file; raises QAError naming the file, line and field at fault."""
    if not path.is_file():
        raise QAError(f"gold question file {path} does not exist")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise QAError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    out, seen = [], set()
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}, line {n}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise QAError(f"{where}: not valid JSON ({exc})") from exc
        for key in ("id", "question", "answers", "evidence"):
            if key not in row:
                raise QAError(f"{where}: missing field {key!r}")
        if not isinstance(row["answers"], list) or not isinstance(row["evidence"], list):
            raise QAError(f"{where}: 'answers' and 'evidence' must be lists")
        if row["id"] in seen:
            raise QAError(f"{where}: duplicate id {row['id']!r}")
        seen.add(row["id"])
        split = row.get("split", "report")
        if split not in ("tune", "report"):
            raise QAError(f"{where}: split must be 'tune' or 'report', got {split!r}")
        out.append(GoldQuestion(id=str(row["id"]), question=row["question"], answers=tuple(row["answers"]),
                                evidence=tuple(row["evidence"]), split=split, type=row.get("type", ""),
                                docs=tuple(row.get("docs", ())), pages=_pages(row, where),
                                answer_type=str(row.get("answer_type", _HOME_ANSWER_TYPES.get(row.get("type"), ""))),
                                paraphrased=bool(row.get("paraphrased", row.get("type") == "paraphrase"))))
    if not out:
        raise QAError(f"{path} holds no questions")
    return out


def _pages(row: dict, where: str) -> tuple[int, ...]:
    pages = row.get("pages", [])
    if not isinstance(pages, list) or not all(isinstance(p, int) and p > 0 for p in pages):
        raise QAError(f"{where}: 'pages' must be a list of page numbers (1, 2, ...), got {pages!r}")
    return tuple(pages)


def locate_evidence(finder: QuoteFinder, questions: list[GoldQuestion]) -> dict[str, list[list[tuple[str, int, int]]]]:
    """For each question, for each evidence quote, every place it occurs: (doc_id, start, end).

    Exact places (the citation lookup) first; a quote found nowhere exactly is looked for in the
    question's documents (all, when it names none) with letters and digits only
    (qa.evaluation.evidence), the gold checker's own comparison. Raises QAError naming the
    question whose evidence is in no document even so.
    """
    located, folded = {}, {}
    for q in questions:
        per_quote = []
        for quote in q.evidence:
            places = [(m.doc_id, m.start, m.end) for m in finder.find(quote, near=False)]
            for doc_id in ([] if places else [d for d in q.docs if d in finder.documents] or list(finder.documents)):
                if doc_id not in folded:
                    folded[doc_id] = alnum_fold(finder.documents[doc_id].text)
                places += [(doc_id, a, b) for a, b in loose_places(folded[doc_id], quote)]
            if not places:
                raise QAError(f"gold question {q.id}: evidence quote not found in the corpus: {quote[:80]!r}")
            per_quote.append(places)
        located[q.id] = per_quote
    return located


def _overlaps(chunk, places) -> bool:
    return any(d == chunk.doc_id and s < chunk.end and chunk.start < e for d, s, e in places)


def evidence_recall_at_k(ranked_chunks: list, evidence: list[list[tuple[str, int, int]]], k: int) -> float:
    """Share of evidence quotes that at least one of the top ``k`` chunks overlaps (0.0 if none)."""
    if not evidence:
        return 0.0
    top = ranked_chunks[:k]
    return sum(any(_overlaps(c, places) for c in top) for places in evidence) / len(evidence)


@dataclass(frozen=True)
class EvalResult:
    """Aggregates in the shape of ``qa eval --json`` plus per-question rows, curves and the
    reliability diagram's bins (answers shown, correct = hit)."""

    summary: dict
    rows: tuple[QuestionResult, ...] = ()
    curves: dict = field(default_factory=dict)
    per_document: dict = field(default_factory=dict)
    reliability: tuple = ()


def evaluate_gold(
    retriever: Retriever,
    questions: list[GoldQuestion],
    modes: tuple[str, ...] = MODES,
    k: int = 10,
    base: SearchSettings = SearchSettings(),
    answer_settings: AnswerSettings | None = None,
    answers: bool = True,
    progress=None,
) -> EvalResult:
    """Run every question through each retrieval mode and (hybrid) ``qa ask``; measure everything.

    ``progress(done, total)`` is called after each question (all its modes and its answer).
    Raises QAError when an evidence quote is in no document.
    """
    answer_settings = answer_settings or AnswerSettings()
    if "rerank" in modes:
        ensure_reranker(retriever)
    finder = QuoteFinder(retriever)
    located = locate_evidence(finder, questions)
    vectors = retriever.encode_many([q.question for q in questions])
    depth = max(k, max(RECALL_KS), 100)
    settings = {m: SearchSettings(**{**base.__dict__, "mode": m, "k": max(k, max(RECALL_KS)), "depth": depth})
                for m in modes}
    ask = SearchSettings(**{**base.__dict__, "mode": "hybrid", "k": max(base.k, answer_settings.passages)})
    runs = {m: _ModeRun() for m in modes}
    rows, latencies = [], []
    if answers and questions:   # untimed: a process's first answer pays one-off costs (model, caches)
        answer_question(retriever, finder, questions[0].question, ask, answer_settings, query_vector=vectors[0])
    for n, (q, vec) in enumerate(zip(questions, vectors), start=1):
        for mode in modes:
            runs[mode].add(retriever, q, vec, located[q.id], settings[mode], k)
        if answers:
            t = time.perf_counter()
            ans = answer_question(retriever, finder, q.question, ask, answer_settings, query_vector=vec)
            latencies.append((time.perf_counter() - t) * 1000)
            rows.append(question_row(q, ans, [p for quote in located[q.id] for p in quote], retriever.documents,
                                     {m: runs[m].recalls.get(q.id, {}).get(10) for m in modes},
                                     {m: runs[m].firsts.get(q.id) for m in modes}, latencies[-1]))
        if progress:
            progress(n, len(questions))
    paraphrased = {q.id for q in questions if q.paraphrased and q.answerable}
    summary = {"questions": len(questions), "answerable": sum(q.answerable for q in questions),
               "modes": {m: runs[m].figures(k, paraphrased) for m in modes}}
    if answers:
        summary["answers"] = summarise_answers(rows)
        summary["counts"] = answer_counts(rows)
        summary["latency_ms"] = {"mean": float(np.mean(latencies)), "p50": float(np.percentile(latencies, 50)),
                                 "p95": float(np.percentile(latencies, 95))}
    return EvalResult(summary=summary, rows=tuple(rows), curves={m: runs[m].curve() for m in modes},
                      per_document={m: runs[m].per_document() for m in modes if runs[m].documents},
                      reliability=tuple(reliability(rows)) if answers else ())


class _ModeRun:
    """What one retrieval mode gathers over the questions: the run, judgements, recalls, ranks."""

    def __init__(self) -> None:
        self.run, self.qrels, self.recalls, self.firsts, self.documents = {}, {}, {}, {}, {}

    def add(self, retriever, q: GoldQuestion, vector, evidence, settings: SearchSettings, k: int) -> None:
        chunks = [h.chunk for h in retriever.search(q.question, settings, query_vector=vector)]
        self.run[q.id] = {c.chunk_id: float(len(chunks) - i) for i, c in enumerate(chunks)}
        if not q.answerable:
            return
        places = [p for quote in evidence for p in quote]
        relevant = {c.chunk_id: 1 for c in retriever.chunks_overlapping(places)}
        self.qrels[q.id] = relevant
        self.recalls[q.id] = {kk: evidence_recall_at_k(chunks, evidence, kk) for kk in RECALL_KS}
        self.firsts[q.id] = next((i + 1 for i, c in enumerate(chunks) if c.chunk_id in relevant), None)
        for doc_id in {d for d, _, _ in places}:
            self.documents.setdefault(doc_id, []).append(self.recalls[q.id][k if k in RECALL_KS else 10])

    def figures(self, k: int, paraphrased: set[str]) -> dict:
        """recall@1/5/10, MRR@k, nDCG@k over the answerable questions; recall@5 of the paraphrased
        ones apart (left out when there are none)."""
        measured = evaluate_run(self.run, self.qrels, metrics=(f"mrr@{k}", f"ndcg@{k}"))
        out = {**{f"recall@{kk}": _mean(r[kk] for r in self.recalls.values()) for kk in (1, 5, 10)},
               f"mrr@{k}": measured[f"mrr@{k}"], f"ndcg@{k}": measured[f"ndcg@{k}"]}
        apart = [r[5] for qid, r in self.recalls.items() if qid in paraphrased]
        if apart:
            out["paraphrased_recall@5"] = _mean(apart)
        return out

    def curve(self) -> dict:
        return {kk: _mean(r[kk] for r in self.recalls.values()) for kk in RECALL_KS}

    def per_document(self) -> dict:
        return {d: _mean(v) for d, v in self.documents.items()}


def _mean(values) -> float:
    values = list(values)
    return float(sum(values) / len(values)) if values else 0.0
