"""qa.evaluation.trec: TREC run and qrels files written, read back exactly, and read by pytrec_eval alike."""

from __future__ import annotations

import copy

import pytest

from qa.evaluation.trec import (
    TrecFormatError,
    read_trec_qrels,
    read_trec_run,
    write_trec_qrels,
    write_trec_run,
)
from qa.types import QAError


def test_errors_are_qa_errors():
    assert issubclass(TrecFormatError, QAError)


# --- runs ----------------------------------------------------------------------------------------


def test_write_trec_run_lines(tmp_path):
    run = {"q2": {"b": 1.0, "a": 1.0, "c": 2.5}, "q1": {"x": 0.1}}
    path = tmp_path / "run.txt"
    write_trec_run(path, run, "bm25")
    # queries sorted; within a query score descending, ties by doc id descending (trec_eval order)
    assert path.read_text(encoding="utf-8").splitlines() == [
        "q1 Q0 x 1 0.1 bm25",
        "q2 Q0 c 1 2.5 bm25",
        "q2 Q0 b 2 1.0 bm25",
        "q2 Q0 a 3 1.0 bm25",
    ]


def test_trec_run_round_trip(tmp_path):
    run = {
        "q1": {"d1": 0.1 + 0.2, "d2": 1e-17, "d3": -3.5, "d4": 0.30000000000000004},
        "q2": {"d9": 12345.678901234567},
        "7": {"42": 3.0},   # ids that are numbers stay text
    }
    before = copy.deepcopy(run)
    path = tmp_path / "run.txt"
    write_trec_run(path, run, "tag")
    assert run == before  # input untouched
    assert read_trec_run(path) == run  # scores read back exactly
    pytrec_eval = pytest.importorskip("pytrec_eval")
    with path.open(encoding="utf-8") as handle:
        assert pytrec_eval.parse_run(handle) == run


def test_write_trec_run_rejects_unwritable_values(tmp_path):
    path = tmp_path / "run.txt"
    with pytest.raises(TrecFormatError, match="run tag"):
        write_trec_run(path, {"q": {"d": 1.0}}, "my run")
    with pytest.raises(TrecFormatError, match="document id"):
        write_trec_run(path, {"q": {"d 1": 1.0}}, "t")
    with pytest.raises(TrecFormatError, match="query id"):
        write_trec_run(path, {"": {"d": 1.0}}, "t")
    with pytest.raises(TrecFormatError, match="finite"):
        write_trec_run(path, {"q": {"d": float("inf")}}, "t")
    assert not path.exists()


@pytest.mark.parametrize(("read", "text", "message"), [
    (read_trec_run, "q1 Q0 d1 1 0.5\n", r"x\.txt:1: expected 6 fields \(qid Q0 docid rank score tag\), got 5"),
    (read_trec_run, "q1 Q0 d1 1 0.5 t\nq1 Q0 d1 2 0.4 t\n", r"x\.txt:2: document 'd1' listed twice for query 'q1'"),
    (read_trec_run, "q1 Q0 d1 1 high t\n", r"x\.txt:1: score 'high' is not a number"),
    (read_trec_run, "\nq1 Q0 d1 1 nan t\n", r"x\.txt:2: score 'nan' is not finite"),
    (read_trec_qrels, "q1 0 d1\n", r"x\.txt:1: expected 4 fields \(qid iteration docid grade\), got 3"),
    (read_trec_qrels, "q1 0 d1 yes\n", r"x\.txt:1: grade 'yes' is not an integer"),
    (read_trec_qrels, "q1 0 d1 1\n\nq1 0 d1 2\n", r"x\.txt:3: \('q1', 'd1'\) judged twice with different grades"),
])
def test_read_errors_name_file_and_line(tmp_path, read, text, message):
    path = tmp_path / "x.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TrecFormatError, match=message):
        read(path)


def test_missing_and_non_utf8_files_are_named(tmp_path):
    with pytest.raises(TrecFormatError, match=r"nowhere\.trec: file not found"):
        read_trec_run(tmp_path / "nowhere.trec")
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("q1 0 caf\xe9 1\n".encode("latin-1"))
    with pytest.raises(TrecFormatError, match=r"latin1\.txt: not UTF-8"):
        read_trec_qrels(bad)


# --- qrels ---------------------------------------------------------------------------------------


def test_write_trec_qrels_lines(tmp_path):
    qrels = {"q2": {"d9": 1, "d10": 0}, "q1": {"42": 2, "d1": -1}}
    path = tmp_path / "qrels.txt"
    write_trec_qrels(path, qrels)
    # sorted by query, then document (as text), every grade written as it is
    assert path.read_text(encoding="utf-8").splitlines() == [
        "q1 0 42 2", "q1 0 d1 -1", "q2 0 d10 0", "q2 0 d9 1"]


def test_trec_qrels_round_trip_and_pytrec_eval_reads_them_alike(tmp_path):
    qrels = {"q1": {"d1": 2, "d2": 1, "d3": 0}, "12": {"7": 1}}
    before = copy.deepcopy(qrels)
    path = tmp_path / "qrels.txt"
    write_trec_qrels(path, qrels)
    assert qrels == before
    assert read_trec_qrels(path) == qrels
    pytrec_eval = pytest.importorskip("pytrec_eval")
    with path.open(encoding="utf-8") as handle:
        assert pytrec_eval.parse_qrel(handle) == qrels


def test_write_trec_qrels_rejects_unwritable_values(tmp_path):
    path = tmp_path / "qrels.txt"
    with pytest.raises(TrecFormatError, match="document id 'd 1'"):
        write_trec_qrels(path, {"q": {"d 1": 1}})
    with pytest.raises(TrecFormatError, match=r"grade of \('q', 'd'\) is 0\.5"):
        write_trec_qrels(path, {"q": {"d": 0.5}})
    assert not path.exists()


def test_read_trec_qrels_ignores_the_iteration_column_and_repeats(tmp_path):
    path = tmp_path / "qrels.txt"
    path.write_text("q1 3 d1 1\nq1 0 d1 1\nq1 Q0 d2 0\n", encoding="utf-8")
    assert read_trec_qrels(path) == {"q1": {"d1": 1, "d2": 0}}
