"""The trained reader on ONNX Runtime: (question, passage texts) -> answer spans with scores.

The model file and its card (reader.json: hash, window size, training command) ship in this
folder; ``QA_READER`` names another ONNX file (with its reader.json and tokenizer.json beside it).
Neither torch nor transformers is imported: the page's query process stays light.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from qa.onnx_session import cpu_session
from qa.reader.decode import SpanScore, best_spans
from qa.reader.windows import Windows, make_windows
from qa.types import QAError

READER_PATH = Path(__file__).with_name("reader.onnx")


class ReaderError(QAError):
    """The reader model is missing, damaged or does not match its card."""


def reader_path() -> Path:
    """The reader chosen by ``QA_READER`` (an ONNX file), else the packaged one."""
    env = os.environ.get("QA_READER", "").strip()
    return Path(env).expanduser() if env else READER_PATH


def load_onnx_model(path: Path, card_name: str, what: str, hint: str,
                    threads: int | None = None) -> tuple[dict, object, object]:
    """(card, tokenizer, ONNX Runtime session) of the model file ``path``, its card ``card_name`` and
    ``tokenizer.json`` beside it; a ReaderError naming the file when one is missing or unreadable
    (``what``: the model in words, ``hint``: how to get one; ``threads``: the session's intra-op
    threads unless QA_ONNX_THREADS says otherwise)."""
    card_path, tok_path = path.with_name(card_name), path.with_name("tokenizer.json")
    for p in (path, card_path, tok_path):
        if not p.is_file():
            raise ReaderError(f"{p}: {what} is missing ({hint})")
    try:
        import onnxruntime  # noqa: F401  (cpu_session's; missing, it is named here)
        from tokenizers import Tokenizer
    except ImportError as exc:
        raise ReaderError(f"{exc.name} is not installed (run `make install`)") from exc
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ReaderError(f"{card_path}: malformed card ({exc})") from exc
    try:
        session = cpu_session(path, threads)
    except Exception as exc:  # onnxruntime raises its own exception types
        raise ReaderError(f"{path}: ONNX Runtime cannot load {what} ({exc})") from exc
    return card, Tokenizer.from_file(str(tok_path)), session


@dataclass(frozen=True)
class Reading:
    """What the reader made of one question: its spans, best first, each window's no-answer logit
    (``nulls``, one per window read; empty when nothing was read) and the passage each window is of."""

    spans: tuple[SpanScore, ...]
    nulls: tuple[float, ...]
    window_passage: tuple[int, ...]

    def nulls_within(self, passages: int) -> list[float]:
        """The no-answer logits of the windows of the first ``passages`` passages."""
        return [n for n, p in zip(self.nulls, self.window_passage) if p < passages]

    def top_per_window(self, k: int) -> "Reading":
        """This reading as if read with ``per_window`` ``k`` (at most its own): each window's ``k``
        best spans. best_spans orders a window's spans by a total rule, so they are its first ``k``."""
        taken: dict[int, int] = {}
        kept = []
        for sp in self.spans:
            if taken.get(sp.window, 0) < k:
                taken[sp.window] = taken.get(sp.window, 0) + 1
                kept.append(sp)
        return Reading(tuple(kept), self.nulls, self.window_passage)

    def reorder(self, order: list[int]) -> "Reading":
        """This reading as if the passages ``order`` (indices into those read) had been read, in that
        order: spans and windows of the others dropped, passage indices renumbered."""
        new = {p: i for i, p in enumerate(order)}
        keep = [w for w, p in enumerate(self.window_passage) if p in new]
        row = {w: i for i, w in enumerate(keep)}
        return Reading(tuple(replace(s, passage=new[s.passage], window=row[s.window]) for s in self.spans
                             if s.passage in new),
                       tuple(self.nulls[w] for w in keep), tuple(new[self.window_passage[w]] for w in keep))


class Reader:
    """An extractive reader loaded from ``path`` (an ONNX file with reader.json and tokenizer.json)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path else reader_path()
        self.card, self.tokenizer, self.session = load_onnx_model(
            self.path, "reader.json", "the reader model", "train one with `make train-reader`, or set QA_READER "
            "to an exported reader.onnx")
        try:
            self.max_tokens = int(self.card["max_tokens"])
            self.stride = int(self.card["stride"])
        except (ValueError, KeyError) as exc:
            raise ReaderError(f"{self.path.with_name('reader.json')}: malformed reader card ({exc})") from exc

    def windows(self, question: str, passages: list[str], max_tokens: int | None = None) -> Windows:
        """The windows the reader reads for ``question`` over ``passages``: of the card's size, or
        of ``max_tokens`` word pieces (at most 512, the model's positions)."""
        size = max_tokens or self.max_tokens
        if not 32 <= size <= 512:
            raise ReaderError(f"reader window must be between 32 and 512 word pieces, got {size}")
        return make_windows(self.tokenizer, question, passages, size, min(self.stride, size // 2 - 1))

    def logits(self, windows: Windows, batch: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """(start, end) logits, windows x tokens, for ``windows``, ``batch`` windows a run (one by
        one by default: on a CPU a window of 256 word pieces fills the matrix units alone, and
        batching would pad the shorter windows)."""
        starts, ends = [], []
        for b in range(0, len(windows), batch):
            part = windows.select(np.arange(b, min(b + batch, len(windows))))
            s, e = self.session.run(None, {"input_ids": part.input_ids, "attention_mask": part.attention_mask,
                                           "token_type_ids": part.token_type_ids})
            pad = windows.input_ids.shape[1] - s.shape[1]
            starts.append(np.pad(s, ((0, 0), (0, pad)), constant_values=-1e4))
            ends.append(np.pad(e, ((0, 0), (0, pad)), constant_values=-1e4))
        width = windows.input_ids.shape[1]
        if not starts:
            return np.zeros((0, width), np.float32), np.zeros((0, width), np.float32)
        return np.concatenate(starts), np.concatenate(ends)

    def read(self, question: str, passages: list[str], max_answer_tokens: int = 30,
             per_window: int = 3, max_tokens: int | None = None) -> Reading:
        """The reader's spans over ``passages`` (character offsets into each passage's text), read
        in windows of ``max_tokens`` word pieces (default: the card's, the training window)."""
        win = self.windows(question, passages, max_tokens)
        if not len(win):
            return Reading((), (), ())
        start, end = self.logits(win)
        spans = best_spans(start, end, win.offsets, win.passage, max_answer_tokens, per_window)
        nulls = tuple(float(start[w, 0] + end[w, 0]) for w in range(len(win)))
        return Reading(tuple(spans), nulls, tuple(int(p) for p in win.passage))


@lru_cache(maxsize=4)
def load_reader(path: str = "") -> Reader:
    """The reader at ``path`` (default: ``reader_path()``), loaded once per process."""
    return Reader(Path(path) if path else None)
