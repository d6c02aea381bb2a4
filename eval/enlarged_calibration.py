"""The calibration fit on the gold tuning questions alone against one fit on them and the written
training questions (eval/train_questions.jsonl), judged on the gold tuning questions out of fold
(document folds), at the shipped settings and scorer (issue 21): log loss, ECE, refusal F1 with
the threshold each fit chooses on its own rows.

    HF_HUB_OFFLINE=1 python eval/enlarged_calibration.py     # after eval/enlarged_fit.py (rows cached)
"""
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)   # the gold sets' paths are relative to the checkout
import numpy as np  # noqa: E402

from enlarged_fit import read_parts  # noqa: E402


def main() -> None:
    from qa.answers.calibration import load_calibration
    from qa.evaluation.answer_metrics import expected_calibration_error
    from qa.evaluation.calibrate import L2S, _xy, calibration_key, linear_refusals, out_of_fold
    from qa.evaluation.refusal import MAX_WRONG_REFUSALS, _best_refusal, log_loss, refusal_f1
    from qa.reader.model import load_reader
    from qa.reader.sentences import load_scorer

    cal = load_calibration()
    rows = read_parts(cal.window, load_scorer(), load_reader())
    k = calibration_key(cal)
    gold = rows["home"] + rows["real"]
    y, ans = _xy(gold, k)[1], np.array([r.answerable for r in gold])
    out = {}
    for label, fit_rows in (("gold only", gold), ("gold + training questions", gold + rows["train"])):
        # as fit_calibration chooses: the L2 weight by out-of-fold log loss, then the threshold (and
        # whether the linear refusals stand) on every row fit; judged on the gold rows only
        l2 = min(L2S, key=lambda w: log_loss(out_of_fold(fit_rows, k, w), _xy(fit_rows, k)[1]))
        p_all = out_of_fold(fit_rows, k, l2)
        ans_all, lin_all = np.array([r.answerable for r in fit_rows]), linear_refusals(fit_rows)
        f1a, ta = _best_refusal(p_all, ans_all, MAX_WRONG_REFUSALS)
        f1b, tb = _best_refusal(p_all, ans_all, MAX_WRONG_REFUSALS, lin_all)
        use_lin = f1b > f1a + 1e-9
        p, t = p_all[:len(gold)], tb if use_lin else ta
        refused = (p < t) | (lin_all[:len(gold)] & use_lin)
        out[label] = {"l2": l2, "log_loss_gold": round(log_loss(p, y), 4),
                      "ece_gold": round(expected_calibration_error(p, y.astype(bool)), 4),
                      "threshold": t, "linear_refusal": bool(use_lin), "refusal_f1_gold": round(refusal_f1(refused, ans), 4),
                      "answerable_refused_gold": round(float((refused & ans).sum() / ans.sum()), 4), "rows": len(fit_rows)}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
