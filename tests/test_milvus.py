"""The Milvus back end on a real engine (Milvus Lite, in tmp_path) against the embedded back end,
both built from the same tiny corpus with the fake encoder: ranks and scores, filters, Milvus's
own RRF, re-ingestion in place, answers and quotes through it, and stale or foreign state."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import ARTICLE, FACT_SHEET, FRAMEWORK, FakeEncoder
from test_retrieve import SETTINGS, write_corpus

from qa.answers.answer import answer_question
from qa.answers.quotes import QuoteFinder
from qa.retrieval.bm25 import BM25Params
from qa.retrieval.build import build_index, corpus_fingerprint
from qa.retrieval.fields import passage_terms, passage_title
from qa.retrieval.fusion import rrf
from qa.retrieval.milvus_backend import MilvusRetriever, connect
from qa.retrieval.milvus_ingest import build_milvus
from qa.retrieval.milvus_record import load_record
from qa.retrieval.milvus_schema import MilvusTarget
from qa.retrieval.retriever import Retriever, SearchSettings
from qa.retrieval.store import load_index
from qa.retrieval.terms import TermStats
from qa.retrieval.tokenize import tokenize
from qa.types import IndexStateError, QAError

pytest.importorskip("milvus_lite")
QUERY = "space diplomacy partners and the Artemis Accords"


# Milvus Lite scores BM25 with k1 1.5 and b 0.75 whatever its index is given: the embedded index
# compared with it uses the same (the tuned default is IndexSettings().bm25)
SETTINGS = replace(SETTINGS, bm25=BM25Params())


def build_both(root: Path, documents, encoder) -> tuple[Retriever, MilvusRetriever, MilvusTarget]:
    corpus = write_corpus(root / "corpus", documents)
    fingerprint = corpus_fingerprint(corpus, SETTINGS, encoder.name)
    build_index(documents, root / "embedded", encoder, SETTINGS, fingerprint)
    target = MilvusTarget(str(root / "milvus.db"), collection="tiny")
    build_milvus(documents, root / "index", encoder, SETTINGS, fingerprint, target)
    return (Retriever(load_index(root / "embedded"), encoder),
            MilvusRetriever(root / "index", target, encoder), target)


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    documents = [FRAMEWORK, FACT_SHEET, ARTICLE]  # tiny_documents, for a module-scoped build
    return (*build_both(tmp_path_factory.mktemp("milvus"), documents, FakeEncoder()), documents)


def test_same_passages_and_text_of_record(both):
    embedded, milvus, _, documents = both
    assert milvus.manifest["counts"]["chunks"] == len(embedded.data.chunks)
    chunks = milvus.chunks_of([d.doc_id for d in documents])
    assert chunks == embedded.data.chunks
    for c in chunks:
        assert c.text == milvus.documents[c.doc_id].text[c.start:c.end]


def test_single_term_bm25_ranks_as_embedded_with_lucene_idf(both):
    """One query term: both scores are idf * the same tf part, so the ranking is the same and the
    ratio is Milvus's idf log(1 + (N-df+.5)/(df+.5)) over rank-bm25's log((N-df+.5)/(df+.5))."""
    embedded, milvus, _, _ = both
    term = "artemis"
    settings = SearchSettings(mode="bm25", k=10)
    ours, theirs = embedded.search(term, settings), milvus.search(term, settings)
    assert [h.chunk.chunk_id for h in theirs] == [h.chunk.chunk_id for h in ours]
    n, df = len(embedded.data.chunks), len(ours)
    ratio = math.log1p((n - df + 0.5) / (df + 0.5)) / math.log((n - df + 0.5) / (df + 0.5))
    for a, b in zip(ours, theirs):
        assert b.score == pytest.approx(a.score * ratio, rel=1e-4)


@pytest.mark.parametrize("sentence_weight, tolerance", [(0.0, 1e-5), (0.75, 1e-3)])  # Milvus keeps float16 sentences
def test_dense_and_hybrid_as_embedded(both, sentence_weight, tolerance):
    embedded, milvus, _, _ = both
    for mode in ("dense", "hybrid"):
        settings = SearchSettings(mode=mode, k=5, sentence_weight=sentence_weight)
        ours, theirs = embedded.search(QUERY, settings), milvus.search(QUERY, settings)
        assert [h.chunk.chunk_id for h in theirs] == [h.chunk.chunk_id for h in ours]
        for a, b in zip(ours, theirs):
            assert (b.bm25_rank, b.dense_rank) == (a.bm25_rank, a.dense_rank)
            if a.dense_score is not None:
                assert b.dense_score == pytest.approx(a.dense_score, abs=tolerance)


def test_filters_by_document_and_kind(both):
    _, milvus, _, documents = both
    doc = documents[1]
    hits = milvus.search(QUERY, SearchSettings(k=10, doc_ids=(doc.doc_id,)))
    assert hits and {h.chunk.doc_id for h in hits} == {doc.doc_id}
    kind = documents[0].kind
    hits = milvus.search(QUERY, SearchSettings(k=10, kinds=(kind,)))
    assert hits and all(milvus.documents[h.chunk.doc_id].kind == kind for h in hits)
    assert milvus.search(QUERY, SearchSettings(k=10, doc_ids=('no"such\\doc',))) == []


def test_milvus_rrf_ranker_scores_as_client_side_rrf(both):
    _, milvus, _, _ = both
    settings = SearchSettings(mode="hybrid", fusion="rrf", k=5, depth=20, sentence_weight=0.0)  # as Milvus ranks
    vector = milvus.encode(QUERY)
    lexical = [h.chunk.chunk_id for h in milvus.search(QUERY, replace(settings, mode="bm25", k=20))]
    dense = [h.chunk.chunk_id for h in milvus.search(QUERY, replace(settings, mode="dense", k=20))]
    ours = rrf([lexical, dense], settings.rrf_k)
    native = milvus.native_rrf(QUERY, vector, settings)
    assert len(native) == 5
    for chunk_id, score in native:
        assert score == pytest.approx(ours[chunk_id], rel=1e-5)
    assert [s for _, s in native] == pytest.approx(sorted(ours.values(), reverse=True)[:5], rel=1e-5)


def test_vectors_and_term_weights_as_embedded(both):
    embedded, milvus, _, documents = both
    chunks = embedded.data.chunks[:4]
    assert np.allclose(milvus.passage_vectors(chunks), embedded.passage_vectors(chunks), atol=1e-6)
    for a, b in zip(milvus.sentence_vectors(chunks), embedded.sentence_vectors(chunks)):
        assert a.shape == b.shape and np.allclose(a, b, atol=2e-3)  # both float16 on disk
    terms = tokenize(QUERY) + ["zzzunseen"]
    assert milvus.term_weights(terms) == pytest.approx(embedded.term_weights(terms))


def test_answers_and_quotes_through_milvus(both):
    _, milvus, _, documents = both
    finder = QuoteFinder(milvus)
    answer = answer_question(milvus, finder, "Which accords did partners sign?")
    for c in answer.citations:
        assert milvus.documents[c.doc_id].text[c.start:c.end] == c.quote
    doc = documents[0]
    quote = doc.text[10:80]
    matches = finder.find(quote)
    assert any(m.exact and m.doc_id == doc.doc_id and m.start == 10 for m in matches)
    assert all(milvus.documents[m.doc_id].text[m.start:m.end] == m.text for m in matches)


def test_reingest_updates_in_place(tmp_path, tiny_documents):
    encoder = FakeEncoder()
    _, _, target = build_both(tmp_path, tiny_documents, encoder)
    first = len(encoder.encoded)
    text = tiny_documents[0].text
    cut = text.index(" ", 100)  # one word of the second passage changes, lengths and spans stay
    changed = replace(tiny_documents[0], text=text[:cut] + " x" + text[cut + 2:], content_hash="changed")
    documents = [changed, *tiny_documents[2:]]  # the second document is removed
    fingerprint = "second"
    report = build_milvus(documents, tmp_path / "index", encoder, SETTINGS, fingerprint, target)
    assert report.timings["changed_documents"] == 1 and report.timings["removed_documents"] == 1
    assert 0 < report.encoded_chunks < first  # only the changed document's new passages
    build_index(documents, tmp_path / "fresh", encoder, SETTINGS, fingerprint)
    fresh = load_index(tmp_path / "fresh")
    milvus = MilvusRetriever(tmp_path / "index", target, encoder)
    assert milvus.chunks_of([d.doc_id for d in documents]) == fresh.chunks
    assert milvus.chunks_of([tiny_documents[1].doc_id]) == []
    terms = [passage_terms(c.text, passage_title(fresh.documents[c.doc_id], c.section), SETTINGS.title_weight)
             for c in fresh.chunks]  # the title field's terms counted, as BM25 indexes them
    assert load_record(tmp_path / "index").terms == TermStats().updated(added=terms)
    again = build_milvus(documents, tmp_path / "index", encoder, SETTINGS, fingerprint, target)
    assert again.encoded_chunks == 0 and again.timings["changed_documents"] == 0


def test_stale_or_foreign_state_is_refused(tmp_path, tiny_documents):
    encoder = FakeEncoder()
    _, milvus, target = build_both(tmp_path, tiny_documents, encoder)
    with pytest.raises(IndexStateError, match="not 'other'"):
        MilvusRetriever(tmp_path / "index", replace(target, collection="other"), encoder)
    milvus.client.delete(target.collection, ids=[milvus.chunks_of([tiny_documents[0].doc_id])[0].chunk_id])
    with pytest.raises(IndexStateError, match="run `qa ingest --backend milvus`"):
        MilvusRetriever(tmp_path / "index", target, encoder)
    with pytest.raises(IndexStateError, match="no Milvus index record"):
        MilvusRetriever(tmp_path / "nothing", target, encoder)
    client = connect(target)
    client.create_collection("foreign", dimension=4)
    with pytest.raises(QAError, match="not made by qa"):
        build_milvus(tiny_documents, tmp_path / "other-index", encoder, SETTINGS, "f",
                     replace(target, collection="foreign"))
