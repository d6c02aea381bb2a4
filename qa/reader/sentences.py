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
        or any when the question has no word piece, scores -1e4. One batch, padded to the longest."""
        out = np.full(len(sentences), -1e4, dtype=np.float32)
        win = make_windows(self.tokenizer, question, sentences, self.max_tokens, 0)
        if not len(win):
            return out
        win = win.select(np.unique(win.passage, return_index=True)[1])
        (logits,) = self.session.run(None, {"input_ids": win.input_ids, "attention_mask": win.attention_mask,
                                            "token_type_ids": win.token_type_ids})
        out[win.passage] = logits[:, 0]
        return out


@lru_cache(maxsize=4)
def load_scorer(path: str = "") -> SentenceScorer:
    """The scorer at ``path`` (default: ``sentences_path()``), loaded once per process."""
    return SentenceScorer(Path(path) if path else None)
