"""Fit the answer model (qa/answers/answer_model.json) on the tuning questions of the gold sets.

1. Candidate model: logistic regression of "positive" (overlaps evidence and holds a gold answer)
   on the candidate features, over the answerable tuning questions.
2. Out-of-fold by document groups (a fold holds out every question of one document), each tuning
   question's chosen candidate and question features come from a candidate model that never saw
   its document; the pool size and the regularisation are chosen by the out-of-fold hit rate
   (the mean over the gold sets, so the small home set counts as much as the real one).
3. Question models on those out-of-fold question features: logistic regression of "the chosen
   quote holds a gold answer" (never, for an unanswerable question): the confidence; and of "the
   question is answerable": the answerability.
4. Threshold on the answerability: from out-of-fold answerabilities (a question model fit without
   the question's document), the one that handles the most tuning questions right (answered with
   a hit, or refused when unanswerable; mean over the sets), the middle of the best plateau.
   Before it, a topic floor: questions whose best passage cosine falls below it are refused (off
   the corpus), chosen the same way with the answerability ignored.
   The reporting splits are never read here.
"""

from __future__ import annotations

import numpy as np

from qa.answers.features import CANDIDATE_FEATURES, QUESTION_FEATURES
from qa.answers.model import AnswerModel, LinearModel, off_topic
from qa.answers.short import short_answer, wanted_type
from qa.evaluation.answer_data import POOLS, QuestionRow
from qa.evaluation.fit_report import Outcome, chosen_and_features, figures, outcome, pool
from qa.evaluation.logistic import fit_linear

L2S = (0.3, 1.0, 3.0, 10.0)
THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.05, 0.951, 0.01))
FLOORS = tuple(round(t, 3) for t in np.arange(0.0, 0.5001, 0.005))
_PLACEHOLDER = LinearModel(QUESTION_FEATURES, (0.0,) * len(QUESTION_FEATURES), 0.0,
                           (0.0,) * len(QUESTION_FEATURES), (1.0,) * len(QUESTION_FEATURES))


def fit_candidate(rows: list[QuestionRow], passages: int, l2: float) -> LinearModel:
    """The candidate model over the answerable ``rows`` that have a positive candidate in the pool."""
    xs, ys, ws = [], [], []
    for r in rows:
        labels, _, matrix = pool(r, passages)
        if not r.answerable or not any(c.positive for c in labels):
            continue
        xs.append(matrix)  # every question weighs the same, whatever its number of candidates
        ys.append(np.array([float(c.positive) for c in labels]))
        ws.append(np.full(len(labels), 1.0 / len(labels)))
    if not xs:
        raise ValueError("no tuning question has a positive candidate: nothing to fit")
    w = np.concatenate(ws)
    return fit_linear(CANDIDATE_FEATURES, np.vstack(xs), np.concatenate(ys), l2, w * len(w) / w.sum())


def groups_of(rows: list[QuestionRow]) -> list[str]:
    return sorted({r.group for r in rows})


def out_of_fold_choices(rows: list[QuestionRow], passages: int, l2: float):
    """For each row: (row, chosen candidate, question features) with the candidate model of its fold."""
    out = []
    for g in groups_of(rows):
        model = AnswerModel(fit_candidate([r for r in rows if r.group != g], passages, l2), _PLACEHOLDER, _PLACEHOLDER,
                            0.0, passages)
        for r in rows:
            if r.group == g:
                chosen, q = chosen_and_features(r, model, passages)
                out.append((r, chosen, q))
    return out


def _per_set_mean(values: dict[str, list[float]]) -> float:
    return float(np.mean([np.mean(v) for v in values.values()])) if values else 0.0


def oof_hit(choices) -> float:
    """Mean over gold sets of the share of answerable questions whose chosen candidate is a hit."""
    per_set: dict[str, list[float]] = {}
    for r, chosen, _ in choices:
        if r.answerable:
            per_set.setdefault(r.gold_set, []).append(float(chosen is not None and chosen.hit))
    return _per_set_mean(per_set)


def hit_target(row: QuestionRow, chosen) -> bool:
    return row.answerable and chosen.hit


def fit_question(choices, l2: float, target=hit_target) -> LinearModel:
    """Logistic regression of ``target(row, chosen)`` on the question features: by default "the
    chosen quote holds a gold answer" (the confidence); ``answerable_target`` for answerability."""
    x = np.array([q for _, c, q in choices if c is not None])
    y = np.array([float(target(r, c)) for r, c, _ in choices if c is not None])
    return fit_linear(QUESTION_FEATURES, x, y, l2)


def answerable_target(row: QuestionRow, chosen) -> bool:
    return row.answerable


def out_of_fold_probabilities(choices, l2: float, target=hit_target) -> list[float]:
    """For each of ``choices``, the probability from a question model fit without its document group."""
    out = {}
    for g in sorted({r.group for r, _, _ in choices}):
        model = fit_question([t for t in choices if t[0].group != g], l2, target)
        for n, (r, c, q) in enumerate(choices):
            if r.group == g:
                out[n] = float(model.probabilities(np.array([q]))[0]) if c is not None else 0.0
    return [out[n] for n in range(len(choices))]


def handled(decisions, threshold: float, floor: float = 0.0) -> float:
    """Mean over gold sets of the share of questions handled right when those whose answerability
    is below ``threshold`` or who are off topic by ``floor`` (qa.answers.model.off_topic) are refused;
    ``decisions`` holds (row, chosen, answerability, topic, rare_top)."""
    per_set: dict[str, list[float]] = {}
    for r, c, p, topic, rare_top in decisions:
        answered = p >= threshold and not off_topic(topic, rare_top, floor)
        right = (answered and r.answerable and c is not None and c.hit) or (not answered and not r.answerable)
        per_set.setdefault(r.gold_set, []).append(float(right))
    return _per_set_mean(per_set)


def _middle_of_best(grid, score) -> float:
    scores = [round(score(v), 9) for v in grid]
    tied = [v for v, s in zip(grid, scores) if s == max(scores)]
    return tied[len(tied) // 2]


def choose_floor(decisions) -> float:
    """The topic floor (answerability ignored) that handles the most questions right: the middle
    of the best plateau."""
    return _middle_of_best(FLOORS, lambda f: handled(decisions, 0.0, f))


def choose_threshold(decisions, floor: float = 0.0) -> float:
    """The middle of the plateau of thresholds that handle the most questions right, given ``floor``."""
    return _middle_of_best(THRESHOLDS, lambda t: handled(decisions, t, floor))


def fit_answer_model(rows: list[QuestionRow], pools=POOLS, l2s=L2S) -> tuple[AnswerModel, dict, list[Outcome]]:
    """(model, what was chosen and why, out-of-fold outcomes of the tuning questions)."""
    tune = [r for r in rows if r.split == "tune"]
    trials = {(p, l2): oof_hit(out_of_fold_choices(tune, p, l2)) for p in pools for l2 in l2s}
    (passages, l2), best_hit = max(trials.items(), key=lambda kv: (round(kv[1], 9), -kv[0][0], kv[0][1]))
    choices = out_of_fold_choices(tune, passages, l2)
    q_l2 = 1.0
    confidence = out_of_fold_probabilities(choices, q_l2)
    answerability = out_of_fold_probabilities(choices, q_l2, answerable_target)
    decisions = [(r, c, p, r.constants[passages][2], r.constants[passages][0])
                 for (r, c, _), p in zip(choices, answerability)]
    floor = choose_floor(decisions)
    threshold = choose_threshold(decisions, floor)
    model = AnswerModel(fit_candidate(tune, passages, l2), fit_question(choices, q_l2),
                        fit_question(choices, q_l2, answerable_target), threshold, passages, floor)
    oof = [_oof_outcome(r, c, conf, ans >= threshold and not off_topic(topic, rare_top, floor))
           for (r, c, ans, topic, rare_top), conf in zip(decisions, confidence)]
    about = {"fit_on": "tuning splits of the home and real gold sets", "questions": len(tune),
             "passages": passages, "candidate_l2": l2, "question_l2": q_l2, "threshold": threshold,
             "oof_candidate_hit": round(best_hit, 4),
             "trials": {f"passages={p} l2={c}": round(h, 4) for (p, c), h in sorted(trials.items())},
             "topic_floor": floor, "oof_handled": round(handled(decisions, threshold, floor), 4)}
    return model, about, oof


def _oof_outcome(row: QuestionRow, chosen, confidence: float, answerable: bool) -> Outcome:
    answered = chosen is not None and answerable
    span = short_answer(row.question, chosen.text, wanted_type(row.question)) if answered else None
    return Outcome(row, chosen, confidence, answered, chosen.text[span[0]:span[1]] if span else "")


def report(rows: list[QuestionRow], model: AnswerModel, oof: list[Outcome]) -> dict[tuple[str, str], dict]:
    """Figures per (gold set, split): tuning from the out-of-fold outcomes, reporting from ``model``."""
    out = {}
    for name in sorted({r.gold_set for r in rows}):
        out[(name, "tune (out-of-fold)")] = figures([o for o in oof if o.row.gold_set == name])
        out[(name, "report")] = figures([outcome(r, model) for r in rows if r.gold_set == name and r.split == "report"])
    return out
