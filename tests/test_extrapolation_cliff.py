"""The extrapolation cliff of on-policy distillation (theory/extrapolation_cliff.md)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy import optimize, special
from theorybench import extrapolation_cliff as ec

probs = st.floats(0.02, 0.995)
clips = st.floats(1.1, 5.0)


def _separated(p: float, b: float) -> bool:
    return abs(ec.logit(p) - ec.logit(b)) > 0.1  # lambda* < ~50: the bisection bracket is short


@pytest.mark.claim(
    "ec-lambda-star-simulator",
    chapter="extrapolation_cliff",
    statement="lambda*(p, b, c) is where clipped, extrapolated OPD starts to end at the clip "
    "(bisection on the simulator, no closed form)",
)
@pytest.mark.slow
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(p=probs, b=probs, c=clips)
def test_lambda_star_agrees_with_the_simulated_cliff(p, b, c, record_property) -> None:
    assume(_separated(p, b))  # rejected, not passed: no vacuous examples
    predicted = float(ec.lambda_star(p, b, c))
    measured = ec.empirical_cliff(p, b, c, tol=1e-7)
    record_property("measured", abs(measured - predicted) / predicted)
    record_property("predicted", "0 (relative gap |simulated cliff - lambda*| / lambda*, <= 1e-5)")
    assert measured == pytest.approx(predicted, rel=1e-5)


# ----------------------------------------------------------------------------------------------
# Where lambda* > 1 (§3.1): drawn from the family the page states, p, b in (0, 1), c > 1
# ----------------------------------------------------------------------------------------------
N_REGION = 3000  # (p, b, c) draws; logit p, logit b ~ U(-9, 9), log c ~ U(0.01, 7)


def _draw_pbc(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p, b = special.expit(rng.uniform(-9, 9, (2, n)))
    c = np.exp(rng.uniform(0.01, 7, n))
    keep = np.abs(ec.logit(p) - ec.logit(b)) > 0.05  # lambda* finite and below ~10^4
    return p[keep], b[keep], c[keep]


def _root_lambda_star(p: float, b: float, c: float) -> float:
    """lambda* by root finding on the definition: the first lambda at which a base-relative
    ratio of q_lambda = expit((1-lambda) logit b + lambda logit p) reaches c or 1/c (no
    closed form; the ratios move monotonically away from 1, so the root is unique)."""
    lb, l1b = np.log(b), np.log1p(-b)
    zb, zp = np.log(b) - np.log1p(-b), np.log(p) - np.log1p(-p)

    def excess(lam: float) -> float:
        z = (1 - lam) * zb + lam * zp
        log_q, log_1q = -np.logaddexp(0, -z), -np.logaddexp(0, z)
        return max(abs(log_q - lb), abs(log_1q - l1b)) - np.log(c)

    hi = 1.0
    while excess(hi) < 0:
        hi *= 2
    return optimize.brentq(excess, 0.0, hi, xtol=1e-14, rtol=1e-13)


@pytest.mark.claim(
    "ec-region-above-one",
    chapter="extrapolation_cliff",
    statement="Model 1: lambda*(p, b, c) > 1 exactly when c > max(p/b, b/p, (1-p)/(1-b), "
    "(1-b)/(1-p)), the teacher itself clip-safe relative to the base; for p > b the tail term "
    "binds exactly when p + b > 1 (random (p, b, c) against root finding on the definition)",
)
def test_lambda_star_exceeds_one_exactly_where_the_teacher_is_clip_safe(record_property) -> None:
    p, b, c = _draw_pbc(N_REGION, seed=11)
    root = np.array([_root_lambda_star(*x) for x in zip(p, b, c, strict=True)])
    above = c > ec.critical_clip(p, b)
    decided = np.abs(root - 1) > 1e-9  # points on the boundary itself decide nothing
    wrong = int(np.sum((root > 1)[decided] != above[decided]))
    record_property("measured", f"{wrong} of {decided.sum()} draws misclassified")
    record_property("predicted", "0 misclassified")
    assert wrong == 0 and decided.sum() > 0.99 * p.size
    assert 0.2 < above.mean() < 0.8  # both sides of the boundary are well represented
    # the closed form and its inverse agree with the root
    np.testing.assert_allclose(ec.lambda_star(p, b, c), root, rtol=1e-8)
    np.testing.assert_allclose(ec.clip_for_threshold(p, b, root), c, rtol=1e-8)
    np.testing.assert_allclose(ec.critical_clip(p, b), ec.clip_for_threshold(p, b, 1.0), rtol=1e-12)
    # which term binds for p > b: the tail ratio (1-b)/(1-p) exactly when p + b > 1
    up = p > b
    tail_binds = (1 - b[up]) / (1 - p[up]) > p[up] / b[up]
    assert np.array_equal(tail_binds, p[up] + b[up] > 1)


N_DYNAMICS = 12  # near-deterministic draws checked on the simulator on both sides of c_1
CLIP_MARGIN = 0.05  # c = (1 -+ CLIP_MARGIN) c_1: lambda* = 1 -+ O(CLIP_MARGIN)


@pytest.mark.claim(
    "ec-region-simulator",
    chapter="extrapolation_cliff",
    statement="Model 1: plain distillation (lambda = 1) ends clipped exactly when c < c_1(p, b) "
    "(simulated dynamics, near-deterministic p > b drawn at random, c within 5 % of c_1)",
)
def test_plain_distillation_clips_exactly_below_the_critical_clip(record_property) -> None:
    rng = np.random.default_rng(5)
    tp = 10 ** rng.uniform(-3, -1, N_DYNAMICS)  # teacher tail mass
    tb = tp * 10 ** rng.uniform(0.1, 1.5, N_DYNAMICS)  # base tail 1.26x-32x the teacher's
    p, b = 1 - tp, 1 - np.minimum(tb, 0.5)
    c1 = ec.critical_clip(p, b)
    wrong = 0
    for pi, bi, ci in zip(p, b, c1, strict=True):
        safe = ec.simulate_opd(pi, bi, (1 + CLIP_MARGIN) * ci, 1.0, steps=600)
        unsafe = ec.simulate_opd(pi, bi, (1 - CLIP_MARGIN) * ci, 1.0, steps=600)
        wrong += int(safe.clip_active) + int(not unsafe.clip_active)
        assert safe.modal_mass[-1] == pytest.approx(pi, rel=1e-9)
    record_property("measured", f"{wrong} of {2 * N_DYNAMICS} runs on the wrong side")
    record_property("predicted", "0")
    assert wrong == 0


def test_fixed_point_maximises_the_expected_extrapolated_reward() -> None:
    """q_lambda against scipy maximising E_{y~q} r_lambda(y) over the Bernoulli student."""
    for p, b, lam in [(0.99, 0.9, 1.5), (0.7, 0.95, 2.0), (0.6, 0.3, 0.4)]:

        def neg_reward(z: float, p=p, b=b, lam=lam) -> float:
            q = special.expit(z)
            r_mod = lam * np.log(p) + (1 - lam) * np.log(b) - np.log(q)
            r_tail = lam * np.log1p(-p) + (1 - lam) * np.log1p(-b) - np.log1p(-q)
            return -(q * r_mod + (1 - q) * r_tail)

        z = optimize.minimize_scalar(
            neg_reward, bounds=(-30, 30), method="bounded", options={"xatol": 1e-10}
        ).x
        assert special.expit(z) == pytest.approx(
            float(ec.extrapolated_fixed_point(p, b, lam)), abs=1e-8
        )


@given(p=probs, b=probs, lam1=st.floats(0, 5), lam2=st.floats(0, 5))
def test_fixed_point_is_the_teacher_at_one_and_monotone_in_lambda(p, b, lam1, lam2) -> None:
    assert float(ec.extrapolated_fixed_point(p, b, 1.0)) == pytest.approx(p, rel=1e-12)
    assert float(ec.extrapolated_fixed_point(p, b, 0.0)) == pytest.approx(b, rel=1e-12)
    lo, hi = sorted((lam1, lam2))
    q_lo, q_hi = ec.extrapolated_fixed_point(p, b, [lo, hi])
    # moves monotonically from b towards (and past) p
    assert (q_hi - q_lo) * np.sign(p - b) >= -1e-15


def test_threshold_derivation_symbolically() -> None:
    """Solving logit q_lambda = logit q* for lambda gives the page's four closed forms."""
    import sympy as sp

    lam, c = sp.symbols("lambda c", positive=True)
    p, b = sp.symbols("p b", positive=True)

    def logit(x):
        return sp.log(x) - sp.log(1 - x)

    def solve(q_star):
        sol = sp.solve(sp.Eq((1 - lam) * logit(b) + lam * logit(p), logit(q_star)), lam)
        assert len(sol) == 1
        return sol[0]

    den = logit(p) - logit(b)
    forms = {
        1 - (1 - b) / c: sp.log(c) + sp.log(1 - (1 - b) / c) - sp.log(b),
        c * b: sp.log(c) + sp.log(1 - b) - sp.log(1 - c * b),
        b / c: -sp.log(c) + sp.log(1 - b) - sp.log(1 - b / c),
        1 - c * (1 - b): -sp.log(c) - sp.log(b) + sp.log(1 - c * (1 - b)),
    }
    for q_star, rise in forms.items():
        diff = sp.expand_log(solve(q_star) - rise / den, force=True)
        assert sp.simplify(diff) == 0
    # base-neutral: b = 1/2 and the tail binds
    neutral = (forms[1 - (1 - b) / c] / den).subs(b, sp.Rational(1, 2))
    assert sp.simplify(sp.expand_log(neutral - sp.log(2 * c - 1) / logit(p), force=True)) == 0


@given(b=probs, c=clips)
def test_clip_safe_interval_is_where_both_ratios_are_safe(b, c) -> None:
    """Brute force over a fine grid of q against the interval's closed form."""
    q = np.linspace(1e-4, 1 - 1e-4, 20001)
    safe = (q / b <= c) & (q / b >= 1 / c) & ((1 - q) / (1 - b) <= c) & ((1 - q) / (1 - b) >= 1 / c)
    lo, hi = ec.clip_safe_interval(b, c)
    inside = (q >= lo) & (q <= hi)
    step = q[1] - q[0]
    mismatch = q[safe != inside]
    assert np.all((np.abs(mismatch - lo) < 2 * step) | (np.abs(mismatch - hi) < 2 * step))


def test_edges_stay_finite_and_accurate_near_one() -> None:
    """p, b at 1 - 1e-12: finite, and equal to a 50-digit mpmath evaluation of the same root."""
    import mpmath as mp

    mp.mp.dps = 50
    for p, b, c in [(1 - 1e-12, 1 - 1e-9, 2.0), (1 - 1e-9, 1 - 1e-12, 2.0), (1 - 1e-12, 0.5, 1.5)]:
        got = float(ec.lambda_star(p, b, c))
        P, B, C = mp.mpf(p), mp.mpf(b), mp.mpf(c)  # the same doubles, in 50 digits
        logit = lambda x: mp.log(x) - mp.log(1 - x)  # noqa: E731
        q_star = 1 - (1 - B) / C if P > B else max(B / C, 1 - C * (1 - B))
        want = (logit(q_star) - logit(B)) / (logit(P) - logit(B))
        assert np.isfinite(got)
        assert got == pytest.approx(float(want), rel=1e-9)
    assert np.isfinite(ec.extrapolated_fixed_point(1 - 1e-12, 1 - 1e-12 / 2, 3.0))


@pytest.mark.slow
@settings(max_examples=20, deadline=None)  # each example solves the K-ary threshold (~0.5 s)
@given(p=probs, b=probs, c=clips)
def test_k_ary_threshold_reduces_to_bernoulli_for_two_tokens(p, b, c) -> None:
    assume(_separated(p, b))  # rejected and redrawn, never passed without a check
    assert ec.lambda_star_k([p, 1 - p], [b, 1 - b], c) == pytest.approx(
        float(ec.lambda_star(p, b, c)), rel=1e-8
    )


def test_k_ary_with_calibrated_tail_is_the_bernoulli_of_its_class_masses() -> None:
    b = np.array([0.90, 0.04, 0.03, 0.015, 0.01, 0.005])
    p0 = 0.95
    p = np.concatenate([[p0], (1 - p0) * b[1:] / (1 - b[0])])  # one equivalence class
    assert ec.lambda_star_k(p, b, 2.5) == pytest.approx(float(ec.lambda_star(p0, b[0], 2.5)))


def test_k_ary_simulator_cliff_matches_lambda_star_k_without_calibration() -> None:
    """Tail tokens with different teacher/base ratios: the first token to leave binds."""
    p = np.array([0.93, 0.05, 0.015, 0.005])
    b = np.array([0.85, 0.05, 0.06, 0.04])
    measured = ec.empirical_cliff(p, b, 2.0, tol=1e-7)
    assert measured == pytest.approx(ec.lambda_star_k(p, b, 2.0), rel=1e-5)


N_BINDING = 120  # random K-ary instances


@pytest.mark.slow
@pytest.mark.claim(
    "ec-k-ary-binding-token",
    chapter="extrapolation_cliff",
    statement="K-ary Model 1: the token whose ratio to the base leaves [1/c, c] first is always "
    "the argmax or the argmin of log(p_y / b_y) (its log-ratio lambda log(p_y/b_y) - log Z is "
    "linear in log(p_y/b_y)); which of the two depends on log Z_lambda, so it is not always the "
    "token with the most extreme |log(p_y/b_y)| (random K = 3-6 instances, flat Dirichlet p and b, "
    "log c ~ U(0.1, 2); the binding token read off the expected-gradient simulator just past "
    "lambda*_K)",
)
def test_the_binding_token_is_an_extreme_of_the_teacher_base_log_ratio(record_property) -> None:
    rng = np.random.default_rng(13)
    extreme_end, not_most_extreme, n = 0, 0, 0
    while n < N_BINDING:
        k = int(rng.integers(3, 7))
        p, b = rng.dirichlet(np.ones(k)), rng.dirichlet(np.ones(k))
        c = float(np.exp(rng.uniform(0.1, 2.0)))
        star = ec.lambda_star_k(p, b, c)
        if not 0.05 < star < 20:
            continue
        n += 1
        # the simulator, just past lambda*_K: the first token to leave the band binds
        run = ec.simulate_opd(p, b, c, 1.02 * star, steps=150)
        dev = np.abs(run.logits - np.log(b))
        t = int(np.argmax(run.clipped))
        y = int(np.argmax(dev[t]))
        ell = np.log(p / b)
        extreme_end += y in (int(np.argmax(ell)), int(np.argmin(ell)))
        not_most_extreme += y != int(np.argmax(np.abs(ell)))
    record_property("measured", f"{extreme_end}/{n} bind at an extreme of log(p/b); "
                    f"{not_most_extreme} not at the most extreme |log(p/b)|")  # fmt: skip
    record_property("predicted", f"{n}/{n} at an extreme; > 0 not at the most extreme")
    assert extreme_end == n and not_most_extreme > 0


def test_past_the_cliff_the_modal_token_overshoots_the_fixed_point() -> None:
    """lambda* > 1: once the tail is masked, the modal-only update drives q to
    min(1, p^lambda b^(1-lambda)) = min(1, Z_lambda q_lambda) > q_lambda (§6)."""
    p, b, c = 0.95, 0.9, 2.5
    star = float(ec.lambda_star(p, b, c))
    assert star > 1
    below = ec.simulate_opd(p, b, c, 0.98 * star)
    assert not below.clip_active
    assert below.modal_mass[-1] == pytest.approx(
        float(ec.extrapolated_fixed_point(p, b, 0.98 * star)), rel=1e-10
    )
    lam = 1.1 * star
    above = ec.simulate_opd(p, b, c, lam, steps=2000)
    unnormalised = p**lam * b ** (1 - lam)
    assert above.clip_active
    assert above.modal_mass[-1] == pytest.approx(min(1.0, unnormalised), rel=1e-6)
    assert above.modal_mass[-1] > float(ec.extrapolated_fixed_point(p, b, lam)) + 1e-3


@pytest.mark.parametrize("where", ["just past", "mid", "above one"])
def test_past_the_cliff_the_policy_ends_at_the_clamped_unnormalised_target(where) -> None:
    """With the tail masked, the modal token alone matches its unnormalised target
    u = p^lambda b^(1-lambda): the run ends at clamp(u, q_hi, 1) -- pinned at the boundary when
    u < q_hi (just past a cliff below lambda = 1), at u < q_lambda between, past q_lambda above 1."""
    p, b, c = 0.99, 0.9, 2.0
    star = float(ec.lambda_star(p, b, c))
    lam = {"just past": 1.02 * star, "mid": 0.5 * (star + 1), "above one": 1.5}[where]
    run = ec.simulate_opd(p, b, c, lam, steps=2000)
    _, hi = ec.clip_safe_interval(b, c)
    assert run.clip_active
    expected = min(1.0, max(float(hi), p**lam * b ** (1 - lam)))
    assert run.modal_mass[-100:] == pytest.approx(expected, rel=1e-3)
    assert float(ec.extrapolated_fixed_point(p, b, lam)) > hi


def test_sampled_rollouts_reach_the_fixed_point_below_the_cliff() -> None:
    p, b, c = 0.95, 0.9, 2.5
    star = float(ec.lambda_star(p, b, c))
    mass, active = ec.sweep_final_mass(
        p, b, c, [0.8 * star, 1.3 * star], sampled=True, seeds=4, samples=2048, lr=0.2, steps=400
    )
    q_below = float(ec.extrapolated_fixed_point(p, b, 0.8 * star))
    assert mass[:, 0].mean() == pytest.approx(q_below, abs=3e-3)
    assert not active[:, 0].any() and active[:, 1].all()


# ec-torch-cliff: instances of the K-ary family of §7 (families.draw_cliff_instances), one seed
# each, all trained in one tensor program. The sampled Adam iterate fluctuates around its target
# by less than one Adam step (lr in each logit, so 2 lr in any log-ratio to the base), so the clip
# can fire only where the fixed point's largest log-ratio to the base lies within 2 lr of log c;
# below that the policy is the fixed point to within lr/2 in modal mass (q(1-q) <= 1/4 times the
# log-odds error 2 lr). The family's margin keeps out the regime where Adam's transient overshoots.


def _excess(p: np.ndarray, b: np.ndarray, c: float, lam: float) -> float:
    """The fixed point's largest |log(pi_lambda(y)/b(y))| minus log c (> 0: outside the band)."""
    z = (1 - lam) * np.log(b) + lam * np.log(p)
    return float(np.max(np.abs(z - special.logsumexp(z) - np.log(b))) - np.log(c))


# one Adam step moves each logit by about lr, so any log-ratio log(pi(y)/b(y)) = z_y - logsumexp(z)
# - log b(y) by at most 2 (1 - pi(y)) lr <= 2 lr, and the format token's mass by at most
# q (1 - q) 2 lr <= lr / 2: the clip's edge and the mass gap in units of lr
ADAM_EDGE = 2.0
MASS_TOL = 0.5


@pytest.fixture(scope="module")
def cliff_family():
    instances = ec.draw_cliff_instances(SV.cliff_instances, seed=ec.CLIFF_MASTER_SEED)
    grids = [ec.cliff_grid(ec.lambda_star_k(*x)) for x in instances]  # placed by the prediction
    sweeps = ec.train_categorical_family(instances, grids, batch=SV.batch, train=SV.train)
    return instances, sweeps


@pytest.mark.slow
@pytest.mark.claim(
    "ec-torch-cliff",
    chapter="extrapolation_cliff",
    statement="Categorical policies trained in torch by sampled, clipped, extrapolated OPD (Adam, "
    "step lr = 0.01, 3,000 steps) leave their fixed point at the predicted K-ary lambda*_K: every "
    "lambda >= lambda*_K ends with sampled tokens masked, and every lambda whose fixed point keeps "
    "all ratios to the base more than one Adam step inside [1/c, c] ends unmasked, within lr/2 "
    "of the fixed point's format-token mass (a logit error lr moves any log-ratio to the base by "
    "at most 2 lr, the format token's mass by at most lr/2) (random instances of §7's "
    "family: K 3-6, base format mass 0.8-0.95, teacher 0.9-0.99, uncalibrated tails, c 1.5-4, "
    "lambda*_K in 0.5-2.5, and the format token's fixed-point log-ratio to the base at lambda*_K "
    "at least lr / (1 - beta1) = 0.1, the reach of Adam's transient; one seed each, on a 0.025 "
    "lattice of lambda). Below that margin (teacher and base about as certain of the format) "
    "Adam's transient can fire the clip early: ec-torch-cliff-overshoot",
)
def test_trained_policy_leaves_the_fixed_point_at_lambda_star(
    cliff_family, record_property
) -> None:
    """The family excludes, by ``ec.CLIFF_FORMAT_MARGIN`` (fixed before the runs below), the
    instances where the format token's fixed-point log-ratio at lambda*_K is within Adam's
    transient reach lr / (1 - beta1) = 0.1 of zero (review of issue 28: 4 of 6 master seeds of the
    unrestricted family fired early, all with |p_0 - b_0| <= 0.03). Checked on the restricted
    family in a scratch script with this test's configuration and criteria (edge 2 lr, mass gap
    tol lr/2): masters 2026 and 1-7 (20 instances each) and 100, 300 (200 each), 560 instances:
    0 late, 0 early, largest mass gap 5.8e-4, worst first-masked excess -0.0123 (1.2 lr; with
    the edge at lr that one instance of master 300 counted as early)."""
    instances, sweeps = cliff_family
    step = SV.train.lr
    late, early, mass_gaps, firsts = 0, 0, [], []
    for (p, b, c), sweep in zip(instances, sweeps, strict=True):
        star = ec.lambda_star_k(p, b, c)
        masked = sweep.clip_fraction > 0
        inside = np.array([_excess(p, b, c, lam) < -ADAM_EDGE * step for lam in sweep.lams])
        late += int(np.sum(~masked[sweep.lams >= star]))
        early += int(np.sum(masked[inside]))
        mass_gaps.append(np.max(np.abs(sweep.modal_mass - sweep.fixed_point)[inside]))
        firsts.append(float(sweep.lams[np.argmax(masked)] - star) if masked.any() else np.inf)
        assert inside.sum() >= 2 and (sweep.lams >= star).sum() >= 1  # both sides are tested
    firsts = np.array(firsts)
    for x in firsts:
        record_property("measured", float(x))
    record_property("measured", f"{late} late, {early} early runs; first masked lambda - lambda*_K "
                    f"over {len(instances)} instances: min {firsts.min():+.4f}, median "
                    f"{np.median(firsts):+.4f}, max {firsts.max():+.4f}; largest mass gap inside "
                    f"{max(mass_gaps):.1e}")  # fmt: skip
    record_property("predicted", f"0 late, 0 early (more than 2 lr = {ADAM_EDGE * step} inside the band); mass "
                    f"gap <= {MASS_TOL * step}")  # fmt: skip
    assert late == 0 and early == 0 and max(mass_gaps) <= MASS_TOL * step


ADAM_BETA1 = 0.9  # torch's default: a step's momentum persists about 1 / (1 - beta1) steps
OVERSHOOT_RERUNS = 6  # early-firing instances rerun with half the step and with a 16x batch


@pytest.mark.slow
@pytest.mark.claim(
    "ec-torch-cliff-overshoot",
    chapter="extrapolation_cliff",
    statement="Where ec-torch-cliff fails: with a teacher less certain of the format than the base "
    "(teacher format mass 0.5-0.8, base 0.8-0.95) and a tight clip (c 1.2-1.6), trained policies "
    "still never end unmasked at or past lambda*_K, but on some instances the clip fires more "
    "than one Adam step (2 lr in log-ratio) inside the band: Adam's transient (its momentum and "
    "its per-coordinate step normalisation) carries a token past the fixed point and out of the "
    "band, where the mask stops its own gradient; the overshoot stays within 0.1 in log-ratio "
    "(a measured envelope, not a derived bound: the scale lr / (1 - beta1) named before the "
    "runs, held on every instance of four master seeds, 80 instances, worst -0.042, -0.048 in a "
    "16x-batch rerun), shrinks on "
    "each rerun instance with half the step and persists with a 16 times larger batch (random "
    "instances, one seed each)",
    worst="min",
)
def test_a_tight_clip_and_a_less_certain_teacher_let_adam_overshoot(record_property) -> None:
    """The 0.1 envelope is measured, not derived (review of issue 28: with beta1 = 0 about half
    of the early firings remain, so momentum alone does not bound them). Scratch check of this
    test's assertions (edge 2 lr, per-instance half-step comparison) on masters 2028, 1, 2, 3:
    all pass; 7, 4, 9, 7 of 20 fire early by more than 2 lr; worst first-masked excess -0.0375,
    -0.0421, -0.0374, -0.0275 (-0.0481 in master 3's 16x-batch rerun); half the step shrank the
    overshoot on 22 of 22 rerun instances."""
    from theorybench.training import TrainConfig

    instances = ec.draw_cliff_instances(
        SV.cliff_instances, seed=ec.OVERSHOOT_MASTER_SEED, overshoot=True
    )
    grids = [ec.cliff_grid(ec.lambda_star_k(*x)) for x in instances]
    sweeps = ec.train_categorical_family(instances, grids, batch=SV.batch, train=SV.train)
    step, reach = ADAM_EDGE * SV.train.lr, SV.train.lr / (1 - ADAM_BETA1)
    late, first_excess = 0, []
    for (p, b, c), sweep in zip(instances, sweeps, strict=True):
        masked = sweep.clip_fraction > 0
        late += int(np.sum(~masked[sweep.lams >= sweep.lambda_star]))
        assert masked.any()
        first_excess.append(_excess(p, b, c, float(sweep.lams[np.argmax(masked)])))
    first_excess = np.array(first_excess)
    for x in first_excess:
        record_property("measured", float(x))
    record_property("measured", f"{late} late; {np.sum(first_excess < -step)} of "
                    f"{len(instances)} instances masked more than 2 lr = {step} inside the band")  # fmt: skip
    assert late == 0 and np.any(first_excess < -step) and first_excess.min() >= -reach
    # the overshoot is the step's, not sampling noise: on the first instances that fired early, half
    # the step (twice the steps) shrinks it on each of them, a 16 times larger batch does not remove
    # it (compared instance by instance on the same subset)
    early = [i for i, x in enumerate(first_excess) if x < -step][:OVERSHOOT_RERUNS]
    sub, sub_grids = [instances[i] for i in early], [grids[i] for i in early]
    half = TrainConfig(steps=2 * SV.train.steps, lr=SV.train.lr / 2, seed=SV.train.seed)
    rerun = {}
    for name, batch, train in [
        ("half step", SV.batch, half),
        ("16x batch", 16 * SV.batch, SV.train),
    ]:
        runs = ec.train_categorical_family(sub, sub_grids, batch=batch, train=train)
        rerun[name] = np.array([
            _excess(p, b, c, float(r.lams[np.argmax(r.clip_fraction > 0)]))
            for (p, b, c), r in zip(sub, runs, strict=True)
        ])  # fmt: skip
    base = first_excess[early]
    record_property("measured", f"largest overshoot {-first_excess.min():.3f}; on the {len(early)} "
                    f"rerun instances {-base.min():.3f}, with half the step "
                    f"{-rerun['half step'].min():.3f} (shrinks on "
                    f"{np.sum(rerun['half step'] > base)}), with a 16x batch "
                    f"{-rerun['16x batch'].min():.3f}")  # fmt: skip
    record_property("predicted", f"0 late; some excess < -{step}; every excess >= -{reach:.2f}; "
                    "half the step shrinks each rerun overshoot, a larger batch keeps one > 2 lr")  # fmt: skip
    assert np.all(rerun["half step"] > base) and rerun["16x batch"].min() < -step


def test_base_neutral_threshold_is_lambda_star_at_b_one_half() -> None:
    for p, c in [(0.99, 2.0), (0.8, 1.5), (0.7112, 2.0)]:
        assert float(ec.lambda_star_neutral(p, c)) == pytest.approx(
            float(ec.lambda_star(p, 0.5, c))
        )
    # and both against the base-neutral formula evaluated independently with mpmath at 50 digits
    import mpmath

    mpmath.mp.dps = 50
    for p, c in [(0.93, 1.7), (0.999, 3.0)]:
        ref = mpmath.log(2 * c - 1) / mpmath.log(mpmath.mpf(p) / (1 - mpmath.mpf(p)))
        assert float(ec.lambda_star_neutral(p, c)) == pytest.approx(float(ref), rel=1e-12)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: ec.lambda_star(1.0, 0.5, 2.0), "p must lie"),
        (lambda: ec.lambda_star(0.9, 0.0, 2.0), "b must lie"),
        (lambda: ec.lambda_star(0.9, 0.5, 1.0), "c \\(clip strength\\)"),
        (lambda: ec.lambda_star(0.9, 0.9, 2.0), "b must differ from p"),
        (lambda: ec.lambda_star(np.nan, 0.5, 2.0), "p must lie"),
        (lambda: ec.extrapolated_fixed_point(0.9, 0.5, -1.0), "lam"),
        (lambda: ec.lambda_star_neutral(0.4, 2.0), "p must exceed"),
        (lambda: ec.lambda_star_k([0.5, 0.5], [0.3, 0.3, 0.4], 2.0), "same length"),
        (lambda: ec.lambda_star_k([0.5, 0.6], [0.3, 0.7], 2.0), "summing to 1"),
        (lambda: ec.simulate_opd(0.9, 0.5, 2.0, 1.0, lr=2.0), "lr"),
        (lambda: ec.simulate_opd(0.9, 0.5, 2.0, 1.0, steps=0), "steps"),
        (lambda: ec.train_categorical_policy(0.9, 0.5, 2.0, [1.0], batch=0), "batch"),
    ],
)
def test_bad_input_raises_value_error(call, match) -> None:
    with pytest.raises(ValueError, match=match):
        call()


def test_limits_of_the_threshold() -> None:
    """c -> 1: no room, lambda* -> 0; c -> inf and b -> p: lambda* -> inf; p -> 1: lambda* -> 0
    like 1/logit p; near-deterministic b: lambda* ~ log c / (logit p - logit b)."""
    p, b = 0.99, 0.9
    assert float(ec.lambda_star(p, b, 1 + 1e-9)) < 1e-8
    assert float(ec.lambda_star(p, b, 1e6)) > 5
    assert float(ec.lambda_star(0.9 + 1e-9, 0.9, 2.0)) > 1e6
    tails = np.array([1e-6, 1e-9, 1e-12])
    scaled = ec.lambda_star(1 - tails, 0.5, 2.0) * ec.logit(1 - tails)
    np.testing.assert_allclose(scaled, np.log(3.0), rtol=1e-9)
    p, b, c = 1 - 1e-9, 1 - 1e-6, 2.0
    approx = np.log(c) / (ec.logit(p) - ec.logit(b))
    assert float(ec.lambda_star(p, b, c)) == pytest.approx(float(approx), rel=1e-5)


# ----------------------------------------------------------------------------------------------
# The validity model (§9)
# ----------------------------------------------------------------------------------------------
PV, BV, LV = [0.99, 0.002, 0.008], [0.95, 0.0495, 0.0005], 20
SV = ec.sizes("ci")


def test_validity_peak_is_the_two_token_closed_form_and_the_grid_maximum() -> None:
    w = np.array(BV[1:]) / BV[0]
    rho = (np.array(PV[1:]) / PV[0]) / w
    closed = np.log(w[0] * abs(np.log(rho[0])) / (w[1] * np.log(rho[1]))) / np.log(rho[1] / rho[0])
    assert ec.validity_peak(PV, BV) == pytest.approx(closed, rel=1e-10)
    grid = np.linspace(0, 3, 300_001)
    assert grid[np.argmax(ec.validity(PV, BV, grid, LV))] == pytest.approx(closed, abs=1e-4)
    # a teacher sharper than the base on every tail token: validity rises for ever
    assert ec.validity_peak([0.99, 0.005, 0.005], [0.9, 0.05, 0.05]) == np.inf


def test_validity_cliff_is_where_a_dense_grid_falls_to_half_its_peak() -> None:
    grid = np.linspace(0, 4, 400_001)
    v = ec.validity(PV, BV, grid, LV)
    i = int(np.argmax(v))
    j = i + int(np.argmax(v[i:] <= 0.5 * v[i]))
    assert ec.validity_cliff(PV, BV, LV) == pytest.approx(grid[j], abs=2e-5)
    assert ec.validity_cliff(PV, BV, LV) > 1  # the cliff of this example lies above lambda = 1


# The family of §8 the validity claims are drawn from: three tokens (valid, a benign tail token A
# the base emits, a rare format-breaking token B), b_0 ~ U(0.9, 0.99), B's share of the base tail
# log-uniform in [0.002, 0.05], p_0 ~ U(0.98, 0.999), B's share of the teacher tail U(0.5, 0.9),
# L ~ U{5, ..., 50}; kept when the fixed point's cliff lies in (1.1, 2.5) (a cliff past the teacher).
N_VALIDITY = 4  # instances per claim (each costs a few simulated sweeps)
CLIFF_TOL = 0.005  # simulated cliff read by linear interpolation on a 0.02 grid of lambda
EPSILONS = (0.05, 0.2, 0.5, 0.99)  # PPO clip ranges, from tight to effectively off
LAM_STEP = 0.02


def _validity_instances(n: int, seed: int) -> list[tuple[np.ndarray, np.ndarray, int]]:
    return ec.draw_validity_instances(n, seed)


def _grid(p, b, L) -> np.ndarray:
    return np.round(np.arange(0.0, ec.validity_cliff(p, b, L) + 0.6, LAM_STEP), 3)


@pytest.mark.slow
@pytest.mark.claim(
    "ec-validity-simulator",
    chapter="extrapolation_cliff",
    statement="Validity model: PPO-clipped extrapolated OPD (ratio to the previous policy) "
    "converges to the fixed point for every clip range eps in [0.05, 0.99], so its validity falls "
    "to half its peak where the fixed point's does: the fixed point, not the clip, places the "
    "cliff (random instances of §8's family, simulator, no closed form)",
)
def test_ppo_clipped_dynamics_fall_where_the_fixed_point_does(record_property) -> None:
    gaps = []
    for p, b, L in _validity_instances(N_VALIDITY, seed=3):
        predicted = ec.validity_cliff(p, b, L)
        for eps in EPSILONS:
            run = ec.simulate_validity(p, b, _grid(p, b, L), L=L, eps=eps, steps=400, records=2)
            gaps.append(abs(ec.simulated_cliff(run) - predicted))
    record_property("measured", max(gaps))
    record_property("predicted", f"0 (largest |simulated - computed| cliff; <= {CLIFF_TOL})")
    assert max(gaps) <= CLIFF_TOL


@pytest.mark.slow
@pytest.mark.claim(
    "ec-validity-base-clip",
    chapter="extrapolation_cliff",
    statement="Validity model: a sign-aware base-relative clip c leaves the cliff where the fixed "
    "point's is when c exceeds c_V, the format-breaking token's ratio to the base at that cliff "
    "(the symmetric mask when every token's ratio there lies in [1/c, c], i.e. Model 1's K-ary "
    "lambda* lies past the cliff), and removes the fall (validity never reaches half its peak) "
    "when c is below c_V / e; between the two see ec-validity-base-clip-window (random instances "
    "of §8's family; c from 1.2 to 1e6)",
)
def test_base_relative_clips_prevent_the_fall_only_below_c_v(record_property) -> None:
    gaps, falls = [], 0
    for p, b, L in _validity_instances(N_VALIDITY, seed=4):
        lams, predicted = _grid(p, b, L), ec.validity_cliff(p, b, L)
        c_v = ec.validity_cliff_clip(p, b, L)
        # the symmetric mask also freezes tokens pushed below 1/c: every ratio must stay inside
        c_all = float(
            np.exp(np.abs(np.log(ec.extrapolated_fixed_point_k(p, b, predicted) / b)).max())
        )
        for clip, c in [("base", 1.1 * c_v), ("base", 1e6), ("base-symmetric", 1.1 * c_all)]:
            run = ec.simulate_validity(p, b, lams, L=L, clip=clip, c=c, steps=400, records=2)
            gaps.append(abs(ec.simulated_cliff(run) - predicted))
        for clip, c in [("base", 1.2), ("base", c_v / np.e), ("base-symmetric", c_v / np.e)]:
            run = ec.simulate_validity(p, b, lams, L=L, clip=clip, c=max(c, 1.01), steps=400,
                                       records=2)  # fmt: skip
            falls += int(np.isfinite(ec.simulated_cliff(run)))
    record_property("measured", f"largest cliff gap {max(gaps):.4f}; {falls} falls below c_V/e")
    record_property("predicted", f"gap <= {CLIFF_TOL} above c_V; no fall below c_V / e")
    assert max(gaps) <= CLIFF_TOL and falls == 0


WINDOW = (0.7, 0.9)  # c / c_V inside the window (c_V / e, c_V)
SMALL_LR, SMALL_STEPS = 0.02, 2000  # a five times smaller step, run for the same time


@pytest.mark.slow
@pytest.mark.claim(
    "ec-validity-base-clip-window",
    chapter="extrapolation_cliff",
    statement="Validity model, sign-aware base clip with c between c_V / e and c_V: at a finite "
    "step (lr = 0.1, 4 epochs) validity does fall, later than the fixed point's cliff, and the "
    "onset moves with c (earlier for c = 0.9 c_V than for 0.7 c_V), because a token below the top "
    "of the band overshoots it within one step; with a five times smaller step the onset at "
    "0.7 c_V moves out or disappears, so in the small-step limit c decides whether there is a "
    "fall and the fixed point where (the example of §8.1 and two random instances of §8's family)",
)
def test_inside_the_window_the_onset_moves_with_c_at_a_finite_step(record_property) -> None:
    rows = []
    for p, b, L in [(np.array(PV), np.array(BV), LV), *_validity_instances(2, seed=4)]:
        lv, cv = ec.validity_cliff(p, b, L), ec.validity_cliff_clip(p, b, L)
        lams = np.round(np.arange(0.0, lv + 3.0, 0.05), 3)
        finite = [
            ec.simulated_cliff(
                ec.simulate_validity(p, b, lams, L=L, clip="base", c=f * cv, records=2)
            )  # fmt: skip
            for f in WINDOW
        ]
        small = ec.simulated_cliff(
            ec.simulate_validity(
                p,
                b,
                lams,
                L=L,
                clip="base",
                c=WINDOW[0] * cv,
                lr=SMALL_LR,
                steps=SMALL_STEPS,
                records=2,
            )  # fmt: skip
        )
        rows.append((lv, *finite, small))
        assert np.all(np.isfinite(finite)) and lv < finite[1] < finite[0] < small
    record_property("measured", "; ".join(
        f"lambda_V {r[0]:.3f}: onset {r[1]:.3f} (0.7 c_V), {r[2]:.3f} (0.9 c_V), {r[3]:.3f} "
        f"(0.7 c_V, small step)" for r in rows))  # fmt: skip
    record_property("predicted", "lambda_V < onset(0.9 c_V) < onset(0.7 c_V) < small-step onset")


@pytest.mark.parametrize("c", [1 + 1e-9, 1.2, 15.0, 1e3, 1e12])
@pytest.mark.parametrize("clip", ec.CLIPS)
def test_simulate_validity_stays_finite_at_every_clip(c, clip) -> None:
    """Every accepted c (and lr up to the largest accepted, lr * epochs < 2) gives finite
    validities in [0, 1], and at lambda = 0 the policy stays at the base."""
    for lr in (0.1, 0.49):
        run = ec.simulate_validity(PV, BV, [0.0, 1.0, 3.0, 10.0], L=LV, clip=clip, c=c, lr=lr,
                                   steps=60, records=2)  # fmt: skip
        assert np.all(np.isfinite(run.validity))
        assert np.all((run.validity >= 0) & (run.validity <= 1))
        assert run.validity[0, -1] == pytest.approx(BV[0] ** LV, rel=1e-9)


def test_large_steps_never_move_the_cliff_before_the_fixed_points() -> None:
    """At the largest accepted step (lr * epochs = 1.96) the simulated cliff is still the fixed
    point's, with PPO's clip and with a base clip too loose to bind."""
    lams = _grid(PV, BV, LV)
    for kw in ({"eps": 0.2}, {"clip": "base", "c": 1e6}):
        run = ec.simulate_validity(PV, BV, lams, L=LV, lr=0.49, steps=200, records=2, **kw)
        assert ec.simulated_cliff(run) == pytest.approx(
            ec.validity_cliff(PV, BV, LV), abs=CLIFF_TOL
        )


BUDGET_STEPS = 60  # outer steps; every instance of the family is converged by then
NEAR = 0.01  # "within reach of the fixed point's cliff"


@pytest.mark.claim(
    "ec-budget-shift",
    chapter="extrapolation_cliff",
    statement="Validity model: after a finite budget of PPO steps the observed cliff lies at or "
    "beyond the fixed point's and moves monotonically towards it as the budget grows; a tighter "
    "clip range eps needs at least as many steps to come within 0.01 of it, but at a fixed small "
    "budget the cliff is not monotone in eps (random instances of §8's family, eps 0.05-0.99)",
)
def test_finite_budget_moves_the_cliff_outwards(record_property) -> None:
    instances = [(np.array(PV), np.array(BV), LV), *_validity_instances(2, seed=6)]
    reach = []
    for p, b, L in instances:
        lams, fixed = _grid(p, b, L)[::2], ec.validity_cliff(p, b, L)  # 0.04 grid
        row = []
        for eps in EPSILONS:
            run = ec.simulate_validity(
                p, b, lams, L=L, eps=eps, steps=BUDGET_STEPS, records=BUDGET_STEPS + 1
            )
            cliffs = np.array([ec.simulated_cliff(run, at=t) for t in range(1, BUDGET_STEPS + 1)])
            finite = cliffs[np.isfinite(cliffs)]
            assert np.all(np.diff(finite) <= 1e-9)  # moves inwards only
            assert finite.min() >= fixed - CLIFF_TOL and abs(cliffs[-1] - fixed) <= CLIFF_TOL
            row.append(1 + int(np.argmax(cliffs - fixed <= NEAR)))
        reach.append(row)
        assert all(x >= y for x, y in zip(row, row[1:], strict=False))  # tighter: slower
    record_property("measured", f"steps to reach within {NEAR} for eps {EPSILONS}: {reach}")
    record_property("predicted", "non-increasing in eps")
    # and the order at one small budget is not monotone in eps (PV, BV, 8 steps): the statement
    # "tighter clip => further out" holds for the time to converge, not at every budget
    lams = np.round(np.arange(0.5, 3.5, LAM_STEP), 3)
    at8 = [
        ec.simulated_cliff(ec.simulate_validity(PV, BV, lams, L=LV, eps=eps, steps=8, records=2))
        for eps in (0.1, 0.2, 0.3)
    ]
    assert not (at8[0] >= at8[1] >= at8[2])


N_WIDTH = 300  # draws of the broad family of §8.4 (figures.random_validity_instance)


@pytest.mark.claim(
    "ec-fall-width-bound",
    chapter="extrapolation_cliff",
    statement="Validity model, any number of tail tokens and positions: the fixed point's fall "
    "from 90 % to 10 % of its peak is at least log[((10/V_pk)^(1/L) - 1)/((10/(9 V_pk))^(1/L) - 1)] "
    "/ max_y log rho_y wide, so a fall within 0.1 at the paper's peak 0.948 needs log rho_B >= 27, "
    "a breaking token the base almost never emits (not out of reach: see ec-steep-fall) (random "
    "instances: K 3-6, L 1-299; widths by root finding, checked on a dense grid)",
)
def test_no_fixed_point_falls_faster_than_the_bound(record_property) -> None:
    from theorybench.extrapolation_cliff.figures import random_validity_instance

    rng = np.random.default_rng(21)
    ratios, checked = [], 0
    while len(ratios) < N_WIDTH:
        p, b, L = random_validity_instance(rng)
        _, rho = ec.tail_ratios(p, b)
        if np.all(rho <= 1):
            continue
        v_pk = float(ec.validity(p, b, ec.validity_peak(p, b), L))
        width = ec.validity_fall_width(p, b, L)
        ratios.append(width / float(ec.fall_width_bound(v_pk, np.log(rho).max(), L)))
        if checked < 5 and width < 5:  # the width itself, on a dense grid of lambda
            hi = ec.validity_cliff(p, b, L, 0.1)
            grid = np.linspace(0, hi + 0.5, 200_001)
            v = ec.validity(p, b, grid, L)
            i = int(np.argmax(v))
            cross = [grid[i + int(np.argmax(v[i:] <= f * v[i]))] for f in (0.9, 0.1)]
            assert cross[1] - cross[0] == pytest.approx(width, abs=2 * (grid[1] - grid[0]))
            checked += 1
    record_property("measured", f"smallest width / bound over {N_WIDTH} draws {min(ratios):.6f}")
    record_property("predicted", ">= 1")
    assert min(ratios) >= 1 - 1e-9 and checked == 5


N_STEEP = 20  # draws of the steep family of §8.4 (figures.steep_validity_instance)
STEEP_WIDTH = 0.15  # "steep": the fall from 90 % to 10 % of the peak within 0.15 in lambda
STEEP_STEPS = 100  # PPO-clipped expected steps by which the simulated fall is the fixed point's


@pytest.mark.claim(
    "ec-steep-fall",
    chapter="extrapolation_cliff",
    statement="Validity model: a steep fall exists when the format-breaking token is one the base "
    "almost never emits (base mass 1e-19 to 1e-16, log rho_B about 25-35): validity rises from "
    "the base past the teacher, peaks above lambda = 1 and falls from 90 % to 10 % of its peak "
    "within 0.15 in lambda, at a cliff in (1.1, 2.5), no faster than the bound; PPO-clipped "
    "dynamics (eps 0.1, 0.2, 0.3) reproduce the fall after 100 steps (steep family of §8.4; the "
    "example L = 20, b_0^L = 0.335: fall width 0.101, cliff 1.274)",
)
def test_a_breaking_token_the_base_almost_never_emits_gives_a_steep_fall(record_property) -> None:
    from theorybench.extrapolation_cliff.figures import STEEP_EXAMPLE, steep_validity_instance

    rng = np.random.default_rng(23)
    instances = [STEEP_EXAMPLE]
    while len(instances) < N_STEEP:
        p, b, L = steep_validity_instance(rng)
        if 1.1 < ec.validity_cliff(p, b, L) < 2.5:
            instances.append((p, b, L))
    widths, gaps = [], []
    for i, (p, b, L) in enumerate(instances):
        peak = ec.validity_peak(p, b)
        v_pk = float(ec.validity(p, b, peak, L))
        width = ec.validity_fall_width(p, b, L)
        _, rho = ec.tail_ratios(p, b)
        assert width >= float(ec.fall_width_bound(v_pk, np.log(rho).max(), L)) * (1 - 1e-9)
        assert peak > 1 and ec.validity(p, b, 0.0, L) < ec.validity(p, b, 1.0, L) < v_pk
        widths.append(width)
        if i < 3:  # the simulator, never evaluating the fixed point, on a 0.005 grid
            lams = np.round(np.arange(0.0, ec.validity_cliff(p, b, L, 0.1) + 0.3, 0.005), 4)
            for eps in (0.1, 0.2, 0.3):
                run = ec.simulate_validity(p, b, lams, L=L, eps=eps, steps=STEEP_STEPS, records=2)
                for drop in (0.9, 0.5, 0.1):
                    gaps.append(
                        abs(ec.simulated_cliff(run, drop) - ec.validity_cliff(p, b, L, drop))
                    )
    record_property("measured", f"largest fall width {max(widths):.3f} over {len(widths)} "
                    f"instances (example {widths[0]:.3f}); largest simulated-vs-fixed-point "
                    f"crossing gap {max(gaps):.4f}")  # fmt: skip
    record_property("predicted", f"width <= {STEEP_WIDTH}; gap <= {CLIFF_TOL}")
    assert max(widths) <= STEEP_WIDTH and max(gaps) <= CLIFF_TOL


BUDGETS = (8, 12, 20, 40)


@pytest.mark.slow
@pytest.mark.claim(
    "ec-dynamics-not-steeper",
    chapter="extrapolation_cliff",
    statement="Validity model: no clipped dynamics falls faster than the fixed point: PPO-clipped "
    "runs after 8-40 steps (eps 0.05-0.99) and long base-clipped runs (c from 2 c_V to 1e6) take "
    "at least the fixed point's width to fall from 90 % to 10 % of their peak (random instances "
    "of §8's family)",
)
def test_clipped_dynamics_fall_no_faster_than_the_fixed_point(record_property) -> None:
    worst, falls = np.inf, 0
    for p, b, L in _validity_instances(2, seed=8):
        fixed = ec.validity_fall_width(p, b, L)
        lams = np.round(np.arange(0, ec.validity_cliff(p, b, L, 0.1) + 2.0, LAM_STEP), 3)
        for eps in EPSILONS:
            run = ec.simulate_validity(p, b, lams, L=L, eps=eps, steps=40, records=41)
            for t in BUDGETS:
                lo10, lo90 = ec.simulated_cliff(run, 0.1, t), ec.simulated_cliff(run, 0.9, t)
                if np.isfinite(lo10):  # else no fall to 10 % on the grid: wider than it
                    worst = min(worst, lo10 - lo90 - fixed)
                    falls += 1
        for c in (2 * ec.validity_cliff_clip(p, b, L), 1e6):
            run = ec.simulate_validity(p, b, lams, L=L, clip="base", c=c, steps=400, records=2)
            worst = min(worst, ec.simulated_cliff(run, 0.1) - ec.simulated_cliff(run, 0.9) - fixed)
    record_property("measured", f"smallest (simulated width - fixed-point width) {worst:.4f}")
    record_property("predicted", f">= -{2 * CLIFF_TOL} (two interpolated crossings)")
    assert worst >= -2 * CLIFF_TOL and falls >= len(EPSILONS) * len(BUDGETS)


# ec-validity-torch: instances of §8's family (families.draw_validity_instances), one seed each,
# every (instance, lambda, position) one row of one tensor program. A finite budget only delays
# the fall (ec-budget-shift), so the prediction is one-sided: the onset, read on the same grid as
# the fixed point's cliff, lies at or beyond it, to within the grid's resolution near the cliff.
ONSET_TOL = ec.VALIDITY_GRID_STEPS[1]  # 0.05: one step of the fine grid
# a trained run must show the cliff, not only fail to contradict it: its validity rises from the
# base by at least half the fixed point's rise (the claim's "half", as in the fall), and it falls
# within the grid on at least half the instances (the rest: the finite-budget delay of
# ec-budget-shift, which can carry a fall past the grid's end)
RISE_SHARE = 0.5
FALL_SHARE = 0.5


@pytest.fixture(scope="module")
def validity_family():
    instances = ec.draw_validity_instances(SV.validity_instances, seed=ec.VALIDITY_MASTER_SEED)
    grids = [ec.validity_grid(ec.validity_cliff(p, b, L)) for p, b, L in instances]
    eps = ec.draw_validity_clips(len(instances), seed=ec.VALIDITY_MASTER_SEED)
    runs = ec.train_validity_family(
        instances, grids, seeds=1, batch=SV.validity_batch, eps=eps, train=SV.validity_train
    )
    return instances, runs


@pytest.mark.slow  # a statistic over many runs: in make test, not the fast lane
@pytest.mark.claim(
    "ec-validity-torch",
    chapter="extrapolation_cliff",
    statement="Policies over L positions trained in torch by sampled PPO-clipped extrapolated OPD "
    "(Adam, 150 outer steps, eps drawn from 0.1-0.3) from the base: validity rises from the base "
    "by at least half the fixed point's rise to its peak on every instance, and falls to half of "
    "its peak within the grid on at least half of the instances; every fall lies past lambda = 1 "
    "and at or beyond the fixed point's cliff read on the same grid (never earlier by more than "
    "the grid step 0.05), and the onset after half the budget lies at or beyond the final one; "
    "it is not at the fixed point's cliff everywhere: where the breaking token must grow far "
    "from a small base mass it lies later, or past the grid's end 0.7 beyond the cliff (random "
    "instances of §8's family, one seed each, lambda from 0 through the peak to 0.7 past the "
    "cliff)",
    worst="min",
)
def test_trained_policy_validity_falls_past_the_cliff(validity_family, record_property) -> None:
    """Can fail on a run with no cliff: with 15 (or 30) outer steps instead of 150 (scratch
    script, master 2027) 0 (3) of 20 instances fall within the grid, below FALL_SHARE, while the
    rise still passes (its least share 0.96). With 150 steps the same script gave 20, 20, 18, 17
    and 18 of 20 falls (masters 2027, 1, 2, 6, 7), least rise share 0.85, gap min -0.012."""
    instances, runs = validity_family
    gaps, halves, rises, covered = [], [], [], []
    for (p, b, L), run in zip(instances, runs, strict=True):
        v_fixed = ec.validity(p, b, run.lams, L)
        fixed = ec.onset(run.lams, v_fixed)  # read like the trained one
        final = float(run.cliffs()[0])
        early = float(run.cliffs(at=int(np.searchsorted(run.steps, run.steps[-1] / 2)))[0])
        gaps.append(final - fixed)
        halves.append(early - final if np.isfinite(final) else 0.0)
        assert fixed > 1 and final > 1
        v = run.validity[0, :, -1]
        rises.append((v.max() - v[0]) / (v_fixed.max() - v_fixed[0]))
        # a check of the sampler, not of the theory: the sampled parse rate estimates the
        # validity (3-sigma binomial intervals of the final samples)
        se = np.sqrt(v * (1 - v) / SV.validity_batch) + 1e-3
        covered.extend(np.abs(run.parse_rate[0] - v) <= 3 * se)
    gaps, halves, rises = np.array(gaps), np.array(halves), np.array(rises)
    finite = gaps[np.isfinite(gaps)]
    for x in gaps:
        record_property("measured", float(x))
    record_property("measured", f"{finite.size} of {gaps.size} instances fall within the grid; "
                    f"onset - fixed point's cliff: min {gaps.min():+.3f}, median "
                    f"{np.median(gaps):+.3f}, max {finite.max():+.3f}; half-budget onset - final: "
                    f"min {halves.min():+.3f}; least rise / fixed point's rise {rises.min():.2f}")  # fmt: skip
    record_property("predicted", f"onset gaps >= -{ONSET_TOL} (both); falls on >= {FALL_SHARE} "
                    f"of instances; rise share >= {RISE_SHARE}")  # fmt: skip
    assert rises.min() >= RISE_SHARE  # a real rise from the base towards the fixed point's peak
    assert finite.size >= FALL_SHARE * gaps.size  # a real fall, within the grid, on most
    assert gaps.min() >= -ONSET_TOL and halves.min() >= -ONSET_TOL
    assert np.mean(covered) >= 0.95
    # and the two-sided "at the fixed point's cliff" fails on part of the family (rare breaking
    # tokens, a finite-budget delay): some onset lies more than two grid steps beyond
    assert gaps.max() > 2 * ONSET_TOL


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: ec.validity([0.9, 0.1], [0.8, 0.2], 1.0, 0), "L"),
        (lambda: ec.validity_cliff([0.9, 0.1], [0.8, 0.2], 5, drop=1.0), "drop"),
        (lambda: ec.simulate_validity([0.9, 0.1], [0.8, 0.2], [1.0], L=2, clip="old"), "clip"),
        (lambda: ec.simulate_validity([0.9, 0.1], [0.8, 0.2], [1.0], L=2, eps=0.0), "eps"),
        (lambda: ec.simulate_validity([0.9, 0.1], [0.8, 0.2], [1.0], L=2, records=0), "records"),
        (lambda: ec.simulate_validity([0.9, 0.1], [0.8, 0.2], [1.0], L=2, lr=1.5), "lr"),
        (lambda: ec.simulate_validity([0.9, 0.1], [0.8, 0.2], [1.0], L=2, lr=0.5), "epochs"),
        (lambda: ec.simulate_validity([0.9, 0.1], [0.8, 0.2], [1e300], L=2), "lams"),
        (lambda: ec.onset([2.0, 1.0, 0.0], [0.1, 0.2, 0.3]), "lams"),
        (lambda: ec.onset([0.0, 1.0, 2.0], [0.1, -0.2, 0.3]), "v"),
        (lambda: ec.fall_width_bound(0.9, 1.0, 1.5), "L"),
        (lambda: ec.empirical_cliff(0.9, 0.6, 1.2, tol=1e300), "tol"),
        (lambda: ec.lambda_star_k([0.5, 0.5], [0.3, 0.7], 2.0, lam_max=np.nan), "lam_max"),
        (lambda: ec.lambda_star_k([0.5, 0.5], [0.3, 0.7], 2.0, lam_max=np.inf), "lam_max"),
        (lambda: ec.train_structured_policy([0.9, 0.1], [0.8, 0.2], [1.0], seeds=0), "seeds"),
    ],
)
def test_validity_model_bad_input_raises_value_error(call, match) -> None:
    with pytest.raises(ValueError, match=match):
        call()


def test_a_clip_tighter_than_the_teachers_ratio_puts_plain_distillation_past_lambda_star() -> None:
    """Model 1 (§3.1): c = 1.2 is tighter than the teacher's tail ratio to the base (10 for
    p = 0.99, b = 0.9; 50 for b = 0.5), so lambda* < 1; a base close to the teacher
    (c_1(0.99, 0.985) = 1.5) with c = 2 has lambda* = 1.707 > 1. Both sides checked on the
    simulator, independently of the closed form."""
    assert float(ec.lambda_star(0.99, 0.9, 1.2)) == pytest.approx(0.0837, abs=5e-4)
    assert float(ec.lambda_star(0.99, 0.5, 1.2)) == pytest.approx(0.0732, abs=5e-4)
    assert float(ec.lambda_star(0.99, 0.985, 2.0)) == pytest.approx(1.707, abs=5e-4)
    assert ec.simulate_opd(0.99, 0.9, 1.2, 1.0, steps=400).clip_active
    assert not ec.simulate_opd(0.99, 0.985, 2.0, 1.0, steps=400).clip_active
    assert ec.empirical_cliff(0.99, 0.985, 2.0, tol=1e-7) == pytest.approx(1.707, abs=5e-4)


def test_the_explorer_opens_in_the_papers_regime_with_the_teacher_clip_safe() -> None:
    """The first thing the explorer shows: at lambda = 1 (the teacher) the run is clip-safe and
    the cliff lies past it (lambda* > 1), as in the paper -- not the Model-1 regime the page
    calls not the paper's."""
    explorer = ec.explorer()
    v = {k: w.value for k, w in explorer.controls.items()}
    star = float(ec.lambda_star(1 - v["tail_p"], 1 - v["tail_b"], v["c"]))
    assert v["lam"] == 1.0 < star
    title = explorer.drawn_figure().axes[0].get_title()
    assert "clip-safe" in title and "past the cliff" not in title
