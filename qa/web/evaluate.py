"""The Evaluate page section: the gold sets (home and real documents) side by side for a chosen
split and modes, with progress, the Recall@k chart (k numeric), the reliability of the answers'
confidence and per-question rows; below, the modes compared with significance tests (qa/web/compare.py)."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from qa.evaluation.gold_answers import answer_figures
from qa.types import QAError
from qa.web.compare import compare_ui
from qa.web.loading import wait_ready
from qa.web.view import md_escape

MODES = ("bm25", "dense", "hybrid", "rerank")  # as qa.retrieval.retriever.MODES, without loading it early


def evaluate_controls_ui(custom: str | None = None) -> tuple[list[str], str, list[str], bool]:
    """(gold sets, split, modes, answers too) as chosen on the page; ``custom`` is QA_GOLD's file,
    offered (and chosen by default) beside the named sets."""
    import qa

    titles = dict(qa.gold_sets())
    if custom:
        titles[custom] = "the gold file QA_GOLD names"
    sets = st.multiselect("Gold sets", list(titles), default=[custom or "home"], key="eval_sets",
                          format_func=lambda name: f"{name}: {titles[name]}",
                          help="real: questions on twelve public PDFs outside the home corpus (its index is "
                               "built on first use, a few minutes)")
    split = st.radio("Questions", ("report", "tune", "all"), horizontal=True, key="eval_split",
                     help="report: the held-out split the README figures come from; tune: used to choose settings")
    modes = st.multiselect("Retrieval modes", MODES, default=list(MODES), key="eval_modes")
    answers = st.checkbox("Answers too (hybrid, as `qa ask`)", value=True, key="eval_answers")
    return sets, split, modes, answers


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
    custom = os.environ.get("QA_GOLD")
    sets, split, modes, answers = evaluate_controls_ui(custom)
    if st.button("Run evaluation", disabled=not modes or not sets):
        import qa

        index = wait_ready(loader)
        results = {}
        for name in sets:
            label = f"{md_escape(Path(name).name)}: " if len(sets) > 1 else ""
            bar = st.progress(0.0, text=f"{label}starting…")

            def progress(done: int, total: int, label=label, bar=bar) -> None:
                bar.progress(done / max(total, 1), text=label + progress_text(done, total, modes, answers))

            try:
                if name == custom:
                    results[name] = index.evaluate(Path(custom), split=split, modes=modes, answers=answers,
                                                   progress=progress)
                else:
                    results[name] = qa.evaluate_gold_set(name, split=split, modes=modes, answers=answers,
                                                         progress=progress, index=index)
            except QAError as exc:
                st.error(md_escape(exc))
                return
        st.session_state["eval"] = (split, results)
    if "eval" in st.session_state:
        shown_split, results = st.session_state["eval"]
        if len(results) > 1:
            side_by_side_ui(shown_split, results)
        for name, result in results.items():
            if len(results) > 1:
                st.subheader(md_escape(Path(name).name))
            results_ui(shown_split, result, key=name)
    compare_ui(loader, split, modes)


def side_by_side_rows(results: dict) -> list[dict]:
    """The gold sets side by side, a figure a row and a set a column (the sets' hybrid retrieval
    figures, then their answer figures), so the table reads down rather than scrolls across."""
    rows: dict[str, dict] = {}
    for name, result in results.items():
        s = result.summary
        figures = [("questions", s["questions"])]
        figures += [(f"hybrid {k}", round(v, 3)) for k, v in s["modes"].get("hybrid", {}).items()]
        figures += [(heading, round(v, 3)) for _, heading, v, _ in answer_figures(s)]
        for figure, value in figures:
            rows.setdefault(figure, {"figure": figure})[name] = value
    return list(rows.values())


def side_by_side_ui(split: str, results: dict) -> None:
    """One column per gold set: the hybrid retrieval figures and the answer figures."""
    st.markdown(f"**Side by side ({md_escape(split)} split)**")
    st.dataframe(side_by_side_rows(results), hide_index=True, height="content")


def answer_rows(summary: dict) -> list[dict]:
    """One row per answer figure (its value and what it is measured on), then the answer times."""
    rows = [{"figure": h, "value": round(v, 3), "measured on": on or "–"} for _, h, v, on in answer_figures(summary)]
    lat = summary.get("latency_ms") or {}
    rows += [{"figure": f"answer time {name} (ms)", "value": round(lat[name], 1),
              "measured on": f"{summary['questions']} questions"}
             for name in ("p50", "mean", "p95") if name in lat]
    return rows


def reliability_frame(bins):
    """Reliability bins as a DataFrame: mean confidence and hit rate per confidence bin (bins with answers)."""
    import pandas as pd

    shown = [b for b in bins if b["count"]]
    return pd.DataFrame({"confidence": [b["confidence"] for b in shown], "hit rate": [b["accuracy"] for b in shown],
                         "answers": [b["count"] for b in shown]},
                        index=pd.Index([f"{b['low']:.1f}–{b['high']:.1f}" for b in shown], name="bin"))


def results_ui(split: str, result, key: str = "") -> None:
    s = result.summary
    st.markdown(f"**{s['questions']} questions ({split} split, {s['answerable']} answerable)**")
    st.dataframe([{"mode": m, **{k: round(v, 3) for k, v in vals.items()}} for m, vals in s["modes"].items()],
                 hide_index=True)
    if "answers" in s:
        st.dataframe(answer_rows(s), hide_index=True, height="content")
        st.caption("Answer time: `Index.ask` per question (encode, search, answer), timed exactly as `qa eval` "
                   "times it; the first, untimed answer pays the one-off costs. On a shared machine it follows "
                   "the load: compare with `qa eval` run at the same time.")
    st.markdown("Recall@k")
    st.line_chart(recall_frame(result.curves), x_label="k", y_label="recall")
    if getattr(result, "reliability", ()):
        frame = reliability_frame(result.reliability)
        st.markdown("Reliability: hit rate against mean confidence per confidence bin (a calibrated "
                    "confidence sits on the diagonal; on few answers a bin strays by chance: "
                    "the calibration error of a calibrated tool, above, is what one would show here)")
        st.bar_chart(frame[["confidence", "hit rate"]], stack=False)
        st.dataframe(frame.round(3))
    rows = [{"id": r.id, "outcome": ("right abstention" if r.abstained and not r.answerable else
                                     "MISS: abstained" if r.abstained else
                                     "WRONG: answered" if not r.answerable else "hit" if r.hit else "MISS"),
             **{f"{m} first relevant": r.first_relevant.get(m) for m in s["modes"]}, "answer": r.answer}
            for r in result.rows]
    if not rows:
        return
    only_misses = st.checkbox("Show misses only", key=f"misses_{key}")
    shown = [r for r in rows if not only_misses or r["outcome"] not in ("hit", "right abstention")]

    def colour(row):
        bad = row["outcome"] not in ("hit", "right abstention")
        return ["background-color: #ffe0e0" if bad else ""] * len(row)

    import pandas as pd

    frame = pd.DataFrame(shown)
    st.dataframe(frame.style.apply(colour, axis=1) if len(frame) else frame, hide_index=True, width="stretch")
