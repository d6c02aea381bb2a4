"""`qa eval --compare`, `--run-out`, `--run` and `--qrels` on the tiny gold set, fast (fake encoder):
the significance table, TREC runs that round-trip through the tool and score alike in pytrec_eval,
and clean errors for options that do not go together."""

from __future__ import annotations

import json

import pytest
from test_cli_eval import fake_model, run_json, tiny  # noqa: F401  (fixtures)

from qa.cli.main import main
from qa.evaluation.trec import read_trec_qrels, read_trec_run


def gold_argv(tiny, *extra) -> list[str]:
    index, gold = tiny
    return ["eval", "--index", str(index), "--questions", str(gold("report")), *extra]


def test_compare_json_has_every_mode_and_the_p_values(capsys, tiny):
    out = run_json(capsys, gold_argv(tiny, "--compare", "--json"))
    assert out["runs"] == ["bm25", "dense", "hybrid", "rerank"] and out["baseline"] == "bm25"
    assert out["queries"] == 4   # the answerable questions of the tiny set
    assert out["metrics"] == ["ndcg@10", "recall@100", "mrr@10", "map"]
    assert out["source"] == "gold set gold-report, report split (6 questions)"
    for metric, by_run in out["tests"].items():
        assert set(by_run) == {"dense", "hybrid", "rerank"}, metric
        for test in by_run.values():
            assert test["wins"] + test["ties"] + test["losses"] == 4
            for p in (test["t_test"]["p"], test["randomisation"]["p"]):
                assert p is None or 0 <= p <= 1
            assert test["randomisation"]["p_holm"] >= test["randomisation"]["p"]


def test_compare_text_shows_the_marked_table_and_the_legend(capsys, tiny):
    capsys.readouterr()
    assert main(gold_argv(tiny, "--compare", "--modes", "hybrid,bm25", "--baseline", "hybrid")) == 0
    text = capsys.readouterr().out
    assert "| run | ndcg@10 | recall@100 | mrr@10 | map |" in text and "| hybrid (baseline) |" in text
    assert "* paired t-test, † Fisher's randomisation test" in text and "over the 1 comparison per metric" in text
    assert "## map" in text


def test_runs_written_read_back_give_the_same_comparison(capsys, tiny, tmp_path):
    out_dir = tmp_path / "runs"
    ours = run_json(capsys, gold_argv(tiny, "--compare", "--run-out", str(out_dir), "--json"))
    assert sorted(p.name for p in out_dir.iterdir()) == ["bm25.trec", "dense.trec", "hybrid.trec", "qrels.txt", "rerank.trec"]
    again = run_json(capsys, ["eval", "--compare", "--qrels", str(out_dir / "qrels.txt"), "--json",
                              *(f"--run={out_dir / m}.trec" for m in ("bm25", "dense", "hybrid", "rerank"))])
    assert again["runs"] == ours["runs"]
    assert again["means"] == ours["means"] and again["tests"] == ours["tests"]


def test_written_runs_score_alike_in_pytrec_eval(capsys, tiny, tmp_path):
    pytrec_eval = pytest.importorskip("pytrec_eval")
    out_dir = tmp_path / "runs"
    scores = run_json(capsys, gold_argv(tiny, "--run-out", str(out_dir), "--metrics", "ndcg@10,recall@100,map",
                                        "--json"))["runs"]
    qrels = read_trec_qrels(out_dir / "qrels.txt")
    assert len(qrels) == 4
    evaluator = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut_10", "recall_100", "map"})
    for mode in ("bm25", "dense", "hybrid", "rerank"):
        run = read_trec_run(out_dir / f"{mode}.trec")
        # every question (bm25 finds nothing for one: no line), 100 passages deep at most
        assert len(run) == (5 if mode == "bm25" else 6) and all(len(r) <= 100 for r in run.values())
        scored = evaluator.evaluate(run)
        assert set(scored) == set(qrels)
        for ours, theirs in (("ndcg@10", "ndcg_cut_10"), ("recall@100", "recall_100"), ("map", "map")):
            mean = sum(q[theirs] for q in scored.values()) / len(scored)
            assert scores[mode][ours] == pytest.approx(mean, abs=1e-12), (mode, ours)


def test_a_run_from_elsewhere_is_compared_with_ours(capsys, tiny, tmp_path):
    out_dir = tmp_path / "runs"
    run_json(capsys, gold_argv(tiny, "--modes", "bm25", "--run-out", str(out_dir), "--json"))
    elsewhere = tmp_path / "theirs.trec"   # bm25's run, its order reversed, as another tool might write it
    lines = (out_dir / "bm25.trec").read_text().splitlines()
    elsewhere.write_text("\n".join(f"{q} Q0 {d} {r} {-float(s)} other" for q, _, d, r, s, _ in map(str.split, lines)))
    out = run_json(capsys, gold_argv(tiny, "--compare", "--modes", "bm25", "--hybrid", "convex:0.5",
                                     "--run", f"reversed={elsewhere}", "--json"))
    assert out["runs"] == ["bm25", "hybrid-convex0.5", "reversed"]
    assert out["tests"]["mrr@10"]["reversed"]["wins"] == 0   # reversing a ranking never raises MRR here
    assert out["means"]["reversed"]["recall@100"] == out["means"]["bm25"]["recall@100"]   # same documents


def test_compare_report_writes_tables_json_and_charts(capsys, tiny, tmp_path):
    report = tmp_path / "report"
    run_json(capsys, gold_argv(tiny, "--compare", "--report", str(report), "--metrics", "ndcg@10", "--json"))
    assert json.loads((report / "compare.json").read_text())["per_query"]["bm25"]["ndcg@10"]
    assert (report / "compare-ndcg_at_10.png").stat().st_size > 0
    assert "| run | ndcg@10 |" in (report / "compare.md").read_text()


def test_scoring_foreign_runs_needs_no_index(capsys, tmp_path):
    qrels, run = tmp_path / "qrels.txt", tmp_path / "mine.trec"
    qrels.write_text("q1 0 a 1\nq2 0 b 2\n")
    run.write_text("q1 Q0 x 1 2.0 t\nq1 Q0 a 2 1.0 t\nq2 Q0 b 1 5.0 t\n")
    out = run_json(capsys, ["eval", "--qrels", str(qrels), "--run", str(run), "--metrics", "mrr@10", "--json",
                            "--index", str(tmp_path / "no-index")])
    assert out["runs"] == {"mine": {"mrr@10": pytest.approx(0.75)}} and out["queries"] == 2
    capsys.readouterr()
    assert main(["eval", "--qrels", str(qrels), "--run", f"ours={run}", "--metrics", "mrr@10,recall@1"]) == 0
    text = capsys.readouterr().out
    assert f"qrels {qrels}: 2 judged queries" in text and "| ours | 0.750 | 0.500 |" in text


@pytest.mark.parametrize("argv, message", [
    (["--compare", "--set", "all"], "runs are compared on one gold set"),
    (["--compare", "--hybrid", "rrf"], "a hybrid setting is rrf:K or convex:WEIGHT"),
    (["--compare", "--baseline", "sparse"], "baseline 'sparse' is not one of the runs: bm25, dense, hybrid"),
    (["--compare", "--metrics", "ndcg@x"], "--metrics: metric 'ndcg@x'"),
    (["--compare", "--sweep"], "--sweep tunes settings; it does not go with --compare"),
    (["--compare", "--modes", "bm25"], "a comparison needs two or more runs, got 1"),
    (["--qrels", "q.txt", "--beir", "somewhere"], "--qrels scores --run files alone"),
    (["--run", "no/such.trec"], "no/such.trec: file not found"),
    (["--run", "bm25=x.trec"], "the run name 'bm25' is empty or already taken"),
])
def test_bad_compare_options_exit_2_naming_them(capsys, tiny, argv, message):
    index, gold = tiny
    questions = [] if "--set" in argv or "--qrels" in argv else ["--questions", str(gold("report"))]
    capsys.readouterr()
    assert main(["eval", "--index", str(index), *questions, *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
