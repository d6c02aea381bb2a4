"""Retrieval settings -> runs (``{qid: {id: score}}``) over a retriever, and gold-set judgements.

A run's score is ``len(hits) - rank + 1`` (100, 99, ... for 100 hits): it keeps the retriever's
own order exactly wherever the run goes (trec_eval re-sorts equal scores by document id, which
could reorder tied fused scores).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from qa.answers.quotes import QuoteFinder
from qa.answers.rerank import ensure_reranker
from qa.evaluation.gold import GoldQuestion, locate_evidence
from qa.retrieval.retriever import Retriever, SearchSettings
from qa.types import SettingsError

RUN_DEPTH = 100


def parse_hybrid(text: str) -> tuple[str, dict]:
    """``"rrf:60"`` -> ``("hybrid-rrf60", {"fusion": "rrf", "rrf_k": 60.0})``; ``"convex:0.3"`` ->
    ``("hybrid-convex0.3", {"fusion": "convex", "dense_weight": 0.3})``.

    Raises SettingsError naming the accepted forms for anything else.
    """
    fusion, sep, value = text.strip().partition(":")
    try:
        number = float(value)
    except ValueError:
        number = None
    if not sep or fusion not in ("rrf", "convex") or number is None:
        raise SettingsError(f"a hybrid setting is rrf:K or convex:WEIGHT (e.g. rrf:60, convex:0.3), got {text!r}")
    key = "rrf_k" if fusion == "rrf" else "dense_weight"
    return f"hybrid-{fusion}{value.strip()}", {"fusion": fusion, key: number}


def run_settings(modes: Sequence[str], hybrids: Sequence[str] = (), base: SearchSettings = SearchSettings(),
                 depth: int = RUN_DEPTH) -> dict[str, SearchSettings]:
    """``{run name: settings}``: each mode under its name, then each ``hybrids`` fusion setting
    (see ``parse_hybrid``), all returning ``depth`` hits. Raises SettingsError for a bad setting
    or a name given twice."""
    out = {mode: replace(base, mode=mode, k=depth, depth=max(base.depth, depth)) for mode in modes}
    for text in hybrids:
        name, fusion = parse_hybrid(text)
        if name in out:
            raise SettingsError(f"run {name!r} is named twice")
        out[name] = replace(base, mode="hybrid", k=depth, depth=max(base.depth, depth), **fusion)
    return out


def retrieval_run(retriever: Retriever, queries: Mapping[str, str], settings: SearchSettings, key: str = "chunk",
                  vectors=None, on_query: Callable[[], None] | None = None) -> dict[str, dict[str, float]]:
    """The run of one setting over ``queries`` (``{qid: text}``), in sorted qid order.

    ``key`` "chunk" ranks chunk ids (gold sets), "doc" document ids (BEIR, one chunk per
    document). ``vectors``: the queries' embeddings in sorted qid order, to encode them once.
    ``on_query()`` is called after each query (a progress bar).
    """
    if key not in ("chunk", "doc"):
        raise SettingsError(f"a run ranks 'chunk' or 'doc' ids, got {key!r}")
    qids = sorted(queries)
    if vectors is None:
        vectors = retriever.encode_many([queries[q] for q in qids])
    run = {}
    for qid, vector in zip(qids, vectors):
        hits = retriever.search(queries[qid], settings, query_vector=vector)
        ids = list(dict.fromkeys(h.chunk.chunk_id if key == "chunk" else h.chunk.doc_id for h in hits))
        run[qid] = {i: float(len(ids) - r) for r, i in enumerate(ids)}
        if on_query:
            on_query()
    return run


def retrieval_runs(retriever: Retriever, queries: Mapping[str, str], settings: Mapping[str, SearchSettings],
                   key: str = "chunk", progress: Callable[[str, int, int], None] | None = None) -> dict[str, dict]:
    """``{name: run}`` for each named setting; the queries are encoded once.
    ``progress(stage, 1, total)`` after each run."""
    if any(s.mode == "rerank" for s in settings.values()):
        ensure_reranker(retriever)
    vectors = retriever.encode_many([queries[q] for q in sorted(queries)])
    runs = {}
    for name, setting in settings.items():
        runs[name] = retrieval_run(retriever, queries, setting, key, vectors)
        if progress:
            progress("runs", 1, len(settings))
    return runs


def gold_qrels(retriever: Retriever, questions: list[GoldQuestion]) -> dict[str, dict[str, int]]:
    """Chunk-level judgements of the answerable gold questions: grade 1 for each chunk whose span
    overlaps one of the question's evidence quotes (as ``qa eval`` judges passages)."""
    located = locate_evidence(QuoteFinder(retriever), questions)
    qrels = {}
    for q in questions:
        places = [p for quote in located[q.id] for p in quote]
        if places:
            qrels[q.id] = {c.chunk_id: 1 for c in retriever.chunks_overlapping(places)}
    return qrels


def gold_runs(retriever: Retriever, questions: list[GoldQuestion], settings: Mapping[str, SearchSettings],
              progress: Callable[[str, int, int], None] | None = None) -> tuple[dict[str, dict], dict]:
    """(``{name: run}`` of every question under each named setting, ranking chunk ids; the
    answerable questions' ``gold_qrels``). Raises QAError when an evidence quote is in no document."""
    qrels = gold_qrels(retriever, questions)
    runs = retrieval_runs(retriever, {q.id: q.question for q in questions}, settings, key="chunk", progress=progress)
    return runs, qrels
