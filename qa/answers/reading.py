"""The reader's best span -> the answer: the sentence(s) that hold it, and the numbers that say how
sure to be of it (the calibration's features).

The reader (qa.reader) reads the top passages and proposes spans; the best span's sentences, as
the chunk splits them, are the quoted answer and the span itself is the short answer inside it.
Everything is in characters of the document's text of record, so quotes are verbatim.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from qa.reader.decode import SpanScore
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
    "sentence",    # the sentence scorer's logit for the quote
    "sentence_top",  # its best logit over every quote it judged (some quote answers the question)
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


@dataclass(frozen=True)
class Quote:
    """A quote the answer may be: the sentences ``[start, end)`` (absolute offsets) of passage
    ``passage`` and the reader's best span inside them (None: a sentence the reader proposed no
    span in)."""

    passage: int
    start: int
    end: int
    span: SpanScore | None


def quotes(reading: Reading, hits: list[Hit], passages: int, every_sentence: bool = False) -> list[Quote]:
    """The candidate quotes among the first ``passages`` hits: the sentences around each span the
    reader proposed (its best span first), and with ``every_sentence`` each other sentence too."""
    out: dict[tuple[int, int, int], Quote] = {}
    for sp in sorted((x for x in reading.spans if x.passage < passages), key=lambda x: -x.score):
        hit = hits[sp.passage]
        a, b = _span(hit, sp)
        start, end = sentences_around(hit, hit.chunk.start + a, hit.chunk.start + b)
        out.setdefault((sp.passage, start, end), Quote(sp.passage, start, end, sp))
    if every_sentence:
        for p, hit in enumerate(hits[:passages]):
            taken = [(q.start, q.end) for q in out.values() if q.passage == p]
            for a, b in hit.chunk.sentences:
                if not any(a < e and s < b for s, e in taken):
                    out[(p, a, b)] = Quote(p, a, b, None)
    return list(out.values())


def _span(hit: Hit, sp: SpanScore) -> tuple[int, int]:
    """The span's characters in its chunk, trimmed of spaces and clause punctuation."""
    a, b = _trim(hit.chunk.text, sp.start, sp.end)
    return (a, b) if b > a else (sp.start, sp.end)


def pick(cands: list[Quote], sentence: list[float], rank_weight: float, scorer_weight: float) -> int:
    """The index of the quote with the best ``reader + scorer_weight * sentence - rank_weight *
    log(1 + passage)``: ``reader`` its best span's score (a quote without a span: 1 below the
    lowest span's), ``sentence`` the scorer's logit. The rank weight is a prior for passages
    retrieval ranked higher; ``scorer_weight`` 0 and ``rank_weight`` 0 are the reader alone."""
    floor = min((q.span.score for q in cands if q.span), default=0.0) - 1.0
    return max(range(len(cands)), key=lambda i: (cands[i].span.score if cands[i].span else floor)
               + scorer_weight * sentence[i] - rank_weight * math.log1p(cands[i].passage))


def answer_from_reading(reading: Reading, hits: list[Hit], topic: float, rare_top: float,
                        passages: int, rank_weight: float = 0.0, judge=None, scorer_weight: float = 0.0,
                        every_sentence: bool = False) -> ReadAnswer | None:
    """The chosen quote (``pick``) among the first ``passages`` hits, as a ReadAnswer; None when
    no span was read. ``judge(texts)`` gives the sentence scorer's logits for quote texts (None:
    no scorer, every quote 0)."""
    cands = quotes(reading, hits, passages, every_sentence)
    if not any(q.span for q in cands):
        return None
    texts = [hits[q.passage].chunk.text[q.start - hits[q.passage].chunk.start: q.end - hits[q.passage].chunk.start]
             for q in cands]
    sentence = [float(x) for x in judge(texts)] if judge is not None else [0.0] * len(cands)
    i = pick(cands, sentence, rank_weight, scorer_weight)
    chosen = cands[i]
    hit = hits[chosen.passage]
    base = hit.chunk.start
    spans = [s for s in reading.spans if s.passage < passages]
    best = chosen.span or min(spans, key=lambda x: x.score)
    a, b = _span(hit, chosen.span) if chosen.span else (chosen.start - base, chosen.start - base)
    top = max(s.score for s in spans)
    total = sum(math.exp(s.score - top) for s in spans) / math.exp(best.score - top)
    others = [s.score for s in spans if s.passage != chosen.passage]
    nulls = reading.nulls_within(passages)
    features = (
        best.score,
        best.score - best.null,
        min(nulls) if nulls else 0.0,
        1.0 / total,
        min(best.score - max(others), MARGIN_CAP) if others else MARGIN_CAP,
        1.0 / (hit.rank if hit.rank else chosen.passage + 1),
        topic,
        rare_top,
        math.log1p(len(hit.chunk.text[a:b].split())),
        sentence[i],
        max(sentence),
    )
    return ReadAnswer(hit.chunk.doc_id, chosen.start, chosen.end, base + a, base + b, chosen.passage, features)
