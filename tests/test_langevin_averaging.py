"""Langevin dynamics with iterate averaging (theory/langevin_averaging.md)."""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np
import pytest
import torch
from theorybench import langevin_averaging as la
from theorybench.langevin_averaging.experiment import _dhe, _he, _langevin, _sgd_step_sizes
from theorybench.training import TrainConfig

ROOT2PI = math.sqrt(2 * math.pi)


S = la.sizes("ci")


def _k3(seed: int = 0):
    """The notebook's k* = 3 sweep at the ci sizes, for master seed ``seed``."""
    return la.estimator_sweep(3, S.k3_ds, S.k3_factors, runs=S.runs, seed=seed)


def _k4(seed: int = 0) -> dict:
    """The notebook's k* = 4 sweeps (average and online SGD) at the ci sizes; master seed 0 is
    the notebook's own call, the other masters' online SGD runs as one batched pass
    (:func:`la.sgd_sweeps`: each element is sgd_sweep with that seed, bit for bit)."""
    k4 = la.estimator_sweep(4, S.k4_ds, S.k4_factors, runs=2 * S.runs, seed=seed)
    if seed == 0:
        sgd4 = la.sgd_sweep(
            4, S.sgd4_ds, S.sgd4_factors, lr_factors=S.sgd4_lr_factors, runs=S.runs, seed=seed
        )
    else:
        sgd4 = _sgd4_other_masters()[MASTERS.index(seed) - 1]
    return {"k4": k4, "sgd4": sgd4}


@functools.cache
def _sgd4_other_masters() -> list:
    """Online SGD of the k* = 4 claim for the master seeds after 0, in one batched pass."""
    return la.sgd_sweeps(4, S.sgd4_ds, S.sgd4_factors, lr_factors=S.sgd4_lr_factors,
                         runs=S.runs, seeds=MASTERS[1:])  # fmt: skip


def _pipeline(seed: int = 0):
    """The notebook's warm-start pipeline sweep at the ci sizes: (pipeline, average alone)."""
    return la.pipeline_sweep(S.pipeline_ds, S.pipeline_factors, runs=S.runs, seed=seed)


#: master seeds of the seed-set claims (0 is the notebook's)
MASTERS = (0, 1, 2, 3, 4)


@pytest.fixture(scope="module")
def paper_ci():
    """The paper's figure at ci size (the notebook's call): k* = 3, 4, 5 at d = 8."""
    return la.reproduce_paper_figure(
        S.paper_ks, S.paper_d, factor=S.paper_factor, beta=S.paper_beta, runs=S.paper_runs,
        train=S.paper_train, minibatch_train=S.paper_minibatch_train,
    )  # fmt: skip


#: a running estimate has converged when it moves less than this over the last quarter of its
#: window (mean over chains of the absolute change of its overlap with w*)
TAIL_TOL = 0.05
#: a converged hot chain's estimate lies within this of the hot limit on the same data
HOT_LIMIT_GAP = 0.1
#: and above the current iterate by at least this (single iterates keep wandering)
ITERATE_GAP = 0.25
#: the window of the convergence claim: twice the figure's (whose chains are not all converged)
CONVERGENCE_TRAIN = S.paper_train.replace(steps=6000)


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
        # the gradients' derivative-only recurrence: the same numbers, bit for bit
        for zz in (z, torch.linspace(-3, 3, 41, dtype=torch.float32)):
            assert np.array_equal(np.asarray(_dhe(zz, k)), np.asarray(_he(zz, k)[1]))
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
    # including n = d^{3/2} (181, 512), where the corollary's warm start lives
    for d, n in [(32, 181), (32, 1024), (32, 2048), (64, 512), (64, 1365), (64, 4096)]:
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


def _check_hot_chain(run, limit: float) -> str:
    """The convergence checks of a full-batch hot chain against its hot limit."""
    avg = run.average_overlap[:, -1].mean()
    iterate = run.iterate_overlap[:, run.steps > run.steps[-1] / 2].mean()
    assert run.tail_change() < TAIL_TOL, f"not converged: change {run.tail_change():.3f}"
    assert abs(limit - avg) <= HOT_LIMIT_GAP
    assert avg >= iterate + ITERATE_GAP
    return f"estimate {avg:.2f} (change {run.tail_change():.3f}), limit {limit:.2f}, iterate {iterate:.2f}"


def _rows(run, rows: slice):
    """The chains ``rows`` of a batched :class:`LangevinRun` as a run of their own."""
    return dataclasses.replace(
        run, iterate_overlap=run.iterate_overlap[rows], mean_overlap=run.mean_overlap[rows],
        second_moment_overlap=run.second_moment_overlap[rows], estimate=run.estimate[rows],
        w_star=run.w_star[rows],
    )  # fmt: skip


#: seed sets of the hot-chain convergence claim (the data of seed set s are the figure's, seed s)
HOT_SEEDS = (0, 1, 2)


@pytest.mark.slow  # three seed sets of chains, batched into one run per k*
@pytest.mark.claim(
    "la-average-smooths",
    chapter="langevin_averaging",
    statement="Full-batch hot Langevin chains (d = 8, beta = 4, n = 10 d^ceil(k*/2), 6,000 steps "
    "of 0.1, 4 chains per data set, 3 seed sets of data, their chains run as one batch): for "
    "k* = 3 the running mean and for k* = 4 the running second moment's top eigenvector have "
    f"converged (change < {TAIL_TOL} over the last quarter of the window), end within "
    f"{HOT_LIMIT_GAP} of the hot limit on the same data, and at least {ITERATE_GAP} above the "
    "current iterate",
    worst="max",
)
def test_hot_chains_converge_to_the_high_temperature_estimate(record_property) -> None:
    worst, r = 0.0, S.paper_runs
    for k in (3, 4):
        n = la.paper_samples(S.paper_d, k, S.paper_factor)
        # the figure's data for each seed set (data seed s + k), all chains in one batched run
        parts = [la.single_index_data(n, S.paper_d, k, runs=r, seed=s + k, dtype="float32")
                 for s in HOT_SEEDS]  # fmt: skip
        X, y, w = (torch.cat(p) for p in zip(*parts, strict=True))
        run = la.langevin(X, y, w, k, beta=S.paper_beta, burn_in=CONVERGENCE_TRAIN.steps // 10,
                          moment=2 if k % 2 == 0 else 1, train=CONVERGENCE_TRAIN.replace(seed=k))  # fmt: skip
        for i, seed in enumerate(HOT_SEEDS):
            rows = slice(i * r, (i + 1) * r)
            sub, limit = _rows(run, rows), la.hot_limit_overlap(X[rows], y[rows], w[rows], k)
            worst = max(worst, abs(limit - sub.average_overlap[:, -1].mean()))
            record_property("measured", f"seed {seed}, k*={k}: {_check_hot_chain(sub, limit)}")
    record_property("measured", worst)
    record_property("predicted", f"<= {HOT_LIMIT_GAP} (largest |estimate - hot limit|)")


@functools.cache
def _chains(seed: int):
    """The chains across the k* = 3 threshold (the notebook's call for seed 0), computed once
    per seed set for the two claims that read them."""
    return la.chain_thresholds(seed=seed)


#: seed sets of the claims on the chains across the threshold
CHAIN_SEEDS = (0, 1)


@pytest.mark.slow  # one seed set of batched chains at d = 12, 16 and 24 (about 10 s)
@pytest.mark.parametrize("seed", CHAIN_SEEDS)
@pytest.mark.claim(
    "la-chain-threshold",
    chapter="langevin_averaging",
    statement="k* = 3 overlaps measured on the chains across the threshold (d = 12, 16, 24; n from "
    "1/4 to 4 times the closed-form threshold; 16 data sets per n; full batch, beta = d/2, "
    "6,000 steps of 0.1, no burn-in; 2 seed sets): the chains have converged (mean change of the "
    f"running mean < {TAIL_TOL} over the last quarter of the window, averaged over each d's "
    f"chains) and at every n their mean overlap is within {HOT_LIMIT_GAP} + 2 standard errors of "
    "the hot limit's on the same data. The thresholds at overlap 1/2 are reported, not tested: "
    "at these d the overlap curves are flat near 1/2, so a threshold moves by a factor of 2 "
    "between seed sets",
    worst="max",
)
def test_chains_across_the_threshold_follow_the_hot_limit(seed, record_property) -> None:
    res = _chains(seed)
    from_chains, from_limit = res.thresholds()
    worst = -1.0
    for i, d in enumerate(res.ds):
        assert res.tail[i].mean() < TAIL_TOL, f"d = {d}: not converged"
        diff = res.chain[i] - res.hot[i]  # (runs, len(ns)), same data
        se = diff.std(0, ddof=1) / math.sqrt(diff.shape[0])
        excess = np.abs(diff.mean(0)) - 2 * se
        record_property("measured", f"seed {seed}, d = {d}: thresholds chains {from_chains[i]:.0f}, "
                        f"hot limit {from_limit[i]:.0f}; change {res.tail[i].mean():.3f}")  # fmt: skip
        assert np.all(excess <= HOT_LIMIT_GAP)
        worst = max(worst, float(excess.max()))
    record_property("measured", worst)
    record_property("predicted", f"<= {HOT_LIMIT_GAP} (largest |chain - hot limit| beyond 2 SE)")


#: the direction theory fixes for both comparisons (§3.3-3.4): to leading order the averaged
#: chain's threshold (d - 1)(2d + 64)/18 lies below online SGD's d m0^{-2(k*-2)} = d^2 from a
#: random start (a ratio of about 9d/(d + 32), 3-4 at d = 12-24), while each full-batch step
#: of the chain costs n evaluations: ahead in samples, behind in computation
EQUAL_COST_RATIO = 1.0


@pytest.mark.slow  # online SGD beside the cached chains (about 3 s per seed set)
@pytest.mark.parametrize("seed", CHAIN_SEEDS)
@pytest.mark.claim(
    "la-equal-compute",
    chapter="langevin_averaging",
    statement="k* = 3, d = 12, 16, 24, the converged chains of la-chain-threshold against one pass "
    "of online SGD (step chosen on held-out data sets, 16 data sets, up to 60 d^2 samples; 2 seed "
    "sets), cost counted in per-sample gradient evaluations (a full-batch step on n samples costs "
    "n, online SGD one per sample), thresholds where the mean overlap settles at or above 1/2: at "
    f"equal samples the chains need more than {EQUAL_COST_RATIO:g} times fewer samples than "
    "online SGD, and at equal computation online SGD needs more than "
    f"{EQUAL_COST_RATIO:g} times fewer evaluations than the cheapest (n, steps) at which the "
    "chains' mean running mean first reaches 1/2 (picked after the fact, generous to the chain): "
    "averaging wins in samples and loses in computation",
    worst="min",
)
def test_averaging_wins_samples_and_loses_computation(seed, record_property) -> None:
    ec = la.equal_compute(_chains(seed), seed=seed)
    samples = ec.sgd_samples / ec.chain_samples
    compute = ec.chain_evaluations / ec.sgd_samples
    record_property("measured", f"seed {seed}: at d = {ec.ds}, samples to settle above 1/2: chains "
                    f"{np.round(ec.chain_samples).tolist()}, online SGD "
                    f"{np.round(ec.sgd_samples).tolist()} (ratio {np.round(samples, 1).tolist()}); "
                    f"chain evaluations {np.round(ec.chain_evaluations).tolist()} (n "
                    f"{ec.chain_n.tolist()}, steps {ec.chain_steps.tolist()}), ratio to SGD's "
                    f"{np.round(compute, 1).tolist()}; SGD's overlap at the chains' cost "
                    f"{np.round(ec.sgd_overlap, 2).tolist()}")  # fmt: skip
    record_property("measured", float(min(samples.min(), compute.min())))
    record_property("predicted", f"> {EQUAL_COST_RATIO:g} (smallest of the sample ratio SGD / "
                    "chain and the computation ratio chain / SGD)")  # fmt: skip
    assert np.all(ec.chain_tail < TAIL_TOL)
    assert np.all(samples > EQUAL_COST_RATIO)
    assert np.all(compute > EQUAL_COST_RATIO)


#: k* = 4: the second moment's top eigenvector ignores the sign of w and recovers w*, ending above
#: this (the hot limit on these data is 0.8-0.97) ...
SECOND_MOMENT_ABOVE = 0.75
#: ... and above the plain mean (over chains) by at least this: a chain's law is symmetric under
#: w -> -w only over windows with many crossings between +w* and -w*; within the figure's window
#: a chain rarely crosses, so its mean keeps the sign it found and is NOT at the level of a random
#: direction (0.28 at d = 8): only the margin to the second moment is claimed
MEAN_MARGIN = 0.15
#: seed sets of the k* = 4 figure claim
PAPER_SEEDS = (0, 1, 2, 3, 4, 5)


@pytest.mark.slow  # six seed sets of k* = 4 full-batch chains (about 10 s)
@pytest.mark.claim(
    "la-paper-k4",
    chapter="langevin_averaging",
    statement="The paper's figure at ci size (d = 8, n = 10 d^2, k* = 4, beta = 4, 3,000 "
    "full-batch steps of 0.1, 4 chains, 6 seed sets): in every seed set the top eigenvector of "
    f"the running second moment ends above {SECOND_MOMENT_ABOVE} and at least {MEAN_MARGIN} "
    "above the running mean (mean over chains). The plain mean is not at the level of a random "
    "direction in this window: chains rarely cross between +w* and -w*, so a chain's mean keeps "
    "the sign it found (single chains reach 0.9); the symmetry argument needs far longer windows. "
    "Batch-size-1 updates (seed set 0) show the same margin",
    worst="min",
)
def test_even_k_plain_average_fails_where_the_second_moment_succeeds(
    paper_ci, record_property
) -> None:
    margins = []
    # seed set 0's full-batch chains are the figure's own (same data and chain seeds)
    runs = [
        (f"seed {s}", (paper_ci if s == 0 else _paper_k4(s)).full_batch[4]) for s in PAPER_SEEDS
    ]
    for name, run in [*runs, ("seed 0, batch 1", paper_ci.minibatch[4])]:
        mean, second = run.mean_overlap[:, -1].mean(), run.second_moment_overlap[:, -1].mean()
        record_property("measured", f"{name}: mean {mean:.2f} (chains "
                        f"{np.round(run.mean_overlap[:, -1], 2).tolist()}), second moment {second:.2f}")  # fmt: skip
        assert second > SECOND_MOMENT_ABOVE and second - mean >= MEAN_MARGIN, name
        margins.append(second - mean)
    record_property("measured", float(min(margins)))
    record_property(
        "predicted",
        f"second moment > {SECOND_MOMENT_ABOVE} and >= mean + {MEAN_MARGIN} (smallest margin)",
    )


def _paper_k4(seed: int):
    """The figure's k* = 4 full-batch chains for seed set ``seed`` (no batch-1 chain)."""
    return la.reproduce_paper_figure(
        (4,), S.paper_d, factor=S.paper_factor, beta=S.paper_beta, runs=S.paper_runs, seed=seed,
        train=S.paper_train, minibatch_train=S.paper_train.replace(steps=2),
    )  # fmt: skip


@pytest.mark.slow
def test_paper_figure_records_every_k_and_both_updates(paper_ci) -> None:
    """k* = 3, 4, 5 with n = 10 d^ceil(k*/2), full batch and batch size 1, from random starts;
    the k* = 3 full-batch running mean beats its iterate (the figure's point)."""
    for k in (3, 4, 5):
        assert paper_ci.n[k] == 10 * S.paper_d ** math.ceil(k / 2)
        for run in (paper_ci.full_batch[k], paper_ci.minibatch[k]):
            assert run.iterate_overlap[:, 0].mean() < 0.6  # a random start, not w*
            assert np.isfinite(run.average_overlap[:, -1]).all()
        assert paper_ci.minibatch[k].batch == 1 and paper_ci.full_batch[k].batch is None
    assert np.isnan(paper_ci.hot_limit[5])


#: the torch seed of the start stream of train seed 0 (SeedSequence(0, spawn_key=(1,)))
_START_SEED_OF_0 = 1445747666553143162


@pytest.mark.claim(
    "la-independent-start",
    chapter="langevin_averaging",
    statement="A chain's start (Langevin and online SGD) is drawn from its own random stream: "
    "its initial overlap with w* is that of a uniform direction, mean sqrt(2/(pi d)), for equal, "
    "different and colliding data and train seeds (every stream, the data's included, is spawned "
    "from its seed under its own key, so no seed of one stream reproduces another)",
    worst="max",
)
def test_a_chain_never_starts_at_the_answer(record_property) -> None:
    d, runs = 64, 256
    expected = math.sqrt(2 / (math.pi * d))  # E|<u, w*>| for uniform u, large d
    worst = 0.0
    # 1445747666553143162: the seed that the start stream derives from train seed 0, which
    # once seeded the data stream directly (the chain then started at w*)
    pairs = [(0, 0), (3, 3), (7, 7), (0, 1), (1, 0), (_START_SEED_OF_0, 0)]
    for data_seed, train_seed in pairs:
        # small blocks: w* is the generator's first draw whatever the block size
        X, y = next(la.SingleIndexStream(d, 3, runs=runs, seed=data_seed, chunk=8).take(8))
        w = la.SingleIndexStream(d, 3, runs=runs, seed=data_seed, chunk=1).w_star
        cfg = TrainConfig(steps=1, lr=0.05, seed=train_seed)
        start = la.langevin(X, y, w, 3, beta=1.0, burn_in=0, records=2, train=cfg).iterate_overlap[
            :, 0
        ]
        stream = la.SingleIndexStream(d, 3, runs=runs, seed=data_seed, chunk=1)
        sgd = la.online_sgd(1, d, 3, runs=runs, stream=stream, train=cfg.replace(steps=None))[0][
            :, 0
        ]
        for o in (start, sgd):
            # 5 standard errors of the mean of |N(0, 1/d)| over 256 runs (sd 0.6 / sqrt(d))
            assert abs(o.mean() - expected) < 5 * 0.6 / math.sqrt(d * runs)
            assert o.max() < 0.5
            worst = max(worst, float(o.max()))
    record_property("measured", worst)
    record_property(
        "predicted", "< 0.5 (largest initial overlap; uniform: about 4 / sqrt(d) = 0.5)"
    )


def test_long_hot_chain_average_points_along_the_partial_trace() -> None:
    """k* = 3, d = 32, n = 400, beta = 8, 12,000 steps: the final running mean has cosine >= 0.7
    with the partial trace u of the same data and beats the last iterate by >= 0.1 (the hot limit
    itself is only 0.61 here, so the gap cannot be large)."""
    X, y, w_star = la.single_index_data(400, 32, 3, runs=8, seed=4)
    # la.langevin's chain without the (unread) running second moment: the same numbers
    run = _langevin(X, y, w_star, 3, beta=8.0, burn_in=500, moment=1, records=60, batch=None,
                    train=TrainConfig(steps=12000, lr=0.05), second_moment=False)  # fmt: skip
    u = la.high_temperature_estimate(X, y, 3).numpy()
    assert np.mean(np.sum(run.estimate * u, 1)) >= 0.7
    assert run.average_overlap[:, -1].mean() >= run.iterate_overlap[:, -1].mean() + 0.1


#: the closed form is leading order in 1/n and 1/d: its allowance, beyond 3 standard errors
K3_ALLOWANCE = 0.04


def _k3_checks(sw) -> tuple[float, str]:
    """k* = 3 sweep against the closed form: largest |mean - closed| - 3 SE over the grid, which
    must be <= K3_ALLOWANCE. (The fitted exponent is reported, not tested: at d = 64-256 its
    interval is too wide to tell the closed form's local slope 1.80 from the asymptotic 2.)"""
    excess = max(
        float(np.max(np.abs(o.mean(0) - la.partial_trace_overlap(n, d)) - 3 * o.std(0) / np.sqrt(len(o))))
        for d, n, o in zip(sw.ds, sw.ns, sw.overlaps, strict=True)
    )  # fmt: skip
    assert excess <= K3_ALLOWANCE
    e = sw.exponent()
    return excess, f"exponent {e}; thresholds {np.round(e.thresholds).tolist()}"


#: averaging's sample advantage that the k* = 4 claim asserts (fixed before the runs)
K4_RATIO = 5


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
@pytest.mark.parametrize("master", [0, 1, 2, 3])
@pytest.mark.claim(
    "la-k3-exponent",
    chapter="langevin_averaging",
    statement="k* = 3: the averaged estimate (the hot chain's limit, streamed, d = 64-256, 32 data "
    f"sets per point) follows the closed form: every mean overlap within {K3_ALLOWANCE} + 3 "
    "standard errors of it (4 seed sets)",
    worst="max",
)
def test_partial_trace_sweep_matches_the_closed_form(master, record_property) -> None:
    excess, text = _k3_checks(_k3(master))
    record_property("measured", excess + K3_ALLOWANCE)
    record_property("measured", f"seed set {master}: {text}")
    record_property(
        "predicted",
        f"<= {K3_ALLOWANCE} (largest |mean - closed form| beyond 3 SE, + {K3_ALLOWANCE})",
    )


#: the asymptotic exponent of the averaged second moment (Theorem 3: n ~ d^{k*/2})
K4_ASYMPTOTIC = 2.0


@pytest.mark.slow  # one seed set of the k* = 4 sweeps per case (about 12 s each)
@pytest.mark.parametrize("master", MASTERS)
@pytest.mark.claim(
    "la-k4-vs-sgd",
    chapter="langevin_averaging",
    statement="k* = 4, at equal samples (5 seed sets): the infinite-window limit of the averaged "
    "chain (the top eigenvector of the matrix partial trace, 64 data sets per point) reaches "
    f"overlap 0.5 with at least {K4_RATIO} times fewer samples than one pass of online SGD (best "
    "of two step sizes, 32 data sets; SGD's largest n where it never gets there) at d = 16 and "
    "32. Its threshold exponent fitted over d = 16-64 lies above the asymptotic "
    f"{K4_ASYMPTOTIC:g} in every seed set (threshold / d^2 still grows with d: the asymptotic "
    "d^2 is not yet visible at these d). The chain itself needs a window of order d^4 "
    "full-batch steps, so at equal computation online SGD is the cheaper",
    worst="min",
)
def test_even_k_average_needs_far_fewer_samples_than_online_sgd(master, record_property) -> None:
    res = _k4(master)
    ratio = _k4_ratios(res)
    avg, sgd = res["k4"].exponent(), res["sgd4"].exponent()
    per_d2 = avg.thresholds / np.array(res["k4"].ds, dtype=float) ** 2
    record_property("measured", float(ratio.min()))
    record_property("measured", f"seed set {master}: ratios {np.round(ratio, 1).tolist()} at d = "
                    f"{res['sgd4'].ds}; exponents: average {avg}, online SGD {sgd}; average's "
                    f"threshold / d^2 {np.round(per_d2, 2).tolist()} at d = {res['k4'].ds}")  # fmt: skip
    record_property("predicted", f"ratio >= {K4_RATIO} at every d; average exponent > "
                    f"{K4_ASYMPTOTIC:g} at these d (asymptotically {K4_ASYMPTOTIC:g})")  # fmt: skip
    assert np.all(ratio >= K4_RATIO)
    assert avg.value > K4_ASYMPTOTIC


@pytest.mark.slow  # one seed set of the pipeline sweep per case (about 25 s each)
@pytest.mark.parametrize("master", MASTERS)
@pytest.mark.claim(
    "la-pipeline",
    chapter="langevin_averaging",
    statement="k* = 3 (d = 32-128, 32 data sets per point, 5 seed sets): averaging as a warm start "
    "for online SGD (the corollary's pipeline, its step size chosen on held-out data sets) has a "
    "smaller fitted threshold exponent (point estimate) than the average of all n samples alone "
    "in every seed set, but at the smallest d it needs more samples than the average alone "
    "(half its samples go to online SGD, which gains little from so weak a start). At the "
    "largest d it needs up to about a quarter fewer (reported, not asserted: a margin within the "
    "scatter between seed sets). The 95 % "
    "intervals of the two exponents overlap, so these d do not separate the predicted 1.5 from 2",
)
def test_warm_start_pipeline_scales_better_than_the_average_alone(master, record_property) -> None:
    pipe_sweep, alone_sweep = _pipeline(master)
    pipe, alone = pipe_sweep.exponent(), alone_sweep.exponent()
    record_property("measured", f"seed set {master}: pipeline {pipe}, average alone {alone}; "
                    f"thresholds {np.round(pipe.thresholds).tolist()} vs "
                    f"{np.round(alone.thresholds).tolist()} at d = {pipe_sweep.ds}")  # fmt: skip
    record_property("predicted", "exponent 1.5 vs 2 asymptotically: pipeline smaller; at the "
                    "smallest d the pipeline needs more samples")  # fmt: skip
    assert pipe.value < alone.value
    assert pipe.thresholds[0] > alone.thresholds[0]


def test_sgd_sweeps_are_online_sgd_passes_with_each_step_size() -> None:
    """sgd_sweeps against its definition, computed another way: for master seed s and dimension d,
    one online_sgd pass (train seed s + d) per step size a / d^{k/2} over the largest n of the
    grid, and at each n of the grid the overlaps of the step size with the best mean there."""
    k, ds, factors, lr_factors, runs, seeds = 4, [6, 8], [0.5, 2.0], (1.0, 3.0), 3, (1, 2)
    sweeps = la.sgd_sweeps(k, ds, factors, lr_factors=lr_factors, runs=runs, seeds=seeds)
    for seed, sweep in zip(seeds, sweeps, strict=True):
        for d, grid, got in zip(ds, sweep.ns, sweep.overlaps, strict=True):
            passes = []
            for a in lr_factors:
                train = TrainConfig(steps=None, lr=a / d ** (k / 2), seed=seed + d, dtype="float64")
                passes.append(la.online_sgd(int(grid[-1]), d, k, runs=runs, train=train)[0])
            best = [max((p[:, n] for p in passes), key=np.mean) for n in grid]
            np.testing.assert_array_equal(got, np.stack(best, 1))


def test_sgd_pass_recorded_at_a_grid_is_the_full_pass_there() -> None:
    """sgd_sweep's pass records the overlap only at its grid: the same numbers as the pass that
    records every sample (bit for bit), NaN in between; sgd_sweeps batches master seeds without
    changing a bit; and the chain without its running second moment is la.langevin's chain,
    bit for bit."""
    grid = np.array([3, 700, 1024, 1025, 2100])
    full = _sgd_step_sizes(2100, 8, 4, [0.05, 0.2], 4, 7)
    at = _sgd_step_sizes(2100, 8, 4, [0.05, 0.2], 4, 7, at=grid)
    np.testing.assert_array_equal(at[..., grid], full[..., grid])
    np.testing.assert_array_equal(at[..., 0], full[..., 0])
    assert np.isnan(np.delete(at, np.r_[0, grid], axis=-1)).all()
    # several master seeds as one batched pass: each is sgd_sweep with its seed, bit for bit
    batched = la.sgd_sweeps(4, [6, 8], [0.5, 2.0], lr_factors=(1.0, 3.0), runs=3, seeds=(1, 2))
    for seed, sweep in zip((1, 2), batched, strict=True):
        alone = la.sgd_sweep(4, [6, 8], [0.5, 2.0], lr_factors=(1.0, 3.0), runs=3, seed=seed)
        for a, b in zip(sweep.overlaps, alone.overlaps, strict=True):
            np.testing.assert_array_equal(a, b)
    X, y, w = la.single_index_data(50, 6, 3, runs=3, seed=1, dtype="float32")
    cfg = TrainConfig(steps=200, lr=0.1, dtype="float32")
    ref = la.langevin(X, y, w, 3, beta=3.0, burn_in=20, train=cfg)
    run = _langevin(X, y, w, 3, beta=3.0, burn_in=20, moment=1, records=60, batch=None,
                    train=cfg, second_moment=False)  # fmt: skip
    for name in ("iterate_overlap", "mean_overlap", "estimate"):
        np.testing.assert_array_equal(getattr(run, name), getattr(ref, name))
    assert np.isnan(run.second_moment_overlap).all()


def test_threshold_exponent_recovers_a_known_exponent() -> None:
    """On curves o(n) = n / (n + d^p), which reach 1/2 exactly at n = d^p, the fit returns p
    (for a grid that does not contain the thresholds: the log-n interpolation is tested)."""
    ds = [16, 32, 64, 128]
    for p in (1.5, 2.0, 2.7):
        ns = [np.geomspace(3, 1e7, 37) for _ in ds]
        over = [n / (n + d**p) for n, d in zip(ns, ds, strict=True)]
        a, thr = la.threshold_exponent(ds, ns, over)
        np.testing.assert_allclose(thr, np.array(ds, dtype=float) ** p, rtol=0.02)
        assert a == pytest.approx(p, abs=0.01)


#: the closed form's local slope of the k* = 3 threshold between d = 16 and 64
CLOSED_FORM_SLOPE_16_64 = 1.53
#: at d = 16 the leading-order closed form overestimates the threshold: measured / closed below
SMALL_D_RATIO = 0.85


#: data sets per pooled fit (4 blocks of 48): a fit on 48 data sets scatters too much to tell
SMALL_D_BLOCKS, SMALL_D_RUNS = 4, 48


@pytest.mark.slow  # one pooled seed set of streamed partial traces per case (about 9 s)
@pytest.mark.parametrize("pool", [0, 1, 2, 3, 4])
@pytest.mark.claim(
    "la-k3-small-d",
    chapter="langevin_averaging",
    statement="k* = 3 at d = 16-64 (5 seed sets, each pooling 4 x 48 = 192 data sets per point): "
    "the simulated partial-trace threshold grows faster than the closed form's local slope "
    f"{CLOSED_FORM_SLOPE_16_64} (pooled fitted slope above it in every seed set), because the "
    "leading-order closed form overestimates the threshold at d = 16 (measured / closed form "
    f"< {SMALL_D_RATIO}). Fits on 48 data sets alone scatter from about 1.3 to 2.2",
    worst="min",
)
def test_partial_trace_slope_at_small_d_exceeds_the_closed_form(pool, record_property) -> None:
    ds = [16, 32, 64]
    closed = la.partial_trace_threshold(np.array(ds))
    ns, over = [], []
    for i, d in enumerate(ds):
        grid = np.unique(np.round(np.geomspace(0.2, 5, 8) * closed[i])).astype(int)
        blocks = [
            la.estimator_overlaps(d, 3, grid, runs=SMALL_D_RUNS, seed=1000 * b + d)
            for b in range(SMALL_D_BLOCKS * pool, SMALL_D_BLOCKS * (pool + 1))
        ]
        over.append(np.concatenate(blocks).mean(0))
        ns.append(grid)
    a, thr = la.threshold_exponent(ds, ns, over)
    record_property("measured", float(a))
    record_property("measured", f"seed set {pool}: slope {a:.2f}, measured / closed form "
                    f"{np.round(thr / closed, 2).tolist()} at d = {ds}")  # fmt: skip
    record_property("predicted", f"> {CLOSED_FORM_SLOPE_16_64}; ratio at d = 16 < {SMALL_D_RATIO}")
    assert a > CLOSED_FORM_SLOPE_16_64
    assert thr[0] / closed[0] < SMALL_D_RATIO


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


_X, _Y, _W = la.single_index_data(20, 4, 3, runs=2)
_NAN_X, _INF_X = _X.clone(), _X.clone()
_NAN_X[0, 0, 0], _INF_X[0, 0, 0] = float("nan"), float("inf")
_T = TrainConfig(steps=20, lr=0.05)


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
        (lambda: la.langevin(*la.single_index_data(10, 4, 3), 3, beta=1.0, batch=0), "batch"),
        (lambda: la.single_index_data(10, 4, 3, dtype="float16"), "dtype"),
        (lambda: la.hot_limit_overlap(*la.single_index_data(10, 4, 3), 5), "k must"),
        (lambda: la.reproduce_paper_figure((3,), 1), "d must"),
        (lambda: la.reproduce_paper_figure((3,), 4, burn_in_fraction=1.0), "burn_in_fraction"),
        (lambda: la.peak_memory(None), "LangevinSizes"),
        (lambda: la.langevin(_NAN_X, _Y, _W, 3, beta=1.0, burn_in=0, train=_T), "X must be"),
        (lambda: la.langevin(_INF_X, _Y, _W, 3, beta=1.0, burn_in=0, train=_T), "X must be"),
        (lambda: la.langevin(_X, _Y, _W, 3, beta=5e-324, burn_in=0, train=_T), "beta"),
        (
            lambda: la.langevin(_X, _Y, _W, 3, beta=1.0, burn_in=0, train=_T.replace(lr=1e308)),
            "train.lr",
        ),  # fmt: skip
        (lambda: la.online_sgd(10, 4, 3, runs=2, w0=np.zeros((2, 4))), "w0"),
        (lambda: la.partial_trace_estimator(_NAN_X, _Y), "X must be"),
        (lambda: la.high_temperature_estimate(_NAN_X, _Y, 3), "X must be"),
        (lambda: la.hot_limit_overlap(_NAN_X, _Y, _W, 3), "X must be"),
        (lambda: la.partial_trace_threshold(16, target=1e-200), "target"),
        (lambda: la.information_exponent(lambda z: z**3 - 3 * z, tol=-1.0), "tol"),
        (lambda: la.information_exponent(lambda z: z**3 - 3 * z, tol=float("nan")), "tol"),
        (lambda: la.hermite_coefficients(np.sin, 3, points=10**9), "points"),
        (lambda: la.hermite_coefficients(np.sin, 400), "kmax"),
        (lambda: la.single_index_data(10, 4, 200), "k must"),
        (lambda: la.SingleIndexStream(10**12, 3), "d, runs and chunk"),
        (lambda: la.single_index_data(10**12, 100, 3), "n, d and runs"),
        (lambda: la.reproduce_paper_figure((3,), 10**6), "d must"),
        (lambda: la.estimator_overlaps(8, 3, [1e30]), "ns must"),
        (lambda: la.sgd_sweep(4, [8, 12], [1.0], lr_factors=()), "lr_factors"),
        (lambda: la.warm_start_pipeline(16, [-5], runs=2), "ns must"),
        (lambda: la.warm_start_pipeline(16, [0, 0], runs=2), "ns must"),
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


def test_tail_change_rejects_a_fraction_outside_zero_one() -> None:
    X, y, w = la.single_index_data(10, 4, 3)
    run = la.langevin(X, y, w, 3, beta=1.0, burn_in=0, train=TrainConfig(steps=4, lr=0.05))
    with pytest.raises(ValueError, match="fraction"):
        run.tail_change(1.0)


def test_every_full_configuration_fits_below_70_gb() -> None:
    """peak_memory from the shapes alone: every experiment at full scale below 70 GB (one
    80 GB GPU with room to spare); the paper's k* = 5 figure dominates (one float32 copy of
    10^7 samples in d = 100 per chain, 8 chains)."""
    peaks = la.peak_memory(la.sizes("full"))
    assert set(peaks) >= {f"paper_figure k*={k}" for k in (3, 4, 5)}
    assert max(peaks.values()) < 70e9
    n5 = 10 * 100**3
    assert peaks["paper_figure k*=5"] >= 8 * n5 * 101 * 4  # at least the data themselves


@pytest.mark.skipif(not torch.cuda.is_available(), reason="measures CUDA allocations")
def test_peak_memory_bounds_the_measured_cuda_peak() -> None:
    """On a GPU: the paper figure at a small size allocates no more than peak_memory says."""
    import dataclasses

    s = dataclasses.replace(
        la.sizes("ci"), paper_ks=(5,), paper_d=12, paper_runs=2,
        paper_train=TrainConfig(steps=20, lr=0.1, dtype="float32", device="cuda"),
        paper_minibatch_train=TrainConfig(steps=20, lr=0.01, dtype="float32", device="cuda"),
    )  # fmt: skip
    torch.cuda.reset_peak_memory_stats()
    base = torch.cuda.memory_allocated()
    la.reproduce_paper_figure(
        s.paper_ks, s.paper_d, factor=s.paper_factor, beta=s.paper_beta, runs=s.paper_runs,
        train=s.paper_train, minibatch_train=s.paper_minibatch_train,
    )  # fmt: skip
    assert torch.cuda.max_memory_allocated() - base <= la.peak_memory(s)["paper_figure k*=5"]


@pytest.mark.slow  # the six static frames of the explorer (about a second each)
def test_the_explorer_default_frame_shows_the_chapters_point() -> None:
    """The static book's frames (k* in {3, 4}, n in {64, 256, 1024}, the other controls at their
    defaults), each computed once, as the notebook's "Try:" line states: in every frame the
    running estimate ends above online SGD, and for k* = 3 by at least 0.1. The default frame
    (k* = 3, n = 256) also starts at a random overlap (< 0.5) and ends above its own iterate; the
    controls have plain-text labels (no raw TeX)."""
    ex = la.explorer()
    defaults = ex.values()
    assert (defaults["k"], defaults["n"]) == (3, 256.0)
    for k in (3, 4):
        for n in (64.0, 256.0, 1024.0):
            ex.update(**{**defaults, "k": k, "n": n})
            iterate, estimate, sgd = (line.get_ydata() for line in ex.fig.axes[0].lines[:3])
            assert estimate[-1] > sgd[-1] + (0.1 if k == 3 else 0.0), (k, n)
            if (k, n) == (3, 256.0):
                assert iterate[0] < 0.5
                assert estimate[-1] > iterate[-1]
    for widget in ex.controls.values():
        assert not any(c in widget.description for c in "^{}$\\")
