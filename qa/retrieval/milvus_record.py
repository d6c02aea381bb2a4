"""The local half of a Milvus-backed index: the text of record and the term statistics.

Milvus holds the passages, their vectors and BM25; ``<index>/milvus/`` holds what the answer step
reads besides: ``documents.jsonl`` (every document's cleaned text, pages and sections, which every
offset points into) and ``terms.json`` (document frequencies of the BM25 terms), in a generation
folder named by ``manifest.json`` (model, settings, Milvus target, counts, corpus fingerprint,
checksum). As with the embedded index, a new generation is written first and the manifest
swapped atomically; nothing is pickled.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from qa.retrieval.store import document_from_json, document_to_json
from qa.retrieval.terms import TermStats
from qa.types import Document, IndexStateError

RECORD_DIR = "milvus"
RECORD_SCHEMA = 1
REBUILD = "run `qa ingest --backend milvus` to rebuild it"


@dataclass(frozen=True)
class Record:
    """What ``<index>/milvus/`` holds."""

    manifest: dict
    documents: dict[str, Document]
    terms: TermStats


def record_dir(index_dir: Path) -> Path:
    return Path(index_dir) / RECORD_DIR


def _checksum(manifest: dict) -> str:
    body = {k: v for k, v in manifest.items() if k != "checksum"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def read_record_manifest(index_dir: Path) -> dict:
    """The record's manifest; raises IndexStateError when missing, edited or of another schema."""
    path = record_dir(index_dir) / "manifest.json"
    if not path.is_file():
        raise IndexStateError(f"no Milvus index record at {path.parent}: {REBUILD}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndexStateError(f"{path} is unreadable ({exc}): {REBUILD}") from exc
    if not isinstance(manifest, dict) or manifest.get("checksum") != _checksum(manifest):
        raise IndexStateError(f"{path} was edited or damaged (checksum mismatch): {REBUILD}")
    if manifest.get("record_schema") != RECORD_SCHEMA:
        raise IndexStateError(f"{path} has record schema {manifest.get('record_schema')}: {REBUILD}")
    return manifest


def load_record(index_dir: Path) -> Record:
    """The record at ``index_dir``; raises IndexStateError naming the damaged or missing file."""
    manifest = read_record_manifest(index_dir)
    gen = record_dir(index_dir) / str(manifest.get("generation", ""))
    try:
        with open(gen / "documents.jsonl", encoding="utf-8") as f:
            documents = {d.doc_id: d for d in (document_from_json(json.loads(line)) for line in f)}
        terms = json.loads((gen / "terms.json").read_text(encoding="utf-8"))
        stats = TermStats(n=int(terms["n"]), df={str(t): int(c) for t, c in terms["df"].items()})
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise IndexStateError(f"Milvus index record at {gen} is damaged ({exc}): {REBUILD}") from exc
    if len(documents) != manifest.get("counts", {}).get("documents"):
        raise IndexStateError(f"Milvus index record at {gen} holds {len(documents)} documents, its manifest "
                              f"{manifest.get('counts', {}).get('documents')}: {REBUILD}")
    return Record(manifest=manifest, documents=documents, terms=stats)


def save_record(index_dir: Path, record: Record) -> Path:
    """Write ``record`` as a new generation and swap the manifest to it; generations before the
    previous one are removed."""
    root = record_dir(index_dir)
    root.mkdir(parents=True, exist_ok=True)
    generation = f"gen-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{os.urandom(3).hex()}"
    tmp = root / (generation + ".tmp")
    tmp.mkdir()
    try:
        with open(tmp / "documents.jsonl", "w", encoding="utf-8") as f:
            for doc in record.documents.values():
                f.write(json.dumps(document_to_json(doc), ensure_ascii=False) + "\n")
        terms = {"n": record.terms.n, "df": dict(sorted(record.terms.df.items()))}
        (tmp / "terms.json").write_text(json.dumps(terms, ensure_ascii=False), encoding="utf-8")
        for f in tmp.iterdir():
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())
        manifest = dict(record.manifest, record_schema=RECORD_SCHEMA, generation=generation,
                        created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        manifest["checksum"] = _checksum(manifest)
        try:
            previous = str(read_record_manifest(index_dir).get("generation", ""))
        except IndexStateError:
            previous = ""
        os.replace(tmp, root / generation)
        staged = root / f"manifest.json.{os.getpid()}.tmp"
        staged.write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        os.replace(staged, root / "manifest.json")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    for path in root.glob("gen-*"):
        if path.name not in (generation, previous) and path.is_dir():  # readers may still open previous
            shutil.rmtree(path, ignore_errors=True)
    return root / generation
