"""Pure functions that fuse ranked lists: reciprocal rank fusion and a convex combination.

Score normalisation is kept apart from fusion: ``convex`` takes already-normalised scores.
Inputs are never mutated.
"""

from __future__ import annotations

import math
from typing import Hashable, Mapping, Sequence

from qa.types import Chunk, Hit

Key = Hashable


def rrf(rankings: Sequence[Sequence[Key]], k: float = 60.0) -> dict[Key, float]:
    """Reciprocal rank fusion (Cormack, Clarke and Buettcher, SIGIR 2009).

    ``score(d) = sum over rankings r containing d of 1 / (k + rank_r(d))``, ranks starting at 1.
    """
    if k < 0:
        raise ValueError(f"rrf k must be >= 0, got {k}")
    fused: dict[Key, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking, start=1):
            fused[key] = fused.get(key, 0.0) + 1.0 / (k + rank)
    return fused


def min_max(scores: Mapping[Key, float]) -> dict[Key, float]:
    """Scale scores to [0, 1]: ``(s - min) / (max - min)``; all equal -> all 1.0."""
    if not scores:
        return {}
    lo, hi = min(scores.values()), max(scores.values())
    if hi == lo:
        return {key: 1.0 for key in scores}
    return {key: (s - lo) / (hi - lo) for key, s in scores.items()}


def z_score(scores: Mapping[Key, float]) -> dict[Key, float]:
    """Standardise scores: ``(s - mean) / sd`` with the population sd; all equal -> all 0.0.

    Unlike min-max, one outlying score does not squash the others (Bruch, Gai and Ingber, TOIS
    2023, section 4; Kamps et al. use it for fusing runs).
    """
    if not scores:
        return {}
    values = list(scores.values())
    mean = sum(values) / len(values)
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
    if sd == 0 or not math.isfinite(sd):
        return {key: 0.0 for key in scores}
    return {key: (s - mean) / sd for key, s in scores.items()}


NORMALISATIONS = {"minmax": min_max, "zscore": z_score}


def convex(lexical: Mapping[Key, float], dense: Mapping[Key, float], dense_weight: float = 0.5,
           missing: tuple[float, float] = (0.0, 0.0)) -> dict[Key, float]:
    """Convex combination ``(1 - w) * lexical + w * dense`` of normalised scores.

    A key missing from one input counts ``missing`` there (lexical, dense): by default 0, the
    bottom of a min-max scale; give the lowest z-score to put it at the bottom of a z scale. See
    Bruch, Gai and Ingber, "An Analysis of Fusion Functions for Hybrid Retrieval", TOIS 2023.
    """
    if not 0.0 <= dense_weight <= 1.0:
        raise ValueError(f"convex dense_weight must be between 0 and 1, got {dense_weight}")
    keys = list(dict.fromkeys([*lexical, *dense]))
    lo_lex, lo_dense = missing
    return {key: (1 - dense_weight) * lexical.get(key, lo_lex) + dense_weight * dense.get(key, lo_dense)
            for key in keys}


def ranked(scores: Mapping[Key, float]) -> list[tuple[Key, float]]:
    """Items by score descending; ties keep the mapping's insertion order (stable sort)."""
    return sorted(scores.items(), key=lambda item: -item[1])


def fuse_hits(lexical: list[tuple[Chunk, float]], semantic: list[tuple[Chunk, float]],
              settings, filled: tuple[dict, dict] | None = None) -> list[Hit]:
    """The ``settings.k`` best chunks (``settings``: a retriever's SearchSettings) of the two ranked lists (best first), fused as ``settings``
    says, each Hit carrying its rank and score in both lists. Client-side, so both back ends fuse
    the same way.

    ``filled``: (BM25 scores, dense scores) by chunk id of candidates the other list holds and
    this one does not (``fill_scores``); they join their side's scores before normalisation, so a
    passage found by one retriever only is fused on both of its scores, not on a guessed bottom.
    Its rank in the list it is missing from stays None."""
    by_id = {c.chunk_id: c for c, _ in [*lexical, *semantic]}
    bm25_rank = {c.chunk_id: (r, s) for r, (c, s) in enumerate(lexical, start=1)}
    dense_rank = {c.chunk_id: (r, s) for r, (c, s) in enumerate(semantic, start=1)}
    lex = {c.chunk_id: s for c, s in lexical}
    sem = {c.chunk_id: s for c, s in semantic}
    if filled is not None and settings.mode == "hybrid" and settings.fusion == "convex":
        lex = {**lex, **{k: v for k, v in filled[0].items() if k not in lex}}
        sem = {**sem, **{k: v for k, v in filled[1].items() if k not in sem}}
    if settings.mode == "bm25":
        scores = lex
    elif settings.mode == "dense":
        scores = sem
    elif settings.fusion == "rrf":
        scores = rrf([list(lex), list(sem)], settings.rrf_k)
    else:
        normalise = NORMALISATIONS[settings.normalisation]
        lex_n, sem_n = normalise(lex), normalise(sem)
        # a passage one list lacks sits at the bottom of that list's scale (0 for min-max, as before)
        bottom = ((0.0, 0.0) if settings.normalisation == "minmax"
                  else (min(lex_n.values(), default=0.0), min(sem_n.values(), default=0.0)))
        scores = convex(lex_n, sem_n, settings.dense_weight, bottom)
    hits = []
    for rank, (key, score) in enumerate(ranked(scores)[: settings.k], start=1):
        b = bm25_rank.get(key, (None, None))
        d = dense_rank.get(key, (None, None))
        hits.append(Hit(rank=rank, chunk=by_id[key], score=float(score),
                        bm25_rank=b[0], bm25_score=b[1], dense_rank=d[0], dense_score=d[1]))
    return hits
