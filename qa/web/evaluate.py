"""The Evaluate page section: gold-set metrics, the Recall@k chart and per-question rows."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from qa.types import QAError
from qa.web.view import md_escape


def evaluate_ui(index) -> None:
    from qa.evaluation.gold import evaluate_gold, load_gold

    gold = Path(os.environ.get("QA_GOLD", "eval/questions.jsonl"))
    split = st.radio("Questions", ("report", "tune", "all"), horizontal=True,
                     help="report: the held-out split the README figures come from; tune: used to choose settings")
    if st.button("Run evaluation"):
        try:
            questions = [q for q in load_gold(gold) if split == "all" or q.split == split]
            with st.spinner(f"Evaluating {len(questions)} questions in three modes…"):
                st.session_state["eval"] = (split, evaluate_gold(index.retriever, questions))
        except QAError as exc:
            st.error(md_escape(exc))
            return
    if "eval" not in st.session_state:
        st.caption(f"Gold set: {md_escape(gold)}")
        return
    split, result = st.session_state["eval"]
    s = result.summary
    st.markdown(f"**{s['questions']} questions ({split} split, {s['answerable']} answerable)**")
    st.dataframe([{"mode": m, **{k: round(v, 3) for k, v in vals.items()}} for m, vals in s["modes"].items()],
                 hide_index=True)
    a, lat = s["answers"], s["latency_ms"]
    st.dataframe([{**{k: round(v, 3) for k, v in a.items()}, "mean ms": round(lat["mean"]),
                   "p95 ms": round(lat["p95"])}], hide_index=True)
    st.markdown("Recall@k")
    st.line_chart({mode: {str(k): v for k, v in curve.items()} for mode, curve in result.curves.items()})
    rows = [{"id": r.id, "outcome": ("right abstention" if r.abstained and not r.answerable else
                                     "MISS: abstained" if r.abstained else
                                     "WRONG: answered" if not r.answerable else "hit" if r.hit else "MISS"),
             **{f"{m} first relevant": r.first_relevant.get(m) for m in s["modes"]}, "answer": r.answer}
            for r in result.rows]
    only_misses = st.checkbox("Show misses only")
    shown = [r for r in rows if not only_misses or r["outcome"] not in ("hit", "right abstention")]

    def colour(row):
        bad = row["outcome"] not in ("hit", "right abstention")
        return ["background-color: #ffe0e0" if bad else ""] * len(row)

    import pandas as pd

    frame = pd.DataFrame(shown)
    st.dataframe(frame.style.apply(colour, axis=1) if len(frame) else frame, hide_index=True, use_container_width=True)
