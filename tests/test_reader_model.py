"""The shipped reader (qa/reader/reader.onnx): its card, its quality on its own dev split, and what it
does with bad input. A broken or untrained reader fails here in seconds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.reader.export import sha256
from qa.reader.model import READER_PATH, Reader
from qa.reader.squad import DEFAULT_SQUAD

ROOT = Path(__file__).resolve().parent.parent
DEV = json.loads((ROOT / "eval" / "reader-dev.json").read_text(encoding="utf-8"))
DEV_FLOOR_QUESTIONS = 200
DEV_MARGIN = 0.05   # the first 200 dev questions against the figure of all 1000 (the same every run)


@pytest.fixture(scope="module")
def reader() -> Reader:
    return Reader(READER_PATH)


def test_card_describes_the_shipped_file(reader):
    card = reader.card
    assert card["sha256"] == sha256(READER_PATH) == DEV["sha256"]
    assert card["bytes"] == READER_PATH.stat().st_size <= 50_000_000
    assert card["command"].startswith("qa train-reader") and card["training"]["steps"] == card["training"]["total_steps"]


@pytest.mark.skipif(not DEFAULT_SQUAD.is_file(), reason="SQuAD train (../shared/data/squad-train) is not here")
def test_dev_split_holds_its_recorded_quality(reader):
    from qa.evaluation.reader_dev import reader_dev_figures

    got = reader_dev_figures(reader, str(DEFAULT_SQUAD), DEV_FLOOR_QUESTIONS)
    assert got["f1"] >= DEV["f1"] - DEV_MARGIN and got["em"] >= DEV["em"] - DEV_MARGIN, (got, DEV)


def test_reader_finds_the_answer_and_quotes_it_verbatim(reader):
    passage = ("The Strategic Framework for Space Diplomacy was released by the Department of State in May 2023. "
               "It names three lines of effort.")
    reading = reader.read("When was the Strategic Framework for Space Diplomacy released?", ["", passage])
    best = reading.spans[0]
    assert best.passage == 1 and "May 2023" in passage[best.start:best.end]
    assert len(passage[best.start:best.end].split()) <= 6


@pytest.mark.parametrize("question, passages", [
    ("What is it?", [""]),                                                         # empty passage
    ("Which agency released the framework?", ["word " * 5000 + "The State Department released it."]),
    ("the of and is", ["The framework was released in May 2023."]),              # only stop words
    ("宇宙外交とは何ですか？", ["宇宙外交は国務省の枠組みです。", "Пространство и дипломатия."]),  # not Latin
])
def test_bad_input_gets_spans_or_nothing_never_garbage(reader, question, passages):
    reading = reader.read(question, passages)
    assert len(reading.nulls) == len(reading.window_passage)
    for sp in reading.spans:
        text = passages[sp.passage]
        assert 0 <= sp.start < sp.end <= len(text) and text[sp.start:sp.end].strip()
    if not any(p.strip() for p in passages):
        assert reading.spans == ()
