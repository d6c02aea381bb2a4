"""The embedding's question-sentence cosine beside the sentence scorer, out of fold (issue 21).

all-MiniLM-L6-v2 was trained on paraphrase pairs; the sentence scorer on SQuAD's questions, which
mostly repeat the passage's words. Two places where the cosine might help the shipped answer
stage (qa/answers/calibration.json's settings) on the tuning splits:

- ``pick``: the quote chosen among the candidates of the passages read, by the shipped
  ``span + scorer_weight * logit - rank_weight * log(1 + passage)`` plus ``c * cosine`` (the best
  cosine of the quote's sentences, from the index's sentence vectors): answer hit rate;
- ``reorder``: the passages read after the scorer's reordering (qa.answers.rerank), each judged
  sentence's logit plus ``c * cosine``, with the number of sentences judged and the rank weight
  beside it: how often a passage read holds a gold answer.

Each grid is cross-validated as eval/scifact_cv.py does, with folds of whole documents (5, seed
22): the setting best on four folds (the mean of the two sets' rates) is scored on the fifth.

    HF_HUB_OFFLINE=1 python eval/cosine_cv.py
"""

from __future__ import annotations

import math
import random
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PICK_WEIGHTS = (0, 1, 2, 3, 5, 8, 12, 20, 40)
REORDERS = [(n, w, c) for n in (40, 80, 400) for w in (1.0, 0.5, 2.0) for c in (0, 2, 4, 8)]  # first: shipped


def candidates(retriever, index, q, settings) -> list[dict]:
    """The shipped stage's candidate quotes for ``q`` (refusal off): passage, span score, scorer
    logit, best sentence cosine, whether the quote holds a gold answer."""
    import qa.answers.answer as stage
    from qa.answers import reading
    from qa.evaluation.answer_metrics import is_hit

    qvec, seen, original = retriever.encode(q.question), [], reading.answer_from_reading

    def spy(read, hits, topic, rare_top, passages, rank_weight=0.0, judge=None, scorer_weight=0.0, every_sentence=False):
        vectors = retriever.sentence_vectors([h.chunk for h in hits[:passages]])
        for c in reading.quotes(read, hits, passages, every_sentence):
            chunk = hits[c.passage].chunk
            text = chunk.text[c.start - chunk.start:c.end - chunk.start]
            cos = [float(v @ qvec) for (a, b), v in zip(chunk.sentences, vectors[c.passage]) if a < c.end and c.start < b]
            seen.append({"p": c.passage, "span": c.span.score if c.span else None, "cos": max(cos, default=0.0),
                         "logit": float(judge([text])[0]) if judge else 0.0, "hit": is_hit(text, q.answers)})
        return original(read, hits, topic, rare_top, passages, rank_weight, judge, scorer_weight, every_sentence)

    stage.answer_from_reading = spy
    try:
        index.ask(q.question, answer_settings=settings)
    finally:
        stage.answer_from_reading = original
    return seen


def passages(retriever, scorer, q, depth: int) -> list[dict]:
    """The top ``depth`` passages: every sentence's cosine and scorer logit, whether it holds an answer."""
    from qa.answers.rerank import passage_sentences
    from qa.evaluation.answer_metrics import is_hit
    from qa.reader.sentences import Judge
    from qa.retrieval.retriever import SearchSettings

    qvec = retriever.encode(q.question)
    hits = retriever.search(q.question, SearchSettings(k=depth), query_vector=qvec)[:depth]
    chunks = [h.chunk for h in hits]
    texts, cosines = passage_sentences(hits, retriever.sentence_vectors(chunks), retriever.passage_vectors(chunks), qvec)
    judge = Judge(scorer, q.question)
    return [{"cos": [float(x) for x in c], "logit": judge(t), "hit": is_hit(h.chunk.text, q.answers)}
            for h, t, c in zip(hits, texts, cosines)]


def pick_hit(cands: list[dict], c: float, cal) -> bool:
    if not cands:
        return False
    floor = min((x["span"] for x in cands if x["span"] is not None), default=0.0) - 1.0
    best = max(cands, key=lambda x: (floor if x["span"] is None else x["span"]) + cal.scorer_weight * x["logit"]
               - cal.rank_weight * math.log1p(x["p"]) + c * x["cos"])
    return best["hit"]


def reorder_hit(ps: list[dict], setting: tuple, read: int) -> bool:
    n, w, c = setting
    judged = sorted((-x, p, s) for p, pp in enumerate(ps) for s, x in enumerate(pp["cos"]))[:n]
    best: list[float | None] = [None] * len(ps)
    for _, p, s in judged:
        z = ps[p]["logit"][s] + c * ps[p]["cos"][s]
        best[p] = z if best[p] is None else max(best[p], z)
    floor = min(b for b in best if b is not None)
    order = sorted(range(len(ps)), key=lambda i: (-((floor if best[i] is None else best[i]) - w * math.log1p(i)), i))
    return any(ps[i]["hit"] for i in order[:read])


def cross_validated(rows: list[dict], table: dict, folds: int = 5, seed: int = 22):
    """(the first setting's rates, the held-out rates, the setting chosen per fold); a rate is the
    mean of the sets' hit rates, per set also as hits/questions."""
    groups = sorted({r["group"] for r in rows})
    random.Random(seed).shuffle(groups)
    fold = [{g: i % folds for i, g in enumerate(groups)}[r["group"]] for r in rows]
    settings = list(table)

    def rate(idx, values):
        by: dict[str, list] = {}
        for i in idx:
            by.setdefault(rows[i]["set"], []).append(values[i])
        return round(float(np.mean([np.mean(v) for v in by.values()])), 4), {s: f"{sum(v)}/{len(v)}" for s, v in by.items()}

    held, chosen = [False] * len(rows), []
    for j in range(folds):
        train = [i for i in range(len(rows)) if fold[i] != j]
        best = max(settings, key=lambda s: (rate(train, table[s])[0], -settings.index(s)))
        chosen.append(best)
        for i in range(len(rows)):
            if fold[i] == j:
                held[i] = table[best][i]
    every = range(len(rows))
    return rate(every, table[settings[0]]), rate(every, held), chosen


def main() -> int:
    import qa
    from qa.answers.answer import AnswerSettings
    from qa.answers.calibration import load_calibration
    from qa.evaluation.goldsets import gold_set, open_gold_retriever, questions_in
    from qa.reader.sentences import load_scorer

    cal = load_calibration()
    assert REORDERS[0] == (cal.rerank.sentences, cal.rerank.weight, 0), "the grid's first setting is the shipped one"
    settings = AnswerSettings(calibration=replace(cal, linear_refusal=False, ensemble=False), abstain_threshold=0.0)
    rows = []
    for name in ("home", "real"):
        g = gold_set(name)
        retriever = open_gold_retriever(g)
        index = qa.Index(retriever)
        for q in (q for q in questions_in(g, "tune") if q.answerable):
            rows.append({"set": name, "group": f"{name}:{q.docs[0] if q.docs else q.id}",
                         "cands": candidates(retriever, index, q, settings),
                         "passages": passages(retriever, load_scorer(), q, cal.rerank.depth)})
    pick = {c: [pick_hit(r["cands"], c, cal) for r in rows] for c in PICK_WEIGHTS}
    reorder = {s: [reorder_hit(r["passages"], s, cal.passages) for r in rows] for s in REORDERS}
    for label, table in (("pick: answer hit rate, cosine weight", pick),
                         ("reorder: a passage read holds the answer, (sentences judged, rank weight, cosine weight)",
                          reorder)):
        shipped, held, chosen = cross_validated(rows, table)
        best = max(table, key=lambda s: cross_validated(rows, {s: table[s]})[0][0])
        print(f"{label}\n  shipped {shipped}\n  best in sample {best}: {cross_validated(rows, {best: table[best]})[0]}"
              f"\n  cross-validated {held}, chosen per fold {chosen}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
