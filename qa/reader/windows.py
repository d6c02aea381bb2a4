"""(question, passage texts) -> token windows the reader reads, and the way back to characters.

A window is ``[CLS] question [SEP] passage piece [SEP]`` of at most ``max_tokens`` word pieces;
a long passage is cut into overlapping windows (``stride`` word pieces shared by neighbours), so
every span of the passage lies whole in at least one window. Each window keeps, for each of its
passage tokens, the character range it covers in the passage text, so a token span maps back to a
verbatim character span. Training (qa.reader.train) and inference (qa.reader.model) build their
windows here, so both read the same way.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

MAX_QUESTION_TOKENS = 48
_TOKENIZER_LOCK = threading.Lock()


@dataclass(frozen=True)
class Windows:
    """A batch of windows: token arrays (windows x tokens, zero-padded) and where each came from.

    ``passage[i]`` is the index of the passage window ``i`` was cut from; ``offsets[i, t]`` is the
    ``(start, end)`` character range of token ``t`` in that passage, or ``(-1, -1)`` for a token
    that is not passage text (the question, [CLS], [SEP], padding).
    """

    input_ids: np.ndarray
    attention_mask: np.ndarray
    token_type_ids: np.ndarray
    offsets: np.ndarray
    passage: np.ndarray

    def __len__(self) -> int:
        return int(self.input_ids.shape[0])

    def context_mask(self) -> np.ndarray:
        """True where a token is passage text (the only tokens a span may start or end on)."""
        return self.offsets[:, :, 0] >= 0

    def select(self, rows) -> "Windows":
        """The windows at ``rows`` (a list or array of indices), trimmed of padding they all share."""
        rows = np.asarray(rows, dtype=np.int64)
        width = max(int(self.attention_mask[rows].sum(axis=1).max()), 1) if len(rows) else 1
        return Windows(self.input_ids[rows, :width], self.attention_mask[rows, :width],
                       self.token_type_ids[rows, :width], self.offsets[rows, :width], self.passage[rows])


def make_windows(tokenizer, question: str, passages: list[str], max_tokens: int = 192,
                 stride: int = 64) -> Windows:
    """Windows of ``question`` against each text of ``passages`` (see the module docstring).

    ``tokenizer`` is a ``tokenizers.Tokenizer`` of a BERT-style model (or a Hugging Face fast
    tokenizer, whose backend is used). An empty passage yields no window; the question is cut to
    its first MAX_QUESTION_TOKENS word pieces. Raises ValueError for sizes that cannot make a window.
    """
    if max_tokens < 32:
        raise ValueError(f"max_tokens must be at least 32, got {max_tokens}")
    if not 0 <= stride < max_tokens // 2:
        raise ValueError(f"stride must be between 0 and {max_tokens // 2 - 1}, got {stride}")
    tok = getattr(tokenizer, "backend_tokenizer", tokenizer)
    keep = [i for i, p in enumerate(passages) if p.strip()]
    with _TOKENIZER_LOCK:  # truncation is the tokenizer's state, shared by threads that answer side by side
        tok.no_truncation()
        tok.no_padding()
        q_ids = tok.encode(question, add_special_tokens=False).ids[:MAX_QUESTION_TOKENS]
        if not keep or not q_ids:
            return _empty(max_tokens)
        question = tok.decode(q_ids)
        tok.enable_truncation(max_length=max_tokens, stride=stride, strategy="only_second")
        try:
            encodings = tok.encode_batch([(question, passages[i]) for i in keep])
        finally:
            tok.no_truncation()
    rows = [(k, e) for k, enc in zip(keep, encodings) for e in [enc, *enc.overflowing]]
    n = len(rows)
    ids = np.zeros((n, max_tokens), dtype=np.int64)
    mask = np.zeros((n, max_tokens), dtype=np.int64)
    types = np.zeros((n, max_tokens), dtype=np.int64)
    offsets = np.full((n, max_tokens, 2), -1, dtype=np.int64)
    for w, (_, e) in enumerate(rows):
        m = len(e.ids)
        ids[w, :m] = e.ids
        mask[w, :m] = e.attention_mask
        types[w, :m] = e.type_ids
        seq = np.array([-1 if s is None else s for s in e.sequence_ids])
        off = np.asarray(e.offsets, dtype=np.int64).reshape(-1, 2)
        offsets[w, :m][seq == 1] = off[seq == 1]
    windows = Windows(ids, mask, types, offsets, np.asarray([k for k, _ in rows], dtype=np.int64))
    return windows.select(np.flatnonzero(windows.context_mask().any(axis=1)))


def _empty(max_tokens: int) -> Windows:
    z = np.zeros((0, max_tokens), dtype=np.int64)
    return Windows(z, z, z, np.zeros((0, max_tokens, 2), dtype=np.int64), np.zeros(0, dtype=np.int64))
