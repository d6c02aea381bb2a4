"""The README's evaluation figures are the ones eval/expected.json records (and
tests/test_quality_floors.py holds): a change that moves them must update both."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXPECTED = json.loads((ROOT / "eval" / "expected.json").read_text(encoding="utf-8"))["splits"]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README[README.index("## Evaluation"):README.index("### Tests that hold these figures")]
MODE_COLUMNS = ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10")
ANSWER_COLUMNS = ("hit_rate", "citation_precision", "abstain_precision", "abstain_recall", "calibration_error")


def table_rows(text: str, first_cells: tuple[str, ...]) -> dict[str, list[float]]:
    """``{first cell: [numbers]}`` of the Markdown table rows whose first cell is one of ``first_cells``."""
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) > 1 and cells[0] in first_cells:
            rows[cells[0]] = [float(c) for c in cells[1:]]
    return rows


def test_table_rows_by_hand():
    text = "| mode | a |\n|---|---|\n| bm25 | 0.5 | 0.25 |\nbm25 is not a row\n| other | 1 |"
    assert table_rows(text, ("bm25",)) == {"bm25": [0.5, 0.25]}


def close(shown: float, recorded: float) -> bool:
    return abs(shown - recorded) <= 0.0005 + 1e-9   # the README shows 3 places, the record 4


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
def test_retrieval_table_shows_the_recorded_reporting_figures(mode):
    shown = table_rows(SECTION, ("bm25", "dense", "hybrid"))[mode]
    recorded = [EXPECTED["report"]["modes"][mode][c] for c in MODE_COLUMNS]
    assert all(close(s, r) for s, r in zip(shown, recorded)) and len(shown) == len(recorded), (shown, recorded)


@pytest.mark.parametrize("split", ["report", "tune"])
def test_answer_table_shows_the_recorded_figures(split):
    shown = table_rows(SECTION, ("report", "tune"))[split]
    recorded = [EXPECTED[split]["answers"][c] for c in ANSWER_COLUMNS]
    assert all(close(s, r) for s, r in zip(shown, recorded)) and len(shown) == len(recorded), (shown, recorded)


def test_question_counts_and_tuning_ndcg_in_the_prose():
    report, tune = EXPECTED["report"], EXPECTED["tune"]
    assert f"{report['questions']} questions, {report['answerable']} answerable" in SECTION
    assert f"{tune['questions']} questions form the **tuning** split" in SECTION
    assert f"{report['questions']} the **reporting** split" in SECTION
    shown = float(re.search(r"On the tuning split, hybrid nDCG@10 is ([0-9.]+?)\.?\s", SECTION).group(1))
    assert close(shown, tune["modes"]["hybrid"]["ndcg@10"])
