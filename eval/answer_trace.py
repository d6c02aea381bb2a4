"""Where answers are lost: each answerable gold question's answer traced back through the stages.

For every answerable question of a gold set's split the shipped answer stage runs twice through
the real pipeline: as shipped (does it refuse?) and with refusal off (the quote it would give).
The question then lands in the first stage that lost its answer:

- ``hit``: the quote holds a gold answer (``refused`` beside it when the shipped stage refused);
- ``picked wrong``: a passage read holds a gold answer, the quote chosen does not;
- ``not read``: a gold answer is in the top ``DEPTH`` passages (after the reordering) but not
  among the passages read;
- ``not retrieved``: no passage of the top ``DEPTH`` holds one (the answer is split across
  passages, or retrieval missed it);
- ``no span``: the reader proposed nothing.

A passage "holds" a gold answer by the same test as a hit (qa.evaluation.answer_metrics.is_hit).

    HF_HUB_OFFLINE=1 .venv/bin/python eval/answer_trace.py real home          # tuning splits
    HF_HUB_OFFLINE=1 .venv/bin/python eval/answer_trace.py real:report --list # reporting, each miss
    HF_HUB_OFFLINE=1 .venv/bin/python eval/answer_trace.py train --list       # the written training
                                                                                # questions (real index)

Reports on the tuning splits steer the work; a reporting split is only read to report.
An experiment, not part of the package.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEPTH = 20
STAGES = ("hit", "hit, refused", "picked wrong", "not read", "not retrieved", "no span")


def stage_of(quote: str | None, refused: bool, passages: list[str], read: int, answers) -> str:
    """The stage that lost the answer (STAGES) for the quote given with refusal off (None: no
    span), whether the shipped stage refused, the passages' texts in the order read (``read``
    of them read) and the gold answers."""
    from qa.evaluation.answer_metrics import is_hit

    if quote is not None and is_hit(quote, answers):
        return "hit, refused" if refused else "hit"
    where = next((i for i, text in enumerate(passages) if is_hit(text, answers)), None)
    if quote is None:
        return "no span"
    if where is None:
        return "not retrieved"
    return "picked wrong" if where < read else "not read"


def trace(name: str, split: str, listing: bool) -> Counter:
    import qa
    from qa.answers.answer import AnswerSettings
    from qa.answers.calibration import load_calibration
    from qa.evaluation.goldsets import gold_set, open_gold_retriever, questions_in

    from qa.evaluation.gold import load_gold

    g = gold_set("real" if name == "train" else name)
    index = qa.Index(open_gold_retriever(g))
    cal = load_calibration()
    shipped = AnswerSettings(calibration=cal)
    open_ = AnswerSettings(calibration=replace(cal, linear_refusal=False, ensemble=False), abstain_threshold=0.0)
    asked = load_gold(ROOT / "eval" / "train_questions.jsonl") if name == "train" else questions_in(g, split)
    questions = [q for q in asked if q.answerable]
    counts: Counter = Counter()
    for q in questions:
        refused = index.ask(q.question, answer_settings=shipped).abstained
        ans = index.ask(q.question, k=DEPTH, answer_settings=open_)
        quote = ans.answer.text if ans.answer else None
        stage = stage_of(quote, refused, [h.chunk.text for h in ans.passages], shipped.passages, q.answers)
        counts[stage] += 1
        if listing and stage != "hit":
            print(f"  {q.id} [{stage}] {q.question}\n      quote: {(quote or '')[:150]!r}")
    total = len(questions)
    label = name if name == "train" else f"{name}:{split}"
    print(f"{label}: {total} answerable questions, {cal.passages} passages read of the top {DEPTH}")
    for s in STAGES:
        print(f"  {s:14} {counts[s]:4d}  {counts[s] / max(total, 1):.3f}")
    return counts


def main(argv: list[str]) -> None:
    listing = "--list" in argv
    for which in [a for a in argv if not a.startswith("--")] or ["real", "home"]:
        name, _, split = which.partition(":")
        trace(name, split or "tune", listing)


if __name__ == "__main__":
    main(sys.argv[1:])
