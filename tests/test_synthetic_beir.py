"""qa.evaluation.synthetic_beir: a seeded, TREC-COVID-shaped BEIR folder made of real sentences."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.evaluation.beir import load_beir
from qa.evaluation.synthetic_beir import (
    SPEC_FILE,
    SyntheticSpec,
    cached_synthetic_beir,
    source_text,
    write_synthetic_beir,
)
from qa.types import QAError, SettingsError

ROOT = Path(__file__).resolve().parent.parent
ABSTRACTS = [
    ("Cells divide under stress", "Stressed cells divided faster than controls in every culture. The effect held at "
     "low and high doses of the agent. Mitochondrial activity rose before division began. Three labs saw the same "
     "pattern over two years."),
    ("A trial of vitamin D in adults", "Vitamin D did not lower the rate of fractures in older adults. The trial "
     "enrolled 2,000 people from five sites. Falls were as frequent in both arms of the study. Adverse events were rare."),
    ("Viral load and transmission", "Household transmission rose with the index patient's viral load. Masks halved "
     "the secondary attack rate in crowded homes. Children transmitted less often than adults did."),
]


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    folder = tmp_path_factory.mktemp("source")
    (folder / "corpus.jsonl").write_text(
        "".join(json.dumps({"_id": str(i), "title": t, "text": x}) + "\n" for i, (t, x) in enumerate(ABSTRACTS)),
        encoding="utf-8")
    return folder


SPEC = SyntheticSpec(documents=120, seed=5, queries=10, min_words=30, max_words=60, title_only=0.1)


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_same_seed_writes_the_same_bytes_and_another_seed_others(tmp_path, source):
    text = source_text(source)
    write_synthetic_beir(tmp_path / "a", SPEC, text)
    write_synthetic_beir(tmp_path / "b", SPEC, text)
    write_synthetic_beir(tmp_path / "c", SyntheticSpec(**{**SPEC.__dict__, "seed": 6}), text)
    a = files(tmp_path / "a")
    assert set(a) == {"corpus.jsonl", "queries.jsonl", "qrels/test.tsv", SPEC_FILE}
    assert a == files(tmp_path / "b")
    assert a["corpus.jsonl"] != files(tmp_path / "c")["corpus.jsonl"]


def test_the_folder_is_a_valid_beir_split_shaped_like_trec_covid(tmp_path, source):
    text = source_text(source)
    record = write_synthetic_beir(tmp_path / "syn", SPEC, text)
    data = load_beir(tmp_path / "syn", "test")
    assert len(data.corpus) == 120 and record["documents"] == 120
    assert len(data.queries) == len(data.qrels) == 10 == record["queries"]
    sentences = set(text.sentences)
    with_text = [d for d in data.corpus.values() if d.text]
    assert len(with_text) == record["with_text"] and 90 <= len(with_text) < 120  # about 10% title only
    for doc in data.corpus.values():
        assert doc.title in text.titles
    for doc in with_text:
        assert len(doc.text.split()) >= SPEC.min_words
    # real sentences, recombined: most survive whole (one word in twenty is swapped)
    whole = sum(s in doc.text for doc in with_text for s in sentences)
    assert whole > len(with_text)
    for qid, graded in data.qrels.items():
        assert list(graded.values()).count(2) == 1
        source_doc = next(d for d, g in graded.items() if g == 2)
        assert data.queries[qid] == data.corpus[source_doc].title.rstrip(".")
        assert all(data.corpus[d].title == data.corpus[source_doc].title for d, g in graded.items() if g == 1)


def test_a_plain_document_folder_gives_sentences_and_titles():
    text = source_text(ROOT / "corpus")
    assert len(text.sentences) > 100 and text.titles
    assert all(5 <= len(t.split()) <= 20 for t in text.titles)


def test_the_cache_is_reused_and_an_unfinished_folder_written_again(tmp_path, source):
    folder = cached_synthetic_beir(tmp_path, SPEC, source)
    assert folder.parent == tmp_path and folder.name.startswith("trec-covid-like-120-seed5-")
    stamp = (folder / "corpus.jsonl").stat().st_mtime_ns
    assert cached_synthetic_beir(tmp_path, SPEC, source) == folder
    assert (folder / "corpus.jsonl").stat().st_mtime_ns == stamp
    (folder / SPEC_FILE).unlink()  # as an interrupted run leaves it
    (folder / "corpus.jsonl").write_text("", encoding="utf-8")
    assert cached_synthetic_beir(tmp_path, SPEC, source) == folder
    assert len(load_beir(folder, "test").corpus) == 120
    assert cached_synthetic_beir(tmp_path, SyntheticSpec(**{**SPEC.__dict__, "documents": 121}), source) != folder


@pytest.mark.parametrize("kwargs, message", [
    ({"documents": 0}, "at least 1 document"), ({"documents": 10, "queries": 0}, "at least 1 query"),
    ({"documents": 10, "min_words": 50, "max_words": 40}, "min_words"), ({"documents": 10, "swap": 1.5}, "swap"),
])
def test_bad_specs_are_refused(kwargs, message):
    with pytest.raises(SettingsError, match=message):
        SyntheticSpec(**kwargs)


def test_a_missing_source_is_named(tmp_path):
    with pytest.raises(QAError, match="no such folder"):
        source_text(tmp_path / "nowhere")
