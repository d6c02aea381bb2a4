"""Fit the answer model (qa/answers/answer_model.json) on the tuning questions of the gold sets.

1. Candidate model: logistic regression of "positive" (overlaps evidence and holds a gold answer)
   on the candidate features, over the answerable tuning questions.
2. Out-of-fold by document groups (a fold holds out every question of one document), each tuning
   question's chosen candidate and question features come from a candidate model that never saw
   its document; the pool size and the regularisation are chosen by the out-of-fold hit rate
   (the mean over the gold sets, so the small home set counts as much as the real one).
3. Question model: logistic regression of "the chosen quote holds a gold answer" (never, for an
   unanswerable question) on those out-of-fold question features: the confidence.
4. Threshold: from out-of-fold confidences, the one that handles the most tuning questions right
   (answered with a hit, or refused when unanswerable; mean over the sets), the middle of the best
   plateau. The reporting splits are never read here.
"""

from __future__ import annotations

import numpy as np

from qa.answers.features import CANDIDATE_FEATURES, QUESTION_FEATURES
from qa.answers.model import AnswerModel, LinearModel
from qa.evaluation.answer_data import POOLS, QuestionRow
from qa.evaluation.fit_report import Outcome, chosen_and_features, figures, outcome, pool
from qa.evaluation.logistic import fit_linear

L2S = (0.3, 1.0, 3.0, 10.0)
THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.05, 0.951, 0.01))
_PLACEHOLDER = LinearModel(QUESTION_FEATURES, (0.0,) * len(QUESTION_FEATURES), 0.0,
                           (0.0,) * len(QUESTION_FEATURES), (1.0,) * len(QUESTION_FEATURES))


def fit_candidate(rows: list[QuestionRow], passages: int, l2: float) -> LinearModel:
    """The candidate model over the answerable ``rows`` that have a positive candidate in the pool."""
    xs, ys, ws = [], [], []
    for r in rows:
        labels, cands = pool(r, passages)
        if not r.answerable or not any(c.positive for c in labels):
            continue
        for label, c in zip(labels, cands):  # every question weighs the same, whatever its candidates
            xs.append(c.features)
            ys.append(float(label.positive))
            ws.append(1.0 / len(cands))
    if not xs:
        raise ValueError("no tuning question has a positive candidate: nothing to fit")
    w = np.array(ws) * len(ws) / sum(ws)
    return fit_linear(CANDIDATE_FEATURES, np.array(xs), np.array(ys), l2, w)


def groups_of(rows: list[QuestionRow]) -> list[str]:
    return sorted({r.group for r in rows})


def out_of_fold_choices(rows: list[QuestionRow], passages: int, l2: float):
    """For each row: (row, chosen candidate, question features) with the candidate model of its fold."""
    out = []
    for g in groups_of(rows):
        model = AnswerModel(fit_candidate([r for r in rows if r.group != g], passages, l2), _PLACEHOLDER, 0.0, passages)
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


def fit_question(choices, l2: float) -> LinearModel:
    x = np.array([q for _, c, q in choices if c is not None])
    y = np.array([float(r.answerable and c.hit) for r, c, _ in choices if c is not None])
    return fit_linear(QUESTION_FEATURES, x, y, l2)


def out_of_fold_confidences(choices, l2: float) -> list[tuple[QuestionRow, object, float]]:
    """(row, chosen, confidence) with a question model fit without the row's document group."""
    out = []
    for g in sorted({r.group for r, _, _ in choices}):
        model = fit_question([t for t in choices if t[0].group != g], l2)
        for r, c, q in choices:
            if r.group == g:
                out.append((r, c, float(model.probabilities(np.array([q]))[0]) if c is not None else 0.0))
    return out


def handled(confidences, threshold: float) -> float:
    """Mean over gold sets of the share of questions handled right at ``threshold``."""
    per_set: dict[str, list[float]] = {}
    for r, c, p in confidences:
        right = (p >= threshold and r.answerable and c is not None and c.hit) or (p < threshold and not r.answerable)
        per_set.setdefault(r.gold_set, []).append(float(right))
    return _per_set_mean(per_set)


def choose_threshold(confidences) -> float:
    """The middle of the plateau of thresholds that handle the most questions right."""
    scores = [round(handled(confidences, t), 9) for t in THRESHOLDS]
    best = max(scores)
    tied = [t for t, s in zip(THRESHOLDS, scores) if s == best]
    return tied[len(tied) // 2]


def fit_answer_model(rows: list[QuestionRow], pools=POOLS, l2s=L2S) -> tuple[AnswerModel, dict, list[Outcome]]:
    """(model, what was chosen and why, out-of-fold outcomes of the tuning questions)."""
    tune = [r for r in rows if r.split == "tune"]
    trials = {(p, l2): oof_hit(out_of_fold_choices(tune, p, l2)) for p in pools for l2 in l2s}
    (passages, l2), best_hit = max(trials.items(), key=lambda kv: (round(kv[1], 9), -kv[0][0], kv[0][1]))
    choices = out_of_fold_choices(tune, passages, l2)
    q_l2 = 1.0
    confidences = out_of_fold_confidences(choices, q_l2)
    threshold = choose_threshold(confidences)
    model = AnswerModel(fit_candidate(tune, passages, l2), fit_question(choices, q_l2), threshold, passages)
    oof = [_oof_outcome(r, c, p, threshold) for r, c, p in confidences]
    about = {"fit_on": "tuning splits of the home and real gold sets", "questions": len(tune),
             "passages": passages, "candidate_l2": l2, "question_l2": q_l2, "threshold": threshold,
             "oof_candidate_hit": round(best_hit, 4),
             "trials": {f"passages={p} l2={c}": round(h, 4) for (p, c), h in sorted(trials.items())},
             "oof_handled": round(handled(confidences, threshold), 4)}
    return model, about, oof


def _oof_outcome(row: QuestionRow, chosen, confidence: float, threshold: float) -> Outcome:
    from qa.answers.short import short_answer, wanted_type

    answered = chosen is not None and confidence >= threshold
    span = short_answer(row.question, chosen.text, wanted_type(row.question)) if answered else None
    return Outcome(row, chosen, confidence, answered, chosen.text[span[0]:span[1]] if span else "")


def report(rows: list[QuestionRow], model: AnswerModel, oof: list[Outcome]) -> dict[tuple[str, str], dict]:
    """Figures per (gold set, split): tuning from the out-of-fold outcomes, reporting from ``model``."""
    out = {}
    for name in sorted({r.gold_set for r in rows}):
        out[(name, "tune (out-of-fold)")] = figures([o for o in oof if o.row.gold_set == name])
        out[(name, "report")] = figures([outcome(r, model) for r in rows if r.gold_set == name and r.split == "report"])
    return out
