"""The Evaluate page section: gold-set metrics for a chosen split and modes, with progress,
the Recall@k chart (k numeric) and per-question rows."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from qa.types import QAError
from qa.web.loading import wait_ready
from qa.web.view import md_escape

MODES = ("bm25", "dense", "hybrid")


def evaluate_controls_ui() -> tuple[str, list[str], bool]:
    """(split, modes, answers too) as chosen on the page."""
    split = st.radio("Questions", ("report", "tune", "all"), horizontal=True, key="eval_split",
                     help="report: the held-out split the README figures come from; tune: used to choose settings")
    modes = st.multiselect("Retrieval modes", MODES, default=list(MODES), key="eval_modes")
    answers = st.checkbox("Answers too (hybrid, as `qa ask`)", value=True, key="eval_answers")
    return split, modes, answers


def recall_frame(curves: dict):
    """Recall@k by mode as a DataFrame indexed by k as a number (so the chart's axis is 1, 3, 5, 10, 20)."""
    import pandas as pd

    frame = pd.DataFrame({mode: {int(k): v for k, v in curve.items()} for mode, curve in curves.items()})
    frame.index.name = "k"
    return frame.sort_index()


def progress_text(done: int, total: int, modes: list[str], answers: bool) -> str:
    """"12/75 questions (bm25, dense, hybrid + answers)" from evaluate_gold's (done, total): each
    question is run through every chosen mode (and answered) before the next one."""
    steps = ", ".join(modes) + (" + answers" if answers else "")
    return f"{done}/{total} questions ({steps})"


def evaluate_ui(loader) -> None:
    gold = Path(os.environ.get("QA_GOLD", "eval/questions.jsonl"))
    split, modes, answers = evaluate_controls_ui()
    if st.button("Run evaluation", disabled=not modes):
        index = wait_ready(loader)
        bar = st.progress(0.0, text="Starting…")

        def progress(done: int, total: int) -> None:
            bar.progress(done / max(total, 1), text=progress_text(done, total, modes, answers))

        try:
            result = index.evaluate(gold, split=split, modes=modes, answers=answers, progress=progress)
        except QAError as exc:
            st.error(md_escape(exc))
            return
        st.session_state["eval"] = (split, result)
    if "eval" not in st.session_state:
        st.caption(f"Gold set: {md_escape(gold)}")
        return
    results_ui(*st.session_state["eval"])


def results_ui(split: str, result) -> None:
    s = result.summary
    st.markdown(f"**{s['questions']} questions ({split} split, {s['answerable']} answerable)**")
    st.dataframe([{"mode": m, **{k: round(v, 3) for k, v in vals.items()}} for m, vals in s["modes"].items()],
                 hide_index=True)
    if "answers" in s:
        a, lat = s["answers"], s["latency_ms"]
        st.dataframe([{**{k: round(v, 3) for k, v in a.items()}, "p50 ms": round(lat["p50"], 1),
                       "mean ms": round(lat["mean"], 1), "p95 ms": round(lat["p95"], 1)}], hide_index=True)
        st.caption("Answer time: `Index.ask` per question (encode, search, answer), timed exactly as `qa eval` "
                   "times it; the first, untimed answer pays the one-off costs. On a shared machine it follows "
                   "the load: compare with `qa eval` run at the same time.")
    st.markdown("Recall@k")
    st.line_chart(recall_frame(result.curves), x_label="k", y_label="recall")
    rows = [{"id": r.id, "outcome": ("right abstention" if r.abstained and not r.answerable else
                                     "MISS: abstained" if r.abstained else
                                     "WRONG: answered" if not r.answerable else "hit" if r.hit else "MISS"),
             **{f"{m} first relevant": r.first_relevant.get(m) for m in s["modes"]}, "answer": r.answer}
            for r in result.rows]
    if not rows:
        return
    only_misses = st.checkbox("Show misses only")
    shown = [r for r in rows if not only_misses or r["outcome"] not in ("hit", "right abstention")]

    def colour(row):
        bad = row["outcome"] not in ("hit", "right abstention")
        return ["background-color: #ffe0e0" if bad else ""] * len(row)

    import pandas as pd

    frame = pd.DataFrame(shown)
    st.dataframe(frame.style.apply(colour, axis=1) if len(frame) else frame, hide_index=True, width="stretch")
