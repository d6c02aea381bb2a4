"""eval/cosine_cv.py: the pick, the reordering and the cross-validation, worked out by hand."""

import math
from types import SimpleNamespace

import pytest

from conftest import eval_script

CAL = SimpleNamespace(scorer_weight=0.5, rank_weight=1.0)


@pytest.fixture(scope="module")
def cv():
    return eval_script("cosine_cv")


def test_the_cosine_weight_moves_the_pick_by_hand(cv):
    # A: 3 + 0.5*2 - 0 = 4.0 (+ c*0.2); B: 2 + 0.5*2 - log 2 = 2.307 (+ c*0.9)
    # A wins while 4 + 0.2c > 2.307 + 0.9c, i.e. c < 2.419
    cands = [{"p": 0, "span": 3.0, "logit": 2.0, "cos": 0.2, "hit": False},
             {"p": 1, "span": 2.0, "logit": 2.0, "cos": 0.9, "hit": True}]
    assert (4.0 - 2.0 - 1.0 + math.log(2)) / 0.7 == pytest.approx(2.419, abs=1e-3)
    assert cv.pick_hit(cands, 0, CAL) is False
    assert cv.pick_hit(cands, 2.4, CAL) is False
    assert cv.pick_hit(cands, 2.5, CAL) is True
    assert cv.pick_hit([], 5, CAL) is False


def test_a_quote_without_a_span_counts_one_below_the_lowest_span(cv):
    # floor = 1 - 1 = 0: B scores 0 + 0.5*5 - log 2 = 1.807 against A's 1 + 0.5*1 = 1.5
    cands = [{"p": 0, "span": 1.0, "logit": 1.0, "cos": 0.0, "hit": False},
             {"p": 1, "span": None, "logit": 5.0, "cos": 0.0, "hit": True}]
    assert cv.pick_hit(cands, 0, CAL) is True


def test_the_reordering_by_hand(cv):
    # passage 0: cosines .9 .1, logits -1 -5; passage 1: cosine .5, logit 3; passage 2: cosine .8, logit 0
    ps = [{"cos": [0.9, 0.1], "logit": [-1.0, -5.0], "hit": False},
          {"cos": [0.5], "logit": [3.0], "hit": False},
          {"cos": [0.8], "logit": [0.0], "hit": True}]
    # two sentences judged (cosines .9 and .8): best = [-1, None -> floor -1, 0];
    # less log(1 + i): -1, -1.693, -1.099 -> order 0, 2, 1
    assert cv.reorder_hit(ps, (2, 1.0, 0), 1) is False
    assert cv.reorder_hit(ps, (2, 1.0, 0), 2) is True
    # every sentence judged: -1, 3 - 0.693 = 2.307, -1.099 -> order 1, 0, 2: passage 2 not in the top 2
    assert cv.reorder_hit(ps, (4, 1.0, 0), 2) is False
    # cosine weight 10 on top: 8, 8 - 0.693 = 7.307, 8 - 1.099 = 6.901 -> order 0, 1, 2
    assert cv.reorder_hit(ps, (4, 1.0, 10), 2) is False
    # cosine weight 10, rank weight 0: 8, 8, 8 -> ties keep retrieval's order
    assert cv.reorder_hit(ps, (4, 0.0, 10), 2) is False
    assert cv.reorder_hit(ps, (4, 0.0, 10), 3) is True


def test_cross_validation_scores_each_fold_by_the_others_choice(cv):
    # four documents, one question each, two folds; setting "b" wins on documents x and y only
    rows = [{"set": "s", "group": g} for g in ("w", "x", "y", "z")]
    table = {"a": [True, False, False, True], "b": [False, True, True, False]}
    first, held, chosen = cv.cross_validated(rows, table, folds=2, seed=0)
    assert first == (0.5, {"s": "2/4"})
    # seed 0 shuffles the documents to y, w, x, z: fold 0 holds x and y, fold 1 w and z.
    # Fold 0 is scored by the choice on w and z ("a", wrong on x and y), fold 1 by the choice on
    # x and y ("b", wrong on w and z): every held-out answer is wrong
    assert (held, chosen) == ((0.0, {"s": "0/4"}), ["a", "b"])
    # a setting right everywhere is chosen in every fold and keeps its rate out of fold
    table = {"a": [False] * 4, "b": [True] * 4}
    assert cv.cross_validated(rows, table, folds=2, seed=0)[1:] == ((1.0, {"s": "4/4"}), ["b", "b"])
