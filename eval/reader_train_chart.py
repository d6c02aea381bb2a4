"""Draws the reader's training logs: loss and dev EM / F1 over windows seen, one run after another
(each later one continued from the one before with `qa train-reader --init`). The default is the
shipped reader's lineage: runs 1, 2 and 4 (run 3 was not shipped, and run 4 started from run 2).

    python eval/reader_train_chart.py [--log eval/reader-train-log.csv --log eval/reader-train-log-2.csv ...]
                                      [--out eval/reader-train.png]
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", action="append", help="a run's log, in the order of the runs (repeatable; "
                        "default: the shipped reader's runs, eval/reader-train-log.csv, -2 and -4)")
    parser.add_argument("--out", default=str(ROOT / "eval" / "reader-train.png"))
    args = parser.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    logs = args.log or [str(p) for p in (ROOT / "eval" / n for n in ("reader-train-log.csv", "reader-train-log-2.csv",
                                                                        "reader-train-log-4.csv"))
                        if p.is_file()]
    rows, starts, offset = [], [], 0
    for log in logs:
        with open(log, encoding="utf-8") as f:
            run = list(csv.DictReader(f))
        starts.append(offset)
        for r in run:
            rows.append({**r, "windows": int(r["windows"]) + offset})
        offset = rows[-1]["windows"] if rows else offset
    windows = [int(r["windows"]) for r in rows]
    fig, loss_ax = plt.subplots(figsize=(7, 3.6), dpi=110)
    loss_ax.plot(windows, [float(r["loss"]) for r in rows], color="tab:blue", label="training loss (mean of 50 steps)")
    for start in starts[1:]:
        loss_ax.axvline(start, color="grey", linestyle=":", linewidth=1)
        loss_ax.annotate("continued (--init)", (start, loss_ax.get_ylim()[1]), fontsize=7, ha="left", va="top")
    loss_ax.set_xlabel("training windows seen")
    loss_ax.set_ylabel("loss")
    dev = [r for r in rows if r["dev_f1"]]
    score_ax = loss_ax.twinx()
    score_ax.plot([int(r["windows"]) for r in dev], [float(r["dev_f1"]) for r in dev], "o-", color="tab:green",
                  label="dev F1")
    score_ax.plot([int(r["windows"]) for r in dev], [float(r["dev_em"]) for r in dev], "s--", color="tab:orange",
                  label="dev EM")
    score_ax.set_ylim(0, 1)
    score_ax.set_ylabel("dev EM / F1 (300 questions)")
    lines = loss_ax.get_legend_handles_labels()[0] + score_ax.get_legend_handles_labels()[0]
    labels = loss_ax.get_legend_handles_labels()[1] + score_ax.get_legend_handles_labels()[1]
    loss_ax.legend(lines, labels, loc="center right", fontsize=8)
    loss_ax.set_title("Reader fine-tuning on SQuAD v1.1 (all-MiniLM-L6-v2, CPU)")
    fig.tight_layout()
    fig.savefig(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
