"""Answer quality on a tiny corpus, fast (fake encoder, no model): the gold-set run end to end.

The real floors are in test_quality_floors.py (slow). This test keeps the fast suite honest
about the same things, by behaviour only: it never looks inside the sentence scorer.

- Clear questions, each answered by one sentence holding the question's rare words, must be
  answered with that sentence (a scorer that ignores the query terms' coverage is not sure
  enough of any of them and refuses, or picks another sentence).
- A question far off the corpus must be refused (an abstention threshold of 0 refuses nothing).
- Two probe questions carry deliberately wrong labels so that every metric of the summary has a
  value other than 0 and 1, worked out by hand below: a metric replaced by a constant fails.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import make_document

from qa.evaluation.gold import evaluate_gold, load_gold
from qa.ingestion.chunking import ChunkSettings
from qa.retrieval.build import IndexSettings, build_index, corpus_fingerprint
from qa.retrieval.retriever import Retriever
from qa.retrieval.store import load_index

SETTINGS = IndexSettings(model="fake/hashed-bow", chunking=ChunkSettings(max_tokens=24, overlap_sentences=0))

DOCUMENTS = [
    make_document("relay", [
        ("Relay", "The Kestrel relay satellite carries a laser terminal for lunar communications. "
                  "Engineers in Toulouse assembled the spacecraft over two years."),
        ("Budget", "Parliament approved eleven million euros for the ground stations of the network. "
                   "The stations sit in Chile, Namibia and Australia."),
    ]),
    make_document("treaty", [
        ("Export controls", "The MTCR limits the spread of missiles and launch technology. "
                            "Export controls shape how partners share space technology under E.O. 13873."),
        ("Debris", "Operators must deorbit retired satellites within five years under the new debris rule. "
                   "Fines apply to every operator that leaves hardware in crowded orbits."),
    ]),
]

CLEAR = [  # (id, question, answer, evidence sentence)
    ("c1", "What does the Kestrel relay satellite carry for lunar communications?", "laser terminal",
     "The Kestrel relay satellite carries a laser terminal for lunar communications."),
    ("c2", "In which countries do the stations sit?", "Chile, Namibia and Australia",
     "The stations sit in Chile, Namibia and Australia."),
    ("c3", "Within how many years must operators deorbit retired satellites under the debris rule?",
     "five years", "Operators must deorbit retired satellites within five years under the new debris rule."),
]
FAR_OFF = ("u1", "Who won the football world cup final?")
# Probe 1: answered with the MTCR sentence (and, by the fitted scorer, the next one), but its gold
# answer is in neither: a miss, whose citation touches the evidence span (the next sentence).
PROBE_MISS = ("p1", "What does the MTCR limit?", "fishing quotas",
              "Export controls shape how partners share space technology under E.O. 13873.")
# Probe 2: labelled unanswerable although the corpus answers it word for word: it will be answered.
PROBE_ANSWERED = ("p2", "How much money did Parliament approve for the ground stations of the network?")


def gold_lines() -> list[dict]:
    rows = [{"id": i, "question": q, "answers": [a], "evidence": [e], "split": "report"} for i, q, a, e in CLEAR]
    rows.append({"id": PROBE_MISS[0], "question": PROBE_MISS[1], "answers": [PROBE_MISS[2]],
                 "evidence": [PROBE_MISS[3]], "split": "report"})
    for qid, question in (FAR_OFF, PROBE_ANSWERED):
        rows.append({"id": qid, "question": question, "answers": [], "evidence": [], "split": "report"})
    return rows


@pytest.fixture
def tiny_run(tmp_path, fake_encoder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for doc in DOCUMENTS:
        (corpus / doc.path).write_text(doc.text, encoding="utf-8")
    build_index(DOCUMENTS, tmp_path / "index", fake_encoder, SETTINGS,
                corpus_fingerprint(corpus, SETTINGS, fake_encoder.name))
    retriever = Retriever(load_index(tmp_path / "index"), fake_encoder)
    gold = tmp_path / "gold.jsonl"
    gold.write_text("\n".join(json.dumps(r) for r in gold_lines()) + "\n", encoding="utf-8")
    return retriever, evaluate_gold(retriever, load_gold(Path(gold)), modes=("bm25", "hybrid"))


def test_clear_questions_are_answered_with_their_sentence(tiny_run):
    retriever, result = tiny_run
    rows = {r.id: r for r in result.rows}
    for qid, _, answer, evidence in CLEAR:
        row = rows[qid]
        assert not row.abstained, f"{qid} was refused"
        assert evidence in row.answer and answer in row.answer, (qid, row.answer)
        assert row.hit and (row.citations, row.relevant_citations) == (1, 1), qid


def test_questions_far_off_the_corpus_are_refused(tiny_run):
    _, result = tiny_run
    row = next(r for r in result.rows if r.id == FAR_OFF[0])
    assert row.abstained and row.answer == "" and row.citations == 0


def test_every_answer_metric_has_its_hand_worked_value(tiny_run):
    _, result = tiny_run
    rows = {r.id: r for r in result.rows}
    # the probes behave as designed (otherwise the figures below mean nothing)
    assert not rows["p1"].abstained and "MTCR limits" in rows["p1"].answer and not rows["p1"].hit
    assert not rows["p2"].abstained and "eleven million euros" in rows["p2"].answer
    a = result.summary["answers"]
    assert a["hit_rate"] == pytest.approx(3 / 4)              # c1, c2, c3 hit; p1 misses
    # c1-c3 cite their evidence; p1's quote is the MTCR sentence alone (the reader's), which misses
    # p1's evidence span, and p2's misses everything: 3 of the 5 citations shown are relevant
    assert a["citation_precision"] == pytest.approx(3 / 5)
    assert a["abstain_precision"] == pytest.approx(1 / 1)     # the one refusal (u1) is right
    assert a["abstain_recall"] == pytest.approx(1 / 2)        # u1 refused, p2 answered
    # calibration over the five answers shown: recomputed from their confidences, bin by bin
    from qa.evaluation.answer_metrics import expected_calibration_error

    shown = [r for r in result.rows if not r.abstained]
    assert len(shown) == 5
    assert a["calibration_error"] == pytest.approx(
        expected_calibration_error([r.confidence for r in shown], [bool(r.hit) for r in shown]))
    assert 0 < a["calibration_error"] < 1


def test_retrieval_finds_every_evidence_passage_first(tiny_run):
    _, result = tiny_run
    for mode, figures in result.summary["modes"].items():
        assert figures["recall@1"] == pytest.approx(1.0), mode
        assert figures["mrr@10"] == pytest.approx(1.0), mode
