"""Save and load ``index/``: a manifest that describes itself, JSON lines and ``.npy`` arrays.

Layout::

    index/manifest.json          schema, versions, model, settings, corpus fingerprint, file sizes,
                                 and the name of the current generation folder
    index/gen-<id>/documents.jsonl, chunks.jsonl, bm25_*.npy, bm25_vocab.json,
                   chunk_vectors.npy, sentence_vectors.npy, sentence_ptr.npy, dense.faiss

A new index is written to a fresh generation folder; only then is ``manifest.json`` replaced
(``os.replace``, atomic), so a crash mid-write leaves the previous index whole, and a reader sees
the old generation or the new one. Nothing is pickled: arrays load with ``allow_pickle=False``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa.retrieval.bm25 import BM25Index, BM25Params, Postings
from qa.types import Chunk, Document, IndexStateError, Link, Span
from qa.version import __version__

SCHEMA_VERSION = 2  # 2: documents carry captions and primacy
MANIFEST = "manifest.json"
_ARRAYS = ("bm25_data", "bm25_indices", "bm25_indptr", "chunk_vectors", "sentence_vectors", "sentence_ptr")
REBUILD = "run `qa ingest` to rebuild it"


@dataclass(frozen=True)
class IndexData:
    """Everything an index holds, in memory. ``sentence_ptr[i]:sentence_ptr[i+1]`` are chunk i's
    rows of ``sentence_vectors`` (in the order of ``chunks[i].sentences``)."""

    manifest: dict
    documents: dict[str, Document]
    chunks: list[Chunk]
    bm25: BM25Index
    chunk_vectors: np.ndarray
    sentence_vectors: np.ndarray
    sentence_ptr: np.ndarray
    dense_path: Path | None = None


def library_versions() -> dict[str, str]:
    """Versions of the libraries whose output the index stores."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("onnxruntime", "tokenizers", "sentence-transformers", "transformers", "torch", "faiss-cpu", "numpy",
                 "rank-bm25", "PyStemmer"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = ""
    return out


def _manifest_checksum(manifest: dict) -> str:
    body = {k: v for k, v in manifest.items() if k != "checksum"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def document_to_json(doc: Document) -> dict:
    return asdict(doc)


def document_from_json(row: dict) -> Document:
    row = dict(row)
    for key in ("pages", "sections", "footnotes", "captions"):
        row[key] = tuple(Span(**s) for s in row.get(key, ()))
    row["links"] = tuple(Link(**s) for s in row.get("links", ()))
    return Document(**row)


def chunk_from_json(row: dict) -> Chunk:
    row = dict(row)
    row["pages"] = tuple(row["pages"])
    row["sentences"] = tuple(tuple(s) for s in row["sentences"])
    return Chunk(**row)


def save_index(root: Path, data: IndexData, dense_index: Any) -> Path:
    """Write ``data`` as a new generation under ``root`` and switch the manifest to it atomically.

    Returns the generation folder. Older generations are removed afterwards.
    """
    import faiss

    root.mkdir(parents=True, exist_ok=True)
    generation = f"gen-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{os.urandom(3).hex()}"
    tmp = root / (generation + ".tmp")
    tmp.mkdir()
    try:
        with open(tmp / "documents.jsonl", "w", encoding="utf-8") as f:
            for doc in data.documents.values():
                f.write(json.dumps(document_to_json(doc), ensure_ascii=False) + "\n")
        with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as f:
            for chunk in data.chunks:
                f.write(json.dumps(asdict(chunk), ensure_ascii=False) + "\n")
        vocab = sorted(data.bm25.vocab, key=data.bm25.vocab.get)
        (tmp / "bm25_vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
        w = data.bm25.weights
        arrays = {  # asarray: no copy of an array that already has its stored type
            "bm25_data": np.asarray(w.data, dtype=np.float64),
            "bm25_indices": np.asarray(w.indices, dtype=np.int32),
            "bm25_indptr": np.asarray(w.indptr, dtype=np.int64),
            "chunk_vectors": np.ascontiguousarray(data.chunk_vectors, dtype=np.float32),
            # half precision: cosines to 3 decimals are plenty to pick a sentence, at half the bytes
            "sentence_vectors": np.ascontiguousarray(data.sentence_vectors, dtype=np.float16),
            "sentence_ptr": np.asarray(data.sentence_ptr, dtype=np.int64),
        }
        for name, arr in arrays.items():
            np.save(tmp / f"{name}.npy", arr, allow_pickle=False)
        faiss.write_index(dense_index, str(tmp / "dense.faiss"))
        for f in tmp.iterdir():
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())
        manifest = dict(data.manifest)
        manifest.update(
            schema_version=SCHEMA_VERSION,
            qa_version=__version__,
            libraries=library_versions(),
            generation=generation,
            created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            bm25={"k1": data.bm25.params.k1, "b": data.bm25.params.b, "epsilon": data.bm25.params.epsilon,
                  "terms": len(vocab)},
            files={f.name: f.stat().st_size for f in sorted(tmp.iterdir())},
        )
        manifest["checksum"] = _manifest_checksum(manifest)
        try:
            previous = str(read_manifest(root).get("generation", ""))
        except IndexStateError:
            previous = ""
        os.replace(tmp, root / generation)
        staged = root / (MANIFEST + f".{os.getpid()}.tmp")
        staged.write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        with open(staged, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(staged, root / MANIFEST)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _remove_old_generations(root, keep={generation, previous})
    return root / generation


def _remove_old_generations(root: Path, keep: set[str]) -> None:
    """Delete generations other than ``keep`` (the new one, and the one readers may still be
    opening), and folders left by interrupted writes."""
    for path in root.glob("gen-*"):
        if path.name not in keep and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)


def read_manifest(root: Path) -> dict:
    """The manifest of the index at ``root``; raises IndexStateError if missing or tampered with."""
    path = root / MANIFEST
    if not path.is_file():
        raise IndexStateError(f"no index at {root} (missing {MANIFEST}): {REBUILD}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndexStateError(f"{path} is unreadable ({exc}): {REBUILD}") from exc
    if not isinstance(manifest, dict) or manifest.get("checksum") != _manifest_checksum(manifest):
        raise IndexStateError(f"{path} was edited or damaged (checksum mismatch): {REBUILD}")
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise IndexStateError(
            f"{path} has schema version {manifest.get('schema_version')}, this qa reads {SCHEMA_VERSION}: {REBUILD}"
        )
    return manifest


def load_index(root: Path, mmap: bool = True) -> IndexData:
    """Load the current generation; arrays are memory-mapped when ``mmap``.

    Raises IndexStateError naming the missing, truncated or damaged file. A generation swapped
    out by a concurrent ``qa ingest`` while loading is retried once with the new manifest.
    """
    try:
        return _load_generation(root, read_manifest(root), mmap)
    except IndexStateError:
        manifest = read_manifest(root)
        return _load_generation(root, manifest, mmap)


def _load_generation(root: Path, manifest: dict, mmap: bool) -> IndexData:
    gen = root / str(manifest.get("generation", ""))
    for name, size in manifest.get("files", {}).items():
        f = gen / name
        if not f.is_file():
            raise IndexStateError(f"index file {f} is missing: {REBUILD}")
        if f.stat().st_size != size:
            raise IndexStateError(f"index file {f} has {f.stat().st_size} bytes, expected {size} (truncated?): {REBUILD}")
    try:
        arrays = {n: np.load(gen / f"{n}.npy", allow_pickle=False, mmap_mode="r" if mmap else None) for n in _ARRAYS}
        vocab_list = json.loads((gen / "bm25_vocab.json").read_text(encoding="utf-8"))
        with open(gen / "documents.jsonl", encoding="utf-8") as f:
            documents = {d.doc_id: d for d in (document_from_json(json.loads(line)) for line in f)}
        with open(gen / "chunks.jsonl", encoding="utf-8") as f:
            chunks = [chunk_from_json(json.loads(line)) for line in f]
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise IndexStateError(f"index at {gen} is damaged ({exc}): {REBUILD}") from exc
    n = len(chunks)
    shapes_ok = (
        arrays["chunk_vectors"].shape[0] == n
        and arrays["sentence_ptr"].shape[0] == n + 1
        and arrays["bm25_indptr"].shape[0] == len(vocab_list) + 1
        and int(arrays["sentence_ptr"][-1]) == arrays["sentence_vectors"].shape[0]
    )
    if not shapes_ok:
        raise IndexStateError(f"index at {gen} is inconsistent (array shapes disagree): {REBUILD}")
    weights = Postings(data=arrays["bm25_data"], indices=arrays["bm25_indices"], indptr=arrays["bm25_indptr"],
                       shape=(len(vocab_list), n))
    params = BM25Params(**{k: manifest["bm25"][k] for k in ("k1", "b", "epsilon")})
    bm25 = BM25Index(vocab={t: i for i, t in enumerate(vocab_list)}, weights=weights, params=params)
    return IndexData(
        manifest=manifest,
        documents=documents,
        chunks=chunks,
        bm25=bm25,
        chunk_vectors=arrays["chunk_vectors"],
        sentence_vectors=arrays["sentence_vectors"],
        sentence_ptr=arrays["sentence_ptr"],
        dense_path=gen / "dense.faiss",
    )
