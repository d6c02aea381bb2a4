"""qa.evaluation.beir: reading BEIR folders (tiny ones in tmp_path, and the real SciFact train split).

TREC run and qrels files: tests/test_trec.py; a second BEIR-format set end to end: tests/test_beir_graded.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.evaluation.beir import (
    BeirDoc,
    BeirFormatError,
    available_splits,
    load_beir,
)
from qa.types import QAError

SCIFACT = Path("/work/shared/data/scifact")


def _write_jsonl(path: Path, records) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


@pytest.fixture
def beir_folder(tmp_path: Path) -> Path:
    _write_jsonl(
        tmp_path / "corpus.jsonl",
        [
            {"_id": "d1", "title": "First", "text": "alpha beta"},
            {"_id": "d2", "title": "", "text": "gamma"},
            {"_id": "d3", "text": "no title field"},
        ],
    )
    _write_jsonl(
        tmp_path / "queries.jsonl",
        [
            {"_id": "q1", "text": "what is alpha?", "metadata": {}},
            {"_id": "q2", "text": "gamma?"},
            {"_id": "q3", "text": "only in the test split"},
        ],
    )
    (tmp_path / "qrels").mkdir()
    (tmp_path / "qrels" / "train.tsv").write_text(
        "query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td3\t0\nq2\td2\t2\n", encoding="utf-8"
    )
    (tmp_path / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq3\td1\t1\n", encoding="utf-8")
    return tmp_path


def test_load_tiny_folder(beir_folder):
    data = load_beir(beir_folder, "train")
    assert data.split == "train"
    assert data.corpus == {
        "d1": BeirDoc(title="First", text="alpha beta"),
        "d2": BeirDoc(title="", text="gamma"),
        "d3": BeirDoc(title="", text="no title field"),
    }
    assert data.queries == {"q1": "what is alpha?", "q2": "gamma?"}  # q3 is not judged in train
    assert data.qrels == {"q1": {"d1": 1, "d3": 0}, "q2": {"d2": 2}}
    assert load_beir(beir_folder, "test").queries == {"q3": "only in the test split"}


def test_dataset_is_frozen(beir_folder):
    data = load_beir(beir_folder, "train")
    with pytest.raises(AttributeError):
        data.split = "test"  # type: ignore[misc]


def test_available_splits(beir_folder, tmp_path_factory):
    assert available_splits(beir_folder) == ["test", "train"]
    assert available_splits(tmp_path_factory.mktemp("empty")) == []


def test_qrels_without_header(beir_folder):
    (beir_folder / "qrels" / "dev.tsv").write_text("q1\td1\t1\n", encoding="utf-8")
    assert load_beir(beir_folder, "dev").qrels == {"q1": {"d1": 1}}


def test_unknown_split_lists_available(beir_folder):
    with pytest.raises(BeirFormatError, match=r"unknown split 'dev'; available splits: test, train"):
        load_beir(beir_folder, "dev")


def test_missing_folder(tmp_path):
    with pytest.raises(BeirFormatError, match="no such folder"):
        load_beir(tmp_path / "nowhere", "train")


@pytest.mark.parametrize("name", ["corpus.jsonl", "queries.jsonl"])
def test_missing_file(beir_folder, name):
    (beir_folder / name).unlink()
    with pytest.raises(BeirFormatError, match=rf"{name}: file not found"):
        load_beir(beir_folder, "train")


def test_errors_are_qa_errors():
    assert issubclass(BeirFormatError, QAError)


def test_bad_json_line_names_file_and_line(beir_folder):
    with (beir_folder / "corpus.jsonl").open("a", encoding="utf-8") as handle:
        handle.write('{"_id": "d4", "text": \n')
    with pytest.raises(BeirFormatError, match=r"corpus\.jsonl:4: not valid JSON"):
        load_beir(beir_folder, "train")


def test_json_that_is_not_an_object(beir_folder):
    (beir_folder / "queries.jsonl").write_text('["q1", "text"]\n', encoding="utf-8")
    with pytest.raises(BeirFormatError, match=r"queries\.jsonl:1: expected a JSON object"):
        load_beir(beir_folder, "train")


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"title": "t", "text": "x"}, "missing field '_id'"),
        ({"_id": "d9", "title": "t"}, "missing field 'text'"),
        ({"_id": 9.5, "text": "x"}, "field '_id' must be a string or an integer, got 9.5"),
        ({"_id": True, "text": "x"}, "field '_id' must be a string or an integer, got true"),
        ({"_id": "d9", "text": 7}, "field 'text' must be a string"),
        ({"_id": "d9", "title": 3, "text": "x"}, "field 'title' must be a string"),
        ({"_id": "d1", "text": "again"}, "id 'd1' appears more than once"),
    ],
)
def test_bad_corpus_record(beir_folder, record, message):
    with (beir_folder / "corpus.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")
    with pytest.raises(BeirFormatError, match=rf"corpus\.jsonl:4: {message}"):
        load_beir(beir_folder, "train")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("q1\td2\n", "expected 3 tab-separated fields"),
        ("q1 d2 1\n", "expected 3 tab-separated fields"),
        ("q1\td2\thigh\n", "score 'high' is not an integer"),
        ("q1\td1\t2\n", r"\('q1', 'd1'\) judged twice with different scores"),
        ("\td1\t2\n", "empty query id"),
    ],
)
def test_bad_qrels_line(beir_folder, line, message):
    with (beir_folder / "qrels" / "train.tsv").open("a", encoding="utf-8") as handle:
        handle.write(line)
    with pytest.raises(BeirFormatError, match=rf"train\.tsv:5: {message}"):
        load_beir(beir_folder, "train")


def test_judged_query_missing_from_queries(beir_folder):
    with (beir_folder / "qrels" / "train.tsv").open("a", encoding="utf-8") as handle:
        handle.write("q7\td1\t1\n")
    with pytest.raises(BeirFormatError, match=r"1 judged queries are not in .*queries\.jsonl: 'q7'"):
        load_beir(beir_folder, "train")


def test_not_utf8(beir_folder):
    (beir_folder / "queries.jsonl").write_bytes(b'{"_id": "q1", "text": "\xff"}\n')
    with pytest.raises(BeirFormatError, match=r"queries\.jsonl: not UTF-8"):
        load_beir(beir_folder, "train")


@pytest.mark.skipif(not (SCIFACT / "qrels" / "train.tsv").is_file(), reason="SciFact data not present")
def test_real_scifact_train():
    # wc -l: corpus.jsonl 5183 lines, queries.jsonl 809, qrels/train.tsv 920 (header + 919 judgements,
    # 809 distinct query ids)
    data = load_beir(SCIFACT, "train")
    assert len(data.corpus) == 5183
    assert len(data.queries) == 809
    assert sum(len(judged) for judged in data.qrels.values()) == 919
    assert set(data.queries) == set(data.qrels)
    assert data.qrels["0"] == {"31715818": 1}
    assert data.queries["0"] == "0-dimensional biomaterials lack inductive properties."
    assert data.corpus["4983"].title.startswith("Microstructural development of human newborn")
