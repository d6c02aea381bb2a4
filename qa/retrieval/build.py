"""Corpus folder -> index/: load, chunk, embed (reusing unchanged chunks' vectors), BM25, save."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from qa.ingestion.chunking import ChunkSettings, chunk_document
from qa.retrieval.bm25 import BM25Params, build_bm25
from qa.retrieval.dense import HNSW_THRESHOLD, build_dense
from qa.retrieval.encoder import model_record
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


def _previous_vectors(index_dir: Path, model_name: str, settings: IndexSettings,
                      fingerprint: str | None = None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """chunk_id -> (chunk vector, sentence vectors) from an existing index built with the same model
    (name, and files when both fingerprints are known) and settings, else {}."""
    try:
        old = load_index(index_dir)
    except IndexStateError:
        return {}
    m = old.manifest
    if m.get("model", {}).get("name") != model_name or not same_vectors(m.get("settings"), settings):
        return {}
    if fingerprint and m["model"].get("fingerprint") not in (None, fingerprint):
        return {}
    out = {}
    for i, chunk in enumerate(old.chunks):
        lo, hi = int(old.sentence_ptr[i]), int(old.sentence_ptr[i + 1])
        out[chunk.chunk_id] = (np.array(old.chunk_vectors[i]), np.array(old.sentence_vectors[lo:hi], dtype=np.float32))
    return out


def chunk_documents(documents: Iterable[Document], encoder, settings: IndexSettings) -> list[Chunk]:
    """All chunks of all documents, in document order."""
    chunking = settings.chunking
    if chunking.max_tokens > encoder.max_tokens:
        chunking = replace(chunking, max_tokens=encoder.max_tokens)
    chunks: list[Chunk] = []
    for doc in documents:
        if settings.whole_documents:
            from qa.ingestion.chunking import split_sentences

            chunks.append(Chunk(chunk_id=doc.doc_id, doc_id=doc.doc_id, start=0, end=len(doc.text), text=doc.text,
                                sentences=tuple(split_sentences(doc.text))))
        else:
            chunks.extend(chunk_document(doc, encoder.count_tokens, chunking))
    return chunks


def build_index(
    documents: list[Document],
    index_dir: Path,
    encoder,
    settings: IndexSettings,
    fingerprint: str,
    errors: tuple[LoadError, ...] = (),
    progress: Callable[[str, int, int], None] | None = None,
) -> IngestReport:
    """Chunk, embed and index ``documents`` into ``index_dir``; raises QAError if nothing is left."""
    started = time.perf_counter()
    timings = {}
    if not documents:
        raise QAError("no document could be indexed" + (f" ({len(errors)} files failed)" if errors else ""))
    t = time.perf_counter()
    chunks = chunk_documents(documents, encoder, settings)
    timings["chunk"] = time.perf_counter() - t
    if not chunks:
        raise QAError("the documents hold no text to index")
    previous = _previous_vectors(index_dir, encoder.name, settings, getattr(encoder, "fingerprint", None))
    todo = [i for i, c in enumerate(chunks) if c.chunk_id not in previous]
    t = time.perf_counter()
    encoded = encoder.encode_passages(
        [chunks[i].text for i in todo],
        [[(a - chunks[i].start, b - chunks[i].start) for a, b in chunks[i].sentences] for i in todo],
        progress=(lambda n: progress("embedding", n, len(todo))) if progress else None,
    )
    timings["encode"] = time.perf_counter() - t
    t = time.perf_counter()
    fresh = dict(zip(todo, range(len(todo))))
    chunk_vectors = np.zeros((len(chunks), encoder.dim), dtype=np.float32)
    sentence_blocks = []
    for i, chunk in enumerate(chunks):
        if i in fresh:
            chunk_vectors[i] = encoded.passages[fresh[i]]
            sentence_blocks.append(encoded.sentences[fresh[i]])
        else:
            chunk_vectors[i], sents = previous[chunk.chunk_id]
            sentence_blocks.append(sents)
    counts = np.array([len(b) for b in sentence_blocks], dtype=np.int64)
    sentence_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    sentence_vectors = (np.concatenate(sentence_blocks).astype(np.float32) if counts.sum()
                        else np.zeros((0, encoder.dim), dtype=np.float32))
    docs = {d.doc_id: d for d in documents}
    bm25 = build_bm25([passage_terms(c.text, passage_title(docs.get(c.doc_id), c.section), settings.title_weight)
                       for c in chunks], settings.bm25)
    dense = build_dense(chunk_vectors, settings.hnsw_threshold)
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
        "counts": {"documents": len(docs), "chunks": len(chunks), "sentences": int(counts.sum())},
        "dense": {"type": type(dense).__name__},
    }
    timings["index"] = time.perf_counter() - t
    t = time.perf_counter()
    save_index(index_dir, IndexData(manifest=manifest, documents=docs, chunks=chunks, bm25=bm25,
                                    chunk_vectors=chunk_vectors, sentence_vectors=sentence_vectors,
                                    sentence_ptr=sentence_ptr), dense)
    timings["save"] = time.perf_counter() - t
    return IngestReport(
        documents=len(docs), chunks=len(chunks), pages=sum(d.page_count for d in documents),
        reused_chunks=len(chunks) - len(todo), encoded_chunks=len(todo),
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
