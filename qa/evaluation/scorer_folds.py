"""The sentence scorer's training groups from the gold sets' tuning questions, and its folds.

The shipped scorer learnt from SQuAD only; eval/indomain_cv.py also trains it on the tuning
questions' own documents (policy texts, long sentences, paraphrased questions, near misses;
measured, not shipped: docs/answers.md). A scorer that has seen a question cannot judge it for the
calibration fit without flattering itself, so the fit then judges each tuning question with a
scorer trained without that question's fold: folds of whole documents (``document_group``), five,
assigned as ``qa fit-answers`` assigns its own.

- ``label_sentences``: one question's group, (question, sentence, label), from the sentences of
  its retrieved passages (pure; the labelling is what a test can check by hand);
- ``fold_of``: question -> fold; ``training_fold_of``: a training question (written for training,
  not a gold question) -> the fold of its document among the tuning questions', -1 for none;
- ``FoldScorer``: a scorer that judges each question with its fold's model (``qa fit-answers
  --scorer-folds DIR``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from qa.evaluation.answer_metrics import is_hit
from qa.evaluation.gold import GoldQuestion, document_group, fold_index

FOLDS = 5
EVIDENCE_SIMILARITY = 80   # rapidfuzz partial ratio of a positive sentence to the question's evidence
POSITIVES = 2
NEGATIVES = 8


def label_sentences(q: GoldQuestion, sentences: list[str], logits: list[float],
                    positives: int = POSITIVES, negatives: int = NEGATIVES) -> list[tuple[str, str, int]]:
    """``q``'s group: up to ``positives`` sentences that hold a gold answer and match its evidence
    (label 1), then the ``negatives`` sentences holding no gold answer that the scorer rates
    highest (``logits``, the hardest; label 0). A sentence that holds an answer but is not the
    evidence (the same name elsewhere) is left out; an unanswerable question has negatives only."""
    from rapidfuzz import fuzz

    def evidence(s: str) -> bool:
        return any(fuzz.partial_ratio(s.lower(), e.lower()) >= EVIDENCE_SIMILARITY for e in q.evidence)

    pos = [s for s in sentences if q.answerable and is_hit(s, q.answers) and evidence(s)]
    neg = [s for _, _, s in sorted((-z, i, s) for i, (z, s) in enumerate(zip(logits, sentences))
                                   if not is_hit(s, q.answers))]
    return [(q.question, s, 1) for s in pos[:positives]] + [(q.question, s, 0) for s in neg[:negatives]]


def fold_of(questions: dict[str, list[GoldQuestion]], folds: int = FOLDS) -> dict[str, int]:
    """"set:id" -> fold, whole documents together, assigned as qa.evaluation.calibrate.out_of_fold
    assigns them (``fold_index``)."""
    index = fold_index((document_group(n, q) for n, qs in questions.items() for q in qs), folds)
    return {f"{n}:{q.id}": index[document_group(n, q)] for n, qs in questions.items() for q in qs}


def training_fold_of(train: list[GoldQuestion], questions: dict[str, list[GoldQuestion]], gold_set: str = "real",
                     folds: int = FOLDS) -> dict[str, int]:
    """"train:id" -> the fold of its document (as a question of ``gold_set``) among ``questions``'
    folds, so that a fold's model never trains on a question about a document it is judged on;
    -1 where no tuning question is on its document (every fold's model may train on it)."""
    index = fold_index((document_group(n, q) for n, qs in questions.items() for q in qs), folds)
    return {f"train:{q.id}": index.get(document_group(gold_set, q), -1) for q in train}


class FoldScorer:
    """Judges each question with the model trained without its fold (``models[fold]``: anything
    with ``score(question, sentences)`` and a ``card``; ``fold``: question text -> fold); a
    question outside them is an error, since no model is known not to have seen it."""

    def __init__(self, models: list, fold: dict[str, int]) -> None:
        self.models, self.fold = models, fold
        digest = hashlib.sha256("".join(m.card.get("sha256", "") for m in models).encode()).hexdigest()
        self.card = {"sha256": "folds-" + digest}

    def score(self, question: str, sentences: list[str]) -> np.ndarray:
        if question not in self.fold:
            raise KeyError(f"{question!r} is not a question the fold scorers were trained around")
        return self.models[self.fold[question]].score(question, sentences)

    @classmethod
    def load(cls, folder: Path, questions: dict[str, list[GoldQuestion]]) -> FoldScorer:
        """The fold models ``folder/fold0/sentences.onnx`` ... and ``folder/folds.json`` ("set:id"
        -> fold, written when they were trained), for ``questions`` (set -> its questions)."""
        import json

        from qa.reader.sentences import SentenceScorer

        folder = Path(folder)
        try:
            folds = json.loads((folder / "folds.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise FileNotFoundError(f"{folder / 'folds.json'}: no fold assignment ({exc}); "
                                    "python eval/indomain_cv.py writes it with the fold scorers") from exc
        paths = [folder / f"fold{f}" / "sentences.onnx" for f in range(max(folds.values(), default=-1) + 1)]
        missing = [str(p) for p in paths if not p.is_file()]
        if missing or not paths:
            raise FileNotFoundError(f"{folder}: no fold scorer {', '.join(missing) or 'at all'} "
                                    "(python eval/indomain_cv.py trains them)")
        unknown = [f"{n}:{q.id}" for n, qs in questions.items() for q in qs if f"{n}:{q.id}" not in folds]
        if unknown:
            raise ValueError(f"{folder / 'folds.json'}: no fold for {', '.join(unknown[:5])}: the fold scorers "
                             "were trained around other questions; train them again")
        return cls([SentenceScorer(p) for p in paths],
                   {q.question: folds[f"{n}:{q.id}"] for n, qs in questions.items() for q in qs})
