"""One ONNX Runtime session on the CPU, set up the same way for every model the tool runs."""

from __future__ import annotations

import os
from pathlib import Path


def cpu_session(path: Path):
    """An ``onnxruntime.InferenceSession`` for ``path``: all graph optimisations, on the CPU, with
    ``QA_ONNX_THREADS`` intra-op threads when that is set (ONNX Runtime's own choice otherwise).
    ONNX Runtime's errors pass through: each caller names what it was loading."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    threads = os.environ.get("QA_ONNX_THREADS", "").strip()
    if threads.isdigit():
        options.intra_op_num_threads = int(threads)
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
