"""The training questions (eval/train_questions.jsonl): written for training the sentence scorer
on documents like the users', they must lie on the real gold set's tuning documents only (never a
reporting document, which would flatter the reporting split), ask nothing a gold question asks,
and quote their evidence so that their answers are in it."""

from __future__ import annotations

from pathlib import Path

from rapidfuzz import fuzz

from qa.evaluation.gold import load_gold

ROOT = Path(__file__).resolve().parents[1]
TRAIN = load_gold(ROOT / "eval" / "train_questions.jsonl")
GOLD = load_gold(ROOT / "eval" / "real_questions.jsonl")


def test_only_on_the_real_sets_tuning_documents():
    tuning = {d for q in GOLD if q.split == "tune" for d in q.docs}
    reporting = {d for q in GOLD if q.split == "report" for d in q.docs}
    docs = {d for q in TRAIN for d in q.docs}
    assert docs and not docs & reporting and docs <= tuning
    assert all(q.split == "tune" and len(q.docs) == 1 and q.id.startswith(f"t-{q.docs[0]}-") for q in TRAIN)


def test_answers_lie_in_their_evidence_and_no_gold_question_is_repeated():
    for q in TRAIN:
        assert all(any(a.lower() in e.lower() for e in q.evidence) for a in q.answers), q.id
        assert bool(q.answers) == bool(q.evidence) == q.answerable, q.id
    gold = {(q.question.lower(), q.docs) for q in GOLD}
    for q in TRAIN:
        assert (q.question.lower(), q.docs) not in gold, q.id
        same = [g for g in GOLD if g.docs == q.docs and fuzz.token_set_ratio(q.question, g.question) >= 95]
        assert not same, (q.id, [g.id for g in same])


def test_the_mix_the_scorer_is_trained_on():
    answerable = [q for q in TRAIN if q.answerable]
    assert len(TRAIN) == 288 and len(answerable) == 240
    assert sum(q.paraphrased for q in answerable) >= 0.6 * len(answerable)
