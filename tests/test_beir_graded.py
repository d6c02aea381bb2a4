"""A second BEIR-format set, unlike SciFact, end to end through `qa eval --beir` (fake encoder, fast):
titles that alone hold a query's words, a query with several graded judgements (2, 1 and 0),
document and query ids that are numbers (one a JSON number), runs written in TREC format and
scored again by pytrec_eval (trec_eval) with the same figures."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from conftest import FakeEncoder

from qa.cli.main import main
from qa.evaluation.beir import load_beir
from qa.evaluation.trec import read_trec_qrels, read_trec_run

CORPUS = [
    {"_id": "7", "title": "Turbines", "text": "Tidal energy turbines sit in the estuary; tidal energy turbines turn."},
    {"_id": 42, "title": "Tidal power", "text": "Tidal energy is steady and predictable."},   # a JSON number
    {"_id": "d-wind", "title": "Wind farms", "text": "Wind turbines stand on the hills."},
    {"_id": "d-sun", "title": "Solar panels", "text": "Photovoltaic cells convert sunlight into power."},
    {"_id": "d-moon", "title": "Lunar habitat", "text": "A base for crews near the south pole."},
]
QUERIES = [
    {"_id": "t1", "text": "tidal energy turbines estuary"},
    {"_id": "2", "text": "photovoltaic cells"},
    {"_id": "q3", "text": "lunar habitat"},     # its words are only in a title
    {"_id": "q9", "text": "not judged in the test split"},
]
QRELS = "query-id\tcorpus-id\tscore\nt1\t42\t2\nt1\t7\t1\nt1\td-wind\t0\n2\td-sun\t1\nq3\td-moon\t1\n"

# bm25 on t1 ranks 7 (all four words) above 42 (two) above d-wind (one); 42 is the better document:
# DCG@10 = 1/log2(2) + 2/log2(3); the ideal order 42, 7 gives 2/log2(2) + 1/log2(3).
T1_NDCG = (1 + 2 / math.log2(3)) / (2 + 1 / math.log2(3))


@pytest.fixture
def fake_model(monkeypatch):
    monkeypatch.setattr("qa.retrieval.encoder.Encoder", lambda name=None, *a, **k: FakeEncoder())


@pytest.fixture
def graded(tmp_path) -> Path:
    folder = tmp_path / "graded-beir"
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text("".join(json.dumps(r) + "\n" for r in CORPUS), encoding="utf-8")
    (folder / "queries.jsonl").write_text("".join(json.dumps(r) + "\n" for r in QUERIES), encoding="utf-8")
    (folder / "qrels" / "test.tsv").write_text(QRELS, encoding="utf-8")
    (folder / "qrels" / "dev.tsv").write_text("query-id\tcorpus-id\tscore\nq9\td-sun\t1\n", encoding="utf-8")
    return folder


def run_json(capsys, argv) -> dict:
    capsys.readouterr()
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_the_set_loads_with_number_ids_as_text(graded):
    data = load_beir(graded, "test")
    assert set(data.corpus) == {"7", "42", "d-wind", "d-sun", "d-moon"}
    assert data.corpus["42"].title == "Tidal power"
    assert data.qrels == {"t1": {"42": 2, "7": 1, "d-wind": 0}, "2": {"d-sun": 1}, "q3": {"d-moon": 1}}
    assert set(data.queries) == {"t1", "2", "q3"}


def test_eval_beir_on_the_graded_set(capsys, graded, tmp_path, fake_model):
    out = run_json(capsys, ["eval", "--beir", str(graded), "--index", str(tmp_path / "index"), "--modes", "bm25",
                            "--json"])
    assert (out["dataset"], out["queries"]) == ("graded-beir", 3)
    runs = tmp_path / "index" / "runs"
    bm25 = read_trec_run(runs / "bm25.trec")
    assert sorted(bm25["t1"], key=bm25["t1"].get, reverse=True)[:3] == ["7", "42", "d-wind"]
    assert max(bm25["q3"], key=bm25["q3"].get) == "d-moon"   # found by its title alone
    figures = out["modes"]["bm25"]
    assert figures["ndcg@10"] == pytest.approx((T1_NDCG + 1 + 1) / 3)
    assert figures["mrr@10"] == pytest.approx(1.0) and figures["recall@100"] == pytest.approx(1.0)
    dev = run_json(capsys, ["eval", "--beir", str(graded), "--split", "dev", "--index", str(tmp_path / "index"),
                            "--modes", "bm25", "--json"])
    assert dev["queries"] == 1


def test_compare_and_trec_runs_on_the_graded_set_agree_with_pytrec_eval(capsys, graded, tmp_path, fake_model):
    pytrec_eval = pytest.importorskip("pytrec_eval")
    out_dir = tmp_path / "runs"
    out = run_json(capsys, ["eval", "--beir", str(graded), "--index", str(tmp_path / "index"), "--compare",
                            "--run-out", str(out_dir), "--hybrid", "rrf:60", "--json"])
    assert out["runs"] == ["bm25", "dense", "hybrid", "rerank", "hybrid-rrf60"] and out["queries"] == 3
    assert out["means"]["bm25"]["ndcg@10"] == pytest.approx((T1_NDCG + 2) / 3)
    for run, test in out["tests"]["ndcg@10"].items():
        assert 0 <= test["t_test"]["p_holm"] <= 1 and 0 <= test["randomisation"]["p"] <= 1, run
        assert test["wins"] + test["ties"] + test["losses"] == 3
    qrels = read_trec_qrels(out_dir / "qrels.txt")
    assert qrels == {"t1": {"42": 2, "7": 1, "d-wind": 0}, "2": {"d-sun": 1}, "q3": {"d-moon": 1}}
    evaluator = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut_10", "recall_100", "map", "recip_rank"})
    for name in out["runs"]:
        with (out_dir / f"{name}.trec").open(encoding="utf-8") as handle:
            scored = evaluator.evaluate(pytrec_eval.parse_run(handle))
        assert set(scored) == {"t1", "2", "q3"}
        mean = {m: sum(q[m] for q in scored.values()) / len(scored) for m in ("ndcg_cut_10", "recall_100", "map")}
        ours = out["means"][name]
        assert ours["ndcg@10"] == pytest.approx(mean["ndcg_cut_10"], abs=1e-12), name
        assert ours["recall@100"] == pytest.approx(mean["recall_100"], abs=1e-12), name
        assert ours["map"] == pytest.approx(mean["map"], abs=1e-12), name
        # five documents: every run is shorter than 10, so MRR@10 is trec_eval's uncut recip_rank
        assert ours["mrr@10"] == pytest.approx(sum(q["recip_rank"] for q in scored.values()) / 3, abs=1e-12), name


def test_a_beir_run_keeps_the_order_the_tool_ranked_not_the_hits_scores(graded, tmp_path, monkeypatch):
    """Mode "rerank" reorders hybrid hits but leaves them their hybrid scores: the run (and the
    figures from it) must follow the hits' order. Here the hits come 42, 7, d-wind with rising
    scores, the ideal order for t1 (nDCG 1); sorted by score it would be d-wind, 7, 42."""
    import numpy as np

    from qa.evaluation import beir_run
    from qa.types import Chunk, Hit

    order = ["42", "7", "d-wind"]

    class Reordered:
        def search(self, query, settings, query_vector=None):
            return [Hit(rank=r, chunk=Chunk(f"{d}#0", d, 0, 1, "x"), score=float(r)) for r, d in enumerate(order, 1)]

    class Queries:
        def encode_queries(self, texts):
            return np.zeros((len(texts), 4), dtype=np.float32)

    monkeypatch.setattr(beir_run, "beir_index", lambda *a, **k: Reordered())
    result = beir_run.run_beir(graded, "test", tmp_path / "index", Queries(), modes=("rerank",),
                               run_dir=tmp_path / "runs")
    assert sorted(result.runs["rerank"]["t1"], key=result.runs["rerank"]["t1"].get, reverse=True) == order
    on_disk = read_trec_run(tmp_path / "runs" / "rerank.trec")["t1"]
    assert sorted(on_disk, key=on_disk.get, reverse=True) == order
    # t1 ideal (1.0); "2" and q3 find nothing they need in the top 3 (0.0)
    assert result.modes["rerank"]["ndcg@10"] == pytest.approx(1 / 3)
