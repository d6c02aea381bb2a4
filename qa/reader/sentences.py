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

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path else sentences_path()
        self.card, self.tokenizer, self.session = load_onnx_model(
            self.path, "sentences.json", "the sentence scorer", "train one with `make train-sentences`, or set "
            "QA_SENTENCES to an exported sentences.onnx")
        try:
            self.max_tokens = int(self.card.get("max_tokens", MAX_TOKENS))
        except (TypeError, ValueError) as exc:
            raise ReaderError(f"{self.path.with_name('sentences.json')}: malformed card ({exc})") from exc

    def score(self, question: str, sentences: list[str]) -> np.ndarray:
        """One logit per sentence (higher: more likely to answer ``question``); an empty sentence,
        or any when the question has no word piece, scores -1e4. Each sentence is read alone: the
        int8 model quantises its activations with one scale per batch, so in a batch a sentence's
        logit would move with its neighbours (by up to 0.5 here); alone it is a function of the
        question and the sentence, and costs no more on two cores."""
        out = np.full(len(sentences), -1e4, dtype=np.float32)
        win = make_windows(self.tokenizer, question, sentences, self.max_tokens, 0)
        if not len(win):
            return out
        for row in np.unique(win.passage, return_index=True)[1]:
            width = int(win.attention_mask[row].sum())
            (logits,) = self.session.run(None, {"input_ids": win.input_ids[row: row + 1, :width],
                                                "attention_mask": win.attention_mask[row: row + 1, :width],
                                                "token_type_ids": win.token_type_ids[row: row + 1, :width]})
            out[win.passage[row]] = logits[0, 0]
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
