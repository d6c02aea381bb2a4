"""The shipped calibration on the written training questions (eval/train_questions.jsonl), which
chose none of its settings: refusal precision and recall, the share of answerable questions
refused (and how many by the linear scorer's refusals only), hit rate and ECE of what is answered.
``--no-linear-refusal``: the same without the linear scorer's refusals (issue 21).

    HF_HUB_OFFLINE=1 python eval/shipped_on_train.py [--no-linear-refusal]
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
    from qa.evaluation.calibrate import _xy, calibration_key, linear_refusals
    from qa.evaluation.refusal import refusal_f1
    from qa.reader.model import load_reader
    from qa.reader.sentences import load_scorer

    cal = load_calibration()
    rows = read_parts(cal.window, load_scorer(), load_reader())["train"]
    x, y = _xy(rows, calibration_key(cal))
    p = cal.model.probabilities(x)
    ans, lin = np.array([r.answerable for r in rows]), linear_refusals(rows)
    by_p = p < cal.threshold
    refused = by_p | (lin & (cal.linear_refusal and "--no-linear-refusal" not in sys.argv))
    print(json.dumps({"answerable": int(ans.sum()), "unanswerable": int((~ans).sum()),
                      "refused_answerable_share": round(float((refused & ans).sum() / ans.sum()), 3),
                      "of_them_by_linear_only": int((lin & ~by_p & ans).sum()), "by_confidence": int((by_p & ans).sum()),
                      "refusal_precision": round(float((refused & ~ans).sum() / max(refused.sum(), 1)), 3),
                      "refusal_recall": round(float((refused & ~ans).sum() / (~ans).sum()), 3),
                      "refusal_f1": round(refusal_f1(refused, ans), 3),
                      "hit_answerable_not_refused": round(float(y[ans & ~refused].mean()), 3),
                      "ece_answered": round(expected_calibration_error(p[~refused], y[~refused].astype(bool)), 3)}))


if __name__ == "__main__":
    main()
