"""The sentence scorer on ONNX Runtime: (question, sentences) -> one logit each, "this sentence
answers the question".

A cross-encoder the project trains (qa.reader.sentence_train) beside the span reader: the reader
finds the span, the scorer judges the whole sentence that would be quoted, which is what the
tool shows. Its file (``sentences.onnx``), card (``sentences.json``) and the tokenizer it shares
with the reader ship in this folder; ``QA_SENTENCES`` names another file (with its card and
``tokenizer.json`` beside it). Like the reader, it imports neither torch nor transformers.
"""

from __future__ import annotations

import os
import time
from functools import lru_cache
from pathlib import Path

import numpy as np

from qa.onnx_session import env_threads
from qa.parallel import map_in_threads
from qa.reader.model import ReaderError, load_onnx_model
from qa.reader.windows import make_windows

SENTENCES_PATH = Path(__file__).with_name("sentences.onnx")
# a sentence's first window is what is scored; a longer one is judged on its first word pieces
MAX_TOKENS = 128


def sentences_path() -> Path:
    """The scorer chosen by ``QA_SENTENCES`` (an ONNX file), else the packaged one."""
    env = os.environ.get("QA_SENTENCES", "").strip()
    return Path(env).expanduser() if env else SENTENCES_PATH


class SentenceScorer:
    """A sentence scorer loaded from ``path`` (an ONNX file with sentences.json and tokenizer.json)."""

    def __init__(self, path: Path | None = None, workers: int | None = None) -> None:
        self.path = Path(path) if path else sentences_path()
        # each sentence is its own small run: one intra-op thread each, and the sentences shared out
        # over ``workers`` threads (both cores: 1.8 times as fast as one run at a time on two
        # intra-op threads, same logits). Where QA_ONNX_THREADS is set (qa ask --workers: the
        # questions already share the cores out), it sets the session and one thread reads.
        self.workers = 1 if env_threads() else max(1, workers or min(2, os.cpu_count() or 1))
        self.card, self.tokenizer, self.session = load_onnx_model(
            self.path, "sentences.json", "the sentence scorer", "train one with `make train-sentences`, or set "
            "QA_SENTENCES to an exported sentences.onnx", threads=1)
        try:
            self.max_tokens = int(self.card.get("max_tokens", MAX_TOKENS))
        except (TypeError, ValueError) as exc:
            raise ReaderError(f"{self.path.with_name('sentences.json')}: malformed card ({exc})") from exc

    def score(self, question: str, sentences: list[str]) -> np.ndarray:
        """One logit per sentence (higher: more likely to answer ``question``); an empty sentence,
        or any when the question has no word piece, scores -1e4. Each sentence is read alone: the
        int8 model quantises its activations with one scale per batch, so in a batch a sentence's
        logit would move with its neighbours (by up to 0.5 here); alone it is a function of the
        question and the sentence. The runs are shared out over ``self.workers`` threads."""
        out = np.full(len(sentences), -1e4, dtype=np.float32)
        win = make_windows(self.tokenizer, question, sentences, self.max_tokens, 0)
        if not len(win):
            return out
        def one(row: int) -> float:
            width = int(win.attention_mask[row].sum())
            (logits,) = self.session.run(None, {"input_ids": win.input_ids[row: row + 1, :width],
                                                "attention_mask": win.attention_mask[row: row + 1, :width],
                                                "token_type_ids": win.token_type_ids[row: row + 1, :width]})
            return float(logits[0, 0])

        rows = [int(r) for r in np.unique(win.passage, return_index=True)[1]]
        for row, logit in zip(rows, map_in_threads(one, rows, self.workers)):
            out[win.passage[row]] = logit
        return out


class Judge:
    """The scorer's logits for one question, each text scored once however often it is asked
    for (the passages' sentences, then the quotes around the reader's spans); ``seconds`` is the
    time spent scoring."""

    def __init__(self, scorer: SentenceScorer, question: str) -> None:
        self.scorer, self.question = scorer, question
        self.logits: dict[str, float] = {}
        self.seconds = 0.0

    def __call__(self, texts: list[str]) -> list[float]:
        new = sorted({t for t in texts if t not in self.logits})
        if new:
            started = time.perf_counter()
            self.logits.update(zip(new, (float(z) for z in self.scorer.score(self.question, new))))
            self.seconds += time.perf_counter() - started
        return [self.logits[t] for t in texts]


@lru_cache(maxsize=4)
def load_scorer(path: str = "") -> SentenceScorer:
    """The scorer at ``path`` (default: ``sentences_path()``), loaded once per process."""
    return SentenceScorer(Path(path) if path else None)
