"""The retrieved passages reordered by the sentence scorer before the reader reads them.

Hybrid retrieval ranks passages by words and by one embedding each; the sentence scorer reads the
question against a sentence. Scoring every sentence of the top 20 passages costs too much for the
page (about 110 sentences a question), so the embeddings choose which to read: the ``sentences``
sentences of the top ``depth`` passages whose vectors (pooled at ingestion) are closest to the
question's are scored, and each passage gets the best logit of its scored sentences (a passage
with none: the lowest logit scored), less ``weight * log(1 + its retrieval index)``, a prior for
what retrieval ranked higher. The reader then reads the top passages of the new order.

Pure functions of arrays; the scorer is the caller's (a ``judge``: texts -> logits). The same
reordering is retrieval's mode "rerank" (qa.tuning.DEFAULT_RERANK): ``attach_reranker`` gives a
back end the ``Reranker`` its ``search`` calls, since retrieval is a stage below the scorer.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

import numpy as np

from qa.reader.sentences import Judge, load_scorer
from qa.tuning import DEFAULT_RERANK
from qa.types import Hit, SettingsError


@dataclass(frozen=True)
class Rerank:
    """How passages are reordered: ``depth`` 0 leaves retrieval's order."""

    depth: int = 0
    sentences: int = 12
    weight: float = 1.0

    def __post_init__(self) -> None:
        if self.depth < 0 or self.sentences < 1 or self.weight < 0:
            raise SettingsError(f"rerank: depth must be >= 0, sentences >= 1 and weight >= 0, got {self}")

    def to_json(self) -> dict:
        return {"depth": self.depth, "sentences": self.sentences, "weight": self.weight}

    @classmethod
    def from_json(cls, data: dict | None) -> "Rerank":
        data = data or {}
        return cls(int(data.get("depth", 0)), int(data.get("sentences", 12)), float(data.get("weight", 1.0)))


def passage_sentences(hits, sentence_vectors: list[np.ndarray], passage_vectors: np.ndarray,
                      qvec: np.ndarray) -> tuple[list[list[str]], list[np.ndarray]]:
    """Each hit's sentence texts and their cosines with the question; a chunk whose sentences have
    no vectors of their own (none split, or an index without them) is one sentence, its passage's."""
    texts, cosines = [], []
    for h, sv, pv in zip(hits, sentence_vectors, passage_vectors):
        c = h.chunk
        sents = [c.text[a - c.start:b - c.start] for a, b in c.sentences]
        if sents and len(sv) == len(sents):
            texts.append(sents)
            cosines.append(np.asarray(sv, dtype=np.float32) @ qvec)
        else:
            texts.append([c.text])
            cosines.append(np.array([float(pv @ qvec)], dtype=np.float32))
    return texts, cosines


def closest_sentences(cosines: list[np.ndarray], n: int) -> list[tuple[int, int]]:
    """(passage, sentence) of the ``n`` sentences with the highest cosine over all passages
    (ties: the earlier passage, then the earlier sentence), in that order."""
    flat = [(-float(c), p, s) for p, row in enumerate(cosines) for s, c in enumerate(row)]
    return [(p, s) for _, p, s in sorted(flat)[:n]]


def rerank_order(best: list[float | None], weight: float) -> list[int]:
    """Passage indices, best first, by ``best[i] - weight * log(1 + i)``; a passage with no logit
    (None) counts the lowest logit given (ties: retrieval's order)."""
    given = [b for b in best if b is not None]
    if not given:
        return list(range(len(best)))
    floor = min(given)
    return sorted(range(len(best)), key=lambda i: (-((floor if best[i] is None else best[i])
                                                     - weight * math.log1p(i)), i))


def reranked(texts: list[list[str]], cosines: list[np.ndarray], judge, r: Rerank) -> list[int]:
    """The new order of the first ``r.depth`` passages (``texts``: each passage's sentences,
    ``cosines``: theirs with the question): the closest ``r.sentences`` sentences judged, each
    passage scored by its best."""
    texts, cosines = texts[: r.depth], cosines[: r.depth]
    chosen = closest_sentences(cosines, r.sentences)
    logits = judge([texts[p][s] for p, s in chosen]) if chosen else []
    best: list[float | None] = [None] * len(texts)
    for (p, _), z in zip(chosen, logits):
        best[p] = float(z) if best[p] is None else max(best[p], float(z))
    return rerank_order(best, r.weight)


def rerank_hits(retriever, hits: list[Hit], qvec, judge, rerank: Rerank) -> list[Hit]:
    """``hits`` with the first ``rerank.depth`` reordered by the sentence scorer (``judge``)."""
    top = hits[: rerank.depth]
    chunks = [h.chunk for h in top]
    texts, cosines = passage_sentences(top, retriever.sentence_vectors(chunks), retriever.passage_vectors(chunks), qvec)
    return [top[i] for i in reranked(texts, cosines, judge, rerank)] + hits[rerank.depth:]


class Reranker:
    """Retrieval's mode "rerank" for one back end: its hybrid hits (to ``rerank.depth`` at least)
    reordered by ``rerank``; the sentence scorer (``scorer_path``, default the packaged or
    $QA_SENTENCES one) loads on first use."""

    def __init__(self, rerank: Rerank | None = None, scorer_path: str = "") -> None:
        self.scorer_path = scorer_path
        self.rerank = rerank or Rerank(**DEFAULT_RERANK)
        if not self.rerank.depth:
            raise SettingsError("rerank: the reranker of mode 'rerank' needs depth >= 1")

    @property
    def depth(self) -> int:
        return self.rerank.depth

    def search(self, backend, query: str, settings, query_vector=None) -> list[Hit]:
        """The ``settings.k`` best hits of mode "rerank" on ``backend`` (renumbered; the back end's
        ``last_timings`` gain "rerank")."""
        vec = query_vector if query_vector is not None else backend.encode(query)
        k = max(settings.k, self.depth)
        hits = backend.search(query, replace(settings, mode="hybrid", k=k, depth=max(settings.depth, k)), vec)
        timings = dict(backend.last_timings)
        t = time.perf_counter()
        hits = rerank_hits(backend, hits, vec, Judge(load_scorer(self.scorer_path), query), self.rerank)
        backend.last_timings = {**timings, "rerank": (time.perf_counter() - t) * 1000}
        return [replace(h, rank=i) for i, h in enumerate(hits[: settings.k], start=1)]


def attach_reranker(retriever, rerank: Rerank | None = None):
    """``retriever`` (either back end), able to search in mode "rerank" (``rerank``, default
    qa.tuning's); returns it."""
    retriever.reranker = Reranker(rerank)
    return retriever


def ensure_reranker(retriever):
    """``retriever`` with the default reranker attached unless it has one already; returns it."""
    return retriever if getattr(retriever, "reranker", None) is not None else attach_reranker(retriever)
