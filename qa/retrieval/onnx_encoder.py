"""The embedding model on ONNX Runtime, tokenized by the ``tokenizers`` package: neither torch nor
transformers is imported, so a query process starts in a fraction of the time. Pooling and
normalisation are sentence-transformers' (qa.retrieval.pooling); vectors match its to 1e-5."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from qa.onnx_session import cpu_session
from qa.retrieval.model_files import ModelInfo, UnsupportedModel
from qa.retrieval.onnx_export import input_names
from qa.retrieval.pooling import EncodedPassages, pool, pool_sentences, unit_rows


def _pad_token(folder: Path) -> str:
    config = folder / "tokenizer_config.json"
    token = json.loads(config.read_text(encoding="utf-8")).get("pad_token") if config.is_file() else None
    if isinstance(token, dict):
        token = token.get("content")
    return token or "[PAD]"


class OnnxEncoder:
    """The model of ``info`` from its exported graph at ``onnx_file``; same methods as TorchEncoder."""

    backend = "onnx"

    def __init__(self, info: ModelInfo, onnx_file: Path) -> None:
        try:
            import onnxruntime  # noqa: F401  (cpu_session's; missing, it is named here)
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise UnsupportedModel(f"{exc.name} is not installed") from exc
        self.name = info.name
        self.fingerprint = info.fingerprint
        self.pooling = info.pooling
        self.max_tokens = info.max_seq_length - 2  # [CLS] and [SEP]
        tokenizer_file = str(info.path / "tokenizer.json")
        self._counter = Tokenizer.from_file(tokenizer_file)  # whole texts, for chunk sizes
        self._counter.no_truncation()
        self._counter.no_padding()
        self._tokenizer = Tokenizer.from_file(tokenizer_file)  # the model's input: cut to its window
        self._tokenizer.enable_truncation(max_length=info.max_seq_length)
        pad = _pad_token(info.path)
        self._tokenizer.enable_padding(pad_id=self._tokenizer.token_to_id(pad) or 0, pad_token=pad)
        try:
            self.session = cpu_session(onnx_file)
        except Exception as exc:  # onnxruntime raises its own exception types
            raise UnsupportedModel(f"ONNX Runtime cannot load {onnx_file} ({exc})") from exc
        self._inputs = input_names(onnx_file)
        width = self.session.get_outputs()[0].shape[-1]
        self.dim = int(width) if isinstance(width, int) else int(self._run(["dimension"])[1].shape[-1])

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Word pieces of each text, without the special tokens."""
        if not texts:
            return []
        return [len(e.ids) for e in self._counter.encode_batch(list(texts), add_special_tokens=False)]

    def _run(self, texts: list[str]):
        """(encodings, token vectors batch × length × dim, attention mask) for one batch."""
        encodings = self._tokenizer.encode_batch(texts)
        columns = {"input_ids": [e.ids for e in encodings], "attention_mask": [e.attention_mask for e in encodings],
                   "token_type_ids": [e.type_ids for e in encodings]}
        feed = {name: np.asarray(columns[name], dtype=np.int64) for name in self._inputs}
        tokens = self.session.run(None, feed)[0]
        return encodings, tokens, feed["attention_mask"]

    def encode_queries(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Unit-length float32 embeddings, one row per text."""
        texts = list(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for lo in range(0, len(order), batch_size):
            idx = order[lo:lo + batch_size]
            _, tokens, mask = self._run([texts[i] for i in idx])
            out[idx] = pool(tokens, mask, self.pooling)
        return unit_rows(out)

    def encode_passages(
        self,
        texts: Sequence[str],
        sentence_spans: Sequence[Sequence[tuple[int, int]]],
        batch_size: int = 32,
        progress: Callable[[int], None] | None = None,
    ) -> EncodedPassages:
        """Encode passages and, from the same pass, their sentences (offsets relative to each text)."""
        passages = np.zeros((len(texts), self.dim), dtype=np.float32)
        sentences: list[np.ndarray | None] = [None] * len(texts)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # less padding per batch
        for lo in range(0, len(order), batch_size):
            idx = order[lo:lo + batch_size]
            encodings, tokens, mask = self._run([texts[i] for i in idx])
            pooled = pool(tokens, mask, self.pooling)
            for j, i in enumerate(idx):
                passages[i] = pooled[j]
                sentences[i] = pool_sentences(tokens[j], mask[j], encodings[j].offsets, sentence_spans[i], pooled[j])
            if progress:
                progress(len(idx))
        return EncodedPassages(passages=unit_rows(passages), sentences=list(sentences))
