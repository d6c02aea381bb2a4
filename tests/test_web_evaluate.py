"""The Evaluate page's pieces, fast (fake encoder): progress over every step, the answer-time
measurement it shares with `qa eval`, and the Recall@k chart's numeric k axis."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from test_answer_quality import DOCUMENTS, SETTINGS, gold_lines

import qa.evaluation.gold as gold_module
from qa.evaluation.gold import evaluate_gold, load_gold
from qa.retrieval.build import build_index, corpus_fingerprint
from qa.retrieval.retriever import Retriever
from qa.retrieval.store import load_index
from qa.web.evaluate import answer_rows, progress_text, recall_frame, side_by_side_rows


@pytest.fixture
def tiny(tmp_path, fake_encoder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for doc in DOCUMENTS:
        (corpus / doc.path).write_text(doc.text, encoding="utf-8")
    build_index(DOCUMENTS, tmp_path / "index", fake_encoder, SETTINGS,
                corpus_fingerprint(corpus, SETTINGS, fake_encoder.name))
    gold = tmp_path / "gold.jsonl"
    gold.write_text("\n".join(json.dumps(r) for r in gold_lines()) + "\n", encoding="utf-8")
    return Retriever(load_index(tmp_path / "index"), fake_encoder), load_gold(Path(gold))


def test_progress_counts_every_question(tiny):
    retriever, questions = tiny
    seen = []
    evaluate_gold(retriever, questions, modes=("bm25", "hybrid"), progress=lambda done, total: seen.append((done, total)))
    n = len(questions)
    assert seen == [(i, n) for i in range(1, n + 1)]
    seen.clear()
    evaluate_gold(retriever, questions, modes=("dense",), answers=False, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(i, n) for i in range(1, n + 1)]


def test_progress_text_names_the_steps():
    modes = ["bm25", "dense", "hybrid"]
    assert progress_text(1, 75, modes, True) == "1/75 questions (bm25, dense, hybrid + answers)"
    assert progress_text(75, 75, modes, True) == "75/75 questions (bm25, dense, hybrid + answers)"
    assert progress_text(2, 2, ["hybrid"], False) == "2/2 questions (hybrid)"


def test_answer_time_leaves_out_the_first_call(tiny, monkeypatch):
    """The first answer of a process pays one-off costs; it is made untimed, so neither the page
    nor `qa eval` reports it as a question's answer time."""
    retriever, questions = tiny
    real, calls = gold_module.answer_question, []

    def slow_first(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            time.sleep(0.5)
        return real(*args, **kwargs)

    monkeypatch.setattr(gold_module, "answer_question", slow_first)
    latency = evaluate_gold(retriever, questions, modes=("hybrid",)).summary["latency_ms"]
    assert len(calls) == len(questions) + 1
    assert latency["p95"] < 400 and latency["mean"] < 400
    assert set(latency) == {"mean", "p50", "p95"}


def test_recall_frame_has_a_numeric_k_axis():
    frame = recall_frame({"bm25": {"1": 0.5, "10": 0.9, "20": 1.0, "3": 0.6, "5": 0.7},
                          "hybrid": {1: 0.6, 3: 0.7, 5: 0.8, 10: 0.95, 20: 1.0}})
    assert list(frame.index) == [1, 3, 5, 10, 20] and frame.index.dtype.kind == "i"
    assert frame.loc[10, "bm25"] == 0.9


SUMMARY = {"questions": 10, "answerable": 7, "modes": {"hybrid": {"ndcg@10": 0.91234}, "bm25": {"ndcg@10": 0.5}},
           "answers": {"hit_rate": 0.71428, "abstain_precision": 0.5, "abstain_recall": 1 / 3,
                       "calibration_error": 0.1, "calibration_error_by_chance": 0.08},
           "counts": {"answerable": 7, "paraphrased": 0, "short_answer_expected": 0, "hits_with_pages": 0,
                      "unanswerable": 3, "answers_shown": 8},
           "latency_ms": {"mean": 250.04, "p50": 240.0, "p95": 300.55}}


def test_answer_figures_read_down_with_what_each_is_measured_on():
    # 10 questions, 8 answers shown: 2 refusals; figures absent from the summary are left out
    assert answer_rows(SUMMARY) == [
        {"figure": "hit rate", "value": 0.714, "measured on": "7 answerable questions"},
        {"figure": "abstention precision", "value": 0.5, "measured on": "2 refusals"},
        {"figure": "abstention recall", "value": 0.333, "measured on": "3 unanswerable questions"},
        {"figure": "calibration error", "value": 0.1, "measured on": "8 answers shown"},
        {"figure": "calibration error of a calibrated tool (chance)", "value": 0.08, "measured on": "8 answers shown"},
        {"figure": "answer time p50 (ms)", "value": 240.0, "measured on": "10 questions"},
        {"figure": "answer time mean (ms)", "value": 250.0, "measured on": "10 questions"},
        {"figure": "answer time p95 (ms)", "value": 300.6, "measured on": "10 questions"},
    ]


def test_one_is_said_in_the_singular():
    one = {**SUMMARY, "counts": {**SUMMARY["counts"], "answers_shown": 9}}
    assert answer_rows(one)[1] == {"figure": "abstention precision", "value": 0.5, "measured on": "1 refusal"}


def test_gold_sets_side_by_side_are_columns():
    class Result:
        def __init__(self, summary):
            self.summary = summary

    other = {**SUMMARY, "questions": 4, "modes": {"hybrid": {"ndcg@10": 0.5}}, "answers": {"hit_rate": 0.25}}
    rows = side_by_side_rows({"home": Result(SUMMARY), "real": Result(other)})
    assert rows[:3] == [{"figure": "questions", "home": 10, "real": 4},
                        {"figure": "hybrid ndcg@10", "home": 0.912, "real": 0.5},
                        {"figure": "hit rate", "home": 0.714, "real": 0.25}]
    # a figure only one set has stays in its row, the other set's cell empty
    assert rows[3] == {"figure": "abstention precision", "home": 0.5}
