"""The reader's best span -> the answer: the sentence(s) that hold it, and the numbers that say how
sure to be of it (the calibration's features).

The reader (qa.reader) reads the top passages and proposes spans; the best span's sentences, as
the chunk splits them, are the quoted answer and the span itself is the short answer inside it.
Everything is in characters of the document's text of record, so quotes are verbatim.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from qa.reader.model import Reading
from qa.types import Hit

READER_FEATURES = (
    "span",        # start + end logit of the best span
    "span_null",   # ... minus the no-answer logit of the window it was read in
    "null_min",    # the lowest no-answer logit over the windows read (some window holds an answer)
    "span_share",  # softmax weight of the best span among every proposed span
    "margin",      # its lead over the best span of another passage (capped at 10)
    "rank",        # 1 / (fused rank of its passage)
    "topic",       # best passage cosine with the question
    "rare_top",    # share of the question's two rarest terms found in the passages read
    "span_words",  # log(1 + words of the span)
)
MARGIN_CAP = 10.0


@dataclass(frozen=True)
class ReadAnswer:
    """The reader's answer: quote ``[start, end)`` of ``doc_id`` (whole sentences), the span
    ``[short_start, short_end)`` inside it, the 0-based rank of its passage, and READER_FEATURES."""

    doc_id: str
    start: int
    end: int
    short_start: int
    short_end: int
    rank: int
    features: tuple[float, ...]


def sentences_around(hit: Hit, start: int, end: int) -> tuple[int, int]:
    """The run of the chunk's sentences that holds ``[start, end)`` (absolute offsets); the span
    itself when no sentence of the chunk touches it."""
    c = hit.chunk
    touched = [(a, b) for a, b in c.sentences if a < end and start < b]
    if not touched:
        return start, end
    return min(start, touched[0][0]), max(end, touched[-1][1])


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    """``[a, b)`` without surrounding spaces and the punctuation that ends a clause."""
    while a < b and (text[a].isspace() or text[a] in ",;:"):
        a += 1
    while b > a and (text[b - 1].isspace() or text[b - 1] in ",;:."):
        b -= 1
    return a, b


def choose(spans, rank_weight: float):
    """The span with the best ``score - rank_weight * log(1 + passage)``: the reader's score with a
    prior for passages retrieval ranked higher (``rank_weight`` 0: the reader alone)."""
    return max(spans, key=lambda s: s.score - rank_weight * math.log1p(s.passage))


def answer_from_reading(reading: Reading, hits: list[Hit], topic: float, rare_top: float,
                        passages: int, rank_weight: float = 0.0) -> ReadAnswer | None:
    """The chosen span (``choose``) among the first ``passages`` hits, as a ReadAnswer; None when
    no span was read."""
    spans = [s for s in reading.spans if s.passage < passages]
    if not spans:
        return None
    best = choose(spans, rank_weight)
    hit = hits[best.passage]
    base = hit.chunk.start
    a, b = _trim(hit.chunk.text, best.start, best.end)
    if b <= a:
        a, b = best.start, best.end
    start, end = sentences_around(hit, base + a, base + b)
    top = max(s.score for s in spans)
    total = sum(math.exp(s.score - top) for s in spans) / math.exp(best.score - top)
    others = [s.score for s in spans if s.passage != best.passage]
    nulls = reading.nulls_within(passages)
    features = (
        best.score,
        best.score - best.null,
        min(nulls) if nulls else 0.0,
        1.0 / total,
        min(best.score - max(others), MARGIN_CAP) if others else MARGIN_CAP,
        1.0 / (hit.rank if hit.rank else best.passage + 1),
        topic,
        rare_top,
        math.log1p(len(hit.chunk.text[a:b].split())),
    )
    return ReadAnswer(hit.chunk.doc_id, start, end, base + a, base + b, best.passage, features)
