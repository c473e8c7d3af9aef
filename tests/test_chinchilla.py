"""Chinchilla fits (theory/chinchilla.md): Approach-2 bias, VarPro, deadweight compute."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize
from theorybench import chinchilla as ch
from theorybench.chinchilla import EPOCH, HOFFMANN, LossSurface

BUDGETS = np.array([1e19, 1e20, 1e21, 1e22])
XS, XL = 2 * np.log10(2), 2 * np.log10(16)  # +-2x and +-16x grids, in decades


@pytest.fixture(scope="module")
def epoch_huber():
    """Epoch's Huber VarPro fit to its 240 Chinchilla points, ``varpro_fit(d.N, d.D, d.loss,
    objective="huber")`` on ``epoch_chinchilla_points(drop_highest=5)``: the notebook's
    ``real_data_fits`` computes exactly this call (seconds of CPU), stored once for both."""
    return ch.real_data_fits().epoch


# -- the surface and the optimal allocation (§2) ------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(
    alpha=st.floats(0.1, 0.9),
    beta=st.floats(0.1, 0.9),
    logA=st.floats(0.0, 4.0),
    logB=st.floats(0.0, 4.0),
    logC=st.floats(18.0, 27.0),
)
@pytest.mark.claim(
    "ch-allocation",
    chapter="chinchilla",
    statement="N* = G (C/6)^a, D* = (C/6)^b / G minimise L on 6ND = C",
)
def test_optimal_allocation_is_the_minimiser_on_the_isoflop_curve(alpha, beta, logA, logB, logC):
    """6 N* D* = C, and a dense 1-D search over N on 6 N D = C finds the same N* and L*.
    The search evaluates the reducible part A/N^alpha + B/D^beta itself (E would swamp it)."""
    s = LossSurface(E=1.5, A=10**logA, B=10**logB, alpha=alpha, beta=beta)
    C = 10**logC
    n_star, d_star = (float(v) for v in s.optimal_allocation(C))
    assert 6 * n_star * d_star == pytest.approx(C, rel=1e-12)
    logn = np.linspace(np.log10(n_star) - 3, np.log10(n_star) + 3, 200_001)
    N = 10**logn
    reducible = s.A * N**-alpha + s.B * (C / (6 * N)) ** -beta
    assert logn[np.argmin(reducible)] == pytest.approx(np.log10(n_star), abs=1e-4)
    assert float(s.optimal_loss(C)) - s.E == pytest.approx(reducible.min(), rel=1e-9)


def test_compute_for_loss_inverts_optimal_loss_like_a_root_finder() -> None:
    for s in (HOFFMANN, EPOCH):
        for L in (2.0, 2.5, 3.5):
            root = optimize.brentq(lambda lc, s=s, L=L: float(s.optimal_loss(10**lc)) - L, 10, 40)
            assert np.log10(s.compute_for_loss(L)) == pytest.approx(root, abs=1e-9)


# -- Approach 2 and the vertex shift (§3-4) -----------------------------------------------------
@pytest.mark.claim(
    "ch-a2-bias",
    chapter="chinchilla",
    statement="Approach 2: exponents exact, intercepts shifted by the closed-form dw",
)
@pytest.mark.parametrize("surface", [HOFFMANN, EPOCH], ids=["hoffmann", "epoch"])
@pytest.mark.parametrize("width", [XS, 1.2, XL])
def test_approach2_exponents_are_exact_and_intercepts_shift_by_the_closed_form(
    surface, width, record_property
):
    """Noise-free, centred grids: the fitted exponents equal a and b; the intercepts are off by
    exactly the closed-form dw of vertex_shift (an independent numerical parabola fit)."""
    d = ch.isoflop_grid(surface, BUDGETS, n_points=15, width=width)
    fit = ch.approach2_fit(d.N, d.D, d.loss, d.budget)
    a0, b0 = surface.intercepts()
    shift = ch.vertex_shift(surface.alpha, surface.beta, width, 15)
    record_property("measured", float(abs(fit.a0 - a0 - shift.dw)))
    record_property("predicted", "0 (|fitted intercept shift - closed-form dw|)")
    assert fit.a == pytest.approx(surface.a, abs=1e-9)
    assert fit.b == pytest.approx(surface.b, abs=1e-9)
    assert fit.a0 - a0 == pytest.approx(shift.dw, abs=1e-6)
    assert fit.b0 - b0 == pytest.approx(-shift.dw, abs=1e-6)


@pytest.mark.claim(
    "ch-alpha-eq-beta", chapter="chinchilla", statement="Approach 2 is unbiased when alpha = beta"
)
def test_approach2_is_unbiased_when_alpha_equals_beta() -> None:
    s = LossSurface(E=1.7, A=400.0, B=400.0, alpha=0.3, beta=0.3)
    d = ch.isoflop_grid(s, BUDGETS, n_points=15, width=XL)
    fit = ch.approach2_fit(d.N, d.D, d.loss, d.budget)
    assert fit.a0 == pytest.approx(s.intercepts()[0], abs=1e-10)
    assert ch.vertex_shift(0.3, 0.3, XL, 15).dw == pytest.approx(0.0, abs=1e-15)


@pytest.mark.claim(
    "ch-hoffmann-numbers",
    chapter="chinchilla",
    statement="Hoffmann surface: D* off by -0.33 % (XS) / -5.10 % (XL); b0 by 0.3 % / 4.1 %",
)
def test_hoffmann_intercept_errors_match_the_paper(record_property) -> None:
    """[C26] for the Hoffmann surface, 15 points, centred: D* off by -0.33 % (XS) and -5.10 % (XL),
    N* by +0.33 % / +5.37 %; the log10 intercept b0 = -0.555357 moves by 0.3 % / 4.1 %."""
    xs, xl = (ch.vertex_shift(HOFFMANN.alpha, HOFFMANN.beta, w, 15) for w in (XS, XL))
    record_property(
        "measured",
        f"D* {100 * xs.d_star_error:+.2f} % / {100 * xl.d_star_error:+.2f} %, "
        f"b0 {100 * xs.b0_relative_error(HOFFMANN):.2f} % / {100 * xl.b0_relative_error(HOFFMANN):.2f} %",
    )
    record_property("predicted", "D* -0.33 % / -5.10 %, b0 0.3 % / 4.1 % (paper)")
    assert HOFFMANN.intercepts()[1] == pytest.approx(-0.555357, abs=1e-6)
    assert xs.d_star_error == pytest.approx(-0.0033, abs=5e-5)
    assert xl.d_star_error == pytest.approx(-0.0510, abs=5e-4)
    assert xs.n_star_error == pytest.approx(0.0033, abs=5e-5)
    assert xl.n_star_error == pytest.approx(0.0537, abs=5e-4)
    assert xs.b0_relative_error(HOFFMANN) == pytest.approx(0.003, abs=5e-4)
    assert xl.b0_relative_error(HOFFMANN) == pytest.approx(0.041, abs=5e-4)
    assert HOFFMANN.intercepts()[1] - xs.dw == pytest.approx(-0.556779, abs=2e-6)
    assert HOFFMANN.intercepts()[1] - xl.dw == pytest.approx(-0.578092, abs=2e-6)


@settings(max_examples=30, deadline=None)
@given(
    alpha=st.floats(0.1, 0.8),
    beta=st.floats(0.1, 0.8),
    width=st.floats(0.3, 3.0),
    n=st.integers(3, 25),
    offset=st.floats(0.25, 4.0),
)
@pytest.mark.claim(
    "ch-dw-closed-form",
    chapter="chinchilla",
    statement="The closed form of dw equals a numerical parabola fit (our derivation)",
)
def test_vertex_shift_equals_a_numerical_parabola_fit(alpha, beta, width, n, offset) -> None:
    """Closed form vs np.polyfit on one IsoFLOP curve, centred or off-centre."""
    s = LossSurface(E=1.7, A=300.0, B=500.0, alpha=alpha, beta=beta)
    d = ch.isoflop_grid(s, [1e20], n_points=n, width=width, offset=offset)
    p, q, _ = np.polyfit(np.log10(d.N), d.loss, 2)
    numerical = -q / (2 * p) - np.log10(float(s.optimal_allocation(1e20)[0]))
    assert ch.vertex_shift(alpha, beta, width, n, offset).dw == pytest.approx(numerical, abs=1e-7)


@pytest.mark.claim(
    "ch-drift",
    chapter="chinchilla",
    statement="A drifting grid biases the exponent, a constant offset does not",
)
def test_drift_biases_the_exponent_exactly_as_the_closed_form_predicts() -> None:
    """A constant offset leaves the exponent exact; a drift (offset growing with C) changes it by
    the slope of dw(offset_C) against log10 C, dw from vertex_shift at each budget's offset."""
    const = ch.isoflop_grid(HOFFMANN, BUDGETS, width=XL, offset=2.0)
    assert ch.approach2_fit(const.N, const.D, const.loss, const.budget).a == pytest.approx(
        HOFFMANN.a, abs=1e-9
    )
    drift = 0.15
    d = ch.isoflop_grid(HOFFMANN, BUDGETS, width=XL, drift=drift)
    fit = ch.approach2_fit(d.N, d.D, d.loss, d.budget)
    offsets = (BUDGETS / BUDGETS.min()) ** drift
    dws = [ch.vertex_shift(HOFFMANN.alpha, HOFFMANN.beta, XL, 15, o).dw for o in offsets]
    predicted = HOFFMANN.a + np.polyfit(np.log10(BUDGETS), dws, 1)[0]
    assert fit.a == pytest.approx(predicted, abs=1e-9)
    assert abs(fit.a - HOFFMANN.a) > 1e-3


# -- VarPro (§5) ----------------------------------------------------------------------------------
@pytest.mark.claim(
    "ch-varpro-exact",
    chapter="chinchilla",
    statement="VarPro recovers all five parameters from noise-free data",
)
@pytest.mark.parametrize("surface", [HOFFMANN, EPOCH], ids=["hoffmann", "epoch"])
def test_varpro_recovers_noise_free_parameters(surface, record_property) -> None:
    d = ch.isoflop_grid(surface, BUDGETS, n_points=15, width=1.2)
    fit = ch.varpro_fit(d.N, d.D, d.loss)
    got = np.array([getattr(fit.surface, k) for k in ("E", "A", "B", "alpha", "beta")])
    want = np.array([getattr(surface, k) for k in ("E", "A", "B", "alpha", "beta")])
    record_property("measured", float(np.max(np.abs(got / want - 1))))
    record_property("predicted", "0 (max relative error of E, A, B, alpha, beta; <= 1e-6 asserted)")
    np.testing.assert_allclose(got, want, rtol=1e-6)


@pytest.mark.claim(
    "ch-epoch-replication",
    chapter="chinchilla",
    statement="VarPro with Epoch's objective lands in Epoch's 95 % intervals",
)
def test_varpro_huber_on_epoch_data_lands_in_epochs_confidence_intervals(
    epoch_huber, record_property
) -> None:
    """[E24]: E 1.769-1.871, alpha 0.317-0.373, beta 0.331-0.415 (95 %), on their 240 points."""
    s = epoch_huber.surface
    record_property("measured", f"E {s.E:.3f}, alpha {s.alpha:.4f}, beta {s.beta:.4f}")
    record_property("predicted", "E 1.769-1.871, alpha 0.317-0.373, beta 0.331-0.415 (Epoch 95 %)")
    assert 1.769 <= s.E <= 1.871
    assert 0.317 <= s.alpha <= 0.373
    assert 0.331 <= s.beta <= 0.415


@pytest.mark.claim(
    "ch-varpro-vs-direct",
    chapter="chinchilla",
    statement="VarPro reaches the direct 5-D fit's objective",
)
def test_varpro_matches_the_direct_fit_objective(epoch_huber, record_property) -> None:
    """Same data, same objective: VarPro's minimum is no worse than 5-D L-BFGS-B from many starts."""
    d = ch.epoch_chinchilla_points(drop_highest=5)
    vp = epoch_huber
    direct = ch.direct_fit(d.N, d.D, d.loss, starts=ch.epoch_start_grid()[::50])
    record_property("measured", float((vp.objective - direct.objective) / direct.objective))
    record_property("predicted", "<= 0 (relative objective difference VarPro - direct)")
    assert vp.objective <= direct.objective * (1 + 1e-9)


@pytest.mark.claim(
    "ch-conditioning",
    chapter="chinchilla",
    statement="The 5-D problem is ill-conditioned (~1e11), VarPro's 2-D one is not (~10)",
)
def test_varpro_reduced_problem_is_well_conditioned(record_property) -> None:
    d = ch.isoflop_grid(HOFFMANN, BUDGETS, n_points=15, width=1.2)
    full, reduced = ch.conditioning(HOFFMANN, d.N, d.D)
    record_property("measured", f"cond 5-D {full:.1e}, 2-D {reduced:.1f}")
    record_property("predicted", "~1e11 vs ~10 (paper)")
    assert full > 1e9 and reduced < 100


# -- deadweight compute (§6) ------------------------------------------------------------------------
@pytest.mark.claim(
    "ch-deadweight",
    chapter="chinchilla",
    statement="Deadweight compute: zero at the optimum, L(misallocated) = L*(C_eq)",
)
def test_deadweight_is_zero_at_the_optimum_and_positive_elsewhere() -> None:
    C = 3.8e25
    d_star = float(HOFFMANN.optimal_allocation(C)[1])
    at_opt = ch.deadweight_compute(HOFFMANN, d_star, C)
    assert at_opt.fraction == pytest.approx(0.0, abs=1e-9)
    off = ch.deadweight_compute(HOFFMANN, d_star * 1.5, C)
    assert 0 < off.fraction < 1
    # independent: the loss of the misallocated run equals the optimal loss at C_eq
    assert float(HOFFMANN.optimal_loss(off.C_equivalent)) == pytest.approx(off.loss, rel=1e-12)
    assert off.usd == pytest.approx(off.dcl / (ch.H100_BF16_DENSE * 0.5) / 3600 * 2.0)


# -- data -----------------------------------------------------------------------------------------
def test_shipped_data_load_with_checksums() -> None:
    assert ch.load_scaling_data("epoch_chinchilla").N.size == 245
    assert ch.load_scaling_data("chinchilla_isoflops").N.size == 123
    assert ch.load_scaling_data("llama3_isoflops").N.size == 133
    assert ch.load_scaling_data("llama3_isoflops", condition="exp_loss").loss.min() > 1


# -- bad input ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: LossSurface(E=1, A=-1, B=1, alpha=0.3, beta=0.3), "A"),
        (lambda: HOFFMANN.loss([0.0], [1.0]), "N"),
        (lambda: HOFFMANN.optimal_allocation(-1.0), "C"),
        (lambda: HOFFMANN.compute_for_loss(1.0), "E"),
        (lambda: ch.approach2_fit([1, 2], [1, 2, 3], [1, 2], [1, 1]), "length"),
        (lambda: ch.approach2_fit([1, 2, 3], [1, 2, 3], [1, np.nan, 2], [1, 1, 1]), "NaN"),
        (lambda: ch.varpro_fit([1e9] * 4, [1e9] * 4, [2.0] * 4), "more points"),
        (lambda: ch.varpro_fit([1e9] * 9, [1e9] * 9, [2.0] * 9, objective="l1"), "objective"),
        (lambda: ch.vertex_shift(-0.3, 0.3, 1.0, 15), "alpha"),
        (lambda: ch.vertex_shift(0.3, 0.3, 1.0, 2), "n_points"),
        (lambda: ch.isoflop_grid(HOFFMANN, [1e20], width=0.0), "width"),
        (lambda: ch.deadweight_compute(HOFFMANN, 1e12, 1e25, mfu=0.0), "mfu"),
        (lambda: ch.load_scaling_data("gpt5"), "name"),
    ],
)
def test_bad_input_raises_value_error_naming_the_argument(call, match) -> None:
    with pytest.raises(ValueError, match=match):
        call()


def test_a_fit_that_cannot_identify_the_surface_says_so() -> None:
    """Losses that do not depend on D: B = 0 at the optimum, reported instead of returned."""
    N = np.geomspace(1e8, 1e10, 12)
    D = np.geomspace(1e9, 1e11, 12)[::-1]
    with pytest.raises(RuntimeError, match="did not converge|identify"):
        ch.varpro_fit(N, D, 1.7 + 400 * N**-0.3)


def test_approach2_refuses_a_concave_isoflop_curve() -> None:
    N = np.array([1e8, 1e9, 1e10, 1e8, 1e9, 1e10])
    with pytest.raises(ValueError, match="opens downwards"):
        ch.approach2_fit(N, 1e20 / (6 * N), [2.0, 3.0, 2.0, 2.0, 3.0, 2.0], [1e20] * 3 + [1e21] * 3)


def test_vertex_shift_grows_like_width_squared() -> None:
    """For small W the shift is quadratic in W: dw(W) / W^2 tends to a constant."""
    dws = [ch.vertex_shift(HOFFMANN.alpha, HOFFMANN.beta, w, 15).dw for w in (0.05, 0.1, 0.2)]
    ratios = np.array(dws) / np.array([0.05, 0.1, 0.2]) ** 2
    np.testing.assert_allclose(ratios, ratios[0], rtol=0.02)


@pytest.mark.slow  # the notebook's sweep (33 students x 4 seeds, ~5 s), computed once for both
def test_torch_sweep_gives_u_shaped_isoflop_curves_whose_optimum_grows_with_compute() -> None:
    """The notebook's real sweep (the ci sizes, the same call, so the two share one computation):
    every budget's curve has an interior minimum, and Approach 2's N* exponent is positive
    (bigger budgets want bigger students). This checks the one sweep the notebook shows (its
    seed), not a claim over seeds: a review ran train seeds 0-17 and found two where this
    instance's check fails, seed 11 (exponent 1.18, above the sanity bound 1) and seed 13 (the
    smallest budget's minimum at the edge of the width grid), with the per-student streams
    before the batched program as with it. It is not one of the ledger's claims."""
    S = ch.sizes("ci")
    res = ch.torch_isoflop_sweep(S.budgets, S.widths, seeds=S.seeds, train=S.train)
    for c in np.unique(res.budget):
        loss = res.loss[res.budget == c]
        assert 0 < np.argmin(loss) < loss.size - 1
    fit = ch.fit_sweep(res)
    assert fit.approach2 is not None and 0.2 < fit.approach2.a < 1.0
    assert fit.varpro is not None or "identify" in fit.varpro_message


def _sweep_reference(budgets, widths, *, seeds, batch, d_in, teacher_width, noise, n_test, train):
    """torch_isoflop_sweep the plain way: each student alone, autograd, torch.optim.Adam and a
    cosine LambdaLR, reading the same sample stream (the sweep's documented draws)."""
    import torch

    dt, seed = torch.float32, train.seed
    gen = torch.Generator().manual_seed(seed)
    W1t = torch.randn(d_in, teacher_width, generator=gen, dtype=dt) * np.sqrt(2 / d_in)
    W2t = torch.randn(teacher_width, 1, generator=gen, dtype=dt) / np.sqrt(teacher_width)

    def sample(shape, g):
        x = torch.randn(*shape, d_in, generator=g, dtype=dt)
        eps = torch.randn(*shape, generator=g, dtype=dt)
        return x, (torch.relu(x @ W1t) @ W2t)[..., 0] + noise * eps

    xt, yt = sample((n_test,), torch.Generator().manual_seed(seed + 1))
    pairs = [
        (c, w) for c in budgets for w in widths if c / (6 * (w * (d_in + 2) + 1)) >= 20 * batch
    ]
    losses = []
    for k, (c, w) in enumerate(pairs):
        g = torch.Generator().manual_seed(seed + 10 + k)
        params = [
            torch.randn(seeds, d_in, w, generator=g, dtype=dt) * np.sqrt(2 / d_in),
            torch.zeros(seeds, 1, w, dtype=dt),
            torch.randn(seeds, w, 1, generator=g, dtype=dt) / np.sqrt(w),
            torch.zeros(seeds, 1, 1, dtype=dt),
        ]
        for p in params:
            p.requires_grad_(True)
        opt = torch.optim.Adam(params, lr=train.lr * min(1.0, np.sqrt(8 / w)))
        steps = int(c / (6 * (w * (d_in + 2) + 1)) // batch)
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda t, n=steps: 0.5 * (1 + np.cos(np.pi * t / n))
        )

        def forward(x, params=params):
            return (torch.relu(x @ params[0] + params[1]) @ params[2] + params[3])[..., 0]

        stream = torch.Generator().manual_seed(seed + 2)
        for _ in range(steps):
            x, y = sample((seeds, batch), stream)
            loss = ((forward(x) - y) ** 2).mean(1).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        with torch.no_grad():
            losses.append(float(((forward(xt) - yt) ** 2).mean()))
    return np.array(losses)


def test_batched_sweep_trains_each_student_as_autograd_and_adam_would() -> None:
    """The sweep's one batched program (hand-written gradients, Adam with a step size per
    student, students leaving at their last step) against each student trained alone by autograd
    and torch.optim.Adam on the same samples: the same held-out losses up to float32 rounding."""
    kw = dict(seeds=2, batch=16, d_in=4, teacher_width=8, noise=0.1, n_test=256,
              train=ch.DEFAULT_TRAIN)  # fmt: skip
    # widths on both sides of 8, where the peak step size starts to scale as (8 / width)^(1/2)
    budgets, widths = [6e4, 2e5, 8e5], [2, 5, 16, 32]
    res = ch.torch_isoflop_sweep.__wrapped__(budgets, widths, **kw)
    ref = _sweep_reference(budgets, widths, **kw)
    assert res.loss.size == ref.size == 9  # students of different lengths leave at different steps
    np.testing.assert_allclose(res.loss, ref, rtol=1e-4)


def test_chinchilla_explorer_shows_the_closed_form_and_the_fit_agreeing() -> None:
    ex = ch.explorer()
    closed, numer = ex.fig.axes[1].lines[:2]
    for alpha, width in ((0.34, 1.2), (0.5, 2.5)):
        ex.controls["alpha"].value = alpha
        ex.controls["width"].value = width
        curve_at_pts = np.interp(numer.get_xdata(), closed.get_xdata(), closed.get_ydata())
        np.testing.assert_allclose(numer.get_ydata(), curve_at_pts, atol=0.05)  # percent


def test_a_file_that_fails_its_checksum_is_refused(monkeypatch) -> None:
    """The loader hashes the bytes it reads: a file whose sha256 is not the recorded one (here the
    README, which has no entry) raises instead of being parsed."""
    monkeypatch.setitem(ch.data._DATA, "epoch_chinchilla", "README.md")
    with pytest.raises(ValueError, match="checksum"):
        ch.load_scaling_data("epoch_chinchilla")


def test_varpro_stays_inside_its_search_bounds() -> None:
    """The exponents never leave alpha_bounds / beta_bounds, the polish step included."""
    d = ch.epoch_chinchilla_points(drop_highest=5)
    fit = ch.varpro_fit(
        d.N, d.D, d.loss, objective="huber", alpha_bounds=(0.05, 0.34), beta_bounds=(0.05, 0.36)
    )
    assert 0.05 <= fit.surface.alpha <= 0.34 and 0.05 <= fit.surface.beta <= 0.36


def test_varpro_default_grid_is_32_for_squared_and_16_for_huber(epoch_huber) -> None:
    d = ch.epoch_chinchilla_points(drop_highest=5)
    assert ch.varpro_fit(d.N, d.D, d.loss).grid_objective.shape == (32, 32)
    assert epoch_huber.grid_objective.shape == (16, 16)
