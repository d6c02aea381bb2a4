"""cached_rows: the fitting data is made once per question, stored, and read back unchanged."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa.evaluation.answer_data import cached_rows
from qa.evaluation.gold import GoldQuestion


@dataclass(frozen=True)
class Row:
    qid: str
    norm: float


class Encoder:
    def __init__(self):
        self.calls = 0

    def encode_many(self, texts):
        self.calls += 1
        return np.array([[float(len(t)), 1.0] for t in texts])


def question(qid: str, text: str) -> GoldQuestion:
    return GoldQuestion(id=qid, question=text, answers=(), evidence=())


def test_rows_are_made_once_then_read_back(tmp_path):
    questions = [question("a", "abc"), question("b", "abcdef")]
    enc, made, seen = Encoder(), [], []

    def make(q, vec):
        made.append(q.id)
        return Row(q.id, float(vec[0]))

    path = tmp_path / "rows.json"
    first = cached_rows(path, lambda r: Row(**r), enc, questions, make, progress=lambda n, total: seen.append((n, total)))
    assert first == [Row("a", 3.0), Row("b", 6.0)]
    assert made == ["a", "b"] and seen == [(1, 2), (2, 2)] and enc.calls == 1
    again = cached_rows(path, lambda r: Row(**r), enc, questions, make)
    assert again == first and made == ["a", "b"] and enc.calls == 1   # read back: nothing made or encoded


def test_no_path_means_no_cache(tmp_path):
    enc = Encoder()
    rows = [cached_rows(None, lambda r: Row(**r), enc, [question("a", "xy")], lambda q, v: Row(q.id, 0.0)) for _ in range(2)]
    assert rows[0] == rows[1] == [Row("a", 0.0)] and enc.calls == 2
    assert list(tmp_path.iterdir()) == []
