"""The reader's calibration: P(the quoted answer is right) from the reader's scores and retrieval
features, how many passages are read, and the refusal threshold, stored as plain numbers in
calibration.json. Fit on the gold sets' tuning splits by ``qa fit-answers`` (qa/evaluation/calibrate.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from qa.answers.model import LinearModel
from qa.answers.reading import READER_FEATURES
from qa.answers.rerank import Rerank
from qa.types import SettingsError

CALIBRATION_PATH = Path(__file__).with_name("calibration.json")


@dataclass(frozen=True)
class Calibration:
    """``model`` turns READER_FEATURES into P(right); below ``threshold`` the answer abstains;
    ``passages`` are read, in windows of ``window`` word pieces (0: the reader's own), and the span
    is chosen with ``rank_weight`` (qa.answers.reading.pick). With ``ensemble`` the earlier linear
    scorer's answer is taken where its confidence beats the reader's (both are P(right)); with
    ``linear_refusal`` its answerability model's refusals (off the corpus, near misses) stand.
    The quote is chosen with the sentence scorer's logits weighted by ``scorer_weight``, among
    the sentences of the reader's spans, or among every sentence read with ``every_sentence``
    (qa.answers.reading.pick). Before reading, ``rerank`` reorders the retrieved passages by the
    sentence scorer (qa.answers.rerank; depth 0: retrieval's order). The reader proposes its
    ``per_window`` best spans in each window (the quotes are their sentences)."""

    model: LinearModel
    passages: int
    threshold: float
    rank_weight: float = 0.0
    window: int = 0
    ensemble: bool = False
    linear_refusal: bool = False
    scorer_weight: float = 0.0
    every_sentence: bool = False
    rerank: Rerank = Rerank()
    per_window: int = 3
    about: dict = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not 1 <= self.passages <= 50:
            raise SettingsError(f"calibration: passages must be between 1 and 50, got {self.passages}")
        if not 0 <= self.threshold <= 1:
            raise SettingsError(f"calibration: threshold must be between 0 and 1, got {self.threshold}")
        if self.window and not 32 <= self.window <= 512:
            raise SettingsError(f"calibration: window must be 0 or between 32 and 512, got {self.window}")
        if not 1 <= self.per_window <= 100:
            raise SettingsError(f"calibration: per_window must be between 1 and 100, got {self.per_window}")
        if self.rank_weight < 0 or self.scorer_weight < 0:
            raise SettingsError(f"calibration: rank_weight and scorer_weight must be >= 0, got "
                                f"{self.rank_weight} and {self.scorer_weight}")

    def probability(self, features: tuple[float, ...]) -> float:
        """P(the answer with these READER_FEATURES is right)."""
        return float(self.model.probabilities(np.array([features]))[0])

    def to_json(self) -> dict:
        return {"about": self.about, "passages": self.passages, "threshold": self.threshold,
                "rank_weight": self.rank_weight, "window": self.window, "ensemble": self.ensemble,
                "linear_refusal": self.linear_refusal, "scorer_weight": self.scorer_weight,
                "every_sentence": self.every_sentence, "rerank": self.rerank.to_json(), "per_window": self.per_window,
                "model": self.model.to_json()}

    @classmethod
    def from_json(cls, data: dict) -> "Calibration":
        return cls(LinearModel.from_json(data["model"], READER_FEATURES), int(data["passages"]),
                   float(data["threshold"]), float(data.get("rank_weight", 0.0)), int(data.get("window", 0)), bool(data.get("ensemble", False)),
                   # written before the two were told apart, "ensemble" meant both
                   bool(data.get("linear_refusal", data.get("ensemble", False))),
                   float(data.get("scorer_weight", 0.0)), bool(data.get("every_sentence", False)),
                   Rerank.from_json(data.get("rerank")), int(data.get("per_window", 3)), data.get("about", {}))


@lru_cache(maxsize=4)
def load_calibration(path: Path = CALIBRATION_PATH) -> Calibration:
    """The calibration stored at ``path``; SettingsError naming the file when it is missing or bad."""
    try:
        return Calibration.from_json(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError as exc:
        raise SettingsError(f"calibration {path} is missing: run `qa fit-answers`") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise SettingsError(f"calibration {path} is malformed ({exc}): run `qa fit-answers`") from exc
