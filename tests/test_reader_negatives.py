"""The reader's training negatives: the answer's sentence cut out of its own paragraph (neg_cut).

``cut_answer_sentence`` is checked on cases worked out by hand; ``training_windows`` is checked to
give, with neg_cut 0, exactly the windows of the runs before the option existed (a digest taken
from that code), and with neg_cut 1 extra windows labelled at [CLS] that never hold the answer.
"""

from __future__ import annotations

import hashlib
from types import SimpleNamespace

import numpy as np
import pytest

from qa.reader.data import cut_answer_sentence, training_windows
from qa.reader.squad import Example
from qa.retrieval.model_files import resolve_model


def test_cut_answer_sentence_by_hand():
    text = "Paris is big. The capital of France is Lyon. Its streets are narrow."
    at = text.index("Lyon")
    assert cut_answer_sentence(text, at, at + 4, "Lyon") == "Paris is big. Its streets are narrow."
    # an answer across two sentences takes both out
    two = "One a. Two b. Three c. Four d."
    s, e = two.index("b."), two.index("Three") + 5
    assert cut_answer_sentence(two, s, e, two[s:e]) == "One a. Four d."
    # the answer's text said again elsewhere: no negative can be made
    again = "Lyon is old. The capital of France is Lyon. Its streets are narrow."
    at = again.index("Lyon", 5)
    assert cut_answer_sentence(again, at, at + 4, "Lyon") is None
    # fewer than two sentences would be left
    short = "Paris is big. The capital of France is Lyon."
    at = short.index("Lyon")
    assert cut_answer_sentence(short, at, at + 4, "Lyon") is None
    # a full stop inside a number or an abbreviation followed by lower case does not split
    num = "It cost 3.5 million in 1990. The capital of France is Lyon. Its streets are narrow."
    at = num.index("Lyon")
    assert cut_answer_sentence(num, at, at + 4, "Lyon") == "It cost 3.5 million in 1990. Its streets are narrow."


def _articles() -> list[list[list[Example]]]:
    out = []
    for a in range(2):
        paras = []
        for i in range(6):
            city, country = f"Cityx{a}{i}", f"Landia{a}{i}"
            ctx = (f"The museums here are old and famous. The capital of {country} is {city}. "
                   f"Its streets are narrow. Many visitors come in summer.")
            paras.append([Example(f"{a}-{i}", a, i, f"What is the capital of {country}?", ctx, city,
                                  ctx.index(city))])
        out.append(paras)
    return out


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(resolve_model("all-MiniLM-L6-v2"))


def _settings(neg_cut: float) -> SimpleNamespace:
    return SimpleNamespace(questions=12, skip=0, max_tokens=48, stride=16, neg_same=0.5, neg_other=0.5,
                           neg_cut=neg_cut, seed=3)


def test_neg_cut_zero_keeps_the_earlier_windows(tokenizer):
    d = training_windows(_articles(), [0, 1], tokenizer, _settings(0.0))
    h = hashlib.sha256()
    for k in ("input_ids", "attention_mask", "token_type_ids", "start", "end"):
        h.update(d[k].tobytes())
    # taken from the code before neg_cut existed (commit 1bf85a9), same articles and settings
    assert (len(d["start"]), h.hexdigest()[:16]) == (17, "0309592bc5d7e61a")


def test_neg_cut_adds_cls_windows_without_the_answer(tokenizer):
    arts = _articles()
    base = training_windows(arts, [0, 1], tokenizer, _settings(0.0))
    cut = training_windows(arts, [0, 1], tokenizer, _settings(1.0))
    positives = int(np.sum(cut["start"] > 0))
    assert positives == int(np.sum(base["start"] > 0)) == 12  # one positive window per question
    assert len(cut["start"]) >= len(base["start"]) + 12        # every question got its cut negative
    cities = {ex.answer.lower() for a in arts for p in a for ex in p}

    def answerless(d):  # [CLS]-labelled windows that hold no city at all: only a cut makes these
        texts = [tokenizer.decode(ids[ids > 0], skip_special_tokens=True)
                 for ids, start in zip(d["input_ids"], d["start"]) if start == 0]
        return [t for t in texts if not any(c in t for c in cities)]

    assert answerless(base) == []
    made = answerless(cut)
    assert len(made) == 12 and all("streets" in t and "capital of landia" in t for t in made), made


def test_neg_cut_is_a_probability():
    from qa.reader.train import TrainSettings

    with pytest.raises(ValueError, match="neg_cut"):
        TrainSettings(neg_cut=1.5)
