"""Retrieval over an index built with a fake encoder: modes, fusion by hand, filters, queries,
freshness of the index and reuse of chunk vectors across builds."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import FACT_SHEET, FakeEncoder, hashed_vector

from qa.ingestion.chunking import ChunkSettings
from qa.retrieval.bm25 import BM25Params
from qa.retrieval.build import (
    IndexSettings,
    build_index,
    corpus_fingerprint,
    index_status,
)
from qa.retrieval.dense import sentence_mixed
from qa.retrieval.fusion import min_max
from qa.retrieval.retriever import (
    MAX_QUERY_CHARS,
    Retriever,
    SearchSettings,
    clean_query,
    fuse_hits,
)
from qa.retrieval.store import load_index
from qa.retrieval.tokenize import tokenize
from qa.types import Chunk, QAError, QueryError, SettingsError

SETTINGS = IndexSettings(model="fake/hashed-bow", chunking=ChunkSettings(max_tokens=20, overlap_sentences=1))
QUERY = "space diplomacy partners and the Artemis Accords"


def write_corpus(folder: Path, documents) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for doc in documents:
        (folder / doc.path).write_text(doc.text, encoding="utf-8")
    return folder


def build(tmp_path: Path, documents, encoder, settings: IndexSettings = SETTINGS):
    corpus = write_corpus(tmp_path / "corpus", documents)
    fingerprint = corpus_fingerprint(corpus, settings, encoder.name)
    return build_index(documents, tmp_path / "index", encoder, settings, fingerprint)


@pytest.fixture
def retriever(tmp_path, tiny_documents, fake_encoder) -> Retriever:
    build(tmp_path, tiny_documents, fake_encoder)
    return Retriever(load_index(tmp_path / "index"), fake_encoder)


def test_index_holds_every_document(retriever, tiny_documents):
    chunks = retriever.data.chunks
    assert {c.doc_id for c in chunks} == {d.doc_id for d in tiny_documents}
    assert len(chunks) >= 6
    for c in chunks:
        assert c.text == retriever.data.documents[c.doc_id].text[c.start:c.end]


def test_bm25_mode_ranks_by_bm25(retriever):
    hits = retriever.search(QUERY, SearchSettings(mode="bm25", k=5))
    expected = retriever.data.bm25.top(tokenize(QUERY), 5)
    assert [(h.chunk, h.score) for h in hits] == [(retriever.data.chunks[i], s) for i, s in expected]
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    assert all(h.dense_rank is None and h.dense_score is None for h in hits)
    assert [h.bm25_rank for h in hits] == list(range(1, len(hits) + 1))


def test_dense_mode_ranks_by_cosine(retriever):
    hits = retriever.search(QUERY, SearchSettings(mode="dense", k=4, sentence_weight=0.0))
    q = hashed_vector(QUERY, 64)
    cosines = retriever.data.chunk_vectors @ q
    expected = np.argsort(-cosines, kind="stable")[:4]
    assert [retriever.row_of[h.chunk.chunk_id] for h in hits] == list(expected)
    for h in hits:
        assert h.score == pytest.approx(cosines[retriever.row_of[h.chunk.chunk_id]], abs=1e-6)
        assert h.bm25_rank is None
    assert [h.dense_rank for h in hits] == [1, 2, 3, 4]


def test_given_query_vector_is_used(retriever):
    chunk = retriever.data.chunks[2]
    hits = retriever.search("anything", SearchSettings(mode="dense", k=1),
                            query_vector=retriever.data.chunk_vectors[2])
    assert hits[0].chunk == chunk


@pytest.mark.parametrize("rrf_k", [60.0, 0.0, 5.0])
def test_hybrid_rrf_scores_equal_hand_computed_values(retriever, rrf_k):
    hits = retriever.search(QUERY, SearchSettings(mode="hybrid", fusion="rrf", rrf_k=rrf_k, k=10, depth=100))
    assert hits
    for h in hits:
        assert h.bm25_rank is not None or h.dense_rank is not None
        expected = (1 / (rrf_k + h.bm25_rank) if h.bm25_rank else 0.0) + (1 / (rrf_k + h.dense_rank) if h.dense_rank else 0.0)
        assert h.score == expected
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert any(h.bm25_rank and h.dense_rank for h in hits)


def test_hybrid_hit_ranks_agree_with_each_retriever(retriever):
    settings = SearchSettings(mode="hybrid", fusion="rrf", k=10)
    hybrid = retriever.search(QUERY, settings)
    lexical = retriever.search(QUERY, replace(settings, mode="bm25", k=10))
    semantic = retriever.search(QUERY, replace(settings, mode="dense", k=10))
    bm25_rank = {h.chunk.chunk_id: (h.rank, h.score) for h in lexical}
    dense_rank = {h.chunk.chunk_id: (h.rank, h.score) for h in semantic}
    for h in hybrid:
        assert (h.bm25_rank, h.bm25_score) == bm25_rank.get(h.chunk.chunk_id, (None, None))
        assert (h.dense_rank, h.dense_score) == dense_rank.get(h.chunk.chunk_id, (None, None))


def test_hybrid_convex_scores_equal_hand_computed_values(retriever):
    settings = SearchSettings(mode="hybrid", fusion="convex", dense_weight=0.4, k=10, depth=100, sentence_weight=0.0)
    hits = retriever.search(QUERY, settings)
    lexical = min_max(dict(retriever.data.bm25.top(tokenize(QUERY), 100)))
    cosines = retriever.data.chunk_vectors @ hashed_vector(QUERY, 64)
    semantic = min_max({i: float(c) for i, c in enumerate(cosines)})  # depth >= chunks: all of them
    for h in hits:
        row = retriever.row_of[h.chunk.chunk_id]
        assert h.score == pytest.approx(0.6 * lexical.get(row, 0.0) + 0.4 * semantic[row], abs=1e-6)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_k_limits_the_hits(retriever):
    assert len(retriever.search(QUERY, SearchSettings(k=3))) == 3
    assert len(retriever.search(QUERY, SearchSettings(k=1000, depth=1000))) == len(retriever.data.chunks)


def test_doc_ids_filter(retriever):
    hits = retriever.search(QUERY, SearchSettings(doc_ids=("article",), k=10))
    assert hits and {h.chunk.doc_id for h in hits} == {"article"}
    both = retriever.search(QUERY, SearchSettings(doc_ids=("article", "framework"), k=10, mode="dense"))
    assert {h.chunk.doc_id for h in both} == {"article", "framework"}


def test_kinds_filter(retriever):
    for mode in ("bm25", "dense", "hybrid"):
        hits = retriever.search("Artemis Accords signatories", SearchSettings(mode=mode, kinds=("fact sheet",)))
        assert hits and {h.chunk.doc_id for h in hits} == {"fact-sheet"}


def test_filters_that_exclude_everything_give_no_hits(retriever):
    settings = SearchSettings(doc_ids=("article",), kinds=("framework",))
    assert retriever.search(QUERY, settings) == []
    assert retriever.search(QUERY, SearchSettings(doc_ids=("no-such-doc",), mode="dense")) == []


def test_allowed_mask(retriever):
    assert retriever.allowed_mask(SearchSettings()) is None
    mask = retriever.allowed_mask(SearchSettings(kinds=("article",)))
    assert mask.tolist() == [c.doc_id == "article" for c in retriever.data.chunks]


def test_search_cleans_the_query(retriever):
    messy = "  space\x00 diplomacy\x07\n partners  "
    settings = SearchSettings(mode="bm25")
    assert retriever.search(messy, settings) == retriever.search("space diplomacy partners", settings)


@pytest.mark.parametrize("query", ["", "   \n\t ", "?!", "\x00\x01", "x" * 10_000, 42])
def test_bad_queries_raise_query_error(retriever, query):
    with pytest.raises(QueryError):
        retriever.search(query)


def test_clean_query():
    assert clean_query("  What   is\tSPD-5?\n") == "What is SPD-5?"
    assert clean_query("a\x00b\x07c\x1bd") == "a b c d"
    assert clean_query("x" * MAX_QUERY_CHARS) == "x" * MAX_QUERY_CHARS
    with pytest.raises(QueryError, match="empty"):
        clean_query("   ")
    with pytest.raises(QueryError, match="limit"):
        clean_query("word " * 2000)
    with pytest.raises(QueryError, match="letters or digits"):
        clean_query("... ?")
    assert issubclass(QueryError, QAError)


@pytest.mark.parametrize(
    "kwargs, message",
    [({"mode": "sparse"}, "mode"), ({"fusion": "max"}, "fusion"), ({"k": 0}, "k must be"),
     ({"k": 1001, "depth": 2000}, "k must be"), ({"k": 20, "depth": 10}, "depth"), ({"rrf_k": -1}, "rrf_k"),
     ({"dense_weight": 1.5}, "dense_weight"), ({"dense_weight": -0.1}, "dense_weight")],
)
def test_search_settings_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SearchSettings(**kwargs)


def test_timings_are_recorded(retriever):
    retriever.search(QUERY, SearchSettings(mode="hybrid"))
    assert {"bm25", "encode", "dense", "fuse"} <= set(retriever.last_timings)


# -- freshness and reuse --------------------------------------------------------------------------

def test_index_status_fresh_then_stale(tmp_path, tiny_documents, fake_encoder):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    assert "qa ingest" in index_status(write_corpus(corpus, tiny_documents), index, SETTINGS, fake_encoder.name)
    build(tmp_path, tiny_documents, fake_encoder)
    assert index_status(corpus, index, SETTINGS, fake_encoder.name) == "fresh"
    other = replace(SETTINGS, bm25=BM25Params(k1=1.2))
    assert "stale" in index_status(corpus, index, other, fake_encoder.name)
    assert "stale" in index_status(corpus, index, SETTINGS, "another/model")
    path = corpus / tiny_documents[0].path
    path.write_text(path.read_text(encoding="utf-8") + " One more sentence.", encoding="utf-8")
    assert "stale" in index_status(corpus, index, SETTINGS, fake_encoder.name)


def test_changed_cleaning_code_makes_the_index_stale(tmp_path, tiny_documents, fake_encoder, monkeypatch):
    """An index whose text was made by other cleaning rules is rebuilt, not trusted."""
    import qa.retrieval.build as build_module

    build(tmp_path, tiny_documents, fake_encoder)
    assert index_status(tmp_path / "corpus", tmp_path / "index", SETTINGS, fake_encoder.name) == "fresh"
    monkeypatch.setattr(build_module, "ingestion_code_digest", lambda: "other rules")
    assert "ingestion code" in index_status(tmp_path / "corpus", tmp_path / "index", SETTINGS, fake_encoder.name)


def test_new_corpus_file_makes_the_index_stale(tmp_path, tiny_documents, fake_encoder):
    build(tmp_path, tiny_documents, fake_encoder)
    (tmp_path / "corpus" / "new.txt").write_text("A new document.", encoding="utf-8")
    assert "stale" in index_status(tmp_path / "corpus", tmp_path / "index", SETTINGS, fake_encoder.name)


def test_rebuild_reuses_every_chunk_vector(tmp_path, tiny_documents):
    first_encoder = FakeEncoder()
    first = build(tmp_path, tiny_documents, first_encoder)
    assert first.reused_chunks == 0 and first.encoded_chunks == first.chunks
    before = load_index(tmp_path / "index", mmap=False)
    encoder = FakeEncoder()
    second = build(tmp_path, tiny_documents, encoder)
    assert second.reused_chunks == second.chunks == first.chunks
    assert second.encoded_chunks == 0 and encoder.encoded == []
    after = load_index(tmp_path / "index", mmap=False)
    assert after.chunks == before.chunks
    np.testing.assert_array_equal(after.chunk_vectors, before.chunk_vectors)
    np.testing.assert_array_equal(after.sentence_vectors, before.sentence_vectors)
    np.testing.assert_array_equal(after.sentence_ptr, before.sentence_ptr)


def test_changing_one_document_reencodes_only_its_chunks(tmp_path, tiny_documents):
    build(tmp_path, tiny_documents, FakeEncoder())
    changed = replace(FACT_SHEET, text=FACT_SHEET.text.replace("Other nations joined", "Many nations joined"))
    assert changed.text != FACT_SHEET.text
    documents = [changed if d.doc_id == "fact-sheet" else d for d in tiny_documents]
    encoder = FakeEncoder()
    report = build(tmp_path, documents, encoder)
    data = load_index(tmp_path / "index", mmap=False)
    fact_sheet_texts = {c.text for c in data.chunks if c.doc_id == "fact-sheet"}
    others = sum(c.doc_id != "fact-sheet" for c in data.chunks)
    assert 1 <= report.encoded_chunks <= len(fact_sheet_texts)
    assert set(encoder.encoded) <= fact_sheet_texts
    assert report.reused_chunks >= others
    assert report.reused_chunks + report.encoded_chunks == report.chunks
    # Reused and fresh vectors alike are what the encoder gives for each chunk.
    expected = np.stack([hashed_vector(c.text, 64) for c in data.chunks])
    np.testing.assert_allclose(data.chunk_vectors, expected, atol=1e-6)
    for i, c in enumerate(data.chunks):
        lo, hi = data.sentence_ptr[i], data.sentence_ptr[i + 1]
        assert hi - lo == len(c.sentences)
        want = np.stack([hashed_vector(data.documents[c.doc_id].text[a:b], 64) for a, b in c.sentences])
        np.testing.assert_allclose(data.sentence_vectors[lo:hi], want, atol=2e-3)


def test_other_settings_reencode_everything(tmp_path, tiny_documents):
    build(tmp_path, tiny_documents, FakeEncoder())
    other = replace(SETTINGS, chunking=ChunkSettings(max_tokens=24, overlap_sentences=1))
    report = build(tmp_path, tiny_documents, FakeEncoder(), other)
    assert report.reused_chunks == 0 and report.encoded_chunks == report.chunks


@pytest.mark.parametrize("lexical", [{"bm25": BM25Params(k1=1.0)}, {"title_weight": 0}])
def test_bm25_settings_keep_every_vector(tmp_path, tiny_documents, lexical):
    build(tmp_path, tiny_documents, FakeEncoder())
    encoder = FakeEncoder()
    report = build(tmp_path, tiny_documents, encoder, replace(SETTINGS, **lexical))
    assert report.encoded_chunks == 0 and encoder.encoded == []
    assert load_index(tmp_path / "index").manifest["settings"] == replace(SETTINGS, **lexical).describe()


def test_other_model_reencodes_everything(tmp_path, tiny_documents):
    build(tmp_path, tiny_documents, FakeEncoder())
    report = build(tmp_path, tiny_documents, FakeEncoder(name="fake/other"))
    assert report.reused_chunks == 0


def test_build_without_documents_is_refused(tmp_path, fake_encoder):
    with pytest.raises(QAError, match="no document"):
        build_index([], tmp_path / "index", fake_encoder, SETTINGS, "fp")


# --- fusion on both scores, z-scores, sentence scores and the title field (issue 22) ----------

def _chunk(cid: str) -> Chunk:
    return Chunk(chunk_id=cid, doc_id="d", start=0, end=1, text="x")


def test_fuse_hits_fills_missing_scores_and_z_scores_by_hand():
    c1, c2, c3 = _chunk("c1"), _chunk("c2"), _chunk("c3")
    lexical, semantic = [(c1, 3.0), (c2, 1.0)], [(c3, 0.9), (c1, 0.5)]
    filled = ({"c3": 2.0}, {"c2": 0.1})  # c3's BM25 score, c2's cosine
    settings = SearchSettings(fusion="convex", normalisation="zscore", fill_scores=True, dense_weight=0.4)
    hits = fuse_hits(lexical, semantic, settings, filled)
    z = 1 / math.sqrt(2 / 3)  # lexical 3, 1, 2 and dense 0.5, 0.1, 0.9 are both mean +- one step
    assert [h.chunk.chunk_id for h in hits] == ["c1", "c3", "c2"]
    assert [h.score for h in hits] == pytest.approx([0.6 * z + 0.4 * 0.0, 0.6 * 0.0 + 0.4 * z, -z])
    assert (hits[2].bm25_rank, hits[2].dense_rank) == (2, None)  # a filled score is no rank


def test_fuse_hits_without_fill_puts_a_missing_passage_at_the_bottom_of_each_scale():
    c1, c2, c3 = _chunk("c1"), _chunk("c2"), _chunk("c3")
    lexical, semantic = [(c1, 3.0), (c2, 1.0)], [(c3, 0.9), (c1, 0.5)]
    minmax = fuse_hits(lexical, semantic, SearchSettings(normalisation="minmax", dense_weight=0.4))
    assert {h.chunk.chunk_id: h.score for h in minmax} == pytest.approx({"c1": 0.6, "c3": 0.4, "c2": 0.0})
    z = fuse_hits(lexical, semantic, SearchSettings(normalisation="zscore", dense_weight=0.4))
    # two scores each: z = +1 and -1; the side a passage lacks counts its lowest z, -1
    assert {h.chunk.chunk_id: h.score for h in z} == pytest.approx({"c1": 0.6 - 0.4, "c3": -0.6 + 0.4, "c2": -1.0})


def test_sentence_mixed_by_hand():
    assert sentence_mixed(0.5, 0.9, 0.75) == pytest.approx(0.25 * 0.5 + 0.75 * 0.9)
    assert sentence_mixed(0.5, None, 0.75) == 0.5
    assert sentence_mixed(0.5, 0.9, 0.0) == 0.5


def test_dense_scores_mix_in_the_best_sentence(retriever):
    vector = hashed_vector(QUERY, 64)
    hits = retriever.search(QUERY, SearchSettings(mode="dense", k=100, depth=100, sentence_weight=0.75))
    assert len(hits) == len(retriever.data.chunks)
    for h in hits:
        row = retriever.row_of[h.chunk.chunk_id]
        lo, hi = retriever.data.sentence_ptr[row], retriever.data.sentence_ptr[row + 1]
        best = float((retriever.data.sentence_vectors[lo:hi] @ vector).max())
        passage = float(retriever.data.chunk_vectors[row] @ vector)
        assert h.score == pytest.approx(0.25 * passage + 0.75 * best, abs=1e-6)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_hybrid_fill_scores_fuses_both_scores_of_every_candidate(tmp_path, tiny_documents, fake_encoder):
    build(tmp_path, tiny_documents, fake_encoder, replace(SETTINGS, title_weight=0))
    retriever = Retriever(load_index(tmp_path / "index"), fake_encoder)
    depth, query = 2, "export controls and satellite broadband"
    settings = SearchSettings(mode="hybrid", fusion="convex", normalisation="minmax", fill_scores=True,
                              dense_weight=0.4, k=depth, depth=depth, sentence_weight=0.0)
    hits = retriever.search(query, settings)
    vector = hashed_vector(query, 64)
    lexical = [r for r, _ in retriever.data.bm25.top(tokenize(query), depth)]
    cosines = retriever.data.chunk_vectors @ vector
    dense = list(np.argsort(-cosines, kind="stable")[:depth])
    union = list(dict.fromkeys([*lexical, *map(int, dense)]))
    bm25 = retriever.data.bm25.scores(tokenize(query))
    lex = min_max({r: float(bm25[r]) for r in union})
    den = min_max({r: float(cosines[r]) for r in union})
    expected = {r: 0.6 * lex[r] + 0.4 * den[r] for r in union}
    assert len(union) > depth  # the lists differ, so something was filled
    for h in hits:
        assert h.score == pytest.approx(expected[retriever.row_of[h.chunk.chunk_id]], abs=1e-6)
    assert [h.score for h in hits] == pytest.approx(sorted(expected.values(), reverse=True)[:depth], abs=1e-6)


def test_title_field_gives_every_passage_its_document_title_terms(tmp_path, tiny_documents, fake_encoder):
    build(tmp_path, tiny_documents, fake_encoder, replace(SETTINGS, title_weight=2))
    data = load_index(tmp_path / "index")
    doc, term = next((d, t) for d in tiny_documents for t in tokenize(d.title)  # "Fact Sheet": fact, sheet
                     if not any(t in tokenize(c.text) for c in data.chunks))
    found = {data.chunks[r].doc_id for r, _ in data.bm25.top([term], 100)}
    assert doc.doc_id in found
    assert all(c.doc_id in found for c in data.chunks if c.doc_id == doc.doc_id)


def test_index_settings_validation_and_description():
    assert SETTINGS.describe()["title_weight"] == 2 == IndexSettings().title_weight  # the tuned default
    assert "title_weight" not in replace(SETTINGS, title_weight=0).describe()  # as indexes made before it
    for bad in (-1, 1.5, True):
        with pytest.raises(SettingsError, match="title_weight"):
            replace(SETTINGS, title_weight=bad)


def test_rerank_mode_without_a_reranker_is_a_clear_error(retriever):
    with pytest.raises(SettingsError, match="rerank.*sentence scorer"):
        retriever.search("space policy", SearchSettings(mode="rerank"))
