"""Evaluation charts as PNG files (matplotlib, no display): recall@k by mode, recall@10 per
document, the reliability diagram of the answers' confidence, and per-query differences of
compared runs."""

from __future__ import annotations

from pathlib import Path


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    _pyplot().close(fig)


def recall_chart(path: Path, curves: dict, title: str = "Recall@k by retrieval mode") -> None:
    """``curves``: ``{mode: {k: recall@k}}``, one line per mode."""
    fig, ax = _pyplot().subplots(figsize=(6, 4))
    for mode, curve in curves.items():
        ks = sorted(curve)
        ax.plot(ks, [curve[k] for k in ks], marker="o", label=mode)
    ax.set(xlabel="k (passages)", ylabel="evidence recall@k", title=title, ylim=(0, 1.02))
    ax.grid(alpha=0.3)
    ax.legend()
    _save(fig, path)


def per_document_chart(path: Path, per_document: dict, title: str = "Recall@10 per document") -> None:
    """``per_document``: ``{mode: {doc_id: recall@10}}``, grouped bars per document."""
    modes = list(per_document)
    docs = sorted({d for m in modes for d in per_document[m]})
    fig, ax = _pyplot().subplots(figsize=(max(7, 0.7 * len(docs) * max(len(modes), 1) / 2), 4.5))
    width = 0.8 / max(len(modes), 1)
    for i, mode in enumerate(modes):
        ax.bar([x + i * width for x in range(len(docs))], [per_document[mode].get(d, 0) for d in docs],
               width=width, label=mode)
    ax.set_xticks([x + width * (len(modes) - 1) / 2 for x in range(len(docs))], docs, rotation=25, ha="right",
                  fontsize=7)
    ax.set(ylabel="recall@10", title=title, ylim=(0, 1.22))
    ax.legend(ncol=len(modes), loc="upper center", frameon=False)
    _save(fig, path)


def reliability_chart(path: Path, bins: list[dict], title: str = "Reliability of answer confidence") -> None:
    """A reliability diagram: per confidence bin, the hit rate of the answers shown in it (bars,
    labelled with the count) against the diagonal of perfect calibration. ``bins``: dicts with
    low, high, count, accuracy, confidence (qa.evaluation.answer_metrics.reliability_bins)."""
    fig, ax = _pyplot().subplots(figsize=(5, 4.5))
    filled = [b for b in bins if b["count"]]
    widths = [b["high"] - b["low"] for b in filled]
    bars = ax.bar([b["low"] for b in filled], [b["accuracy"] for b in filled], width=widths, align="edge",
                  edgecolor="black", alpha=0.75, label="hit rate of the answers in the bin")
    ax.plot([b["confidence"] for b in filled], [b["accuracy"] for b in filled], "o", color="black",
            markersize=3, label="at the bin's mean confidence")
    for bar, b in zip(bars, filled):
        ax.annotate(str(b["count"]), (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center",
                    va="bottom", fontsize=7)
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    ax.set(xlabel="confidence", ylabel="hit rate", title=title, xlim=(0, 1), ylim=(0, 1.05))
    ax.legend(loc="upper left", fontsize=7)
    _save(fig, path)


def differences_chart(path: Path, differences: dict, metric: str, baseline: str) -> None:
    """Per-query differences against the baseline, sorted largest gain first (a "winning queries"
    plot): one panel per run. ``differences``: ``{run: [(qid, run - baseline), ...]}`` sorted."""
    runs = list(differences)
    fig, axes = _pyplot().subplots(len(runs), 1, figsize=(7, 2.4 * max(len(runs), 1)), squeeze=False)
    for ax, run in zip(axes[:, 0], runs):
        values = [d for _, d in differences[run]]
        ax.bar(range(len(values)), values, width=1.0,
               color=["tab:green" if d > 0 else "tab:red" if d < 0 else "grey" for d in values])
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set(ylabel=f"Δ {metric}", title=f"{run} − {baseline}, per query (sorted)", xticks=[])
    _save(fig, path)
