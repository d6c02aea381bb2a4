"""``qa bench --real``: ``qa ask`` timed on an index of REAL passages and embeddings at scale
(qa.evaluation.bench_real makes and caches them), against bare query encoding on ONNX Runtime and
on torch in the same loop; and HNSW recall on those vectors with real queries."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from qa.evaluation.bench_real import KINDS, assemble, passage_kind, prepare_real


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation; 0.0 for no values."""
    return float(np.percentile(values, q)) if values else 0.0


def real_queries(scifact: Path, gold: Path, n: int) -> list[str]:
    """``n`` real queries, alternately SciFact claims and questions of the home gold set."""
    def first(path: Path, field: str) -> list[str]:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return [r[field] for r in rows if isinstance(r.get(field), str) and r[field].strip()]

    claims, questions = first(scifact / "queries.jsonl", "text"), first(gold, "question")
    mixed = [q for pair in zip(claims, questions) for q in pair]
    return mixed[:n]


def fill_by_copies(documents: dict, chunks: list, vectors: np.ndarray, sentences: list, target: int):
    """Reach ``target`` passages by copying whole documents (new ids ``copyK-...``, same text and
    vectors) in order, when there are fewer real ones. Returns (documents, chunks, vectors,
    sentences, copied passages)."""
    if not chunks or len(chunks) >= target:
        return documents, chunks, vectors, sentences, 0
    docs, out_chunks, out_sentences, rows = dict(documents), list(chunks), list(sentences), list(range(len(chunks)))
    k = 0
    while len(out_chunks) < target:
        k += 1
        for i, c in enumerate(chunks):
            if len(out_chunks) >= target:
                break
            doc_id = f"copy{k}-{c.doc_id}"
            if doc_id not in docs:
                docs[doc_id] = replace(documents[c.doc_id], doc_id=doc_id)
            out_chunks.append(replace(c, chunk_id=f"copy{k}:{c.chunk_id}", doc_id=doc_id))
            out_sentences.append(sentences[i])
            rows.append(i)
    return docs, out_chunks, vectors[rows], out_sentences, len(out_chunks) - len(chunks)


def bench_real(encoder, reference, target: int, queries: list[str], scifact: Path, folders: list[Path],
               cache: Path, workdir: Path, budget_s: float | None = None, progress=None) -> dict:
    """The real-embedding measurement at ``target`` passages (see the module docstrings)."""
    from qa.answers.quotes import QuoteFinder
    from qa.retrieval.bm25 import build_bm25
    from qa.retrieval.dense import build_dense, dense_top
    from qa.retrieval.encoder import model_record
    from qa.retrieval.retriever import Retriever
    from qa.retrieval.store import IndexData, load_index, save_index
    from qa.retrieval.tokenize import tokenize

    t = time.perf_counter()
    prep = prepare_real(encoder, target, scifact, folders, cache, budget_s, progress)
    rows, vectors, sentence_blocks, origin = assemble(prep["chunks"], prep["shards"])
    chunks = [prep["chunks"][i] for i in rows]
    kinds = {k: 0 for k in KINDS}
    for c in chunks:
        kinds[passage_kind(c)] += 1
    documents = {d.doc_id: d for d in prep["documents"]}
    documents = {d: documents[d] for d in dict.fromkeys(c.doc_id for c in chunks)}
    documents, chunks, vectors, sentence_blocks, copied = fill_by_copies(documents, chunks, vectors,
                                                                          sentence_blocks, target)
    prepare_s = time.perf_counter() - t
    counts = np.array([len(b) for b in sentence_blocks], dtype=np.int64)
    t = time.perf_counter()
    dense = build_dense(vectors)
    folder = workdir / f"real-{len(chunks)}"
    save_index(folder, IndexData(manifest={"model": model_record(encoder)}, documents=documents, chunks=chunks,
                                 bm25=build_bm25([tokenize(c.text) for c in chunks]), chunk_vectors=vectors,
                                 sentence_vectors=np.concatenate(sentence_blocks).astype(np.float32),
                                 sentence_ptr=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)), dense)
    build_s = time.perf_counter() - t
    retriever = Retriever(load_index(folder), encoder)
    finder = QuoteFinder(retriever)
    stages, onnx_ms, torch_ms = time_asks(retriever, finder, encoder, reference, queries)

    def p(values):
        return {"p50": round(percentile(values, 50), 2), "p95": round(percentile(values, 95), 2)}

    ask_p50 = percentile(stages["total"], 50)
    return {
        "passages": len(chunks), "documents": len(documents), "queries": len(queries),
        "real_passage_kinds": kinds, "vectors": dict(origin, copied=copied), "listed": prep["counts"],
        "encoding": dict(prep["stats"], cache=str(prep["folder"])),
        "dense_index": type(dense).__name__, "prepare_s": round(prepare_s, 1), "build_s": round(build_s, 1),
        "stages_ms": {k: p(v) for k, v in stages.items()},
        "onnx_encode_ms": p(onnx_ms), "torch_encode_ms": p(torch_ms),
        "ask_over_torch_encode_p50": round(ask_p50 / max(percentile(torch_ms, 50), 1e-9), 3),
        "ask_over_onnx_encode_p50": round(ask_p50 / max(percentile(onnx_ms, 50), 1e-9), 3),
        "dense_recall@10_vs_exact": recall_vs_exact(dense, vectors, encoder.encode_queries(queries), dense_top),
    }


def time_asks(retriever, finder, encoder, reference, queries: list[str]):
    """Per query, in one loop: a bare query encoding on ``reference`` (torch; skipped when None) and
    on ``encoder``, then a warm ``qa ask`` (hybrid, k 5) with its stage timings. Returns (stages ms
    by stage, bare encoder ms, reference ms); one untimed ask first pays the one-off costs."""
    from qa.answers.answer import answer_question
    from qa.retrieval.retriever import SearchSettings

    from qa.answers.short import load_places

    answer_question(retriever, finder, queries[0])  # warm-up, with the place names as the page's has
    load_places()
    stages: dict[str, list[float]] = {k: [] for k in ("encode", "bm25", "dense", "fuse", "rerank", "reader", "sentences", "answer", "total")}
    bare: list[float] = []
    torch_ms: list[float] = []
    for q in queries:
        if reference is not None:
            t = time.perf_counter()
            reference.encode_queries([q])
            torch_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        encoder.encode_queries([q])
        bare.append((time.perf_counter() - t) * 1000)
        ans = answer_question(retriever, finder, q, SearchSettings(mode="hybrid", k=5))  # as `qa ask`
        for k in stages:
            stages[k].append(ans.timings_ms.get(k, 0.0))
    return stages, bare, torch_ms


def recall_vs_exact(dense, vectors: np.ndarray, queries: np.ndarray, dense_top) -> float:
    """Mean share of the 10 passages the dense index returns that belong in the exact top 10 (inner
    product), ties counted: a copied vector scores as its original, so either of them is right."""
    scores = queries @ vectors.T
    tenth = np.sort(scores, axis=1)[:, -10]
    found = [sum(scores[n, i] >= tenth[n] - 1e-5 for i, _ in dense_top(dense, vectors, q, 10)) / 10
             for n, q in enumerate(queries)]
    return round(float(np.mean(found)), 4)


def passage_throughput(encoder, reference, chunks: list, rounds: int = 2) -> dict:
    """Passages per second of ``encode_passages`` (batches of 32, as ingestion) on each runtime, in
    alternating rounds on the same passages, and the lowest cosine between their passage vectors."""
    texts = [c.text for c in chunks]
    spans = [[(a - c.start, b - c.start) for a, b in c.sentences] for c in chunks]
    runtimes = [getattr(e, "_impl", e) for e in (encoder, reference)]  # each runtime itself
    seconds: dict[str, list[float]] = {e.backend: [] for e in runtimes}
    vectors = {}
    for _ in range(rounds):
        for e in runtimes:
            t = time.perf_counter()
            vectors[e.backend] = e.encode_passages(texts, spans, batch_size=32).passages
            seconds[e.backend].append(time.perf_counter() - t)
    rates = {k: round(len(texts) * len(v) / sum(v), 2) for k, v in seconds.items()}
    a, b = vectors.values()
    return {"passages": len(texts), "rounds": rounds, "passages_per_s": rates, "faster": max(rates, key=rates.get),
            "min_cosine": round(float((a * b).sum(axis=1).min()), 6)}
