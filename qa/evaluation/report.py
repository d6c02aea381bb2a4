"""Evaluation results -> report.md, metrics.json and PNG charts in a folder."""

from __future__ import annotations

import json
from pathlib import Path

from qa.evaluation.gold import EvalResult


def _table(rows: list[list[str]]) -> str:
    head, *body = rows
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in body]
    return "\n".join(lines)


def metrics_table(modes: dict) -> str:
    """A Markdown table, one row per mode, one column per metric."""
    if not modes:
        return ""
    metrics = list(next(iter(modes.values())))
    return _table([["mode", *metrics]] + [[m, *(f"{v[k]:.3f}" for k in metrics)] for m, v in modes.items()])


def _charts(folder: Path, result: EvalResult) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    if result.curves:
        fig, ax = plt.subplots(figsize=(6, 4))
        for mode, curve in result.curves.items():
            ks = sorted(curve)
            ax.plot(ks, [curve[k] for k in ks], marker="o", label=mode)
        ax.set(xlabel="k (passages)", ylabel="evidence recall@k", title="Recall@k by retrieval mode", ylim=(0, 1.02))
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(folder / "recall_at_k.png", dpi=110)
        plt.close(fig)
        written.append("recall_at_k.png")
    if result.per_document:
        modes = list(result.per_document)
        docs = sorted({d for m in modes for d in result.per_document[m]})
        fig, ax = plt.subplots(figsize=(7, 4))
        width = 0.8 / max(len(modes), 1)
        for i, mode in enumerate(modes):
            ax.bar([x + i * width for x in range(len(docs))], [result.per_document[mode].get(d, 0) for d in docs],
                   width=width, label=mode)
        ax.set_xticks([x + width * (len(modes) - 1) / 2 for x in range(len(docs))], docs, rotation=20, ha="right",
                      fontsize=8)
        ax.set(ylabel="recall@10", title="Recall@10 per document", ylim=(0, 1.22))
        ax.legend(ncol=len(modes), loc="upper center", frameon=False)
        fig.tight_layout()
        fig.savefig(folder / "per_document_recall.png", dpi=110)
        plt.close(fig)
        written.append("per_document_recall.png")
    return written


def write_report(folder: Path, result: EvalResult, title: str, extra: dict | None = None) -> list[Path]:
    """Write the report files; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    metrics = dict(result.summary, **(extra or {}))
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    charts = _charts(folder, result)
    parts = [f"# {title}", "", "## Retrieval", "", metrics_table(result.summary.get("modes", {})), ""]
    if "answers" in result.summary:
        a = result.summary["answers"]
        parts += ["## Answers (`qa ask`, hybrid)", "",
                  _table([["hit rate", "citation precision", "abstain precision", "abstain recall",
                           "mean ms", "p95 ms"],
                          [f"{a['hit_rate']:.3f}", f"{a['citation_precision']:.3f}", f"{a['abstain_precision']:.3f}",
                           f"{a['abstain_recall']:.3f}", f"{result.summary['latency_ms'].get('mean', 0):.0f}",
                           f"{result.summary['latency_ms'].get('p95', 0):.0f}"]]), ""]
    for name in charts:
        parts += [f"![{name}]({name})", ""]
    if result.rows:
        modes = list(result.summary.get("modes", {}))
        rows = [["id", "split", *[f"{m} first relevant" for m in modes], "answer", "outcome"]]
        for r in result.rows:
            outcome = ("abstained (right)" if r.abstained and not r.answerable else
                       "abstained (MISS)" if r.abstained else
                       "answered (WRONG: unanswerable)" if not r.answerable else
                       "hit" if r.hit else "MISS")
            firsts = [str(r.first_relevant.get(m) or ("-" if r.answerable else "n/a")) for m in modes]
            answer = r.answer[:90].replace("|", "\\|").replace("\n", " ")
            rows.append([r.id, r.split, *firsts, answer, outcome])
        parts += ["## Per question", "", "`first relevant` is the rank of the first relevant passage "
                  "(- = none in the top 20).", "", _table(rows), ""]
    (folder / "report.md").write_text("\n".join(parts), encoding="utf-8")
    return [folder / "report.md", folder / "metrics.json", *(folder / c for c in charts)]
