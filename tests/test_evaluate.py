"""Gold-set evaluation: loading, evidence location, evidence recall, end-to-end JSON and reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.evaluation.answer_metrics import normalise_answer
from qa.evaluation.gold import evidence_recall_at_k, load_gold
from qa.types import Chunk, QAError

ROOT = Path(__file__).resolve().parent.parent


def chunk(doc, start, end):
    return Chunk(chunk_id=f"{doc}:{start}", doc_id=doc, start=start, end=end, text="x" * (end - start))


def test_evidence_recall_by_hand():
    ranked = [chunk("a", 0, 100), chunk("b", 0, 100), chunk("a", 100, 200)]
    evidence = [[("a", 150, 160)], [("b", 50, 60), ("c", 0, 10)], [("d", 0, 5)]]
    assert evidence_recall_at_k(ranked, evidence, 1) == 0 / 3
    assert evidence_recall_at_k(ranked, evidence, 2) == 1 / 3   # b covers the second quote
    assert evidence_recall_at_k(ranked, evidence, 3) == 2 / 3   # a[100:200] covers the first
    assert evidence_recall_at_k([], evidence, 10) == 0.0
    assert evidence_recall_at_k(ranked, [], 10) == 0.0
    # touching is not overlapping: [100, 150) vs a quote at [150, 160)
    assert evidence_recall_at_k([chunk("a", 100, 150)], [[("a", 150, 160)]], 1) == 0.0


def test_normalise_answer():
    assert normalise_answer("The “$469 Billion” figure.") == normalise_answer("the $469 billion figure")
    assert "march 2022" in normalise_answer("In March\n2022, Singapore")


def test_gold_file_is_valid_and_split():
    questions = load_gold(ROOT / "eval" / "questions.jsonl")
    assert len(questions) >= 80
    assert {q.split for q in questions} == {"tune", "report"}
    assert sum(not q.answerable for q in questions) >= 10
    assert {d for q in questions for d in q.docs} == {"strategic-framework", "wh-fact-sheet-2023-12-20",
                                                      "ivlp-space-diplomacy", "breaking-defense-framework",
                                                      "csis-next-steps"}


@pytest.mark.parametrize("line, message", [
    ("not json", "line 1: not valid JSON"),
    ('{"id": "a", "question": "q", "answers": []}', "line 1: missing field 'evidence'"),
    ('{"id": "a", "question": "q", "answers": "x", "evidence": []}', "must be lists"),
    ('{"id": "a", "question": "q", "answers": [], "evidence": [], "split": "dev"}', "split must be"),
])
def test_bad_gold_lines_are_named(tmp_path, line, message):
    path = tmp_path / "gold.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(QAError, match=message):
        load_gold(path)


@pytest.mark.slow
def test_evidence_that_cannot_be_located_names_the_question(real_index, tmp_path):
    from qa.answers.quotes import QuoteFinder
    from qa.evaluation.gold import locate_evidence

    retriever, _ = real_index
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps({"id": "x7", "question": "q?", "answers": ["a"],
                                "evidence": ["a sentence that appears in no document of this corpus at all"]}) + "\n")
    with pytest.raises(QAError, match="gold question x7"):
        locate_evidence(QuoteFinder(retriever), load_gold(path))


@pytest.mark.slow
def test_every_gold_evidence_quote_is_located(real_index):
    from qa.answers.quotes import QuoteFinder
    from qa.evaluation.gold import locate_evidence

    retriever, _ = real_index
    questions = load_gold(ROOT / "eval" / "questions.jsonl")
    located = locate_evidence(QuoteFinder(retriever), questions)
    for q in questions:
        assert len(located[q.id]) == len(q.evidence)
        for quote_places, quote in zip(located[q.id], q.evidence):
            assert any(d in q.docs for d, _, _ in quote_places), (q.id, quote)


@pytest.mark.slow
def test_eval_json_end_to_end(real_index, tmp_path, capsys, monkeypatch):
    from qa.evaluation.gold import evaluate_gold
    from qa.evaluation.report import write_report

    retriever, _ = real_index
    questions = [q for q in load_gold(ROOT / "eval" / "questions.jsonl") if q.split == "report"][:20]
    result = evaluate_gold(retriever, questions)
    s = result.summary
    assert s["questions"] == 20 and set(s["modes"]) == {"bm25", "dense", "hybrid"}
    for mode in s["modes"].values():
        assert set(mode) == {"recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10"}
        assert 0 <= mode["recall@1"] <= mode["recall@5"] <= mode["recall@10"] <= 1
    assert set(s["answers"]) == {"hit_rate", "citation_precision", "abstain_precision", "abstain_recall",
                                 "calibration_error"}
    assert s["latency_ms"]["p95"] >= s["latency_ms"]["mean"] * 0.5 > 0
    assert s["modes"]["hybrid"]["recall@10"] > 0.6
    files = write_report(tmp_path / "report", result, "test")
    assert all(f.exists() and f.stat().st_size > 0 for f in files)
    report = (tmp_path / "report" / "report.md").read_text()
    assert "## Per question" in report and "recall_at_k.png" in report


@pytest.mark.slow
def test_beir_end_to_end_on_a_tiny_dataset(tmp_path, encoder):
    from qa.evaluation.beir import read_trec_run
    from qa.evaluation.beir_run import run_beir

    folder = tmp_path / "tiny"
    (folder / "qrels").mkdir(parents=True)
    docs = {"d1": ("Lunar gateway", "The Gateway will be the first space station around the Moon."),
            "d2": ("Export controls", "The MTCR governs exports of missile technology."),
            "d3": ("Fisheries", "Satellites help police illegal fishing at sea.")}
    (folder / "corpus.jsonl").write_text("\n".join(json.dumps({"_id": k, "title": t, "text": x})
                                                   for k, (t, x) in docs.items()))
    (folder / "queries.jsonl").write_text("\n".join(json.dumps({"_id": q, "text": t}) for q, t in
                                                    [("q1", "space station orbiting the moon"),
                                                     ("q2", "missile technology export rules")]))
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n")
    result = run_beir(folder, "test", tmp_path / "index", encoder, run_dir=tmp_path / "runs")
    assert result.queries == 2
    for mode, metrics in result.modes.items():
        assert metrics["ndcg@10"] == 1.0 and metrics["mrr@10"] == 1.0, mode
    run = read_trec_run(tmp_path / "runs" / "hybrid.trec")
    assert max(run["q1"], key=run["q1"].get) == "d1"
