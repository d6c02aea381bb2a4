"""(index, query, filters) -> ranked Hits, by BM25, dense embeddings, or both fused.

``Retriever`` is the embedded back end (BM25 matrix + faiss, memory-mapped); the Milvus back end
(``qa.retrieval.milvus_backend``) offers the same methods, which are all the stages above use:
``search``, ``documents``, ``manifest``, ``passage_vectors``, ``sentence_vectors``,
``term_weights``, ``chunks_overlapping``, ``candidate_documents``, ``lexical_chunks``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import numpy as np

from qa.retrieval.dense import dense_top, load_dense, sentence_mixed
from qa.retrieval.encoder import check_query_model
from qa.retrieval.fusion import NORMALISATIONS, fuse_hits
from qa.retrieval.store import IndexData
from qa.retrieval.terms import term_weights
from qa.retrieval.tokenize import tokenize
from qa.tuning import DEFAULT_FUSION, DEFAULT_SCORING
from qa.types import Chunk, Document, Hit, QueryError, SettingsError

MODES = ("bm25", "dense", "hybrid", "rerank")  # rerank: hybrid, then the back end's ``reranker``
FUSIONS = ("rrf", "convex")
MAX_QUERY_CHARS = 2000


@dataclass(frozen=True)
class SearchSettings:
    """How to retrieve. ``depth`` is how many candidates each retriever gives the fusion."""

    mode: str = "hybrid"
    k: int = 10
    fusion: str = DEFAULT_FUSION["fusion"]
    rrf_k: float = DEFAULT_FUSION["rrf_k"]
    dense_weight: float = DEFAULT_FUSION["dense_weight"]
    normalisation: str = DEFAULT_FUSION["normalisation"]
    fill_scores: bool = DEFAULT_FUSION["fill_scores"]
    sentence_weight: float = DEFAULT_SCORING["sentence_weight"]
    depth: int = 100
    doc_ids: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise SettingsError(f"mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        if self.fusion not in FUSIONS:
            raise SettingsError(f"fusion must be one of {', '.join(FUSIONS)}, got {self.fusion!r}")
        if not 1 <= self.k <= 1000:
            raise SettingsError(f"k must be between 1 and 1000, got {self.k}")
        if self.depth < self.k:
            raise SettingsError(f"depth ({self.depth}) must be at least k ({self.k})")
        if self.rrf_k < 0:
            raise SettingsError(f"rrf_k must be >= 0, got {self.rrf_k}")
        if not 0 <= self.dense_weight <= 1:
            raise SettingsError(f"dense_weight must be between 0 and 1, got {self.dense_weight}")
        if self.normalisation not in NORMALISATIONS:
            raise SettingsError(f"normalisation must be one of {', '.join(NORMALISATIONS)}, got {self.normalisation!r}")
        if not 0 <= self.sentence_weight <= 1:
            raise SettingsError(f"sentence_weight must be between 0 and 1, got {self.sentence_weight}")


def reranked_search(backend, query: str, settings: SearchSettings, query_vector=None) -> list[Hit]:
    """Mode "rerank" on any back end: its ``reranker`` searches (the hybrid hits, reordered; see
    qa.answers.rerank, which attaches one: the sentence scorer is a later stage than retrieval).
    Raises SettingsError when the back end has none."""
    reranker = getattr(backend, "reranker", None)
    if reranker is None:
        raise SettingsError("mode 'rerank' needs the sentence scorer: open the index through qa.api "
                            "(or attach one with qa.answers.rerank.attach_reranker)")
    return reranker.search(backend, clean_query(query), settings, query_vector)


def clean_query(query: str) -> str:
    """The query stripped and checked; raises QueryError for an empty or over-long query."""
    if not isinstance(query, str):
        raise QueryError("the query must be text")
    text = "".join(ch if ch.isprintable() or ch in "\t\n" else " " for ch in query)
    text = " ".join(text.split())
    if not text:
        raise QueryError("the query is empty: type a question or some words to search for")
    if not any(ch.isalnum() for ch in text):
        raise QueryError("the query has no letters or digits to search for")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"the query has {len(text)} characters; the limit is {MAX_QUERY_CHARS}")
    return text


@dataclass
class Retriever:
    """An index in memory plus the encoder for queries (loaded on first dense search)."""

    data: IndexData
    encoder: object = None
    reranker: object = None   # mode "rerank" (reranked_search)
    _local: threading.local = field(default_factory=threading.local, init=False, repr=False, compare=False)

    @property
    def last_timings(self) -> dict:
        """The stage timings (ms) of this thread's last search: questions answered side by side
        (``Index.ask_many(workers=...)``) each read their own."""
        return getattr(self._local, "timings", {})

    @last_timings.setter
    def last_timings(self, timings: dict) -> None:
        self._local.timings = timings

    def __post_init__(self) -> None:
        self._dense = load_dense(self.data.dense_path) if self.data.dense_path else None
        self.row_of = {c.chunk_id: i for i, c in enumerate(self.data.chunks)}
        self._doc_of = np.array([c.doc_id for c in self.data.chunks], dtype=object)
        kinds = {d.doc_id: d.kind for d in self.data.documents.values()}
        self._kind_of = np.array([kinds.get(c.doc_id, "") for c in self.data.chunks], dtype=object)
        self._df: np.ndarray | None = None
        self._doc_of_chunk: np.ndarray | None = None
        # plain array views of the memory-mapped vectors (no copy): slicing a numpy.memmap costs
        # several times more than slicing the array it maps, and the answer step slices ten a question
        self._chunk_vectors = np.asarray(self.data.chunk_vectors)
        self._sentence_vectors = np.asarray(self.data.sentence_vectors)
        self._sentence_ptr = np.asarray(self.data.sentence_ptr)
        if self.encoder is not None:
            check_query_model(self.data.manifest, self.encoder)

    def allowed_mask(self, settings: SearchSettings) -> np.ndarray | None:
        """Boolean mask of the chunks the filters allow, or None when nothing is filtered."""
        if not settings.doc_ids and not settings.kinds:
            return None
        mask = np.ones(len(self.data.chunks), dtype=bool)
        if settings.doc_ids:
            mask &= np.isin(self._doc_of, list(settings.doc_ids))
        if settings.kinds:
            mask &= np.isin(self._kind_of, list(settings.kinds))
        return mask

    def _encoder(self):
        if self.encoder is None:  # the index's own model, checked against the files it was built with
            from qa.retrieval.encoder import Encoder

            encoder = Encoder(self.data.manifest.get("model", {}).get("name"))
            check_query_model(self.data.manifest, encoder)
            self.encoder = encoder
        return self.encoder

    def encode(self, query: str) -> np.ndarray:
        """The query's unit embedding (loads the index's model on first use)."""
        return self._encoder().encode_queries([query])[0]

    def encode_many(self, queries: list[str]) -> np.ndarray:
        """Unit embeddings of many queries in batches (one row each)."""
        return self._encoder().encode_queries(queries)

    def search(self, query: str, settings: SearchSettings = SearchSettings(), query_vector: np.ndarray | None = None) -> list[Hit]:
        """The ``settings.k`` best chunks for ``query``; raises QueryError for a bad query."""
        if settings.mode == "rerank":
            return reranked_search(self, query, settings, query_vector)
        query = clean_query(query)
        timings: dict[str, float] = {}
        allowed = self.allowed_mask(settings)
        lexical: list[tuple[int, float]] = []
        semantic: list[tuple[int, float]] = []
        terms = tokenize(query)
        vec = None
        if settings.mode in ("bm25", "hybrid"):
            t = time.perf_counter()
            lexical = self.data.bm25.top(terms, settings.depth, allowed)
            timings["bm25"] = (time.perf_counter() - t) * 1000
        if settings.mode in ("dense", "hybrid"):
            t = time.perf_counter()
            vec = query_vector if query_vector is not None else self.encode(query)
            timings["encode"] = (time.perf_counter() - t) * 1000
            t = time.perf_counter()
            semantic = dense_top(self._dense, self.data.chunk_vectors, vec, settings.depth, allowed)
            if settings.sentence_weight > 0:
                rescored = self._dense_scores(vec, [r for r, _ in semantic], settings.sentence_weight)
                semantic = sorted(rescored.items(), key=lambda item: -item[1])  # stable: ties keep faiss's order
            timings["dense"] = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        filled = None
        if settings.mode == "hybrid" and settings.fusion == "convex" and settings.fill_scores:
            filled = self._missing_scores(lexical, semantic, terms, vec, settings)
        hits = self._fuse(lexical, semantic, settings, filled)
        timings["fuse"] = (time.perf_counter() - t) * 1000
        self.last_timings = timings
        return hits

    # --- what the answer, quote and evaluation stages read --------------------------------------

    @property
    def documents(self) -> dict[str, Document]:
        """The documents by id, each with its cleaned text of record."""
        return self.data.documents

    @property
    def manifest(self) -> dict:
        return self.data.manifest

    def passage_vectors(self, chunks: list[Chunk]) -> np.ndarray:
        """The unit passage vectors of ``chunks``, one row each (float32)."""
        rows = [self.row_of[c.chunk_id] for c in chunks]
        return np.asarray(self._chunk_vectors[rows], dtype=np.float32).reshape(len(rows), -1)

    def sentence_vectors(self, chunks: list[Chunk]) -> list[np.ndarray]:
        """For each chunk, its sentences' unit vectors (rows in the order of ``chunk.sentences``)."""
        out = []
        for c in chunks:
            row = self.row_of[c.chunk_id]
            lo, hi = int(self._sentence_ptr[row]), int(self._sentence_ptr[row + 1])
            out.append(np.asarray(self._sentence_vectors[lo:hi], dtype=np.float32))
        return out

    def term_weights(self, terms) -> dict[str, float]:
        """idf weight of each query term for the answer step (qa.retrieval.terms)."""
        if self._df is None:
            self._df = np.diff(np.asarray(self.data.bm25.weights.indptr))
        vocab, df = self.data.bm25.vocab, self._df
        return term_weights(terms, lambda t: int(df[vocab[t]]) if t in vocab else 0, self.data.bm25.size,
                            int(df.min()) if df.size else None)

    def chunks_overlapping(self, places) -> list[Chunk]:
        """Chunks whose span overlaps one of ``places`` (``(doc_id, start, end)`` triples)."""
        by_doc: dict[str, list[tuple[int, int]]] = {}
        for d, s, e in places:
            by_doc.setdefault(d, []).append((s, e))
        return [c for c in self.data.chunks
                if any(s < c.end and c.start < e for s, e in by_doc.get(c.doc_id, ()))]

    def lexical_chunks(self, terms: list[str], k: int) -> list[Chunk]:
        """The ``k`` chunks BM25 ranks highest for already tokenized ``terms``."""
        return [self.data.chunks[row] for row, _ in self.data.bm25.top(terms, k)]

    def candidate_documents(self, terms: list[str]) -> list[str]:
        """Documents that can hold a quote with these BM25 ``terms``: those whose passages contain
        all of its (up to 8 rarest) terms, from the postings; documents with one passage holding
        them all first. Every document when no term is known."""
        bm25 = self.data.bm25
        rows = sorted({bm25.vocab[t] for t in terms if t in bm25.vocab},
                      key=lambda r: bm25.weights.indptr[r + 1] - bm25.weights.indptr[r])
        if not rows:
            return list(self.data.documents)
        if self._doc_of_chunk is None:
            ids = {d: i for i, d in enumerate(self.data.documents)}
            self._doc_of_chunk = np.array([ids[c.doc_id] for c in self.data.chunks], dtype=np.int64)
        indptr, indices = bm25.weights.indptr, bm25.weights.indices
        chunks = docs = None
        for r in rows[:8]:  # a document holding the quote holds every one of its words
            columns = indices[indptr[r]:indptr[r + 1]]
            chunks = columns if chunks is None else np.intersect1d(chunks, columns, assume_unique=True)
            found = np.unique(self._doc_of_chunk[columns])
            docs = found if docs is None else np.intersect1d(docs, found, assume_unique=True)
            if docs.size <= 1:
                break
        first = list(dict.fromkeys(self._doc_of_chunk[chunks].tolist()))  # within docs: same words
        names = list(self.data.documents)
        return [names[i] for i in first + sorted(set(docs.tolist()) - set(first))]

    def _dense_scores(self, vector: np.ndarray, rows: list[int], sentence_weight: float) -> dict[int, float]:
        """``{row: dense score}`` of passages: their cosine with ``vector``, mixed with their best
        sentence's by ``sentence_weight`` (``qa.retrieval.dense.sentence_mixed``)."""
        if not rows:
            return {}
        passage = np.asarray(self._chunk_vectors[rows] @ vector, dtype=np.float64)
        if sentence_weight == 0:
            return dict(zip(rows, passage.tolist()))
        best = [float((self._sentence_vectors[int(self._sentence_ptr[r]):int(self._sentence_ptr[r + 1])] @ vector).max())
                if self._sentence_ptr[r + 1] > self._sentence_ptr[r] else None for r in rows]
        return {r: sentence_mixed(float(p), b, sentence_weight) for r, p, b in zip(rows, passage, best)}

    def _missing_scores(self, lexical, semantic, terms, vector, settings: SearchSettings) -> tuple[dict, dict]:
        """The scores each list lacks for the other's candidates: (BM25 scores of the dense-only
        passages, dense scores of the BM25-only passages), keyed by chunk id."""
        in_lex, in_dense = {r for r, _ in lexical}, {r for r, _ in semantic}
        only_dense = [r for r, _ in semantic if r not in in_lex]
        only_lex = [r for r, _ in lexical if r not in in_dense]
        chunks = self.data.chunks
        bm25 = self.data.bm25.scores(terms)[only_dense] if only_dense else []
        dense = self._dense_scores(vector, only_lex, settings.sentence_weight)
        return ({chunks[r].chunk_id: float(s) for r, s in zip(only_dense, bm25)},
                {chunks[r].chunk_id: s for r, s in dense.items()})

    def _fuse(self, lexical, semantic, settings: SearchSettings, filled=None) -> list[Hit]:
        chunks = self.data.chunks
        return fuse_hits([(chunks[r], s) for r, s in lexical], [(chunks[r], s) for r, s in semantic], settings, filled)
