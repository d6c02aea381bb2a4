"""(index, query, filters) -> ranked Hits, by BM25, dense embeddings, or both fused."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from qa.retrieval.dense import dense_top, load_dense
from qa.retrieval.fusion import convex, min_max, ranked, rrf
from qa.retrieval.store import IndexData
from qa.retrieval.tokenize import tokenize
from qa.tuning import DEFAULT_FUSION
from qa.types import Hit, QueryError, SettingsError

MODES = ("bm25", "dense", "hybrid")
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
    last_timings: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._dense = load_dense(self.data.dense_path) if self.data.dense_path else None
        self.row_of = {c.chunk_id: i for i, c in enumerate(self.data.chunks)}
        self._doc_of = np.array([c.doc_id for c in self.data.chunks], dtype=object)
        kinds = {d.doc_id: d.kind for d in self.data.documents.values()}
        self._kind_of = np.array([kinds.get(c.doc_id, "") for c in self.data.chunks], dtype=object)

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
        if self.encoder is None:
            from qa.retrieval.encoder import Encoder

            self.encoder = Encoder(self.data.manifest.get("model", {}).get("name"))
        return self.encoder

    def encode(self, query: str) -> np.ndarray:
        """The query's unit embedding (loads the index's model on first use)."""
        return self._encoder().encode_queries([query])[0]

    def encode_many(self, queries: list[str]) -> np.ndarray:
        """Unit embeddings of many queries in batches (one row each)."""
        return self._encoder().encode_queries(queries)

    def search(self, query: str, settings: SearchSettings = SearchSettings(), query_vector: np.ndarray | None = None) -> list[Hit]:
        """The ``settings.k`` best chunks for ``query``; raises QueryError for a bad query."""
        query = clean_query(query)
        timings: dict[str, float] = {}
        allowed = self.allowed_mask(settings)
        lexical: list[tuple[int, float]] = []
        semantic: list[tuple[int, float]] = []
        if settings.mode in ("bm25", "hybrid"):
            t = time.perf_counter()
            lexical = self.data.bm25.top(tokenize(query), settings.depth, allowed)
            timings["bm25"] = (time.perf_counter() - t) * 1000
        if settings.mode in ("dense", "hybrid"):
            t = time.perf_counter()
            vec = query_vector if query_vector is not None else self.encode(query)
            timings["encode"] = (time.perf_counter() - t) * 1000
            t = time.perf_counter()
            semantic = dense_top(self._dense, self.data.chunk_vectors, vec, settings.depth, allowed)
            timings["dense"] = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        hits = self._fuse(lexical, semantic, settings)
        timings["fuse"] = (time.perf_counter() - t) * 1000
        self.last_timings = timings
        return hits

    def _fuse(self, lexical, semantic, settings: SearchSettings) -> list[Hit]:
        bm25_rank = {row: (r, s) for r, (row, s) in enumerate(lexical, start=1)}
        dense_rank = {row: (r, s) for r, (row, s) in enumerate(semantic, start=1)}
        if settings.mode == "bm25":
            scores = dict(lexical)
        elif settings.mode == "dense":
            scores = dict(semantic)
        elif settings.fusion == "rrf":
            scores = rrf([[row for row, _ in lexical], [row for row, _ in semantic]], settings.rrf_k)
        else:
            scores = convex(min_max(dict(lexical)), min_max(dict(semantic)), settings.dense_weight)
        hits = []
        for rank, (row, score) in enumerate(ranked(scores)[: settings.k], start=1):
            b = bm25_rank.get(row, (None, None))
            d = dense_rank.get(row, (None, None))
            hits.append(Hit(rank=rank, chunk=self.data.chunks[row], score=float(score),
                            bm25_rank=b[0], bm25_score=b[1], dense_rank=d[0], dense_score=d[1]))
        return hits
