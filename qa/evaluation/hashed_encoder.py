"""A stand-in for the embedding model with its interface and no model: each text's vector is the
unit-length signed count of its words hashed into ``dim`` buckets (the hashing trick of Weinberger
et al., ICML 2009), and each sentence's is that of its own words.

``qa bench --ingest --ingest-encoder hashed`` uses it to measure everything an ingest does but the
model's forward pass (reading, chunking, BM25, faiss, saving) on arrays of the real shapes, at
sizes the model would take hours to encode on a small machine. Its vectors mean nothing for search.
"""

from __future__ import annotations

import re
import zlib
from typing import Callable, Sequence

import numpy as np

from qa.retrieval.pooling import EncodedPassages

_WORD = re.compile(r"\w+")


class HashedEncoder:
    """Hashed bags of words as unit vectors; the ``Encoder`` methods an ingest calls."""

    backend = "hashed"
    passage_backend = "hashed"
    fingerprint = None

    def __init__(self, dim: int = 384, max_tokens: int = 254, name: str = "hashed-bag-of-words") -> None:
        self.name = name
        self.dim = dim
        self.max_tokens = max_tokens

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Words of each text (the model would count word pieces)."""
        return [len(_WORD.findall(t)) for t in texts]

    def _vectors(self, text: str, spans: Sequence[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
        """(the text's vector, one vector per span), each of unit length (a fixed unit vector when empty)."""
        words = list(_WORD.finditer(text.lower()))
        codes = np.array([zlib.crc32(m.group().encode()) for m in words], dtype=np.int64)
        starts = np.array([m.start() for m in words], dtype=np.int64)
        signs = np.where(codes & (1 << 31), 1.0, -1.0).astype(np.float32)
        buckets = codes % self.dim
        out = np.zeros((1 + len(spans), self.dim), dtype=np.float32)
        np.add.at(out[0], buckets, signs)
        for row, (a, b) in enumerate(spans, start=1):
            inside = (starts >= a) & (starts < b)
            np.add.at(out[row], buckets[inside], signs[inside])
        norms = np.linalg.norm(out, axis=1)
        empty = norms == 0
        out[empty, 0] = 1.0
        norms[empty] = 1.0
        out /= norms[:, None]
        return out[0], out[1:]

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        return np.stack([self._vectors(t, ())[0] for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def encode_passages(self, texts: Sequence[str], sentence_spans: Sequence[Sequence[tuple[int, int]]],
                        batch_size: int = 32, progress: Callable[[int], None] | None = None) -> EncodedPassages:
        """Passage and sentence vectors (offsets relative to each text), ``progress`` told per batch."""
        passages = np.zeros((len(texts), self.dim), dtype=np.float32)
        sentences = []
        for i, (text, spans) in enumerate(zip(texts, sentence_spans)):
            passages[i], block = self._vectors(text, spans)
            sentences.append(block)
            if progress and (i + 1) % batch_size == 0:
                progress(batch_size)
        if progress and len(texts) % batch_size:
            progress(len(texts) % batch_size)
        return EncodedPassages(passages=passages, sentences=sentences)
