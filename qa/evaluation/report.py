"""Evaluation results -> report.md, metrics.json and PNG charts in a folder.

``write_report`` writes one result (a gold split or a BEIR run); ``write_gold_report`` writes
gold sets side by side, each on its splits (``{set: {split: EvalResult}}``).
"""

from __future__ import annotations

import json
from pathlib import Path

from qa.evaluation.charts import per_document_chart, recall_chart, reliability_chart
from qa.evaluation.gold import EvalResult
from qa.evaluation.gold_answers import ANSWER_COLUMNS, answer_figures, by_answer_type


def markdown_table(rows: list[list[str]]) -> str:
    head, *body = rows
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in body]
    return "\n".join(lines)


def _cell(value) -> str:
    return "–" if value is None else f"{value:.3f}"


def metrics_table(modes: dict) -> str:
    """A Markdown table, one row per mode, one column per metric ("–" where a mode lacks one)."""
    if not modes:
        return ""
    metrics = list(dict.fromkeys(k for v in modes.values() for k in v))
    return markdown_table([["mode", *metrics]] + [[m, *(_cell(v.get(k)) for k in metrics)] for m, v in modes.items()])


def answers_table(by_split: dict[str, dict]) -> str:
    """A Markdown table of the answer figures, one row per split (``{split: summary}``), and under
    it how many questions, answers or refusals each figure of each split is measured on."""
    rows = [["split", *(head for _, head in ANSWER_COLUMNS), "mean ms", "p95 ms"]]
    counts = [["measured on", *(head for _, head in ANSWER_COLUMNS)]]
    for split, s in by_split.items():
        a, lat = s.get("answers", {}), s.get("latency_ms", {})
        rows.append([split, *(_cell(a.get(key)) for key, _ in ANSWER_COLUMNS),
                     f"{lat.get('mean', 0):.0f}", f"{lat.get('p95', 0):.0f}"])
        of = {key: on for key, _, _, on in answer_figures(s) if on}
        counts.append([split, *(of.get(key, "–") for key, _ in ANSWER_COLUMNS)])
    known = any(cell != "–" for row in counts[1:] for cell in row[1:])
    return markdown_table(rows) + ("\n\n" + markdown_table(counts) if known else "")


def answer_type_table(by_split: dict[str, EvalResult]) -> str:
    """Hit rate (and short answer right) per gold answer type, one row per type and split."""
    rows = [["split", "answer type", "questions", "hit rate", "short answer right"]]
    for split, r in by_split.items():
        for name, f in by_answer_type(r.rows).items():
            rows.append([split, name, str(f["questions"]), _cell(f["hit_rate"]), _cell(f["short_answer_right"])])
    return markdown_table(rows) if len(rows) > 1 else ""


def _charts(folder: Path, result: EvalResult, prefix: str = "", title: str = "") -> list[str]:
    written = []
    suffix = f" ({title})" if title else ""
    if result.curves:
        recall_chart(folder / f"{prefix}recall_at_k.png", result.curves, "Recall@k by retrieval mode" + suffix)
        written.append(f"{prefix}recall_at_k.png")
    if result.per_document:
        per_document_chart(folder / f"{prefix}per_document_recall.png", result.per_document,
                           "Recall@10 per document" + suffix)
        written.append(f"{prefix}per_document_recall.png")
    if result.reliability:
        reliability_chart(folder / f"{prefix}reliability.png", list(result.reliability),
                          "Reliability of answer confidence" + suffix)
        written.append(f"{prefix}reliability.png")
    return written


def outcome(r) -> str:
    """What happened to one question, in words."""
    return ("abstained (right)" if r.abstained and not r.answerable else
            "abstained (MISS)" if r.abstained else
            "answered (WRONG: unanswerable)" if not r.answerable else
            "hit" if r.hit else "MISS")


def _per_question(result: EvalResult) -> list[str]:
    modes = list(result.summary.get("modes", {}))
    rows = [["id", "split", *[f"{m} first relevant" for m in modes], "answer", "short", "pages", "outcome"]]
    for r in result.rows:
        firsts = [str(r.first_relevant.get(m) or ("-" if r.answerable else "n/a")) for m in modes]
        answer = r.answer[:90].replace("|", "\\|").replace("\n", " ")
        short = r.short.replace("|", "\\|") + ("" if r.short_right is None else " ✓" if r.short_right else " ✗")
        pages = ",".join(map(str, r.cited_pages)) + ("" if r.page_right is None else " ✓" if r.page_right else " ✗")
        rows.append([r.id, r.split, *firsts, answer, short, pages, outcome(r)])
    return ["`first relevant` is the rank of the first relevant passage (- = none in the top 20); "
            "✓/✗ mark a short answer or cited page that was checked.", "", markdown_table(rows), ""]


def write_report(folder: Path, result: EvalResult, title: str, extra: dict | None = None) -> list[Path]:
    """Write one result's report files; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    metrics = dict(result.summary, **(extra or {}))
    if result.reliability:
        metrics["reliability"] = list(result.reliability)
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    charts = _charts(folder, result)
    parts = [f"# {title}", "", "## Retrieval", "", metrics_table(result.summary.get("modes", {})), ""]
    if "answers" in result.summary:
        parts += ["## Answers (`qa ask`, hybrid)", "", answers_table({"this run": result.summary}), ""]
    parts += [line for name in charts for line in (f"![{name}]({name})", "")]
    if result.rows:
        parts += ["## Per question", "", *_per_question(result)]
    (folder / "report.md").write_text("\n".join(parts), encoding="utf-8")
    return [folder / "report.md", folder / "metrics.json", *(folder / c for c in charts)]


def write_gold_report(folder: Path, results: dict[str, dict[str, EvalResult]], titles: dict[str, str]) -> list[Path]:
    """Write gold sets side by side: report.md (per set: retrieval per split, answers, charts),
    metrics.json keyed by set then split, charts named ``SET-SPLIT-*.png`` and one per-question
    file per set and split (``SET-SPLIT-questions.md``). Returns the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    metrics = {name: {split: dict(r.summary, reliability=list(r.reliability)) for split, r in splits.items()}
               for name, splits in results.items()}
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    written = [folder / "report.md", folder / "metrics.json"]
    parts = ["# Gold-set evaluation", "",
             "Figures to quote come from the **report** split (questions that chose no setting); the "
             "**tune** split chose the settings.", ""]
    for name, splits in results.items():
        parts += [f"## {titles.get(name, name)}", ""]
        for split, r in splits.items():
            s = r.summary
            parts += [f"### Retrieval, {split} split ({s['questions']} questions, {s['answerable']} answerable)",
                      "", metrics_table(s.get("modes", {})), ""]
        if any("answers" in r.summary for r in splits.values()):
            parts += ["### Answers (`qa ask`, hybrid)", "",
                      answers_table({sp: r.summary for sp, r in splits.items() if "answers" in r.summary}), "",
                      "### Answers by gold answer type (answerable questions)", "", answer_type_table(splits), ""]
        for split, r in splits.items():
            charts = _charts(folder, r, f"{name}-{split}-", f"{name}, {split}")
            written += [folder / c for c in charts]
            parts += [line for c in charts for line in (f"![{c}]({c})", "")]
            if r.rows:
                page = f"{name}-{split}-questions.md"
                (folder / page).write_text("\n".join([f"# {titles.get(name, name)}: {split} split, per question", "",
                                                      *_per_question(r)]), encoding="utf-8")
                written.append(folder / page)
                parts += [f"Per question: [{page}]({page})", ""]
    (folder / "report.md").write_text("\n".join(parts), encoding="utf-8")
    return written
