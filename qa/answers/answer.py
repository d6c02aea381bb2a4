"""(question, hits) -> Answer: the best verbatim sentence (or two adjacent ones) with citations.

Every sentence and adjacent pair of the top passages is described by a few numbers
(qa.answers.features: similarity of its stored embedding to the question's, coverage of the
question's terms and of its rarest terms, whether it holds an answer of the type asked for, the
passage's ranks, heading, caption and length flags) and scored by a logistic regression fit on the
tuning questions (qa.answers.model, answer_model.json). The best candidate's confidence is a
second logistic regression over question-level features (best score, margin, rare-term coverage,
type found, topic similarity): a calibrated probability that the quote answers the question. A
third one over the same features estimates whether the corpus answers the question at all; below
the threshold chosen on the tuning questions the answer abstains (near misses: the corpus speaks
of the topic but not of the fact asked) and the nearest passages are still returned.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np

from qa.answers.calibration import Calibration, load_calibration
from qa.answers.citations import make_citation, primacy
from qa.answers.features import (
    QUESTION_FEATURES,
    Candidate,
    QueryTerms,
    candidates,
    question_constants,
    question_features,
)
from qa.answers.model import AnswerModel, load_defaults, load_model
from qa.answers.quotes import QuoteFinder
from qa.answers.reading import answer_from_reading
from qa.answers.rerank import rerank_hits
from qa.answers.short import short_answer, wanted_type
from qa.reader.model import load_reader
from qa.reader.sentences import Judge, load_scorer
from qa.retrieval.retriever import Retriever, SearchSettings, clean_query
from qa.retrieval.tokenize import tokenize
from qa.types import Answer, AnswerSpan, Hit, SettingsError

ABSTAIN_TEXT = "The corpus does not answer this."
CITATION_DEPTH = 10  # passages searched for other documents that carry the answer's sentence


STAGES = ("reader", "linear")


@dataclass(frozen=True)
class AnswerSettings:
    """How answers are chosen. ``stage`` "reader" (the default) reads the top passages with the
    trained reader (qa.reader) and calibrates its confidence (calibration.json); "linear" is the
    earlier sentence scorer (answer_model.json), kept to be measured side by side. ``None`` takes
    the stage's fitted value."""

    passages: int | None = None
    abstain_threshold: float | None = None
    duplicate_similarity: float = 0.9
    stage: str = "reader"
    model: AnswerModel | None = field(default=None, repr=False)
    calibration: Calibration | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.stage not in STAGES:
            raise SettingsError(f"stage must be one of {', '.join(STAGES)}, got {self.stage!r}")
        if self.stage == "reader":
            cal = self.calibration or load_calibration()
            passages, threshold = cal.passages, cal.threshold
        else:
            passages, threshold = (self.model.passages, self.model.threshold) if self.model else load_defaults()
        if self.passages is None:
            object.__setattr__(self, "passages", passages)
        if self.abstain_threshold is None:
            object.__setattr__(self, "abstain_threshold", threshold)
        if not 1 <= self.passages <= 50:
            raise SettingsError(f"passages must be between 1 and 50, got {self.passages}")
        if not 0 <= self.abstain_threshold <= 1:
            raise SettingsError(f"abstain_threshold must be between 0 and 1, got {self.abstain_threshold}")


@dataclass(frozen=True)
class Scored:
    """Every candidate of a question with its logit, the chosen one and the answer's confidence."""

    candidates: tuple[Candidate, ...]
    logits: tuple[float, ...]
    chosen: int
    confidence: float
    answerable: float
    topic: float
    rare_top: float = 0.0


def gather(retriever: Retriever, question: str, qvec: np.ndarray, hits: list[Hit]):
    """(candidates, question constants) of the passages ``hits`` (see qa.answers.features)."""
    terms = QueryTerms.of(retriever.term_weights(tokenize(question)))
    chunks = [h.chunk for h in hits]
    passage_vectors = retriever.passage_vectors(chunks)
    cands = candidates(question, terms, retriever.documents, hits, retriever.sentence_vectors(chunks),
                       passage_vectors, qvec)
    return cands, question_constants(question, terms, hits, passage_vectors, qvec)


def score(cands: list[Candidate], constants, model: AnswerModel) -> Scored | None:
    """The best candidate by the candidate model, the confidence model's probability that it answers
    the question and the answerability model's probability that the corpus answers it at all."""
    if not cands:
        return None
    logits = model.candidate.logits(np.array([c.features for c in cands]))
    chosen = int(np.argmax(logits))
    q = question_features(chosen, logits, cands, constants)
    confidence = float(model.question.probabilities(np.array([q]))[0])
    answerable = float(model.answerable.probabilities(np.array([q]))[0])
    return Scored(tuple(cands), tuple(float(g) for g in logits), chosen, confidence, answerable,
                  q[QUESTION_FEATURES.index("topic")], q[QUESTION_FEATURES.index("rare_top")])


def answer_question(
    retriever: Retriever,
    finder: QuoteFinder,
    question: str,
    search: SearchSettings = SearchSettings(),
    settings: AnswerSettings | None = None,
    query_vector: np.ndarray | None = None,
) -> Answer:
    """Answer ``question`` with a verbatim quote, or abstain; raises QueryError for a bad question.

    ``query_vector`` is the question's embedding when the caller encoded it already (batches).
    """
    settings = settings or AnswerSettings()
    question = clean_query(question)
    started = time.perf_counter()
    t = time.perf_counter()
    qvec = retriever.encode(question) if query_vector is None else query_vector
    encode_ms = (time.perf_counter() - t) * 1000
    cal = (settings.calibration or load_calibration()) if settings.stage == "reader" else None
    depth = max(search.k, CITATION_DEPTH, settings.passages, cal.rerank.depth if cal else 0)
    hits = retriever.search(question, replace(search, k=depth, depth=max(search.depth, depth)), query_vector=qvec)
    timings = dict(retriever.last_timings, encode=encode_ms)
    t = time.perf_counter()
    if settings.stage == "reader":
        return _read(retriever, finder, question, qvec, hits, search, settings, cal, timings, started)
    model = settings.model or load_model()
    scored = score(*gather(retriever, question, qvec, hits[: settings.passages]), model)
    if scored is None or model.refuses(scored.answerable, scored.topic, settings.abstain_threshold,
                                                  scored.rare_top):
        timings["answer"] = (time.perf_counter() - t) * 1000
        timings["total"] = (time.perf_counter() - started) * 1000
        # a refusal's confidence is that of its closest quote, capped by the answerability: what
        # the page and the CLI show beside "does not answer" never exceeds the chance it answers
        return Answer(question=question, abstained=True,
                      confidence=round(min(scored.confidence, scored.answerable), 4) if scored else 0.0,
                      answer=None, citations=(), passages=tuple(hits[: search.k]), timings_ms=timings)
    best = scored.candidates[scored.chosen]
    short = _linear_short(retriever, question, best.doc_id, best.start, best.end)
    span, citations = _cite(retriever, finder, best.doc_id, best.start, best.end, short, hits, settings)
    timings["answer"] = (time.perf_counter() - t) * 1000
    timings["total"] = (time.perf_counter() - started) * 1000
    return Answer(question=question, abstained=False, confidence=round(scored.confidence, 4), answer=span,
                  citations=citations, passages=tuple(hits[: search.k]), timings_ms=timings)


def linear_answer(retriever, question, qvec, hits, model: AnswerModel | None = None):
    """The linear scorer's answer over ``hits``: (its confidence, quote text, doc_id, start, end,
    whether its answerability model refuses the question), or None."""
    model = model or load_model()
    scored = score(*gather(retriever, question, qvec, hits[: model.passages]), model)
    if scored is None:
        return None
    best = scored.candidates[scored.chosen]
    return (scored.confidence, retriever.documents[best.doc_id].text[best.start:best.end], best.doc_id, best.start,
            best.end, model.refuses(scored.answerable, scored.topic, None, scored.rare_top))


def _read(retriever, finder, question, qvec, hits, search, settings, cal, timings, started) -> Answer:
    """The reader's answer: the best quote by its spans and the sentence scorer, with the
    calibrated P(right), or a refusal. With the calibration's ``rerank`` the passages are first
    reordered by the sentence scorer (qa.answers.rerank), and the reader reads the new top ones."""
    t = time.perf_counter()
    judge = Judge(load_scorer(), question)
    if cal.rerank.depth:
        hits = rerank_hits(retriever, hits, qvec, judge, cal.rerank)
        timings["rerank"] = (time.perf_counter() - t) * 1000
    before = judge.seconds
    t = time.perf_counter()
    n = settings.passages
    reading = load_reader().read(question, [h.chunk.text for h in hits[:n]], max_tokens=cal.window or None,
                                 per_window=cal.per_window)
    timings["reader"] = (time.perf_counter() - t) * 1000
    terms = QueryTerms.of(retriever.term_weights(tokenize(question)))
    rare_top, _, topic = question_constants(question, terms, hits[:n],
                                            retriever.passage_vectors([h.chunk for h in hits[:n]]), qvec)
    best = answer_from_reading(reading, hits, topic, rare_top, n, cal.rank_weight, judge=judge,
                               scorer_weight=cal.scorer_weight, every_sentence=cal.every_sentence)
    timings["sentences"] = (judge.seconds - before) * 1000
    confidence = round(cal.probability(best.features), 4) if best else 0.0
    short = (best.short_start, best.short_end) if best and best.short_end > best.short_start else \
        (_linear_short(retriever, question, best.doc_id, best.start, best.end) if best else None)
    place = (best.doc_id, best.start, best.end, short) if best else None
    refused = False
    linear = linear_answer(retriever, question, qvec, hits, settings.model) \
        if cal.ensemble or cal.linear_refusal else None
    if cal.linear_refusal:   # its answerability model refuses: off the corpus, a near miss
        refused = bool(linear and linear[5])
    if cal.ensemble and linear and linear[0] > confidence:   # its quote where it is surer
        confidence, (_, _, doc_id, start, end, _) = round(linear[0], 4), linear
        inside = best and best.doc_id == doc_id and start <= best.short_start and best.short_end <= end
        short = (best.short_start, best.short_end) if inside else _linear_short(retriever, question, doc_id, start, end)
        place = (doc_id, start, end, short)
    if place is None or refused or confidence < settings.abstain_threshold:
        timings["answer"] = (time.perf_counter() - t) * 1000
        timings["total"] = (time.perf_counter() - started) * 1000
        return Answer(question=question, abstained=True, confidence=confidence, answer=None, citations=(),
                      passages=tuple(hits[: search.k]), timings_ms=timings)
    span, citations = _cite(retriever, finder, *place, hits, settings)
    timings["answer"] = (time.perf_counter() - t) * 1000
    timings["total"] = (time.perf_counter() - started) * 1000
    return Answer(question=question, abstained=False, confidence=confidence, answer=span,
                  citations=citations, passages=tuple(hits[: search.k]), timings_ms=timings)


def _linear_short(retriever, question, doc_id, start, end):
    """The typed short answer the patterns find in ``[start, end)`` (absolute offsets), or None."""
    short = short_answer(question, retriever.documents[doc_id].text[start:end], wanted_type(question))
    return (start + short[0], start + short[1]) if short else None


def _cite(retriever, finder: QuoteFinder, doc_id, start, end, short, hits, settings):
    """The answer span (moved to the primary source when it holds the same words) and citations.

    ``short`` is the short answer's absolute ``(start, end)`` inside ``[start, end)``, or None; it
    moves with the quote when the primary source holds the same characters, else the quote stays.
    Other documents that carry the same sentence (an article quoting the framework) are looked
    for among the retrieved passages, so the cost does not grow with the corpus.
    """
    docs = retriever.documents
    text = docs[doc_id].text[start:end]
    places = [(doc_id, start, end, 1.0)]
    for m in finder.find_in_chunks(text, [h.chunk for h in hits], settings.duplicate_similarity):
        if not any(m.doc_id == d and m.start < e and s < m.end for d, s, e, _ in places):
            places.append((m.doc_id, m.start, m.end, m.similarity))
    places.sort(key=lambda p: (primacy(docs[p[0]]), -p[3]))
    a_doc, a_start, a_end, _ = places[0]
    a_text = docs[a_doc].text[a_start:a_end]
    rel = None
    if short:
        wanted = docs[doc_id].text[short[0]:short[1]]
        if a_doc == doc_id and a_start == start:
            rel = (short[0] - start, short[1] - start)
        elif wanted and wanted in a_text:
            rel = (a_text.index(wanted), a_text.index(wanted) + len(wanted))
        else:  # the primary source words it otherwise: quote the place the short answer is in
            places.sort(key=lambda p: (p[:3] != (doc_id, start, end),))
            a_doc, a_start, a_end, a_text = doc_id, start, end, text
            rel = (short[0] - start, short[1] - start)
    span = AnswerSpan(
        doc_id=a_doc, start=a_start, end=a_end, text=a_text, page=docs[a_doc].page_at(a_start),
        short=a_text[rel[0]:rel[1]] if rel else "",
        short_start=a_start + rel[0] if rel else None, short_end=a_start + rel[1] if rel else None,
    )
    citations = tuple(make_citation(n, docs[d], s, e) for n, (d, s, e, _) in enumerate(places, start=1))
    return span, citations


def answer_to_json(ans: Answer, hit_json) -> dict:
    """The JSON shape of ``qa ask --json``; ``hit_json`` renders passages as ``qa search`` does."""
    a = ans.answer
    return {
        "question": ans.question,
        "abstained": ans.abstained,
        "confidence": ans.confidence,
        "message": ABSTAIN_TEXT if ans.abstained else "",
        "answer": None if a is None else {"text": a.text, "short": a.short, "doc_id": a.doc_id, "start": a.start,
                                          "end": a.end, "page": a.page, "short_start": a.short_start,
                                          "short_end": a.short_end},
        "citations": [c.__dict__ for c in ans.citations],
        "passages": [hit_json(h) for h in ans.passages],
        "timings_ms": {k: round(v, 2) for k, v in ans.timings_ms.items()},
    }
