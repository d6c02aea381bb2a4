"""Candidate and question features: hand-worked values on a tiny passage."""

from __future__ import annotations

import numpy as np
import pytest

from qa.answers.features import (
    CANDIDATE_FEATURES,
    QUESTION_FEATURES,
    Candidate,
    QueryTerms,
    candidates,
    coverage,
    echo,
    question_constants,
    question_features,
    share,
)
from qa.types import Chunk, Document, Hit, Span

TEXT = "Budget. The agency spent $40 million on radar in 2024. Radar tracks debris in deep space."


def test_coverage_share_and_echo_by_hand():
    weights = {"radar": 3.0, "budget": 1.0}
    assert coverage(weights, {"radar", "other"}) == pytest.approx(0.75)
    assert coverage({}, {"radar"}) == 0.0
    assert share(("radar", "budget"), {"budget"}) == pytest.approx(0.5)
    assert share((), {"budget"}) == 0.0
    assert echo({"radar"}, ["radar", "spent", "radar", "agency"]) == pytest.approx(0.5)
    assert echo({"radar"}, []) == 1.0


def test_query_terms_keep_the_two_rarest():
    terms = QueryTerms.of({"a": 1.0, "b": 3.0, "c": 2.0})
    assert terms.rarest == ("b", "c")


def _passage():
    sentences = ((0, 7), (8, 53), (54, len(TEXT)))
    assert [TEXT[a:b] for a, b in sentences][0] == "Budget."
    doc = Document("d", TEXT, "D", "d.txt", captions=(Span(54, len(TEXT), "figure"),))
    chunk = Chunk("c1", "d", 0, len(TEXT), TEXT, sentences=sentences)
    hit = Hit(rank=1, chunk=chunk, score=1.0, bm25_rank=2, dense_rank=None)
    vectors = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]], dtype=np.float32)
    return doc, hit, vectors


def test_candidate_features_by_hand():
    doc, hit, vectors = _passage()
    question = "How much did the agency spend on radar?"
    terms = QueryTerms({"agenc": 1.0, "spend": 1.0, "radar": 2.0}, ("radar", "agenc"))
    qvec = np.array([0.6, 0.8], dtype=np.float32)
    cands = candidates(question, terms, {"d": doc}, [hit], [vectors], np.array([[0.0, 1.0]]), qvec)
    assert [(c.start, c.end) for c in cands] == [(0, 7), (0, 53), (8, 53), (8, len(TEXT)), (54, len(TEXT))]
    f = dict(zip(CANDIDATE_FEATURES, cands[2].features))   # "The agency spent $40 million on radar in 2024."
    assert f["dense"] == pytest.approx(1.0) and f["passage"] == pytest.approx(0.8)
    assert f["coverage"] == pytest.approx(3 / 4)   # agenc + radar of agenc, spend (stems differ: spent), radar
    assert f["rare"] == pytest.approx(1.0) and f["type_found"] == 1.0 and f["type_missing"] == 0.0
    assert (f["rank"], f["bm25_rank"], f["dense_rank"]) == (1.0, 0.5, 0.0)
    assert (f["heading"], f["caption"], f["pair"], f["long"]) == (0.0, 0.0, 0.0, 0.0)
    assert f["log_words"] == pytest.approx(np.log1p(9))
    heading = dict(zip(CANDIDATE_FEATURES, cands[0].features))
    assert heading["heading"] == 1.0 and heading["type_missing"] == 1.0 and heading["dense"] == pytest.approx(0.6)
    last = dict(zip(CANDIDATE_FEATURES, cands[4].features))
    assert last["caption"] == 1.0
    pair = dict(zip(CANDIDATE_FEATURES, cands[3].features))
    assert pair["pair"] == 1.0 and pair["dense_mean"] == pytest.approx(0.9)


def test_question_features_by_hand():
    doc, hit, vectors = _passage()
    terms = QueryTerms({"radar": 2.0, "budget": 1.0, "esa": 3.0}, ("esa", "radar"))
    constants = question_constants("What budget does ESA have?", terms, [hit], np.array([[0.0, 1.0]]),
                                   np.array([0.6, 0.8]))
    assert constants == pytest.approx((0.5, 1.0, 0.8))   # esa is in no passage; an amount is wanted
    idx = CANDIDATE_FEATURES.index
    base = [0.0] * len(CANDIDATE_FEATURES)
    a, b = list(base), list(base)
    a[idx("coverage")], a[idx("rare")], a[idx("type_found")] = 0.4, 0.5, 1.0
    cands = [Candidate("d", 0, 5, 0, tuple(a)), Candidate("d", 6, 9, 0, tuple(b)), Candidate("e", 0, 5, 1, tuple(b))]
    q = dict(zip(QUESTION_FEATURES, question_features(0, np.array([2.0, 1.5, 0.5]), cands, constants)))
    assert q["best_logit"] == 2.0 and q["margin"] == pytest.approx(1.5)   # over the other passage's best
    assert (q["typed_logit"], q["type_absent"], q["off_topic"]) == (2.0, 0.0, 0.0)   # typed, on topic
    assert (q["best_dense"], q["typed_rare"]) == (0.0, 0.5)   # the typed candidate holds one rare term of two
    assert (q["coverage"], q["rare"], q["rare_top"], q["type_wanted"], q["type_found"], q["topic"]) == \
        pytest.approx((0.4, 0.5, 0.5, 1.0, 1.0, 0.8))
