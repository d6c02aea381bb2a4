"""Passages reordered by the sentence scorer (qa.answers.rerank), worked out by hand, and the
reader's reading reordered with them (qa.reader.model.Reading.reorder)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qa.answers.rerank import Rerank, attach_reranker, closest_sentences, passage_sentences, rerank_order, reranked
from qa.reader.decode import SpanScore
from qa.reader.model import Reading
from qa.types import Chunk, Hit, SettingsError


def test_closest_sentences_by_hand():
    cos = [np.array([0.2, 0.9]), np.array([0.5]), np.array([0.9, 0.1, 0.6])]
    # 0.9 twice: the earlier passage first; then 0.6, 0.5, 0.2
    assert closest_sentences(cos, 4) == [(0, 1), (2, 0), (2, 2), (1, 0)]
    assert closest_sentences(cos, 100)[-1] == (2, 1) and closest_sentences([], 3) == []


def test_rerank_order_by_hand():
    # logits 1, 3, None, 2.5 with weight 1: 1 - 0 = 1; 3 - log 2 = 2.31; floor 1 - log 3 = -0.10;
    # 2.5 - log 4 = 1.11 -> passages 1, 3, 0, 2
    assert rerank_order([1.0, 3.0, None, 2.5], 1.0) == [1, 3, 0, 2]
    # weight 0: the logits alone (the unscored passage ties passage 0 at the floor, retrieval's order)
    assert rerank_order([1.0, 3.0, None, 2.5], 0.0) == [1, 3, 0, 2]
    # weight 4: 3 - 4 log 2 = 0.23 < 1, 2.5 - 4 log 4 < floor - 4 log 3? -3.05 < -3.39 is false
    assert rerank_order([1.0, 3.0, None, 2.5], 4.0) == [0, 1, 3, 2]
    assert 3.0 - 4 * math.log(2) < 1.0 and 2.5 - 4 * math.log(4) > 1.0 - 4 * math.log(3)
    assert rerank_order([None, None], 1.0) == [0, 1]          # nothing scored: retrieval's order


def test_reranked_scores_only_the_closest_sentences():
    texts = [["a1", "a2"], ["b1"], ["c1", "c2"]]
    cos = [np.array([0.1, 0.2]), np.array([0.8]), np.array([0.7, 0.3])]
    asked = []

    def judge(ts):
        asked.extend(ts)
        return [{"b1": -2.0, "c1": 4.0, "a2": 0.0}[t] for t in ts]

    # two sentences (b1, c1): c1's passage first; the unscored passage 0 counts the floor, b1's -2,
    # and ties with passage 1: retrieval's order
    assert reranked(texts, cos, judge, Rerank(depth=3, sentences=2, weight=0.0)) == [2, 0, 1]
    # a little weight for retrieval's order changes nothing here: 4 - 0.1 log 3 > -2 > -2 - 0.1 log 2
    assert reranked(texts, cos, judge, Rerank(depth=3, sentences=2, weight=0.1)) == [2, 0, 1]
    assert asked == ["b1", "c1", "b1", "c1"]
    # depth 2: only the first two passages count; their closest sentences are b1 (-2) and a2 (0)
    asked.clear()
    assert reranked(texts, cos, judge, Rerank(depth=2, sentences=2, weight=0.0)) == [0, 1]
    assert asked == ["b1", "a2"]


def test_passage_sentences_use_the_sentence_vectors_or_the_passage():
    text = "One here. Two there."
    with_sents = Hit(rank=1, chunk=Chunk("c1", "d", 0, len(text), text, sentences=((0, 9), (10, 20))), score=1.0)
    without = Hit(rank=2, chunk=Chunk("c2", "d", 100, 100 + len(text), text, sentences=()), score=0.5)
    q = np.array([1.0, 0.0], dtype=np.float32)
    sv = [np.array([[0.6, 0.8], [1.0, 0.0]], dtype=np.float32), np.zeros((0, 2), dtype=np.float32)]
    pv = np.array([[0.0, 1.0], [0.8, 0.6]], dtype=np.float32)
    texts, cos = passage_sentences([with_sents, without], sv, pv, q)
    assert texts == [["One here.", "Two there."], [text]]
    assert np.allclose(cos[0], [0.6, 1.0]) and np.allclose(cos[1], [0.8])


def test_rerank_settings_are_checked_and_round_trip():
    r = Rerank(20, 12, 0.5)
    assert Rerank.from_json(r.to_json()) == r and Rerank.from_json(None) == Rerank() and not Rerank().depth
    with pytest.raises(SettingsError, match="rerank"):
        Rerank(10, 0, 1.0)


def test_reading_reorder_by_hand():
    spans = (SpanScore(2, 0, 3, 9.0, 1.0, 2), SpanScore(0, 4, 6, 5.0, 0.5, 0), SpanScore(1, 1, 2, 4.0, 0.2, 1))
    reading = Reading(spans, (0.5, 0.2, 1.0, 0.7), (0, 1, 2, 2))
    again = reading.reorder([2, 0])                # passage 2 read first, passage 1 dropped
    assert again.spans == (SpanScore(0, 0, 3, 9.0, 1.0, 1), SpanScore(1, 4, 6, 5.0, 0.5, 0))
    assert again.nulls == (0.5, 1.0, 0.7) and again.window_passage == (1, 0, 0)
    assert again.nulls_within(1) == [1.0, 0.7]
    assert reading.reorder([0, 1, 2]) == reading


class _WordScorer:
    """A sentence scorer that likes sentences with ``word`` (logit 5) and nothing else (logit 0)."""

    def __init__(self, word: str) -> None:
        self.word, self.asked = word, []

    def score(self, question, sentences):
        self.asked += sentences
        return np.array([5.0 if self.word in s else 0.0 for s in sentences], dtype=np.float32)


def test_retrieval_mode_rerank_puts_the_passage_the_scorer_likes_first(tmp_path, tiny_documents, fake_encoder,
                                                                      monkeypatch):
    """attach_reranker gives a back end mode "rerank": hybrid, then the sentence scorer's order
    (weight 0: the logits alone); the scorer judges at most ``sentences`` sentences."""
    import qa.answers.rerank as rerank_module
    from qa.retrieval.retriever import Retriever, SearchSettings
    from qa.retrieval.store import load_index
    from test_retrieve import build

    build(tmp_path, tiny_documents, fake_encoder)
    retriever = attach_reranker(Retriever(load_index(tmp_path / "index"), fake_encoder), Rerank(10, 50, 0.0))
    scorer = _WordScorer("MTCR")
    monkeypatch.setattr(rerank_module, "load_scorer", lambda path="": scorer)
    question = "How do allies and partners work on space policy?"
    hybrid = retriever.search(question, SearchSettings(mode="hybrid", k=10))
    hits = retriever.search(question, SearchSettings(mode="rerank", k=3))
    assert "MTCR" in hits[0].chunk.text and "MTCR" not in hybrid[0].chunk.text
    assert len(hits) == 3 and {h.chunk.chunk_id for h in hits} <= {h.chunk.chunk_id for h in hybrid}
    assert [h.rank for h in hits] == [1, 2, 3] and "rerank" in retriever.last_timings
    assert scorer.asked and len(scorer.asked) <= 50
    few = attach_reranker(retriever, Rerank(10, 1, 0.0))
    scorer.asked = []
    few.search(question, SearchSettings(mode="rerank", k=3))
    assert len(scorer.asked) == 1


def test_the_reranker_needs_a_depth():
    with pytest.raises(SettingsError, match="depth"):
        attach_reranker(type("Backend", (), {})(), Rerank())


def test_ensure_reranker_keeps_one_already_attached_and_the_page_offers_every_mode():
    from qa.answers.rerank import ensure_reranker
    from qa.retrieval.retriever import MODES
    from qa.web.evaluate import MODES as PAGE_MODES

    backend = attach_reranker(type("Backend", (), {})(), Rerank(5, 3, 1.0))
    assert ensure_reranker(backend).reranker.rerank == Rerank(5, 3, 1.0)
    bare = ensure_reranker(type("Backend", (), {"reranker": None})())
    assert bare.reranker.depth == 20                      # qa.tuning.DEFAULT_RERANK
    assert PAGE_MODES == MODES
