"""``qa bench``: speed and memory at given corpus sizes, measured in one run.

Corpora are synthetic but realistic: passages of 2-6 sentences drawn from the real corpus, with
one word in ten swapped for another corpus word, so vocabulary, lengths and term statistics are
those of policy text. Only a sample is encoded for real (ingest throughput is measured on it); the
others reuse its real vectors with small noise, renormalised (the output says so).
"""

from __future__ import annotations

import json
import os
import platform
import random
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from qa.evaluation.bench_startup import bench_startup
from qa.ingestion.chunking import split_sentences
from qa.types import Chunk, Document, SettingsError

ENCODED_SAMPLE = 256


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation; 0.0 for no values."""
    return float(np.percentile(values, q)) if values else 0.0


def corpus_sentences(corpus_dir: Path) -> list[str]:
    """Every sentence of the real corpus, in order."""
    from qa.ingestion.loaders import load_corpus

    documents, _ = load_corpus(corpus_dir)
    return [d.text[a:b] for d in documents for a, b in split_sentences(d.text) if b - a > 20]


def synthetic_passages(sentences: list[str], n: int, seed: int = 0) -> list[str]:
    """``n`` passages of 2-6 real sentences, one word in ten replaced; deterministic for a seed."""
    rng = random.Random(seed)
    words = [w for s in sentences for w in s.split()]
    out = []
    for _ in range(n):
        start = rng.randrange(len(sentences))
        parts = sentences[start:start + rng.randint(2, 6)]
        tokens = " ".join(parts).split()
        for i in range(len(tokens)):
            if rng.random() < 0.1:
                tokens[i] = rng.choice(words)
        out.append(" ".join(tokens))
    return out


def synthetic_documents(passages: list[str], per_document: int = 20) -> list[Document]:
    """Group passages into documents of ``per_document`` paragraphs."""
    docs = []
    for i in range(0, len(passages), per_document):
        text = "\n\n".join(passages[i:i + per_document])
        docs.append(Document(doc_id=f"synthetic-{i // per_document:06d}", text=text, title=f"Synthetic {i}",
                             path=f"synthetic-{i}.txt", kind="other"))
    return docs


def _chunks_of(passages: list[str]) -> list[Chunk]:
    """One chunk per passage, laid end to end in documents of 20 paragraphs (as synthetic_documents)."""
    chunks = []
    for i in range(0, len(passages), 20):
        offset = 0
        for text in passages[i:i + 20]:
            spans = tuple((offset + a, offset + b) for a, b in split_sentences(text))
            chunks.append(Chunk(chunk_id=f"c{len(chunks)}", doc_id=f"synthetic-{i // 20:06d}", start=offset,
                                end=offset + len(text), text=text, sentences=spans))
            offset += len(text) + 2
    return chunks


def bench_bm25(passages: list[str], queries: list[str], rank_bm25_queries: int) -> dict:
    """Ours against rank_bm25 on the same tokens: ms per query, speed-up, identical top-10s."""
    import rank_bm25

    from qa.retrieval.bm25 import build_bm25
    from qa.retrieval.tokenize import tokenize

    corpus = [tokenize(p) for p in passages]
    ours = build_bm25(corpus)
    reference = rank_bm25.BM25Okapi(corpus)
    tokenized = [tokenize(q) for q in queries]
    t = time.perf_counter()
    top_ours = [ours.top(q, 10) for q in tokenized]
    ours_ms = (time.perf_counter() - t) * 1000 / len(tokenized)
    sample = tokenized[:rank_bm25_queries]
    identical, worst = True, 0.0
    t = time.perf_counter()
    ref_scores = [reference.get_scores(q) for q in sample]
    ref_ms = (time.perf_counter() - t) * 1000 / len(sample)
    for q, scores, top in zip(sample, ref_scores, top_ours):
        order = np.lexsort((np.arange(len(scores)), -scores))
        ref_top = [int(i) for i in order[:10] if scores[i] > 0]
        identical &= ref_top == [i for i, _ in top]
        worst = max(worst, float(np.max(np.abs(scores - ours.scores(q)))))
    return {"passages": len(passages), "ours_ms": round(ours_ms, 3), "rank_bm25_ms": round(ref_ms, 2),
            "speedup": round(ref_ms / ours_ms, 1), "top10_identical": bool(identical),
            "max_abs_score_diff": worst, "rank_bm25_queries": len(sample)}


def _fill_vectors(real: np.ndarray, n: int, seed: int) -> np.ndarray:
    """``n`` unit vectors spread like real ones: random mixes of two real vectors plus noise."""
    rng = np.random.default_rng(seed)
    a, b = real[rng.integers(0, len(real), n)], real[rng.integers(0, len(real), n)]
    w = rng.uniform(0.5, 1.0, (n, 1)).astype(np.float32)
    vecs = w * a + (1 - w) * b + rng.normal(0, 0.03, (n, real.shape[1])).astype(np.float32)
    return (vecs / np.linalg.norm(vecs, axis=1, keepdims=True)).astype(np.float32)


def synthetic_index(encoder, passages: list[str], real: "EncodedSample", workdir: Path):
    """An index of ``passages`` in ``workdir``, with vectors mixed from ``real``'s: (its folder,
    the dense index, the passage vectors)."""
    from qa.retrieval.bm25 import build_bm25
    from qa.retrieval.dense import build_dense
    from qa.retrieval.store import IndexData, save_index
    from qa.retrieval.tokenize import tokenize

    chunks = _chunks_of(passages)
    docs = {d.doc_id: d for d in synthetic_documents(passages)}
    vectors = _fill_vectors(real.passages, len(chunks), seed=1)
    counts = np.array([len(c.sentences) for c in chunks])
    sent_vectors = _fill_vectors(real.sentences, int(counts.sum()), seed=2)
    ptr = np.concatenate([[0], np.cumsum(counts)])
    dense = build_dense(vectors)  # flat below qa.dense.HNSW_THRESHOLD, HNSW above
    folder = workdir / f"index-{len(chunks)}"
    save_index(folder, IndexData(manifest={"model": {"name": encoder.name}}, documents=docs, chunks=chunks,
                                 bm25=build_bm25([tokenize(c.text) for c in chunks]), chunk_vectors=vectors,
                                 sentence_vectors=sent_vectors, sentence_ptr=ptr), dense)
    return folder, dense, vectors


def bench_size(encoder, passages: list[str], queries: list[str], real: "EncodedSample", workdir: Path,
               reference=None) -> dict:
    """Build a full index of ``passages`` and time ``qa ask`` (hybrid) per stage against bare encoding
    (``encoder``'s and, interleaved, that of ``reference``: the torch encoder)."""
    from qa.answers.quotes import QuoteFinder
    from qa.retrieval.dense import build_dense, dense_top
    from qa.retrieval.retriever import Retriever
    from qa.retrieval.store import load_index

    folder, dense, vectors = synthetic_index(encoder, passages, real, workdir)
    n = len(vectors)
    gen = next(p for p in folder.iterdir() if p.is_dir())
    index_bytes = sum(f.stat().st_size for f in gen.iterdir())
    retriever = Retriever(load_index(folder), encoder)
    finder = QuoteFinder(retriever)
    from qa.evaluation.bench_scale import time_asks

    stages, bare, torch_ms = time_asks(retriever, finder, encoder, reference, queries)
    result = {
        "passages": n,
        "stages_ms": {k: {"p50": round(percentile(v, 50), 2), "p95": round(percentile(v, 95), 2)} for k, v in stages.items()},
        "bare_encode_ms": {"p50": round(percentile(bare, 50), 2), "p95": round(percentile(bare, 95), 2)},
        "index_bytes_per_chunk": round(index_bytes / n, 1),
        "dense_index": type(dense).__name__,
    }
    result["ask_over_encode_p50"] = round(result["stages_ms"]["total"]["p50"] / max(result["bare_encode_ms"]["p50"], 1e-9), 2)
    if torch_ms:
        result["torch_encode_ms"] = {"p50": round(percentile(torch_ms, 50), 2), "p95": round(percentile(torch_ms, 95), 2)}
        result["ask_over_torch_encode_p50"] = round(result["stages_ms"]["total"]["p50"] / max(percentile(torch_ms, 50), 1e-9), 3)
    qv = encoder.encode_queries(queries)
    hnsw = dense if type(dense).__name__.endswith("HNSWFlat") else build_dense(vectors, hnsw_threshold=0)
    flat = build_dense(vectors, hnsw_threshold=n + 1)
    t = time.perf_counter()
    exact = [dense_top(flat, vectors, v, 10) for v in qv]
    flat_ms = (time.perf_counter() - t) * 1000 / len(qv)
    t = time.perf_counter()
    approx = [dense_top(hnsw, vectors, v, 10) for v in qv]
    hnsw_ms = (time.perf_counter() - t) * 1000 / len(qv)
    recall = np.mean([len({i for i, _ in a} & {i for i, _ in e}) / max(len(e), 1) for a, e in zip(approx, exact)])
    result["hnsw"] = {"recall@10_vs_flat": round(float(recall), 4), "flat_ms": round(flat_ms, 3), "hnsw_ms": round(hnsw_ms, 3)}
    return result


def hnsw_recall_on_real(vectors: np.ndarray, queries: np.ndarray) -> dict:
    """Recall@10 of the HNSW index against exact search, on real passage and query embeddings."""
    from qa.retrieval.dense import build_dense, dense_top

    flat, hnsw = build_dense(vectors, hnsw_threshold=len(vectors) + 1), build_dense(vectors, hnsw_threshold=0)
    hits = [len({i for i, _ in dense_top(hnsw, vectors, q, 10)} & {i for i, _ in dense_top(flat, vectors, q, 10)}) / 10
            for q in queries]
    return {"passages": len(vectors), "queries": len(queries), "recall@10_vs_flat": round(float(np.mean(hits)), 4)}


class EncodedSample:
    """Real passage and sentence vectors of a sample, and the ingest throughput measured on it."""

    def __init__(self, encoder, passages: list[str], workdir: Path, reference=None) -> None:
        from qa.retrieval.build import IndexSettings, build_index

        docs = synthetic_documents(passages)
        t = time.perf_counter()
        build_index(docs, workdir / "ingest", encoder, IndexSettings(model=encoder.name), "bench")
        ours = time.perf_counter() - t
        from qa.retrieval.store import load_index

        data = load_index(workdir / "ingest", mmap=False)
        texts = [c.text for c in data.chunks]
        runtime = getattr(reference if reference is not None else encoder, "_impl", None)
        bare_model = getattr(runtime, "model", None)  # the sentence-transformers model, when torch
        t = time.perf_counter()
        if bare_model is not None:
            bare_model.encode(texts, batch_size=32, show_progress_bar=False)
        else:
            encoder.encode_queries(texts)
        bare = time.perf_counter() - t
        self.passages = np.asarray(data.chunk_vectors)
        self.sentences = np.asarray(data.sentence_vectors, dtype=np.float32)
        self.ingest = {"chunks": len(texts), "ours_chunks_per_s": round(len(texts) / ours, 1),
                       "ours_backend": getattr(encoder, "passage_backend", getattr(encoder, "backend", "")),
                       "bare_encode": "sentence-transformers encode" if bare_model is not None else "encode_queries",
                       "bare_encode_chunks_per_s": round(len(texts) / bare, 1), "ratio": round(bare / ours, 3)}
        if reference is not None:
            from qa.evaluation.bench_scale import passage_throughput

            self.ingest["passage_encoders"] = passage_throughput(encoder, reference, data.chunks[:128])


def run_bench(sizes: list[int], n_queries: int = 50, corpus_dir: Path = Path("corpus"),
              questions_file: Path = Path("eval/questions.jsonl"), encoder=None, extra=None,
              real: dict | None = None) -> dict:
    """Every measurement, as one JSON-able dict (keys bm25, query, ingest, memory, startup, real, and
    backends: ``extra(encoder, passages, queries, sample, workdir)`` at each size, if given; real:
    qa.evaluation.bench_scale.bench_real at the largest size with the keyword arguments ``real``)."""
    from qa.retrieval.encoder import Encoder

    encoder = encoder or Encoder()
    reference = Encoder(encoder.name, backend="torch")  # the bare torch encoding the query path is held to
    sentences = corpus_sentences(corpus_dir)
    queries = [json.loads(line)["question"] for line in questions_file.read_text(encoding="utf-8").splitlines()
               if line.strip()][:n_queries]
    out: dict = {"bm25": [], "query": [], "notes": [
        f"synthetic passages from the real corpus; {ENCODED_SAMPLE} passages encoded for real, the others get "
        "mixes of two real vectors plus noise (so query, memory and HNSW figures use realistic, not fresh, "
        "embeddings)"]}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sample = EncodedSample(encoder, synthetic_passages(sentences, ENCODED_SAMPLE, seed=7), work, reference)
        out["ingest"] = sample.ingest
        for size in sizes:
            passages = synthetic_passages(sentences, size, seed=size)
            out["bm25"].append(bench_bm25(passages, queries, rank_bm25_queries=min(len(queries), 20)))
            out["query"].append(bench_size(encoder, passages, queries, sample, work, reference))
            out.setdefault("backends", []).extend([extra(encoder, passages, queries, sample, work)] if extra else [])
        if real is not None:
            from qa.evaluation.bench_scale import bench_real, real_queries

            asked = real_queries(real["scifact"], questions_file, n_queries)
            out["real"] = bench_real(encoder, reference, max(sizes), asked, workdir=work, **real)
        out["startup"] = bench_startup(corpus_dir, work, queries[0], questions_file=questions_file)
    out["memory"] = {"bench_process_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                     "ask_process_peak_rss_mb": out["startup"]["ask_process_peak_rss_mb"],
                     "index_bytes_per_chunk": {q["passages"]: q["index_bytes_per_chunk"] for q in out["query"]}}
    out["hnsw_real"] = hnsw_recall_on_real(sample.passages, encoder.encode_queries(queries))
    out["machine"] = {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()}
    return out
