"""eval/answer_trace.py: each miss lands in the first stage that lost it (worked out by hand)."""

import pytest

from conftest import eval_script


@pytest.fixture(scope="module")
def trace():
    return eval_script("answer_trace")


PASSAGES = ["The launch slipped to May.", "Rockets are loud.", "The treaty was signed in 1967 in London.",
            "Nothing here."]
ANSWERS = ["1967"]


@pytest.mark.parametrize("quote, refused, read, stage", [
    ("The treaty was signed in 1967 in London.", False, 3, "hit"),
    ("The treaty was signed in 1967 in London.", True, 3, "hit, refused"),
    ("Rockets are loud.", False, 3, "picked wrong"),     # passage 2 holds it and was read (3 read)
    ("Rockets are loud.", False, 2, "not read"),         # passage 2 holds it, only 2 read
    (None, False, 3, "no span"),
])
def test_stage_of(trace, quote, refused, read, stage):
    assert trace.stage_of(quote, refused, PASSAGES, read, ANSWERS) == stage


def test_not_retrieved_when_no_passage_holds_the_answer(trace):
    assert trace.stage_of("Rockets are loud.", False, PASSAGES[:2], 2, ANSWERS) == "not retrieved"
    assert set(trace.STAGES) >= {"hit", "picked wrong", "not read", "not retrieved", "no span"}
