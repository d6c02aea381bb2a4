"""Ways to fit the confidence, compared out of fold on the tuning splits (issue 21: ECE).

The answers are those of the shipped calibration's settings (passages, weights, reordering), read
once by ``qa fit-answers`` (its row cache in eval/cache is reused; a cold run reads again). For
each way of fitting P(right) the out-of-fold probabilities (folds by document, as the fit's) give:
log loss, the ECE of each set's answers shown (the shipped threshold's rule: the best refusal F1
with at most MAX_WRONG_REFUSALS answerable questions refused) and that refusal F1.

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
    from qa.evaluation.calibrate import FOLDS, L2S, RERANKS, _xy, collect_reads, key
    from qa.evaluation.gold import load_gold
    from qa.evaluation.goldsets import gold_set, open_gold_retriever
    from qa.evaluation.logistic import fit_linear
    from qa.evaluation.refusal import MAX_WRONG_REFUSALS, _best_refusal, log_loss
    from qa.reader.model import load_reader
    from qa.reader.sentences import load_scorer

    cal = Calibration.from_json(json.loads(Path(args.calibration or CALIBRATION_PATH).read_text(encoding="utf-8")))
    reader, scorer = load_reader(), load_scorer()
    rows = []
    for name in ("home", "real"):
        g = gold_set(name)
        tune = [q for q in load_gold(g.questions) if q.split == "tune"]
        rows += collect_reads(name, open_gold_retriever(g), reader, tune, ROOT / "eval" / "cache", cal.window,
                              scorer=scorer, reranks=RERANKS)
    k = key(cal.passages, cal.rank_weight, cal.scorer_weight, cal.every_sentence, cal.rerank, cal.per_window)
    x, y = _xy(rows, k)
    sets = np.array([r.gold_set for r in rows])
    answerable = np.array([r.answerable for r in rows])
    lin_refuses = np.array([len(r.linear) > 2 and bool(r.linear[2]) for r in rows])
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
