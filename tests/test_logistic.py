"""The Newton logistic regression against hand-worked fits, and the linear model it produces."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qa.answers.model import LinearModel, sigmoid
from qa.evaluation.logistic import fit_linear, fit_logistic, standardisation


def test_sigmoid_values_and_no_overflow():
    assert sigmoid(0.0) == pytest.approx(0.5)
    assert sigmoid(math.log(3)) == pytest.approx(0.75)
    assert sigmoid(-math.log(3)) == pytest.approx(0.25)
    assert np.all(np.isfinite(sigmoid(np.array([-1e4, 1e4]))))


def test_unregularised_fit_reproduces_group_rates():
    # x = 0: one positive in four -> b = log(1/3); x = 1: three in four -> b + w = log 3, so w = 2 log 3
    x = np.array([[0], [0], [0], [0], [1], [1], [1], [1]], dtype=float)
    y = np.array([1, 0, 0, 0, 1, 1, 1, 0], dtype=float)
    coef, bias = fit_logistic(x, y, l2=0.0)
    assert bias == pytest.approx(math.log(1 / 3), abs=1e-8)
    assert coef[0] == pytest.approx(2 * math.log(3), abs=1e-8)


def test_regularised_fit_meets_its_first_order_condition_and_shrinks():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3))
    y = (x[:, 0] - 0.5 * x[:, 1] + rng.normal(scale=0.5, size=60) > 0).astype(float)
    coef, bias = fit_logistic(x, y, l2=2.0)
    p = sigmoid(bias + x @ coef)
    assert np.sum(p - y) == pytest.approx(0.0, abs=1e-8)                       # bias: unpenalised
    assert np.allclose(x.T @ (p - y) + 2.0 * coef, 0.0, atol=1e-8)             # coefficients
    loose, _ = fit_logistic(x, y, l2=0.01)
    assert np.linalg.norm(coef) < np.linalg.norm(loose)


def test_sample_weights_count_like_repeated_rows():
    x = np.array([[0.0], [1.0], [2.0], [1.5]])
    y = np.array([0.0, 1.0, 1.0, 0.0])
    weighted = fit_logistic(x, y, l2=0.5, sample_weight=np.array([1, 2, 1, 1]))
    repeated = fit_logistic(np.vstack([x, [[1.0]]]), np.append(y, 1.0), l2=0.5)
    assert weighted[0] == pytest.approx(repeated[0]) and weighted[1] == pytest.approx(repeated[1])


def test_fit_logistic_rejects_bad_input():
    with pytest.raises(ValueError):
        fit_logistic(np.zeros((3, 1)), np.zeros(2))
    with pytest.raises(ValueError):
        fit_logistic(np.zeros((3, 1)), np.zeros(3), l2=-1)


def test_standardisation_and_linear_model_round_trip():
    x = np.array([[1.0, 5.0], [3.0, 5.0]])
    mean, scale = standardisation(x)
    assert list(mean) == [2.0, 5.0] and list(scale) == [1.0, 1.0]   # constant column: scale 1
    model = LinearModel(("a", "b"), (2.0, -1.0), 0.5, (2.0, 5.0), (1.0, 1.0))
    assert model.logits(np.array([[3.0, 6.0]]))[0] == pytest.approx(0.5 + 2 * 1 - 1 * 1)
    assert LinearModel.from_json(model.to_json(), ("a", "b")) == model
    fitted = fit_linear(("a",), np.array([[0.0], [0.0], [0.0], [0.0], [2.0], [2.0], [2.0], [2.0]]),
                        np.array([1, 0, 0, 0, 1, 1, 1, 0.0]), l2=0.0)
    assert fitted.probabilities(np.array([[0.0], [2.0]])) == pytest.approx([0.25, 0.75], abs=1e-6)


def test_linear_model_refuses_mismatched_or_foreign_features():
    from qa.types import SettingsError

    with pytest.raises(SettingsError):
        LinearModel(("a", "b"), (1.0,), 0.0, (0.0, 0.0), (1.0, 1.0))
    with pytest.raises(SettingsError):
        LinearModel.from_json(LinearModel(("a",), (1.0,), 0.0, (0.0,), (1.0,)).to_json(), ("b",))
