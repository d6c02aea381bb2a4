"""qa.evaluation.compare and compare_report: p-values worked out by hand and checked against a second
implementation (closed forms of Student's t, enumeration of every swap), Holm's correction by
hand, and a comparison of runs whose per-query values are known."""

from __future__ import annotations

import copy
import itertools
import json
import math

import numpy as np
import pytest

from qa.evaluation.compare import (
    compare_runs,
    holm,
    paired_t_test,
    randomisation_test,
    wins_ties_losses,
)
from qa.evaluation.compare_report import (
    comparison_markdown,
    detail_table,
    format_p,
    significance_table,
    wins_table,
    write_comparison,
)
from qa.types import QAError, SettingsError

# --- the paired t-test ---------------------------------------------------------------------------


def test_t_test_with_two_degrees_of_freedom_by_hand():
    # d = (0.1, 0.3, -0.1): mean 0.1, sd 0.2, se 0.2/sqrt(3), t = sqrt(3)/2, df = 2.
    # Student's t with 2 df has the closed form P(|T| >= t) = 1 - t / sqrt(t^2 + 2) = 1 - sqrt(3/11).
    assert paired_t_test([0.5, 1.0, 0.2], [0.4, 0.7, 0.3]) == pytest.approx(1 - math.sqrt(3 / 11), abs=1e-12)


def test_t_test_with_one_degree_of_freedom_by_hand():
    # d = (0.2, 0.4): mean 0.3, sd sqrt(0.02), se 0.1, t = 3, df = 1 (Cauchy): p = 1 - (2/pi) atan(3)
    assert paired_t_test([0.7, 0.9], [0.5, 0.5]) == pytest.approx(1 - 2 / math.pi * math.atan(3), abs=1e-12)


def _t_p_by_hand(a, b) -> float:
    """A second implementation: t from its definition, the two-sided tail from the regularised
    incomplete beta function, P(|T| >= t) = I_{df / (df + t^2)}(df / 2, 1 / 2)."""
    from scipy.special import betainc

    d = [x - y for x, y in zip(a, b)]
    n = len(d)
    mean = sum(d) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in d) / (n - 1))
    t = mean / (sd / math.sqrt(n))
    df = n - 1
    return float(betainc(df / 2, 0.5, df / (df + t * t)))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_t_test_agrees_with_a_second_implementation(seed):
    rng = np.random.default_rng(seed)
    a = rng.random(25)
    b = np.clip(a + rng.normal(0.03, 0.15, 25), 0, 1)
    assert paired_t_test(a, b) == pytest.approx(_t_p_by_hand(a, b), rel=1e-9)


def test_t_test_edge_cases():
    assert paired_t_test([0.3], [0.1]) is None                  # one pair: undefined
    assert paired_t_test([0.2, 0.5, 1.0], [0.2, 0.5, 1.0]) == 1.0   # no difference at all
    assert paired_t_test([0.3, 0.6], [0.1, 0.4]) == 0.0          # the same gain on every query
    with pytest.raises(ValueError, match="one length"):
        paired_t_test([0.1, 0.2], [0.1])


# --- Fisher's randomisation test -----------------------------------------------------------------


def test_randomisation_test_exact_by_hand():
    # d = (0.1, 0.3, -0.1), observed mean 0.1 (sum 0.3). The 8 ways to swap each pair give the sums
    # ±0.1 ±0.3 ±0.1 = 0.5, 0.3, -0.3, -0.1, 0.1, 0.3, -0.5, -0.3: six have |sum| >= 0.3.
    assert randomisation_test([0.5, 1.0, 0.2], [0.4, 0.7, 0.3]) == pytest.approx(6 / 8)


def _randomisation_p_by_enumeration(a, b) -> float:
    """A second implementation: every one of the 2^n swaps, counted by hand."""
    d = [x - y for x, y in zip(a, b)]
    observed = abs(sum(d))
    hits = sum(abs(sum(s * x for s, x in zip(signs, d))) >= observed - 1e-12
               for signs in itertools.product((1, -1), repeat=len(d)))
    return hits / 2 ** len(d)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_randomisation_test_agrees_with_enumeration_when_exact(seed):
    rng = np.random.default_rng(seed)
    a = rng.random(10)
    b = np.clip(a + rng.normal(0.05, 0.2, 10), 0, 1)
    assert randomisation_test(a, b, permutations=2 ** 10) == pytest.approx(_randomisation_p_by_enumeration(a, b))


def test_randomisation_test_sampled_is_near_the_exact_value_and_repeatable():
    rng = np.random.default_rng(7)
    a = rng.random(14)
    b = np.clip(a + rng.normal(0.06, 0.2, 14), 0, 1)
    exact = _randomisation_p_by_enumeration(a, b)
    sampled = randomisation_test(a, b, permutations=4000, seed=3)   # 4000 < 2^14: random swaps
    assert sampled == randomisation_test(a, b, permutations=4000, seed=3)
    assert abs(sampled - exact) < 0.03   # about four standard errors of 4000 draws
    assert 0.0 < exact < 1.0


def test_randomisation_test_edge_cases():
    assert randomisation_test([0.4, 0.2], [0.4, 0.2]) == 1.0
    assert randomisation_test([1.0], [0.0]) == 1.0   # one pair: swapping it gives |diff| as large
    with pytest.raises(ValueError, match="at least one pair"):
        randomisation_test([], [])


# --- Holm's correction, wins / ties / losses ------------------------------------------------------


def test_holm_by_hand():
    # sorted: 0.01 * 3 = 0.03; 0.03 * 2 = 0.06; 0.04 * 1 = 0.04, raised to the running max 0.06
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.6, 0.7]) == [1.0, 1.0]                       # capped at 1
    assert holm([None, 0.02, 0.5]) == [None, pytest.approx(0.04), 0.5]   # None is not counted
    assert holm([]) == []
    p = [0.2, 0.01]
    holm(p)
    assert p == [0.2, 0.01]


def test_wins_ties_losses():
    assert wins_ties_losses([0.5, 0.2, 0.3, 0.1 + 0.2], [0.4, 0.2, 0.9, 0.3]) == (1, 2, 1)


# --- comparing runs ------------------------------------------------------------------------------

QRELS = {"q1": {"a": 1}, "q2": {"b": 1}, "q3": {"c": 1}, "q4": {"d": 1}, "q5": {"x": 0}}
# reciprocal ranks: baseline 1, 1/2, 1/3, 0; better 1, 1, 1, 1/2; same = baseline. q5 has no
# relevant document, so it is left out of every mean and test.
BASELINE = {"q1": {"a": 3.0}, "q2": {"x": 2.0, "b": 1.0}, "q3": {"x": 3.0, "y": 2.0, "c": 1.0}, "q5": {"x": 1.0}}
BETTER = {"q1": {"a": 1.0}, "q2": {"b": 1.0}, "q3": {"c": 1.0}, "q4": {"x": 2.0, "d": 1.0}}
RUNS = {"base": BASELINE, "better": BETTER, "same": copy.deepcopy(BASELINE)}
# better - base per query: (0, 1/2, 2/3, 1/2); mean 5/12, sd 1/sqrt(12), t = 5/sqrt(3), df = 3:
# P(|T| >= t) = 1 - (2/pi) (atan(t/sqrt(3)) + (t/sqrt(3)) / (1 + t^2/3)) with t/sqrt(3) = 5/3.
T_P = 1 - 2 / math.pi * (math.atan(5 / 3) + (5 / 3) / (1 + 25 / 9))
# randomisation: q1's 0 swaps to itself; of the 8 sign patterns of (1/2, 2/3, 1/2) only all + and
# all - reach |sum| >= 5/3, so p = 2/8.
R_P = 2 / 8


def test_compare_by_hand():
    before = copy.deepcopy(RUNS)
    c = compare_runs(RUNS, QRELS, ("mrr@10", "ndcg@10"))
    assert RUNS == before
    assert c.baseline == "base" and c.runs == ("base", "better", "same") and c.queries == ("q1", "q2", "q3", "q4")
    assert c.means["base"]["mrr@10"] == pytest.approx((1 + 1 / 2 + 1 / 3 + 0) / 4)
    assert c.means["better"]["mrr@10"] == pytest.approx((1 + 1 + 1 + 1 / 2) / 4)
    better = c.paired["mrr@10"]["better"]
    assert (better.wins, better.ties, better.losses) == (3, 1, 0)
    assert better.delta == pytest.approx(5 / 12)
    assert better.t_test.p == pytest.approx(T_P, abs=1e-12)
    assert better.randomisation.p == pytest.approx(R_P)
    # Holm over the two comparisons of the metric: better's p is the smaller, times 2; same's is 1
    assert better.t_test.corrected == pytest.approx(2 * T_P) and better.randomisation.corrected == pytest.approx(0.5)
    same = c.paired["mrr@10"]["same"]
    assert (same.wins, same.ties, same.losses) == (0, 4, 0)
    assert same.t_test.p == 1.0 and same.randomisation.p == 1.0 and same.t_test.corrected == 1.0
    assert not better.t_test.significant and not better.randomisation.significant   # 0.126 and 0.5 at 0.05
    assert c.covered == {"base": 3, "better": 4, "same": 3}   # base retrieved nothing for q4
    assert c.differences("mrr@10", "better") == [("q3", pytest.approx(2 / 3)), ("q2", 0.5), ("q4", 0.5), ("q1", 0.0)]


def test_significance_follows_alpha_after_correction():
    c = compare_runs(RUNS, QRELS, ("mrr@10",), alpha=0.15)   # 2 * T_P = 0.126 < 0.15; 0.5 is not
    better = c.paired["mrr@10"]["better"]
    assert better.t_test.significant and not better.randomisation.significant
    assert "| better | 0.875* |" in significance_table(c)
    c = compare_runs({"base": BASELINE, "better": BETTER}, QRELS, ("mrr@10",), alpha=0.07)
    assert c.paired["mrr@10"]["better"].t_test.corrected == pytest.approx(T_P)   # one comparison: no correction
    assert c.paired["mrr@10"]["better"].t_test.significant


def test_baseline_can_be_any_run_and_comes_first():
    c = compare_runs(RUNS, QRELS, ("mrr@10",), baseline="better")
    assert c.runs == ("better", "base", "same")
    assert c.paired["mrr@10"]["base"].delta == pytest.approx(-5 / 12)
    assert (c.paired["mrr@10"]["base"].wins, c.paired["mrr@10"]["base"].losses) == (0, 3)


def test_to_json_holds_the_p_values():
    c = compare_runs(RUNS, QRELS, ("mrr@10",))
    out = json.loads(json.dumps(c.to_json(per_query=True)))
    assert out["baseline"] == "base" and out["queries"] == 4 and out["correction"] == "holm"
    test = out["tests"]["mrr@10"]["better"]
    assert test["t_test"]["p"] == pytest.approx(T_P) and test["randomisation"]["p_holm"] == pytest.approx(0.5)
    assert (test["wins"], test["ties"], test["losses"]) == (3, 1, 0)
    assert out["per_query"]["better"]["mrr@10"]["q4"] == 0.5
    assert "per_query" not in c.to_json()


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"runs": {"base": BASELINE}}, SettingsError, "two or more runs, got 1"),
    ({"baseline": "bm25"}, SettingsError, "baseline 'bm25' is not one of the runs: base, better, same"),
    ({"alpha": 1.5}, SettingsError, "alpha must be between 0 and 1"),
    ({"permutations": 0}, SettingsError, "permutations must be a positive integer"),
    ({"metrics": ("ndcg@ten",)}, SettingsError, "ndcg@ten"),
    ({"metrics": ()}, SettingsError, "at least one metric"),
    ({"qrels": {"q1": {"a": 0}}}, QAError, "no query of the judgements has a relevant document"),
])
def test_bad_comparisons_are_refused(kwargs, error, message):
    arguments = {"runs": RUNS, "qrels": QRELS, "metrics": ("mrr@10",), **kwargs}
    with pytest.raises(error, match=message):
        compare_runs(**arguments)


# --- tables and report ---------------------------------------------------------------------------


def test_tables():
    c = compare_runs(RUNS, QRELS, ("mrr@10",), alpha=0.15)
    assert significance_table(c).splitlines() == [
        "| run | mrr@10 |", "|---|---|", "| base (baseline) | 0.458 |", "| better | 0.875* |", "| same | 0.458 |"]
    assert wins_table(c).splitlines()[2:] == ["| better | 3 / 1 / 0 |", "| same | 0 / 4 / 0 |"]
    detail = detail_table(c, "mrr@10").splitlines()
    assert detail[3] == f"| better* | 0.8750 | +0.4167 | 3 / 1 / 0 | {T_P:.4f} | {2 * T_P:.4f} | 0.2500 | 0.5000 |"
    assert format_p(None) == "–" and format_p(0.00001) == "<0.0001"
    text = comparison_markdown(c, "Test")
    assert "after Holm's correction over the 2 comparisons per metric" in text
    assert "run base retrieved nothing for 1 of the 4 queries" in text and "## mrr@10" in text


def test_write_comparison(tmp_path):
    c = compare_runs(RUNS, QRELS, ("mrr@10", "ndcg@10"))
    paths = write_comparison(tmp_path / "out", c, "Test")
    assert [p.name for p in paths] == ["compare.md", "compare.json", "compare-mrr_at_10.png", "compare-ndcg_at_10.png"]
    assert all(p.stat().st_size > 0 for p in paths)
    assert json.loads(paths[1].read_text())["per_query"]["base"]["mrr@10"]["q2"] == 0.5
    assert "![compare-ndcg_at_10.png](compare-ndcg_at_10.png)" in paths[0].read_text()
