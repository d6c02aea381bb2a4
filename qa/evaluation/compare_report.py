"""A Comparison (qa.evaluation.compare) -> Markdown tables with significance marks, and a report folder.

Marks, on a run's mean where it differs from the baseline's at p < alpha after Holm's
correction: ``*`` the paired t-test, ``†`` Fisher's randomisation test. The p-values themselves
go to the detail tables and to compare.json.
"""

from __future__ import annotations

import json
from pathlib import Path

from qa.evaluation.charts import differences_chart
from qa.evaluation.compare import Comparison, Paired
from qa.evaluation.report import markdown_table

T_MARK, RANDOMISATION_MARK = "*", "†"


def marks(paired: Paired | None) -> str:
    """The significance marks of one comparison ("" for the baseline or no significant test)."""
    if paired is None:
        return ""
    t_mark = T_MARK if paired.t_test.significant else ""
    return t_mark + (RANDOMISATION_MARK if paired.randomisation.significant else "")


def format_p(p: float | None) -> str:
    """A p-value for a table: four decimals, "<0.0001" below that, "–" when undefined."""
    if p is None:
        return "–"
    return "<0.0001" if p < 0.0001 else f"{p:.4f}"


def legend(c: Comparison) -> str:
    """What the marks mean, with the settings they depend on."""
    tests = len(c.runs) - 1
    return (f"Marks: {T_MARK} paired t-test, {RANDOMISATION_MARK} Fisher's randomisation test ({c.permutations:,} "
            f"permutations at most, seed {c.seed}): different from {c.baseline} at p < {c.alpha:g} after Holm's "
            f"correction over the {tests} comparison{'s' if tests != 1 else ''} per metric; "
            f"{len(c.queries)} queries with a relevant judgement.")


def significance_table(c: Comparison) -> str:
    """One row per run (baseline first), one column per metric: the mean with its marks."""
    rows = [["run", *c.metrics]]
    for run in c.runs:
        name = f"{run} (baseline)" if run == c.baseline else run
        rows.append([name, *(f"{c.means[run][m]:.3f}{marks(c.paired[m].get(run))}" for m in c.metrics)])
    return markdown_table(rows)


def wins_table(c: Comparison) -> str:
    """Per run and metric: queries won / tied / lost against the baseline."""
    rows = [["run", *(f"{m} W / T / L" for m in c.metrics)]]
    for run in c.runs[1:]:
        rows.append([run, *(f"{c.paired[m][run].wins} / {c.paired[m][run].ties} / {c.paired[m][run].losses}"
                            for m in c.metrics)])
    return markdown_table(rows)


def detail_table(c: Comparison, metric: str) -> str:
    """One metric in full: mean, difference, wins / ties / losses and both tests' p-values, raw and corrected."""
    rows = [["run", "mean", f"Δ vs {c.baseline}", "W / T / L", "t-test p", "t-test p (Holm)",
             "randomisation p", "randomisation p (Holm)"]]
    rows.append([c.baseline, f"{c.means[c.baseline][metric]:.4f}", "–", "–", "–", "–", "–", "–"])
    for run, p in c.paired[metric].items():
        rows.append([f"{run}{marks(p)}", f"{p.mean:.4f}", f"{p.delta:+.4f}", f"{p.wins} / {p.ties} / {p.losses}",
                     format_p(p.t_test.p), format_p(p.t_test.corrected), format_p(p.randomisation.p),
                     format_p(p.randomisation.corrected)])
    return markdown_table(rows)


def coverage_notes(c: Comparison) -> list[str]:
    """A line for each run that retrieved nothing for some compared queries (they score 0 there)."""
    total = len(c.queries)
    return [f"note: run {run} retrieved nothing for {total - n} of the {total} queries (they score 0; "
            f"are its query and document ids those of the judgements?)"
            for run, n in c.covered.items() if n < total]


def comparison_markdown(c: Comparison, title: str = "") -> str:
    """The whole comparison as Markdown: the marked means, wins / ties / losses, then a detail table per metric."""
    parts = [f"# {title}", ""] if title else []
    parts += [significance_table(c), "", legend(c), "", *(n + "\n" for n in coverage_notes(c)),
              f"Queries won / tied / lost against {c.baseline}:", "", wins_table(c), ""]
    for metric in c.metrics:
        parts += [f"## {metric}", "", detail_table(c, metric), ""]
    return "\n".join(parts)


def write_comparison(folder: Path, c: Comparison, title: str) -> list[Path]:
    """Write compare.md, compare.json (with every per-query value) and one chart of sorted per-query
    differences per metric (``compare-METRIC.png``) into ``folder``; returns the paths written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "compare.json").write_text(json.dumps(c.to_json(per_query=True), indent=2), encoding="utf-8")
    charts = []
    for metric in c.metrics:
        name = f"compare-{metric.replace('@', '_at_')}.png"
        differences_chart(folder / name, {run: c.differences(metric, run) for run in c.runs[1:]}, metric, c.baseline)
        charts.append(name)
    text = comparison_markdown(c, title)
    text += "\n" + "\n".join(f"![{name}]({name})\n" for name in charts)
    (folder / "compare.md").write_text(text, encoding="utf-8")
    return [folder / "compare.md", folder / "compare.json", *(folder / name for name in charts)]
