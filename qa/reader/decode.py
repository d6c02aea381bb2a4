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
    width = max_answer_tokens
    for w in range(start_logits.shape[0]):
        ok = offsets[w, :, 0] >= 0
        if not ok.any():
            continue
        s = np.where(ok, start_logits[w], -np.inf)
        e = np.where(ok, end_logits[w], -np.inf)
        n = len(s)
        # only the band j - i < max_answer_tokens: band[i, d] = s[i] + e[i + d] (n x width, not
        # n x n); its row-major order is that of the pairs (i, then j), so ties fall as in the square
        ends = _band(n, width)
        e_past = np.concatenate([e, np.full(1, -np.inf, dtype=e.dtype)])   # one -inf past the end
        band = s[:, None] + e_past[np.minimum(ends, n)]
        flat = _top(band.ravel(), per_window)
        null = float(start_logits[w, 0] + end_logits[w, 0])
        for k in flat:
            a, d = divmod(int(k), width)
            if not np.isfinite(band[a, d]):
                break
            out.append(SpanScore(int(passage[w]), int(offsets[w, a, 0]), int(offsets[w, a + d, 1]),
                                 float(band[a, d]), null, w))
    out.sort(key=lambda sp: -sp.score)
    return out


@lru_cache(maxsize=16)
def _band(n: int, width: int) -> np.ndarray:
    """(n, width): the end token ``i + d`` of the span starting at ``i`` with ``d`` more tokens
    (values >= n lie past the window)."""
    ends = np.arange(n)[:, None] + np.arange(width)[None, :]
    ends.flags.writeable = False
    return ends


def _top(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest of ``values``, largest first; ties, the boundary's included,
    go to the later index (as a reversed ascending stable sort gives). A partial sort: a window's
    band holds n x max_answer_tokens pairs."""
    if k >= len(values):
        return np.argsort(values, kind="stable")[::-1]
    kth = np.partition(values, len(values) - k)[len(values) - k]
    above = np.flatnonzero(values > kth)
    part = np.concatenate([above, np.flatnonzero(values == kth)[::-1][: k - len(above)]])
    return part[np.lexsort((part, values[part]))][::-1]
