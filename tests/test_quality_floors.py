"""Quality floors: both gold sets (home: corpus/; real: the twelve PDFs of eval/corpus-real), each
on both splits, through the real pipeline (real model) must hold the figures recorded in
eval/expected.json, within its margin.

A figure that falls by more than the margin fails (answer quality or retrieval dropped); one that
rises by more than the margin fails too, asking for eval/expected.json and the README to be
updated with the change that moved it (`python eval/update_expected.py`), so that the figures the
README shows are the ones this test holds.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXPECTED = json.loads((ROOT / "eval" / "expected.json").read_text(encoding="utf-8"))


def held_figures(split: dict) -> dict[str, float]:
    """Flat ``{"hybrid ndcg@10": 0.9, "answers hit_rate": 0.8, ...}`` of a split's figures."""
    out = {f"{mode} {name}": v for mode, figures in split["modes"].items() for name, v in figures.items()}
    out.update({f"answers {name}": v for name, v in split["answers"].items()})
    return out


def out_of_bounds(measured: dict[str, float], expected: dict[str, float], margin: float,
                  lower_is_better: tuple[str, ...]) -> list[str]:
    """One message per figure that is missing or moved more than ``margin`` from its record."""
    problems = []
    for key, want in expected.items():
        if key not in measured:
            problems.append(f"{key}: not measured any more")
            continue
        got = measured[key]
        worse, better = (got - want, want - got) if key.split()[-1] in lower_is_better else (want - got, got - want)
        if worse > margin:
            problems.append(f"{key} fell to {got:.4f} from the recorded {want:.4f}")
        elif better > margin:
            problems.append(f"{key} rose to {got:.4f} from {want:.4f}: record it (python eval/update_expected.py) "
                            f"and update the README")
    return problems


def test_out_of_bounds_by_hand():
    expected = {"hybrid ndcg@10": 0.90, "answers calibration_error": 0.10}
    lower = ("calibration_error",)
    assert out_of_bounds({"hybrid ndcg@10": 0.885, "answers calibration_error": 0.115}, expected, 0.02, lower) == []
    fell = out_of_bounds({"hybrid ndcg@10": 0.87, "answers calibration_error": 0.13}, expected, 0.02, lower)
    assert len(fell) == 2 and all("fell" in p for p in fell)
    rose = out_of_bounds({"hybrid ndcg@10": 0.95, "answers calibration_error": 0.05}, expected, 0.02, lower)
    assert len(rose) == 2 and all("rose" in p for p in rose)
    assert out_of_bounds({}, expected, 0.02, lower) == ["hybrid ndcg@10: not measured any more",
                                                         "answers calibration_error: not measured any more"]


def test_the_record_holds_both_sets_on_both_splits():
    sets = EXPECTED["sets"]
    assert set(sets) == {"home", "real"} and all(set(splits) == {"tune", "report"} for splits in sets.values())
    for splits in sets.values():
        for split in splits.values():
            assert {"hit_rate", "citation_precision", "calibration_error"} <= set(split["answers"])
            assert set(split["modes"]) == {"bm25", "dense", "hybrid"}
    assert "cited_page_right" in sets["real"]["report"]["answers"]   # the real set gives pages


@pytest.fixture(scope="session")
def real_set_retriever(encoder):
    """A retriever over the real set's index (eval/cache/real-index, built when missing or stale)."""
    from qa.evaluation.goldsets import gold_set, open_gold_retriever, rooted

    return open_gold_retriever(rooted(gold_set("real"), ROOT), encoder=encoder)


@pytest.mark.slow
@pytest.mark.parametrize("name, split", [("home", "tune"), ("home", "report"), ("real", "tune"), ("real", "report")])
def test_gold_split_holds_the_recorded_figures(request, name, split):
    from qa.evaluation.gold import evaluate_gold
    from qa.evaluation.goldsets import gold_set, questions_in, rooted

    retriever = request.getfixturevalue("real_index")[0] if name == "home" else \
        request.getfixturevalue("real_set_retriever")
    record = EXPECTED["sets"][name][split]
    summary = evaluate_gold(retriever, questions_in(rooted(gold_set(name), ROOT), split)).summary
    assert (summary["questions"], summary["answerable"]) == (record["questions"], record["answerable"]), \
        "the gold split changed: record its figures again (python eval/update_expected.py)"
    problems = out_of_bounds(held_figures(summary), held_figures(record), EXPECTED["margin"],
                             tuple(EXPECTED["lower_is_better"]))
    assert not problems, f"{name} set, {split} split:\n" + "\n".join(problems)
