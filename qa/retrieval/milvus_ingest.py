"""Corpus folder -> Milvus collection + local record, updating in place.

Documents that did not change are not touched; a changed document's passages are written again
(vectors reused for passages whose id, a hash of document, section and text, Milvus already holds)
and its removed passages deleted; a removed document's passages are deleted. A new collection
takes vectors from the embedded index in the same folder when it was built with the same model
and settings, and encodes the rest. The document frequencies of BM25 terms are updated with the
passages added and removed. The record is written last, after ``flush``.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Callable

import numpy as np

from qa.retrieval.build import IndexSettings, IngestReport, _previous_vectors, chunk_documents, corpus_fingerprint
from qa.retrieval.encoder import model_record
from qa.retrieval.milvus_backend import connect, query_all
from qa.retrieval.milvus_record import Record, load_record, read_record_manifest, save_record
from qa.retrieval.milvus_schema import (
    MilvusTarget,
    check_varchar,
    create_collection,
    in_list,
    is_ours,
    pack_vectors,
    terms_text,
    unpack_vectors,
)
from qa.retrieval.terms import TermStats
from qa.retrieval.fields import passage_terms, passage_title
from qa.types import Chunk, Document, IndexStateError, LoadError, QAError
from qa.version import __version__

BATCH = 1000


def passage_row(chunk: Chunk, kind: str, vector: np.ndarray, sentences: np.ndarray, analyzer: str,
                title: str = "", title_weight: int = 0) -> dict:
    """One Milvus row for ``chunk`` (BM25 terms: its text's, and ``title``'s ``title_weight`` times, as
    ``qa.retrieval.fields.passage_terms``); raises QAError naming it when a field is over Milvus's limits."""
    cid = chunk.chunk_id
    terms = terms_text(passage_terms(chunk.text, title, title_weight)) if analyzer == "qa" else ""
    return {"chunk_id": cid, "text": check_varchar(chunk.text, "text", cid),
            "terms": check_varchar(terms, "terms", cid),
            "dense": np.asarray(vector, dtype=np.float32).tolist(), "doc_id": chunk.doc_id, "kind": kind,
            "start": chunk.start, "end": chunk.end, "pages": list(chunk.pages), "section": chunk.section,
            "sentences": [list(s) for s in chunk.sentences],
            "sentence_vectors": _check_json(pack_vectors(sentences, vector), cid)}


def _check_json(value: dict, chunk_id: str) -> dict:
    check_varchar(value["f16"], "sentence vectors", chunk_id)  # Milvus's JSON limit is the same 64 KB
    return value


def write_rows(client, collection: str, rows: list[dict], upsert: bool, progress=None) -> None:
    """Insert (or upsert) ``rows`` in batches."""
    for lo in range(0, len(rows), BATCH):
        batch = rows[lo:lo + BATCH]
        (client.upsert if upsert else client.insert)(collection, batch)
        if progress:
            progress(len(batch))


def milvus_status(corpus_dir: Path, index_dir: Path, settings: IndexSettings, model: str, target: MilvusTarget) -> str:
    """"fresh", or why the Milvus index must be (re)built."""
    try:
        manifest = read_record_manifest(index_dir)
    except IndexStateError as exc:
        return str(exc)
    if manifest.get("corpus", {}).get("fingerprint") != corpus_fingerprint(corpus_dir, settings, model):
        return f"Milvus index at {index_dir} is stale: the corpus, settings, model, qa version or ingestion code changed"
    if manifest.get("milvus") != target.describe():
        return f"Milvus index at {index_dir} was built for {manifest.get('milvus')}, not {target.describe()}"
    return "fresh"


def _compatible_record(index_dir: Path, target: MilvusTarget, encoder, settings: IndexSettings) -> Record | None:
    try:
        record = load_record(index_dir)
    except IndexStateError:
        return None
    m = record.manifest
    fingerprint = getattr(encoder, "fingerprint", None)
    same = (m.get("model", {}).get("name") == encoder.name and m.get("settings") == settings.describe()
            and (not fingerprint or m["model"].get("fingerprint") in (None, fingerprint))
            and m.get("milvus") == target.describe() and m.get("qa_version") == __version__)
    return record if same else None


def build_milvus(documents: list[Document], index_dir: Path, encoder, settings: IndexSettings, fingerprint: str,
                 target: MilvusTarget, errors: tuple[LoadError, ...] = (),
                 progress: Callable[[str, int, int], None] | None = None, client=None) -> IngestReport:
    """Bring the collection and the record at ``index_dir`` up to ``documents``."""
    started = time.perf_counter()
    if not documents:
        raise QAError("no document could be indexed" + (f" ({len(errors)} files failed)" if errors else ""))
    index_dir, name = Path(index_dir), target.collection
    client = client or connect(target)
    previous = _compatible_record(index_dir, target, encoder, settings)
    if previous is None or not client.has_collection(name):
        if client.has_collection(name):
            if not is_ours(client, name):
                raise QAError(f"Milvus collection {name!r} at {target.uri} was not made by qa: "
                              "choose another one with --milvus-collection")
            client.drop_collection(name)
        create_collection(client, target, encoder.dim)
        previous = Record(manifest={"corpus": {"documents": []}, "counts": {"chunks": 0}}, documents={},
                          terms=TermStats())
        seed = _previous_vectors(index_dir, encoder.name, settings,  # an embedded index beside it
                                 getattr(encoder, "fingerprint", None))
    else:
        seed = {}
    new = {d.doc_id: d for d in documents}
    changed = [d for d in documents if previous.documents.get(d.doc_id) != d]
    touched = [d.doc_id for d in changed if d.doc_id in previous.documents]
    touched += [d for d in previous.documents if d not in new]
    old_rows = [r for lo in range(0, len(touched), 100) for r in query_all(
        client, name, in_list("doc_id", touched[lo:lo + 100]), ["chunk_id", "doc_id", "section", "text", "dense", "sentence_vectors"])]
    reuse = {}
    for r in old_rows:
        vector = np.asarray(r["dense"], dtype=np.float32)
        reuse[r["chunk_id"]] = (vector, unpack_vectors(r["sentence_vectors"], encoder.dim, vector))
    chunks = chunk_documents(changed, encoder, settings)
    todo = [i for i, c in enumerate(chunks) if c.chunk_id not in reuse and c.chunk_id not in seed]
    t = time.perf_counter()
    encoded = encoder.encode_passages(
        [chunks[i].text for i in todo],
        [[(a - chunks[i].start, b - chunks[i].start) for a, b in chunks[i].sentences] for i in todo],
        progress=(lambda n: progress("embedding", n, len(todo))) if progress else None)
    encode_seconds = time.perf_counter() - t
    t = time.perf_counter()
    fresh = dict(zip(todo, range(len(todo))))
    old_ids = set(reuse)
    inserts, upserts = [], []
    for i, c in enumerate(chunks):
        vec, sents = ((encoded.passages[fresh[i]], encoded.sentences[fresh[i]]) if i in fresh
                      else reuse.get(c.chunk_id) or seed[c.chunk_id])
        row = passage_row(c, new[c.doc_id].kind, vec, sents, target.analyzer,
                          passage_title(new[c.doc_id], c.section), settings.title_weight)
        (upserts if c.chunk_id in old_ids else inserts).append(row)
    bar = (lambda n: progress("writing", n, len(chunks))) if progress else None
    write_rows(client, name, inserts, upsert=False, progress=bar)
    write_rows(client, name, upserts, upsert=True, progress=bar)
    stale = sorted(old_ids - {c.chunk_id for c in chunks})
    for lo in range(0, len(stale), BATCH):
        client.delete(name, ids=stale[lo:lo + BATCH])
    client.flush(name)
    write_seconds = time.perf_counter() - t
    w = settings.title_weight
    terms = previous.terms.updated(
        added=[passage_terms(c.text, passage_title(new[c.doc_id], c.section), w) for c in chunks],
        removed=[passage_terms(r["text"], passage_title(previous.documents.get(r["doc_id"]), r.get("section") or ""), w)
                 for r in old_rows])
    per_doc = {e["doc_id"]: e for e in previous.manifest["corpus"]["documents"] if e["doc_id"] in new}
    for d in changed:
        per_doc[d.doc_id] = {"doc_id": d.doc_id, "path": d.path, "content_hash": d.content_hash,
                             "chunks": sum(c.doc_id == d.doc_id for c in chunks), "pages": d.page_count}
    total = int(previous.manifest["counts"]["chunks"]) - len(old_rows) + len(chunks)
    manifest = {
        "backend": "milvus", "qa_version": __version__, "milvus": target.describe(),
        "model": model_record(encoder),
        "settings": settings.describe(),
        "corpus": {"fingerprint": fingerprint, "documents": [per_doc[d.doc_id] for d in documents],
                   "errors": [str(e) for e in errors]},
        "counts": {"documents": len(new), "chunks": total},
    }
    save_record(index_dir, Record(manifest=manifest, documents=new, terms=terms))
    return IngestReport(documents=len(new), chunks=total, pages=sum(d.page_count for d in documents),
                        reused_chunks=len(chunks) - len(todo), encoded_chunks=len(todo),
                        seconds=time.perf_counter() - started, errors=tuple(errors),
                        timings={"encode": encode_seconds, "write": write_seconds, "changed_documents": len(changed),
                                 "removed_documents": len(touched) - sum(d in new for d in touched),
                                 "deleted_chunks": len(stale)})


def ingest_milvus(corpus_dir: Path, index_dir: Path, encoder, target: MilvusTarget,
                  settings: IndexSettings = IndexSettings(),
                  progress: Callable[[str, int, int], None] | None = None) -> IngestReport:
    """Load ``corpus_dir`` and bring the Milvus index up to it (bad files are reported in ``errors``)."""
    from qa.ingestion.loaders import load_corpus

    started = time.perf_counter()
    fingerprint = corpus_fingerprint(corpus_dir, settings, encoder.name)
    documents, errors = load_corpus(corpus_dir)
    report = build_milvus(documents, index_dir, encoder, settings, fingerprint, target, tuple(errors), progress)
    return replace(report, seconds=time.perf_counter() - started)
