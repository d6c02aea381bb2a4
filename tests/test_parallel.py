"""Questions answered side by side (qa.parallel, ``Index.ask_many(workers=...)``): the same
results in the same order as one by one, really in parallel, and per-thread search timings."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from qa.parallel import map_in_threads

ROOT = Path(__file__).resolve().parent.parent


def test_results_keep_the_input_order_and_progress_counts_each_item():
    seen = []
    out = map_in_threads(lambda x: x * x, list(range(10)), workers=3, progress=lambda d, t: seen.append((d, t)))
    assert out == [x * x for x in range(10)]
    assert sorted(seen) == [(d, 10) for d in range(1, 11)]


def test_items_after_the_first_run_side_by_side():
    """Two items meet at a barrier only when two threads run them at once (one by one, it
    breaks after its timeout)."""
    barrier = threading.Barrier(2, timeout=10)

    def fn(x):
        if x:
            barrier.wait()
        return x

    assert map_in_threads(fn, [0, 1, 2], workers=2) == [0, 1, 2]


def test_the_first_item_runs_alone_before_the_others():
    """The first item (which loads the models) finishes before any other starts."""
    events, lock = [], threading.Lock()

    def fn(x):
        with lock:
            events.append(("start", x))
        with lock:
            events.append(("end", x))
        return x

    map_in_threads(fn, list(range(6)), workers=2)
    assert events[:2] == [("start", 0), ("end", 0)]


def test_bad_workers_and_failures_are_reported():
    with pytest.raises(ValueError, match="workers must be at least 1"):
        map_in_threads(str, [1, 2], workers=0)

    def fail(x):
        if x == 2:
            raise RuntimeError("item 2")
        return x

    with pytest.raises(RuntimeError, match="item 2"):
        map_in_threads(fail, [0, 1, 2, 3], workers=2)


def test_search_timings_are_each_threads_own(tmp_path, tiny_documents, fake_encoder):
    from qa.retrieval.retriever import Retriever, SearchSettings
    from qa.retrieval.store import load_index
    from test_retrieve import build

    build(tmp_path, tiny_documents, fake_encoder)
    retriever = Retriever(load_index(tmp_path / "index"), fake_encoder)
    retriever.search("missile technology", SearchSettings(mode="bm25"))
    seen = {}

    def other():
        seen["before"] = dict(retriever.last_timings)
        retriever.search("missile technology", SearchSettings(mode="hybrid"))
        seen["after"] = set(retriever.last_timings)

    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert seen == {"before": {}, "after": {"bm25", "encode", "dense", "fuse"}}
    assert set(retriever.last_timings) == {"bm25", "fuse"}


@pytest.mark.slow
def test_questions_answered_side_by_side_are_those_answered_one_by_one(real_index):
    from qa.api import Index

    retriever, _ = real_index
    index = Index(retriever)
    questions = [json.loads(line)["question"] for line in (ROOT / "eval" / "questions.jsonl").read_text().splitlines()][:12]
    one = index.ask_many(questions, workers=1)
    two = index.ask_many(questions, workers=2)
    strip = lambda a: (a.question, a.abstained, a.confidence, a.answer, a.citations, a.passages)  # noqa: E731
    assert [strip(a) for a in two] == [strip(a) for a in one]
    assert all("total" in a.timings_ms for a in two)
