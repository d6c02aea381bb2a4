"""Exporting the model's transformer to ONNX, once per model: cached under the cache folder, keyed
by the fingerprint of the model's files, written atomically so that concurrent processes and an
interrupted export never leave a partial file. Only the export needs torch."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from qa.retrieval.model_files import ModelInfo, UnsupportedModel, cache_dir, write_atomically

EXPORT_VERSION = 1  # bump when the exported graph changes, so old cache entries are not reused
OPSET = 17


def onnx_path(info: ModelInfo) -> Path:
    """Where the exported model of ``info`` lives (whether or not it exists yet)."""
    return cache_dir() / "onnx" / f"{info.fingerprint[:24]}-v{EXPORT_VERSION}" / "model.onnx"


def input_names(path: Path) -> list[str]:
    """The inputs the exported graph takes, as recorded beside it at export."""
    meta = json.loads((path.parent / "export.json").read_text(encoding="utf-8"))
    return list(meta["inputs"])


def ensure_onnx(info: ModelInfo) -> Path:
    """The exported model of ``info``, exporting it first if the cache does not hold it yet.

    Raises UnsupportedModel when the export fails (no torch, an architecture the exporter
    refuses, an unwritable cache folder).
    """
    path = onnx_path(info)
    if path.is_file() and (path.parent / "export.json").is_file():
        return path
    try:
        export_onnx(info, path)
    except UnsupportedModel:
        raise
    except Exception as exc:  # torch's exporter raises many kinds; each means "cannot export"
        raise UnsupportedModel(f"could not export {info.name!r} to ONNX ({type(exc).__name__}: {exc})") from exc
    return path


def export_onnx(info: ModelInfo, dest: Path) -> None:
    """Export the transformer of ``info`` (token embeddings out; pooling runs in numpy) to ``dest``."""
    import inspect
    import warnings

    import torch
    import transformers

    transformers.utils.logging.disable_progress_bar()
    model = transformers.AutoModel.from_pretrained(str(info.path))
    model.eval()
    names = ["input_ids", "attention_mask"]
    if "token_type_ids" in inspect.signature(model.forward).parameters:
        names.append("token_type_ids")

    class TokenEmbeddings(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *inputs):
            return self.model(**dict(zip(names, inputs))).last_hidden_state

    dummy = tuple(torch.ones((2, 8), dtype=torch.long) for _ in names)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    print(f"qa: exporting {info.name} to ONNX (once) in {dest.parent}", file=sys.stderr)
    try:
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")
            torch.onnx.export(TokenEmbeddings(), dummy, str(tmp), input_names=names,
                              output_names=["token_embeddings"], opset_version=OPSET, dynamo=False,
                              dynamic_axes={n: {0: "batch", 1: "sequence"} for n in [*names, "token_embeddings"]})
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    meta = {"model": info.name, "fingerprint": info.fingerprint, "inputs": names, "opset": OPSET,
            "torch": torch.__version__, "export_version": EXPORT_VERSION}
    write_atomically(dest.parent / "export.json", json.dumps(meta, indent=2).encode())
