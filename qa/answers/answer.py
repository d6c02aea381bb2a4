"""(question, hits) -> Answer: the best verbatim sentence (or two adjacent ones) with citations.

Sentences are scored with the query embedding against sentence embeddings stored at ingestion
(no encoding at question time beyond the query's one) and with the share of the query's term
weight (BM25 idf) they contain. When the best score is below a threshold calibrated on the
tuning questions, the answer abstains and the nearest passages are still returned.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from qa.answers.citations import make_citation, primacy
from qa.answers.quotes import QuoteFinder
from qa.answers.short import short_answer, wanted_type
from qa.retrieval.retriever import Retriever, SearchSettings, clean_query
from qa.retrieval.tokenize import tokenize
from qa.tuning import ANSWER_DEFAULTS
from qa.types import Answer, AnswerSpan, Hit, SettingsError

ABSTAIN_TEXT = "The corpus does not answer this."
CITATION_DEPTH = 10  # passages searched for other documents that carry the answer's sentence


@dataclass(frozen=True)
class AnswerSettings:
    """How sentences are scored; defaults come from the tuning split (qa/tuning.py)."""

    passages: int = ANSWER_DEFAULTS["passages"]
    dense_weight: float = ANSWER_DEFAULTS["dense_weight"]
    abstain_threshold: float = ANSWER_DEFAULTS["abstain_threshold"]
    topic_floor: float = ANSWER_DEFAULTS["topic_floor"]
    pair_penalty: float = 0.06
    duplicate_similarity: float = 0.9

    def __post_init__(self) -> None:
        if not 1 <= self.passages <= 50:
            raise SettingsError(f"passages must be between 1 and 50, got {self.passages}")
        if not 0 <= self.dense_weight <= 1:
            raise SettingsError(f"dense_weight must be between 0 and 1, got {self.dense_weight}")
        if not 0 <= self.abstain_threshold <= 1:
            raise SettingsError(f"abstain_threshold must be between 0 and 1, got {self.abstain_threshold}")


# --- scoring ------------------------------------------------------------------------------------

def _coverage(query_terms: dict[str, float], sentence_terms: set[str]) -> float:
    total = sum(query_terms.values())
    return sum(v for t, v in query_terms.items() if t in sentence_terms) / total if total else 0.0


def answer_question(
    retriever: Retriever,
    finder: QuoteFinder,
    question: str,
    search: SearchSettings = SearchSettings(),
    settings: AnswerSettings = AnswerSettings(),
    query_vector: np.ndarray | None = None,
) -> Answer:
    """Answer ``question`` with a verbatim quote, or abstain; raises QueryError for a bad question.

    ``query_vector`` is the question's embedding when the caller encoded it already (batches).
    """
    question = clean_query(question)
    started = time.perf_counter()
    t = time.perf_counter()
    qvec = retriever.encode(question) if query_vector is None else query_vector
    encode_ms = (time.perf_counter() - t) * 1000
    hits = retriever.search(question, replace(search, k=max(search.k, CITATION_DEPTH)), query_vector=qvec)
    timings = dict(retriever.last_timings, encode=encode_ms)
    t = time.perf_counter()
    best = _best_run(retriever, question, qvec, hits[: settings.passages], settings)
    if best is not None:
        best = (best[0] * _topic_gate(retriever, qvec, hits, settings), *best[1:])
    if best is None or best[0] < settings.abstain_threshold:
        timings["answer"] = (time.perf_counter() - t) * 1000
        timings["total"] = (time.perf_counter() - started) * 1000
        return Answer(question=question, abstained=True, confidence=round(best[0], 4) if best else 0.0,
                      answer=None, citations=(), passages=tuple(hits[: search.k]), timings_ms=timings)
    score, doc_id, start, end = best
    span, citations = _cite(retriever, finder, question, doc_id, start, end, hits, settings)
    timings["answer"] = (time.perf_counter() - t) * 1000
    timings["total"] = (time.perf_counter() - started) * 1000
    return Answer(question=question, abstained=False, confidence=round(score, 4), answer=span,
                  citations=citations, passages=tuple(hits[: search.k]), timings_ms=timings)


def _topic_gate(retriever: Retriever, qvec: np.ndarray, hits: list[Hit], settings: AnswerSettings) -> float:
    """1.0 when some retrieved passage is semantically close to the question; less, down to 0, as
    the closest one falls below ``settings.topic_floor`` (questions far off the corpus)."""
    if not hits or settings.topic_floor <= 0:
        return 1.0
    closest = float(np.max(retriever.passage_vectors([h.chunk for h in hits]) @ qvec))
    return min(1.0, max(closest, 0.0) / settings.topic_floor)


def _best_run(retriever: Retriever, question: str, qvec: np.ndarray, hits: list[Hit], settings: AnswerSettings):
    """(score, doc_id, start, end) of the best sentence or adjacent pair among the hits."""
    query_terms = retriever.term_weights(tokenize(question))
    kind = wanted_type(question)
    documents = retriever.documents
    best = None
    for rank, (hit, vectors) in enumerate(zip(hits, retriever.sentence_vectors([h.chunk for h in hits]))):
        if not len(vectors):
            continue
        sims = vectors @ qvec
        doc = documents[hit.chunk.doc_id]
        terms = [set(tokenize(doc.text[a:b])) for a, b in hit.chunk.sentences]
        prior = 0.04 / (1 + rank)
        for i, (a, b) in enumerate(hit.chunk.sentences):
            for j in (i, i + 1):
                if j >= len(hit.chunk.sentences):
                    continue
                union = terms[i] | terms[j]
                dense = float(max(sims[i], sims[j]))
                lexical = _coverage(query_terms, union)
                score = settings.dense_weight * dense + (1 - settings.dense_weight) * lexical + prior
                end = hit.chunk.sentences[j][1]
                if kind:
                    score += 0.03 if short_answer(question, doc.text[a:end], kind) else -0.05
                if len(doc.text[a:end].split()) < 6:  # a heading or caption, not an answer
                    score -= 0.1
                if j > i:
                    score -= settings.pair_penalty
                if best is None or score > best[0]:
                    best = (min(max(score, 0.0), 1.0), doc.doc_id, a, end)
    return best


def _cite(retriever, finder: QuoteFinder, question, doc_id, start, end, hits, settings):
    """The answer span (moved to the primary source when it holds the same words) and citations.

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
    short = short_answer(question, a_text, wanted_type(question))
    span = AnswerSpan(
        doc_id=a_doc, start=a_start, end=a_end, text=a_text, page=docs[a_doc].page_at(a_start),
        short=a_text[short[0]:short[1]] if short else "",
        short_start=a_start + short[0] if short else None, short_end=a_start + short[1] if short else None,
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
