"""The sentence scorer's groups from the tuning questions and its folds: labels by hand, folds
of whole documents, each question judged by the model that did not see it, and a fit that
refuses the scorer's own (flattering) logits."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from qa.evaluation.gold import GoldQuestion, document_group
from qa.evaluation.scorer_folds import FoldScorer, fold_of, label_sentences, training_fold_of

Q = GoldQuestion("q1", "Where was the second session held?", ("Geneva",),
                 ("the second session was held in Geneva, from 1 to 5 April 2013",), split="tune", docs=("gge",))


def test_labels_by_hand():
    sents = ["The first session was held in New York.",
             "The second session was held in Geneva, from 1 to 5 April 2013.",
             "Geneva hosts many bodies.",                      # the answer, but not the evidence: left out
             "The Group adopted its report.",
             "Sessions last a week."]
    logits = [3.0, 5.0, 4.0, -1.0, 0.5]
    group = label_sentences(Q, sents, logits, negatives=2)
    assert group == [(Q.question, sents[1], 1), (Q.question, sents[0], 0), (Q.question, sents[4], 0)]
    # an unanswerable question: the hardest negatives only, every sentence a candidate
    none = GoldQuestion("q2", "How much did the sessions cost?", (), (), split="tune", docs=("gge",))
    assert label_sentences(none, sents, logits, negatives=3) == [(none.question, s, 0) for s in (sents[1], sents[2], sents[0])]


def _questions(n_docs: int) -> dict:
    qs = [GoldQuestion(f"q{i}", f"question {i}?", (), (), split="tune", docs=(f"doc{i % n_docs}",)) for i in range(20)]
    return {"home": qs[:10], "real": qs[10:] + [GoldQuestion("off", "off?", (), (), split="tune")]}


def test_folds_keep_documents_together_and_match_the_fits_assignment():
    questions = _questions(7)
    folds = fold_of(questions)
    groups = sorted({document_group(n, q) for n, qs in questions.items() for q in qs})
    assert len(groups) == 15 and set(folds.values()) == set(range(5))
    for n, qs in questions.items():
        for q in qs:
            assert folds[f"{n}:{q.id}"] == groups.index(document_group(n, q)) % 5
    assert document_group("real", questions["real"][-1]) == "real:off-corpus:off"


def test_a_training_question_goes_in_its_documents_fold():
    questions = _questions(7)      # doc0..doc6 in both sets: 14 groups, and one off the corpus
    train = [GoldQuestion("t1", "a?", ("x",), ("x y",), split="tune", docs=("doc3",)),
             GoldQuestion("t2", "b?", (), (), split="tune", docs=("doc9",)),        # no tuning question on it
             GoldQuestion("t3", "c?", (), (), split="tune", docs=("doc3",))]
    groups = sorted({document_group(n, q) for n, qs in questions.items() for q in qs})
    assert training_fold_of(train, questions) == {"train:t1": groups.index("real:doc3") % 5, "train:t2": -1,
                                                  "train:t3": groups.index("real:doc3") % 5}
    # the same document as a home question is another group: another fold
    assert training_fold_of(train[:1], questions, "home") == {"train:t1": groups.index("home:doc3") % 5}
    assert groups.index("real:doc3") % 5 != groups.index("home:doc3") % 5


class _Model:
    def __init__(self, value: float) -> None:
        self.value, self.card = value, {"sha256": str(value)}

    def score(self, question, sentences):
        return np.full(len(sentences), self.value, dtype=np.float32)


def test_each_question_is_judged_by_its_folds_model(tmp_path):
    questions = _questions(7)
    folds = fold_of(questions)
    scorer = FoldScorer([_Model(float(f)) for f in range(5)],
                        {q.question: folds[f"{n}:{q.id}"] for n, qs in questions.items() for q in qs})
    for n, qs in questions.items():
        for q in qs:
            assert scorer.score(q.question, ["a", "b"]).tolist() == [folds[f"{n}:{q.id}"]] * 2
    with pytest.raises(KeyError, match="not a question"):
        scorer.score("a question of no fold?", ["a"])
    assert scorer.card["sha256"].startswith("folds-")
    # loading: the assignment written with the models, and a clear word where it does not fit
    with pytest.raises(FileNotFoundError, match="folds.json"):
        FoldScorer.load(tmp_path, questions)
    (tmp_path / "folds.json").write_text(json.dumps(folds), encoding="utf-8")
    with pytest.raises(FileNotFoundError, match="fold0"):
        FoldScorer.load(tmp_path, questions)
    (tmp_path / "folds.json").write_text(json.dumps({"home:q1": 0}), encoding="utf-8")
    (tmp_path / "fold0").mkdir()
    (tmp_path / "fold0" / "sentences.onnx").write_bytes(b"")
    with pytest.raises(ValueError, match="no fold for home:q0"):
        FoldScorer.load(tmp_path, questions)


def test_fit_answers_refuses_a_scorer_trained_on_the_tuning_questions(monkeypatch, capsys):
    import qa.reader.model as reader_model
    import qa.reader.sentences as sentences
    from qa.cli.fit import cmd_fit_answers

    monkeypatch.setattr(reader_model, "load_reader", lambda: SimpleNamespace(card={}))
    monkeypatch.setattr(sentences, "load_scorer",
                        lambda: SimpleNamespace(card={"tuning_groups": {"groups": 174}}, path="sentences.onnx"))
    args = SimpleNamespace(linear=False, sets="home,real", scorer_folds=None, cache=None, no_rerank=True,
                           dry_run=True, json=True, out=None)
    assert cmd_fit_answers(args) == 2
    assert "--scorer-folds" in capsys.readouterr().err
    # folds that are not there: a clear word, not a traceback
    args.scorer_folds = "/nonexistent/folds"
    assert cmd_fit_answers(args) == 2
    assert "folds.json" in capsys.readouterr().err
