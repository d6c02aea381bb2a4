"""A trained reader's weights read back from its exported ONNX file, to start a further run from.

The repository keeps the reader as one ONNX file (qa/reader/reader.onnx), not as framework
weights, so a run that continues an earlier one (``qa train-reader --init FILE``) starts from that
file's weights: int8 ones are dequantised (``(q - zero_point) * scale``, per channel or per tensor),
fp32 ones taken as they are. A weight of a linear layer is an initializer the exporter renamed
(``onnx::MatMul_896``); its layer is named by the path of the MatMul that uses it
(``/model/bert/encoder/layer.0/attention/self/query/MatMul``), and it is stored transposed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

PREFIX = "model."   # the export's wrapper module (qa.reader.export.Spans) names the model "model"


def onnx_weights(path: Path) -> dict[str, np.ndarray]:
    """{the Hugging Face state-dict name: float32 array} for every weight in the reader ``path``."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(path)).graph
    inits = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    users = {}
    for node in graph.node:
        for name in node.input:
            users.setdefault(name, node)

    def layer_of(name: str) -> str:
        node = users.get(name)
        if node is None or node.op_type not in ("MatMul", "MatMulInteger") or not node.output:
            raise ValueError(f"{path}: weight {name} is not a linear layer's")
        parts = node.output[0].split("/")
        if len(parts) < 4 or parts[1] != PREFIX.rstrip("."):
            raise ValueError(f"{path}: cannot tell the layer of {name} from {node.output[0]!r}")
        return ".".join(parts[2:-1])

    out: dict[str, np.ndarray] = {}
    for name, arr in inits.items():
        if name.endswith(("_scale", "_zero_point")) or "quant_scales" in name:
            continue
        if name.endswith("_quantized"):
            base = name[: -len("_quantized")]
            w = (arr.astype(np.float32) - inits[base + "_zero_point"].astype(np.float32)) \
                * inits[base + "_scale"].astype(np.float32)
            key, transpose = (base[len(PREFIX):], False) if base.startswith(PREFIX) else (layer_of(name) + ".weight", True)
        elif arr.dtype == np.float32 and name.startswith(PREFIX):
            w, key, transpose = arr, name[len(PREFIX):], False
        elif arr.dtype == np.float32 and arr.ndim == 2 and name in users:
            w, key, transpose = arr, layer_of(name) + ".weight", True
        else:
            continue   # shapes and constants of the graph
        if key.endswith("_Transposed"):   # a weight the exporter stored transposed under its own name
            key, transpose = key[: -len("_Transposed")], not transpose
        out[key] = np.ascontiguousarray(w.T if transpose else w, dtype=np.float32)
    return out


def load_into(model, path: Path, keep: tuple[str, ...] = (), weights: dict[str, np.ndarray] | None = None) -> list[str]:
    """Copy the reader ``path``'s weights into the torch ``model`` (an AutoModelForQuestionAnswering
    of the same shape), except the names in ``keep`` (left as the model has them). Returns the names
    copied; ValueError when one of the model's weights is missing from the file or of another shape."""
    import torch

    weights = onnx_weights(path) if weights is None else weights   # ``weights``: read already
    state = model.state_dict()
    copied = []
    for name, tensor in state.items():
        if name in keep or not name.endswith(("weight", "bias")):
            continue
        if name not in weights:
            raise ValueError(f"{path}: no weight for {name}")
        if tuple(weights[name].shape) != tuple(tensor.shape):
            raise ValueError(f"{path}: {name} is {weights[name].shape}, the model wants {tuple(tensor.shape)}")
        state[name] = torch.from_numpy(weights[name].copy())
        copied.append(name)
    model.load_state_dict(state)
    return copied
