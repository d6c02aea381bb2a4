"""The packaged answer model: it loads, fits the code's features, and is what answers use.

Zeroing its weights (or its file) makes these fail: the strong candidate no longer outranks the
heading, the clear question is no longer answered with its sentence and the near miss is no
longer refused.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import make_document
from test_answer_quality import DOCUMENTS, SETTINGS

from qa.answers.answer import AnswerSettings, answer_question
from qa.answers.features import CANDIDATE_FEATURES, QUESTION_FEATURES
from qa.answers.model import MODEL_PATH, load_model, parse_model
from qa.answers.quotes import QuoteFinder
from qa.retrieval.build import build_index, corpus_fingerprint
from qa.retrieval.retriever import Retriever
from qa.retrieval.store import load_index
from qa.types import SettingsError

LINEAR = AnswerSettings(stage="linear")  # this file tests the linear sentence scorer (`--stage linear`)


def test_packaged_model_matches_the_code_and_was_fit():
    row = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    model = parse_model(row)
    assert model.candidate.features == CANDIDATE_FEATURES and model.question.features == QUESTION_FEATURES
    assert 0 < model.threshold < 1 and 1 <= model.passages <= 50
    assert any(abs(w) > 0.05 for w in model.candidate.weights) and any(abs(w) > 0.05 for w in model.question.weights)
    assert row["about"]["fit_on"].startswith("tuning")


def _features(**values) -> np.ndarray:
    return np.array([[values.get(n, 0.0) for n in CANDIDATE_FEATURES]])


def test_model_prefers_a_sentence_that_answers_over_a_heading():
    model = load_model()
    strong = _features(dense=0.7, dense_mean=0.7, passage=0.6, coverage=0.9, rare=1.0, context=0.9, type_found=1.0,
                       rank=1.0, bm25_rank=1.0, dense_rank=1.0, log_words=np.log1p(20), echo=0.3)
    heading = _features(dense=0.5, dense_mean=0.5, passage=0.6, coverage=0.4, rare=0.5, context=0.9, type_missing=1.0,
                        rank=1.0, bm25_rank=1.0, dense_rank=1.0, heading=1.0, log_words=np.log1p(3), echo=1.0,
                        dense_gap=-0.2, coverage_gap=-0.5, rare_gap=-0.5)
    assert model.candidate.logits(strong)[0] > model.candidate.logits(heading)[0] + 1.0


def test_a_broken_model_file_is_refused_with_a_message(tmp_path):
    row = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    row["candidate"]["features"] = row["candidate"]["features"][:-1]
    with pytest.raises(SettingsError, match="fit-answers"):
        parse_model(row)
    with pytest.raises(SettingsError, match="missing"):
        load_model(tmp_path / "nothing.json")


@pytest.fixture
def tiny(tmp_path, fake_encoder):
    docs = DOCUMENTS + [make_document("agency", [
        ("Agency", "The European Space Agency builds launchers and science missions with its member states. "
                   "Its council meets in Paris twice a year."),
    ])]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    build_index(docs, tmp_path / "index", fake_encoder, SETTINGS, corpus_fingerprint(corpus, SETTINGS, fake_encoder.name))
    retriever = Retriever(load_index(tmp_path / "index"), fake_encoder)
    return retriever, QuoteFinder(retriever)


def test_clear_question_is_answered_with_its_sentence_and_short_answer(tiny):
    retriever, finder = tiny
    ans = answer_question(retriever, finder, "Within how many years must operators deorbit retired satellites?", settings=LINEAR)
    assert not ans.abstained and "within five years" in ans.answer.text
    assert ans.answer.short == "five years"
    assert ans.confidence >= LINEAR.abstain_threshold


def test_near_miss_is_refused_and_still_shows_passages(tiny):
    """The corpus speaks of the European Space Agency but gives no budget of it for 2025."""
    retriever, finder = tiny
    ans = answer_question(retriever, finder, "What budget does the European Space Agency have for 2025?", settings=LINEAR)
    assert ans.abstained and ans.answer is None and ans.citations == ()
    assert ans.passages and ans.passages[0].chunk.doc_id == "agency"


def test_near_miss_gets_a_low_confidence_and_its_passages(tiny):
    """Whether or not it is refused, the near miss's quote is given a low probability of answering."""
    retriever, finder = tiny
    ans = answer_question(retriever, finder, "What budget does the European Space Agency have for 2025?", settings=LINEAR)
    assert ans.confidence < 0.5 and ans.passages[0].chunk.doc_id == "agency"
    assert ans.answer is None or ans.answer.short == ""   # no amount in the corpus: no short answer


def test_settings_threshold_overrides_the_models(tiny):
    retriever, finder = tiny
    question = "What budget does the European Space Agency have for 2025?"
    assert not answer_question(retriever, finder, question, settings=AnswerSettings(stage="linear", abstain_threshold=0.0)).abstained
    clear = "Within how many years must operators deorbit retired satellites?"
    assert answer_question(retriever, finder, clear, settings=AnswerSettings(stage="linear", abstain_threshold=1.0)).abstained



def test_a_refusal_never_shows_more_confidence_than_the_answerability(tiny, monkeypatch):
    """"The corpus does not answer this (confidence 0.91)" contradicts itself: a refusal's confidence
    is its closest quote's, capped by the answerability model's probability."""
    import dataclasses

    import qa.answers.answer as answer_module

    retriever, finder = tiny
    real = answer_module.score

    def sure_quote_unlikely_answer(*args, **kwargs):
        return dataclasses.replace(real(*args, **kwargs), confidence=0.91, answerable=0.2)

    monkeypatch.setattr(answer_module, "score", sure_quote_unlikely_answer)
    ans = answer_question(retriever, finder, "Within how many years must operators deorbit retired satellites?", settings=LINEAR)
    assert ans.abstained and ans.confidence == pytest.approx(0.2)
