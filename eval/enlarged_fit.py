"""The calibration fit on an enlarged tuning set: the gold sets' tuning splits and the written
training questions (eval/train_questions.jsonl, on the real set's tuning documents) as more
real-set questions, so that two sentence scorers can be told apart on 376 answerable questions
instead of 136 (issue 21). Prints the fit's figures and the hit rate of each part at the setting
chosen, for the scorer QA_SENTENCES names (default: the packaged one).

    HF_HUB_OFFLINE=1 python eval/enlarged_fit.py
    QA_SENTENCES=/tmp/s10/sentences.onnx HF_HUB_OFFLINE=1 python eval/enlarged_fit.py

About 8 minutes a scorer on two cores (rows cached in eval/cache).
"""

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)
from qa.cli.fit import tuning_questions  # noqa: E402
from qa.evaluation.calibrate import RERANKS, WINDOWS, collect_reads, fit_calibration, key  # noqa: E402
from qa.evaluation.gold import load_gold  # noqa: E402
from qa.evaluation.goldsets import gold_set, open_gold_retriever  # noqa: E402
from qa.reader.model import load_reader  # noqa: E402
from qa.reader.sentences import load_scorer  # noqa: E402
import numpy as np  # noqa: E402

t = time.time()
scorer = load_scorer()
reader = load_reader()
tuning = tuning_questions(["home", "real"])
train = load_gold(Path("eval/train_questions.jsonl"))
cache = Path("eval/cache")
by_window = {w: [] for w in WINDOWS}
parts = {}
for name, qs, tag in (("home", tuning["home"], "home"), ("real", tuning["real"], "real"), ("real", train, "train")):
    r = open_gold_retriever(gold_set(name))
    for w in WINDOWS:
        print(f"reading {tag} (windows of {w})", file=sys.stderr, flush=True)
        rows = collect_reads(name, r, reader, qs, cache, w, scorer=scorer, reranks=RERANKS)
        by_window[w] += rows
        parts.setdefault(w, {})[tag] = rows
cal, about = fit_calibration(by_window)
k = key(cal.passages, cal.rank_weight, cal.scorer_weight, cal.every_sentence, cal.rerank, cal.per_window)
sub = {tag: round(float(np.mean([r.pools[k][1] for r in rows if r.answerable])), 4) for tag, rows in parts[cal.window].items()}
keys = ("hit_answerable_mean_of_sets", "refusal_f1_with_linear_refusal", "refusal_f1_alone", "oof_log_loss", "passages", "rerank", "window", "best_hit_by_passages")
out = {"scorer": str(scorer.path), "about": {x: about.get(x) for x in keys}, "hit_by_part_at_chosen": sub, "seconds": round(time.time() - t)}
print(json.dumps(out, default=float))
