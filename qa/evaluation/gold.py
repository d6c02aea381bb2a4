"""Gold questions -> retrieval and answer metrics per mode, over the corpus index in use.

A passage is relevant to a question when its character span overlaps the span of one of the
question's evidence quotes, located in the documents with the citation lookup; judgements
therefore survive any change of chunking. Recall@k is the share of a question's evidence quotes
that the top k passages cover; MRR@10 and nDCG@10 use passage relevance (qa.evaluation.metrics).
Answers are measured with qa.evaluation.answer_metrics: a citation is relevant only when its own
quote overlaps an evidence quote's span (not when it merely sits in a passage that holds evidence).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qa.answers.answer import AnswerSettings, answer_question
from qa.answers.quotes import QuoteFinder
from qa.evaluation.answer_metrics import (
    citation_precision,
    expected_calibration_error,
    hit_rate,
    is_hit,
    refusal_precision_recall,
    relevant_citations,
)
from qa.evaluation.metrics import evaluate_run
from qa.retrieval.retriever import Retriever, SearchSettings
from qa.types import Answer, QAError

MODES = ("bm25", "dense", "hybrid")
RECALL_KS = (1, 3, 5, 10, 20)


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

    @property
    def answerable(self) -> bool:
        return bool(self.evidence)


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
                                docs=tuple(row.get("docs", ()))))
    if not out:
        raise QAError(f"{path} holds no questions")
    return out


def locate_evidence(finder: QuoteFinder, questions: list[GoldQuestion]) -> dict[str, list[list[tuple[str, int, int]]]]:
    """For each question, for each evidence quote, every exact place it occurs: (doc_id, start, end).

    Raises QAError naming the question whose evidence is in no document.
    """
    located = {}
    for q in questions:
        per_quote = []
        for quote in q.evidence:
            places = [(m.doc_id, m.start, m.end) for m in finder.find(quote, near=False)]
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
class QuestionResult:
    """Per-question outcome, for the report's table."""

    id: str
    split: str
    answerable: bool
    recall: dict
    first_relevant: dict
    abstained: bool
    answer: str
    hit: bool | None
    citations: int
    relevant_citations: int
    latency_ms: float
    confidence: float = 0.0


@dataclass(frozen=True)
class EvalResult:
    """Aggregates in the shape of ``qa eval --json`` plus per-question rows and curves."""

    summary: dict
    rows: tuple[QuestionResult, ...] = ()
    curves: dict = field(default_factory=dict)
    per_document: dict = field(default_factory=dict)


def evaluate_gold(
    retriever: Retriever,
    questions: list[GoldQuestion],
    modes: tuple[str, ...] = MODES,
    k: int = 10,
    base: SearchSettings = SearchSettings(),
    answer_settings: AnswerSettings = AnswerSettings(),
    answers: bool = True,
    progress=None,
) -> EvalResult:
    """Run every question through each retrieval mode and (hybrid) ``qa ask``; measure everything.

    ``progress(done, total)`` is called after each question of each step (one step per mode, one
    for the answers): total = questions × (modes + 1 if answers else modes).
    """
    steps = len(modes) + (1 if answers else 0)
    finder = QuoteFinder(retriever)
    located = locate_evidence(finder, questions)
    depth = max(k, max(RECALL_KS), 100)
    vectors = retriever.encode_many([q.question for q in questions])
    modes_out, curves, per_mode_rows = {}, {}, {}
    per_document: dict = {}
    for step, mode in enumerate(modes):
        settings = SearchSettings(**{**base.__dict__, "mode": mode, "k": max(k, max(RECALL_KS)), "depth": depth})
        run, qrels, recalls, firsts = {}, {}, {}, {}
        for n, (q, vec) in enumerate(zip(questions, vectors), start=1):
            hits = retriever.search(q.question, settings, query_vector=vec)
            chunks = [h.chunk for h in hits]
            run[q.id] = {c.chunk_id: float(len(chunks) - i) for i, c in enumerate(chunks)}
            if q.answerable:
                places = [p for quote in located[q.id] for p in quote]
                qrels[q.id] = {c.chunk_id: 1 for c in retriever.chunks_overlapping(places)}
                recalls[q.id] = {kk: evidence_recall_at_k(chunks, located[q.id], kk) for kk in RECALL_KS}
                firsts[q.id] = next((i + 1 for i, c in enumerate(chunks) if c.chunk_id in qrels[q.id]), None)
                for doc_id in {d for d, _, _ in places}:
                    per_document.setdefault(mode, {}).setdefault(doc_id, []).append(
                        recalls[q.id][k if k in RECALL_KS else 10])
            if progress:
                progress(step * len(questions) + n, steps * len(questions))
        measured = evaluate_run(run, qrels, metrics=(f"mrr@{k}", f"ndcg@{k}"))
        ids = list(recalls)
        modes_out[mode] = {**{f"recall@{kk}": _mean([recalls[i][kk] for i in ids]) for kk in (1, 5, 10)},
                           f"mrr@{k}": measured[f"mrr@{k}"], f"ndcg@{k}": measured[f"ndcg@{k}"]}
        curves[mode] = {kk: _mean([recalls[i][kk] for i in ids]) for kk in RECALL_KS}
        per_mode_rows[mode] = (recalls, firsts)
    summary = {"questions": len(questions), "answerable": sum(q.answerable for q in questions), "modes": modes_out}
    rows: list[QuestionResult] = []
    if answers:
        done = len(modes) * len(questions)
        step_progress = (lambda n, total: progress(done + n, done + total)) if progress else None
        answer_summary, latency, rows = _answer_metrics(retriever, finder, questions, located, base,
                                                        answer_settings, per_mode_rows, step_progress)
        summary["answers"] = answer_summary
        summary["latency_ms"] = latency
    per_doc = {m: {d: _mean(v) for d, v in docs.items()} for m, docs in per_document.items()}
    return EvalResult(summary=summary, rows=tuple(rows), curves=curves, per_document=per_doc)


def _answer_metrics(retriever, finder, questions, located, base, answer_settings, per_mode_rows, progress=None):
    """Ask every question (hybrid) and measure the answers with qa.evaluation.answer_metrics."""
    latencies, rows = [], []
    settings = SearchSettings(**{**base.__dict__, "mode": "hybrid", "k": max(base.k, answer_settings.passages)})
    if questions:   # untimed: the first answer of a process pays one-off costs (model, caches), not a question's
        answer_question(retriever, finder, questions[0].question, settings, answer_settings)
    for n, q in enumerate(questions, start=1):
        t = time.perf_counter()
        ans: Answer = answer_question(retriever, finder, q.question, settings, answer_settings)
        latencies.append((time.perf_counter() - t) * 1000)
        evidence = [p for quote in located[q.id] for p in quote]
        n_rel = relevant_citations([(c.doc_id, c.start, c.end) for c in ans.citations], evidence)
        text = ans.answer.text if ans.answer else ""
        recalls = {m: per_mode_rows[m][0].get(q.id, {}).get(10) for m in per_mode_rows}
        firsts = {m: per_mode_rows[m][1].get(q.id) for m in per_mode_rows}
        rows.append(QuestionResult(id=q.id, split=q.split, answerable=q.answerable, recall=recalls,
                                   first_relevant=firsts, abstained=ans.abstained, answer=text,
                                   hit=is_hit(text, q.answers) if q.answerable else None,
                                   citations=len(ans.citations), relevant_citations=n_rel,
                                   latency_ms=latencies[-1], confidence=ans.confidence))
        if progress:
            progress(n, len(questions))
    latency = ({"mean": float(np.mean(latencies)), "p50": float(np.percentile(latencies, 50)),
                "p95": float(np.percentile(latencies, 95))} if latencies else {})
    return summarise_answers(rows), latency, rows


def summarise_answers(rows) -> dict:
    """The ``answers`` block of the summary from per-question rows (see answer_metrics)."""
    precision, recall = refusal_precision_recall([r.abstained for r in rows], [r.answerable for r in rows])
    shown = [r for r in rows if not r.abstained]
    return {
        "hit_rate": hit_rate([bool(r.hit) for r in rows if r.answerable]),
        "citation_precision": citation_precision([(r.relevant_citations, r.citations) for r in rows]),
        "abstain_precision": precision,
        "abstain_recall": recall,
        "calibration_error": expected_calibration_error([r.confidence for r in shown],
                                                        [bool(r.hit) for r in shown]),
    }


def _mean(values) -> float:
    values = list(values)
    return float(sum(values) / len(values)) if values else 0.0
