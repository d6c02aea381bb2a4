"""``qa bench --backend milvus``: the embedded back end and Milvus Lite side by side, per size.

Both get the same synthetic passages and vectors (see qa.evaluation.bench). Measured for each:
writing the index from passages whose vectors are already computed (passages per second: the
embedded BM25 matrix + faiss + save, against Milvus inserts with its BM25 function + flush +
its HNSW and BM25 indexes), the index's bytes per passage on disk, and per-query p50 and p95 of
search by mode (query vectors precomputed, so encoding is left out) and of a whole ``qa ask``
(k 5, as the CLI, encoding included). Encoding is the same client-side work for both back ends;
the end-to-end ingest rate is derived from the measured encoding rate.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np

MODES = ("bm25", "dense", "hybrid")


def _folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _query_times(retriever, queries: list[str], vectors: np.ndarray) -> dict:
    """p50/p95 ms of search per mode and of a whole ``qa ask``, after one warm-up query."""
    from qa.answers.answer import answer_question
    from qa.answers.quotes import QuoteFinder
    from qa.evaluation.bench import percentile
    from qa.retrieval.retriever import SearchSettings

    finder = QuoteFinder(retriever)
    answer_question(retriever, finder, queries[0])
    out = {}
    for mode in MODES:
        settings = SearchSettings(mode=mode, k=10)
        times = []
        for q, v in zip(queries, vectors):
            t = time.perf_counter()
            retriever.search(q, settings, query_vector=v)
            times.append((time.perf_counter() - t) * 1000)
        out[f"search_{mode}_ms"] = {"p50": round(percentile(times, 50), 2), "p95": round(percentile(times, 95), 2)}
    times = []
    for q in queries:
        t = time.perf_counter()
        answer_question(retriever, finder, q, SearchSettings(mode="hybrid", k=5))
        times.append((time.perf_counter() - t) * 1000)
    out["ask_ms"] = {"p50": round(percentile(times, 50), 2), "p95": round(percentile(times, 95), 2)}
    return out


def bench_backends(encoder, passages: list[str], queries: list[str], sample, workdir: Path) -> dict:
    """Both back ends over the same ``passages``: write rate, bytes per passage, query times."""
    from qa.evaluation.bench import _chunks_of, _fill_vectors, synthetic_documents
    from qa.retrieval.bm25 import build_bm25
    from qa.retrieval.dense import build_dense
    from qa.retrieval.milvus_backend import MilvusRetriever, connect
    from qa.retrieval.milvus_ingest import passage_row, write_rows
    from qa.retrieval.milvus_record import Record, save_record
    from qa.retrieval.milvus_schema import MilvusTarget, create_collection
    from qa.retrieval.retriever import Retriever
    from qa.retrieval.store import IndexData, load_index, save_index
    from qa.retrieval.terms import TermStats
    from qa.retrieval.tokenize import tokenize

    chunks = _chunks_of(passages)
    docs = {d.doc_id: d for d in synthetic_documents(passages)}
    n = len(chunks)
    vectors = _fill_vectors(sample.passages, n, seed=1)
    counts = np.array([len(c.sentences) for c in chunks])
    sentences = _fill_vectors(sample.sentences, int(counts.sum()), seed=2)
    ptr = np.concatenate([[0], np.cumsum(counts)])
    manifest = {"model": {"name": encoder.name, "dim": encoder.dim, "max_tokens": encoder.max_tokens}}

    t = time.perf_counter()
    embedded_dir = workdir / f"embedded-{n}"
    save_index(embedded_dir, IndexData(manifest=manifest, documents=docs, chunks=chunks,
                                       bm25=build_bm25([tokenize(c.text) for c in chunks]), chunk_vectors=vectors,
                                       sentence_vectors=sentences, sentence_ptr=ptr), build_dense(vectors))
    embedded_s = time.perf_counter() - t

    root = workdir / f"milvus-{n}"
    target = MilvusTarget(str(root / "milvus.db"), collection=f"bench_{n}")
    client = connect(target)
    t = time.perf_counter()
    create_collection(client, target, encoder.dim)
    rows = [passage_row(c, "other", vectors[i], sentences[ptr[i]:ptr[i + 1]], target.analyzer)
            for i, c in enumerate(chunks)]
    write_rows(client, target.collection, rows, upsert=False)
    client.flush(target.collection)
    client.load_collection(target.collection)
    milvus_s = time.perf_counter() - t
    del rows
    stats = TermStats().updated(added=[tokenize(c.text) for c in chunks])
    save_record(root / "index", Record(manifest={**manifest, "backend": "milvus", "milvus": target.describe(),
                                                 "counts": {"documents": len(docs), "chunks": n}},
                                       documents=docs, terms=stats))

    qv = encoder.encode_queries(queries)
    encode_rate = sample.ingest["bare_encode_chunks_per_s"]
    result = {"passages": n, "embedded": {}, "milvus": {}}
    for name, retriever, seconds, folder in (
            ("embedded", Retriever(load_index(embedded_dir), encoder), embedded_s, embedded_dir),
            ("milvus", MilvusRetriever(root / "index", target, encoder, client=client), milvus_s, root)):
        rate = n / seconds
        result[name] = {"write_passages_per_s": round(rate, 1),
                        "ingest_passages_per_s_with_encoding": round(1 / (1 / rate + 1 / encode_rate), 1),
                        "index_bytes_per_passage": round(_folder_bytes(folder) / n, 1),
                        **_query_times(retriever, queries, qv)}
    result["milvus_over_embedded"] = {
        key: round(result["milvus"][key]["p50"] / max(result["embedded"][key]["p50"], 1e-9), 2)
        for key in [f"search_{m}_ms" for m in MODES] + ["ask_ms"]}
    client.drop_collection(target.collection)
    shutil.rmtree(root, ignore_errors=True)
    return result


def print_backends(rows: list[dict]) -> None:
    """One line per size and back end."""
    for row in rows:
        for name in ("embedded", "milvus"):
            r = row[name]
            print(f"{name:8s} @ {row['passages']:>7}: write {r['write_passages_per_s']} passages/s "
                  f"({r['ingest_passages_per_s_with_encoding']} with encoding), {r['index_bytes_per_passage']} B/passage; "
                  f"p50 ms bm25 {r['search_bm25_ms']['p50']}, dense {r['search_dense_ms']['p50']}, "
                  f"hybrid {r['search_hybrid_ms']['p50']}, ask {r['ask_ms']['p50']}")
