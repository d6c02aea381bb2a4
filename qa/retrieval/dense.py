"""Dense retrieval over unit-length passage embeddings with faiss (inner product = cosine).

Exact search (``IndexFlatIP``) up to ``HNSW_THRESHOLD`` passages; above it an HNSW graph, whose
recall@10 against exact search ``qa bench`` measures. A filtered search (some documents or kinds
only) scores the allowed passages exactly with one matrix product instead.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

HNSW_THRESHOLD = 50_000
HNSW_M = 32
HNSW_EF_SEARCH = 256


def build_dense(vectors: np.ndarray, hnsw_threshold: int = HNSW_THRESHOLD):
    """A faiss index over ``vectors`` (float32, unit rows): flat below the threshold, HNSW above."""
    import faiss

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    dim = vectors.shape[1]
    if vectors.shape[0] >= hnsw_threshold:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = HNSW_EF_SEARCH
    else:
        index = faiss.IndexFlatIP(dim)
    if vectors.shape[0]:
        index.add(vectors)
    return index


def load_dense(path: Path):
    """Read a faiss index file written by ``faiss.write_index`` (faiss's own format, no pickle)."""
    import faiss

    index = faiss.read_index(str(path))
    if hasattr(index, "hnsw"):
        index.hnsw.efSearch = HNSW_EF_SEARCH
    return index


def dense_top(index, vectors: np.ndarray, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
    """The ``k`` nearest passages to the unit ``query`` vector as (row, cosine), best first.

    With ``allowed`` (a boolean mask), only those rows are scored, exactly.
    """
    n = vectors.shape[0]
    if n == 0 or k <= 0:
        return []
    if allowed is not None:
        rows = np.flatnonzero(allowed)
        if rows.size == 0:
            return []
        scores = np.asarray(vectors[rows] @ query, dtype=np.float32)
        take = min(k, rows.size)
        part = np.argpartition(-scores, take - 1)[:take]
        order = part[np.lexsort((rows[part], -scores[part]))]
        return [(int(rows[i]), float(scores[i])) for i in order]
    scores, ids = index.search(query.reshape(1, -1).astype(np.float32), min(k, n))
    return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]


def sentence_mixed(passage: float, best_sentence: float | None, sentence_weight: float) -> float:
    """A passage's dense score: ``(1 - w) * cos(query, passage) + w * max over its sentences of
    cos(query, sentence)``; a passage without sentence vectors keeps its own cosine.

    A passage that holds one sentence close to the query ranks above one vaguely close all
    through (the MaxP idea of Dai and Callan, SIGIR 2019, on the sentence vectors pooled from the
    passage's own encoding, ``qa.retrieval.pooling.pool_sentences``)."""
    if best_sentence is None:
        return passage
    return (1 - sentence_weight) * passage + sentence_weight * best_sentence
