"""The `qa` command end to end on the real corpus: ingest, search, ask, cite (JSON shapes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    index = tmp_path_factory.mktemp("cli-index")
    assert main(["ingest", "--corpus", str(ROOT / "corpus"), "--index", str(index)]) == 0
    return index


def run_json(capsys, *argv) -> dict:
    capsys.readouterr()
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
def test_singapore_question_ranks_the_ivlp_passage_first_in_every_mode(capsys, index_dir, mode):
    out = run_json(capsys, "search", "When did Singapore sign the Artemis Accords?", "--mode", mode,
                   "--index", str(index_dir), "--json")
    assert out["mode"] == mode and out["query"].startswith("When did Singapore")
    top = out["hits"][0]
    assert top["doc_id"] == "ivlp-space-diplomacy"
    assert "In March 2022, the Republic of Singapore signed the Artemis Accords" in top["text"]
    assert set(top) >= {"rank", "chunk_id", "doc_id", "title", "kind", "text", "start", "end", "page",
                        "section", "score", "bm25_rank", "dense_rank"}


def test_inherent_necessary_tension_finds_framework_and_article(capsys, index_dir):
    out = run_json(capsys, "search", "inherent necessary tension", "--index", str(index_dir), "--json")
    docs = [h["doc_id"] for h in out["hits"][:5]]
    assert "strategic-framework" in docs and "breaking-defense-framework" in docs


def test_search_filters_by_document_and_kind(capsys, index_dir):
    out = run_json(capsys, "search", "Artemis Accords", "--doc", "csis-next-steps", "--index", str(index_dir), "--json")
    assert out["hits"] and {h["doc_id"] for h in out["hits"]} == {"csis-next-steps"}
    out = run_json(capsys, "search", "Artemis Accords", "--kind", "fact sheet", "--index", str(index_dir), "--json")
    assert out["hits"] and {h["kind"] for h in out["hits"]} == {"fact sheet"}


def test_ask_json_shape(capsys, index_dir):
    out = run_json(capsys, "ask", "What value did one NGO estimate for the global space economy in 2021?",
                   "--index", str(index_dir), "--json")
    assert out["abstained"] is False and 0 < out["confidence"] <= 1
    assert out["answer"]["short"] == "$469 billion" and out["answer"]["doc_id"] == "strategic-framework"
    c = out["citations"][0]
    assert set(c) == {"n", "doc_id", "title", "publisher", "date", "page", "section", "start", "end", "quote",
                      "url", "reference"}
    assert c["n"] == 1 and c["page"] == 5
    assert out["passages"] and "bm25_rank" in out["passages"][0]


def test_ask_refusal_json(capsys, index_dir):
    out = run_json(capsys, "ask", "Who won the 2022 FIFA World Cup?", "--index", str(index_dir), "--json")
    assert out["abstained"] is True and out["answer"] is None and out["citations"] == []
    assert out["passages"]


def test_cite_json_shape(capsys, index_dir):
    out = run_json(capsys, "cite", "inherent necessary tension exists between our dual missions",
                   "--index", str(index_dir), "--json")
    m = out["matches"][0]
    assert set(m) == {"doc_id", "title", "page", "section", "start", "end", "text", "similarity", "exact",
                      "context_before", "context_after"}
    assert {x["doc_id"] for x in out["matches"]} == {"strategic-framework", "breaking-defense-framework"}


def test_ingest_again_is_a_no_op_when_fresh(capsys, index_dir):
    capsys.readouterr()
    assert main(["ingest", "--if-stale", "--corpus", str(ROOT / "corpus"), "--index", str(index_dir)]) == 0
    assert "up to date" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["search", "   "], "empty"),
    (["search", "x" * 10_000], "limit"),
    (["ask", ""], "empty"),
    (["cite", "“ ”"], "empty"),
])
def test_bad_queries_exit_2_with_a_message(capsys, index_dir, argv, message):
    capsys.readouterr()
    assert main([*argv, "--index", str(index_dir)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_missing_index_says_to_run_ingest(capsys, tmp_path):
    assert main(["search", "anything", "--index", str(tmp_path / "none")]) == 2
    assert "qa ingest" in capsys.readouterr().err
