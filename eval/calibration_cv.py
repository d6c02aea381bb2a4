"""Ways to fit the confidence, compared out of fold on the tuning splits (issue 21: ECE).

The answers are those of the shipped calibration's settings (passages, weights, reordering), read
once by ``qa fit-answers`` (its row cache in eval/cache is reused; a cold run reads again). For
each way of fitting P(right) the out-of-fold probabilities (folds by document, as the fit's) give:
log loss, the ECE of each set's answers shown (the shipped threshold's rule: the best refusal F1
with at most MAX_WRONG_REFUSALS answerable questions refused) and that refusal F1.

``first`` (tried 2026-12-07): the sentence scorer's best logit over every sentence of retrieval's
first passage (before the reordering). As a score for "the question is answerable" it separates
better than ``sentence_top`` (AUC printed); it is tried as a twelfth feature of P(right), and as
the input of a separate answerability model whose own threshold does the refusing.

    HF_HUB_OFFLINE=1 python eval/calibration_cv.py [--sentences PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sentences", default=None, help="sentence scorer to read with (default: the shipped one)")
    ap.add_argument("--calibration", default=None, help="calibration whose settings to read (default: shipped)")
    args = ap.parse_args()
    if args.sentences:
        os.environ["QA_SENTENCES"] = args.sentences

    from qa.answers.calibration import CALIBRATION_PATH, Calibration
    from qa.answers.reading import READER_FEATURES
    from qa.evaluation.answer_metrics import expected_calibration_error
    from qa.evaluation.calibrate import FOLDS, L2S, RERANKS, _xy, calibration_key, collect_reads, linear_refusals
    from qa.evaluation.gold import load_gold
    from qa.evaluation.goldsets import gold_set, open_gold_retriever
    from qa.evaluation.logistic import fit_linear
    from qa.evaluation.refusal import MAX_WRONG_REFUSALS, _best_refusal, log_loss
    from qa.reader.model import load_reader
    from qa.reader.sentences import load_scorer

    cal = Calibration.from_json(json.loads(Path(args.calibration or CALIBRATION_PATH).read_text(encoding="utf-8")))
    reader, scorer = load_reader(), load_scorer()
    rows, first = [], {}
    for name in ("home", "real"):
        g = gold_set(name)
        tune = [q for q in load_gold(g.questions) if q.split == "tune"]
        rows += collect_reads(name, open_gold_retriever(g), reader, tune, ROOT / "eval" / "cache", cal.window,
                              scorer=scorer, reranks=RERANKS)
        first.update(first_passage_logits(name, open_gold_retriever(g), scorer, tune))
    k = calibration_key(cal)
    x, y = _xy(rows, k)
    sets = np.array([r.gold_set for r in rows])
    answerable = np.array([r.answerable for r in rows])
    lin_refuses = linear_refusals(rows)
    groups = sorted({r.group for r in rows})
    fold_of = {g: i % FOLDS for i, g in enumerate(groups)}
    fold = np.array([fold_of[r.group] for r in rows])
    balanced = np.array([len(rows) / (2 * (sets == s).sum()) for s in sets])

    def oof(cols: list[int], l2: float, weight: np.ndarray | None) -> np.ndarray:
        out = np.zeros(len(rows))
        for f in range(FOLDS):
            tr, te = fold != f, fold == f
            m = fit_linear(tuple(READER_FEATURES[c] for c in cols), x[tr][:, cols], y[tr], l2,
                           None if weight is None else weight[tr])
            out[te] = m.probabilities(x[te][:, cols])
        return out

    def figures(p: np.ndarray) -> dict:
        f1, t = _best_refusal(p, answerable, MAX_WRONG_REFUSALS, lin_refuses if cal.linear_refusal else None)
        shown = ~((p < t) | (lin_refuses if cal.linear_refusal else False))
        ece = {s: round(expected_calibration_error(p[shown & (sets == s)], (y > 0)[shown & (sets == s)]), 4)
               for s in ("home", "real")}
        return {"log_loss": round(log_loss(p, y), 4), "ece_home": ece["home"], "ece_real": ece["real"],
                "refusal_f1": round(f1, 4), "threshold": round(t, 4),
                "mean_p_home": round(float(p[shown & (sets == "home")].mean()), 3),
                "hit_home": round(float(y[shown & (sets == "home")].mean()), 3),
                "mean_p_real": round(float(p[shown & (sets == "real")].mean()), 3),
                "hit_real": round(float(y[shown & (sets == "real")].mean()), 3)}

    every = list(range(len(READER_FEATURES)))
    name = {n: i for i, n in enumerate(READER_FEATURES)}
    variants = {
        "all features (shipped)": every,
        "scorer + reader + rank": [name[n] for n in ("span_null", "sentence", "sentence_top", "rank", "margin")],
        "scorer only": [name[n] for n in ("sentence", "sentence_top")],
        "no topic/rare_top": [i for i in every if READER_FEATURES[i] not in ("topic", "rare_top")],
    }
    print(f"key {k}: {len(rows)} questions, home {int((sets == 'home').sum())}, real {int((sets == 'real').sum())}")
    for vname, cols in variants.items():
        for wname, w in (("rows", None), ("sets balanced", balanced)):
            best = min(L2S, key=lambda l2: log_loss(oof(cols, l2, w), y))
            print(json.dumps({"features": vname, "weights": wname, "l2": best, **figures(oof(cols, best, w))}))

    # the first passage's best logit: how well it tells answerable questions, as a feature of
    # P(right), and as the one input of an answerability model that refuses by its own threshold
    fp = np.array([first[(r.gold_set, r.id)] for r in rows])
    top = x[:, READER_FEATURES.index("sentence_top")]
    print(json.dumps({"answerable_auc": {"sentence_top": round(auc(top, answerable), 4), "first": round(auc(fp, answerable), 4)},
                      "hit_auc": {"sentence_top": round(auc(top, y > 0), 4), "first": round(auc(fp, y > 0), 4)}}))
    xf = np.c_[x, fp]

    def oof_of(features: np.ndarray, target: np.ndarray, l2: float) -> np.ndarray:
        out = np.zeros(len(rows))
        for f in range(FOLDS):
            tr, te = fold != f, fold == f
            names = tuple(f"x{i}" for i in range(features.shape[1]))
            out[te] = fit_linear(names, features[tr], target[tr], l2).probabilities(features[te])
        return out

    best = min(L2S, key=lambda l2: log_loss(oof_of(xf, y, l2), y))
    shipped_best = min(L2S, key=lambda l2: log_loss(oof(every, l2, None), y))
    loss = lambda p: -(y * np.log(np.clip(p, 1e-12, 1)) + (1 - y) * np.log(np.clip(1 - p, 1e-12, 1)))
    diff = loss(oof_of(xf, y, best)) - loss(oof(every, shipped_best, None))
    print(json.dumps({"features": "all + first", "weights": "rows", "l2": best, **figures(oof_of(xf, y, best)),
                      "log_loss_paired_difference": round(float(diff.mean()), 4),
                      "standard_error": round(float(diff.std(ddof=1) / np.sqrt(len(diff))), 4)}))
    for name, cols in (("first", fp[:, None]), ("first + sentence_top", np.c_[fp, top]), ("every feature + first", xf),
                       ("every feature", x)):
        for l2 in (1.0, 10.0):
            pa = oof_of(cols, answerable.astype(float), l2)
            row = {"answerability model": name, "l2": l2, "auc": round(auc(pa, answerable), 4)}
            for label, also in (("alone", None), ("with the linear refusal", lin_refuses)):
                f1, t = _best_refusal(pa, answerable, MAX_WRONG_REFUSALS, also)
                refused = (pa < t) | (False if also is None else also)
                row[label] = {"refusal_f1": round(f1, 4), "refused_unanswerable": int((refused & ~answerable).sum()),
                              "refused": int(refused.sum()), "unanswerable": int((~answerable).sum())}
            print(json.dumps(row))
    return 0


def auc(score: np.ndarray, positive: np.ndarray) -> float:
    """The probability that a positive scores above a negative (ties: half)."""
    pos, neg = score[positive], score[~positive]
    return float(((pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])).mean())


def first_passage_logits(name: str, retriever, scorer, questions) -> dict:
    """(set, question id) -> the scorer's best logit over the sentences of retrieval's first passage."""
    from qa.answers.rerank import passage_sentences
    from qa.reader.sentences import Judge
    from qa.retrieval.retriever import SearchSettings

    out = {}
    for q in questions:
        qvec = retriever.encode(q.question)
        hits = retriever.search(q.question, SearchSettings(k=1), query_vector=qvec)[:1]
        chunks = [h.chunk for h in hits]
        texts, _ = passage_sentences(hits, retriever.sentence_vectors(chunks), retriever.passage_vectors(chunks), qvec)
        out[(name, q.id)] = max(Judge(scorer, q.question)(texts[0])) if texts else -1e4
    return out


if __name__ == "__main__":
    raise SystemExit(main())
