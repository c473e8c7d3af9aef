"""Shared statistics (theorybench.stats), each against an independent computation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from theorybench import stats


def test_logistic_trend_matches_unpenalised_sklearn() -> None:
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    x = rng.uniform(0, 3, 400)
    y = (rng.uniform(size=400) < 1 / (1 + np.exp(-(-2 + 1.5 * x)))).astype(float)
    tr = stats.logistic_trend(x, y)
    ref = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(x[:, None], y)
    assert tr.slope == pytest.approx(ref.coef_[0, 0], rel=1e-5)
    assert tr.intercept == pytest.approx(ref.intercept_[0], rel=1e-5)
    assert tr.slope_lo < 1.5 < tr.slope_hi


def test_logistic_interval_covers_the_true_slope_at_its_level() -> None:
    """Coverage of the 95 % Wald interval over 400 simulated data sets: within 3 binomial
    standard errors of 0.95."""
    rng = np.random.default_rng(1)
    hits = 0
    for _ in range(400):
        x = rng.uniform(0, 2, 300)
        y = (rng.uniform(size=300) < 1 / (1 + np.exp(-(-1 + x)))).astype(float)
        tr = stats.logistic_trend(x, y)
        hits += tr.slope_lo <= 1 <= tr.slope_hi
    assert abs(hits / 400 - 0.95) <= 3 * np.sqrt(0.95 * 0.05 / 400)


def test_binomial_interval_contains_the_fraction_and_narrows_with_n() -> None:
    lo, hi = stats.binomial_interval([0, 5, 10], [10, 10, 10])
    assert lo[0] == 0 and hi[-1] == 1 and np.all(lo <= np.array([0, 0.5, 1]))
    lo2, hi2 = stats.binomial_interval(50, 100)
    assert hi2[0] - lo2[0] < hi[1] - lo[1]


@given(st.integers(0, 50), st.integers(1, 50))
def test_binomial_interval_is_a_valid_interval(k, n) -> None:
    k = min(k, n)
    lo, hi = stats.binomial_interval(k, n)
    assert 0 <= lo[0] <= k / n <= hi[0] <= 1


def test_spread_drops_nan_and_orders_its_quantiles() -> None:
    sp = stats.spread([1.0, 2.0, np.nan, 3.0, 4.0])
    assert sp.n == 4 and sp.median == 2.5 and sp.q10 <= sp.median <= sp.q90
    assert "n = 4" in str(sp)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: stats.binomial_interval(3, 2), "successes"),
        (lambda: stats.binomial_interval(1.5, 2), "integers"),
        (lambda: stats.binomial_interval(1, 2, confidence=1.0), "confidence"),
        (lambda: stats.logistic_trend([0, 1], [1, 1]), "both values"),
        (lambda: stats.logistic_trend([0, 0, 0], [0, 1, 0]), "distinct"),
        (lambda: stats.logistic_trend([0, 1, 2, 3], [0, 0, 1, 1]), "separated"),
        (lambda: stats.spread([np.nan]), "finite"),
    ],
)
def test_bad_input_raises_value_error(call, match) -> None:
    with pytest.raises(ValueError, match=match):
        call()
