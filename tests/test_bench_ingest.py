"""`qa bench --ingest`: sizes, growth and extrapolation worked by hand, the hashed stand-in encoder,
and a tiny run end to end (two child processes, the hashed encoder: no model is loaded)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from qa.evaluation.bench_ingest import IngestBench, extrapolate, growth, ingest_sizes
from qa.evaluation.bench_ingest_report import ingest_markdown
from qa.evaluation.hashed_encoder import HashedEncoder
from qa.evaluation.ingest_child import load_encoder, thread_environment
from qa.types import SettingsError

ABSTRACTS = [("Masks and household transmission", "Masks halved the secondary attack rate in crowded homes. "
              "Household transmission rose with the index patient's viral load. Children transmitted less often."),
             ("Vitamin D and fractures", "Vitamin D did not lower the rate of fractures in older adults. The trial "
              "enrolled 2,000 people from five sites. Falls were as frequent in both arms.")]


@pytest.mark.parametrize("value, sizes", [("100000", (10000, 100000)), ("5000,50000", (5000, 50000)),
                                          ("50000, 5000", (5000, 50000)), ("12", (10, 12)), ("300", (30, 300))])
def test_ingest_sizes(value, sizes):
    assert ingest_sizes(value) == sizes


@pytest.mark.parametrize("value", ["", "many", "5", "100,-3", "1e5"])
def test_bad_ingest_sizes_are_refused(value):
    with pytest.raises(SettingsError, match="--ingest"):
        ingest_sizes(value)


def test_bench_settings_are_checked():
    with pytest.raises(SettingsError, match="ascending"):
        IngestBench(sizes=(500, 50))
    with pytest.raises(SettingsError, match="--threads"):
        IngestBench(sizes=(50,), threads=0)
    with pytest.raises(SettingsError, match="--ingest-encoder"):
        IngestBench(sizes=(50,), encoder="bert")
    with pytest.raises(SettingsError, match="ingest encoder"):
        load_encoder("bert")


def row(documents: int, wall: float, peak: float, model: float, vector_mb: float, index_mb: float) -> dict:
    return {"documents": documents, "passages": documents, "wall_s": wall, "ingest_s": wall - 10,
            "peak_rss_mb": peak, "model_rss_mb": model, "ingest_rss_mb": peak - model,
            "vector_mb": vector_mb, "index_mb": index_mb}


def test_growth_and_extrapolation_worked_by_hand():
    small, large = row(1000, 110.0, 600.0, 500.0, 8.0, 15.0), row(10000, 1010.0, 1400.0, 500.0, 80.0, 150.0)
    g = growth(small, large)
    assert g["passages_ratio"] == 10.0
    assert g["ingest_s_ratio"] == 10.0  # (1010 - 10) / (110 - 10)
    assert g["peak_rss_ratio"] == round(1400 / 600, 2)
    assert g["ingest_rss_ratio"] == 9.0  # 900 / 100
    assert g["rss_mb_per_1000_passages"] == round(800 / 9000 * 1000, 2)  # 88.89
    assert g["vector_mb_per_1000_passages"] == 8.0 and g["index_mb_per_1000_passages"] == 15.0
    assert g["rss_growth_over_vector_bytes"] == round(88.888 / 8.0, 2)
    e = extrapolate(small, large, 100_000)
    assert e["wall_s"] == 1010 + 900 / 9000 * 90_000  # 10,010 s
    assert e["peak_rss_mb"] == round(1400 + 800 / 9000 * 90_000)


def test_the_threads_reach_every_library():
    assert thread_environment(None) == {}
    assert thread_environment(1) == {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                                     "QA_ONNX_THREADS": "1"}


def test_the_hashed_encoder_gives_unit_vectors_per_passage_and_sentence():
    encoder = HashedEncoder(dim=32)
    text = "Masks halved the rate. Children transmitted less."
    spans = [(0, 22), (23, len(text))]
    calls = []
    out = encoder.encode_passages([text, ""], [spans, []], batch_size=1, progress=calls.append)
    assert out.passages.shape == (2, 32) and [len(s) for s in out.sentences] == [2, 0]
    np.testing.assert_allclose(np.linalg.norm(out.passages, axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(out.sentences[0], axis=1), 1.0, rtol=1e-6)
    assert np.array_equal(out.sentences[0][0], encoder.encode_queries(["Masks halved the rate."])[0])
    assert calls == [1, 1] and encoder.count_tokens([text]) == [7]


def test_a_tiny_ingest_bench_runs_end_to_end(tmp_path, capsys):
    """`qa bench --ingest 300`: corpora of 30 and 300 documents made and cached, each indexed in its
    own child process; every figure the bench reports is there."""
    from qa.cli.main import main

    source = tmp_path / "source"
    source.mkdir()
    (source / "corpus.jsonl").write_text("".join(json.dumps({"_id": str(i), "title": t, "text": x}) + "\n"
                                                 for i, (t, x) in enumerate(ABSTRACTS)), encoding="utf-8")
    out = tmp_path / "bench.json"
    argv = ["bench", "--ingest", "300", "--ingest-encoder", "hashed", "--threads", "1", "--scifact", str(source),
            "--ingest-cache", str(tmp_path / "cache"), "--json", "--out", str(out)]
    assert main(argv) == 0
    printed = json.loads(capsys.readouterr().out)
    result = json.loads(out.read_text(encoding="utf-8"))
    assert printed == result and result["encoder"] == "hashed" and result["threads"] == 1
    small, large = result["sizes"]
    assert (small["documents"], large["documents"]) == (30, 300) and large["passages"] == 300
    assert set(large["stages_s"]) == {"chunk", "encode", "bm25", "dense", "save"}
    for key in ("wall_s", "passages_per_s", "encode_passages_per_s", "peak_rss_mb", "model_rss_mb", "vector_mb",
                "index_mb", "corpus_mb"):
        assert large[key] > 0, key
    assert large["sentences"] > large["passages"] and large["wall_s"] >= large["ingest_s"]
    assert large["index_mb"] > small["index_mb"]
    assert set(result["growth"]) >= {"peak_rss_ratio", "rss_mb_per_1000_passages", "rss_growth_over_vector_bytes"}
    assert [e["documents"] for e in result["extrapolated"]] == [100_000, 171_332]
    folders = sorted(p.name for p in (tmp_path / "cache").iterdir())
    assert len(folders) == 2 and all(f.startswith("trec-covid-like-") for f in folders)  # indexes removed
    section = ingest_markdown(result)
    assert "| 300 | 300 |" in section and "Extrapolated to 171,332 documents" in section
