"""Corpus folder -> index/: load, chunk, embed (reusing unchanged chunks' vectors), BM25, save."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from collections.abc import Mapping
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from qa.ingestion.chunking import ChunkSettings, chunk_document, split_sentences
from qa.retrieval.bm25 import BM25Params, build_bm25
from qa.retrieval.dense import HNSW_THRESHOLD, build_dense
from qa.retrieval.encoder import model_record
from qa.retrieval.passage_vectors import encode_chunks
from qa.retrieval.store import (
    SCHEMA_VERSION,
    IndexData,
    load_index,
    read_manifest,
    save_index,
)
from qa.retrieval.fields import passage_terms, passage_title
from qa.tuning import DEFAULT_BM25, DEFAULT_TITLE_WEIGHT
from qa.types import Chunk, Document, IndexStateError, LoadError, QAError, SettingsError
from qa.version import __version__


@dataclass(frozen=True)
class IndexSettings:
    """Everything that changes what an index holds; recorded in the manifest."""

    model: str = ""
    chunking: ChunkSettings = ChunkSettings()
    bm25: BM25Params = BM25Params(**DEFAULT_BM25)  # tuned; BM25Params() itself keeps rank-bm25's defaults
    hnsw_threshold: int = HNSW_THRESHOLD
    whole_documents: bool = False  # one chunk per document (BEIR), cut to the model's window
    title_weight: int = DEFAULT_TITLE_WEIGHT  # times a passage's title field joins its BM25 terms (qa.retrieval.fields)

    def __post_init__(self) -> None:
        if isinstance(self.title_weight, bool) or not isinstance(self.title_weight, int) or self.title_weight < 0:
            raise SettingsError(f"title_weight must be a whole number >= 0, got {self.title_weight!r}")

    def describe(self) -> dict:
        out = {"chunking": asdict(self.chunking), "bm25": asdict(self.bm25),
               "hnsw_threshold": self.hnsw_threshold, "whole_documents": self.whole_documents}
        if self.title_weight:  # absent when 0, so indexes made before the title field stay fresh
            out["title_weight"] = self.title_weight
        return out


LEXICAL_SETTINGS = ("bm25", "title_weight")  # change the BM25 terms and weights, not the vectors


def same_vectors(recorded: dict | None, settings: IndexSettings) -> bool:
    """Whether an index built with ``recorded`` settings (a manifest's) holds the vectors
    ``settings`` would encode: all but the BM25 settings agree."""
    def vector_part(d: dict) -> dict:
        return {k: v for k, v in d.items() if k not in LEXICAL_SETTINGS}

    return isinstance(recorded, dict) and vector_part(recorded) == vector_part(settings.describe())


@dataclass(frozen=True)
class IngestReport:
    """What ``ingest`` did; ``errors`` are the files that could not be indexed."""

    documents: int
    chunks: int
    pages: int
    reused_chunks: int
    encoded_chunks: int
    seconds: float
    errors: tuple[LoadError, ...] = ()
    timings: dict = field(default_factory=dict, compare=False)


def corpus_files(corpus_dir: Path) -> list[Path]:
    """Every visible regular file in ``corpus_dir`` and its ``.qaignore`` (what the fingerprint
    covers, as load_corpus reads)."""
    if not corpus_dir.is_dir():
        raise QAError(f"corpus folder {corpus_dir} does not exist")
    return sorted(p for p in corpus_dir.iterdir() if p.is_file() and (not p.name.startswith(".") or p.name == ".qaignore"))


@lru_cache(maxsize=1)
def ingestion_code_digest() -> str:
    """A hash of the code that turns files into text of record, passages and BM25 terms (the
    modules of qa.ingestion, the tokenizer and the passage fields): an index made by other cleaning
    rules is stale."""
    import qa.ingestion
    import qa.retrieval.fields
    import qa.retrieval.tokenize

    h = hashlib.sha256()
    for path in sorted(Path(qa.ingestion.__file__).parent.glob("*.py")) + [Path(qa.retrieval.tokenize.__file__),
                                                                           Path(qa.retrieval.fields.__file__)]:
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def corpus_fingerprint(corpus_dir: Path, settings: IndexSettings, model_name: str) -> str:
    """A hash of the corpus files' names and bytes, the settings, the model, this qa's version and
    its ingestion code."""
    h = hashlib.sha256()
    h.update(json.dumps([SCHEMA_VERSION, __version__, ingestion_code_digest(), model_name, settings.describe()],
                        sort_keys=True).encode())
    for path in corpus_files(corpus_dir):
        h.update(str(path.relative_to(corpus_dir)).encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def index_status(corpus_dir: Path, index_dir: Path, settings: IndexSettings, model_name: str) -> str:
    """"fresh", or a sentence saying why the index must be (re)built."""
    try:
        manifest = read_manifest(index_dir)
    except IndexStateError as exc:
        return str(exc)
    if manifest.get("corpus", {}).get("fingerprint") != corpus_fingerprint(corpus_dir, settings, model_name):
        return f"index at {index_dir} is stale: the corpus, settings, model, qa version or ingestion code changed"
    return "fresh"


class PreviousVectors(Mapping):
    """chunk_id -> (chunk vector, sentence vectors as float32) of an existing index, read from its
    memory-mapped arrays when asked for: reusing an index's vectors does not load them all."""

    def __init__(self, data: IndexData | None = None) -> None:
        self._rows = {c.chunk_id: i for i, c in enumerate(data.chunks)} if data is not None else {}
        if data is not None:  # the arrays only: the old texts need not stay in memory
            self._arrays = (data.chunk_vectors, data.sentence_vectors, data.sentence_ptr)

    def __getitem__(self, chunk_id: str) -> tuple[np.ndarray, np.ndarray]:
        i = self._rows[chunk_id]
        chunk_vectors, sentence_vectors, ptr = self._arrays
        lo, hi = int(ptr[i]), int(ptr[i + 1])
        return np.array(chunk_vectors[i]), np.array(sentence_vectors[lo:hi], dtype=np.float32)

    def __iter__(self):
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)


def _previous_vectors(index_dir: Path, model_name: str, settings: IndexSettings,
                      fingerprint: str | None = None) -> PreviousVectors:
    """chunk_id -> (chunk vector, sentence vectors) from an existing index built with the same model
    (name, and files when both fingerprints are known) and settings, else an empty mapping."""
    try:
        old = load_index(index_dir)
    except IndexStateError:
        return PreviousVectors()
    m = old.manifest
    if m.get("model", {}).get("name") != model_name or not same_vectors(m.get("settings"), settings):
        return PreviousVectors()
    if fingerprint and m["model"].get("fingerprint") not in (None, fingerprint):
        return PreviousVectors()
    return PreviousVectors(old)


def chunk_documents(documents: Iterable[Document], encoder, settings: IndexSettings) -> list[Chunk]:
    """All chunks of all documents, in document order."""
    return [c for doc in documents for c in document_chunks(doc, encoder, settings)]


def document_chunks(doc: Document, encoder, settings: IndexSettings) -> list[Chunk]:
    """The chunks of one document: one per document (cut to the model's window when encoded) with
    ``settings.whole_documents``, else ``chunk_document``'s, at most the model's window each."""
    if settings.whole_documents:
        return [Chunk(chunk_id=doc.doc_id, doc_id=doc.doc_id, start=0, end=len(doc.text), text=doc.text,
                      sentences=tuple(split_sentences(doc.text)))]
    chunking = settings.chunking
    if chunking.max_tokens > encoder.max_tokens:
        chunking = replace(chunking, max_tokens=encoder.max_tokens)
    return chunk_document(doc, encoder.count_tokens, chunking)


def build_index(
    documents: Iterable[Document],
    index_dir: Path,
    encoder,
    settings: IndexSettings,
    fingerprint: str,
    errors: tuple[LoadError, ...] = (),
    progress: Callable[[str, int, int], None] | None = None,
) -> IngestReport:
    """Chunk, embed and index ``documents`` into ``index_dir``; raises QAError if nothing is left.

    ``documents`` may be a generator (``qa eval --beir`` reads its corpus one line at a time): it is
    read once, and what is kept is one copy of the texts (documents and their chunks), the vectors
    in arrays of their final size (``qa.retrieval.passage_vectors``) and BM25's postings in compact
    arrays (``build_bm25`` takes the passages' terms one at a time). ``timings`` holds the seconds
    of each stage: chunk (with the reading of a generator's documents), encode, bm25, dense (the
    faiss index) and save.
    """
    started = time.perf_counter()
    timings = {}
    previous = _previous_vectors(index_dir, encoder.name, settings, getattr(encoder, "fingerprint", None))
    t = time.perf_counter()
    documents = list(documents)
    chunks = [c for doc in documents for c in document_chunks(doc, encoder, settings)]
    timings["chunk"] = time.perf_counter() - t
    if not documents:
        raise QAError("no document could be indexed" + (f" ({len(errors)} files failed)" if errors else ""))
    if not chunks:
        raise QAError("the documents hold no text to index")
    t = time.perf_counter()
    vectors = encode_chunks(chunks, encoder, previous,
                            progress=(lambda n, total: progress("embedding", n, total)) if progress else None)
    del previous
    timings["encode"] = time.perf_counter() - t
    t = time.perf_counter()
    docs = {d.doc_id: d for d in documents}
    terms = (passage_terms(c.text, passage_title(docs.get(c.doc_id), c.section), settings.title_weight) for c in chunks)
    bm25 = build_bm25(terms, settings.bm25)  # one passage's terms at a time
    timings["bm25"] = time.perf_counter() - t
    t = time.perf_counter()
    dense = build_dense(vectors.passages, settings.hnsw_threshold)
    timings["dense"] = time.perf_counter() - t
    t = time.perf_counter()
    per_doc = {d: 0 for d in docs}
    for c in chunks:
        per_doc[c.doc_id] += 1
    manifest = {
        "model": model_record(encoder),
        "settings": settings.describe(),
        "corpus": {
            "fingerprint": fingerprint,
            "documents": [{"doc_id": d.doc_id, "path": d.path, "content_hash": d.content_hash,
                           "chunks": per_doc[d.doc_id], "pages": d.page_count} for d in documents],
            "errors": [str(e) for e in errors],
        },
        "counts": {"documents": len(docs), "chunks": len(chunks), "sentences": int(vectors.sentence_ptr[-1])},
        "dense": {"type": type(dense).__name__},
    }
    save_index(index_dir, IndexData(manifest=manifest, documents=docs, chunks=chunks, bm25=bm25,
                                    chunk_vectors=vectors.passages, sentence_vectors=vectors.sentences,
                                    sentence_ptr=vectors.sentence_ptr), dense)
    timings["save"] = time.perf_counter() - t
    return IngestReport(
        documents=len(docs), chunks=len(chunks), pages=sum(d.page_count for d in documents),
        reused_chunks=len(chunks) - vectors.encoded, encoded_chunks=vectors.encoded,
        seconds=time.perf_counter() - started, errors=tuple(errors), timings=timings,
    )


def ingest(corpus_dir: Path, index_dir: Path, encoder, settings: IndexSettings = IndexSettings(),
           progress: Callable[[str, int, int], None] | None = None) -> IngestReport:
    """Load every file of ``corpus_dir`` and (re)build ``index_dir``. Bad files are reported in
    ``errors``; raises QAError only when no document at all could be indexed."""
    from qa.ingestion.loaders import load_corpus

    started = time.perf_counter()
    fingerprint = corpus_fingerprint(corpus_dir, settings, encoder.name)
    t = time.perf_counter()
    documents, errors = load_corpus(corpus_dir)
    load_seconds = time.perf_counter() - t
    report = build_index(documents, index_dir, encoder, settings, fingerprint, tuple(errors), progress)
    timings = dict(report.timings, load=load_seconds)
    return replace(report, seconds=time.perf_counter() - started, timings=timings)
