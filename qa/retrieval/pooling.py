"""Token vectors -> text vectors, as sentence-transformers pools them, in numpy (both encoders)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class EncodedPassages:
    """``passages[i]`` is passage i's unit vector; ``sentences[i]`` holds its sentences' vectors."""

    passages: np.ndarray
    sentences: list[np.ndarray]


def pool(tokens: np.ndarray, mask: np.ndarray, mode: str = "mean") -> np.ndarray:
    """One vector per row of ``tokens`` (batch × length × dim): the mean of the token vectors the
    attention ``mask`` keeps (sentence-transformers' mean pooling, with its 1e-9 floor on the
    count), or the first token's vector for "cls"."""
    if mode == "cls":
        return tokens[:, 0].astype(np.float32)
    weights = mask[:, :, None].astype(np.float32)
    summed = (tokens * weights).sum(axis=1)
    return (summed / np.maximum(weights.sum(axis=1), 1e-9)).astype(np.float32)


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """``vectors`` with each row scaled to length 1 (torch's normalize: norms floored at 1e-12)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)


def pool_sentences(tokens: np.ndarray, mask: np.ndarray, offsets, spans, fallback: np.ndarray) -> np.ndarray:
    """Mean of the token vectors whose characters lie inside each span, unit length; a span whose
    tokens were truncated away gets ``fallback`` (the passage vector)."""
    starts = np.array([o[0] for o in offsets])
    ends = np.array([o[1] for o in offsets])
    real = (mask > 0) & (ends > starts)
    out = np.zeros((len(spans), tokens.shape[1]), dtype=np.float32)
    for s, (a, b) in enumerate(spans):
        inside = real & (starts >= a) & (ends <= b)
        vec = tokens[inside].mean(axis=0) if inside.any() else fallback
        out[s] = vec / max(float(np.linalg.norm(vec)), 1e-12)
    return out
