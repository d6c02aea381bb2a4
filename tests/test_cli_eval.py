"""`qa eval` (gold, --sweep, --beir) and the command's error handling, fast: the embedding model
is replaced by the fake encoder, so nothing loads a model."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import FakeEncoder
from test_answer_quality import DOCUMENTS, SETTINGS, gold_lines

from qa.cli.main import main
from qa.retrieval.build import build_index, corpus_fingerprint

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def fake_model(monkeypatch):
    """Every Encoder the command creates is the fake one."""
    monkeypatch.setattr("qa.retrieval.encoder.Encoder", lambda name=None, *a, **k: FakeEncoder())


@pytest.fixture
def tiny(tmp_path, fake_model):
    """(index folder, gold file) of the tiny answer-quality corpus; the gold questions in ``split``."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for doc in DOCUMENTS:
        (corpus / doc.path).write_text(doc.text, encoding="utf-8")
    encoder = FakeEncoder()
    build_index(DOCUMENTS, tmp_path / "index", encoder, SETTINGS, corpus_fingerprint(corpus, SETTINGS, encoder.name))

    def gold(split: str) -> Path:
        path = tmp_path / f"gold-{split}.jsonl"
        path.write_text("\n".join(json.dumps(dict(r, split=split)) for r in gold_lines()) + "\n", encoding="utf-8")
        return path

    return tmp_path / "index", gold


def run_json(capsys, argv) -> dict:
    capsys.readouterr()
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_eval_json_on_the_tiny_gold_set(capsys, tiny):
    index, gold = tiny
    out = run_json(capsys, ["eval", "--index", str(index), "--questions", str(gold("report")), "--json"])
    assert list(out) == ["gold-report"] and list(out["gold-report"]) == ["report"]   # no tune questions: left out
    out = out["gold-report"]["report"]
    assert (out["questions"], out["answerable"], out["split"]) == (6, 4, "report")
    # the values worked out in test_answer_quality, through the command
    assert out["answers"]["hit_rate"] == pytest.approx(0.75)
    assert out["answers"]["citation_precision"] == pytest.approx(0.6)   # test_answer_quality's 3 of 5
    assert out["answers"]["abstain_recall"] == pytest.approx(0.5)


def test_eval_sweep_json(capsys, tiny):
    index, gold = tiny
    out = run_json(capsys, ["eval", "--sweep", "--index", str(index), "--questions", str(gold("tune")), "--json"])
    assert (out["split"], out["questions"]) == ("tune", 6)
    assert len(out["fusion"]) == 6 + 9   # every RRF k and every convex weight, best first
    scores = [p["ndcg@10"] for p in out["fusion"]]
    assert all(s == 1.0 for s in scores)   # every evidence passage is first in every setting
    best = out["answers_best"]
    assert len(best) == 10 and [p["accuracy"] for p in best] == sorted((p["accuracy"] for p in best), reverse=True)
    # six questions: p1 can never be right (its gold answer is in no sentence), so at most 5 of 6
    assert 0.5 <= best[0]["accuracy"] <= round(5 / 6, 4)
    assert set(best[0]["setting"]) == {"passages", "abstain_threshold", "plateau"}


def test_eval_sweep_says_when_it_sweeps_the_reporting_split(capsys, tiny):
    index, gold = tiny
    capsys.readouterr()
    assert main(["eval", "--sweep", "--split", "report", "--index", str(index), "--questions", str(gold("report"))]) == 0
    captured = capsys.readouterr()
    assert "tune on the tuning split only" in captured.err and "best fusion:" in captured.out


def beir_folder(root: Path) -> Path:
    folder = root / "tiny-beir"
    (folder / "qrels").mkdir(parents=True)
    docs = {"d1": ("Lunar gateway", "The Gateway will be the first space station around the Moon."),
            "d2": ("Export controls", "The MTCR governs exports of missile technology."),
            "d3": ("Fisheries", "Satellites help police illegal fishing at sea.")}
    (folder / "corpus.jsonl").write_text("\n".join(json.dumps({"_id": k, "title": t, "text": x})
                                                   for k, (t, x) in docs.items()), encoding="utf-8")
    (folder / "queries.jsonl").write_text("\n".join(json.dumps({"_id": q, "text": t}) for q, t in
                                                    [("q1", "gateway space station around the Moon"),
                                                     ("q2", "MTCR missile technology exports")]), encoding="utf-8")
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n", encoding="utf-8")
    return folder


def test_eval_beir_json_and_report(capsys, tmp_path, fake_model):
    folder = beir_folder(tmp_path)
    report = tmp_path / "report"
    out = run_json(capsys, ["eval", "--beir", str(folder), "--index", str(tmp_path / "beir-index"),
                            "--report", str(report), "--json"])
    assert (out["dataset"], out["split"], out["queries"]) == ("tiny-beir", "test", 2)
    for mode, figures in out["modes"].items():   # each query's one relevant document is ranked first
        assert figures["ndcg@10"] == 1.0 and figures["mrr@10"] == 1.0 and figures["recall@100"] == 1.0, mode
    assert (report / "report.md").exists() and json.loads((report / "metrics.json").read_text())["queries"] == 2
    run = (report / "runs" / "hybrid.trec").read_text().splitlines()
    assert run[0].split()[:4] == ["q1", "Q0", "d1", "1"]


def test_eval_beir_sweep_json(capsys, tmp_path, fake_model):
    out = run_json(capsys, ["eval", "--beir", str(beir_folder(tmp_path)), "--sweep",
                            "--index", str(tmp_path / "beir-index"), "--json"])
    assert out["split"] == "test" and len(out["fusion"]) == 15
    assert all(p["ndcg@10"] == 1.0 for p in out["fusion"])


def test_eval_beir_bad_split_is_a_clean_error(capsys, tmp_path, fake_model):
    capsys.readouterr()
    assert main(["eval", "--beir", str(beir_folder(tmp_path)), "--split", "dev", "--index", str(tmp_path / "i")]) == 2
    err = capsys.readouterr().err
    assert "unknown split 'dev'" in err and "test" in err and "Traceback" not in err


@pytest.mark.parametrize("argv, message", [
    (["eval", "--k", "0"], "--k must be at least 1"),
    (["eval", "--modes", "bm25,sparse"], "--modes takes any of bm25, dense, hybrid, rerank"),
    (["eval", "--split", "dev"], "--split for a gold set is tune, report or all"),
    (["search", "space", "--k", "0"], "k must be between 1 and 1000"),
    (["search", "space", "--mode", "hybrid", "--dense-weight", "1.5"], "dense_weight must be between 0 and 1"),
    (["bench", "--sizes", "ten"], "--sizes takes passage counts"),
])
def test_bad_options_exit_2_naming_the_option(capsys, tiny, argv, message):
    index, gold = tiny
    extra = [] if argv[0] == "bench" else ["--index", str(index)]
    extra += ["--questions", str(gold("report"))] if argv[0] == "eval" else []
    capsys.readouterr()
    assert main([*argv, *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_gold_file_that_is_not_utf8_is_named(capsys, tiny, tmp_path):
    index, _ = tiny
    bad = tmp_path / "latin1.jsonl"
    bad.write_bytes('{"id": "caf\xe9"}\n'.encode("latin-1"))
    capsys.readouterr()
    assert main(["eval", "--index", str(index), "--questions", str(bad)]) == 2
    assert f"{bad}: not UTF-8 text" in capsys.readouterr().err


def test_an_unexpected_error_is_not_turned_into_a_clean_exit(tiny, monkeypatch):
    index, gold = tiny

    def broken(*args, **kwargs):
        raise ValueError("a bug, not bad input")

    monkeypatch.setattr("qa.evaluation.gold.evaluate_gold", broken)
    with pytest.raises(ValueError, match="a bug, not bad input"):
        main(["eval", "--index", str(index), "--questions", str(gold("report"))])


def test_an_unexpected_error_shows_its_traceback_and_exits_1(tmp_path):
    script = textwrap.dedent("""
        import sys
        import qa.cli.main as cli

        def broken_handler(args):
            raise ValueError("a bug, not bad input")

        cli.HANDLERS["eval"] = broken_handler
        sys.exit(cli.main(["eval"]))
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "Traceback" in proc.stderr and "broken_handler" in proc.stderr
    assert "ValueError: a bug, not bad input" in proc.stderr and "error:" not in proc.stderr


# --- gold sets side by side (--set), --questions with --corpus, and their errors -----------------

@pytest.fixture
def two_sets(tmp_path, tiny, monkeypatch):
    """The tiny set twice, as "home" (over --index) and "real" (its own corpus, built on first use)."""
    from qa.evaluation import goldsets

    index, gold = tiny
    questions = gold("report")
    tune = tmp_path / "gold-tune.jsonl"   # the same questions, half of them in the tuning split
    tune.write_text("\n".join(json.dumps(dict(r, split="tune" if i % 2 else "report"))
                              for i, r in enumerate(gold_lines())) + "\n", encoding="utf-8")
    sets = (goldsets.GoldSet("home", "Home", tune, tmp_path / "corpus", index),
            goldsets.GoldSet("real", "Real", questions, tmp_path / "corpus", tmp_path / "real-index"))
    monkeypatch.setattr(goldsets, "GOLD_SETS", sets)
    return index, tmp_path


def test_eval_json_is_keyed_by_set_then_split(capsys, two_sets):
    index, tmp = two_sets
    out = run_json(capsys, ["eval", "--index", str(index), "--json"])
    assert {name: list(splits) for name, splits in out.items()} == {"home": ["report", "tune"], "real": ["report"]}
    assert (out["home"]["report"]["questions"], out["home"]["tune"]["questions"]) == (3, 3)
    assert out["real"]["report"]["answers"]["hit_rate"] == pytest.approx(0.75)   # as on the tiny set alone
    assert (tmp / "real-index" / "manifest.json").exists()   # the real set's index was built for it
    one = run_json(capsys, ["eval", "--index", str(index), "--set", "home", "--split", "tune", "--json"])
    assert list(one) == ["home"] and list(one["home"]) == ["tune"] and one["home"]["tune"]["split"] == "tune"


def test_eval_report_writes_both_sets(capsys, two_sets):
    index, tmp = two_sets
    report = tmp / "report"
    run_json(capsys, ["eval", "--index", str(index), "--report", str(report), "--json"])
    metrics = json.loads((report / "metrics.json").read_text())
    assert set(metrics) == {"home", "real"} and len(metrics["real"]["report"]["reliability"]) == 10
    text = (report / "report.md").read_text()
    assert "## Home" in text and "## Real" in text and "cited page right" in text
    for name in ("home-report-reliability.png", "home-tune-recall_at_k.png", "real-report-per_document_recall.png",
                 "real-report-questions.md"):
        assert (report / name).stat().st_size > 0 and name in text


def test_eval_text_shows_both_sets(capsys, two_sets):
    index, _ = two_sets
    capsys.readouterr()
    assert main(["eval", "--index", str(index)]) == 0
    out = capsys.readouterr().out
    assert "== Home" in out and "== Real" in out and "3 questions (tune split, 2 answerable)" in out
    assert "| report | 0.750 |" in out   # the real set's answers row starts with its hit rate


def test_eval_questions_with_a_corpus_builds_its_own_index(capsys, tiny, tmp_path, monkeypatch):
    _, gold = tiny
    questions = gold("report")
    out = run_json(capsys, ["eval", "--questions", str(questions), "--corpus", str(tmp_path / "corpus"),
                            "--index", str(tmp_path / "own-index"), "--json"])
    assert out["gold-report"]["report"]["answers"]["hit_rate"] == pytest.approx(0.75)
    assert (tmp_path / "own-index" / "manifest.json").exists()
    monkeypatch.chdir(tmp_path)   # without --index: a cache folder, never the home index
    run_json(capsys, ["eval", "--questions", str(questions), "--corpus", str(tmp_path / "corpus"), "--json"])
    assert (tmp_path / "eval" / "cache" / "gold-gold-report" / "manifest.json").exists()


@pytest.mark.parametrize("argv, message", [
    (["--set", "moon"], "--set takes home, real or all, got 'moon'"),
    (["--set", "home", "--questions", "x.jsonl"], "--questions and --set both name the questions"),
    (["--questions", "no/such.jsonl"], "no/such.jsonl does not exist"),
    (["--questions", "GOLD", "--corpus", "no/such/folder"], "--corpus no/such/folder: no such folder"),
    (["--corpus", "corpus"], "--corpus needs --questions"),
    (["--questions", "GOLD", "--split", "tune"], "has no questions in split 'tune'"),
    (["--sweep", "--set", "all"], "--sweep tunes on one gold set"),
    (["--split", "report,dev"], "--split for a gold set is tune, report or all"),
])
def test_bad_gold_set_options_exit_2_naming_them(capsys, two_sets, tiny, argv, message):
    index, _ = two_sets
    gold = str(tiny[1]("report"))
    capsys.readouterr()
    assert main(["eval", "--index", str(index), *[gold if a == "GOLD" else a for a in argv]]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_a_named_set_wins_over_qa_gold(capsys, two_sets, monkeypatch, tmp_path):
    index, _ = two_sets
    monkeypatch.setenv("QA_GOLD", str(tmp_path / "no-such.jsonl"))
    out = run_json(capsys, ["eval", "--index", str(index), "--set", "home", "--json"])
    assert list(out) == ["home"]
    capsys.readouterr()
    assert main(["eval", "--index", str(index), "--json"]) == 2   # without --set, $QA_GOLD is the file
    assert "no-such.jsonl does not exist" in capsys.readouterr().err
