"""`qa ingest`, `qa ask`, `qa search`, `qa cite` and the web page on the Milvus back end (Milvus
Lite), with the real corpus and model: nothing above retrieval changes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from qa.cli.main import main

pytest.importorskip("milvus_lite")
pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
QUESTION = "What value did one NGO estimate for the global space economy in 2021?"


@pytest.fixture(scope="module")
def milvus_index(tmp_path_factory):
    root = tmp_path_factory.mktemp("milvus-faces")
    corpus = root / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    index = root / "index"
    assert main(["ingest", "--corpus", str(corpus), "--index", str(index), "--backend", "milvus"]) == 0
    return corpus, index


def run_json(capsys, *argv):
    capsys.readouterr()
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_ask_search_and_cite_through_milvus(capsys, milvus_index):
    corpus, index = milvus_index
    flags = ("--index", str(index), "--backend", "milvus", "--json")
    out = run_json(capsys, "ask", QUESTION, *flags)
    assert out["answer"]["short"] == "$469 billion" and out["answer"]["doc_id"] == "strategic-framework"
    docs = {}
    for line in (index / "milvus").glob("gen-*/documents.jsonl"):
        docs = {d["doc_id"]: d for d in map(json.loads, line.read_text(encoding="utf-8").splitlines())}
    for c in out["citations"]:
        assert docs[c["doc_id"]]["text"][c["start"]:c["end"]] == c["quote"]
    assert out["passages"][0]["bm25_rank"] and out["passages"][0]["dense_rank"]
    hits = run_json(capsys, "search", "Artemis Accords Singapore", "--kind", "article", *flags)["hits"]
    assert hits and {h["kind"] for h in hits} == {"article"}
    matches = run_json(capsys, "cite", "inherent necessary tension exists between our dual missions", *flags)["matches"]
    assert {m["doc_id"] for m in matches} == {"strategic-framework", "breaking-defense-framework"}


def test_ingest_again_changes_nothing_and_if_stale_skips(capsys, milvus_index):
    corpus, index = milvus_index
    out = run_json(capsys, "ingest", "--corpus", str(corpus), "--index", str(index), "--backend", "milvus", "--json")
    assert out["encoded_chunks"] == 0 and out["backend"] == "milvus"
    capsys.readouterr()
    assert main(["ingest", "--corpus", str(corpus), "--index", str(index), "--backend", "milvus", "--if-stale"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_web_page_asks_through_milvus(milvus_index, monkeypatch):
    from streamlit.testing.v1 import AppTest

    corpus, index = milvus_index
    monkeypatch.setenv("QA_CORPUS", str(corpus))
    monkeypatch.setenv("QA_INDEX", str(index))
    monkeypatch.setenv("QA_BACKEND", "milvus")
    monkeypatch.delenv("QA_MILVUS_URI", raising=False)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.query_params["page"] = "Ask"
    at.run()
    at.text_input[0].input(QUESTION)
    at.button[0].click().run()
    assert not at.exception
    body = "\n".join(m.value for m in at.markdown)
    assert '<mark class="short" id="short">&#36;469 billion</mark>' in body
    assert not (index / "manifest.json").exists()  # no embedded index: the answer came through Milvus
