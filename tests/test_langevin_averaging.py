"""Langevin dynamics with iterate averaging (theory/langevin_averaging.md)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from theorybench import langevin_averaging as la
from theorybench.langevin_averaging.experiment import _he
from theorybench.training import TrainConfig

ROOT2PI = math.sqrt(2 * math.pi)


S = la.sizes("ci")


def _results(seed: int = 0) -> dict:
    """The notebook's experiments at the ci sizes, for master seed ``seed``."""
    k3 = la.estimator_sweep(3, S.k3_ds, S.k3_factors, runs=S.runs, seed=seed)
    k4 = la.estimator_sweep(4, S.k4_ds, S.k4_factors, runs=2 * S.runs, seed=seed)
    sgd4 = la.sgd_sweep(
        4, S.sgd4_ds, S.sgd4_factors, lr_factors=S.sgd4_lr_factors, runs=S.runs, seed=seed
    )
    pipe, alone = la.pipeline_sweep(S.pipeline_ds, S.pipeline_factors, runs=S.runs, seed=seed)
    return {"k3": k3, "k4": k4, "sgd4": sgd4, "pipeline": pipe, "alone": alone}


@pytest.fixture(scope="module")
def ci_results() -> dict:
    return _results(0)


@pytest.fixture(scope="module")
def traces() -> dict:
    """The paper's figure at ci size: hot chains for k* = 3 and 4 at d = 16."""
    return la.chain_traces(
        S.trace_ks, S.trace_d, beta=S.trace_beta, runs=S.trace_runs, train=S.trace_train
    )


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


@pytest.mark.slow  # a statistic over many runs: in make test, not the fast lane
@pytest.mark.claim(
    "la-average-smooths",
    chapter="langevin_averaging",
    statement="At high temperature the running mean (k* = 3) and the running second moment's "
    "top eigenvector (k* = 4) of Langevin iterates converge towards the high-temperature "
    "estimate on the same data while single iterates wander (d = 16, 4 chains each)",
    worst="min",
)
def test_hot_chains_converge_towards_the_high_temperature_estimate(traces, record_property) -> None:
    for k, (run, limit) in traces.items():
        avg = np.nanmean(run.average_overlap, 0)
        half = avg[np.searchsorted(run.steps, run.steps[-1] / 2)]
        record_property("measured", float(avg[-1]))
        record_property("measured", f"k*={k}: {avg[-1]:.2f} (half window {half:.2f}), "
                        f"iterate {run.iterate_overlap[:, -1].mean():.2f}, limit {limit:.2f}")  # fmt: skip
        assert avg[-1] >= 0.7 and limit - avg[-1] <= 0.2  # close to its limit
        assert avg[-1] >= half - 0.05  # and no longer falling as the window grows
        assert run.iterate_overlap[:, run.steps > run.steps[-1] / 2].mean() <= 0.4  # wandering
    record_property("predicted", ">= 0.7 and within 0.2 of the hot limit; iterates <= 0.4")


def test_long_hot_chain_average_points_along_the_partial_trace() -> None:
    """k* = 3, d = 32, n = 400, beta = 8, 12,000 steps: the final running mean has cosine >= 0.7
    with the partial trace u of the same data and beats the last iterate by >= 0.2."""
    X, y, w_star = la.single_index_data(400, 32, 3, runs=8, seed=4)
    run = la.langevin(X, y, w_star, 3, beta=8.0, train=TrainConfig(steps=12000, lr=0.05))
    u = la.high_temperature_estimate(X, y, 3).numpy()
    assert np.mean(np.sum(run.estimate * u, 1)) >= 0.7
    assert run.average_overlap[:, -1].mean() >= run.iterate_overlap[:, -1].mean() + 0.2


def _k3_checks(sw) -> tuple[float, str]:
    """k* = 3 sweep against the closed form: largest |mean - closed| - 3 SE over the grid (must be
    <= 0.04, the closed form's leading-order allowance) and the exponent's interval."""
    excess = max(
        float(np.max(np.abs(o.mean(0) - la.partial_trace_overlap(n, d)) - 3 * o.std(0) / np.sqrt(len(o))))
        for d, n, o in zip(sw.ds, sw.ns, sw.overlaps, strict=True)
    )  # fmt: skip
    e = sw.exponent()
    slope = float(
        np.polyfit(np.log(sw.ds), np.log(la.partial_trace_threshold(np.array(sw.ds))), 1)[0]
    )
    assert excess <= 0.04
    assert e.lo <= slope <= e.hi
    return (
        excess,
        f"exponent {e} (closed form {slope:.2f}); thresholds {np.round(e.thresholds).tolist()}",
    )


def _k4_ratios(res) -> np.ndarray:
    """n_SGD / n_average at each d of the SGD sweep; where SGD never reaches 0.5 on its grid, its
    largest n stands in (so the ratio is a lower bound)."""
    avg, sgd = res["k4"].exponent(), res["sgd4"].exponent()
    out = []
    for i, d in enumerate(res["sgd4"].ds):
        n_sgd = sgd.thresholds[i] if np.isfinite(sgd.thresholds[i]) else res["sgd4"].ns[i][-1]
        out.append(n_sgd / avg.thresholds[res["k4"].ds.index(d)])
    return np.array(out)


@pytest.mark.slow  # a statistic over many runs: in make test, not the fast lane
@pytest.mark.claim(
    "la-k3-exponent",
    chapter="langevin_averaging",
    statement="k* = 3: the averaged estimate (the hot chain's limit, streamed, d = 64-256, 32 data "
    "sets per point) follows the closed form: every mean overlap within 0.04 + 3 standard "
    "errors of it, and the closed form's local slope inside the fitted exponent's 95 % "
    "bootstrap interval",
    worst="max",
)
def test_partial_trace_exponent_matches_the_closed_form(ci_results, record_property) -> None:
    excess, text = _k3_checks(ci_results["k3"])
    record_property("measured", excess + 0.04)
    record_property("measured", text)
    record_property("predicted", "<= 0.04 (largest |mean - closed form| beyond 3 SE, + 0.04)")


@pytest.mark.slow  # a statistic over many runs: in make test, not the fast lane
@pytest.mark.claim(
    "la-k4-vs-sgd",
    chapter="langevin_averaging",
    statement="k* = 4: the averaged second moment (the hot chain's limit) reaches overlap 0.5 "
    "with at least 5 times fewer samples than online SGD (best of two step sizes; SGD's largest "
    "n where it never gets there) at every d, and its fitted exponent is below online SGD's 3",
    worst="min",
)
def test_even_k_average_needs_far_fewer_samples_than_online_sgd(
    ci_results, record_property
) -> None:
    ratio = _k4_ratios(ci_results)
    avg, sgd = ci_results["k4"].exponent(), ci_results["sgd4"].exponent()
    record_property("measured", float(ratio.min()))
    record_property("measured", f"ratios {np.round(ratio, 1).tolist()} at d = "
                    f"{ci_results['sgd4'].ds}; exponents: average {avg}, online SGD {sgd}")  # fmt: skip
    record_property("predicted", "ratio >= 5 at every d; average exponent < 3")
    assert np.all(ratio >= 5)
    assert avg.value < 3


@pytest.mark.slow  # a statistic over many runs: in make test, not the fast lane
@pytest.mark.claim(
    "la-pipeline",
    chapter="langevin_averaging",
    statement="k* = 3: averaging as a warm start for online SGD (the corollary's pipeline) has a "
    "smaller fitted threshold exponent than the average alone, and needs fewer samples at the "
    "largest d (d = 32-128, 32 data sets)",
)
def test_warm_start_pipeline_scales_better_than_the_average_alone(
    ci_results, record_property
) -> None:
    pipe, alone = ci_results["pipeline"].exponent(), ci_results["alone"].exponent()
    record_property("measured", f"pipeline {pipe}, average alone {alone}; thresholds "
                    f"{np.round(pipe.thresholds).tolist()} vs {np.round(alone.thresholds).tolist()}")  # fmt: skip
    record_property("predicted", "exponent 1.5 vs 2 asymptotically: pipeline smaller")
    assert pipe.value < alone.value
    assert pipe.thresholds[-1] < alone.thresholds[-1]


@pytest.mark.slow
@pytest.mark.parametrize("master", [1, 2, 3])
def test_exponent_claims_hold_for_other_master_seeds(master) -> None:
    """The thresholds above, fixed before the runs, for three other master seeds."""
    res = _results(master)
    _k3_checks(res["k3"])
    assert np.all(_k4_ratios(res) >= 5)
    assert res["k4"].exponent().value < 3
    pipe, alone = res["pipeline"].exponent(), res["alone"].exponent()
    assert pipe.value < alone.value and pipe.thresholds[-1] < alone.thresholds[-1]


def test_threshold_exponent_recovers_the_closed_form_slopes() -> None:
    """On the partial trace's closed-form curve: slope -> 2 for large d, ~1.53 for d in 16..64."""
    ns = [np.geomspace(10, 1e9, 400)] * 3
    cases = (
        ([16, 32, 64], 1.53, 0.03),
        ([64, 128, 256], 1.80, 0.02),
        ([128, 256, 512], 1.89, 0.02),
        ([4096, 8192, 16384], 2.0, 0.02),
    )
    for ds, expected, tol in cases:
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


def test_predicted_exponents_agree_with_the_closed_form_and_are_ordered() -> None:
    """The averaged-Langevin exponent for k* = 3 is the asymptotic slope of the partial trace's
    closed-form threshold; for every k*, warm start <= averaging alone <= online SGD, and
    averaging alone beats online SGD's exponent exactly when k* >= 4 (for k* = 3 both are 2)."""
    d = np.array([1e5, 1e6])
    slope = np.polyfit(np.log(d), np.log(la.partial_trace_threshold(d)), 1)[0]
    assert la.predicted_exponents(3)["averaged Langevin"] == pytest.approx(slope, abs=0.01)
    for k in range(1, 9):
        p = la.predicted_exponents(k)
        assert p["warm start + online SGD"] <= p["averaged Langevin"] <= p["online SGD"]
        assert (p["averaged Langevin"] < p["online SGD"]) == (k >= 4)
    assert (
        la.predicted_exponents(4)["online SGD"] - la.predicted_exponents(4)["averaged Langevin"]
        == 1
    )


def test_stream_gives_the_same_samples_however_it_is_taken() -> None:
    X, y, w_star = la.single_index_data(10_000, 6, 3, runs=2, seed=5)
    stream = la.SingleIndexStream(6, 3, runs=2, seed=5)
    parts = list(stream.take(3)) + list(stream.take(9_997))
    np.testing.assert_array_equal(torch.cat([p[0] for p in parts], 1).numpy(), X.numpy())
    np.testing.assert_array_equal(stream.w_star.numpy(), w_star.numpy())
    assert stream.seen == 10_000


def test_online_sgd_from_the_answer_stays_there() -> None:
    stream = la.SingleIndexStream(16, 3, runs=4, seed=1)
    overlap, _, _ = la.online_sgd(
        2000, 16, 3, runs=4, w0=stream.w_star, stream=stream,
        train=TrainConfig(steps=None, lr=2e-4),
    )  # fmt: skip
    assert overlap[:, 0] == pytest.approx(1.0) and overlap[:, -1].min() > 0.95


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
            lambda: la.langevin(
                *la.single_index_data(10, 4, 3),
                3,
                beta=1.0,
                burn_in=5,
                train=TrainConfig(steps=5, lr=0.05),
            ),  # fmt: skip
            "burn_in",
        ),
        (lambda: la.langevin(*la.single_index_data(10, 4, 3), 3, beta=1.0, moment=3), "moment"),
        (lambda: la.online_sgd(10, 4, 3, train=TrainConfig(steps=None, lr=0.0)), "lr"),
        (lambda: la.online_sgd(10, 4, 3, runs=2, w0=np.zeros((3, 4))), "w0"),
        (lambda: la.high_temperature_estimate(torch.ones(1, 2, 3), torch.ones(1, 2), 5), "k must"),
        (lambda: la.estimator_overlaps(8, 3, [10, 5]), "increasing"),
        (lambda: la.high_temperature_weight(10.0, 8, 5), "k must"),
        (lambda: la.partial_trace_threshold(8, target=1.0), "target"),
        (
            lambda: la.bootstrap_exponent([8, 16], [[1, 2]] * 2, [[[0.1, 0.9]]] * 2, resamples=2),
            "resamples",
        ),
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


@pytest.mark.claim(
    "la-sphere-moments",
    chapter="langevin_averaging",
    statement="The high-temperature weights: E_0[w He_3(<w,x>)] = 3(r2-d-2)/(d(d+2)) x and the "
    "anisotropic part of E_0[w w' He_4(<w,x>)] = 12(r2-d-4)/(d(d+2)(d+4)) x x' (sympy from the "
    "sphere's Beta moments, and Monte Carlo)",
)
def test_high_temperature_weights_symbolically(record_property) -> None:
    """E s^{2m} for s = <w, e> on S^{d-1} from s^2 ~ Beta(1/2, (d-1)/2); then
    E[w w' f] = A e e' + B (I - e e') with A = E[s^2 f], B = (E f - A)/(d - 1)."""
    import sympy as sp

    d, r = sp.symbols("d r", positive=True)
    s = sp.Symbol("s")

    def moment(m: int):  # E s^{2m} = B(m + 1/2, (d-1)/2) / B(1/2, (d-1)/2)
        return sp.gammasimp(
            sp.gamma(m + sp.Rational(1, 2))
            * sp.gamma(d / 2)
            / (sp.gamma(sp.Rational(1, 2)) * sp.gamma(d / 2 + m))
        )

    def expect(poly):
        p = sp.Poly(sp.expand(poly), s)
        out = 0
        for (power,), coeff in p.terms():
            out += coeff * (moment(power // 2) if power % 2 == 0 else 0)
        return sp.simplify(out)

    he3 = (r * s) ** 3 - 3 * r * s
    first = expect(s * he3) / r  # E[w He_3] . e / r = coefficient of x
    assert sp.simplify(first - 3 * (r**2 - d - 2) / (d * (d + 2))) == 0
    he4 = (r * s) ** 4 - 6 * (r * s) ** 2 + 3
    A = expect(s**2 * he4)
    B = (expect(he4) - A) / (d - 1)
    c = sp.simplify((A - B) / r**2)  # coefficient of x x' = r^2 e e'
    assert sp.simplify(c - 12 * (r**2 - d - 4) / (d * (d + 2) * (d + 4))) == 0
    for k, expr in ((3, first), (4, c)):
        got = la.high_temperature_weight(7.3, 5, k)
        assert got == pytest.approx(float(expr.subs({r: math.sqrt(7.3), d: 5})), rel=1e-12)
    record_property("measured", "identities hold exactly")
    record_property("predicted", "both weights")


def test_uniform_sphere_second_moment_behind_the_matrix_partial_trace() -> None:
    """Monte Carlo (2,000,000 directions, d = 5) of E_0[w w' He_4(<w, x>)]: its anisotropic part
    is high_temperature_weight(||x||^2, d, 4) x x'."""
    rng = np.random.default_rng(1)
    d = 5
    x = rng.standard_normal(d) * 1.6
    w = rng.standard_normal((2_000_000, d))
    w /= np.linalg.norm(w, axis=1, keepdims=True)
    z = w @ x
    mc = np.einsum("ni,nj,n->ij", w, w, z**4 - 6 * z**2 + 3) / len(w)
    e = x / np.linalg.norm(x)
    A, B = e @ mc @ e, (np.trace(mc) - e @ mc @ e) / (d - 1)
    assert (A - B) / (x @ x) == pytest.approx(
        float(la.high_temperature_weight(x @ x, d, 4)), abs=0.01
    )


def test_second_moment_signal_is_sqrt24_along_w_star() -> None:
    """E M = sqrt(24) w* w*': the sample mean over 400,000 points, entry by entry, within four
    standard errors of the per-sample terms (heavy-tailed: He_4 labels)."""
    X, y, w_star = la.single_index_data(400_000, 4, 4, runs=1, seed=3)
    M = la.second_moment_estimator(X, y)[0].numpy()
    x, lab = X[0].numpy(), y[0].numpy()
    terms = np.einsum("n,ni,nj->nij", lab * ((x**2).sum(1) - 4 - 4), x, x)
    se = terms.std(0) / math.sqrt(len(x))
    assert np.all(np.abs(M - math.sqrt(24) * np.outer(w_star[0], w_star[0])) <= 4 * se)


def test_partial_trace_overlap_at_d_to_the_three_halves_decays_like_d_to_the_minus_quarter() -> (
    None
):
    """The corollary's Theta(d^{-1/4}) for k* = 3: at n = c d^{3/2} the closed-form overlap times
    d^{1/4} tends to sqrt(3c)."""
    d = np.array([1e6, 1e8, 1e10])
    for c in (0.5, 2.0):
        scaled = la.partial_trace_overlap(c * d**1.5, d) * d**0.25
        np.testing.assert_allclose(scaled, math.sqrt(3 * c), rtol=0.02)
