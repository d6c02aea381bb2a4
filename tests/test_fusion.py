"""Fusion functions against values worked out by hand (as ranx tests its RRF)."""

from __future__ import annotations

import copy
import math

import pytest

from qa.retrieval.fusion import NORMALISATIONS, convex, min_max, ranked, rrf, z_score


def test_rrf_hand_worked_values():
    fused = rrf([["d1", "d2", "d3"], ["d3", "d1"]])
    assert fused["d1"] == 1 / (60 + 1) + 1 / (60 + 2)
    assert fused["d2"] == 1 / (60 + 2)
    assert fused["d3"] == 1 / (60 + 3) + 1 / (60 + 1)
    assert set(fused) == {"d1", "d2", "d3"}


def test_rrf_item_in_one_list_only_gets_one_term():
    fused = rrf([["a", "b"], ["c"]], k=10)
    assert fused == {"a": 1 / 11, "b": 1 / 12, "c": 1 / 11}


def test_rrf_with_k_zero_is_the_sum_of_reciprocal_ranks():
    fused = rrf([["x", "y", "z"], ["z", "y"]], k=0)
    assert fused["x"] == 1.0
    assert fused["y"] == 1 / 2 + 1 / 2
    assert fused["z"] == 1 / 3 + 1 / 1


def test_rrf_of_nothing_is_empty():
    assert rrf([]) == {}
    assert rrf([[], []]) == {}


def test_rrf_works_with_any_hashable_key():
    assert rrf([[3, 7], [7]], k=1) == {3: 1 / 2, 7: 1 / 3 + 1 / 2}


def test_rrf_negative_k_is_refused():
    with pytest.raises(ValueError, match="k must be >= 0"):
        rrf([["a"]], k=-1)


def test_min_max_hand_worked_values():
    assert min_max({"a": 2.0, "b": 4.0, "c": 3.0}) == {"a": 0.0, "b": 1.0, "c": 0.5}
    assert min_max({"a": -1.0, "b": 3.0}) == {"a": 0.0, "b": 1.0}


def test_min_max_all_equal_gives_all_ones():
    assert min_max({"a": 0.7, "b": 0.7}) == {"a": 1.0, "b": 1.0}
    assert min_max({"only": -5.0}) == {"only": 1.0}


def test_min_max_of_nothing_is_empty():
    assert min_max({}) == {}


def test_convex_hand_worked_values():
    fused = convex({"a": 1.0, "b": 0.5}, {"a": 0.0, "b": 1.0}, dense_weight=0.25)
    assert fused["a"] == pytest.approx(0.75 * 1.0 + 0.25 * 0.0)
    assert fused["b"] == pytest.approx(0.75 * 0.5 + 0.25 * 1.0)


def test_convex_key_missing_from_one_side_counts_zero_there():
    fused = convex({"a": 1.0}, {"b": 0.8}, dense_weight=0.4)
    assert fused == {"a": pytest.approx(0.6 * 1.0), "b": pytest.approx(0.4 * 0.8)}
    assert list(fused) == ["a", "b"]


def test_convex_extreme_weights_pick_one_side():
    lexical, dense = {"a": 0.3, "b": 1.0}, {"a": 1.0, "c": 0.2}
    assert convex(lexical, dense, 0.0) == {"a": 0.3, "b": 1.0, "c": 0.0}
    assert convex(lexical, dense, 1.0) == {"a": 1.0, "b": 0.0, "c": 0.2}


@pytest.mark.parametrize("weight", [-0.1, 1.01, float("nan")])
def test_convex_weight_outside_zero_one_is_refused(weight):
    with pytest.raises(ValueError, match="dense_weight"):
        convex({"a": 1.0}, {"a": 1.0}, weight)


def test_inputs_are_not_mutated():
    rankings = [["d1", "d2"], ("d2", "d3")]
    lexical = {"a": 5.0, "b": 1.0}
    dense = {"b": 0.9, "c": 0.1}
    before = copy.deepcopy((rankings, lexical, dense))
    rrf(rankings)
    min_max(lexical)
    convex(min_max(lexical), min_max(dense), 0.5)
    convex(lexical, dense, 0.5)
    ranked(lexical)
    assert (rankings, lexical, dense) == before


def test_ranked_sorts_by_score_with_stable_ties():
    assert ranked({"a": 0.1, "b": 0.5, "c": 0.5, "d": 0.9}) == [("d", 0.9), ("b", 0.5), ("c", 0.5), ("a", 0.1)]
    assert ranked({}) == []


def test_normalise_then_fuse_hand_worked():
    lexical = min_max({"x": 10.0, "y": 6.0, "z": 2.0})  # x 1, y 0.5, z 0
    dense = min_max({"y": 0.9, "w": 0.5})  # y 1, w 0
    fused = convex(lexical, dense, 0.4)
    assert fused == pytest.approx({"x": 0.6, "y": 0.6 * 0.5 + 0.4, "z": 0.0, "w": 0.0})
    assert [k for k, _ in ranked(fused)][:2] == ["y", "x"]


# --- z-score normalisation and the bottom of a scale (issue 22) --------------------------------

def test_z_score_hand_worked_values():
    sd = math.sqrt(2 / 3)  # population sd of 1, 2, 3 around the mean 2
    z = z_score({"a": 1.0, "b": 2.0, "c": 3.0})
    assert z == {"a": pytest.approx(-1 / sd), "b": pytest.approx(0.0), "c": pytest.approx(1 / sd)}


def test_z_score_all_equal_gives_all_zeros_and_nothing_gives_nothing():
    assert z_score({"a": 0.7, "b": 0.7}) == {"a": 0.0, "b": 0.0}
    assert z_score({"only": 5.0}) == {"only": 0.0}
    assert z_score({}) == {}


def test_z_score_does_not_mutate_its_input():
    scores = {"a": 1.0, "b": 4.0}
    before = copy.deepcopy(scores)
    z_score(scores)
    assert scores == before


def test_convex_missing_keys_take_the_given_bottom():
    fused = convex({"a": 1.0}, {"b": 0.5}, dense_weight=0.4, missing=(-1.0, -2.0))
    assert fused == {"a": pytest.approx(0.6 * 1.0 + 0.4 * -2.0), "b": pytest.approx(0.6 * -1.0 + 0.4 * 0.5)}


def test_normalisations_are_named():
    assert NORMALISATIONS == {"minmax": min_max, "zscore": z_score}
