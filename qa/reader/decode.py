"""Start/end logits of windows -> the best answer spans, in characters of the passages they read.

The usual extractive decoding (BERT on SQuAD; Hugging Face's question-answering pipeline): a span
``[i, j]`` of passage tokens scores ``start[i] + end[j]``, with ``i <= j < i + max_tokens``; the
window's no-answer score is ``start[0] + end[0]`` (the [CLS] token). Pure functions of arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np


@dataclass(frozen=True)
class SpanScore:
    """A span the reader proposes: ``[start, end)`` characters of passage ``passage``.

    ``score`` is its start+end logit; ``null`` is the no-answer logit of the window it was read in
    (higher means the window holds no answer); ``window`` is that window's row.
    """

    passage: int
    start: int
    end: int
    score: float
    null: float
    window: int


def best_spans(start_logits: np.ndarray, end_logits: np.ndarray, offsets: np.ndarray, passage: np.ndarray,
               max_answer_tokens: int = 30, per_window: int = 3) -> list[SpanScore]:
    """Up to ``per_window`` best spans of each window, best first over all windows.

    ``offsets[w, t]`` is the character range of token ``t`` of window ``w`` in its passage, or
    (-1, -1) for tokens outside the passage (they can neither start nor end a span).
    """
    if max_answer_tokens < 1 or per_window < 1:
        raise ValueError("max_answer_tokens and per_window must be at least 1")
    out: list[SpanScore] = []
    for w in range(start_logits.shape[0]):
        ok = offsets[w, :, 0] >= 0
        if not ok.any():
            continue
        s = np.where(ok, start_logits[w], -np.inf)
        e = np.where(ok, end_logits[w], -np.inf)
        pair = s[:, None] + e[None, :]
        n = len(s)
        pair = np.where(_allowed(n, max_answer_tokens), pair, -np.inf)
        flat = _top(pair.ravel(), per_window)
        null = float(start_logits[w, 0] + end_logits[w, 0])
        for k in flat:
            a, b = divmod(int(k), n)
            if not np.isfinite(pair[a, b]):
                break
            out.append(SpanScore(int(passage[w]), int(offsets[w, a, 0]), int(offsets[w, b, 1]),
                                 float(pair[a, b]), null, w))
    out.sort(key=lambda sp: -sp.score)
    return out


@lru_cache(maxsize=16)
def _allowed(n: int, max_answer_tokens: int) -> np.ndarray:
    """(n, n) True where token j may end a span that starts at token i (i <= j < i + max)."""
    i, j = np.indices((n, n))
    allowed = (j >= i) & (j < i + max_answer_tokens)
    allowed.flags.writeable = False
    return allowed


def _top(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest of ``values``, largest first (ties: the later index first, as
    a reversed ascending sort gives). A partial sort: a window's n x n pairs are 65,536 at 256."""
    if k >= len(values):
        return np.argsort(values, kind="stable")[::-1]
    part = np.argpartition(values, len(values) - k)[len(values) - k:]
    return part[np.lexsort((part, values[part]))][::-1]
