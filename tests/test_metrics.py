"""qa.evaluation.metrics: values worked out by hand, edge cases, and agreement with pytrec_eval (trec_eval)."""

from __future__ import annotations

import copy
import random
from math import log2

import pytest

from qa.evaluation.metrics import (
    average_precision,
    evaluate_run,
    ndcg_at_k,
    parse_metric,
    per_query,
    precision_at_k,
    rank_documents,
    recall_at_k,
    reciprocal_rank_at_k,
)

# Ranking d1 d2 d3 d4 d5; relevant: d2 (grade 1), d4 (grade 2), d9 (grade 1, never retrieved);
# d3 judged non-relevant (0), d5 judged negative (-1).
RANKED = ["d1", "d2", "d3", "d4", "d5"]
QRELS = {"d2": 1, "d4": 2, "d9": 1, "d3": 0, "d5": -1}


# --- hand-worked values ------------------------------------------------------------------------


def test_recall_hand_worked():
    assert recall_at_k(RANKED, QRELS, 1) == 0 / 3
    assert recall_at_k(RANKED, QRELS, 2) == 1 / 3
    assert recall_at_k(RANKED, QRELS, 4) == 2 / 3
    assert recall_at_k(RANKED, QRELS, 100) == 2 / 3  # k beyond the ranking: d9 is still missing


def test_precision_hand_worked():
    assert precision_at_k(RANKED, QRELS, 2) == 1 / 2
    assert precision_at_k(RANKED, QRELS, 4) == 2 / 4
    # fewer than k retrieved: divisor stays k, as trec_eval's P_10
    assert precision_at_k(RANKED, QRELS, 10) == 2 / 10


def test_reciprocal_rank_hand_worked():
    assert reciprocal_rank_at_k(RANKED, QRELS, 10) == 1 / 2  # first relevant (d2) at rank 2
    assert reciprocal_rank_at_k(RANKED, QRELS, 1) == 0.0  # cut before it
    assert reciprocal_rank_at_k(RANKED, QRELS) == 1 / 2  # uncut
    assert reciprocal_rank_at_k(["x", "y", "d4"], QRELS, 3) == 1 / 3


def test_ndcg_graded_hand_worked():
    # DCG@5 = 1/log2(2+1) [d2 at rank 2] + 2/log2(4+1) [d4 at rank 4]; d3 (0) and d5 (-1) add 0.
    # IDCG@5 from judged grades > 0 sorted descending: 2, 1, 1 at ranks 1, 2, 3.
    dcg = 1 / log2(3) + 2 / log2(5)
    idcg = 2 / log2(2) + 1 / log2(3) + 1 / log2(4)
    assert ndcg_at_k(RANKED, QRELS, 5) == pytest.approx(dcg / idcg, abs=1e-15)
    # k=2: DCG = 1/log2(3); IDCG = 2/log2(2) + 1/log2(3)
    assert ndcg_at_k(RANKED, QRELS, 2) == pytest.approx((1 / log2(3)) / (2 / log2(2) + 1 / log2(3)), abs=1e-15)
    # k=1: d1 is unjudged -> 0
    assert ndcg_at_k(RANKED, QRELS, 1) == 0.0


def test_ndcg_binary_hand_worked():
    relevant = {"a": 1, "b": 1}
    # a at rank 1, b at rank 3
    assert ndcg_at_k(["a", "x", "b"], relevant, 10) == pytest.approx(
        (1 / log2(2) + 1 / log2(4)) / (1 / log2(2) + 1 / log2(3)), abs=1e-15
    )
    assert ndcg_at_k(["a", "b"], relevant, 10) == 1.0


def test_average_precision_hand_worked():
    # relevant at ranks 2 (P@2 = 1/2) and 4 (P@4 = 2/4); 3 relevant in all (d9 never found)
    assert average_precision(RANKED, QRELS) == pytest.approx((1 / 2 + 2 / 4) / 3, abs=1e-15)
    # cut at 3: only rank 2 counts, divisor still 3
    assert average_precision(RANKED, QRELS, 3) == pytest.approx((1 / 2) / 3, abs=1e-15)
    assert average_precision(["a", "b"], {"a": 1, "b": 3}) == 1.0


# --- edge cases ----------------------------------------------------------------------------------

PER_QUERY_FUNCTIONS = [recall_at_k, precision_at_k, reciprocal_rank_at_k, ndcg_at_k, average_precision]


@pytest.mark.parametrize("function", PER_QUERY_FUNCTIONS)
def test_empty_ranking_scores_zero(function):
    assert function([], QRELS, 10) == 0.0


@pytest.mark.parametrize("function", PER_QUERY_FUNCTIONS)
def test_query_without_relevant_documents_scores_zero(function):
    assert function(["a", "b"], {}, 10) == 0.0
    assert function(["a", "b"], {"a": 0, "b": -1}, 10) == 0.0


@pytest.mark.parametrize("function", PER_QUERY_FUNCTIONS)
@pytest.mark.parametrize("k", [0, -1, 2.5, True])
def test_bad_k_raises(function, k):
    with pytest.raises(ValueError, match="k must be a positive integer"):
        function(RANKED, QRELS, k)


@pytest.mark.parametrize("function", PER_QUERY_FUNCTIONS)
def test_repeated_document_raises(function):
    with pytest.raises(ValueError, match="repeats"):
        function(["d2", "d2"], QRELS, 10)


def test_rank_documents_breaks_ties_by_doc_id_descending():
    # trec_eval: score descending, then strcmp(docno) descending
    assert rank_documents({"a": 1.0, "b": 1.0, "c": 1.0}) == ["c", "b", "a"]
    assert rank_documents({"a": 2.0, "b": 1.0, "c": 1.0, "d": 3.0}) == ["d", "a", "c", "b"]
    # string, not numeric, order: "9" > "10"; upper case sorts before lower case
    assert rank_documents({"10": 0.5, "9": 0.5, "B": 0.5, "b": 0.5}) == ["b", "B", "9", "10"]
    assert rank_documents({}) == []


def test_rank_documents_rejects_nan():
    with pytest.raises(ValueError, match="NaN"):
        rank_documents({"a": float("nan")})


def test_ties_decide_the_metric():
    # all three tied: ranked c, b, a -> the relevant "a" is third
    run = {"q": {"a": 1.0, "b": 1.0, "c": 1.0}}
    qrels = {"q": {"a": 1}}
    assert evaluate_run(run, qrels, ["mrr@10", "mrr@2"]) == {"mrr@10": 1 / 3, "mrr@2": 0.0}


def test_evaluate_run_means_over_queries_with_relevant_judgements():
    run = {
        "q1": {"a": 3.0, "b": 2.0},  # relevant a at rank 1 -> RR 1
        "q2": {"x": 3.0, "c": 2.0},  # relevant c at rank 2 -> RR 1/2
        "q3": {"a": 1.0},  # only non-relevant judgements: left out
        "q4": {"a": 1.0},  # not in qrels: ignored
    }
    qrels = {
        "q1": {"a": 1},
        "q2": {"c": 2, "x": 0},
        "q3": {"a": 0},
        "q5": {"z": 1},  # judged but absent from the run: counts as 0
    }
    assert per_query(run, qrels, "mrr@10") == {"q1": 1.0, "q2": 0.5, "q5": 0.0}
    assert evaluate_run(run, qrels, ["mrr@10"]) == {"mrr@10": (1 + 1 / 2 + 0) / 3}
    assert evaluate_run(run, qrels, ["recall@1"]) == {"recall@1": (1 + 0 + 0) / 3}


def test_evaluate_run_without_judged_queries_is_zero():
    assert evaluate_run({"q": {"a": 1.0}}, {"q": {"a": 0}}, ["ndcg@10"]) == {"ndcg@10": 0.0}


def test_evaluate_run_does_not_mutate_inputs():
    run = {"q1": {"a": 1.0, "b": 1.0, "c": 0.5}, "q2": {"z": 1.0}}
    qrels = {"q1": {"b": 2, "c": 0}, "q3": {"y": 1}}
    run_copy, qrels_copy = copy.deepcopy(run), copy.deepcopy(qrels)
    evaluate_run(run, qrels, ["ndcg@10", "recall@100", "mrr@10", "map", "p@5"])
    per_query(run, qrels, "ndcg@10")
    assert run == run_copy and qrels == qrels_copy
    assert list(run["q1"]) == list(run_copy["q1"])


def test_default_metrics():
    assert set(evaluate_run({"q": {"a": 1.0}}, {"q": {"a": 1}})) == {"ndcg@10", "recall@100", "mrr@10", "map"}


def test_parse_metric():
    assert parse_metric("nDCG@10") == ("ndcg", 10)
    assert parse_metric("map") == ("map", None)
    assert parse_metric("P@5") == ("p", 5)
    for bad in ["bleu", "recall", "ndcg@0", "ndcg@x", "mrr@"]:
        with pytest.raises(ValueError):
            parse_metric(bad)


# --- agreement with pytrec_eval (the trec_eval C code) -------------------------------------------


def _random_run_and_qrels(seed: int):
    rng = random.Random(seed)
    docs = [f"d{i}" for i in range(60)] + [str(i) for i in range(40)]  # mixed ids: string order matters
    run, qrels = {}, {}
    for q in range(25):
        qid = f"q{q}"
        judged = rng.sample(docs, rng.randint(1, 15))
        qrels[qid] = {doc: rng.choice([0, 1, 1, 2, 3]) for doc in judged}
        qrels[qid][judged[0]] = rng.choice([1, 2, 3])  # at least one relevant per query
        retrieved = rng.sample(docs, rng.randint(1, 80))
        # few distinct score values -> many ties
        run[qid] = {doc: float(rng.randint(0, 6)) / 2 for doc in retrieved}
    return run, qrels


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_agrees_with_pytrec_eval(seed):
    pytrec_eval = pytest.importorskip("pytrec_eval")
    run, qrels = _random_run_and_qrels(seed)
    measures = {"ndcg_cut_10", "ndcg", "recall_100", "recall_5", "P_5", "recip_rank", "map", "map_cut_10"}
    reference = pytrec_eval.RelevanceEvaluator(qrels, measures).evaluate(run)
    ours = {
        "ndcg_cut_10": per_query(run, qrels, "ndcg@10"),
        "ndcg": per_query(run, qrels, "ndcg"),
        "recall_100": per_query(run, qrels, "recall@100"),
        "recall_5": per_query(run, qrels, "recall@5"),
        "P_5": per_query(run, qrels, "p@5"),
        "recip_rank": per_query(run, qrels, "mrr"),
        "map": per_query(run, qrels, "map"),
        "map_cut_10": per_query(run, qrels, "map@10"),
    }
    assert set(reference) == set(qrels)  # every query is judged and in the run
    for measure, values in ours.items():
        for qid, value in values.items():
            # exact: same operations in the same order as trec_eval (checked on 20 seeds, 3,500 values)
            assert value == reference[qid][measure], (measure, qid)
    means = evaluate_run(run, qrels, ["ndcg@10", "recall@100", "map"])
    for name, measure in [("ndcg@10", "ndcg_cut_10"), ("recall@100", "recall_100"), ("map", "map")]:
        expected = sum(reference[qid][measure] for qid in reference) / len(reference)
        assert means[name] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
def test_mrr_at_10_agrees_with_recip_rank_on_runs_cut_to_10(seed):
    # trec_eval's recip_rank is not cut; truncate each run to its top 10 (in trec_eval order) first.
    pytrec_eval = pytest.importorskip("pytrec_eval")
    run, qrels = _random_run_and_qrels(seed)
    top10 = {qid: {doc: scores[doc] for doc in rank_documents(scores)[:10]} for qid, scores in run.items()}
    reference = pytrec_eval.RelevanceEvaluator(qrels, {"recip_rank"}).evaluate(top10)
    ours = per_query(run, qrels, "mrr@10")
    assert any(reference[qid]["recip_rank"] for qid in reference)  # the test is not vacuous
    for qid, value in ours.items():
        assert value == reference[qid]["recip_rank"], qid


def test_single_metric_name_as_string():
    assert evaluate_run({"q": {"a": 1.0}}, {"q": {"a": 1}}, "mrr@10") == {"mrr@10": 1.0}
