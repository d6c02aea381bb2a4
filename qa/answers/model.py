"""The fitted answer model: two logistic regressions stored as plain numbers in answer_model.json.

``candidate`` scores each candidate sentence (the probability that it holds the answer);
``question`` turns the best candidate's features into the answer's confidence (the probability
that the quote answers the question); ``answerable`` turns the same features into the probability
that the corpus answers the question at all: below ``threshold`` the answer abstains, as it does
when no passage's cosine with the question reaches ``topic_floor`` (a question off the corpus). ``passages`` is how
many retrieved passages are scored. Refit with ``qa fit-answers`` (qa/evaluation/fit.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from qa.answers.features import CANDIDATE_FEATURES, QUESTION_FEATURES
from qa.types import SettingsError

MODEL_PATH = Path(__file__).with_name("answer_model.json")


def sigmoid(z: np.ndarray | float) -> np.ndarray:
    """1 / (1 + exp(-z)), computed without overflow."""
    z = np.asarray(z, dtype=np.float64)
    return np.where(z >= 0, 1 / (1 + np.exp(-np.abs(z))), np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z))))


@dataclass(frozen=True)
class LinearModel:
    """logit = bias + sum_i weights_i * (x_i - mean_i) / scale_i over the named features."""

    features: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]

    def __post_init__(self) -> None:
        n = len(self.features)
        if not (len(self.weights) == len(self.mean) == len(self.scale) == n):
            raise SettingsError(f"answer model: {n} features but {len(self.weights)} weights, "
                                f"{len(self.mean)} means and {len(self.scale)} scales")
        if any(s <= 0 for s in self.scale):
            raise SettingsError("answer model: every scale must be positive")

    def logits(self, x: np.ndarray) -> np.ndarray:
        """One logit per row of ``x`` (rows of features in the order of ``features``)."""
        x = np.atleast_2d(np.asarray(x, dtype=np.float64))
        return self.bias + ((x - np.array(self.mean)) / np.array(self.scale)) @ np.array(self.weights)

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        return sigmoid(self.logits(x))

    def to_json(self) -> dict:
        return {"features": list(self.features), "weights": [round(w, 6) for w in self.weights],
                "bias": round(self.bias, 6), "mean": [round(m, 6) for m in self.mean],
                "scale": [round(s, 6) for s in self.scale]}

    @classmethod
    def from_json(cls, row: dict, expected: tuple[str, ...]) -> "LinearModel":
        if tuple(row["features"]) != expected:
            raise SettingsError(f"answer model features {row['features']} are not the code's {list(expected)}: "
                                "run `qa fit-answers`")
        return cls(tuple(row["features"]), tuple(map(float, row["weights"])), float(row["bias"]),
                   tuple(map(float, row["mean"])), tuple(map(float, row["scale"])))


def off_topic(topic: float, rare_top: float, floor: float) -> bool:
    """A question off the corpus: its best passage cosine falls below ``floor`` and the passages
    lack one of its two rarest terms (``rare_top`` < 1). A short question whose rare words the
    passages do hold ("What is DARC?") is on topic however low its cosine."""
    return topic < floor and rare_top < 1.0


@dataclass(frozen=True)
class AnswerModel:
    """The candidate scorer, the confidence and answerability models, the abstention threshold
    (on the answerability probability), the pool size and the topic floor."""

    candidate: LinearModel
    question: LinearModel
    answerable: LinearModel
    threshold: float
    passages: int
    topic_floor: float = 0.0

    def refuses(self, answerable: float, topic: float, threshold: float | None = None, rare_top: float = 0.0) -> bool:
        """Whether to abstain: no retrieved passage is on the question's topic (see ``off_topic``),
        or the answerability is below the threshold (``threshold`` overrides it)."""
        return (off_topic(topic, rare_top, self.topic_floor)
                or answerable < (self.threshold if threshold is None else threshold))

    def to_json(self, about: dict | None = None) -> dict:
        return {"about": about or {}, "passages": self.passages, "threshold": round(self.threshold, 6),
                "topic_floor": round(self.topic_floor, 6),
                "candidate": self.candidate.to_json(), "question": self.question.to_json(),
                "answerable": self.answerable.to_json()}


def parse_model(row: dict) -> AnswerModel:
    """An AnswerModel from its JSON object; SettingsError when it does not fit the code."""
    try:
        return AnswerModel(LinearModel.from_json(row["candidate"], CANDIDATE_FEATURES),
                           LinearModel.from_json(row["question"], QUESTION_FEATURES),
                           LinearModel.from_json(row["answerable"], QUESTION_FEATURES),
                           float(row["threshold"]), int(row["passages"]), float(row["topic_floor"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise SettingsError(f"answer model is malformed ({exc}): run `qa fit-answers`") from exc


@lru_cache(maxsize=4)
def load_defaults(path: Path = MODEL_PATH) -> tuple[int, float]:
    """(passages, threshold) of the model at ``path``, read without parsing its weights, so that
    settings can be made (and the model refit) while the weights do not fit the code."""
    try:
        row = json.loads(Path(path).read_text(encoding="utf-8"))
        return int(row["passages"]), float(row["threshold"])
    except FileNotFoundError as exc:
        raise SettingsError(f"answer model {path} is missing: run `qa fit-answers`") from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise SettingsError(f"answer model {path} is malformed ({exc}): run `qa fit-answers`") from exc


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_PATH) -> AnswerModel:
    """The answer model stored at ``path`` (the packaged one by default), read once."""
    try:
        return parse_model(json.loads(Path(path).read_text(encoding="utf-8")))
    except FileNotFoundError as exc:
        raise SettingsError(f"answer model {path} is missing: run `qa fit-answers`") from exc
