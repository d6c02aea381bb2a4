"""L2-regularised logistic regression by Newton's method, and standardisation: pure numpy.

Minimises  sum_i w_i * logloss(y_i, sigmoid(b + x_i . beta)) + l2 / 2 * |beta|^2  (the bias b is
not penalised). Each Newton step solves  H d = g  with the gradient
g = X1^T (w * (p - y)) + l2 * [0, beta]  and Hessian  H = X1^T diag(w p (1 - p)) X1 + l2 * diag(0, 1, ..., 1),
X1 being X with a leading column of ones (Hastie, Tibshirani & Friedman, ESL 4.4.1).
"""

from __future__ import annotations

import numpy as np

from qa.answers.model import LinearModel, sigmoid


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, sample_weight: np.ndarray | None = None,
                 iterations: int = 100, tol: float = 1e-10) -> tuple[np.ndarray, float]:
    """(coefficients, bias) of the regularised logistic regression of ``y`` (0/1) on ``x``.

    Raises ValueError for mismatched shapes, an empty sample or a negative ``l2``.
    """
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    y = np.asarray(y, dtype=np.float64)
    if x.shape[0] != y.shape[0] or x.shape[0] == 0:
        raise ValueError(f"{x.shape[0]} rows of features for {y.shape[0]} labels")
    if l2 < 0:
        raise ValueError(f"l2 must be >= 0, got {l2}")
    w = np.ones_like(y) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    x1 = np.hstack([np.ones((x.shape[0], 1)), x])
    penalty = np.full(x1.shape[1], l2)
    penalty[0] = 0.0
    theta = np.zeros(x1.shape[1])
    for _ in range(iterations):
        p = sigmoid(x1 @ theta)
        grad = x1.T @ (w * (p - y)) + penalty * theta
        hess = (x1 * (w * p * (1 - p))[:, None]).T @ x1 + np.diag(penalty) + 1e-9 * np.eye(len(theta))
        step = np.linalg.solve(hess, grad)
        theta -= step
        if np.max(np.abs(step)) < tol:
            break
    return theta[1:], float(theta[0])


def standardisation(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean, scale) of each column; a constant column gets scale 1 so it stays finite."""
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    scale = x.std(axis=0)
    return x.mean(axis=0), np.where(scale > 1e-12, scale, 1.0)


def fit_linear(names: tuple[str, ...], x: np.ndarray, y: np.ndarray, l2: float = 1.0,
               sample_weight: np.ndarray | None = None) -> LinearModel:
    """A LinearModel over standardised features (so ``l2`` treats every feature alike)."""
    mean, scale = standardisation(x)
    coef, bias = fit_logistic((np.asarray(x, dtype=np.float64) - mean) / scale, y, l2, sample_weight)
    return LinearModel(tuple(names), tuple(float(c) for c in coef), bias,
                       tuple(float(m) for m in mean), tuple(float(s) for s in scale))
