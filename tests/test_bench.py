"""The pure parts of `qa bench` (no timing is asserted: machines are shared and noisy)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qa.evaluation.bench import (
    _chunks_of,
    _fill_vectors,
    bench_bm25,
    corpus_sentences,
    hnsw_recall_on_real,
    percentile,
    synthetic_documents,
    synthetic_passages,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def sentences():
    return corpus_sentences(ROOT / "corpus")


def test_synthetic_passages_are_deterministic_and_sized(sentences):
    a = synthetic_passages(sentences, 50, seed=3)
    assert a == synthetic_passages(sentences, 50, seed=3) != synthetic_passages(sentences, 50, seed=4)
    assert len(a) == 50 and all(p.strip() for p in a)


def test_synthetic_chunks_point_into_their_documents(sentences):
    passages = synthetic_passages(sentences, 45, seed=1)
    docs = {d.doc_id: d for d in synthetic_documents(passages)}
    chunks = _chunks_of(passages)
    assert len(chunks) == 45 and len(docs) == 3
    for c in chunks:
        assert docs[c.doc_id].text[c.start:c.end] == c.text
        assert all(c.start <= a < b <= c.end for a, b in c.sentences)


def test_percentile():
    assert percentile([], 50) == 0.0
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([10.0], 95) == 10.0


def test_fill_vectors_are_unit_length():
    real = np.random.default_rng(0).normal(size=(20, 8)).astype(np.float32)
    real /= np.linalg.norm(real, axis=1, keepdims=True)
    out = _fill_vectors(real, 100, seed=1)
    assert out.shape == (100, 8) and out.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-5)


def test_bm25_bench_reports_identical_top10s(sentences):
    passages = synthetic_passages(sentences, 300, seed=2)
    out = bench_bm25(passages, ["Artemis Accords signatories", "MTCR export controls", "space debris"], 3)
    assert out["passages"] == 300 and out["rank_bm25_queries"] == 3
    assert out["top10_identical"] is True and out["max_abs_score_diff"] < 1e-9
    assert out["ours_ms"] > 0 and out["rank_bm25_ms"] > 0


def test_hnsw_recall_is_a_fraction():
    rng = np.random.default_rng(5)
    vectors = rng.normal(size=(300, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    out = hnsw_recall_on_real(vectors, vectors[:10])
    assert out["passages"] == 300 and 0.5 <= out["recall@10_vs_flat"] <= 1.0


def test_bench_rejects_bad_sizes(capsys):
    from qa.cli.main import main

    assert main(["bench", "--sizes", "5"]) == 2
    assert "at least 20" in capsys.readouterr().err


def test_compare_answer_stage_exports_the_base_package_with_its_imports_renamed(tmp_path):
    """eval/compare_answer_stage.py imports another revision's qa as qa_base: no import of qa is left."""
    import re

    from conftest import eval_script

    commit = eval_script("compare_answer_stage").base_package("HEAD", tmp_path)
    assert re.fullmatch(r"[0-9a-f]{40}", commit)
    sources = {p: p.read_text(encoding="utf-8") for p in (tmp_path / "qa_base").rglob("*.py")}
    assert "from qa_base.answers.features import" in sources[tmp_path / "qa_base" / "answers" / "answer.py"]
    left = [(p.name, line) for p, text in sources.items() for line in text.splitlines()
            if re.match(r"\s*(from|import)\s+qa[.\s]", line)]
    assert left == []
