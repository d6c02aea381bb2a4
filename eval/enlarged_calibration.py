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
os.chdir(ROOT)
import numpy as np  # noqa: E402
from qa.answers.calibration import load_calibration  # noqa: E402
from qa.cli.fit import tuning_questions  # noqa: E402
from qa.evaluation.calibrate import RERANKS, L2S, collect_reads, key, out_of_fold, _xy  # noqa: E402
from qa.evaluation.gold import load_gold  # noqa: E402
from qa.evaluation.goldsets import gold_set, open_gold_retriever  # noqa: E402
from qa.evaluation.refusal import MAX_WRONG_REFUSALS, _best_refusal, log_loss, refusal_f1  # noqa: E402
from qa.evaluation.answer_metrics import expected_calibration_error  # noqa: E402
from qa.reader.model import load_reader  # noqa: E402
from qa.reader.sentences import load_scorer  # noqa: E402
cal = load_calibration()
scorer, reader = load_scorer(), load_reader()
tuning = tuning_questions(["home", "real"])
train = load_gold(Path("eval/train_questions.jsonl"))
rows = {}
for name, qs, tag in (("home", tuning["home"], "home"), ("real", tuning["real"], "real"), ("real", train, "train")):
    rows[tag] = collect_reads(name, open_gold_retriever(gold_set(name)), reader, qs, Path("eval/cache"), cal.window, scorer=scorer, reranks=RERANKS)
k = key(cal.passages, cal.rank_weight, cal.scorer_weight, cal.every_sentence, cal.rerank, cal.per_window)
gold = rows["home"] + rows["real"]
out = {}
for label, fit_rows in (("gold only", gold), ("gold + training questions", gold + rows["train"])):
    losses = {l2: log_loss(out_of_fold(fit_rows, k, l2), _xy(fit_rows, k)[1]) for l2 in L2S}
    l2 = min(losses, key=losses.get)
    p_all = out_of_fold(fit_rows, k, l2)
    p = p_all[:len(gold)]
    y = _xy(gold, k)[1]
    ans_all = np.array([r.answerable for r in fit_rows]); ans = ans_all[:len(gold)]
    lin_all = np.array([len(r.linear) > 2 and bool(r.linear[2]) for r in fit_rows])
    f1a, ta = _best_refusal(p_all, ans_all, MAX_WRONG_REFUSALS)
    f1b, tb = _best_refusal(p_all, ans_all, MAX_WRONG_REFUSALS, lin_all)
    use_lin = f1b > f1a + 1e-9
    t = tb if use_lin else ta
    refused = (p < t) | (lin_all[:len(gold)] if use_lin else False)
    out[label] = {"l2": l2, "log_loss_gold": round(log_loss(p, y), 4), "ece_gold": round(expected_calibration_error(p, y.astype(bool)), 4),
                  "threshold": t, "linear_refusal": bool(use_lin), "refusal_f1_gold": round(refusal_f1(refused, ans), 4),
                  "answerable_refused_gold": round(float((refused & ans).sum() / ans.sum()), 4),
                  "rows": len(fit_rows)}
print(json.dumps(out, indent=1))
