"""Gold questions -> what the reader answers -> the calibration of its confidence and the refusal.

For each gold question the top ``READ_POOL`` passages (hybrid search) are read once; the answer
for each number of passages read (``POOLS``) is then the best span among the first that many
passages, so every pool size is measured from one reading. The rows are cached in ``eval/cache``
keyed by the reader's hash, the index and the questions.

The fit (tuning splits only): the pool size and the rank weight of the span choice by hit rate;
a logistic regression of "the quote answers the question" (a hit; never for an unanswerable
question) on READER_FEATURES, its L2 weight by out-of-fold log loss, folds grouped by document
(a question is scored by a model that saw no question on its document); the refusal threshold
on the out-of-fold probabilities: the best refusal F1 with at most ``MAX_WRONG_REFUSALS`` of the
answerable questions refused.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from qa.answers.answer import CITATION_DEPTH, linear_answer
from qa.answers.calibration import Calibration
from qa.answers.features import QueryTerms, question_constants
from qa.answers.reading import READER_FEATURES, answer_from_reading
from qa.answers.rerank import Rerank, passage_sentences, reranked
from qa.evaluation.answer_data import cached_rows
from qa.evaluation.answer_metrics import is_hit, short_answer_right
from qa.evaluation.gold import GoldQuestion, document_group, fold_index
from qa.evaluation.logistic import fit_linear
from qa.evaluation.refusal import MAX_WRONG_REFUSALS, _best_refusal, log_loss
from qa.reader.sentences import Judge
from qa.retrieval.retriever import Retriever, SearchSettings
from qa.retrieval.tokenize import tokenize

READ_POOL = 8
POOLS = (2, 3, 4, 5, 6, 8)
RANK_WEIGHTS = (0.0, 0.5, 1.0, 2.0, 4.0)
SCORER_WEIGHTS = (0.0, 0.5, 1.0, 2.0, 4.0)   # of the sentence scorer's logit beside the span's score
# quotes: the spans' sentences only (every sentence read was tried on 2026-12-06 and bought nothing)
EVERY_SENTENCE = (False,)
# ``qa fit-answers`` also tries reordering the passages by the sentence scorer before reading
# (qa.answers.rerank; ``--no-rerank`` skips it): the top RERANK_READ passages are read once, every
# reordered first READ_POOL lies within them. The depth and sentence counts are those that raised
# retrieval's nDCG@10 on the real documents' tuning split (eval/ce_rerank_cv.py, 2026-12-06).
RERANK_READ = 20
RERANKS = tuple(Rerank(20, m, w) for m in (20, 40) for w in (0.5, 1.0, 2.0, 4.0))
# spans the reader proposes per window (their sentences are the quotes): read once with the most.
# 10 was tried beside 3 on 2026-12-06 (shipped reader): the same best hit rate (0.7415), and with
# it three passages came within FEWER_PASSAGES_WITHIN (0.732; refusal F1 0.400, log loss 0.519
# against 0.407 and 0.492 at 3 spans): no gain, and twice the settings to fit
PER_WINDOWS = (3,)
WINDOWS = (256, 192)   # word pieces a window holds when reading (192: the training window); ties: first
L2S = (0.3, 1.0, 3.0, 10.0)
FOLDS = 5
# a smaller pool is taken when its hit rate is this close to the best (mean of the sets; one home
# tuning question is 0.0104 of it): every passage read adds to the page's wait for no measured gain
FEWER_PASSAGES_WITHIN = 0.01


@dataclass(frozen=True)
class ReadRow:
    """A gold question and, per pool size, the reader's answer: features, hit, short answer right."""

    gold_set: str
    id: str
    split: str
    group: str
    answerable: bool
    paraphrased: bool
    answer_type: str
    pools: dict  # "pool size,rank weight" -> [features, hit, short right, quote, short]
    linear: tuple = (0.0, False, False)  # the linear scorer's answer: (its confidence, hit, whether it refuses)


def read_row(gold_set: str, q: GoldQuestion, retriever: Retriever, reader, qvec, window: int,
             scorer=None, reranks: tuple[Rerank, ...] = ()) -> ReadRow:
    """The ReadRow of ``q``: hybrid search, the reader over the top passages once (READ_POOL, or
    RERANK_READ with ``reranks``), and for retrieval's order and each of ``reranks`` (with a
    sentence scorer) and each way of choosing the quote, the answer read from the first passages of
    that order. The scorer judges each text once."""
    reranks = reranks if scorer is not None else ()
    depth = RERANK_READ if reranks else READ_POOL
    found = retriever.search(q.question, SearchSettings(k=max(depth, CITATION_DEPTH)), query_vector=qvec)
    hits = found[:depth]
    full = reader.read(q.question, [h.chunk.text for h in hits], max_tokens=window, per_window=max(PER_WINDOWS))
    judge = Judge(scorer, q.question) if scorer is not None else None
    linear = linear_answer(retriever, q.question, qvec, found)
    linear = (linear[0], bool(q.answerable and is_hit(linear[1], q.answers)), bool(linear[5])) if linear \
        else (0.0, False, False)
    terms = QueryTerms.of(retriever.term_weights(tokenize(q.question)))
    chunks = [h.chunk for h in hits]
    vectors = retriever.passage_vectors(chunks)
    texts, cosines = passage_sentences(hits, retriever.sentence_vectors(chunks), vectors, qvec) \
        if reranks else ([], [])
    docs = retriever.documents
    pools = {}
    for r, pw in ((r, pw) for r in (Rerank(),) + tuple(reranks) for pw in PER_WINDOWS):
        order = (reranked(texts, cosines, judge, r) + list(range(r.depth, len(hits))))[:READ_POOL] if r.depth \
            else list(range(min(READ_POOL, len(hits))))
        read, ordered, ordered_vectors = full.top_per_window(pw).reorder(order), [hits[i] for i in order], vectors[order]
        for p in POOLS:
            rare_top, _, topic = question_constants(q.question, terms, ordered[:p], ordered_vectors[:p], qvec)
            for w, sw, every in choices(judge is not None):
                ans = answer_from_reading(read, ordered, topic, rare_top, p, w, judge, sw, every)
                k = key(p, w, sw, every, r, pw)
                if ans is None:
                    pools[k] = [[0.0] * len(READER_FEATURES), False, False, "", ""]
                    continue
                text = docs[ans.doc_id].text
                quote, short = text[ans.start:ans.end], text[ans.short_start:ans.short_end]
                pools[k] = [list(ans.features), bool(q.answerable and is_hit(quote, q.answers)),
                            bool(q.answerable and short_answer_right(short, q.answers)), "", ""]
    return ReadRow(gold_set, q.id, q.split, document_group(gold_set, q), q.answerable, q.paraphrased, q.answer_type, pools, linear)


def choices(scorer: bool) -> list[tuple[float, float, bool]]:
    """(rank weight, sentence weight, every sentence) of each way to choose the quote that is
    tried; without a sentence scorer only the reader's best span (sentence weight 0)."""
    if not scorer:
        return [(w, 0.0, False) for w in RANK_WEIGHTS]
    return [(w, sw, every) for w in RANK_WEIGHTS for sw in SCORER_WEIGHTS for every in EVERY_SENTENCE
            if sw or not every]


def key(pool: int, rank_weight: float, scorer_weight: float = 0.0, every_sentence: bool = False,
        rerank: Rerank = Rerank(), per_window: int = 3) -> str:
    """The key of a ReadRow's answer read from the first ``pool`` passages of ``rerank``'s order,
    with the reader's ``per_window`` best spans a window, chosen with ``rank_weight``,
    ``scorer_weight`` and ``every_sentence`` (qa.answers.reading.pick)."""
    rr = f"{rerank.depth}:{rerank.sentences}:{rerank.weight:g}" if rerank.depth else "0"
    return f"{pool},{rank_weight:g},{scorer_weight:g},{int(every_sentence)},{rr},{per_window}"


def parse_key(k: str) -> tuple[int, float, float, bool, Rerank, int]:
    pool, w, sw, every, *rest = k.split(",")
    rr = (rest[0] if rest else "0").split(":")
    rerank = Rerank(int(rr[0]), int(rr[1]), float(rr[2])) if rr[0] != "0" else Rerank()
    return int(pool), float(w), float(sw), every == "1", rerank, int(rest[1]) if len(rest) > 1 else 3


def collect_reads(gold_set: str, retriever: Retriever, reader, questions: list[GoldQuestion],
                  cache_dir: Path | None, window: int, progress=None, scorer=None,
                  reranks: tuple[Rerank, ...] = ()) -> list[ReadRow]:
    """Every question's ReadRow (windows of ``window`` word pieces), read back from ``cache_dir``
    when its key matches."""
    h = hashlib.sha256()
    h.update(str(window).encode())
    h.update(reader.card.get("sha256", "").encode())
    h.update((scorer.card.get("sha256", "") if scorer is not None else "").encode())
    h.update(json.dumps(retriever.manifest, sort_keys=True, default=str).encode())
    h.update(json.dumps([asdict(q) for q in questions], sort_keys=True).encode())
    for module in ("qa/answers/reading.py", "qa/reader/decode.py", "qa/reader/windows.py", "qa/answers/answer.py",
                   "qa/evaluation/calibrate.py", "qa/reader/sentences.py", "qa/answers/rerank.py",
                   "qa/reader/model.py"):
        h.update((Path(__file__).resolve().parents[2] / module).read_bytes())
    h.update(str((READ_POOL, POOLS, RANK_WEIGHTS, SCORER_WEIGHTS, EVERY_SENTENCE, RERANK_READ, reranks,
                  PER_WINDOWS)).encode())
    path = cache_dir / f"read-rows-{gold_set}-{h.hexdigest()[:16]}.json" if cache_dir else None
    return cached_rows(path, lambda r: ReadRow(**{**r, "linear": tuple(r["linear"])}), retriever, questions,
                       lambda q, vec: read_row(gold_set, q, retriever, reader, vec, window, scorer, reranks), progress)


def calibration_key(cal: Calibration) -> str:
    """The ReadRow key of the answers ``cal``'s settings give."""
    return key(cal.passages, cal.rank_weight, cal.scorer_weight, cal.every_sentence, cal.rerank, cal.per_window)


def linear_refusals(rows: list[ReadRow]) -> np.ndarray:
    """Per row, whether the linear scorer refuses it on its own (off the corpus, a near miss)."""
    return np.array([len(r.linear) > 2 and bool(r.linear[2]) for r in rows], dtype=bool)


def _xy(rows: list[ReadRow], k: str) -> tuple[np.ndarray, np.ndarray]:
    x = np.array([r.pools[k][0] for r in rows], dtype=np.float64)
    y = np.array([float(r.pools[k][1]) for r in rows])
    return x, y


def out_of_fold(rows: list[ReadRow], k: str, l2: float, folds: int = FOLDS) -> np.ndarray:
    """Each row's probability from a model fit on the other folds (folds by document group), for
    the answers under key ``k`` (pool size and rank weight)."""
    x, y = _xy(rows, k)
    fold_of = fold_index((r.group for r in rows), folds)
    fold = np.array([fold_of[r.group] for r in rows])
    out = np.zeros(len(rows))
    for f in range(folds):
        train, test = fold != f, fold == f
        if not test.any():
            continue
        if len(set(y[train])) < 2:
            out[test] = y[train].mean() if train.any() else 0.5
            continue
        out[test] = fit_linear(READER_FEATURES, x[train], y[train], l2).probabilities(x[test])
    return out


def fit_calibration(by_window: dict[int, list[ReadRow]]) -> tuple[Calibration, dict]:
    """The calibration fit on the tuning rows read with each window size, with what was tried.

    The fewest passages whose hit rate (mean over the gold sets, so the larger set does not choose
    alone) comes within FEWER_PASSAGES_WITHIN of the best of any setting, and with them the window
    and rank weight with the best hit rate (ties: the smaller weight, the window first in WINDOWS), then the L2 weight with the best out-of-fold log loss; then whether taking the linear
    scorer's answer where its confidence beats the reader's out-of-fold probability raises the hit
    rate (``ensemble``); then the threshold on the out-of-fold probabilities (the larger of the two
    under the ensemble), alone and together with the linear scorer's own refusals (off the corpus,
    near misses): those are kept (``linear_refusal``) where they raise the refusal F1 within the
    same limit on answerable questions refused.
    """
    hit = {}
    for window, rows in by_window.items():
        sets = sorted({r.gold_set for r in rows})
        for k in rows[0].pools:
            p, w, sw, every, r, pw = parse_key(k)
            # ties: the smaller rank weight, no scorer weight or the smaller, the spans' sentences,
            # retrieval's order or the shallower reordering, the fewer spans a window
            hit[(p, w, sw, every, (r.depth, r.sentences, r.weight), pw, WINDOWS.index(window) if window in WINDOWS
                 else len(WINDOWS), window)] = \
                float(np.mean([np.mean([r.pools[k][1] for r in rows if r.gold_set == s and r.answerable])
                               for s in sets]))
    best_any = max(hit.values())
    fewest = min(c[0] for c, h in hit.items() if h >= best_any - FEWER_PASSAGES_WITHIN - 1e-9)
    best = max(h for c, h in hit.items() if c[0] == fewest)
    pool, weight, scorer_weight, every, rr, per_window, _, window = min(
        c for c, h in hit.items() if c[0] == fewest and h >= best - 1e-9)
    rerank = Rerank(*rr) if rr[0] else Rerank()
    rows, k = by_window[window], key(pool, weight, scorer_weight, every, rerank, per_window)
    losses = {l2: log_loss(out_of_fold(rows, k, l2), _xy(rows, k)[1]) for l2 in L2S}
    l2 = min(losses, key=losses.get)
    p = out_of_fold(rows, k, l2)
    # the ensemble: the linear scorer's answer where its confidence beats the reader's (out of fold)
    lin_p = np.array([r.linear[0] for r in rows])
    lin_hit = np.array([r.linear[1] for r in rows])
    y = _xy(rows, k)[1]
    both = np.where(lin_p > p, lin_hit, y)
    by_set = {s: np.array([r.gold_set == s and r.answerable for r in rows]) for s in sorted({r.gold_set for r in rows})}
    hit_both = float(np.mean([both[m].mean() for m in by_set.values()]))
    ensemble = hit_both > best + 1e-9
    answerable = np.array([r.answerable for r in rows])
    # the linear scorer's refusal (off the corpus, a near miss), kept where it refuses better
    conf = np.maximum(p, lin_p) if ensemble else p
    lin_refuses = linear_refusals(rows)
    f1_alone, t_alone = _best_refusal(conf, answerable, MAX_WRONG_REFUSALS)
    f1_both, t_both = _best_refusal(conf, answerable, MAX_WRONG_REFUSALS, lin_refuses)
    linear_refusal = f1_both > f1_alone + 1e-9
    threshold = t_both if linear_refusal else t_alone
    x = _xy(rows, k)[0]
    model = fit_linear(READER_FEATURES, x, y, l2)
    about = {"fit_on": "tuning splits of the home and real gold sets", "questions": len(rows),
             "passages": pool, "rank_weight": weight, "scorer_weight": scorer_weight,
             "every_sentence": bool(every), "rerank": rerank.to_json(), "per_window": per_window, "window": window,
             "l2": l2,
             "threshold": round(threshold, 4), "hit_answerable_mean_of_sets": round(best, 4),
             "best_hit_any_pool": round(best_any, 4), "fewer_passages_within": FEWER_PASSAGES_WITHIN,
             "ensemble": bool(ensemble), "hit_with_linear_where_surer": round(hit_both, 4),
             "linear_refusal": bool(linear_refusal), "refusal_f1_alone": round(max(f1_alone, 0.0), 4),
             "refusal_f1_with_linear_refusal": round(max(f1_both, 0.0), 4),
             "oof_log_loss": round(losses[l2], 4),
             # the best setting of each kind (so many are tried that every one would swamp the file)
             "best_hit_by_passages": _best_by(hit, lambda c: f"passages={c[0]}"),
             "best_hit_by_window": _best_by(hit, lambda c: f"window={c[7]}"),
             "best_hit_by_per_window": _best_by(hit, lambda c: f"per_window={c[5]}"),
             "best_hit_by_rank_weight": _best_by(hit, lambda c: f"rank_weight={c[1]:g}"),
             "best_hit_by_scorer_weight": _best_by(hit, lambda c: f"scorer_weight={c[2]:g}"),
             "best_hit_by_rerank": _best_by(hit, lambda c: "none" if not c[4][0] else
                                            f"depth={c[4][0]} sentences={c[4][1]} weight={c[4][2]:g}"),
             "mean_hit_by_rerank_at_chosen_passages": _mean_by(
                 {c: h for c, h in hit.items() if c[0] == pool},
                 lambda c: "none" if not c[4][0] else f"depth={c[4][0]} sentences={c[4][1]} weight={c[4][2]:g}"),
             "settings_tried": len(hit),
             "log_loss_by_l2": {str(a): round(b, 4) for a, b in losses.items()}}
    return Calibration(model=model, passages=pool, threshold=round(threshold, 4), rank_weight=weight,
                       window=window, scorer_weight=scorer_weight, every_sentence=bool(every), rerank=rerank,
                       per_window=per_window,
                       ensemble=bool(ensemble), linear_refusal=bool(linear_refusal), about=about), about


def _best_by(hit: dict, label) -> dict[str, float]:
    """The best hit rate among the settings of each ``label``."""
    out: dict[str, float] = {}
    for c, h in hit.items():
        out[label(c)] = max(out.get(label(c), 0.0), round(h, 4))
    return dict(sorted(out.items()))


def _mean_by(hit: dict, label) -> dict[str, float]:
    """The mean hit rate of the settings of each ``label``."""
    groups: dict[str, list[float]] = {}
    for c, h in hit.items():
        groups.setdefault(label(c), []).append(h)
    return {k: round(float(np.mean(v)), 4) for k, v in sorted(groups.items())}
