"""Answer metrics as pure functions: hit, citation precision, refusal precision and recall,
expected calibration error. ``qa.evaluation.gold`` feeds them the outcomes of ``qa ask``.

A *place* is ``(doc_id, start, end)``: a half-open character range of a document's text.
Two places overlap when they are in the same document and share at least one character
(touching ranges, ``[0, 5)`` and ``[5, 9)``, do not overlap).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Iterable, Sequence

Place = tuple[str, int, int]

ECE_BINS = 10


def normalise_answer(text: str) -> str:
    """Lower case, NFKC, straight quotes, words separated by single spaces, no punctuation."""
    text = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    return " ".join(re.sub(r"[^\w$%'.-]+", " ", text).replace(". ", " ").split()).strip(" .")


def is_hit(answer_text: str | None, gold_answers: Iterable[str]) -> bool:
    """True when the quoted answer contains one of the gold answers (both normalised).

    An abstention (``None`` or ``""``) is never a hit; neither is an empty gold answer.
    """
    if not answer_text:
        return False
    text = normalise_answer(answer_text)
    return any(normalise_answer(a) and normalise_answer(a) in text for a in gold_answers)


def overlaps(a: Place, b: Place) -> bool:
    """Whether two places share at least one character of the same document."""
    return a[0] == b[0] and a[1] < b[2] and b[1] < a[2]


def relevant_citations(citations: Sequence[Place], evidence: Sequence[Place]) -> int:
    """How many of ``citations`` (the quotes' own places) overlap some evidence span.

    A citation of a passage that merely *contains* evidence elsewhere does not count: only the
    cited quote's characters are compared with the evidence quote's characters.
    """
    return sum(any(overlaps(c, e) for e in evidence) for c in citations)


def citation_precision(per_question: Sequence[tuple[int, int]]) -> float:
    """Micro-averaged precision from ``(relevant, cited)`` counts per question.

    sum(relevant) / sum(cited) over every question, answerable or not (a citation given for an
    unanswerable question has no evidence, so it is never relevant); 0.0 when nothing was cited.
    """
    cited = sum(n for _, n in per_question)
    return sum(r for r, _ in per_question) / cited if cited else 0.0


def hit_rate(hits: Sequence[bool]) -> float:
    """Share of answerable questions whose answer is a hit; 0.0 for no question."""
    return sum(hits) / len(hits) if hits else 0.0


def refusal_precision_recall(abstained: Sequence[bool], answerable: Sequence[bool]) -> tuple[float, float]:
    """(precision, recall) of abstention as a detector of unanswerable questions.

    precision = right refusals / refusals, recall = right refusals / unanswerable questions;
    each is 0.0 when its denominator is 0. The two sequences run over the same questions.
    """
    if len(abstained) != len(answerable):
        raise ValueError(f"{len(abstained)} abstention flags for {len(answerable)} questions")
    right = sum(a and not ok for a, ok in zip(abstained, answerable))
    refused = sum(abstained)
    unanswerable = sum(not ok for ok in answerable)
    return (right / refused if refused else 0.0, right / unanswerable if unanswerable else 0.0)


def calibration_bin(confidence: float, bins: int = ECE_BINS) -> int:
    """The bin of ``confidence``: equal-width bins over [0, 1], bin b holds [b/bins, (b+1)/bins),
    the last bin also holds 1.0. Confidences outside [0, 1] are clipped into it."""
    return min(max(int(confidence * bins), 0), bins - 1)


def expected_calibration_error(confidences: Sequence[float], correct: Sequence[bool], bins: int = ECE_BINS) -> float:
    """Expected calibration error (Naeini et al. 2015; Guo et al. 2017):

        ECE = sum over non-empty bins b of  n_b / N * |accuracy_b - mean confidence_b|

    with ``bins`` equal-width bins of confidence (``calibration_bin``). 0.0 for no prediction.
    The gold run passes the answered questions: confidence of the shown answer, correct = hit
    (an answer to an unanswerable question is wrong); abstentions show nothing and are left out.
    """
    if len(confidences) != len(correct):
        raise ValueError(f"{len(confidences)} confidences for {len(correct)} outcomes")
    if bins < 1:
        raise ValueError(f"bins must be at least 1, got {bins}")
    totals: dict[int, list[float]] = {}
    for conf, ok in zip(confidences, correct):
        b = totals.setdefault(calibration_bin(conf, bins), [0, 0.0, 0.0])
        b[0] += 1
        b[1] += float(ok)
        b[2] += conf
    n = len(confidences)
    return sum(c / n * abs(right / c - conf / c) for c, right, conf in totals.values()) if n else 0.0
