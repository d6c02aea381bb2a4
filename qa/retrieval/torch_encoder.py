"""The embedding model on sentence-transformers (PyTorch): the reference the ONNX encoder must
match, the fallback for models ONNX Runtime cannot run, and the exporter's source."""

from __future__ import annotations

import os
from typing import Callable, Sequence

import numpy as np

from qa.retrieval.model_files import resolve_model
from qa.retrieval.pooling import EncodedPassages, pool_sentences, unit_rows
from qa.types import QAError


class TorchEncoder:
    """A loaded sentence-transformers model. Loading takes seconds (torch); do it once per process."""

    backend = "torch"

    def __init__(self, name: str, device: str = "cpu", fingerprint: str | None = None) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        self.name = name
        self.fingerprint = fingerprint
        try:
            from sentence_transformers import SentenceTransformer

            self.model = SentenceTransformer(resolve_model(name), device=device)
        except Exception as exc:  # the library raises OSError, ValueError, HF errors...
            raise QAError(
                f"could not load embedding model {name!r} ({exc}). Offline, give a local folder "
                "with --model/QA_MODEL, or the default sentence-transformers/all-MiniLM-L6-v2"
            ) from exc
        self.dim = int(self.model.get_embedding_dimension())
        self.max_tokens = int(self.model.max_seq_length) - 2  # [CLS] and [SEP]
        self._fast = bool(getattr(self.model.tokenizer, "is_fast", False))

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Word pieces of each text, without the special tokens."""
        if not texts:
            return []
        ids = self.model.tokenizer(list(texts), add_special_tokens=False, verbose=False)["input_ids"]
        return [len(x) for x in ids]

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 embeddings, one row per text."""
        vecs = self.model.encode(list(texts), batch_size=32, convert_to_numpy=True,
                                 normalize_embeddings=True, show_progress_bar=False)
        return np.ascontiguousarray(vecs, dtype=np.float32).reshape(len(texts), self.dim)

    def encode_passages(
        self,
        texts: Sequence[str],
        sentence_spans: Sequence[Sequence[tuple[int, int]]],
        batch_size: int = 32,
        progress: Callable[[int], None] | None = None,
    ) -> EncodedPassages:
        """Encode passages and, from the same pass, their sentences.

        ``sentence_spans[i]`` holds offsets relative to ``texts[i]``.
        """
        import torch

        passages = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # less padding per batch
        by_index: dict[int, np.ndarray] = {}
        for lo in range(0, len(order), batch_size):
            idx = order[lo:lo + batch_size]
            batch = [texts[i] for i in idx]
            offsets = None
            if self._fast:  # one tokenization gives the model's input and the character offsets
                encoded = self.model.tokenizer(batch, return_offsets_mapping=True, padding=True, truncation=True,
                                               max_length=self.model.max_seq_length, return_tensors="pt")
                offsets = encoded.pop("offset_mapping").tolist()
                features = dict(encoded)
            else:
                features = self.model.preprocess(batch)
            features = {k: (v.to(self.model.device) if hasattr(v, "to") else v) for k, v in features.items()}
            with torch.inference_mode():
                out = self.model.forward(features)
            pooled = out["sentence_embedding"].float().cpu().numpy()
            tokens = out["token_embeddings"].float().cpu().numpy()
            mask = features["attention_mask"].cpu().numpy()
            for j, i in enumerate(idx):
                passages[i] = pooled[j]
                spans = sentence_spans[i]
                if offsets is None or len(offsets[j]) != tokens.shape[1]:
                    by_index[i] = self.encode_queries([texts[i][a:b] for a, b in spans])
                    continue
                by_index[i] = pool_sentences(tokens[j], mask[j], offsets[j], spans, pooled[j])
            if progress:
                progress(len(idx))
        return EncodedPassages(passages=unit_rows(passages), sentences=[by_index[i] for i in range(len(texts))])
