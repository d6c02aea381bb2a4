"""Features of candidate answers (a sentence or two adjacent ones) and of a question's best one.

Every feature is a plain number computed from what the index already holds (sentence and passage
vectors, BM25 document frequencies, captions, footnotes) and the question; the weights that turn
them into probabilities are fit on the tuning questions (``qa fit-answers``, answer_model.json).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from qa.answers.short import has_short_answer, wanted_type
from qa.retrieval.tokenize import tokenize
from qa.types import Document, Hit

CANDIDATE_FEATURES = (
    "dense",          # best cosine of the run's sentences with the question
    "dense_mean",     # mean cosine of the run's sentences
    "passage",        # cosine of the passage with the question
    "coverage",       # idf-weighted share of the question's terms in the run
    "rare",           # share of the question's two rarest terms in the run
    "context",        # idf-weighted share of the question's terms in the whole passage
    "type_found",     # the question wants a type (date, amount, ...) and the run holds one
    "type_missing",   # the question wants a type and the run holds none
    "rank",           # 1 / fused rank of the passage
    "bm25_rank",      # 1 / BM25 rank of the passage (0 when BM25 did not retrieve it)
    "dense_rank",     # 1 / dense rank of the passage (0 when not retrieved densely)
    "heading",        # fewer than 6 words: a heading, title line or label
    "caption",        # overlaps a figure or table caption
    "footnote",       # overlaps a footnote
    "log_words",      # log(1 + words)
    "long",           # more than 60 words: a run-on
    "pair",           # two adjacent sentences rather than one
    "echo",           # share of the run's words that are the question's own words
    "dense_gap",      # dense minus the best dense of the question's candidates (0 for the best)
    "coverage_gap",   # coverage minus the best coverage of the question's candidates
    "rare_gap",       # rare minus the best rare of the question's candidates
)
GAPS = ("dense", "coverage", "rare")  # the raw features whose gap to the question's best is a feature

QUESTION_FEATURES = (
    "best_logit",     # sentence model's logit of the chosen candidate
    "margin",         # its lead over the best candidate from another passage
    "coverage",       # the chosen candidate's coverage of the question's terms
    "rare",           # ... of its two rarest terms
    "rare_top",       # share of the two rarest terms found anywhere in the scored passages
    "type_wanted",    # the question wants a type of answer
    "type_found",     # ... and the chosen candidate holds one
    "topic",          # best passage cosine with the question
    "typed_logit",    # best logit among candidates holding the wanted type (the lowest logit when
                      # none does; the best logit when no type is wanted)
    "type_absent",    # the question wants a type and no candidate of the pool holds one
    "off_topic",      # how far the best passage cosine falls below TOPIC_FLOOR (0 above it)
    "best_dense",     # the highest sentence cosine with the question among the candidates
    "typed_rare",     # the best rare-term share among candidates holding the wanted type (among
                      # all candidates when no type is wanted; 0 when none holds it)
)
TOPIC_FLOOR = 0.35  # the lowest best-passage cosine of an answerable home tuning question (issue 9)


@dataclass(frozen=True)
class Candidate:
    """A run of sentences ``[start, end)`` of ``doc_id`` from the passage ranked ``rank`` (0-based)."""

    doc_id: str
    start: int
    end: int
    rank: int
    features: tuple[float, ...]


@dataclass(frozen=True)
class QueryTerms:
    """The question's BM25 terms with their idf weights, and its rarest terms."""

    weights: dict[str, float]
    rarest: tuple[str, ...]
    terms: frozenset[str] = field(init=False)
    bits: dict[str, int] = field(init=False, repr=False, compare=False)
    _by_mask: dict[int, tuple[float, float]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "terms", frozenset(self.weights))
        object.__setattr__(self, "bits", {t: 1 << n for n, t in enumerate(self.weights)})
        object.__setattr__(self, "_by_mask", {})

    def mask(self, tokens) -> int:
        """The question terms among ``tokens`` as a bit mask (bit n: the n-th term of ``weights``)."""
        out = 0
        for t in tokens:
            out |= self.bits.get(t, 0)
        return out

    def covered(self, mask: int) -> tuple[float, float]:
        """(coverage, rare share) of the terms in ``mask``: what ``coverage`` and ``share`` give
        for a set holding those terms, the same sums in the same order."""
        if mask not in self._by_mask:
            present = {t for t, b in self.bits.items() if mask & b}
            self._by_mask[mask] = (coverage(self.weights, present), share(self.rarest, present))
        return self._by_mask[mask]

    @classmethod
    def of(cls, weights: dict[str, float], n_rare: int = 2) -> "QueryTerms":
        ordered = sorted(weights, key=lambda t: (-weights[t], t))
        return cls(weights=dict(weights), rarest=tuple(ordered[:n_rare]))


def coverage(weights: dict[str, float], terms: set[str]) -> float:
    """Share of the total weight of ``weights``' terms that ``terms`` contains (0.0 when none)."""
    total = sum(weights.values())
    return sum(v for t, v in weights.items() if t in terms) / total if total else 0.0


def share(wanted: tuple[str, ...], terms: set[str]) -> float:
    """Share of ``wanted`` found in ``terms`` (0.0 for nothing wanted)."""
    return sum(t in terms for t in wanted) / len(wanted) if wanted else 0.0


def echo(question_terms: set[str], terms: list[str]) -> float:
    """Share of the tokens ``terms`` that are question terms (1.0: the run only restates it)."""
    return sum(t in question_terms for t in terms) / len(terms) if terms else 1.0


def _overlaps(spans, start: int, end: int) -> bool:
    return any(s.start < end and start < s.end for s in spans)


@dataclass(frozen=True)
class Passage:
    """What every candidate of one retrieved passage shares: its sentences (offsets, tokens and
    their set, word counts, cosine with the question, whether each holds an answer of the wanted
    type) and passage-level values (the captions and footnotes that fall inside it)."""

    doc: Document
    hit: Hit
    rank: int
    sentences: list[tuple[int, int]]
    masks: list[int]
    echoes: list[int]
    lengths: list[int]
    words: list[int]
    sims: list[float]
    typed: list[bool]
    passage_sim: float
    context: float
    captions: tuple
    footnotes: tuple


def run_features(kind: str | None, terms: QueryTerms, p: Passage, i: int, j: int) -> tuple[float, ...]:
    """The ``CANDIDATE_FEATURES`` of sentences ``i..j`` (inclusive, j <= i + 1) of passage ``p``.

    A pair holds an answer of the wanted type when either of its sentences does."""
    a, end = p.sentences[i][0], p.sentences[j][1]
    if j > i:
        mask, words, sims = p.masks[i] | p.masks[j], p.words[i] + p.words[j], (p.sims[i], p.sims[j])
        echoes, length = p.echoes[i] + p.echoes[j], p.lengths[i] + p.lengths[j]
    else:
        mask, words, sims, echoes, length = p.masks[i], p.words[i], (p.sims[i],), p.echoes[i], p.lengths[i]
    found = kind is not None and (p.typed[i] or p.typed[j])
    hit = p.hit
    covered, rare = terms.covered(mask)
    return (
        max(sims), sum(sims) / len(sims), p.passage_sim, covered, rare, p.context,
        float(found), float(kind is not None and not found),
        1.0 / (1 + p.rank), 1.0 / hit.bm25_rank if hit.bm25_rank else 0.0,
        1.0 / hit.dense_rank if hit.dense_rank else 0.0,
        float(words < 6), float(_overlaps(p.captions, a, end)), float(_overlaps(p.footnotes, a, end)),
        math.log1p(words), float(words > 60), float(j > i), echoes / length if length else 1.0,
    )


@lru_cache(maxsize=100_000)
def _sentence_tokens(text: str) -> tuple[str, ...]:
    return tuple(tokenize(text))


def passage_of(question: str, kind: str | None, terms: QueryTerms, doc: Document, hit: Hit, rank: int,
               vectors: np.ndarray, passage_vector: np.ndarray, qvec: np.ndarray) -> Passage:
    """The shared values of one passage's candidates (see Passage)."""
    sentences = list(hit.chunk.sentences)
    texts = [doc.text[a:b] for a, b in sentences]
    tokens = [_sentence_tokens(t) for t in texts]
    masks = [terms.mask(t) for t in tokens]
    lo, hi = hit.chunk.start, hit.chunk.end
    context = 0
    for m in masks:
        context |= m
    return Passage(
        doc=doc, hit=hit, rank=rank, sentences=sentences, masks=masks,
        echoes=[sum(t in terms.terms for t in ts) for ts in tokens], lengths=[len(ts) for ts in tokens],
        words=[len(t.split()) for t in texts], sims=[float(x) for x in vectors @ qvec],
        typed=[kind is not None and has_short_answer(question, t, kind) for t in texts],
        passage_sim=float(passage_vector @ qvec), context=terms.covered(context)[0],
        captions=tuple(c for c in doc.captions if c.start < hi and lo < c.end),
        footnotes=tuple(f for f in doc.footnotes if f.start < hi and lo < f.end))


def candidates(question: str, terms: QueryTerms, documents: dict[str, Document], hits: list[Hit],
               sentence_vectors: list[np.ndarray], passage_vectors: np.ndarray,
               qvec: np.ndarray) -> list[Candidate]:
    """Every sentence and adjacent pair of sentences of ``hits`` with its features."""
    kind = wanted_type(question)
    out = []
    for rank, (hit, vectors) in enumerate(zip(hits, sentence_vectors)):
        if not len(vectors) or len(vectors) != len(hit.chunk.sentences):
            continue
        doc = documents[hit.chunk.doc_id]
        p = passage_of(question, kind, terms, doc, hit, rank, vectors, passage_vectors[rank], qvec)
        for i in range(len(p.sentences)):
            for j in (i, i + 1):
                if j < len(p.sentences):
                    out.append((doc.doc_id, p.sentences[i][0], p.sentences[j][1], rank,
                                run_features(kind, terms, p, i, j)))
    return _with_gaps(out)


def with_gaps(cands: list[Candidate]) -> list[Candidate]:
    """The candidates with the ``GAPS`` features appended: each value minus the best among them."""
    return _with_gaps([(c.doc_id, c.start, c.end, c.rank, c.features) for c in cands])


_GAP_COLUMNS = tuple(CANDIDATE_FEATURES.index(g) for g in GAPS)


def _with_gaps(rows: list[tuple]) -> list[Candidate]:
    """Candidates of ``(doc_id, start, end, rank, features)`` rows, the gap features appended."""
    if not rows:
        return []
    best = [max(r[4][k] for r in rows) for k in _GAP_COLUMNS]
    return [Candidate(d, a, b, rank, f + tuple(f[k] - m for k, m in zip(_GAP_COLUMNS, best)))
            for d, a, b, rank, f in rows]


def question_constants(question: str, terms: QueryTerms, hits: list[Hit], passage_vectors: np.ndarray,
                       qvec: np.ndarray) -> tuple[float, float, float]:
    """(rare_top, type_wanted, topic): what the question's features owe to the passages alone."""
    seen: set[str] = set()
    for h in hits:  # the passages' sentences, tokenized once for their candidates too
        c = h.chunk
        for a, b in c.sentences or ((c.start, c.end),):
            seen.update(_sentence_tokens(c.text[a - c.start:b - c.start]))
    topic = float(np.max(passage_vectors @ qvec)) if len(passage_vectors) else 0.0
    return share(terms.rarest, seen), float(wanted_type(question) is not None), topic


def question_features(chosen: int, logits: np.ndarray, cands: list[Candidate],
                      constants: tuple[float, float, float]) -> tuple[float, ...]:
    """The ``QUESTION_FEATURES`` given the index of the chosen candidate and every candidate's logit."""
    idx = CANDIDATE_FEATURES.index
    best = cands[chosen]
    others = [float(g) for c, g in zip(cands, logits) if c.rank != best.rank]
    rare_top, type_wanted, topic = constants
    typed = [float(g) for c, g in zip(cands, logits) if c.features[idx("type_found")]]
    typed_logit = (max(typed) if typed else float(min(logits))) if type_wanted else float(logits[chosen])
    rare = idx("rare")
    typed_rare = max((c.features[rare] for c in cands if c.features[idx("type_found")] or not type_wanted), default=0.0)
    return (
        float(logits[chosen]), float(logits[chosen]) - max(others) if others else 5.0,
        best.features[idx("coverage")], best.features[idx("rare")], rare_top,
        type_wanted, best.features[idx("type_found")], topic, typed_logit, float(bool(type_wanted and not typed)),
        max(0.0, TOPIC_FLOOR - topic), max(c.features[idx("dense")] for c in cands), typed_rare,
    )
