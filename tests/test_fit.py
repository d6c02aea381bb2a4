"""The fitting of the answer model: selection rules and figures on hand-made rows."""

from __future__ import annotations

import pytest

from qa.answers.features import CANDIDATE_FEATURES
from qa.evaluation.answer_data import CandidateRow, QuestionRow
from qa.evaluation.fit import choose_floor, choose_threshold, fit_candidate, handled, oof_hit
from qa.evaluation.fit_report import Outcome, figures, short_right


def cand(hit: bool, rank: int = 0, **features) -> CandidateRow:
    f = tuple(float(features.get(n, 0.0)) for n in CANDIDATE_FEATURES)
    return CandidateRow("d", 0, 5, rank, f, hit, hit, 3, "text")


def row(qid: str, answerable: bool, cands=(), gold_set: str = "real", **kw) -> QuestionRow:
    return QuestionRow(gold_set, qid, f"question {qid}?", "tune", f"{gold_set}:doc-{qid}", answerable,
                       ("text",) if answerable else (), kw.get("pages", (3,)), kw.get("answer_type", ""),
                       kw.get("paraphrased", False), tuple(cands), {10: (1.0, 0.0, 0.5)})


def test_handled_counts_hits_answered_and_unanswerables_refused_per_set_mean():
    a, b, u = row("a", True, [cand(True)]), row("b", True, [cand(False)]), row("u", False, [cand(False)])
    h = row("h", True, [cand(True)], gold_set="home")
    decisions = [(a, a.candidates[0], 0.9, 0.5, 0.0), (b, b.candidates[0], 0.4, 0.5, 0.0),
                 (u, u.candidates[0], 0.3, 0.1, 0.0), (h, h.candidates[0], 0.9, 0.5, 0.0)]
    # threshold 0.25: a right, b wrong (answered, miss), u wrong (answered): real 1/3; home 1/1
    assert handled(decisions, 0.25) == pytest.approx((1 / 3 + 1) / 2)
    # threshold 0.25 with floor 0.2: u refused by the floor: real 2/3
    assert handled(decisions, 0.25, 0.2) == pytest.approx((2 / 3 + 1) / 2)
    assert handled(decisions, 0.35) == pytest.approx((2 / 3 + 1) / 2)   # u refused by the threshold
    assert choose_floor(decisions) == pytest.approx(0.305)          # the middle of 0.105 ... 0.5
    assert 0.3 < choose_threshold(decisions) <= 0.9                 # refuses u, keeps a


def test_figures_by_hand():
    a = row("a", True, [cand(True)], paraphrased=True, answer_type="date")
    b = row("b", True, [cand(False)], answer_type="description")
    u = row("u", False, [cand(False)])
    v = row("v", False, [cand(False)])
    outcomes = [Outcome(a, a.candidates[0], 0.9, True, "text"), Outcome(b, b.candidates[0], 0.2, False, ""),
                Outcome(u, u.candidates[0], 0.1, False, ""), Outcome(v, v.candidates[0], 0.6, True, "")]
    f = figures(outcomes)
    assert (f["hit"], f["paraphrased"], f["short_right"], f["page_right"]) == (0.5, 1.0, 1.0, 1.0)
    assert (f["refusal_precision"], f["refusal_recall"]) == (pytest.approx(1 / 2), pytest.approx(1 / 2))
    assert f["calibration_error"] == pytest.approx(0.5 * abs(1 - 0.9) + 0.5 * abs(0 - 0.6))
    assert f["handled"] == pytest.approx(2 / 4)


def test_short_right_is_containment_either_way_never_empty():
    assert short_right("50 per cent", ["about 50 per cent"]) and short_right("$469 billion in 2021", ["$469 billion"])
    assert not short_right("", ["x"]) and not short_right("52", ["50 per cent"])


def test_candidate_model_learns_which_feature_marks_the_answer():
    rows = [row(str(i), True, [cand(True, coverage=0.9, dense=0.2), cand(False, coverage=0.1, dense=0.8),
                               cand(False, coverage=0.2, dense=0.5)]) for i in range(6)]
    model = fit_candidate(rows, passages=10, l2=1.0)
    weights = dict(zip(CANDIDATE_FEATURES, model.weights))
    assert weights["coverage"] > 0 > weights["dense"]
    assert oof_hit([(r, r.candidates[0], None) for r in rows]) == 1.0


def test_off_topic_needs_a_low_cosine_and_a_missing_rare_term():
    from qa.answers.model import off_topic

    assert off_topic(0.2, 0.5, 0.33) and off_topic(0.2, 0.0, 0.33)
    assert not off_topic(0.2, 1.0, 0.33)     # "What is DARC?": low cosine, but its rare words are there
    assert not off_topic(0.4, 0.0, 0.33)     # on topic by the cosine
    a = row("a", True, [cand(True)])
    # below the floor: refused when a rare term is missing (wrong for an answerable hit), kept when all are found
    assert handled([(a, a.candidates[0], 0.9, 0.2, 0.5)], 0.5, 0.33) == 0.0
    assert handled([(a, a.candidates[0], 0.9, 0.2, 1.0)], 0.5, 0.33) == 1.0
