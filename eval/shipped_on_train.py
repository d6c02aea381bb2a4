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
os.chdir(ROOT)
import numpy as np  # noqa: E402
from qa.answers.calibration import load_calibration  # noqa: E402
from qa.evaluation.calibrate import RERANKS, collect_reads, key, _xy  # noqa: E402
from qa.evaluation.gold import load_gold  # noqa: E402
from qa.evaluation.goldsets import gold_set, open_gold_retriever  # noqa: E402
from qa.evaluation.refusal import refusal_f1  # noqa: E402
from qa.evaluation.answer_metrics import expected_calibration_error  # noqa: E402
from qa.reader.model import load_reader  # noqa: E402
from qa.reader.sentences import load_scorer  # noqa: E402
cal = load_calibration()
train = load_gold(Path("eval/train_questions.jsonl"))
rows = collect_reads("real", open_gold_retriever(gold_set("real")), load_reader(), train, Path("eval/cache"), cal.window, scorer=load_scorer(), reranks=RERANKS)
k = key(cal.passages, cal.rank_weight, cal.scorer_weight, cal.every_sentence, cal.rerank, cal.per_window)
x, y = _xy(rows, k)
p = cal.model.probabilities(x)
ans = np.array([r.answerable for r in rows])
lin = np.array([len(r.linear) > 2 and bool(r.linear[2]) for r in rows])
by_p = p < cal.threshold
refused = by_p | (lin if cal.linear_refusal and "--no-linear-refusal" not in sys.argv else False)
prec = (refused & ~ans).sum() / max(refused.sum(), 1)
rec = (refused & ~ans).sum() / (~ans).sum()
print(json.dumps({"answerable": int(ans.sum()), "unanswerable": int((~ans).sum()),
  "refused_answerable_share": round(float((refused & ans).sum() / ans.sum()), 3),
  "of_them_by_linear_only": int((lin & ~by_p & ans).sum()), "by_confidence": int((by_p & ans).sum()),
  "refusal_precision": round(float(prec), 3), "refusal_recall": round(float(rec), 3), "refusal_f1": round(refusal_f1(refused, ans), 3),
  "hit_answerable_not_refused": round(float(y[ans & ~refused].mean()), 3),
  "ece_answered": round(expected_calibration_error(p[~refused], y[~refused].astype(bool)), 3)}))
