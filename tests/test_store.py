"""Save/load of index/: round trips through tmp_path, damage detection, atomic generations, no pickle."""

from __future__ import annotations

import json
import re
from pathlib import Path

import faiss
import numpy as np
import pytest

from qa.retrieval.bm25 import BM25Params, build_bm25
from qa.retrieval.dense import build_dense
from qa.retrieval.store import (
    MANIFEST,
    SCHEMA_VERSION,
    IndexData,
    _manifest_checksum,
    load_index,
    read_manifest,
    save_index,
)
from qa.retrieval.tokenize import tokenize
from qa.types import Chunk, Document, IndexStateError, Link, Span

QA_SOURCES = Path(__file__).resolve().parent.parent / "qa"
DIM = 8


def small_index(seed: int = 0) -> tuple[IndexData, object]:
    """Two documents with spans and links, four chunks, BM25, random unit vectors, a flat faiss index."""
    a_text = "Space diplomacy matters. The U.S. leads it.\n\nPartners join the Artemis Accords."
    b_text = "Ein Satz über Raumfahrt — “quoted” text. $469 billion in 2021."
    docs = {
        "a": Document(doc_id="a", text=a_text, title="Doc A", path="a.txt", kind="framework", publisher="State",
                      date="2023-05-30", url="https://example.org/a", content_hash="h-a",
                      pages=(Span(0, 44, "1"), Span(44, len(a_text), "2")),
                      sections=(Span(0, 45, "Intro"), Span(45, len(a_text), "Intro > Accords")),
                      footnotes=(), links=(Link(49, 57, "https://example.org/partners"),)),
        "b": Document(doc_id="b", text=b_text, title="Doc B", path="b.md", kind="article", source_format="md",
                      pages=(Span(0, len(b_text), ""),), sections=(Span(0, len(b_text), "Überblick"),),
                      footnotes=(Span(41, len(b_text), "fn"),)),
    }
    pieces = [("a", 0, 24), ("a", 25, 43), ("a", 45, len(a_text)), ("b", 0, len(b_text))]
    chunks = []
    for n, (doc_id, start, end) in enumerate(pieces):
        text = docs[doc_id].text[start:end]
        chunks.append(Chunk(chunk_id=f"{doc_id}:{n:016x}", doc_id=doc_id, start=start, end=end, text=text,
                            pages=docs[doc_id].pages_between(start, end), section=docs[doc_id].section_at(start),
                            sentences=((start, end),) if n != 3 else ((0, 40), (41, end))))
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(len(chunks), DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    sentence_ptr = np.array([0, 1, 2, 3, 5], dtype=np.int64)
    sentence_vectors = rng.normal(size=(5, DIM)).astype(np.float32)
    bm25 = build_bm25([tokenize(c.text) for c in chunks], BM25Params(k1=1.2, b=0.7, epsilon=0.3))
    data = IndexData(manifest={"model": {"name": "fake", "dim": DIM}, "settings": {"x": 1}},
                     documents=docs, chunks=chunks, bm25=bm25, chunk_vectors=vectors,
                     sentence_vectors=sentence_vectors, sentence_ptr=sentence_ptr)
    return data, build_dense(vectors)


@pytest.fixture
def saved(tmp_path) -> tuple[Path, IndexData]:
    data, dense = small_index()
    save_index(tmp_path / "index", data, dense)
    return tmp_path / "index", data


def generation(root: Path) -> Path:
    return root / read_manifest(root)["generation"]


def test_round_trip(saved):
    root, data = saved
    loaded = load_index(root)
    assert loaded.documents == data.documents
    assert list(loaded.documents) == list(data.documents)
    assert loaded.chunks == data.chunks
    np.testing.assert_array_equal(loaded.chunk_vectors, data.chunk_vectors)
    np.testing.assert_allclose(loaded.sentence_vectors, data.sentence_vectors, atol=2e-3)  # stored as float16
    assert loaded.sentence_vectors.dtype == np.float16
    np.testing.assert_array_equal(loaded.sentence_ptr, data.sentence_ptr)
    assert loaded.bm25.vocab == data.bm25.vocab
    assert loaded.bm25.params == data.bm25.params
    for query in (["space"], ["u.s", "accord"], tokenize("$469 billion"), ["missing"]):
        np.testing.assert_array_equal(loaded.bm25.scores(query), data.bm25.scores(query))
        assert loaded.bm25.top(query, 3) == data.bm25.top(query, 3)
    assert loaded.manifest["model"] == {"name": "fake", "dim": DIM}
    assert loaded.manifest["schema_version"] == SCHEMA_VERSION
    assert loaded.dense_path == generation(root) / "dense.faiss"


def test_round_trip_without_mmap_and_faiss_file(saved):
    root, data = saved
    loaded = load_index(root, mmap=False)
    np.testing.assert_array_equal(loaded.chunk_vectors, data.chunk_vectors)
    index = faiss.read_index(str(loaded.dense_path))
    assert index.ntotal == len(data.chunks)
    scores, ids = index.search(data.chunk_vectors[:1], 1)
    assert ids[0][0] == 0 and scores[0][0] == pytest.approx(1.0, abs=1e-5)


def test_manifest_describes_itself(saved):
    root, _ = saved
    manifest = read_manifest(root)
    assert manifest["bm25"] == {"k1": 1.2, "b": 0.7, "epsilon": 0.3, "terms": len(load_index(root).bm25.vocab)}
    assert "numpy" in manifest["libraries"] and "qa_version" in manifest
    gen = generation(root)
    assert manifest["files"] == {f.name: f.stat().st_size for f in sorted(gen.iterdir())}


def test_edited_manifest_is_refused(saved):
    root, _ = saved
    path = root / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["model"]["name"] = "other-model"
    path.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    with pytest.raises(IndexStateError, match="qa ingest"):
        load_index(root)
    with pytest.raises(IndexStateError, match="checksum"):
        read_manifest(root)


def test_unreadable_manifest_is_refused(saved):
    root, _ = saved
    (root / MANIFEST).write_text("{not json", encoding="utf-8")
    with pytest.raises(IndexStateError, match="qa ingest"):
        load_index(root)


def test_wrong_schema_version_is_refused(saved):
    root, _ = saved
    path = root / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["schema_version"] = SCHEMA_VERSION + 1
    manifest["checksum"] = _manifest_checksum(manifest)  # a consistent manifest from another qa
    path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexStateError, match=r"schema version .*qa ingest"):
        load_index(root)


def test_truncated_array_is_refused(saved):
    root, _ = saved
    f = generation(root) / "chunk_vectors.npy"
    f.write_bytes(f.read_bytes()[:-7])
    with pytest.raises(IndexStateError, match=r"chunk_vectors\.npy.*truncated.*qa ingest"):
        load_index(root)


@pytest.mark.parametrize("name", ["sentence_ptr.npy", "chunks.jsonl", "dense.faiss", "bm25_vocab.json"])
def test_missing_file_is_refused(saved, name):
    root, _ = saved
    (generation(root) / name).unlink()
    with pytest.raises(IndexStateError, match=re.escape(name) + r".*missing.*qa ingest"):
        load_index(root)


def test_missing_index_is_refused(tmp_path):
    with pytest.raises(IndexStateError, match="qa ingest"):
        load_index(tmp_path / "nowhere")


def test_same_size_damage_to_an_array_header_is_refused(saved):
    root, _ = saved
    f = generation(root) / "bm25_indptr.npy"
    raw = bytearray(f.read_bytes())
    raw[:6] = b"XXXXXX"  # no longer a .npy magic string
    f.write_bytes(bytes(raw))
    with pytest.raises(IndexStateError, match="damaged"):
        load_index(root)


def test_object_array_planted_in_the_index_is_not_unpickled(saved):
    root, _ = saved
    f = generation(root) / "sentence_ptr.npy"
    size = f.stat().st_size
    np.save(f, np.array([{"evil": 1}] * 5, dtype=object), allow_pickle=True)
    raw = f.read_bytes()[:size].ljust(size, b" ")  # keep the recorded size
    f.write_bytes(raw)
    with pytest.raises(IndexStateError):
        load_index(root)


def test_no_pickle_in_the_package_sources():
    for path in QA_SOURCES.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(import|from)\s+(c?pickle|joblib|dill|shelve|marshal)\b", source, re.M), path
        assert "allow_pickle=True" not in source, path
        for call in re.findall(r"np\.load\([^)]*\)", source):
            assert "allow_pickle=False" in call, (path, call)


def test_second_save_switches_generation_and_third_removes_the_oldest(tmp_path):
    root = tmp_path / "index"
    data, dense = small_index(0)
    first = save_index(root, data, dense)
    data2, dense2 = small_index(1)
    second = save_index(root, data2, dense2)
    assert first != second and second.is_dir()
    assert read_manifest(root)["generation"] == second.name
    np.testing.assert_array_equal(load_index(root).chunk_vectors, data2.chunk_vectors)
    # The previous generation is kept once, for readers that were opening it.
    assert first.is_dir()
    data3, dense3 = small_index(2)
    third = save_index(root, data3, dense3)
    assert not first.exists()
    assert sorted(p.name for p in root.glob("gen-*")) == sorted([second.name, third.name])
    np.testing.assert_array_equal(load_index(root).chunk_vectors, data3.chunk_vectors)


def test_save_that_fails_midway_leaves_the_previous_index(tmp_path, monkeypatch):
    root = tmp_path / "index"
    data, dense = small_index(0)
    save_index(root, data, dense)
    before = (root / MANIFEST).read_text(encoding="utf-8")
    folders = sorted(p.name for p in root.iterdir())

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(faiss, "write_index", broken)
    data2, dense2 = small_index(1)
    with pytest.raises(OSError, match="disk full"):
        save_index(root, data2, dense2)
    assert (root / MANIFEST).read_text(encoding="utf-8") == before
    assert sorted(p.name for p in root.iterdir()) == folders  # the half-written folder is gone
    loaded = load_index(root)
    np.testing.assert_array_equal(loaded.chunk_vectors, data.chunk_vectors)
    assert loaded.chunks == data.chunks


def test_leftover_tmp_folder_is_removed_by_the_next_save(tmp_path):
    root = tmp_path / "index"
    data, dense = small_index(0)
    save_index(root, data, dense)
    (root / "gen-19700101-000000-1-abcdef.tmp").mkdir()
    save_index(root, data, dense)
    assert not list(root.glob("*.tmp"))
