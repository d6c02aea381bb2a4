"""Record the gold-set figures that tests/test_quality_floors.py holds: eval/expected.json.

Usage: python eval/update_expected.py [--index index] [--stage linear]

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
    parser.add_argument("--stage", choices=("reader", "linear"), default="reader",
                        help="linear: record the earlier linear scorer on the same questions and retrieval "
                             "(eval/expected-linear.json, the side-by-side table) instead")
    args = parser.parse_args()
    from qa.answers.answer import AnswerSettings

    answer_settings = AnswerSettings(stage=args.stage)
    index = qa.build_index(ROOT / "corpus", args.index, if_stale=True)
    record = {}
    for name in SETS:
        record[name] = {}
        for split in SPLITS:
            print(f"{name}, {split} split ...", file=sys.stderr)
            result = qa.evaluate_gold_set(name, split=split, index=index, root=ROOT, answer_settings=answer_settings)
            record[name][split] = figures(result.summary)
    out = {
        "about": "Figures of `qa eval --json` (set, then split) that tests/test_quality_floors.py holds; "
                 "written by eval/update_expected.py. A figure may move at most `margin` either way "
                 "(calibration_error: lower is better) before the test fails.",
        "margin": MARGIN,
        "lower_is_better": ["calibration_error"],
        "sets": record,
    }
    if args.stage == "linear":
        out["about"] = ("The earlier linear scorer's figures (`qa eval --stage linear --json`) on the same questions "
                        "and retrieval as eval/expected.json; written by eval/update_expected.py --stage linear.")
    path = ROOT / "eval" / ("expected-linear.json" if args.stage == "linear" else "expected.json")
    path.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path}")
    record = json.loads((ROOT / "eval" / "expected.json").read_text(encoding="utf-8"))["sets"]
    write_tables(ROOT / "docs" / "evaluation.md", record)
    print(f"rewrote the figure tables of {ROOT / 'docs' / 'evaluation.md'}")
    return 0


MODE_KEYS = ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10", "paraphrased_recall@5")
ANSWER_KEYS = ("hit_rate", "paraphrased_hit_rate", "short_answer_right", "cited_page_right", "citation_precision",
               "abstain_precision", "abstain_recall", "calibration_error", "calibration_error_by_chance")
SIDE_KEYS = ("hit_rate", "paraphrased_hit_rate", "short_answer_right", "abstain_precision", "abstain_recall",
             "calibration_error")
LINEAR = ROOT / "eval" / "expected-linear.json"   # the linear scorer's record (same questions and retrieval)


def _cell(v) -> str:
    return "–" if v is None else f"{v:.3f}"


def tables(record: dict, linear: dict | None) -> dict[str, list[str]]:
    """The Markdown rows of the retrieval, answer and side-by-side tables of ``record``."""
    order = [(n, sp) for n in SETS for sp in ("report", "tune")]
    modes = [f"| {n} | {sp} | {m} | " + " | ".join(_cell(record[n][sp]["modes"][m].get(k)) for k in MODE_KEYS) + " |"
             for n, sp in order for m in ("bm25", "dense", "hybrid", "rerank")]
    answers = [f"| {n} | {sp} | " + " | ".join(_cell(record[n][sp]["answers"].get(k)) for k in ANSWER_KEYS) + " |"
               for n, sp in order]
    side = []
    if linear:
        for n, sp in order:
            for stage, rec in (("linear", linear[n][sp]), ("reader", record[n][sp])):
                side.append(f"| {n} | {sp} | {stage} | " + " | ".join(_cell(rec["answers"].get(k)) for k in SIDE_KEYS)
                            + " |")
    return {"retrieval": modes, "answers": answers, "side": side}


def replace_table(text: str, after: str, rows: list[str]) -> str:
    """``text`` with the body rows of the first Markdown table after the line starting ``after``
    replaced by ``rows`` (its header and rule kept)."""
    lines = text.split("\n")
    i = next(n for n, line in enumerate(lines) if line.startswith(after))
    head = next(n for n in range(i, len(lines)) if lines[n].startswith("|"))
    end = head + 2
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    return "\n".join(lines[: head + 2] + rows + lines[end:])


def write_tables(doc: Path, record: dict) -> None:
    linear = json.loads(LINEAR.read_text(encoding="utf-8"))["sets"] if LINEAR.is_file() else None
    t = tables(record, linear)
    text = doc.read_text(encoding="utf-8")
    text = replace_table(text, "### Retrieval", t["retrieval"])
    text = replace_table(text, "### Answers", t["answers"])
    if t["side"]:
        text = replace_table(text, "### The reader beside the linear scorer", t["side"])
    doc.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
