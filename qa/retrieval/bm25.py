"""Okapi BM25 with rank-bm25's exact scoring, stored as a sparse term-by-passage weight matrix.

``rank_bm25.BM25Okapi.get_scores`` walks every passage in Python for every query term. Here the
per-(term, passage) weight

    w(t, d) = idf(t) * tf(t, d) * (k1 + 1) / (tf(t, d) + k1 * (1 - b + b * |d| / avgdl))

is computed once at indexing, with rank-bm25's idf (``log(N - n + 0.5) - log(n + 0.5)``, negative
values floored to ``epsilon * mean idf``), so a query only sums the rows of its own terms: its
cost grows with the postings of those terms, not with the corpus. Scores equal rank-bm25's up to
float rounding; a repeated query term counts twice, as there.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from qa.types import SettingsError


@dataclass(frozen=True)
class BM25Params:
    """rank-bm25's BM25Okapi defaults."""

    k1: float = 1.5
    b: float = 0.75
    epsilon: float = 0.25

    def __post_init__(self) -> None:
        if not (math.isfinite(self.k1) and self.k1 >= 0):
            raise SettingsError(f"bm25 k1 must be a number >= 0, got {self.k1}")
        if not 0 <= self.b <= 1:
            raise SettingsError(f"bm25 b must be between 0 and 1, got {self.b}")
        if not (math.isfinite(self.epsilon) and self.epsilon >= 0):
            raise SettingsError(f"bm25 epsilon must be a number >= 0, got {self.epsilon}")


@dataclass(frozen=True)
class Postings:
    """The arrays of a CSR matrix (rows ``indptr[r]:indptr[r + 1]`` of ``indices`` and ``data``), all
    the query path reads: loading an index need not import scipy (half a second at start-up)."""

    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    shape: tuple[int, int]


@dataclass(frozen=True)
class BM25Index:
    """``weights``: one CSR row per term in ``vocab`` order, one column per passage, sorted indices."""

    vocab: dict[str, int]
    weights: Postings
    params: BM25Params

    @property
    def size(self) -> int:
        return self.weights.shape[1]

    def scores(self, query_terms: Iterable[str]) -> np.ndarray:
        """BM25 score of every passage for the query terms (float64, length ``size``)."""
        rows = [self.vocab[t] for t in query_terms if t in self.vocab]
        if not rows:
            return np.zeros(self.size, dtype=np.float64)
        w = self.weights
        # One pass over the query terms' postings; each passage adds its terms in query order.
        idx = np.concatenate([w.indices[w.indptr[r]:w.indptr[r + 1]] for r in rows])
        val = np.concatenate([w.data[w.indptr[r]:w.indptr[r + 1]] for r in rows])
        return np.bincount(idx, weights=val, minlength=self.size)

    def top(self, query_terms: Iterable[str], k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The ``k`` best passages with a positive score, as (column, score), best first.

        Ties are broken by column ascending. ``allowed`` is an optional boolean mask of passages.
        """
        if k <= 0:
            return []
        terms = list(query_terms)
        s = self.scores(terms)
        if allowed is not None:
            s = np.where(allowed, s, 0.0)
        candidates = np.flatnonzero(s > 0)
        if candidates.size == 0:
            return []
        if candidates.size > k:
            cs = s[candidates]
            kth = np.partition(cs, cs.size - k)[cs.size - k]
            candidates = candidates[cs >= kth]  # keep every tie at the cut, then sort
        order = np.lexsort((candidates, -s[candidates]))
        best = candidates[order][:k]
        return [(int(i), float(s[i])) for i in best]


POSTINGS_BLOCK = 1 << 20  # postings weighed at a time: bounds the float64 temporaries


def build_bm25(corpus: Iterable[list[str]], params: BM25Params = BM25Params()) -> BM25Index:
    """Index tokenized passages (a list, or a generator read once); raises ValueError for an empty corpus.

    Each passage's term counts go straight into compact arrays (4 bytes a posting for its term,
    passage and count), so a corpus's token lists need never be held at once, and the weights are
    computed a block of postings at a time. The matrix is the one scipy's ``csr_matrix`` made here
    before (terms in order of first use, passages ascending within a term), bit for bit.
    """
    vocab: dict[str, int] = {}
    doc_freq = array("q")
    rows, cols, tfs = array("i"), array("i"), array("i")
    doc_len = array("d")
    for col, terms in enumerate(corpus):
        doc_len.append(len(terms))
        for term, tf in Counter(terms).items():
            row = vocab.setdefault(term, len(vocab))
            if row == len(doc_freq):
                doc_freq.append(0)
            doc_freq[row] += 1
            rows.append(row)
            cols.append(col)
            tfs.append(tf)
    n = len(doc_len)
    if not n:
        raise ValueError("cannot build BM25 over an empty corpus")
    lengths = np.frombuffer(doc_len, dtype=np.float64)
    avgdl = lengths.sum() / n
    idf = np.array([math.log(n - f + 0.5) - math.log(f + 0.5) for f in doc_freq], dtype=np.float64)
    if idf.size:
        floor = params.epsilon * (idf.sum() / idf.size)
        idf = np.where(idf < 0, floor, idf)
    row_of = np.frombuffer(rows, dtype=np.intc)  # array("i") holds C ints
    order = np.argsort(row_of, kind="stable")  # by term; passages stay ascending within a term
    indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
    np.cumsum(np.bincount(row_of, minlength=len(vocab)), out=indptr[1:])
    indices = np.frombuffer(cols, dtype=np.intc)[order]
    counts = np.frombuffer(tfs, dtype=np.intc)
    data = np.empty(len(order), dtype=np.float64)
    for lo in range(0, len(order), POSTINGS_BLOCK):
        hi = lo + POSTINGS_BLOCK
        tf = counts[order[lo:hi]].astype(np.float64)
        col_arr = indices[lo:hi]
        norm = params.k1 * (1 - params.b + params.b * lengths[col_arr] / avgdl) if avgdl > 0 else np.full(tf.shape, params.k1)
        data[lo:hi] = idf[row_of[order[lo:hi]]] * tf * (params.k1 + 1) / (tf + norm)
    postings = Postings(data=data, indices=indices, indptr=indptr, shape=(len(vocab), n))
    return BM25Index(vocab=vocab, weights=postings, params=params)
