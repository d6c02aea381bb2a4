"""The evaluation figures of docs/evaluation.md and the README's headline figures are the ones
eval/expected.json records (and tests/test_quality_floors.py holds), and the counts are the gold
files' own: a change that moves them must update the record and both pages."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from qa.evaluation.gold import load_gold

ROOT = Path(__file__).resolve().parent.parent
EXPECTED = json.loads((ROOT / "eval" / "expected.json").read_text(encoding="utf-8"))["sets"]
README = (ROOT / "README.md").read_text(encoding="utf-8")
EVALUATION = (ROOT / "docs" / "evaluation.md").read_text(encoding="utf-8")
SECTION = EVALUATION[EVALUATION.index("# Evaluation"):EVALUATION.index("## Tests that hold these figures")]
HEADLINES = README[README.index("## Headline figures"):README.index("## How it works")]
MODE_COLUMNS = ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10", "paraphrased_recall@5")
ANSWER_COLUMNS = ("hit_rate", "paraphrased_hit_rate", "short_answer_right", "cited_page_right", "citation_precision",
                  "abstain_precision", "abstain_recall", "calibration_error", "calibration_error_by_chance")
SETS_SPLITS = [(name, split) for name in ("home", "real") for split in ("report", "tune")]


def _number(cell: str) -> float | None:
    return None if cell == "–" else float(cell)


def table_rows(text: str, keys: int = 1) -> dict[tuple[str, ...], list[float | None]]:
    """``{(first ``keys`` cells): [numbers]}`` of the Markdown table rows whose other cells are all
    numbers ("–" reads as None); other lines are skipped."""
    rows = {}
    for line in text.splitlines():
        if not line.strip().startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        try:
            values = [_number(c) for c in cells[keys:]]
        except ValueError:
            continue
        if values:
            rows[tuple(cells[:keys])] = values
    return rows


def test_table_rows_by_hand():
    text = "| set | mode | a | b |\n|---|---|---|---|\n| home | bm25 | 0.5 | – |\nhome is not a row\n| x | y | z | 1 |"
    assert table_rows(text, keys=2) == {("home", "bm25"): [0.5, None]}
    assert table_rows("| bm25 | 0.25 |", keys=1) == {("bm25",): [0.25]}


def close(shown: float | None, recorded: float | None) -> bool:
    if shown is None or recorded is None:
        return shown is recorded
    return abs(shown - recorded) <= 0.0005 + 1e-9   # the pages show 3 places, the record 4


@pytest.mark.parametrize("name, split", SETS_SPLITS)
@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid", "rerank"])
def test_retrieval_table_shows_the_recorded_figures(name, split, mode):
    shown = table_rows(SECTION, keys=3)[(name, split, mode)]
    recorded = [EXPECTED[name][split]["modes"][mode].get(c) for c in MODE_COLUMNS]
    assert len(shown) == len(recorded) and all(close(s, r) for s, r in zip(shown, recorded)), (shown, recorded)


@pytest.mark.parametrize("name, split", SETS_SPLITS)
def test_answer_table_shows_the_recorded_figures(name, split):
    shown = table_rows(SECTION, keys=2)[(name, split)]
    recorded = [EXPECTED[name][split]["answers"].get(c) for c in ANSWER_COLUMNS]
    assert len(shown) == len(recorded) and all(close(s, r) for s, r in zip(shown, recorded)), (shown, recorded)


def test_home_counts_and_tuning_ndcg_in_the_prose():
    report, tune = EXPECTED["home"]["report"], EXPECTED["home"]["tune"]
    assert f"{report['questions']} questions, {report['answerable']} answerable" in SECTION
    assert f"{tune['questions']} questions form the **tuning** split" in SECTION
    assert f"{report['questions']} the **reporting** split" in SECTION
    shown = float(re.search(r"On\s+the tuning split, hybrid nDCG@10 is ([0-9.]+?)\.?\s", SECTION).group(1))
    assert close(shown, tune["modes"]["hybrid"]["ndcg@10"])
    questions = load_gold(ROOT / "eval" / "questions.jsonl")
    assert f"holds {len(questions)}\nquestions" in SECTION or f"holds {len(questions)} questions" in SECTION
    assert len(questions) == report["questions"] + tune["questions"]


def test_real_set_counts_in_the_prose_are_the_gold_files():
    questions = load_gold(ROOT / "eval" / "real_questions.jsonl")
    n, answerable = len(questions), sum(q.answerable for q in questions)
    paraphrased = sum(q.paraphrased for q in questions)
    prose = " ".join(SECTION.split())
    assert f"holds {n} questions" in prose and f"{answerable} answerable" in prose
    assert f"{n - answerable} ({round(100 * (n - answerable) / n)}%) unanswerable" in prose
    assert f"{paraphrased} ({round(100 * paraphrased / n)}%) paraphrased" in prose
    types = Counter(q.answer_type for q in questions if q.answerable)
    assert ", ".join(f"{t} {c}" for t, c in types.most_common()) in prose
    assert f"reporting split has {EXPECTED['real']['report']['questions']} questions, " \
           f"{EXPECTED['real']['report']['answerable']} answerable" in prose


@pytest.mark.parametrize("split", ["tune", "report"])
def test_real_split_table_names_the_split_and_its_documents(split):
    questions = [q for q in load_gold(ROOT / "eval" / "real_questions.jsonl") if q.split == split]
    row = next(line for line in SECTION.splitlines() if line.startswith(f"| {split} | "))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1:4] == [str(len(questions)), str(sum(q.answerable for q in questions)),
                          str(sum(q.paraphrased for q in questions))]
    assert cells[1] == str(EXPECTED["real"][split]["questions"])
    assert len({d for q in questions for d in q.docs}) == 6 == len(cells[4].split(", "))


def headline(label: str) -> tuple[str, str]:
    """(figure, link) of the README's headline row that starts with ``label``."""
    row = next(line for line in HEADLINES.splitlines() if line.startswith(f"| {label}"))
    cells = [c.strip() for c in row.strip().strip("|").split("|")]
    return cells[1], re.search(r"\]\(([^)]+)\)", cells[2]).group(1)


@pytest.mark.parametrize("label, name, kind, key, link", [
    ("retrieval, home gold set: hybrid nDCG@10", "home", "modes", "ndcg@10", "docs/evaluation.md#retrieval"),
    ("retrieval, real PDFs gold set: hybrid nDCG@10", "real", "modes", "ndcg@10", "docs/evaluation.md#retrieval"),
    ("answers, home gold set: hit rate", "home", "answers", "hit_rate", "docs/evaluation.md#answers"),
    ("answers, real PDFs gold set: hit rate", "real", "answers", "hit_rate", "docs/evaluation.md#answers"),
])
def test_readme_headlines_are_the_recorded_figures(label, name, kind, key, link):
    shown, linked = headline(label)
    record = EXPECTED[name]["report"][kind]
    recorded = record["hybrid"][key] if kind == "modes" else record[key]
    assert close(float(shown), recorded), (label, shown, recorded)
    assert linked == link


def test_readme_headline_beir_figure_is_the_evaluation_pages():
    shown, linked = headline("retrieval, BEIR SciFact")
    beir = EVALUATION[EVALUATION.index("### BEIR"):]
    assert table_rows(beir, keys=1)[("hybrid",)][0] == float(shown) and linked == "docs/evaluation.md#beir"


def test_readme_headline_page_time_is_the_benchmarks():
    shown, linked = headline("the page: Ask to answer drawn, p50")
    bench = json.loads((ROOT / "eval" / "bench-page-2026-12-07c.json").read_text(encoding="utf-8"))
    assert shown == f"{bench['answer_ms']['p50']:.0f} ms" and linked == "docs/performance.md#the-page"
    assert f"p50 {bench['answer_ms']['p50']:.0f} ms" in (ROOT / "docs" / "performance.md").read_text(encoding="utf-8")


def test_readme_headline_batch_figure_is_the_benchmarks():
    shown, linked = headline("many questions: `qa ask --questions`")
    batch = json.loads((ROOT / "eval" / "bench-2026-12-07e.json").read_text(encoding="utf-8"))["startup"]["batch"]
    assert batch["same_answers"] and batch["questions"] == 129
    assert shown == f"{batch['workers']['2']['questions_per_s']:.2f} questions/s" and linked == "docs/performance.md#qa-bench"
    assert f"one worker in the same run: {batch['workers']['1']['questions_per_s']:.2f}" in HEADLINES


def test_readme_headline_ingest_figures_are_the_benchmarks():
    shown, linked = headline("ingest of 100,000 documents, all but the model")
    hashed = json.loads((ROOT / "eval" / "bench-ingest-100k-hashed.json").read_text(encoding="utf-8"))
    size = next(s for s in hashed["sizes"] if s["documents"] == 100_000)
    assert hashed["encoder"] == "hashed" and hashed["threads"] == 1
    assert shown == f"{size['wall_s']:.0f} s, {size['peak_rss_mb'] / 1000:.2f} GB peak"
    model = json.loads((ROOT / "eval" / "bench-ingest-10k-model.json").read_text(encoding="utf-8"))
    rate = max(s["documents"] for s in model["sizes"])
    rate = next(s for s in model["sizes"] if s["documents"] == rate)["encode_passages_per_s"]
    assert f"the model encodes {rate:.0f} passages/s per thread" in HEADLINES
    assert linked == "docs/performance.md#ingest-at-scale-qa-bench---ingest"


def test_every_readme_figure_links_to_where_it_is_measured():
    rows = [line for line in HEADLINES.splitlines() if line.startswith("| ") and not line.startswith("| measure")]
    assert len(rows) == 9
    assert all(re.search(r"\]\(docs/[a-z-]+\.md#[a-z-]+\)", row) for row in rows)


def test_readme_headline_reader_figure_is_its_dev_record():
    shown, linked = headline("the reader on its SQuAD dev split")
    dev = json.loads((ROOT / "eval" / "reader-dev.json").read_text(encoding="utf-8"))
    assert shown == f"{dev['f1']:.3f}" and dev["questions"] == 1000 and linked == "docs/answers.md#the-reader"

