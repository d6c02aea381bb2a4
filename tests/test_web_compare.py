"""The Evaluate page's comparison, fast: the rows and chart data it draws from a Comparison worked out
by hand (tests/test_compare.py), the section drawn through AppTest, and qa.compare_gold_set over a
tiny index with the fake encoder."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest
from test_compare import QRELS, RUNS, T_P
from test_web_evaluate import tiny  # noqa: F401  (fixture)

from qa.evaluation.compare import compare_runs
from qa.web.compare import differences_frame, p_value_rows, significance_rows


@pytest.fixture
def comparison():
    return compare_runs(RUNS, QRELS, ("mrr@10", "ndcg@10"), alpha=0.15)


def test_significance_rows_carry_the_marks(comparison):
    rows = significance_rows(comparison)
    assert [r["run"] for r in rows] == ["base (baseline)", "better", "same"]
    assert rows[1]["mrr@10"] == "0.875*" and rows[2]["mrr@10"] == "0.458" and rows[0]["mrr@10"] == "0.458"


def test_p_value_rows(comparison):
    better, same = p_value_rows(comparison, "mrr@10")
    assert (better["run"], better["wins"], better["ties"], better["losses"]) == ("better", 3, 1, 0)
    assert better["t-test p"] == f"{T_P:.4f}" and better["randomisation p (Holm)"] == "0.5000"
    assert same["t-test p"] == "1.0000"


def test_differences_frame_is_sorted_per_run(comparison):
    frame = differences_frame(comparison, "mrr@10")
    assert list(frame.columns) == ["better", "same"] and list(frame.index) == [1, 2, 3, 4]
    assert list(frame["better"]) == pytest.approx([2 / 3, 0.5, 0.5, 0.0])
    assert list(frame["same"]) == [0.0, 0.0, 0.0, 0.0]


def _draw():
    from test_compare import QRELS, RUNS

    from qa.evaluation.compare import compare_runs
    from qa.web.compare import comparison_ui

    comparison_ui(compare_runs(RUNS, QRELS, ("mrr@10", "ndcg@10"), alpha=0.15), key="t")


def test_the_section_draws_the_table_p_values_and_chart():
    at = AppTest.from_function(_draw, default_timeout=60).run()
    assert not at.exception
    marked = at.dataframe[0].value
    assert list(marked["mrr@10"]) == ["0.458", "0.875*", "0.458"]
    assert "Holm's correction" in at.caption[0].value
    assert list(at.dataframe[1].value["run"]) == ["better", "same"]
    assert any(getattr(e, "type", "") == "vega_lite_chart" for e in at.main)
    assert "base retrieved nothing for 1 of the 4 queries" in at.warning[0].value
    at.radio(key="compare_metric_t").set_value("ndcg@10").run()
    assert not at.exception and "ndcg@10" in at.markdown[0].value


def test_compare_gold_set_over_an_index(tiny, monkeypatch):
    import qa
    from qa.evaluation import goldsets

    retriever, questions = tiny
    monkeypatch.setattr(goldsets, "questions_in", lambda g, split: questions)

    class Open:   # what the page hands over: an open Index
        pass

    index = Open()
    index.retriever = retriever
    c = qa.compare_gold_set("home", modes=("hybrid", "bm25"), hybrids=("rrf:60",), index=index)
    assert c.runs == ("hybrid", "bm25", "hybrid-rrf60") and c.baseline == "hybrid"
    assert len(c.queries) == sum(q.answerable for q in questions)
    assert set(c.paired["ndcg@10"]) == {"bm25", "hybrid-rrf60"}
