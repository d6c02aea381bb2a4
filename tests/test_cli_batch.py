"""``qa ask --questions FILE`` and ``qa search --queries FILE``: JSONL out, one line per input line,
passthrough fields, standard input, bad lines reported in place (tiny corpus, fake encoder)."""

from __future__ import annotations

import io
import json

import pytest
from conftest import FakeEncoder

from qa.cli.batch import merge, read_items
from qa.cli.main import main
from qa.retrieval.build import IndexSettings, build_index


class CountingEncoder(FakeEncoder):
    created = 0

    def __init__(self, *a, **k) -> None:
        super().__init__()
        CountingEncoder.created += 1
        self.calls: list[int] = []

    def encode_queries(self, texts):
        self.calls.append(len(texts))
        return super().encode_queries(texts)


@pytest.fixture
def index_dir(tmp_path, monkeypatch, tiny_documents):
    CountingEncoder.created = 0
    # `qa ask --questions` sets QA_ONNX_THREADS for its own process; here it is restored after
    monkeypatch.setenv("QA_ONNX_THREADS", "x")
    monkeypatch.delenv("QA_ONNX_THREADS")
    build_index(tiny_documents, tmp_path / "index", FakeEncoder(), IndexSettings(model="fake/hashed-bow"), "tiny")
    monkeypatch.setattr("qa.retrieval.encoder.Encoder", CountingEncoder)
    return tmp_path / "index"


def run_lines(capsys, argv, expect=0):
    capsys.readouterr()
    assert main(argv) == expect
    out = capsys.readouterr()
    return [json.loads(line) for line in out.out.splitlines()], out.err


QUESTIONS = [
    "What did the space economy reach in 2021?",
    json.dumps({"question": "What does the MTCR limit?", "id": "q2", "answer": "missiles", "tags": ["export"]}),
    "",
    "Which line of effort builds the workforce of space diplomats?",
]


def test_ask_questions_file_prints_one_answer_per_line_with_passthrough(capsys, index_dir, tmp_path, tiny_documents):
    path = tmp_path / "questions.txt"
    path.write_text("\n".join(QUESTIONS) + "\n", encoding="utf-8")
    rows, _ = run_lines(capsys, ["ask", "--questions", str(path), "--index", str(index_dir)])
    assert [r["line"] for r in rows] == [1, 2, 4]  # the blank line 3 is skipped
    assert rows[0]["question"] == QUESTIONS[0]
    assert rows[1]["id"] == "q2" and rows[1]["tags"] == ["export"]
    assert rows[1]["input"] == {"answer": "missiles"}  # clashes with the output's own field
    texts = {d.doc_id: d.text for d in tiny_documents}
    for row in rows:
        assert set(row) >= {"question", "answer", "confidence", "abstained", "citations"}
        assert "passages" not in row
        if not row["abstained"]:
            assert set(row["answer"]) >= {"text", "short", "doc_id", "start", "end", "page"}
        for c in row["citations"]:
            assert texts[c["doc_id"]][c["start"]:c["end"]] == c["quote"]
            assert "page" in c
    assert "469 billion" in rows[0]["answer"]["text"]
    assert CountingEncoder.created == 1


def test_questions_are_encoded_in_one_batch(capsys, index_dir, tmp_path, monkeypatch):
    seen = []
    real_init = CountingEncoder.__init__

    def keep(self, *a, **k):
        real_init(self, *a, **k)
        seen.append(self)

    monkeypatch.setattr(CountingEncoder, "__init__", keep)
    path = tmp_path / "q.txt"
    path.write_text("\n".join(f"space policy question {i}" for i in range(5)), encoding="utf-8")
    rows, _ = run_lines(capsys, ["ask", "--questions", str(path), "--index", str(index_dir)])
    assert len(rows) == 5 and len(seen) == 1 and seen[0].calls == [5]


def test_ask_questions_from_standard_input(capsys, index_dir, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps({"question": "What does the MTCR limit?", "n": 7}) + "\n"))
    rows, _ = run_lines(capsys, ["ask", "--questions", "-", "--index", str(index_dir)])
    assert len(rows) == 1 and rows[0]["n"] == 7 and rows[0]["line"] == 1
    assert rows[0]["question"] == "What does the MTCR limit?"
    assert rows[0]["abstained"] or "MTCR" in rows[0]["answer"]["text"]   # the answer stage's own call


def test_bad_lines_are_reported_in_place_and_the_rest_goes_on(capsys, index_dir, tmp_path):
    lines = ['{"question": "What does the MTCR limit?"', '{"id": 3}', '{"question": "  ", "id": 4}', "?!?",
             '{"question": 5}', "What did the space economy reach in 2021?"]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    rows, err = run_lines(capsys, ["ask", "--questions", str(path), "--index", str(index_dir)], expect=2)
    assert [r["line"] for r in rows] == [1, 2, 3, 4, 5, 6]
    assert "invalid JSON" in rows[0]["error"] and rows[0]["error"].startswith("line 1:")
    assert "no 'question' field" in rows[1]["error"] and rows[1]["id"] == 3
    assert "empty" in rows[2]["error"] and rows[2]["id"] == 4
    assert "no letters or digits" in rows[3]["error"]
    assert "not text" in rows[4]["error"]
    assert "error" not in rows[5] and "469 billion" in rows[5]["answer"]["text"]
    for n in range(1, 6):
        assert f"line {n}:" in err


def test_search_queries_file_prints_hits_per_line(capsys, index_dir, tmp_path):
    path = tmp_path / "queries.jsonl"
    path.write_text("\n".join([json.dumps({"query": "Artemis Accords signatories", "qid": "a"}),
                               json.dumps({"question": "export controls", "qid": "b"}), "ASAT missile tests"]),
                    encoding="utf-8")
    rows, _ = run_lines(capsys, ["search", "--queries", str(path), "--k", "2", "--index", str(index_dir)])
    assert [r.get("qid") for r in rows] == ["a", "b", None]
    assert rows[0]["query"] == "Artemis Accords signatories" and rows[0]["mode"] == "hybrid"
    assert all(len(r["hits"]) == 2 for r in rows)
    assert rows[0]["hits"][0]["doc_id"] == "fact-sheet" and rows[2]["hits"][0]["doc_id"] == "fact-sheet"
    assert set(rows[1]["hits"][0]) >= {"rank", "chunk_id", "doc_id", "start", "end", "score", "text"}


def test_search_queries_bm25_needs_no_encoder(capsys, index_dir, tmp_path):
    path = tmp_path / "q.txt"
    path.write_text("MTCR\n", encoding="utf-8")
    rows, _ = run_lines(capsys, ["search", "--queries", str(path), "--mode", "bm25", "--index", str(index_dir)])
    assert rows[0]["hits"][0]["doc_id"] == "article" and CountingEncoder.created == 0


@pytest.mark.parametrize("argv, message", [
    (["ask"], "neither"),
    (["ask", "a question", "--questions", "-"], "both"),
    (["search"], "neither"),
    (["ask", "--questions", "/no/such/file.txt"], "cannot read /no/such/file.txt"),
])
def test_question_or_file_exactly_one(capsys, index_dir, argv, message):
    capsys.readouterr()
    assert main([*argv, "--index", str(index_dir)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_read_items_and_merge():
    items = list(read_items(["  plain question ", "", '{"q": 1}', '{"query": "x", "k": 2}'], ("query", "question")))
    assert [(i.line, i.text, i.error[:7]) for i in items] == [(1, "plain question", ""), (3, None, "line 3:"),
                                                               (4, "x", "")]
    assert items[2].extra == {"k": 2}
    assert merge({"id": 1, "line": 9, "input": 0}, {"line": 2}) == {"id": 1, "input": {"line": 9, "input": 0}, "line": 2}


def test_the_api_names_the_position_of_a_bad_question_or_query(index_dir):
    import qa
    from qa.types import QueryError

    index = qa.open_index(index_dir, encoder=FakeEncoder())
    with pytest.raises(QueryError, match=r"^question 2: "):
        index.ask(["What does the MTCR limit?", "   "])
    with pytest.raises(QueryError, match=r"^query 3: "):
        index.search_many(["MTCR", "space", ""])


def test_ask_questions_workers_answer_as_one_and_bad_workers_are_named(capsys, index_dir, tmp_path, monkeypatch):
    import os

    path = tmp_path / "questions.txt"
    path.write_text("\n".join(QUESTIONS) + "\n", encoding="utf-8")
    one, _ = run_lines(capsys, ["ask", "--questions", str(path), "--index", str(index_dir), "--workers", "1"])
    assert "QA_ONNX_THREADS" not in os.environ
    three, _ = run_lines(capsys, ["ask", "--questions", str(path), "--index", str(index_dir), "--workers", "3"])
    assert three == one and os.environ["QA_ONNX_THREADS"] == "1"
    capsys.readouterr()
    assert main(["ask", "--questions", str(path), "--index", str(index_dir), "--workers", "0"]) != 0
    assert "--workers must be at least 1" in capsys.readouterr().err
