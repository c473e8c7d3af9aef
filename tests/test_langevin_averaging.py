"""Langevin dynamics with iterate averaging (theory/langevin_averaging.md)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from theorybench import langevin_averaging as la
from theorybench.langevin_averaging.experiment import _he

ROOT2PI = math.sqrt(2 * math.pi)


@pytest.fixture(scope="module")
def ci_sweep():
    """The notebook's sweep at ci size (k* = 3; d = 16, 32, 64; 24 runs per point)."""
    return la.sweep(**la.sizes().kwargs())


@pytest.mark.claim(
    "la-hermite",
    chapter="langevin_averaging",
    statement="Hermite coefficients by Gauss-Hermite quadrature equal their closed forms; k* is "
    "the first non-zero one",
)
def test_hermite_coefficients_match_closed_forms(record_property) -> None:
    cases = {
        "He_3": (lambda z: z**3 - 3 * z, [0, 0, 0, 1, 0, 0], 3),
        "z^3": (lambda z: z**3, [0, 3, 0, 1, 0, 0], 1),
        "He_4": (lambda z: z**4 - 6 * z**2 + 3, [0, 0, 0, 0, 1, 0], 4),
        "z^2 - 1": (lambda z: z**2 - 1, [0, 0, 1, 0, 0, 0], 2),
        # ReLU: E[relu] = 1/sqrt(2 pi), E[relu z] = 1/2, E[relu He_2] / 2 = 1/(2 sqrt(2 pi)), c_3 = 0
        "ReLU": (lambda z: np.maximum(z, 0), [1 / ROOT2PI, 0.5, 1 / (2 * ROOT2PI), 0], 1),
    }
    worst = 0.0
    for link, expected, k_star in cases.values():
        c = la.hermite_coefficients(link, len(expected) - 1, points=200)
        tol = 1e-3 if link(np.array([-1.0]))[0] == 0 else 1e-10  # ReLU is not a polynomial
        worst = max(worst, float(np.max(np.abs(c - expected))))
        np.testing.assert_allclose(c, expected, atol=tol)
        assert la.information_exponent(link) == k_star
    record_property("measured", worst)
    record_property("predicted", "0 (largest coefficient error)")
    # |z| - sqrt(2/pi) is even with no constant: k* = 2
    assert la.information_exponent(lambda z: np.abs(z) - math.sqrt(2 / math.pi)) == 2


def test_hermite_recurrence_matches_numpy_and_its_derivative() -> None:
    z = np.linspace(-3, 3, 41)
    for k in range(1, 7):
        value, slope = _he(z, k)
        ref = np.polynomial.hermite_e.hermeval(z, [0] * k + [1]) / math.sqrt(math.factorial(k))
        np.testing.assert_allclose(value, ref, atol=1e-10)
        h = 1e-6
        numeric = (_he(z + h, k)[0] - _he(z - h, k)[0]) / (2 * h)
        np.testing.assert_allclose(slope, numeric, atol=1e-5)


@pytest.mark.claim(
    "la-partial-trace",
    chapter="langevin_averaging",
    statement="The partial-trace estimator (high-temperature limit of averaging) has overlap "
    "sqrt(6)/sqrt(6 + (d-1)(2d+64)/n)",
)
def test_partial_trace_overlap_matches_simulation(record_property) -> None:
    worst = 0.0
    # leading order in 1/n and 1/d: within 0.04 for d >= 32 (at d = 16 it is 0.06 low)
    for d, n in [(32, 1024), (32, 2048), (64, 1365), (64, 4096)]:
        X, y, w_star = la.single_index_data(n, d, 3, runs=64, seed=d + n)
        u = la.partial_trace_estimator(X, y)
        overlap = ((u / u.norm(dim=1, keepdim=True)) * w_star).sum(1).abs().mean().item()
        worst = max(worst, abs(overlap - float(la.partial_trace_overlap(n, d))))
    record_property("measured", worst)
    record_property("predicted", "0 (largest |simulated - closed form| mean overlap; < 0.04)")
    assert worst < 0.04


def test_partial_trace_signal_is_sqrt6_along_w_star() -> None:
    """E u = sqrt(6) w*: the sample mean over 400,000 points, component by component."""
    X, y, w_star = la.single_index_data(400_000, 4, 3, runs=1, seed=9)
    u = la.partial_trace_estimator(X, y)[0]
    np.testing.assert_allclose(u.numpy(), math.sqrt(6) * w_star[0].numpy(), atol=0.08)


@pytest.mark.claim(
    "la-average-smooths",
    chapter="langevin_averaging",
    statement="At high temperature the average of Langevin iterates points along the partial "
    "trace (the smoothed gradient) while single iterates wander",
)
def test_hot_langevin_average_follows_the_partial_trace(record_property) -> None:
    X, y, w_star = la.single_index_data(400, 32, 3, runs=8, seed=4)
    run = la.langevin(X, y, w_star, 3, beta=8.0, steps=12000, burn_in=500)
    u = la.partial_trace_estimator(X, y).numpy()
    avg = run.average
    cos = np.sum(avg * u, 1) / (np.linalg.norm(avg, axis=1) * np.linalg.norm(u, axis=1))
    record_property("measured", float(cos.mean()))
    record_property("predicted", ">= 0.7 (cosine between the average and the partial trace)")
    assert cos.mean() >= 0.7
    last, average = run.last_overlap[:, -1].mean(), run.average_overlap[:, -1].mean()
    assert average >= last + 0.2  # averaging is what recovers the direction


@pytest.mark.claim(
    "la-vs-sgd",
    chapter="langevin_averaging",
    statement="Averaged Langevin reaches overlap 0.5 with at least 2 times fewer samples than "
    "online SGD (k* = 3, d = 16..64)",
)
def test_averaged_langevin_needs_fewer_samples_than_online_sgd(ci_sweep, record_property) -> None:
    res = ci_sweep
    _, n_avg = la.threshold_exponent(res.ds, res.ns, res.overlaps["averaged Langevin"])
    _, n_sgd = la.threshold_exponent(res.ds, res.ns, res.overlaps["online SGD"])
    assert np.all(np.isfinite(n_avg))
    sgd = np.where(np.isfinite(n_sgd), n_sgd, [n[-1] for n in res.ns])  # never: at least the max
    ratio = sgd / n_avg
    record_property("measured", f"{ratio.min():.1f}x fewer samples (smallest over d)")
    record_property("predicted", ">= 2x")
    assert ratio.min() >= 2
    # at d = 64, n = 4096: the average is well past 0.5 and well above online SGD
    i, j = res.ds.index(64), int(np.searchsorted(res.ns[2], 4096))
    averaged, sgd_at_n = res.overlaps["averaged Langevin"][i][j], res.overlaps["online SGD"][i][j]
    assert averaged >= 0.6 and averaged - sgd_at_n >= 0.15


@pytest.mark.claim(
    "la-exponent",
    chapter="langevin_averaging",
    statement="Fitted sample-complexity exponent of averaged Langevin (k* = 3, d = 16..64) "
    "against ceil(k*/2) = 2",
)
def test_fitted_exponent_of_averaged_langevin(ci_sweep, record_property) -> None:
    res = ci_sweep
    a, _ = la.threshold_exponent(res.ds, res.ns, res.overlaps["averaged Langevin"])
    record_property("measured", a)
    record_property("predicted", "2 = ceil(k*/2) (k*/2 = 1.5 is not resolved at d <= 64)")
    assert abs(a - 2) <= 0.35


@pytest.mark.claim(
    "la-cold-chain",
    chapter="langevin_averaging",
    statement="At the sweep's temperature (beta = d) and d = 64 single iterates already hold "
    "overlap >= 0.3 and averaging adds < 0.1; at beta = d/4 single iterates fall below 0.3",
)
def test_sweep_temperature_is_not_the_wandering_regime_at_d64(record_property) -> None:
    X, y, w_star = (t.float() for t in la.single_index_data(1024, 64, 3, runs=8, seed=2))
    held = {}
    for name, beta in (("cold", 64.0), ("hot", 16.0)):
        run = la.langevin(X, y, w_star, 3, beta=beta, steps=1000, burn_in=250, seed=2)
        held[name] = (run.last_overlap[:, 250:].mean(), run.average_overlap[:, -1].mean())
    (cold_it, cold_avg), (hot_it, _) = held["cold"], held["hot"]
    record_property("measured", f"iterates {cold_it:.2f}, average {cold_avg:.2f}; hot {hot_it:.2f}")
    record_property("predicted", "iterates >= 0.3, average - iterates < 0.1; hot iterates < 0.3")
    assert cold_it >= 0.3 and cold_avg - cold_it < 0.1
    assert hot_it < 0.3


def test_threshold_exponent_recovers_the_closed_form_slopes() -> None:
    """On the partial trace's closed-form curve: slope -> 2 for large d, ~1.53 for d in 16..64."""
    ns = [np.geomspace(10, 1e9, 400)] * 3
    for ds, expected, tol in (([16, 32, 64], 1.53, 0.03), ([4096, 8192, 16384], 2.0, 0.02)):
        over = [la.partial_trace_overlap(n, d) for n, d in zip(ns, ds, strict=True)]
        a, _ = la.threshold_exponent(ds, ns, over)
        assert a == pytest.approx(expected, abs=tol)


def test_partial_trace_slope_at_small_d_is_measured_by_simulation() -> None:
    """Simulated partial-trace thresholds at d = 16, 32, 64 show the finite-d slope ~1.5 that
    the closed form predicts, not its asymptotic 2: exponents fitted at small d mislead."""
    ds, ns, over = [16, 32, 64], [], []
    for d in ds:
        grid = np.unique(np.round(np.geomspace(0.2, 5, 8) * (d - 1) * (2 * d + 64) / 18)).astype(
            int
        )
        vals = []
        for n in grid:
            X, y, w_star = la.single_index_data(int(n), d, 3, runs=48, seed=int(n) + d)
            u = la.partial_trace_estimator(X, y)
            vals.append(((u / u.norm(dim=1, keepdim=True)) * w_star).sum(1).abs().mean().item())
        ns.append(grid)
        over.append(np.array(vals))
    a, _ = la.threshold_exponent(ds, ns, over)
    assert abs(a - 1.53) <= 0.35


def test_predicted_exponents() -> None:
    assert la.predicted_exponents(3) == {
        "online SGD": 2.0,
        "smoothing / averaged Langevin": 1.5,
        "partial trace (odd k)": 2.0,
    }
    assert la.predicted_exponents(1)["online SGD"] == 1.0
    assert la.predicted_exponents(4)["smoothing / averaged Langevin"] == 2.0


def test_runs_are_deterministic_and_batched_shapes() -> None:
    X, y, w_star = la.single_index_data(64, 8, 3, runs=3, seed=1)
    a = la.langevin(X, y, w_star, 3, beta=8.0, steps=50, burn_in=10, seed=2)
    b = la.langevin(X, y, w_star, 3, beta=8.0, steps=50, burn_in=10, seed=2)
    np.testing.assert_array_equal(a.average, b.average)
    assert a.last_overlap.shape == (3, 51) and np.isnan(a.average_overlap[:, :11]).all()
    overlap, w, _ = la.online_sgd(32, 8, 3, lr=0.05, runs=3, seed=0)
    assert overlap.shape == (3, 33) and torch.allclose(w.norm(dim=1), torch.ones(3, dtype=w.dtype))


def test_spiked_tensor_has_the_planted_spike_and_unit_noise() -> None:
    T, v = la.spiked_tensor(12, 3, 5.0, seed=0)
    spike = np.einsum("i,j,k->ijk", v, v, v)
    noise = T - 5.0 * spike
    assert abs(noise.std() - 1) < 0.05 and abs(noise.mean()) < 0.05
    assert np.einsum("ijk,ijk->", T, spike) == pytest.approx(5.0, abs=4.0)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: la.single_index_data(10, 8, 0), "k must be"),
        (lambda: la.single_index_data(0, 8, 3), "n must be"),
        (lambda: la.single_index_data(10, 1, 3), "d must be"),
        (lambda: la.langevin(*la.single_index_data(10, 4, 3), 3, beta=0.0), "beta"),
        (lambda: la.langevin(*la.single_index_data(10, 4, 3), 3, beta=-1.0), "beta"),
        (
            lambda: la.langevin(*la.single_index_data(10, 4, 3), 3, beta=1.0, steps=5, burn_in=5),
            "burn_in",
        ),
        (lambda: la.online_sgd(10, 4, 3, lr=0.0), "lr"),
        (lambda: la.hermite_coefficients(np.sin, -1), "kmax"),
        (lambda: la.information_exponent(lambda z: 0 * z + 1.0), "k\\* > kmax"),
        (lambda: la.threshold_exponent([16], [[1]], [[0.1]]), "at least two"),
        (lambda: la.partial_trace_overlap(0, 16), "n must be"),
        (lambda: la.spiked_tensor(1000, 3, 1.0), "too large"),
    ],
)
def test_bad_input_raises_value_error(call, match) -> None:
    with pytest.raises(ValueError, match=match):
        call()


def test_uniform_sphere_moment_behind_the_partial_trace() -> None:
    """E_0[w He_3(<w, x>)] = 3 x (||x||^2 - d - 2) / (d (d + 2)) over uniform w on the sphere
    (the first-order Gibbs mean), by Monte Carlo with 2,000,000 directions in d = 5."""
    rng = np.random.default_rng(0)
    d = 5
    x = rng.standard_normal(d) * 1.7
    w = rng.standard_normal((2_000_000, d))
    w /= np.linalg.norm(w, axis=1, keepdims=True)
    z = w @ x
    mc = (w * (z**3 - 3 * z)[:, None]).mean(0)
    closed = 3 * x * (x @ x - d - 2) / (d * (d + 2))
    np.testing.assert_allclose(mc, closed, atol=0.02)
