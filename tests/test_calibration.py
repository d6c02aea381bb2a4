"""A missing or malformed calibration file is a clear error that says how to make one (docs/faults.md)."""

from __future__ import annotations

import pytest

from qa.answers.calibration import load_calibration
from qa.types import SettingsError


def test_missing_calibration_says_to_run_fit_answers(tmp_path):
    with pytest.raises(SettingsError, match=r"is missing: run `qa fit-answers`"):
        load_calibration(tmp_path / "calibration.json")


@pytest.mark.parametrize("text", ["not json", "{}", '{"passages": 3, "threshold": 0.5}'])
def test_malformed_calibration_says_to_run_fit_answers(tmp_path, text):
    path = tmp_path / "calibration.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError, match=r"is malformed .*: run `qa fit-answers`"):
        load_calibration(path)
