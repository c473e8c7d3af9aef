"""Type I, fully connected: deep linear networks learn one singular mode per plateau
(theory/saddle_to_saddle.md §1-5; library: theorybench.saddle_to_saddle.linear)."""

from __future__ import annotations

import numpy as np
import pytest
from saddle_tolerances import LEVEL_TOL, TIME_TOL, level_errors
from scipy import integrate
from theorybench import saddle_to_saddle as st
from theorybench.training import TrainConfig

CASES = [np.array([3.0, 2.0, 1.0]), np.array([5.0, 1.0]), np.array([2.0, 1.0, 0.5])]


@pytest.fixture(scope="module")
def runs() -> dict:
    """Two-layer networks trained by GD, every spectrum at three init scales (batched)."""
    return {
        i: st.train_linear_network(
            s,
            [1e-2, 1e-3, 1e-4],
            record_every=2,
            train=TrainConfig(steps=int(12 / s[-1] / 0.01), lr=0.01),
        )
        for i, s in enumerate(CASES)
    }


@pytest.mark.claim(
    "s2s-plateau-times",
    chapter="saddle_to_saddle",
    statement="Mode k is learned at t_k = (tau/2 s_k) ln((s_k/u0 - 1)/2) (steepest "
    f"descent), one plateau per mode (every transition within {TIME_TOL:.0%})",
)
@pytest.mark.parametrize("case", range(len(CASES)))
def test_measured_plateau_onsets_match_the_predicted_times(runs, case, record_property) -> None:
    """detect_plateaus reads transition times off the trained networks' loss curves, without
    the theory; they match the closed form within 10 % over init scales and spectral gaps."""
    s, run = CASES[case], runs[case]
    worst = 0.0
    for i, sigma in enumerate(run.sigmas):
        found = st.detect_plateaus(run.steps * run.lr, run.loss[i])
        predicted = st.steepest_descent_times(s, sigma**2)
        assert found.count == s.size
        worst = max(worst, float(np.max(np.abs(found.transition_times / predicted - 1))))
    record_property("measured", worst)
    record_property("predicted", f"0 (relative error of the transition times; < {TIME_TOL})")
    assert worst < TIME_TOL


@pytest.mark.claim(
    "s2s-plateau-levels",
    chapter="saddle_to_saddle",
    statement="The loss on plateau k is 1/2 sum_{j>=k} s_j^2 (within "
    f"{LEVEL_TOL:.0%} of the gap to the nearest other level)",
)
@pytest.mark.parametrize("case", range(len(CASES)))
def test_plateau_loss_levels_match(runs, case, record_property) -> None:
    s, run = CASES[case], runs[case]
    found = st.detect_plateaus(run.steps * run.lr, run.loss[-1])  # smallest init: flat plateaus
    predicted = st.plateau_losses(s)
    # each level's tolerance comes from the levels themselves: 5 % of the gap to its nearest
    # neighbouring level, so a level can never be confused with the next one
    err = level_errors(found.levels, predicted)
    record_property("measured", float(err.max()))
    record_property(
        "predicted", f"<= {LEVEL_TOL} (error of each level over the gap to its nearest level)"
    )
    assert found.levels.shape == predicted.shape
    assert np.all(err <= LEVEL_TOL)


def test_equal_singular_values_share_one_plateau() -> None:
    """The number of plateaus is the number of *distinct* teacher modes."""
    run = st.train_linear_network(
        [2.0, 2.0, 1.0], [1e-3], record_every=2, train=TrainConfig(steps=1500, lr=0.01)
    )
    assert st.detect_plateaus(run.steps * run.lr, run.loss[0]).count == 2


def test_rank_grows_one_mode_at_a_time(runs) -> None:
    """The end-to-end map's singular values cross s_k / 2 in order, one per transition."""
    s, run = CASES[0], runs[0]
    learned = (run.singular_values[-1] > s / 2).sum(1)  # smallest init
    assert np.all(np.diff(learned) >= 0) and set(np.unique(learned)) == {0, 1, 2, 3}


@pytest.mark.claim(
    "s2s-logistic",
    chapter="saddle_to_saddle",
    statement="u_k(t) is the logistic solution of tau du/dt = 2 u (s - u)",
)
def test_mode_trajectory_matches_a_numerical_ode_solve() -> None:
    s, u0, tau = np.array([2.0, 0.7]), 1e-4, 1.5
    t = np.linspace(0, 20, 50)
    sol = integrate.solve_ivp(
        lambda _t, u: 2 * u * (s - u) / tau, (0, 20), [u0, u0], t_eval=t, rtol=1e-11, atol=1e-14
    )
    np.testing.assert_allclose(st.mode_trajectory(t, s, u0, tau), sol.y.T, rtol=1e-6, atol=1e-9)
    assert np.all(np.isfinite(st.mode_trajectory([1e6], s, 1e-300)))  # tiny init, long time


@pytest.mark.claim(
    "s2s-deep",
    chapter="saddle_to_saddle",
    statement="Depth L > 2: escape time grows like sigma^-(L-2) instead of log(1/sigma) "
    f"(trained transitions within {TIME_TOL:.0%} of deep_escape_time)",
)
@pytest.mark.parametrize("depth", [3, 4])
def test_deep_escape_time_matches_gd_and_scales_like_sigma_power(depth, record_property) -> None:
    s = np.array([2.0, 1.0])
    sigmas = [0.15, 0.1] if depth == 3 else [0.35, 0.3]
    frac = st.steepest_fraction(depth)
    steps = int(1.3 * st.deep_escape_time(1.0, min(sigmas), depth, fraction=frac) / 0.02)
    run = st.train_linear_network(
        s, sigmas, depth=depth, record_every=5, train=TrainConfig(steps=steps, lr=0.02)
    )
    worst = 0.0
    for i, sigma in enumerate(sigmas):
        found = st.detect_plateaus(run.steps * run.lr, run.loss[i]).transition_times
        predicted = [st.deep_escape_time(v, sigma, depth, fraction=frac) for v in s]
        worst = max(worst, float(np.max(np.abs(found / predicted - 1))))
    record_property("measured", worst)
    record_property("predicted", f"0 (relative error of the transition times; < {TIME_TOL})")
    assert worst < TIME_TOL


def _ode_time(s: float, u0: float, depth: int, target: float) -> float:
    """The time tau du/dt = L u^(2 - 2/L) (s - u) (tau = 1) takes from u0 to ``target``, by
    scipy's ODE solver in v = ln u (an event at ln target): independent of the closed forms."""

    def rhs(_t, v):
        u = np.exp(v[0])
        return [depth * u ** (1 - 2 / depth) * (s - u)]

    def hit(_t, v):
        return v[0] - np.log(target)

    hit.terminal = True
    sol = integrate.solve_ivp(rhs, (0, 1e12), [np.log(u0)], events=hit, rtol=1e-11, atol=1e-12,
                              method="LSODA")  # fmt: skip
    return float(sol.t_events[0][0])


@pytest.mark.parametrize("depth", [3, 4])
def test_deep_escape_time_scales_like_sigma_power_in_an_ode_solve(depth) -> None:
    """The ODE solve's escape time (to the steepest point) against deep_escape_time, and its
    log-log slope in sigma between 1e-3 and 1e-4: -(L - 2), not the 0 of log(1/sigma)."""
    frac = st.steepest_fraction(depth)
    times = []
    for sigma in (1e-3, 1e-4):
        t = _ode_time(1.0, sigma**depth, depth, frac)
        assert t == pytest.approx(st.deep_escape_time(1.0, sigma, depth, fraction=frac), rel=1e-4)
        times.append(t)
    assert np.log(times[1] / times[0]) / np.log(1e-4 / 1e-3) == pytest.approx(-(depth - 2),
                                                                              abs=0.01)  # fmt: skip


def test_two_layer_time_grows_like_log_one_over_sigma() -> None:
    """Half-learned times of tau du/dt = 2u(s - u) from u0 = sigma^2, by an ODE solve: they
    match learning_times and grow by (1/2s) ln(sigma^-2) per factor in sigma^-1."""
    for s in (1.0, 2.5):
        t = [_ode_time(s, sg**2, 2, s / 2) for sg in (1e-3, 1e-6)]
        for sg, tk in zip((1e-3, 1e-6), t, strict=True):
            assert tk == pytest.approx(st.learning_times([s], sg**2)[0], rel=1e-6)
        assert t[1] - t[0] == pytest.approx(np.log(1e6) / (2 * s), rel=1e-3)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: st.train_linear_network([1.0], [0.0]), "sigmas"),
        (lambda: st.train_linear_network([1.0], [-1e-3]), "sigmas"),
        (lambda: st.plateau_losses([1.0, 2.0]), "decreasing"),
        (lambda: st.plateau_losses([]), "non-empty"),
        (lambda: st.learning_times([1.0], 0.0), "u0"),
        (lambda: st.mode_trajectory([0.0], [1.0], 2.0), "u0"),
        (lambda: st.deep_escape_time(1.0, 0.01, 1), "depth"),
        (lambda: st.deep_escape_time(1.0, -0.1, 3), "sigma"),
        (lambda: st.detect_plateaus([0, 1, 2], [1, 1, 1]), "length"),
        (lambda: st.train_linear_network([1.0, 0.5], [1e-3], hidden=1), "hidden"),
    ],
)
def test_bad_input_raises_value_error(call, match) -> None:
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.claim(
    "s2s-logistic",
    chapter="saddle_to_saddle",
    statement="u_k(t) is the logistic solution of tau du/dt = 2 u (s - u)",
)
def test_logistic_solves_its_ode_symbolically() -> None:
    import sympy as sp

    t, s, u0, tau = sp.symbols("t s u0 tau", positive=True)
    E = sp.exp(2 * s * t / tau)
    u = s * E / (E - 1 + s / u0)
    assert sp.simplify(tau * sp.diff(u, t) - 2 * u * (s - u)) == 0
    assert sp.simplify(u.subs(t, 0) - u0) == 0
    # half-time and steepest-descent time
    for frac, factor in ((sp.Rational(1, 2), 1), (sp.Rational(1, 3), 2)):
        t_star = tau / (2 * s) * sp.log((s / u0 - 1) / factor)
        assert sp.simplify(u.subs(t, t_star) - frac * s) == 0


def test_deep_mode_ode_and_steepest_fraction_symbolically() -> None:
    import sympy as sp

    w, s, tau, u = sp.symbols("w s tau u", positive=True)
    L = sp.Symbol("L", positive=True)
    wdot = w ** (L - 1) * (s - w**L) / tau  # one balanced factor
    udot = sp.diff(w**L, w) * wdot  # u = w^L
    target = L * (w**L) ** (2 - 2 / L) * (s - w**L) / tau
    assert sp.simplify(sp.powsimp(udot - target, force=True)) == 0
    a = 2 - 2 / L
    rate = u**a * (s - u) ** 2  # -dL/dt up to constants
    crit = sp.solve(sp.diff(sp.log(rate), u), u)
    assert any(sp.simplify(c - a * s / (a + 2)) == 0 for c in crit)


@pytest.mark.claim(
    "s2s-random-start",
    chapter="saddle_to_saddle",
    statement="From a random small start, mode k follows the logistic with "
    f"u0 = ||W1 v_k + W2' u_k||^2 / 4 (every transition within {TIME_TOL:.0%})",
)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_start_times_follow_the_effective_initial_strength(seed, record_property) -> None:
    s = CASES[0]
    run = st.train_linear_network(
        s,
        [1e-2, 1e-3, 1e-4],
        record_every=2,
        init="random",
        train=TrainConfig(steps=1600, lr=0.01, seed=seed),
    )
    worst = 0.0
    for i in range(run.sigmas.size):
        found = st.detect_plateaus(run.steps * run.lr, run.loss[i]).transition_times
        predicted = np.array(
            [st.steepest_descent_times([sk], u)[0] for sk, u in zip(s, run.u0[i], strict=True)]
        )
        assert found.size == s.size
        worst = max(worst, float(np.max(np.abs(found / predicted - 1))))
    record_property("measured", worst)
    record_property("predicted", f"0 (relative error of the transition times; < {TIME_TOL})")
    assert worst < TIME_TOL


def test_aligned_start_has_effective_strength_sigma_squared() -> None:
    run = st.train_linear_network(
        [2.0, 1.0], [1e-2, 1e-3], record_every=1, train=TrainConfig(steps=1, lr=0.05)
    )
    np.testing.assert_allclose(run.u0, (run.sigmas**2)[:, None] * np.ones((1, 2)), rtol=1e-10)


def test_early_phase_identity_symbolically() -> None:
    """tau a' = s b, tau b' = s a  =>  (a + b) grows like e^{s t/tau}, and b.a = (|a+b|^2 - |a-b|^2)/4."""
    import sympy as sp

    t, s, tau, p0, m0, a, b = sp.symbols("t s tau p0 m0 a b", real=True)
    plus = p0 * sp.exp(s * t / tau)  # a + b
    minus = m0 * sp.exp(-s * t / tau)  # a - b
    a_t, b_t = (plus + minus) / 2, (plus - minus) / 2
    assert sp.simplify(tau * sp.diff(a_t, t) - s * b_t) == 0
    assert sp.simplify(tau * sp.diff(b_t, t) - s * a_t) == 0
    assert sp.simplify(b * a - ((a + b) ** 2 - (a - b) ** 2) / 4) == 0


# ----------------------------------------------------------------------------------------------
# Embedded fixed points and their saddles (§3)
# ----------------------------------------------------------------------------------------------
def test_an_unlearned_mode_is_a_saddle_with_eigenvalues_plus_minus_s() -> None:
    """L(a, b) = 1/2 (s - a b)^2 along one mode: at a = b = 0 the Hessian is [[0, -s], [-s, 0]],
    eigenvalues +s and -s (sympy); a learned mode (a b = s) is a minimum along it."""
    import sympy as sp

    a, b, s = sp.symbols("a b s", positive=True)
    L = (s - a * b) ** 2 / 2
    H = sp.hessian(L, (a, b))
    assert set(H.subs({a: 0, b: 0}).eigenvals()) == {s, -s}
    learned = H.subs({a: sp.sqrt(s), b: sp.sqrt(s)})
    assert all(sp.simplify(ev) >= 0 for ev in learned.eigenvals())


#: the embedded-saddle claim: distance to the rank-r truncation over ||M||, and relative error of
#: the most negative Hessian eigenvalue against -s_{r+1}
SADDLE_TOL = 0.05


@pytest.mark.claim(
    "s2s-embedded-saddles",
    chapter="saddle_to_saddle",
    statement="At each plateau of a trained two-layer linear network (10 random starts, "
    "s = (4, 2, 1)) the end-to-end map is nearest the rank-r truncation of the teacher (within "
    f"{SADDLE_TOL:.0%} of ||M||), and the loss Hessian there has its most negative eigenvalue "
    f"within {SADDLE_TOL:.0%} of "
    "-s_{r+1}: the network sits at a saddle embedded from a width-r network",
    worst="max",
)
def test_plateaus_sit_at_embedded_saddles(record_property) -> None:
    check = st.embedded_saddles([4.0, 2.0, 1.0], seeds=10)  # the notebook's call
    rel = np.abs(check.min_eigenvalue / check.predicted - 1)
    record_property("measured", float(rel.max()))
    record_property("measured", f"distance <= {check.distance.max():.3f}; eigenvalue error median "
                    f"{np.median(rel):.4f}, max {rel.max():.4f} over {rel.size} (seed, plateau)")  # fmt: skip
    record_property(
        "predicted", f"0 (relative error of the most negative eigenvalue; <= {SADDLE_TOL})"
    )
    assert np.all(check.nearest == np.arange(3)[None, :])
    assert np.all(check.distance <= SADDLE_TOL)
    assert np.all(rel <= SADDLE_TOL)


# ----------------------------------------------------------------------------------------------
# Width (§3.3)
# ----------------------------------------------------------------------------------------------
def test_random_start_strength_quantiles_match_sampled_starts() -> None:
    """The chi-square law of u_eff against 20,000 starts drawn as train_linear_network draws them
    and measured by effective_initial_strength (an independent Monte Carlo)."""
    rng = np.random.default_rng(0)
    sigma, d_in, d_out = 1e-2, 12, 10
    U, _ = np.linalg.qr(rng.standard_normal((d_out, 1)))
    V, _ = np.linalg.qr(rng.standard_normal((d_in, 1)))
    for h in (4, 64):
        W1 = rng.standard_normal((20000, h, d_in)) * sigma / np.sqrt(d_in)
        W2 = rng.standard_normal((20000, d_out, h)) * sigma / np.sqrt(h)
        u = st.effective_initial_strength(W1, W2, U, V)[:, 0]
        for q in (0.1, 0.5, 0.9):
            assert np.quantile(u, q) == pytest.approx(st.random_start_strength(sigma, h, d_in, q),
                                                      rel=0.05)  # fmt: skip


def test_width_time_shrinks_by_half_log_two_per_doubling_when_wide() -> None:
    """For hidden >> d_in a doubling of the width shortens each plateau by about
    (tau / 2 s_k) ln 2. Checked without the chi-square law: 400 starts drawn as
    train_linear_network draws them at widths 512 and 1024, their u_eff measured by
    effective_initial_strength, and the steepest-descent time at the median u_eff found by an
    ODE solve. The sampling error of the medians (about 0.3 % of u) is well inside 3 %."""
    rng = np.random.default_rng(0)
    sigma, d_in, d_out, s = 1e-2, 12, 10, 2.0
    U, _ = np.linalg.qr(rng.standard_normal((d_out, 1)))
    V, _ = np.linalg.qr(rng.standard_normal((d_in, 1)))
    times = []
    for h in (512, 1024):
        W1 = rng.standard_normal((400, h, d_in)) * sigma / np.sqrt(d_in)
        W2 = rng.standard_normal((400, d_out, h)) * sigma / np.sqrt(h)
        u = np.median(st.effective_initial_strength(W1, W2, U, V)[:, 0])
        times.append(_ode_time(s, u, 2, s / 3))
    assert times[0] - times[1] == pytest.approx(np.log(2) / (2 * s), rel=0.03)


#: the width claim's tolerance: this many standard deviations of the sampling spread that the
#: theory itself predicts for a median over the sweep's seeds (chi-square starts)
WIDTH_Z = 3.0


def _median_shift_spread(sweep, draws: int = 4000) -> np.ndarray:
    """(W - 1, n): the standard deviation, under the chi-square law of u_eff alone, of the shift
    median_t(width 0) - median_t(width j) between medians over the sweep's seed count: draws of
    that many starts per width, each start's time the steepest-descent time at its u_eff."""
    rng = np.random.default_rng(0)
    n_seeds = sweep.transition_times.shape[1]
    meds = []
    for h in sweep.widths:
        u = (sweep.sigma**2 / 4) * (1 / sweep.d_in + 1 / h) * rng.chisquare(h, (draws, n_seeds))
        t = np.stack([np.log((sk / u - 1) / 2) / (2 * sk) for sk in sweep.s], axis=-1)
        meds.append(np.median(t, axis=1))  # (draws, n)
    return np.array([np.std(meds[0] - m, axis=0) for m in meds[1:]])


@pytest.mark.claim(
    "s2s-width",
    chapter="saddle_to_saddle",
    statement="Wider two-layer linear networks (random start, layer gain sigma) leave each saddle "
    "sooner: the shift of the median transition time (10 seeds) from width 4 to each larger "
    "width (16, 64, 256) matches the shift between t_k at the medians of "
    "u_eff = (sigma^2/4)(1/d_in + 1/h) chi^2_h, within "
    f"{WIDTH_Z:g} standard deviations of the spread the chi-square law predicts for such "
    "medians, and the predicted 4 -> 256 shift is larger than that tolerance",
    worst="max",
)
def test_width_shortens_plateaus_as_predicted(record_property) -> None:
    width = st.sizes("ci").width  # the notebook's call
    sweep = st.width_sweep(
        [3.0, 2.0, 1.0], list(width.widths), seeds=width.seeds, train=width.train
    )
    med = st.width_median(sweep)
    measured = med[0] - med[1:]
    predicted = sweep.predicted_median[0] - sweep.predicted_median[1:]
    spread = _median_shift_spread(sweep)
    z = np.abs(measured - predicted) / spread
    record_property("measured", float(z.max()))
    record_property("measured", f"shift 4 -> {sweep.widths[1:].tolist()}: measured "
                    f"{np.round(measured, 2).tolist()} vs predicted "
                    f"{np.round(predicted, 2).tolist()} (sd {np.round(spread, 2).tolist()}); "
                    f"relative error of the 4 -> 256 shift "
                    f"{np.round(measured[-1] / predicted[-1] - 1, 3).tolist()}")  # fmt: skip
    record_property("predicted", f"0 (shift error in sampling sd; <= {WIDTH_Z:g})")
    assert np.all(predicted[-1] > WIDTH_Z * spread[-1])  # the effect is resolvable
    assert np.all(z <= WIDTH_Z)
    assert np.all(np.diff(med, axis=0) < 0)  # every mode escapes sooner at every larger width


@pytest.mark.slow
def test_width_claim_holds_for_other_starts() -> None:
    """The width claim was fixed on master seed 0; on three more groups of ten starts (one
    batched sweep of 30 starts from master seed 1) every group's median transition times stay
    within TIME_TOL of the chi-square prediction and every mode escapes sooner at every larger
    width. (One teacher for the three groups: its singular vectors do not matter, the Gaussian
    starts being rotation invariant; its singular values are the claim's.)"""
    width = st.sizes("ci").width
    sweep = st.width_sweep([3.0, 2.0, 1.0], list(width.widths), seeds=3 * width.seeds,
                           train=width.train.replace(seed=1))  # fmt: skip
    for g in range(3):
        med = np.median(sweep.transition_times[:, g * width.seeds : (g + 1) * width.seeds], axis=1)
        assert np.all(np.abs(med / sweep.predicted_median - 1) < TIME_TOL)
        assert np.all(np.diff(med, axis=0) < 0)


@pytest.mark.parametrize(("s", "depth", "hidden", "d_in", "d_out"),
                         [([2.0, 0.7], 3, 5, 3, 5), ([1.5], 2, 1, 4, 1)])  # fmt: skip
def test_hand_written_linear_gradient_is_autograds(
    monkeypatch, s, depth, hidden, d_in, d_out
) -> None:
    """train_linear_network steps with dL/dW_i written out by hand: at a random start (two runs;
    a three-layer net of odd widths, and a width-1 one), every layer's gradient equals torch
    autograd's of the docstring's L = 1/2 ||M - W_L...W_1||_F^2."""
    import torch
    from theorybench.saddle_to_saddle.linear import training as lt

    seen, real = [], lt.plain_gd

    def spy(params, loss, **kw):  # noqa: ANN001, ANN003, ANN202
        seen.append(([p.clone() for p in params], [g.clone() for g in loss()[2]()]))
        return real(params, loss, **kw)

    monkeypatch.setattr(lt, "plain_gd", spy)
    st.train_linear_network(s, [0.6, 1.3], depth=depth, hidden=hidden, d_in=d_in, d_out=d_out,
                            init="random", train=TrainConfig(steps=1, lr=0.01, seed=7))  # fmt: skip
    ((start, got),) = seen
    Ws = [w.clone().requires_grad_(True) for w in start]
    end_to_end = Ws[0]
    for w in Ws[1:]:
        end_to_end = w @ end_to_end
    M = torch.tensor(st.teacher(s, d_in, d_out, 7)[0])
    want = torch.autograd.grad(0.5 * ((M - end_to_end) ** 2).sum(), Ws)
    for g, ref in zip(got, want, strict=True):
        np.testing.assert_allclose(g.numpy(), ref.numpy(), rtol=1e-10, atol=1e-14)


def test_embedded_saddles_gd_is_autograds(monkeypatch) -> None:
    """embedded_saddles runs GD with the gradient of L = 1/2 ||M - W2 W1||_F^2 written out by
    hand (numpy, all seeds at once). With its plateau finder replaced by one that puts plateau r
    at step r, its measurements (distance to M_r and the Hessian's smallest eigenvalue) at steps
    0, 1, 2 are those of torch autograd GD from the same starts (odd sizes, hidden width 3)."""
    import types

    import torch
    from theorybench.saddle_to_saddle.linear import embedding

    s, hidden, d_in, d_out, sigma, lr, seed = np.array([2.0, 1.1, 0.4]), 3, 5, 3, 0.7, 0.05, 2
    monkeypatch.setattr(embedding, "detect_plateaus",
                        lambda times, _: types.SimpleNamespace(transition_times=times[1:]))  # fmt: skip
    check = embedding.embedded_saddles.__wrapped__(
        s, seeds=2, sigma=sigma, hidden=hidden, d_in=d_in, d_out=d_out,
        train=TrainConfig(steps=3, lr=lr, seed=seed),
    )  # fmt: skip
    for j in range(2):
        M, U, V = st.teacher(s, d_in, d_out, seed * 1000 + j)
        rng = np.random.default_rng(seed * 1000 + j + 1)
        W1 = torch.tensor(rng.standard_normal((hidden, d_in)) * sigma / np.sqrt(d_in))
        W2 = torch.tensor(rng.standard_normal((d_out, hidden)) * sigma / np.sqrt(hidden))
        Mt = torch.tensor(M)

        def loss(w1, w2, Mt=Mt):  # noqa: ANN001, ANN202
            return 0.5 * ((Mt - w2 @ w1) ** 2).sum()

        for r in range(3):
            truncation = U[:, :r] * s[:r] @ V[:, :r].T
            gap = np.linalg.norm((W2 @ W1).numpy() - truncation) / np.linalg.norm(M)
            np.testing.assert_allclose(check.distance[j, r], gap, rtol=1e-10)
            H = torch.autograd.functional.hessian(
                lambda p: loss(p[: hidden * d_in].reshape(hidden, d_in),
                               p[hidden * d_in :].reshape(d_out, hidden)),
                torch.cat([W1.flatten(), W2.flatten()]),
            )  # fmt: skip
            np.testing.assert_allclose(
                check.min_eigenvalue[j, r], np.linalg.eigvalsh(H.numpy())[0], rtol=1e-10
            )
            w1, w2 = W1.requires_grad_(True), W2.requires_grad_(True)
            g1, g2 = torch.autograd.grad(loss(w1, w2), [w1, w2])
            W1, W2 = (W1 - lr * g1).detach(), (W2 - lr * g2).detach()
