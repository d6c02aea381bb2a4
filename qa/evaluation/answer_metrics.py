"""Answer metrics as pure functions: hit, short answer right, cited page right, citation
precision, refusal precision and recall, reliability bins, expected calibration error and the calibration
error a calibrated tool would show by chance.
``qa.evaluation.gold_answers`` feeds them the outcomes of ``qa ask``.

A *place* is ``(doc_id, start, end)``: a half-open character range of a document's text.
Two places overlap when they are in the same document and share at least one character
(touching ranges, ``[0, 5)`` and ``[5, 9)``, do not overlap).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

Place = tuple[str, int, int]

ECE_BINS = 10
MAGNITUDES = frozenset({"thousand", "million", "billion", "trillion", "percent"})


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


def _run_in(needle: list[str], hay: list[str]) -> bool:
    return bool(needle) and any(hay[i:i + len(needle)] == needle for i in range(len(hay) - len(needle) + 1))


def short_answer_right(short: str | None, gold_answers: Iterable[str]) -> bool:
    """True when the short answer gives a gold answer (both normalised, cut into words):

    - the gold answer's words appear consecutively in the short answer: equal ("Geneva" for
      "Geneva"), or with words around it ("March 2022" for "2022"), not inside a word ("120" for
      "12"); or
    - for a gold answer with numbers, the short answer is consecutive words of it that hold all of
      its figures: the hedges and units around a figure are not needed ("$13 billion" for
      "approximately $13 billion", "80%" for "almost 80%", "0.06%" for "around 0.06% of GDP"),
      but a part of a name is not enough ("Committee" for "Space Debris Coordination Committee").

    A gold answer's figures are its words with a digit and its magnitudes (thousand, million,
    billion, trillion, percent): "$13" is not right for "$13 billion". No short answer (``None``
    or ``""``) is never right; an empty gold answer matches nothing.
    """
    words = normalise_answer(short or "").split()
    for gold in gold_answers:
        want = normalise_answer(gold).split()
        numbers = [w for w in want if w in MAGNITUDES or any(ch.isdigit() for ch in w)]
        if _run_in(want, words) or (numbers and _run_in(words, want) and all(n in words for n in numbers)):
            return True
    return False


def cited_page_right(cited_doc: str, cited_pages: Iterable[int], gold_docs: Iterable[str],
                     gold_pages: Iterable[int]) -> bool:
    """True when a citation is in a gold document and shares a page with the gold evidence.

    ``cited_pages`` are the pages the cited quote touches (it may run over a page break);
    ``gold_pages`` the 1-based pages of the evidence. No gold document given means any document.
    A citation with no known page, or gold without pages, is never right.
    """
    docs = set(gold_docs)
    return (not docs or cited_doc in docs) and bool(set(cited_pages) & set(gold_pages))


def share(flags: Sequence[bool]) -> float:
    """Share of true flags; 0.0 for none."""
    return sum(flags) / len(flags) if flags else 0.0


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
    return share(hits)


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


@dataclass(frozen=True)
class ReliabilityBin:
    """One confidence bin ``[low, high)``: how many answers fell in it, their hit rate and mean
    confidence (both 0.0 for an empty bin)."""

    low: float
    high: float
    count: int
    accuracy: float
    confidence: float


def reliability_bins(confidences: Sequence[float], correct: Sequence[bool],
                     bins: int = ECE_BINS) -> tuple[ReliabilityBin, ...]:
    """Every one of ``bins`` equal-width confidence bins (``calibration_bin``) with its count,
    accuracy (share correct) and mean confidence: the data of a reliability diagram.

    Raises ValueError when the sequences differ in length or ``bins`` is below 1.
    """
    if len(confidences) != len(correct):
        raise ValueError(f"{len(confidences)} confidences for {len(correct)} outcomes")
    if bins < 1:
        raise ValueError(f"bins must be at least 1, got {bins}")
    totals = [[0, 0.0, 0.0] for _ in range(bins)]
    for conf, ok in zip(confidences, correct):
        b = totals[calibration_bin(conf, bins)]
        b[0] += 1
        b[1] += float(ok)
        b[2] += conf
    return tuple(ReliabilityBin(low=i / bins, high=(i + 1) / bins, count=c,
                                accuracy=right / c if c else 0.0, confidence=conf / c if c else 0.0)
                 for i, (c, right, conf) in enumerate(totals))


def expected_calibration_error(confidences: Sequence[float], correct: Sequence[bool], bins: int = ECE_BINS) -> float:
    """Expected calibration error (Naeini et al. 2015; Guo et al. 2017):

        ECE = sum over non-empty bins b of  n_b / N * |accuracy_b - mean confidence_b|

    with ``bins`` equal-width bins of confidence (``reliability_bins``). 0.0 for no prediction.
    The gold run passes the answered questions: confidence of the shown answer, correct = hit
    (an answer to an unanswerable question is wrong); abstentions show nothing and are left out.
    """
    table = reliability_bins(confidences, correct, bins)
    n = len(confidences)
    return sum(b.count / n * abs(b.accuracy - b.confidence) for b in table if b.count) if n else 0.0


def calibrated_ece(confidences: Sequence[float], bins: int = ECE_BINS) -> float:
    """The ECE a perfectly calibrated tool would show, on average, on answers with these confidences:
    each answer right with exactly its stated probability. On a few dozen answers it is well above 0
    (two answers at 0.5: 0.25), so an ECE is read against it. Exact, not sampled: within a bin the
    number right follows a Poisson binomial distribution (computed by convolution), and

        E[ECE] = sum over non-empty bins b of  n_b / N * E|right_b / n_b - mean confidence_b|
    """
    n = len(confidences)
    members: dict[int, list[float]] = {}
    for c in confidences:
        members.setdefault(calibration_bin(c, bins), []).append(min(max(float(c), 0.0), 1.0))
    total = 0.0
    for cs in members.values():
        dist = np.array([1.0])   # P(k right) over the answers of the bin so far
        for c in cs:
            dist = np.convolve(dist, [1.0 - c, c])
        k = np.arange(len(dist))
        total += len(cs) / n * float(dist @ np.abs(k / len(cs) - np.mean(cs)))
    return total
