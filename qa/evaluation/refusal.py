"""Refusal and calibration scores of the answer stage: the refusal threshold with the best F1 within
a limit on answerable questions refused, refusal F1, log loss. Pure functions of arrays."""

from __future__ import annotations

import numpy as np

MAX_WRONG_REFUSALS = 0.05


def log_loss(p: np.ndarray, y: np.ndarray) -> float:
    """Mean binary log loss, probabilities clipped to [1e-6, 1 - 1e-6]."""
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def choose_threshold(p: np.ndarray, answerable: np.ndarray, max_wrong: float = MAX_WRONG_REFUSALS,
                     also_refused: np.ndarray | None = None) -> float:
    """The refusal threshold (refuse when p < t, or where ``also_refused``) with the best refusal F1
    among those that refuse at most ``max_wrong`` of the answerable questions; 0.0 (never refuse by
    p) when none does better."""
    return _best_refusal(p, answerable, max_wrong, also_refused)[1]


def refusal_f1(refused: np.ndarray, answerable: np.ndarray) -> float:
    """F1 of refusing the unanswerable questions (precision: refused ones that were unanswerable)."""
    right = int((refused & ~answerable).sum())
    prec = right / refused.sum() if refused.sum() else 0.0
    rec = right / (~answerable).sum() if (~answerable).sum() else 0.0
    return 2 * prec * rec / (prec + rec) if prec + rec else 0.0


def _best_refusal(p, answerable, max_wrong, also_refused=None) -> tuple[float, float]:
    """(refusal F1, threshold) of the best allowed threshold; (F1 of ``also_refused`` alone, 0.0)
    when none beats it, or (-1, 0.0) when even that refuses too many answerable questions."""
    also = np.zeros(len(p), dtype=bool) if also_refused is None else also_refused
    best, best_t = -1.0, 0.0
    for t in sorted(set(np.round(p, 4)) | {0.0}):
        refused = (p < t) | also
        if answerable.sum() and (refused & answerable).sum() / answerable.sum() > max_wrong:
            continue
        f1 = refusal_f1(refused, answerable)
        if f1 > best:
            best, best_t = f1, float(t)
    return best, best_t
