"""Two or more retrieval runs on the same queries: which differences are more than chance.

For each metric, over the queries that have a relevant judgement (those
``qa.evaluation.metrics.per_query`` scores; a run missing a query scores 0.0 on it), each run
other than the baseline is paired with the baseline query by query:

- *wins / ties / losses*: queries where the run's value is above / equal to (within 1e-12) /
  below the baseline's;
- *paired t-test*, two-sided: ``scipy.stats.ttest_rel`` (ranx's ``paired_student_t_test`` is
  the same call). Student, "The probable error of a mean", Biometrika 6(1), 1908;
- *Fisher's randomisation test*, two-sided: ``scipy.stats.permutation_test`` with
  ``permutation_type="samples"``: under the null hypothesis each query's two values are as likely
  swapped as not, and the statistic is the mean difference. Exact (all ``2**n`` swaps) when
  ``2**n <= permutations``, else ``permutations`` random swaps from a fixed seed, with the p-value
  ``(count + 1) / (permutations + 1)`` (ranx counts ``count / permutations``). Smucker, Allan &
  Carterette, "A comparison of statistical significance tests for information retrieval
  evaluation", CIKM 2007;
- *Holm's correction* of each test's p-values over the comparisons within one metric (runs - 1
  of them). Holm, "A simple sequentially rejective multiple test procedure", Scand. J. Statist.
  6(2), 1979.

A difference is significant when its corrected p-value is below ``alpha``. Nothing here mutates
its arguments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from qa.evaluation.metrics import DEFAULT_METRICS, Qrels, Run, parse_metric, per_query
from qa.types import QAError, SettingsError

TIE_TOLERANCE = 1e-12


def paired_t_test(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Two-sided p-value of the paired t-test of ``a`` against ``b`` (one pair per query).

    ``None`` when it is undefined: fewer than two pairs. When every difference is the same the
    standard error is 0: the p-value is 1.0 if that difference is 0, else 0.0 (the limit as the
    spread goes to 0), where scipy would return NaN or warn of lost precision.
    Raises ValueError when ``a`` and ``b`` differ in length.
    """
    x, y = _pair(a, b)
    if len(x) < 2:
        return None
    d = x - y
    if np.allclose(d, d[0], rtol=0.0, atol=TIE_TOLERANCE):
        return 1.0 if abs(d[0]) <= TIE_TOLERANCE else 0.0
    from scipy.stats import ttest_rel

    return float(ttest_rel(x, y, alternative="two-sided").pvalue)


def randomisation_test(a: Sequence[float], b: Sequence[float], permutations: int = 10_000, seed: int = 42) -> float:
    """Two-sided p-value of Fisher's paired randomisation test of ``a`` against ``b``.

    Exact when ``2 ** len(a) <= permutations``; otherwise ``permutations`` random swaps drawn from
    ``numpy.random.default_rng(seed)``, so the same inputs give the same p-value. 1.0 when every
    difference is 0 or there is one pair. Raises ValueError for no pairs or inputs of different lengths.
    """
    x, y = _pair(a, b)
    if len(x) == 0:
        raise ValueError("the randomisation test needs at least one pair of values")
    if len(x) == 1 or np.all(np.abs(x - y) <= TIE_TOLERANCE):
        return 1.0   # one pair: both of its swaps give a difference as large as the one seen
    from scipy.stats import permutation_test

    result = permutation_test((x, y), _mean_difference, permutation_type="samples", vectorized=True,
                              n_resamples=permutations, alternative="two-sided", rng=np.random.default_rng(seed))
    return float(result.pvalue)


def _mean_difference(x, y, axis):
    return np.mean(x - y, axis=axis)


def _pair(a: Sequence[float], b: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"paired values must be two flat sequences of one length, got {x.shape} and {y.shape}")
    return x, y


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm–Bonferroni adjusted p-values, in the order given; ``None`` stays ``None`` and is not counted.

    With the ``m`` defined p-values sorted ascending, ``p_(i)`` becomes
    ``max_{j <= i} min(1, (m - j + 1) * p_(j))`` (1-based ``i``, ``j``); a hypothesis is rejected
    at level alpha when its adjusted value is below alpha.
    """
    defined = [i for i, p in enumerate(p_values) if p is not None]
    order = sorted(defined, key=lambda i: p_values[i])
    adjusted: list[float | None] = [None] * len(p_values)
    running, m = 0.0, len(defined)
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def wins_ties_losses(a: Sequence[float], b: Sequence[float]) -> tuple[int, int, int]:
    """How many pairs have ``a`` above, equal to (within 1e-12) and below ``b``."""
    x, y = _pair(a, b)
    d = x - y
    ties = int(np.sum(np.abs(d) <= TIE_TOLERANCE))
    wins = int(np.sum(d > TIE_TOLERANCE))
    return wins, ties, len(d) - wins - ties


@dataclass(frozen=True)
class PValue:
    """One test's p-value (None: undefined), Holm-corrected within its metric, and whether that is below alpha."""

    p: float | None
    corrected: float | None
    significant: bool


@dataclass(frozen=True)
class Paired:
    """One run against the baseline on one metric."""

    run: str
    metric: str
    mean: float
    delta: float
    wins: int
    ties: int
    losses: int
    t_test: PValue
    randomisation: PValue


@dataclass(frozen=True)
class Comparison:
    """Runs compared on the same queries.

    ``runs`` lists the baseline first; ``per_query[run][metric][qid]`` holds every value the means
    and tests come from; ``paired[metric][run]`` holds each non-baseline run's comparison;
    ``covered[run]`` counts the compared queries for which the run retrieved anything.
    """

    baseline: str
    runs: tuple[str, ...]
    metrics: tuple[str, ...]
    queries: tuple[str, ...]
    per_query: dict
    means: dict
    paired: dict
    covered: dict
    alpha: float
    permutations: int
    seed: int

    def differences(self, metric: str, run: str) -> list[tuple[str, float]]:
        """``(qid, run's value - baseline's)`` for every query, largest gain first (ties by qid)."""
        mine, base = self.per_query[run][metric], self.per_query[self.baseline][metric]
        return sorted(((q, mine[q] - base[q]) for q in self.queries), key=lambda item: (-item[1], item[0]))

    def to_json(self, per_query: bool = False) -> dict:
        """A JSON-ready dict: settings, means, and per metric and run the wins/ties/losses and p-values."""
        out = {"baseline": self.baseline, "runs": list(self.runs), "metrics": list(self.metrics),
               "queries": len(self.queries), "alpha": self.alpha, "correction": "holm",
               "permutations": self.permutations, "seed": self.seed, "covered": dict(self.covered),
               "means": {r: dict(self.means[r]) for r in self.runs},
               "tests": {m: {r: _paired_json(p) for r, p in self.paired[m].items()} for m in self.metrics}}
        if per_query:
            out["per_query"] = {r: {m: dict(v) for m, v in self.per_query[r].items()} for r in self.runs}
        return out


def _paired_json(p: Paired) -> dict:
    def test(v: PValue) -> dict:
        return {"p": v.p, "p_holm": v.corrected, "significant": v.significant}

    return {"mean": p.mean, "delta": p.delta, "wins": p.wins, "ties": p.ties, "losses": p.losses,
            "t_test": test(p.t_test), "randomisation": test(p.randomisation)}


def compare_runs(runs: Mapping[str, Run], qrels: Qrels, metrics: Sequence[str] = DEFAULT_METRICS,
                 baseline: str | None = None, alpha: float = 0.05, permutations: int = 10_000,
                 seed: int = 42) -> Comparison:
    """Compare ``runs`` (``{name: run}``, two or more) with ``baseline`` (default: the first) on ``qrels``.

    Returns a Comparison. Raises SettingsError (a QAError and ValueError) for fewer than two runs,
    an unknown baseline, no or an unknown metric, ``alpha`` outside (0, 1) or ``permutations`` below 1; QAError
    when no query of the qrels has a relevant judgement.
    """
    names = list(runs)
    if len(names) < 2:
        raise SettingsError(f"a comparison needs two or more runs, got {len(names)}: {', '.join(names) or 'none'}")
    baseline = names[0] if baseline is None else baseline
    if baseline not in runs:
        raise SettingsError(f"baseline {baseline!r} is not one of the runs: {', '.join(names)}")
    if not 0 < alpha < 1:
        raise SettingsError(f"alpha must be between 0 and 1, got {alpha}")
    if isinstance(permutations, bool) or not isinstance(permutations, int) or permutations < 1:
        raise SettingsError(f"permutations must be a positive integer, got {permutations!r}")
    metrics = tuple(metrics)
    if not metrics:
        raise SettingsError("a comparison needs at least one metric")
    for metric in metrics:
        try:
            parse_metric(metric)
        except ValueError as exc:
            raise SettingsError(str(exc)) from None
    order = [baseline, *(n for n in names if n != baseline)]
    values = {r: {m: per_query(runs[r], qrels, m) for m in metrics} for r in order}
    queries = tuple(values[baseline][metrics[0]])
    if not queries:
        raise QAError("no query of the judgements has a relevant document: there is nothing to compare")
    means = {r: {m: float(np.mean([values[r][m][q] for q in queries])) for m in metrics} for r in order}
    paired = {m: _paired_metric(values, means, order, m, queries, alpha, permutations, seed) for m in metrics}
    covered = {r: sum(1 for q in queries if runs[r].get(q)) for r in order}
    return Comparison(baseline=baseline, runs=tuple(order), metrics=metrics, queries=queries, per_query=values,
                      means=means, paired=paired, covered=covered, alpha=alpha, permutations=permutations, seed=seed)


def _paired_metric(values, means, order, metric, queries, alpha, permutations, seed) -> dict[str, Paired]:
    base = [values[order[0]][metric][q] for q in queries]
    others = order[1:]
    columns = {r: [values[r][metric][q] for q in queries] for r in others}
    t_raw = [paired_t_test(columns[r], base) for r in others]
    r_raw = [randomisation_test(columns[r], base, permutations, seed) for r in others]
    t_holm, r_holm = holm(t_raw), holm(r_raw)
    out = {}
    for i, r in enumerate(others):
        wins, ties, losses = wins_ties_losses(columns[r], base)
        out[r] = Paired(run=r, metric=metric, mean=means[r][metric], delta=means[r][metric] - means[order[0]][metric],
                        wins=wins, ties=ties, losses=losses, t_test=_p(t_raw[i], t_holm[i], alpha),
                        randomisation=_p(r_raw[i], r_holm[i], alpha))
    return out


def _p(raw: float | None, corrected: float | None, alpha: float) -> PValue:
    return PValue(p=raw, corrected=corrected, significant=corrected is not None and corrected < alpha)
