"""Chunks -> their passage and sentence vectors, encoded a window at a time into arrays made once.

Encoding a whole corpus in one call kept every passage's sentence vectors as separate float32
arrays, then joined them into one more float32 array, then the store made a float16 copy: three
copies of the largest thing an index holds (about ten sentence vectors per abstract). Here the
arrays are allocated once, at their final size and in the precision the index stores them in
(passages float32, sentences float16, as ``qa.retrieval.store`` writes them), and each window of
``ENCODE_WINDOW`` passages is written into them as soon as it is encoded, so only one window's
float32 sentence vectors exist at a time. The passages are sorted by length over the whole
corpus first, as the encoders sort them within a call (less padding per batch), and the windows
are consecutive slices of that order, a whole number of batches long: every batch holds the very
passages it held when the corpus was encoded in one call, so the vectors are bit for bit the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from qa.types import Chunk, QAError

ENCODE_BATCH = 32  # passages per forward pass (the encoders' default)
ENCODE_WINDOW = 128 * ENCODE_BATCH  # passages per encode_passages call: a whole number of batches


@dataclass(frozen=True)
class ChunkVectors:
    """``passages[i]`` is chunk i's unit vector (float32); ``sentences[ptr[i]:ptr[i + 1]]`` are its
    sentences' (float16), in the order of ``chunks[i].sentences``."""

    passages: np.ndarray
    sentences: np.ndarray
    sentence_ptr: np.ndarray
    encoded: int


def sentence_pointers(chunks: Sequence[Chunk]) -> np.ndarray:
    """int64 offsets of each chunk's first sentence row, and the total last (length ``len(chunks) + 1``)."""
    ptr = np.zeros(len(chunks) + 1, dtype=np.int64)
    np.cumsum([len(c.sentences) for c in chunks], out=ptr[1:])
    return ptr


def encode_chunks(chunks: Sequence[Chunk], encoder, previous: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
                  window: int = ENCODE_WINDOW, progress: Callable[[int, int], None] | None = None) -> ChunkVectors:
    """The vectors of ``chunks``: taken from ``previous`` (chunk id -> (passage vector, sentence
    vectors)) where it holds a chunk with as many sentence vectors as it has sentences, encoded by
    ``encoder.encode_passages`` otherwise, in batches of ``ENCODE_BATCH``, ``window`` chunks a call
    (a multiple of the batch). ``progress(n, total)`` is called with the passages encoded since the
    last call and the number to encode. Raises ValueError for another window, QAError when the
    encoder returns another number of sentence vectors than a chunk has sentences."""
    if window < 1 or window % ENCODE_BATCH:
        raise ValueError(f"window must be a positive multiple of {ENCODE_BATCH} passages, got {window}")
    previous = previous or {}
    ptr = sentence_pointers(chunks)
    passages = np.zeros((len(chunks), encoder.dim), dtype=np.float32)
    sentences = np.zeros((int(ptr[-1]), encoder.dim), dtype=np.float16)
    todo = []
    for i, chunk in enumerate(chunks):
        old = previous.get(chunk.chunk_id)
        if old is not None and len(old[1]) == len(chunk.sentences):
            passages[i] = old[0]
            sentences[ptr[i]:ptr[i + 1]] = old[1]
        else:
            todo.append(i)
    todo.sort(key=lambda i: len(chunks[i].text))  # stable: the order each encoder sorts a call's passages in
    for lo in range(0, len(todo), window):
        rows = todo[lo:lo + window]
        encoded = encoder.encode_passages(
            [chunks[i].text for i in rows],
            [[(a - chunks[i].start, b - chunks[i].start) for a, b in chunks[i].sentences] for i in rows],
            batch_size=ENCODE_BATCH, progress=(lambda n: progress(n, len(todo))) if progress else None,
        )
        passages[rows] = encoded.passages
        for i, block in zip(rows, encoded.sentences):
            if len(block) != ptr[i + 1] - ptr[i]:
                raise QAError(f"the encoder returned {len(block)} sentence vectors for passage {chunks[i].chunk_id!r}, "
                              f"which has {ptr[i + 1] - ptr[i]} sentences")
            sentences[ptr[i]:ptr[i + 1]] = block
    return ChunkVectors(passages=passages, sentences=sentences, sentence_ptr=ptr, encoded=len(todo))
