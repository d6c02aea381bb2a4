"""``qa bench --real`` and the start-up bench on tiny inputs: passage kinds, the resumable cache,
in-context vectors, copies to reach the size, the JSON shape and sanity (never a time asserted)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import FakeEncoder

from qa.evaluation import bench_real
from qa.evaluation.bench_real import assemble, encode_cached, passage_kind, prepare_real, real_passages
from qa.evaluation.bench_report import add_targets
from qa.evaluation.bench_scale import bench_real as run_real
from qa.evaluation.bench_scale import fill_by_copies, real_queries

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def scifact(tmp_path) -> Path:
    folder = tmp_path / "scifact"
    folder.mkdir()
    rows = [{"_id": str(i), "title": f"Study {i} of proteins",
             "text": f"Protein {i} binds the receptor in mice. The effect lasted for {i + 2} weeks in the trial. "
                     f"Treatment with drug {i} reduced inflammation markers strongly."} for i in range(8)]
    (folder / "corpus.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    (folder / "queries.jsonl").write_text("\n".join(json.dumps({"_id": str(i), "text": f"Protein {i} binds receptors"})
                                                    for i in range(5)), encoding="utf-8")
    return folder


@pytest.fixture
def home(tmp_path, tiny_documents) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    for d in tiny_documents:
        (folder / d.path).write_text(d.text, encoding="utf-8")
    return folder


class Counting(FakeEncoder):
    def __init__(self) -> None:
        super().__init__()
        self.fingerprint = "f" * 64
        self.backend = "fake"


def test_real_passages_are_chunks_then_sentences_then_pairs(scifact, home):
    docs = bench_real.real_documents(scifact, [home])
    assert {d.doc_id.split("-")[0] for d in docs} == {"scifact", "home"}
    chunks, counts = real_passages(docs, Counting(), 10_000)
    kinds = [passage_kind(c) for c in chunks]
    assert kinds == sorted(kinds, key=["chunk", "sentence", "sentence pair"].index)  # in that order
    assert counts == {k: kinds.count(k) for k in ("chunk", "sentence", "sentence pair")}
    assert min(counts.values()) > 0
    texts = {d.doc_id: d.text for d in docs}
    assert len({(c.doc_id, c.start, c.end) for c in chunks}) == len(chunks)  # nothing repeated
    for c in chunks:
        assert texts[c.doc_id][c.start:c.end] == c.text
        assert all(c.start <= a < b <= c.end for a, b in c.sentences)
    few, few_counts = real_passages(docs, Counting(), counts["chunk"] + 3)
    assert len(few) == counts["chunk"] + 3 and few_counts["sentence"] == 3


def test_the_cache_resumes_and_the_budget_stops_encoding(scifact, home, tmp_path, monkeypatch):
    monkeypatch.setattr(bench_real, "SHARD", 10)
    encoder = Counting()
    chunks, _ = real_passages(bench_real.real_documents(scifact, [home]), encoder, 45)
    shards, stats = encode_cached(chunks, encoder, tmp_path / "c", budget_s=0)
    assert shards == [None] * 5 and stats["encoded_now"] == 0
    shards, stats = encode_cached(chunks[:20] + chunks[20:], encoder, tmp_path / "c")
    assert stats["encoded_now"] == 45 and all(s is not None for s in shards)
    encoder.encoded.clear()
    again, stats = encode_cached(chunks, encoder, tmp_path / "c")
    assert stats["encoded_now"] == 0 and encoder.encoded == []  # all read back from the shards
    for a, b in zip(shards, again):
        np.testing.assert_array_equal(a[0], b[0])


def test_in_context_vectors_stand_in_for_unencoded_finer_passages(scifact, home, tmp_path, monkeypatch):
    monkeypatch.setattr(bench_real, "SHARD", 10)
    encoder = Counting()
    chunks, counts = real_passages(bench_real.real_documents(scifact, [home]), encoder, 10_000)
    shards, _ = encode_cached(chunks, encoder, tmp_path / "c")
    first_fine = counts["chunk"] // 10 + 1  # shards wholly past the chunks are dropped
    partial = [s if k < first_fine else None for k, s in enumerate(shards)]
    rows, vectors, sentences, origin = assemble(chunks, partial)
    assert origin["encoded"] == min(first_fine * 10, len(chunks))
    assert origin["in_context"] == len(chunks) - origin["encoded"]  # every document's chunks are encoded
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    assert [len(s) for s in sentences] == [len(chunks[i].sentences) for i in rows]
    rows, _, _, origin = assemble(chunks, [None] + shards[1:])  # a document whose chunk is missing
    assert origin["in_context"] < len(chunks) - origin["encoded"]


def test_copies_fill_to_the_target(tiny_documents):
    from qa.retrieval.build import IndexSettings, chunk_documents

    chunks = chunk_documents(tiny_documents, FakeEncoder(), IndexSettings())
    vectors = np.eye(len(chunks), 8, dtype=np.float32)
    docs = {d.doc_id: d for d in tiny_documents}
    out_docs, out_chunks, out_vectors, out_sentences, copied = fill_by_copies(docs, chunks, vectors,
                                                                              [np.zeros((1, 8))] * len(chunks), 20)
    assert len(out_chunks) == 20 and copied == 20 - len(chunks) and out_vectors.shape == (20, 8)
    assert len({c.chunk_id for c in out_chunks}) == 20
    for c in out_chunks:
        assert out_docs[c.doc_id].text[c.start:c.end] == c.text


def test_bench_real_json_shape(scifact, home, tmp_path):
    encoder = Counting()
    queries = real_queries(scifact, ROOT / "eval" / "questions.jsonl", 4)
    assert len(queries) == 4 and queries[0].startswith("Protein 0")
    out = run_real(encoder, FakeEncoder(), 60, queries, scifact, [home], tmp_path / "cache", tmp_path)
    assert out["passages"] == 60 and out["queries"] == 4
    assert sum(out["real_passage_kinds"].values()) + out["vectors"]["copied"] == 60
    assert out["vectors"]["encoded"] + out["vectors"]["in_context"] == sum(out["real_passage_kinds"].values())
    for key in ("onnx_encode_ms", "torch_encode_ms"):
        assert out[key]["p50"] > 0
    assert set(out["stages_ms"]) == {"encode", "bm25", "dense", "fuse", "rerank", "reader", "sentences", "answer", "total"}
    assert out["ask_over_torch_encode_p50"] > 0 and 0 <= out["dense_recall@10_vs_exact"] <= 1
    again = run_real(encoder, FakeEncoder(), 60, queries, scifact, [home], tmp_path / "cache", tmp_path / "2")
    assert again["encoding"]["encoded_now"] == 0  # the second run reads the cache


def test_targets_are_judged_from_the_run():
    out = {"bm25": [{"passages": 100, "speedup": 80.0, "top10_identical": True}],
           "query": [{"passages": 100, "ask_over_encode_p50": 1.2, "ask_over_torch_encode_p50": 0.9}],
           "ingest": {"ratio": 1.0},
           "startup": {"speedup_vs_torch": 6.0, "ask_onnx": {"peak_rss_mb": 250.0}},
           "real": {"passages": 100, "ask_over_torch_encode_p50": 0.5}}
    add_targets(out)
    t = out["targets"]
    assert t["startup_speedup"] == {"target": 4.0, "measured": 6.0, "met": True}
    assert t["ask_peak_rss_mb"]["met"] is True
    assert t["ask_over_torch_encode"]["measured"] == 0.5 and t["ask_over_torch_encode"]["embeddings"] == "real"
    del out["real"]
    add_targets(out)
    assert out["targets"]["ask_over_torch_encode"]["met"] is False  # 0.9 on the synthetic mix


@pytest.mark.slow
def test_startup_bench_reports_both_encoders_beside_numpy(tmp_path):
    from qa.evaluation.bench_startup import bench_startup

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("In March 2022, Singapore signed the Artemis Accords.\n", encoding="utf-8")
    out = bench_startup(corpus, tmp_path, "When did Singapore sign the Artemis Accords?", runs=1)
    for key in ("numpy_import", "ask_onnx", "ask_torch"):
        assert out[key]["seconds_p50"] > 0 and out[key]["peak_rss_mb"] > 0
    assert out["speedup_vs_torch"] > 0 and out["ask_over_numpy_import"] > 0
    assert out["ask_torch"]["peak_rss_mb"] > out["ask_onnx"]["peak_rss_mb"]  # torch's libraries alone are larger


def test_passage_throughput_compares_both_runtimes(tiny_documents):
    from qa.evaluation.bench_scale import passage_throughput
    from qa.retrieval.build import IndexSettings, chunk_documents

    onnx, torch = FakeEncoder(), FakeEncoder()
    onnx.backend, torch.backend = "onnx", "torch"
    chunks = chunk_documents(tiny_documents, onnx, IndexSettings())
    out = passage_throughput(onnx, torch, chunks, rounds=2)
    assert set(out["passages_per_s"]) == {"onnx", "torch"} and min(out["passages_per_s"].values()) > 0
    assert out["faster"] in ("onnx", "torch") and out["min_cosine"] == pytest.approx(1.0)
    assert len(onnx.encoded) == len(torch.encoded) == 2 * len(chunks)


def test_dense_recall_counts_tied_copies():
    from qa.evaluation.bench_scale import recall_vs_exact
    from qa.retrieval.dense import build_dense, dense_top

    rng = np.random.default_rng(3)
    base = rng.normal(size=(30, 8)).astype(np.float32)
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    vectors = np.concatenate([base, base])  # every vector twice
    assert recall_vs_exact(build_dense(vectors), vectors, base[:5], dense_top) == 1.0


@pytest.mark.slow
def test_batch_bench_times_each_worker_count_and_checks_their_answers_agree(tmp_path):
    import os
    import subprocess
    import sys

    from qa.evaluation.bench_startup import bench_batch

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "a.txt").write_text("In March 2022, Singapore signed the Artemis Accords. Oman sent eight "
                                  "professionals to an exchange on space policy.\n", encoding="utf-8")
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    subprocess.run([sys.executable, "-m", "qa.cli.main", "ingest", "--corpus", str(corpus), "--index", str(index)],
                   env=env, check=True, capture_output=True)
    questions = tmp_path / "q.txt"
    questions.write_text("When did Singapore sign the Artemis Accords?\n\nHow many professionals came from Oman?\n"
                         "Who signed the Accords?\n", encoding="utf-8")
    out = bench_batch(index, questions, env, runs=1)
    assert out["questions"] == 3 and out["same_answers"] is True
    assert set(out["workers"]) == {"1", "2"}
    for w in out["workers"].values():
        assert len(w["seconds"]) == 1 and w["questions_per_s"] > 0 and w["peak_rss_mb"] > 0
    assert out["questions_per_s"] == out["workers"]["2"]["questions_per_s"] and out["speedup"] > 0
