"""One ONNX Runtime session on the CPU, set up the same way for every model the tool runs."""

from __future__ import annotations

import os
from pathlib import Path


def env_threads() -> int | None:
    """The intra-op threads ``QA_ONNX_THREADS`` asks for; None when it is unset (or not a number)."""
    threads = os.environ.get("QA_ONNX_THREADS", "").strip()
    return int(threads) if threads.isdigit() else None


def cpu_session(path: Path, threads: int | None = None):
    """An ``onnxruntime.InferenceSession`` for ``path``: all graph optimisations, on the CPU, with
    ``QA_ONNX_THREADS`` intra-op threads when that is set, else ``threads`` when given (ONNX
    Runtime's own choice otherwise). ONNX Runtime's errors pass through: each caller names what it
    was loading."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    chosen = env_threads() or threads
    if chosen:
        options.intra_op_num_threads = chosen
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
