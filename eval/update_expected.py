"""Record the gold-set figures that tests/test_quality_floors.py holds: eval/expected.json.

Usage: python eval/update_expected.py [--index index]

Runs both gold sets (home: corpus/ in --index, refreshed first if stale; real: eval/corpus-real
in eval/cache/real-index, built if missing or stale) on both splits through the real pipeline
and writes every retrieval and answer figure, rounded to 4 places. Run it with the change that
moves the figures (a new answer model, a retrieval change), say why in the commit, and update
the tables of docs/evaluation.md and the README's headline figures (tests/test_readme_figures.py
checks them against this record).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's qa, not another one installed in the environment
import qa  # noqa: E402

MARGIN = 0.02
SETS = ("home", "real")
SPLITS = ("tune", "report")


def figures(summary: dict) -> dict:
    """The held figures of one split: question counts, per-mode retrieval, answers (no latency)."""
    return {"questions": summary["questions"], "answerable": summary["answerable"],
            "modes": {m: {k: round(v, 4) for k, v in vals.items()} for m, vals in summary["modes"].items()},
            "answers": {k: round(v, 4) for k, v in summary["answers"].items()}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", default=str(ROOT / "index"), help="the home corpus's index")
    args = parser.parse_args()
    index = qa.build_index(ROOT / "corpus", args.index, if_stale=True)
    record = {}
    for name in SETS:
        record[name] = {}
        for split in SPLITS:
            print(f"{name}, {split} split ...", file=sys.stderr)
            result = qa.evaluate_gold_set(name, split=split, index=index, root=ROOT)
            record[name][split] = figures(result.summary)
    out = {
        "about": "Figures of `qa eval --json` (set, then split) that tests/test_quality_floors.py holds; "
                 "written by eval/update_expected.py. A figure may move at most `margin` either way "
                 "(calibration_error: lower is better) before the test fails.",
        "margin": MARGIN,
        "lower_is_better": ["calibration_error"],
        "sets": record,
    }
    path = ROOT / "eval" / "expected.json"
    path.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
