"""Gold-set evaluation: loading, evidence location, evidence recall, end-to-end JSON and reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.evaluation.answer_metrics import normalise_answer
from qa.evaluation.evidence import alnum_fold, loose_places
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


def test_alnum_fold_keeps_letters_and_digits_with_their_offsets():
    folded = alnum_fold("Op erational ﬁ-1")
    assert folded.text == "operationalfi1"
    #                  O  p  e  r  a  t  i  o   n   a   l   f   i   1   (the ligature at 13 gives f and i)
    assert folded.offsets == (0, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 13, 15)


def test_loose_places_map_back_to_the_text_of_record():
    text = "Today, there are more than 1,000 op erational satellites. We ﬁltered them; we filtered."
    assert loose_places(alnum_fold(text), "1,000 operational satellites") == [(27, 56)]
    assert text[27:56] == "1,000 op erational satellites"
    # a ligature, and the same words again further on: both places, each from first to last letter
    places = loose_places(alnum_fold(text), "filtered")
    assert [text[a:b] for a, b in places] == ["ﬁltered", "filtered"]
    assert loose_places(alnum_fold(text), "orbital satellites") == []
    assert loose_places(alnum_fold(text), " ,. ") == []          # no letter or digit: nothing


def test_gold_lines_of_the_home_set_take_their_answer_type_and_paraphrase_from_type(tmp_path):
    path = tmp_path / "gold.jsonl"
    rows = [{"id": "a", "question": "q", "answers": ["1"], "evidence": ["e"], "type": "numeric"},
            {"id": "b", "question": "q", "answers": ["x"], "evidence": ["e"], "type": "paraphrase"},
            {"id": "c", "question": "q", "answers": ["x"], "evidence": ["e"], "type": "paraphrase",
             "paraphrased": False, "answer_type": "term", "pages": [3, 4]}]
    path.write_text("\n".join(json.dumps(r) for r in rows))
    a, b, c = load_gold(path)
    assert (a.answer_type, a.paraphrased) == ("number", False)
    assert (b.answer_type, b.paraphrased) == ("", True)
    assert (c.answer_type, c.paraphrased, c.pages) == ("term", False, (3, 4))   # given fields win


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
    assert s["questions"] == 20 and set(s["modes"]) == {"bm25", "dense", "hybrid", "rerank"}
    paraphrased = sum(q.paraphrased and q.answerable for q in questions)
    assert paraphrased > 0 and s["counts"]["paraphrased"] == paraphrased
    for mode in s["modes"].values():
        assert set(mode) == {"recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10", "paraphrased_recall@5"}
        assert 0 <= mode["recall@1"] <= mode["recall@5"] <= mode["recall@10"] <= 1
    # the home set gives no pages, so no cited-page figure
    assert set(s["answers"]) == {"hit_rate", "paraphrased_hit_rate", "short_answer_right", "citation_precision",
                                 "abstain_precision", "abstain_recall", "calibration_error",
                                 "calibration_error_by_chance"}
    assert s["latency_ms"]["p95"] >= s["latency_ms"]["mean"] * 0.5 > 0
    assert s["modes"]["hybrid"]["recall@10"] > 0.6
    files = write_report(tmp_path / "report", result, "test")
    assert all(f.exists() and f.stat().st_size > 0 for f in files)
    report = (tmp_path / "report" / "report.md").read_text()
    assert "## Per question" in report and "recall_at_k.png" in report and "reliability.png" in report


@pytest.mark.slow
def test_beir_end_to_end_on_a_tiny_dataset(tmp_path, encoder):
    from qa.evaluation.trec import read_trec_run
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


# --- the answer figures of a gold run, fast (fake encoder): each at a value worked out by hand ---

EXTRA = {  # per question of test_answer_quality's tiny gold set: the real set's extra fields
    "c1": {"paraphrased": True, "answer_type": "term", "pages": [1], "docs": ["relay"]},
    # "Chile" is a gold answer too; gold page 1 is wrong on purpose (the sentence is on page 2)
    "c2": {"answers": ["Chile, Namibia and Australia", "Chile"], "answer_type": "place", "pages": [1],
           "docs": ["relay"]},
    "c3": {"answer_type": "number", "pages": [2], "docs": ["treaty"]},
    "p1": {"paraphrased": True, "answer_type": "term", "pages": [1], "docs": ["treaty"]},
    "u1": {"paraphrased": True},
}
# A paraphrased question that shares no word with its evidence; six passages of another document
# share all of its words, so none of the top 5 passages of BM25 holds the evidence.
PARAPHRASED = {"id": "pp", "question": "Where was the probe put together, in which city?", "answers": ["Toulouse"],
               "evidence": ["Engineers in Toulouse assembled the spacecraft over two years."], "paraphrased": True,
               "answer_type": "place", "pages": [1], "docs": ["relay"], "split": "report"}
PROBES = [(f"P{i}", f"Probe {w} was put together in a city {i}: the probe city keeps probe parts together.")
          for i, w in enumerate(["Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta"])]


@pytest.fixture
def paged_run(tmp_path, fake_encoder):
    from conftest import make_document
    from test_answer_quality import DOCUMENTS, SETTINGS, gold_lines

    from qa.evaluation.gold import evaluate_gold
    from qa.retrieval.build import build_index, corpus_fingerprint
    from qa.retrieval.retriever import Retriever
    from qa.retrieval.store import load_index

    docs = [make_document(d.doc_id, [(s.label, d.text[s.start:s.end].strip()) for s in d.sections], pages=2)
            for d in DOCUMENTS] + [make_document("probes", PROBES, pages=3)]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for doc in docs:
        (corpus / doc.path).write_text(doc.text, encoding="utf-8")
    build_index(docs, tmp_path / "index", fake_encoder, SETTINGS, corpus_fingerprint(corpus, SETTINGS, fake_encoder.name))
    retriever = Retriever(load_index(tmp_path / "index"), fake_encoder)
    gold = tmp_path / "gold.jsonl"
    rows = [dict(r, **EXTRA.get(r["id"], {})) for r in gold_lines()] + [PARAPHRASED]
    gold.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return evaluate_gold(retriever, load_gold(gold))


def test_short_answers_pages_and_paraphrases_at_their_hand_worked_values(paged_run):
    rows = {r.id: r for r in paged_run.rows}
    # the questions behave as designed (otherwise the figures below mean nothing)
    assert [rows[i].hit for i in ("c1", "c2", "c3", "p1", "pp")] == [True, True, True, False, False]
    assert (rows["c2"].short, rows["c3"].short) == ("Chile, Namibia and Australia", "five years")  # a list; a count
    assert not rows["pp"].abstained and rows["pp"].answer.startswith("Probe")   # answered from a probe passage
    assert rows["pp"].short and "Toulouse" not in rows["pp"].short
    # c3's quote is a pair of sentences that runs over the page break (cited on both pages); c1's is
    # one sentence on page 1, c2's one on page 2
    assert (rows["c1"].cited_pages, rows["c2"].cited_pages, rows["c3"].cited_pages) == ((1,), (2,), (1, 2))
    assert rows["pp"].recall["bm25"] == 0.0 and rows["pp"].first_relevant["bm25"] is None
    a = paged_run.summary["answers"]
    assert a["hit_rate"] == pytest.approx(3 / 5)                   # c1 c2 c3 hit; p1, pp miss
    assert a["paraphrased_hit_rate"] == pytest.approx(1 / 3)      # c1 hits, p1 and pp miss (u1 is unanswerable)
    assert a["short_answer_right"] == pytest.approx(2 / 3)        # c2 and c3 right; pp's short answer (a probe's city) wrong
    assert a["cited_page_right"] == pytest.approx(2 / 3)          # hits c1 p.1-2 and c3 p.1-2 right; c2 p.2 not 1
    counts = paged_run.summary["counts"]
    assert (counts["paraphrased"], counts["short_answer_expected"], counts["hits_with_pages"]) == (3, 3, 3)


def test_paraphrased_recall_at_5_is_reported_apart(paged_run):
    bm25 = paged_run.summary["modes"]["bm25"]
    assert bm25["recall@5"] == pytest.approx(4 / 5)                 # pp's evidence is not in the top 5
    assert bm25["paraphrased_recall@5"] == pytest.approx(2 / 3)     # c1, p1 found (1, 1); pp not (0)


def test_reliability_bins_are_the_answers_shown(paged_run):
    from qa.evaluation.answer_metrics import reliability_bins

    shown = [r for r in paged_run.rows if not r.abstained]
    assert sum(b["count"] for b in paged_run.reliability) == len(shown) == 6
    assert [b["count"] for b in paged_run.reliability] == [
        b.count for b in reliability_bins([r.confidence for r in shown], [bool(r.hit) for r in shown])]


def test_a_set_without_paraphrases_or_pages_leaves_those_figures_out():
    from qa.evaluation.gold_answers import QuestionResult, summarise_answers

    row = QuestionResult(id="a", split="report", answerable=True, recall={}, first_relevant={}, abstained=False,
                         answer="x", hit=True, citations=1, relevant_citations=1, latency_ms=1.0, confidence=0.9)
    assert summarise_answers([row]) == {"hit_rate": 1.0, "citation_precision": 1.0, "abstain_precision": 0.0,
                                        "abstain_recall": 0.0, "calibration_error": pytest.approx(0.1),
                                        "calibration_error_by_chance": pytest.approx(0.18)}


# --- qa.evaluate_gold_set: what the page calls, with a progress callback ------------------------

def test_evaluate_gold_set_runs_a_named_set_with_progress(tmp_path, fake_encoder, monkeypatch):
    import qa
    from conftest import FakeEncoder
    from test_answer_quality import DOCUMENTS, SETTINGS, gold_lines

    from qa.evaluation import goldsets
    from qa.retrieval.build import build_index, corpus_fingerprint

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for doc in DOCUMENTS:
        (corpus / doc.path).write_text(doc.text, encoding="utf-8")
    build_index(DOCUMENTS, tmp_path / "index", fake_encoder, SETTINGS, corpus_fingerprint(corpus, SETTINGS, fake_encoder.name))
    gold = tmp_path / "gold.jsonl"
    gold.write_text("\n".join(json.dumps(dict(r, split="tune" if r["id"] == "c1" else "report"))
                              for r in gold_lines()) + "\n", encoding="utf-8")
    monkeypatch.setattr(goldsets, "GOLD_SETS", (
        goldsets.GoldSet("home", "Home", gold, corpus, tmp_path / "index"),
        goldsets.GoldSet("real", "Real", gold, corpus, tmp_path / "real-index")))
    assert qa.gold_sets() == [("home", "Home"), ("real", "Real")]
    index = qa.open_index(tmp_path / "index", encoder=FakeEncoder())
    seen = []
    result = qa.evaluate_gold_set("real", split="report", modes=["hybrid"], index=index,
                                  progress=lambda done, total: seen.append((done, total)))
    assert seen == [(n, 5) for n in range(1, 6)]                      # c1 is in the tuning split
    assert list(result.summary["modes"]) == ["hybrid"] and result.summary["questions"] == 5
    assert result.summary["answers"]["hit_rate"] == pytest.approx(2 / 3)   # c2, c3 hit; p1 misses
    assert (tmp_path / "real-index" / "manifest.json").exists()      # built with the index's encoder
    home = qa.evaluate_gold_set("home", split="all", index=index)     # over the index given
    assert home.summary["questions"] == 6 and set(home.summary["modes"]) == {"bm25", "dense", "hybrid", "rerank"}
    with pytest.raises(qa.QAError, match="no gold set 'moon'"):
        qa.evaluate_gold_set("moon", index=index)
    with pytest.raises(qa.QAError, match="split is tune, report or all, got 'dev'"):
        qa.evaluate_gold_set("home", split="dev", index=index)
    with pytest.raises(qa.QAError, match="modes are bm25, dense, hybrid, rerank"):
        qa.evaluate_gold_set("home", modes=["sparse"], index=index)
    assert index.evaluate(gold, split="tune").summary["questions"] == 1


def test_answers_by_gold_answer_type(paged_run, tmp_path):
    from qa.evaluation.gold_answers import by_answer_type
    from qa.evaluation.report import write_gold_report

    # c1 term hit, p1 term miss; c2 place hit ("Chile" right), pp place miss (short wrong);
    # c3 number hit ("five years" right); u1, p2 unanswerable: left out
    assert by_answer_type(paged_run.rows) == {
        "place": {"questions": 2, "hit_rate": 0.5, "short_answer_right": 0.5},
        "term": {"questions": 2, "hit_rate": 0.5, "short_answer_right": None},
        "number": {"questions": 1, "hit_rate": 1.0, "short_answer_right": 1.0},
    }
    write_gold_report(tmp_path / "r", {"tiny": {"report": paged_run}}, {"tiny": "Tiny"})
    report = (tmp_path / "r" / "report.md").read_text()
    assert "| report | place | 2 | 0.500 | 0.500 |" in report and "| report | term | 2 | 0.500 | – |" in report
    # under the answers table, what each figure is measured on: 7 questions, 5 answerable (3 of them
    # paraphrased), 3 that want a short answer, 3 hits with pages (c1, c2, c3), 2 unanswerable
    # (u1, p2), of which one refused: 6 answers shown
    assert ("| report | 5 answerable questions | 3 paraphrased answerable questions | 3 answers that want a "
            "short answer | 3 hits whose gold names pages | 7 questions' citations | 1 refusal | 2 unanswerable "
            "questions | 6 answers shown | 6 answers shown |") in report


def test_evaluate_splits_counts_progress_over_every_split(monkeypatch):
    from qa.evaluation.goldsets import evaluate_splits

    def fake_evaluate_gold(retriever, questions, progress=None, **options):
        for n in range(1, len(questions) + 1):
            progress(n, len(questions))
        return (len(questions), options)

    monkeypatch.setattr("qa.evaluation.gold.evaluate_gold", fake_evaluate_gold)
    seen = []
    out = evaluate_splits(None, {"report": ["a", "b", "c"], "tune": ["d", "e"]},
                          progress=lambda done, total: seen.append((done, total)), modes=("hybrid",))
    assert seen == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]
    assert out == {"report": (3, {"modes": ("hybrid",)}), "tune": (2, {"modes": ("hybrid",)})}
