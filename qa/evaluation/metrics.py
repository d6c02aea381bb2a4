"""Pure ranking-metric functions over plain dicts and lists, matching trec_eval's numbers.

Shapes:

- a *ranking* is a list of document ids, best first, without repeats;
- a *run* is ``{query_id: {doc_id: score}}`` (higher score = better);
- *qrels* are ``{query_id: {doc_id: relevance grade}}``; a grade ``<= 0`` means not relevant.

Conventions shared by every per-query function (``ranked``, ``relevant``, ``k``):

- an empty ranking scores 0.0;
- a query without any relevant document (no grade > 0) scores 0.0 — :func:`evaluate_run`
  leaves such queries out of its means, so the 0.0 never drags an average down;
- ``k`` larger than the ranking is fine: the ranking is simply shorter than ``k``;
- a ranking with repeated ids raises ``ValueError`` (a repeat would count one document twice).

A run is turned into a ranking by :func:`rank_documents`, which breaks ties in score the way
trec_eval does (see there), so :func:`evaluate_run` agrees with trec_eval / pytrec_eval exactly.
Nothing here mutates its arguments.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

Run = Mapping[str, Mapping[str, float]]
Qrels = Mapping[str, Mapping[str, int]]

DEFAULT_METRICS = ("ndcg@10", "recall@100", "mrr@10", "map")


def rank_documents(scores: Mapping[str, float]) -> list[str]:
    """Return the doc ids of ``{doc_id: score}`` ranked as trec_eval ranks them.

    Order: score descending, then doc id *descending* (byte-wise string comparison) among equal
    scores. This is trec_eval's ``comp_sim_docno`` in ``form_res_rels.c``
    (``strcmp(ptr2->docno, ptr1->docno)``); the order of lines in a run file, and any rank
    column in it, are ignored by trec_eval. Python compares ``str`` by code point, which for
    UTF-8 text is the same order as ``strcmp`` on the encoded bytes.

    Raises ``ValueError`` if a score is NaN (it has no place in an order).
    """
    for doc_id, score in scores.items():
        if math.isnan(score):
            raise ValueError(f"score of document {doc_id!r} is NaN; a run needs comparable scores")
    return [doc_id for doc_id, _ in sorted(scores.items(), key=lambda item: (item[1], item[0]), reverse=True)]


def _check(ranked: Sequence[str], k: int | None) -> None:
    if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k < 1):
        raise ValueError(f"k must be a positive integer, got {k!r}")
    if len(set(ranked)) != len(ranked):
        raise ValueError("the ranking repeats a document id; each document may appear once")


def _cut(ranked: Sequence[str], k: int | None) -> Sequence[str]:
    return ranked if k is None else ranked[:k]


def _relevant_ids(relevant: Mapping[str, int]) -> set[str]:
    return {doc_id for doc_id, grade in relevant.items() if grade > 0}


def recall_at_k(ranked: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    """Recall@k: the share of the query's relevant documents found in the top ``k``.

    ``recall@k = |relevant ∩ ranked[:k]| / |relevant|``, relevant meaning grade > 0.
    trec_eval's ``recall_k`` (Manning, Raghavan & Schütze, *Introduction to Information
    Retrieval*, 2008, §8.3). Returns 0.0 when the query has no relevant document.
    """
    _check(ranked, k)
    wanted = _relevant_ids(relevant)
    if not wanted:
        return 0.0
    return sum(1 for doc_id in ranked[:k] if doc_id in wanted) / len(wanted)


def precision_at_k(ranked: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    """Precision@k: the share of the top ``k`` positions holding a relevant document.

    ``P@k = |relevant ∩ ranked[:k]| / k``. The divisor is ``k`` even when fewer than ``k``
    documents were retrieved (missing positions count as non-relevant), as trec_eval's ``P_k``
    does (Manning et al. 2008, §8.4). Returns 0.0 when the query has no relevant document.
    """
    _check(ranked, k)
    wanted = _relevant_ids(relevant)
    if not wanted:
        return 0.0
    return sum(1 for doc_id in ranked[:k] if doc_id in wanted) / k


def reciprocal_rank_at_k(ranked: Sequence[str], relevant: Mapping[str, int], k: int | None = None) -> float:
    """Reciprocal rank (MRR@k for one query): ``1 / rank`` of the first relevant document.

    Ranks are 1-based; the result is 0.0 when no relevant document is in the top ``k``
    (``k=None``: anywhere in the ranking, which is trec_eval's uncut ``recip_rank``).
    Voorhees, "The TREC-8 Question Answering Track Report", TREC 1999.
    """
    _check(ranked, k)
    wanted = _relevant_ids(relevant)
    for rank, doc_id in enumerate(_cut(ranked, k), start=1):
        if doc_id in wanted:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranked: Sequence[str], relevant: Mapping[str, int], k: int | None = None) -> float:
    """nDCG@k with trec_eval's definition (``ndcg_cut_k``; ``k=None`` is its uncut ``ndcg``).

    ``DCG@k = sum_{r=1..k} gain(d_r) / log2(r + 1)`` with ``gain = relevance grade`` for a grade
    > 0 and 0 otherwise (unjudged or grade <= 0; negative grades are not subtracted, as in
    trec_eval). ``IDCG@k`` is the DCG@k of the query's judged grades > 0 sorted descending,
    and ``nDCG@k = DCG@k / IDCG@k``. Järvelin & Kekäläinen, "Cumulated gain-based evaluation
    of IR techniques", ACM TOIS 20(4), 2002 (linear gain, log2(rank + 1) discount as trec_eval).
    Returns 0.0 when the query has no relevant document.
    """
    _check(ranked, k)
    ideal_grades = sorted((grade for grade in relevant.values() if grade > 0), reverse=True)
    ideal = sum(grade / math.log2(rank + 1) for rank, grade in enumerate(_cut(ideal_grades, k), start=1))
    if ideal == 0:
        return 0.0
    dcg = 0.0
    for rank, doc_id in enumerate(_cut(ranked, k), start=1):
        grade = relevant.get(doc_id, 0)
        if grade > 0:
            dcg += grade / math.log2(rank + 1)
    return dcg / ideal


def average_precision(ranked: Sequence[str], relevant: Mapping[str, int], k: int | None = None) -> float:
    """Average precision: the mean of precision@r over the ranks r of the relevant documents.

    ``AP = (1 / |relevant|) * sum_{r : ranked[r] relevant, r <= k} P@r``; relevant documents
    never retrieved (or below ``k``) contribute 0, and the divisor is the number of relevant
    documents in the qrels, not the number retrieved. trec_eval's ``map`` (``k=None``) and
    ``map_cut_k``; Manning et al. 2008, §8.4. Returns 0.0 when the query has no relevant document.
    """
    _check(ranked, k)
    wanted = _relevant_ids(relevant)
    if not wanted:
        return 0.0
    found = 0
    total = 0.0
    for rank, doc_id in enumerate(_cut(ranked, k), start=1):
        if doc_id in wanted:
            found += 1
            total += found / rank
    return total / len(wanted)


# name -> (function, whether the "@k" part is required)
_METRICS = {
    "ndcg": (ndcg_at_k, False),
    "recall": (recall_at_k, True),
    "precision": (precision_at_k, True),
    "p": (precision_at_k, True),
    "mrr": (reciprocal_rank_at_k, False),
    "map": (average_precision, False),
}


def parse_metric(name: str) -> tuple[str, int | None]:
    """Split a metric name such as ``"ndcg@10"`` into ``("ndcg", 10)``; ``"map"`` gives ``("map", None)``.

    Known names: ndcg[@k], recall@k, precision@k (or p@k), mrr[@k], map[@k]; case-insensitive.
    Raises ``ValueError`` naming the known metrics for anything else.
    """
    base, sep, cut = name.strip().lower().partition("@")
    known = "ndcg[@k], recall@k, precision@k (p@k), mrr[@k], map[@k]"
    if base not in _METRICS:
        raise ValueError(f"unknown metric {name!r}; known metrics: {known}")
    if not sep:
        if _METRICS[base][1]:
            raise ValueError(f"metric {name!r} needs a cut-off, e.g. {base}@10")
        return base, None
    if not cut.isdigit() or int(cut) < 1:
        raise ValueError(f"metric {name!r}: the cut-off after '@' must be a positive integer")
    return base, int(cut)


def _score(ranked: Sequence[str], relevant: Mapping[str, int], base: str, k: int | None) -> float:
    function = _METRICS[base][0]
    return function(ranked, relevant, k)


def _judged_queries(qrels: Qrels) -> list[str]:
    return [qid for qid, judgements in qrels.items() if any(grade > 0 for grade in judgements.values())]


def per_query(run: Run, qrels: Qrels, metric: str) -> dict[str, float]:
    """Return ``{query_id: value}`` of one metric for each query with at least one relevant judgement.

    Queries of the run without such judgements are left out; judged queries absent from the
    run score as an empty ranking (0.0). Raises ``ValueError`` for an unknown metric name.
    """
    base, k = parse_metric(metric)
    empty: Mapping[str, float] = {}
    return {qid: _score(rank_documents(run.get(qid, empty)), qrels[qid], base, k) for qid in _judged_queries(qrels)}


def evaluate_run(run: Run, qrels: Qrels, metrics: Iterable[str] = DEFAULT_METRICS) -> dict[str, float]:
    """Return ``{metric name: mean over queries}`` for each requested metric.

    The mean is taken over the queries of ``qrels`` that have at least one relevant judgement
    (grade > 0). Two choices to know when comparing with trec_eval:

    - a judged query missing from the run counts as 0.0 (trec_eval does this only with ``-c``;
      by default it averages over queries present in both, which flatters a run that skips
      queries);
    - a query whose judgements are all <= 0 is left out (trec_eval would average in its 0.0).

    For runs that cover every query and qrels with a relevant document per query — the BEIR
    case — the means equal trec_eval's. Queries in the run but not in the qrels are ignored.
    With no judged query at all every mean is 0.0. A single name may be passed as a string. Raises ``ValueError`` for an unknown metric.
    """
    names = [metrics] if isinstance(metrics, str) else list(metrics)
    parsed = [parse_metric(name) for name in names]
    queries = _judged_queries(qrels)
    empty: Mapping[str, float] = {}
    rankings = {qid: rank_documents(run.get(qid, empty)) for qid in queries}
    result: dict[str, float] = {}
    for name, (base, k) in zip(names, parsed):
        values = [_score(rankings[qid], qrels[qid], base, k) for qid in queries]
        result[name] = sum(values) / len(values) if values else 0.0
    return result
