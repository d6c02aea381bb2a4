"""The embedding model: loading it offline, token counting and encoding, on the fastest back end.

Queries run on ONNX Runtime (qa.retrieval.onnx_encoder) from a graph exported once
per model (qa.retrieval.onnx_export), so answering a question never imports torch. A model that
cannot be exported, or a machine without onnxruntime, falls back to sentence-transformers
(qa.retrieval.torch_encoder) with a one-line notice. ``QA_ENCODER=torch`` (or ``onnx``) forces one.
Passages are encoded on whichever runtime was faster here for them (PASSAGE_RUNTIME, or
``QA_PASSAGE_ENCODER``); both give the same vectors (cosine >= 0.9999).

Passages are encoded once; the same forward pass also yields an embedding for every sentence of
the passage (the mean of the passage's token embeddings that fall inside the sentence), so the
answer step can score sentences without encoding them again at question time.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from qa.retrieval.model_files import (  # noqa: F401  (re-exported: the encoder's public names)
    DEFAULT_MODEL,
    UnsupportedModel,
    model_fingerprint,
    model_info,
    model_name_from_env,
    resolve_model,
)
from qa.retrieval.pooling import EncodedPassages, pool_sentences  # noqa: F401
from qa.types import IndexStateError, QAError, SettingsError

BACKENDS = ("auto", "onnx", "torch")
# Passages (ingestion, batches of 32 long texts) ran faster on torch here: 7.1 against 4.9 passages/s
# in eval/bench-2026-11-29.json (ingest.passage_encoders); queries (one short text) run on ONNX.
PASSAGE_RUNTIME = "torch"


def encoder_backend_from_env() -> str:
    """``QA_ENCODER``: auto (ONNX, else torch), onnx or torch."""
    choice = os.environ.get("QA_ENCODER", "").strip().lower() or "auto"
    if choice not in BACKENDS:
        raise SettingsError(f"QA_ENCODER must be one of {', '.join(BACKENDS)}, got {choice!r}")
    return choice


class Encoder:
    """A loaded embedding model (``backend`` says which runtime). Load it once per process."""

    def __init__(self, name: str | None = None, device: str = "cpu", backend: str | None = None) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        self.name = name or model_name_from_env()
        choice = (backend or encoder_backend_from_env()).lower()
        if choice not in BACKENDS:
            raise SettingsError(f"the encoder back end must be one of {', '.join(BACKENDS)}, got {choice!r}")
        self._impl = None
        if choice != "torch" and device == "cpu":
            try:
                self._impl = _onnx_encoder(self.name)
            except UnsupportedModel as exc:
                if choice == "onnx":
                    raise
                print(f"qa: note: {exc}; encoding with sentence-transformers (torch) instead", file=sys.stderr)
        if self._impl is None:
            from qa.retrieval.torch_encoder import TorchEncoder

            path = Path(resolve_model(self.name))
            self._impl = TorchEncoder(self.name, device, model_fingerprint(path) if path.is_dir() else None)
        self.backend: str = self._impl.backend
        self.fingerprint: str | None = self._impl.fingerprint
        self.dim: int = self._impl.dim
        self.max_tokens: int = self._impl.max_tokens
        wanted = os.environ.get("QA_PASSAGE_ENCODER", "").strip().lower() or PASSAGE_RUNTIME
        if wanted not in ("onnx", "torch"):
            raise SettingsError(f"QA_PASSAGE_ENCODER must be onnx or torch, got {wanted!r}")
        self._passage_runtime = wanted if choice == "auto" else self.backend  # a forced runtime does all
        self._passages = self._impl if self._passage_runtime == self.backend else None
        self._device = device

    @property
    def passage_backend(self) -> str:
        """The runtime that encodes passages (loaded on first use): torch or onnx."""
        return self._passages.backend if self._passages is not None else self._passage_runtime

    def _passage_encoder(self):
        if self._passages is None:
            try:
                from qa.retrieval.torch_encoder import TorchEncoder

                self._passages = TorchEncoder(self.name, self._device, self.fingerprint)
            except QAError as exc:
                print(f"qa: note: {exc}; encoding passages with {self.backend} instead", file=sys.stderr)
                self._passages = self._impl
        return self._passages

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Word pieces of each text, without the special tokens."""
        return self._impl.count_tokens(texts)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 embeddings, one row per text."""
        return self._impl.encode_queries(texts)

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
        return self._passage_encoder().encode_passages(texts, sentence_spans, batch_size=batch_size,
                                                       progress=progress)


def _onnx_encoder(name: str):
    """The ONNX encoder of ``name``, exporting the model first if needed; raises UnsupportedModel."""
    from qa.retrieval.onnx_encoder import OnnxEncoder
    from qa.retrieval.onnx_export import ensure_onnx

    info = model_info(name)
    return OnnxEncoder(info, ensure_onnx(info))


def model_record(encoder) -> dict:
    """What an index manifest records of the model its vectors come from (``runtime``: onnx or
    torch, which encoded them; both give the same vectors)."""
    return {"name": encoder.name, "dim": encoder.dim, "max_tokens": encoder.max_tokens,
            "fingerprint": getattr(encoder, "fingerprint", None),
            "runtime": getattr(encoder, "passage_backend", getattr(encoder, "backend", None))}


def check_query_model(manifest: dict, encoder) -> None:
    """Raise IndexStateError unless ``encoder`` is the model the index's vectors come from: the
    same files (fingerprint) when both are known, else the same name; and the same dimension."""
    built = manifest.get("model", {})
    name, fingerprint = built.get("name"), built.get("fingerprint")
    theirs = getattr(encoder, "fingerprint", None)
    same = fingerprint == theirs if fingerprint and theirs else name in (None, encoder.name)
    if same and built.get("dim") not in (None, getattr(encoder, "dim", None)):
        same = False
    if not same:
        raise IndexStateError(
            f"the index was built with model {name!r} ({(fingerprint or 'no fingerprint')[:12]}), but queries "
            f"would be encoded by {encoder.name!r} ({(theirs or 'no fingerprint')[:12]}): run `qa ingest` "
            "with the model to use, or query with the index's model")
