"""qa.retrieval.passage_vectors and the streaming ingest: vectors encoded a window at a time into
arrays of their final size, documents read from a generator, a BEIR corpus read line by line —
each gives the very index the earlier all-at-once build gave."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from conftest import FakeEncoder

from qa.evaluation.beir import load_beir
from qa.evaluation.beir_run import beir_documents, beir_fingerprint, beir_settings, build_beir_index
from qa.ingestion.chunking import ChunkSettings
from qa.retrieval.build import IndexSettings, build_index, chunk_documents
from qa.retrieval.passage_vectors import encode_chunks, sentence_pointers
from qa.retrieval.store import read_manifest
from qa.types import QAError

SETTINGS = IndexSettings(model="fake/hashed-bow", chunking=ChunkSettings(max_tokens=20, overlap_sentences=1))
SENTENCES = ["Alpha particles cross the membrane.", "Beta blockers lower the heart rate in most patients.",
             "Gamma rays were measured twice.", "The cohort held 120 adults.", "Results differ by site."]


def index_files(index_dir: Path) -> dict[str, str]:
    """sha256 of every file of the index's current generation, and of its manifest's content
    (less what differs between any two builds: generation, time, file list order)."""
    manifest = read_manifest(index_dir)
    gen = index_dir / manifest["generation"]
    out = {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in sorted(gen.iterdir())}
    kept = {k: v for k, v in manifest.items() if k not in ("generation", "created", "checksum")}
    out["manifest"] = hashlib.sha256(json.dumps(kept, sort_keys=True).encode()).hexdigest()
    return out


class BatchRecorder(FakeEncoder):
    """Sorts each call's passages by length and cuts them into batches, as the real encoders do,
    and records each batch's texts."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[tuple[str, ...]] = []

    def encode_passages(self, texts, sentence_spans, batch_size=32, progress=None):
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        self.batches += [tuple(texts[i] for i in order[lo:lo + batch_size]) for lo in range(0, len(order), batch_size)]
        return super().encode_passages(texts, sentence_spans, batch_size, progress)


def many_documents(n: int) -> list:
    from conftest import make_document

    return [make_document(f"doc-{i}", [("Part", " ".join(SENTENCES[(i + k) % 5] for k in range(i % 7 + 1)))])
            for i in range(n)]


def test_windows_encode_the_batches_of_one_call():
    """Windows are slices of the corpus sorted by length, a whole number of batches long: each
    forward pass sees the passages it saw when everything was encoded in one call."""
    chunks = chunk_documents(many_documents(150), FakeEncoder(), SETTINGS)
    assert len(chunks) > 3 * 32
    one_call, windowed = BatchRecorder(), BatchRecorder()
    whole = encode_chunks(chunks, one_call, window=32 * 100)
    part = encode_chunks(chunks, windowed, window=32)
    assert len(one_call.batches) > 3 and windowed.batches == one_call.batches
    assert part.passages.tobytes() == whole.passages.tobytes()
    assert part.sentences.tobytes() == whole.sentences.tobytes()
    assert whole.passages.dtype == np.float32 and whole.sentences.dtype == np.float16
    assert whole.sentence_ptr.tolist() == sentence_pointers(chunks).tolist()
    assert whole.sentence_ptr[-1] == sum(len(c.sentences) for c in chunks) == len(whole.sentences)
    with pytest.raises(ValueError, match="multiple of 32"):
        encode_chunks(chunks, FakeEncoder(), window=40)


def test_previous_vectors_are_taken_and_the_rest_encoded(tiny_documents):
    chunks = chunk_documents(tiny_documents, FakeEncoder(), SETTINGS)
    first = encode_chunks(chunks, FakeEncoder())
    ptr = first.sentence_ptr
    kept = {c.chunk_id: (first.passages[i], first.sentences[ptr[i]:ptr[i + 1]].astype(np.float32))
            for i, c in enumerate(chunks) if i % 2}
    encoder = FakeEncoder()
    again = encode_chunks(chunks, encoder, kept, window=32)
    assert again.encoded == len(chunks) - len(kept) == len(encoder.encoded)
    assert again.sentences.tobytes() == first.sentences.tobytes()
    assert again.passages.tobytes() == first.passages.tobytes()


def test_an_encoder_that_loses_sentences_is_named(tiny_documents):
    class Short(FakeEncoder):
        def encode_passages(self, texts, sentence_spans, batch_size=32, progress=None):
            return super().encode_passages(texts, [spans[:-1] for spans in sentence_spans], batch_size, progress)

    chunks = chunk_documents(tiny_documents, FakeEncoder(), SETTINGS)
    with pytest.raises(QAError, match="sentence vectors for passage"):
        encode_chunks(chunks, Short())


def test_progress_counts_every_encoded_passage(tiny_documents):
    chunks = chunk_documents(tiny_documents, FakeEncoder(), SETTINGS)
    calls = []
    encode_chunks(chunks, FakeEncoder(), window=32, progress=lambda n, total: calls.append((n, total)))
    assert sum(n for n, _ in calls) == len(chunks) and {t for _, t in calls} == {len(chunks)}


def test_a_generator_of_documents_builds_the_index_a_list_builds(tmp_path, tiny_documents):
    build_index(list(tiny_documents), tmp_path / "from-list", FakeEncoder(), SETTINGS, "fp")
    report = build_index((d for d in tiny_documents), tmp_path / "from-generator", FakeEncoder(), SETTINGS, "fp")
    assert index_files(tmp_path / "from-list") == index_files(tmp_path / "from-generator")
    assert set(report.timings) == {"chunk", "encode", "bm25", "dense", "save"}


def test_an_empty_generator_is_refused(tmp_path):
    with pytest.raises(QAError, match="no document could be indexed"):
        build_index((d for d in []), tmp_path / "index", FakeEncoder(), SETTINGS, "fp")


@pytest.fixture
def beir_corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "beir"
    (folder / "qrels").mkdir(parents=True)
    rows = [{"_id": f"d{i}", "title": f"Study {i} of {SENTENCES[i % 5].split()[0]}",
             "text": " ".join(SENTENCES[(i + k) % 5] for k in range(i % 4 + 1))} for i in range(12)]
    rows.append({"_id": "empty", "title": "", "text": ""})  # neither title nor text: skipped
    rows.append({"_id": 42, "title": "Only a title", "text": ""})
    (folder / "corpus.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (folder / "queries.jsonl").write_text('{"_id": "q1", "text": "beta blockers"}\n', encoding="utf-8")
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\n", encoding="utf-8")
    return folder


def test_a_beir_corpus_read_line_by_line_gives_the_index_of_the_loaded_corpus(tmp_path, beir_corpus):
    """The index ``qa eval --beir`` builds now (corpus.jsonl streamed) against the one it built before
    (the whole corpus loaded by load_beir, then documents made from it)."""
    encoder = FakeEncoder()
    settings = beir_settings(encoder)
    documents = list(beir_documents(load_beir(beir_corpus, "test").corpus.items()))
    build_index(documents, tmp_path / "loaded", encoder, settings, beir_fingerprint(beir_corpus, settings, encoder.name))
    calls = []
    report = build_beir_index(beir_corpus, tmp_path / "streamed", FakeEncoder(),
                              progress=lambda stage, n, total: calls.append((stage, n, total)))
    assert index_files(tmp_path / "loaded") == index_files(tmp_path / "streamed")
    assert report.documents == report.chunks == 13
    assert ("reading documents", 14, 14) in calls  # every line read, the empty entry too


def test_beir_documents_are_made_one_at_a_time(beir_corpus):
    from qa.evaluation.beir import read_corpus

    made = beir_documents(read_corpus(beir_corpus))
    first = next(made)
    assert (first.doc_id, first.text.split("\n\n")[0]) == ("d0", "Study 0 of Alpha")
    assert [d.doc_id for d in made][-1] == "42"
