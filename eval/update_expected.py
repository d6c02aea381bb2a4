"""Record the gold-set figures that tests/test_quality_floors.py holds: eval/expected.json.

Usage: python eval/update_expected.py [--index index] [--questions eval/questions.jsonl]

Runs both splits of the gold set through the real pipeline (the index must be fresh: `qa ingest`)
and writes every retrieval and answer figure, rounded to 4 places. Run it only with the change
that moves the figures, say why in the commit, and update the README's evaluation tables.
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


def figures(summary: dict) -> dict:
    """The held figures of one split: question counts, per-mode retrieval, answers (no latency)."""
    return {"questions": summary["questions"], "answerable": summary["answerable"],
            "modes": {m: {k: round(v, 4) for k, v in vals.items()} for m, vals in summary["modes"].items()},
            "answers": {k: round(v, 4) for k, v in summary["answers"].items()}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", default=str(ROOT / "index"))
    parser.add_argument("--questions", default=str(ROOT / "eval" / "questions.jsonl"))
    args = parser.parse_args()
    index = qa.open_index(args.index)
    out = {
        "about": "Figures of `qa eval --split SPLIT --json` that tests/test_quality_floors.py holds; "
                 "written by eval/update_expected.py. A figure may move at most `margin` either way "
                 "(calibration_error: lower is better) before the test fails.",
        "margin": MARGIN,
        "lower_is_better": ["calibration_error"],
        "splits": {split: figures(index.evaluate(args.questions, split=split).summary) for split in ("tune", "report")},
    }
    path = ROOT / "eval" / "expected.json"
    path.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
