"""The Evaluate page's comparison: are the retrieval modes' differences more than chance?

A table of means with significance marks against a baseline mode (paired t-test ``*``, Fisher's
randomisation test ``†``, Holm-corrected), the p-values and wins / ties / losses per metric, and
a chart of the per-query differences, sorted (a "winning queries" plot)."""

from __future__ import annotations

import streamlit as st

from qa.types import QAError
from qa.web.loading import wait_ready
from qa.web.view import md_escape


def significance_rows(c) -> list[dict]:
    """One row per run (baseline first): the mean of each metric with its marks, as text."""
    from qa.evaluation.compare_report import marks

    return [{"run": f"{run} (baseline)" if run == c.baseline else run,
             **{m: f"{c.means[run][m]:.3f}{marks(c.paired[m].get(run))}" for m in c.metrics}} for run in c.runs]


def p_value_rows(c, metric: str) -> list[dict]:
    """One row per run against the baseline on ``metric``: difference, wins / ties / losses, p-values."""
    from qa.evaluation.compare_report import format_p

    return [{"run": run, "Δ mean": round(p.delta, 4), "wins": p.wins, "ties": p.ties, "losses": p.losses,
             "t-test p": format_p(p.t_test.p), "t-test p (Holm)": format_p(p.t_test.corrected),
             "randomisation p": format_p(p.randomisation.p),
             "randomisation p (Holm)": format_p(p.randomisation.corrected)}
            for run, p in c.paired[metric].items()]


def differences_frame(c, metric: str):
    """Per-query differences against the baseline, each run's sorted largest gain first, as a
    DataFrame indexed by position 1..n (one column per run): the "winning queries" chart's data."""
    import pandas as pd

    frame = pd.DataFrame({run: [d for _, d in c.differences(metric, run)] for run in c.runs[1:]},
                         index=pd.RangeIndex(1, len(c.queries) + 1, name="query (sorted by difference)"))
    return frame


def compare_controls_ui(modes: list[str]) -> tuple[str, str]:
    """(gold set, baseline mode) as chosen on the page."""
    import qa

    names = [name for name, _ in qa.gold_sets()]
    name = st.selectbox("Gold set to compare on", names, key="compare_set")
    baseline = st.selectbox("Baseline", modes, key="compare_baseline",
                            help="each other mode is tested against this one, query by query")
    return name, baseline


def comparison_ui(c, key: str = "") -> None:
    """Draw one Comparison: marked means, legend, per-metric p-values and the sorted differences chart."""
    from qa.evaluation.compare_report import coverage_notes, legend

    st.dataframe(significance_rows(c), hide_index=True)
    st.caption(md_escape(legend(c)))
    for note in coverage_notes(c):
        st.warning(md_escape(note))
    metric = st.radio("Metric", list(c.metrics), horizontal=True, key=f"compare_metric_{key}")
    st.dataframe(p_value_rows(c, metric), hide_index=True)
    st.markdown(f"Per-query difference in {md_escape(metric)} against {md_escape(c.baseline)}, sorted "
                "(above 0: the query went better than with the baseline)")
    st.bar_chart(differences_frame(c, metric), stack=False, x_label="query (sorted by difference)",
                 y_label=f"Δ {metric}")


def compare_ui(loader, split: str, modes: list[str]) -> None:
    """The comparison section: controls, a button that runs it, and the last result kept across reruns."""
    st.markdown("#### Compare modes: significance")
    if len(modes) < 2:
        st.caption("Choose two or more retrieval modes to compare them.")
        return
    name, baseline = compare_controls_ui(modes)
    if st.button("Compare modes"):
        import qa

        index = wait_ready(loader)
        with st.spinner("Retrieving 100 passages per question in every mode and testing the differences…"):
            try:
                ordered = [baseline, *(m for m in modes if m != baseline)]
                comparison = qa.compare_gold_set(name, split=split, modes=ordered, index=index)
            except QAError as exc:
                st.error(md_escape(exc))
                return
        st.session_state["compare"] = (name, split, comparison)
    if "compare" in st.session_state:
        name, split, comparison = st.session_state["compare"]
        st.markdown(f"**{md_escape(name)} set, {md_escape(split)} split: {len(comparison.queries)} answerable "
                    "questions, passages judged by overlap with the evidence**")
        comparison_ui(comparison, key=name)
