"""Grid searches on tuning data: hybrid fusion settings and the answer step's abstention threshold.

Run them on the tuning split only (``qa eval --sweep``); the defaults in qa/tuning.py come from
their output, and the figures reported elsewhere come from the reporting split.
"""

from __future__ import annotations

from dataclasses import dataclass

from qa.answers.answer import AnswerSettings, answer_question
from qa.answers.quotes import QuoteFinder
from qa.evaluation.answer_metrics import is_hit
from qa.evaluation.gold import GoldQuestion
from qa.evaluation.metrics import evaluate_run
from qa.evaluation.runs import gold_qrels, retrieval_run
from qa.retrieval.retriever import Retriever, SearchSettings

__all__ = ["DENSE_WEIGHTS", "RRF_KS", "THRESHOLDS", "SweepPoint", "fusion_grid", "gold_qrels", "sweep_answers",
           "sweep_fusion"]  # gold_qrels (qa.evaluation.runs) stays importable from here

RRF_KS = (5, 10, 20, 40, 60, 100)
DENSE_WEIGHTS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
THRESHOLDS = tuple(round(0.2 + 0.01 * i, 2) for i in range(51))


@dataclass(frozen=True)
class SweepPoint:
    """One setting tried and its score on the tuning data."""

    setting: dict
    score: float


def fusion_grid() -> list[dict]:
    """Every RRF k and every convex dense weight."""
    return ([{"fusion": "rrf", "rrf_k": float(k)} for k in RRF_KS]
            + [{"fusion": "convex", "dense_weight": w} for w in DENSE_WEIGHTS])


def sweep_fusion(retriever: Retriever, queries: dict[str, str], qrels: dict[str, dict[str, int]],
                 key: str = "chunk", metric: str = "ndcg@10", vectors=None) -> list[SweepPoint]:
    """Score each fusion setting by ``metric`` (mean over judged queries); best first.

    ``key`` "chunk" ranks chunk ids (gold sets), "doc" ranks document ids (BEIR).
    """
    if vectors is None:
        vectors = retriever.encode_many([queries[q] for q in sorted(queries)])
    points = []
    for setting in fusion_grid():
        run = retrieval_run(retriever, queries, SearchSettings(mode="hybrid", k=10, depth=100, **setting), key, vectors)
        points.append(SweepPoint(setting, evaluate_run(run, qrels, (metric,))[metric]))
    return sorted(points, key=lambda p: -p.score)


def sweep_answers(retriever: Retriever, questions: list[GoldQuestion], search: SearchSettings,
                  passages=(3, 5, 8)) -> list[SweepPoint]:
    """Score (passages, abstain_threshold) of the fitted answer model by the share of questions
    handled right: answered with a gold answer above the threshold, or unanswerable and below it.
    Best first. (The sentence scorer's own weights are fit by ``qa fit-answers``.)"""
    finder = QuoteFinder(retriever)
    points = []
    for p in passages:
        settings = AnswerSettings(passages=p, abstain_threshold=0.0)
        outcomes = []
        for q in questions:
            ans = answer_question(retriever, finder, q.question, search, settings)
            hit = q.answerable and is_hit(ans.answer.text if ans.answer else "", q.answers)
            outcomes.append((ans.confidence, q.answerable, hit))
        scores = [sum((h and c >= t) or (not a and c < t) for c, a, h in outcomes) / len(outcomes)
                  for t in THRESHOLDS]
        tied = [t for t, sc in zip(THRESHOLDS, scores) if sc == max(scores)]
        middle = tied[len(tied) // 2]  # the middle of the best plateau: the safest margin
        for t, sc in zip(THRESHOLDS, scores):
            points.append(SweepPoint({"passages": p, "abstain_threshold": t, "plateau": t == middle}, sc))
    return sorted(points, key=lambda pt: (-pt.score, not pt.setting["plateau"], pt.setting["passages"]))
