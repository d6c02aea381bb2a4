"""The ONNX encoder: same vectors as sentence-transformers, torch kept off the query path, the
fallback to torch, and queries refused when they would come from another model than the index's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import FakeEncoder

from qa.retrieval.build import IndexSettings, build_index
from qa.retrieval.model_files import UnsupportedModel, model_info
from qa.types import IndexStateError, SettingsError

ROOT = Path(__file__).resolve().parent.parent
LONG = " ".join(["The Strategic Framework for Space Diplomacy guides how the Department of State works with "
                 "allies and partners on space policy, export controls and the Artemis Accords."] * 12)
TEXTS = ["When did Singapore sign the Artemis Accords?", "ASAT", LONG,
         "Café coopération — “quoted” words, E.O. 13873 and $469 billion in 2021."]


# --- fast: model folders, the fallback, the model check ----------------------------------------


def write_model(folder: Path, modules: list[str], pooling: dict) -> Path:
    folder.mkdir(parents=True)
    types = {"t": "sentence_transformers.models.Transformer", "p": "sentence_transformers.models.Pooling",
             "n": "sentence_transformers.models.Normalize"}
    (folder / "modules.json").write_text(json.dumps(
        [{"idx": i, "name": str(i), "path": "1_Pooling" if m == "p" else "", "type": types[m]}
         for i, m in enumerate(modules)]))
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    (folder / "config.json").write_text(json.dumps({"max_position_embeddings": 128}))
    (folder / "tokenizer.json").write_text("{}")
    return folder


def test_model_info_reads_pooling_window_and_fingerprint(tmp_path, monkeypatch):
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    folder = write_model(tmp_path / "m", ["t", "p", "n"], {"pooling_mode_mean_tokens": True})
    info = model_info(str(folder))
    assert (info.pooling, info.normalize, info.max_seq_length) == ("mean", True, 128)
    assert len(info.fingerprint) == 64 and model_info(str(folder)).fingerprint == info.fingerprint
    (folder / "config.json").write_text(json.dumps({"max_position_embeddings": 64}))  # other bytes, other model
    assert model_info(str(folder)).fingerprint != info.fingerprint


@pytest.mark.parametrize("modules, pooling, message", [
    (["t", "p"], {"pooling_mode_max_tokens": True}, "pools with"),
    (["t", "p"], {"pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": True}, "combines"),
    (["t"], {}, "has modules"),
])
def test_models_onnx_cannot_run_are_refused(tmp_path, monkeypatch, modules, pooling, message):
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(UnsupportedModel, match=message):
        model_info(str(write_model(tmp_path / "m", modules, pooling)))


class StubTorch(FakeEncoder):
    backend = "torch"

    def __init__(self, name, device="cpu", fingerprint=None):
        super().__init__(name=name)
        self.fingerprint = fingerprint


def test_a_failed_export_falls_back_to_torch_with_a_one_line_notice(tmp_path, monkeypatch, capsys):
    from qa.retrieval import encoder as enc

    def broken(info, dest):
        raise RuntimeError("the exporter does not know this layer")

    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))  # nothing exported yet
    monkeypatch.setattr("qa.retrieval.onnx_export.export_onnx", broken)
    monkeypatch.setattr("qa.retrieval.torch_encoder.TorchEncoder", StubTorch)
    e = enc.Encoder()
    err = capsys.readouterr().err.strip().splitlines()
    assert e.backend == "torch" and len(err) == 1
    assert "could not export" in err[0] and "sentence-transformers (torch) instead" in err[0]
    assert e.fingerprint and len(e.fingerprint) == 64  # the manifest still records the files
    with pytest.raises(UnsupportedModel, match="could not export"):
        enc.Encoder(backend="onnx")  # asked for ONNX explicitly: no silent fallback


def test_onnxruntime_missing_falls_back_too(tmp_path, monkeypatch, capsys):
    from qa.retrieval import encoder as enc

    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr("qa.retrieval.onnx_export.ensure_onnx", lambda info: tmp_path / "model.onnx")
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import fails as if not installed
    monkeypatch.setattr("qa.retrieval.torch_encoder.TorchEncoder", StubTorch)
    assert enc.Encoder().backend == "torch"
    assert "onnxruntime is not installed" in capsys.readouterr().err


def test_queries_from_another_model_are_refused(tmp_path, tiny_documents):
    from qa.retrieval.retriever import Retriever
    from qa.retrieval.store import load_index

    built = FakeEncoder()
    built.fingerprint = "a" * 64
    build_index(tiny_documents, tmp_path / "index", built, IndexSettings(model=built.name), "tiny")
    data = load_index(tmp_path / "index")
    assert data.manifest["model"]["fingerprint"] == "a" * 64
    other = FakeEncoder()
    other.fingerprint = "b" * 64
    with pytest.raises(IndexStateError, match="qa ingest"):
        Retriever(data, other)
    with pytest.raises(IndexStateError, match="was built with model 'fake/hashed-bow'"):
        Retriever(data, FakeEncoder(name="fake/other"))
    same = FakeEncoder()
    same.fingerprint = "a" * 64
    assert Retriever(data, same).search("Artemis Accords")


# --- slow: the real model on both runtimes ---------------------------------------------------


@pytest.fixture(scope="module")
def both():
    from qa.retrieval.encoder import Encoder

    return Encoder(backend="onnx"), Encoder(backend="torch")


@pytest.mark.slow
def test_onnx_and_torch_give_the_same_vectors(both):
    onnx, torch = both
    assert (onnx.backend, torch.backend) == ("onnx", "torch")
    assert onnx.fingerprint == torch.fingerprint and onnx.dim == torch.dim == 384
    assert onnx.max_tokens == torch.max_tokens == 254
    counts = onnx.count_tokens(TEXTS)
    assert counts == torch.count_tokens(TEXTS) and counts[2] > 256  # LONG is cut to the window
    cos = (onnx.encode_queries(TEXTS) * torch.encode_queries(TEXTS)).sum(axis=1)
    assert cos.min() >= 0.9999
    spans = [[(0, 9), (10, len(t))] for t in TEXTS]
    spans[2] = [(0, 120), (len(LONG) - 100, len(LONG))]  # the second sentence lies past the window
    a, b = onnx.encode_passages(TEXTS, spans, batch_size=2), torch.encode_passages(TEXTS, spans, batch_size=2)
    assert (a.passages * b.passages).sum(axis=1).min() >= 0.9999
    for x, y in zip(a.sentences, b.sentences):
        assert x.shape == y.shape and (x * y).sum(axis=1).min() >= 0.9999
    np.testing.assert_allclose(a.sentences[2][1], a.passages[2], atol=1e-6)  # truncated away: passage vector


@pytest.mark.slow
def test_the_query_path_never_imports_torch(tmp_path, both):
    """ask, search, cite and the API (Index.open then search/ask) in fresh processes: no torch."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "accords.txt").write_text("In March 2022, the Republic of Singapore signed the Artemis Accords. "
                                        "The accords promote the safe exploration of the Moon and Mars.\n",
                                        encoding="utf-8")
    index = tmp_path / "index"
    subprocess.run([sys.executable, "-m", "qa.cli.main", "ingest", "--corpus", str(corpus), "--index", str(index)],
                   check=True, capture_output=True, cwd=ROOT)
    probe = ("import sys\nfrom qa.cli.main import main\nrc = main(sys.argv[1:])\n"
             "print('LOADED', 'torch' in sys.modules, 'transformers' in sys.modules, 'sentence_transformers' in sys.modules)\n"
             "sys.exit(rc)\n")
    for argv in (["ask", "When did Singapore sign the Artemis Accords?", "--json"],
                 ["search", "Artemis Accords Singapore", "--json"], ["cite", "signed the Artemis Accords", "--json"]):
        out = subprocess.run([sys.executable, "-c", probe, *argv, "--index", str(index)], capture_output=True,
                             text=True, cwd=ROOT)
        assert out.returncode == 0, out.stderr
        assert "Singapore" in out.stdout and out.stdout.splitlines()[-1] == "LOADED False False False"
    api = ("import sys, qa\nindex = qa.open_index(sys.argv[1])\nindex.search('Singapore Artemis', k=1)\n"
           "a = index.ask('When did Singapore sign the Artemis Accords?')\n"
           "print(a.answer.text)\nprint('torch' in sys.modules, 'transformers' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", api, str(index)], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "March 2022" in out.stdout and out.stdout.splitlines()[-1] == "False False"


def test_passages_go_to_the_faster_runtime_and_queries_to_onnx(monkeypatch):
    from qa.retrieval import encoder as enc

    onnx = FakeEncoder()
    onnx.backend, onnx.fingerprint = "onnx", "c" * 64
    monkeypatch.setattr(enc, "_onnx_encoder", lambda name: onnx)
    monkeypatch.setattr("qa.retrieval.torch_encoder.TorchEncoder", StubTorch)
    monkeypatch.delenv("QA_PASSAGE_ENCODER", raising=False)
    e = enc.Encoder()
    assert (e.backend, e.passage_backend) == ("onnx", enc.PASSAGE_RUNTIME)
    e.encode_queries(["a question"])
    out = e.encode_passages(["A passage. Two sentences."], [[(0, 10), (11, 25)]])
    assert out.passages.shape == (1, onnx.dim) and onnx.encoded == []  # not the ONNX runtime's job
    assert enc.model_record(e)["runtime"] == "torch" and enc.model_record(e)["fingerprint"] == "c" * 64
    monkeypatch.setenv("QA_PASSAGE_ENCODER", "onnx")
    e = enc.Encoder()
    e.encode_passages(["A passage."], [[(0, 10)]])
    assert e.passage_backend == "onnx" and onnx.encoded == ["A passage."]
    monkeypatch.setenv("QA_PASSAGE_ENCODER", "gpu")
    with pytest.raises(SettingsError, match="QA_PASSAGE_ENCODER"):
        enc.Encoder()
