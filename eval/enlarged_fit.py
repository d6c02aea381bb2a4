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
os.chdir(ROOT)   # the gold sets' paths are relative to the checkout
import numpy as np  # noqa: E402

TRAIN_QUESTIONS = ROOT / "eval" / "train_questions.jsonl"
PARTS = (("home", "home"), ("real", "real"), ("train", "real"))   # part, the gold set whose index it asks


def read_parts(window: int, scorer, reader) -> dict[str, list]:
    """part -> its ReadRows (windows of ``window``): the home and real tuning splits and the
    written training questions, asked of the real set's index (rows cached in eval/cache)."""
    from qa.cli.fit import tuning_questions
    from qa.evaluation.calibrate import RERANKS, collect_reads
    from qa.evaluation.gold import load_gold
    from qa.evaluation.goldsets import gold_set, open_gold_retriever

    questions = tuning_questions(["home", "real"]) | {"train": load_gold(TRAIN_QUESTIONS)}
    out = {}
    for part, name in PARTS:
        print(f"reading {part} (windows of {window})", file=sys.stderr, flush=True)
        out[part] = collect_reads(name, open_gold_retriever(gold_set(name)), reader, questions[part], ROOT / "eval/cache",
                                  window, scorer=scorer, reranks=RERANKS)
    return out


def main() -> None:
    from qa.evaluation.calibrate import WINDOWS, calibration_key, fit_calibration
    from qa.reader.model import load_reader
    from qa.reader.sentences import load_scorer

    t = time.time()
    scorer, reader = load_scorer(), load_reader()
    parts = {w: read_parts(w, scorer, reader) for w in WINDOWS}
    cal, about = fit_calibration({w: [r for rows in p.values() for r in rows] for w, p in parts.items()})
    k = calibration_key(cal)
    sub = {part: round(float(np.mean([r.pools[k][1] for r in rows if r.answerable])), 4)
           for part, rows in parts[cal.window].items()}
    keys = ("hit_answerable_mean_of_sets", "refusal_f1_with_linear_refusal", "refusal_f1_alone", "oof_log_loss", "passages",
            "rerank", "window", "best_hit_by_passages")
    print(json.dumps({"scorer": str(scorer.path), "about": {x: about.get(x) for x in keys}, "hit_by_part_at_chosen": sub,
                      "seconds": round(time.time() - t)}, default=float))


if __name__ == "__main__":
    main()
