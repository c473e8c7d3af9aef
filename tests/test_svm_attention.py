"""Attention as a max-margin token selector (theory/svm_attention.md)."""

from __future__ import annotations

import numpy as np
import pytest
from theorybench import stats as sa_stats
from theorybench import svm_attention as sa
from theorybench.training import TrainConfig

SIZES = sa.sizes("ci")

# Thresholds, fixed from the theory before the runs; each is used by the assertion and the claim.
#: the concentration rate rho -> ||W^mm|| x (normalised margin of the limit direction) <= 1. The
#: alternatives it must exclude: a limit whose normalised margin is short of the maximum by x gives
#: rho = 1 - x, and for (K, Q) a Frobenius-SVM limit gives rho = 1.10-1.44 (median 1.21). The
#: next-order term (the direction error of W(t)) is of relative size 1/ln t, 1/ln 200 = 0.19 at
#: the start of the window and 0.13 at its end, so single instances get RATE_TOL = 0.15 and the
#: median, where that term averages out, RATE_MEDIAN_TOL = 0.05
RATE_TOL = 0.15
RATE_MEDIAN_TOL = 0.05
#: an instance whose direction has not settled by the end of the run is slower, so the claim is on
#: the share of instances within RATE_TOL (the same 90 % share as the (K, Q) claim)
RATE_SHARE = 0.9
#: plain GD's d||W||/d log t / ||W^mm|| -> 1; over t in [2,000, 20,000] the next-order term is of
#: relative size 1/ln 2,000 = 0.13, so each instance is checked within 15 %
PLAIN_TOL = 0.15
#: the rank claim is strict from d = 4: a 2 x 2 W has rank 1 or 2, and at d = 2 the few
#: separable instances (n (T - 1) constraints on d^2 = 4 entries) can leave both SVMs full rank
RANK_STRICT_FROM_D = 4
#: the leading term of dL/dR along an SVM ray, against the exact derivative at R = 40: both use
#: the same W^mm, so the solver's accuracy cancels; the neglected terms (the softmax normaliser
#: 1 - O(e^{-R}), sigma(-m_i) with m_i = gamma_alpha - O(e^{-R}), products a_it a_is = O(e^{-2R}))
#: are O(e^{-R}) = 4e-18 relative at R = 40, and rounding of exponents R m_it ~ 40 is ~1e-13
RAY_REL_TOL = 1e-9
#: a run on a locally optimal selection ends at L_alpha: |L(W(T)) - L_alpha| below 1 % of the gap
#: L_alpha - L_opt, a share that a run still descending towards L_opt would exceed
LOCAL_LOSS_TOL = 0.01


@pytest.fixture(scope="module")
def direction():
    """The authors' direction experiment at the ci sizes: 100 instances per setting, W and
    (K, Q), self- and cross-attention, 2,000 normalised-GD steps."""
    return {
        (param, query): sa.direction_experiment(
            param, query, instances=SIZES.instances, train=SIZES.train
        )
        for param in ("W", "KQ")
        for query in ("self", "cross")
    }


def _constraint_matrices(X, Z, opt):
    n, T, _ = X.shape
    mats = []
    for i in range(n):
        for t in range(T):
            if t != opt[i]:
                mats.append(((i, t), np.outer(X[i, opt[i]] - X[i, t], Z[i])))
    return mats


@pytest.mark.claim(
    "svm-kkt",
    chapter="svm_attention",
    statement="The cvxpy Att-SVM is feasible, has margin 1 on its support tokens and satisfies "
    "the KKT conditions",
)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_frobenius_svm_satisfies_constraints_and_kkt(seed, record_property) -> None:
    X, Y, Z, v = sa.synthetic_instance(6, 8, 10, seed=seed)
    _, opt = sa.optimal_tokens(X, Y, v)
    sol = sa.att_svm(X, Z, opt)
    mats = _constraint_matrices(X, Z, opt)
    margins = np.array([np.sum(A * sol.W) for _, A in mats])
    mu = np.array([sol.duals[i, t] for (i, t), _ in mats])
    assert margins.min() >= 1 - 1e-6  # primal feasibility
    assert mu.min() >= -1e-8  # dual feasibility
    np.testing.assert_allclose(mu * (margins - 1), 0, atol=1e-6)  # complementary slackness
    stationary = sum(m * A for m, ((_, _), A) in zip(mu, mats, strict=True))
    err = float(np.abs(stationary - sol.W).max())  # grad 1/2||W||^2 = sum mu_k A_k
    record_property("measured", err)
    record_property("predicted", "0 (max |W - sum_k mu_k A_k|)")
    assert err < 1e-6
    support = sol.support()
    assert support.any() and np.all(np.abs(sol.margins[support] - 1) < 1e-6)


def test_frobenius_svm_matches_an_independent_dual_solve() -> None:
    """The dual QP max sum(mu) - 1/2 ||sum mu_k A_k||^2, mu >= 0, solved with scipy L-BFGS-B."""
    from scipy.optimize import minimize

    X, Y, Z, v = sa.synthetic_instance(4, 6, 8, seed=5)
    _, opt = sa.optimal_tokens(X, Y, v)
    mats = np.stack([A.ravel() for _, A in _constraint_matrices(X, Z, opt)])

    def neg_dual(mu):
        w = mu @ mats
        return 0.5 * w @ w - mu.sum(), mats @ w - 1

    res = minimize(
        neg_dual,
        np.zeros(len(mats)),
        jac=True,
        method="L-BFGS-B",
        bounds=[(0, None)] * len(mats),
        options={"ftol": 1e-15, "gtol": 1e-12},
    )
    W_dual = (res.x @ mats).reshape(8, 8)
    np.testing.assert_allclose(sa.att_svm(X, Z, opt).W, W_dual, atol=1e-5)


@pytest.mark.parametrize(("x_scale", "z_scale"), [(1e7, 1), (1, 1e-6), (1e-6, 1), (1, 1e-7)])
@pytest.mark.parametrize("norm", ["fro", "nuc"])
def test_att_svm_does_not_depend_on_the_scale_of_the_data(x_scale, z_scale, norm) -> None:
    """Scaling X or Z by s scales W^mm by 1/s: the solver must return the same solution (once
    Clarabel's unchecked "optimal_inaccurate" answers here violated a margin (0.50) or had 1.93x
    the optimal norm, and a feasible problem was reported infeasible)."""
    X, Y, Z, v = sa.synthetic_instance(6, 8, 10, seed=3)
    _, opt = sa.optimal_tokens(X, Y, v)
    ref = sa.att_svm(X, Z, opt, norm=norm)
    sol = sa.att_svm(X * x_scale, Z * z_scale, opt, norm=norm)
    others = np.ones(sol.margins.shape, dtype=bool)
    others[np.arange(len(opt)), opt] = False
    assert sol.margins[others].min() >= 1 - 1e-6
    assert sol.value * x_scale * z_scale == pytest.approx(ref.value, rel=1e-6)
    np.testing.assert_allclose(sol.W * x_scale * z_scale, ref.W, atol=1e-6 * np.abs(ref.W).max())


def test_nuclear_svm_satisfies_its_optimality_condition() -> None:
    """Nuclear-norm KKT: G = sum mu_k A_k is a subgradient of ||.||_* at W: ||G||_2 <= 1 and
    <G, W> = ||W||_*; and each solution wins in its own norm against the other."""
    X, Y, Z, v = sa.synthetic_instance(6, 8, 10, seed=4)
    _, opt = sa.optimal_tokens(X, Y, v)
    nuc, fro = sa.att_svm(X, Z, opt, norm="nuc"), sa.att_svm(X, Z, opt, norm="fro")
    mats = _constraint_matrices(X, Z, opt)
    G = sum(nuc.duals[i, t] * A for (i, t), A in mats)
    assert np.linalg.norm(G, 2) <= 1 + 1e-5
    assert np.sum(G * nuc.W) == pytest.approx(np.linalg.norm(nuc.W, "nuc"), rel=1e-5)
    others = np.ones(nuc.margins.shape, dtype=bool)
    others[np.arange(len(opt)), opt] = False
    assert nuc.margins[others].min() >= 1 - 1e-6
    assert np.all(nuc.margins[~others] == 0) and np.all(nuc.duals[~others] == 0)
    assert np.linalg.norm(nuc.W, "nuc") <= np.linalg.norm(fro.W, "nuc") + 1e-6
    assert np.linalg.norm(fro.W) <= np.linalg.norm(nuc.W) + 1e-6
    assert sa.effective_rank(nuc.W) < sa.effective_rank(fro.W)


@pytest.mark.slow  # a statistic over many runs: in make test, not the fast lane
@pytest.mark.claim(
    "svm-gd-direction",
    chapter="svm_attention",
    statement="Normalised GD's W(t)/||W(t)|| converges to the Att-SVM of the tokens attention "
    "selects (authors' setting n=6, T=8, d=10, 2,000 steps; 100 instances, self- and "
    "cross-attention, every instance counted): median correlation >= 0.99, 10 % quantile >= 0.95",
    worst="min",
)
def test_gd_direction_converges_to_att_svm(direction, record_property) -> None:
    for query in ("self", "cross"):
        st = direction[("W", query)]
        # every instance counts: one whose selected tokens have no SVM counts as correlation -1
        sp = sa_stats.spread(np.nan_to_num(st.final(), nan=-1.0))
        record_property("measured", sp.median)
        record_property("measured", f"{query}: {sp}")
        assert sp.n == st.instances
        assert sp.median >= 0.99 and sp.q10 >= 0.95
    record_property("predicted", "median >= 0.99, 10 % quantile >= 0.95 (each setting)")


@pytest.mark.slow  # a statistic over many runs: in make test, not the fast lane
@pytest.mark.claim(
    "svm-local-global",
    chapter="svm_attention",
    statement="GD converges to the global Att-SVM on most instances and to a locally optimal "
    "one on others (both occur; W, 100 instances per setting)",
    worst="min",
)
def test_global_and_locally_optimal_outcomes_both_occur(direction, record_property) -> None:
    for query in ("self", "cross"):
        c = direction[("W", query)].counts()
        record_property("measured", c["global"] / sum(c.values()))
        record_property("measured", f"{query}: {c}")
        assert c["global"] > c["local"] > 0
        assert c["neither"] <= 0.05 * sum(c.values())
    record_property("predicted", "global the majority, locally optimal > 0, neither <= 5 %")


@pytest.mark.slow  # a statistic over many runs: in make test, not the fast lane
@pytest.mark.claim(
    "svm-concentration-rate",
    chapter="svm_attention",
    statement="Attention leaves the unselected tokens at the rate the SVM margin sets: the "
    "largest off-selection mass u(t) falls like exp(-||W(t)|| / ||W^mm||), i.e. "
    "rho = -d log u / d||W|| x ||W^mm|| has median within 5 % of 1 and is within 15 % of 1 on "
    "at least 90 % of instances (W and (K, Q), self- and cross-attention, 100 instances each, "
    "from step 200 on); an instance whose direction has not settled by step 2,000 is slower",
    worst="min",
)
def test_attention_concentrates_at_the_rate_set_by_the_margin(direction, record_property) -> None:
    worst = 1.0
    for (param, query), st in direction.items():
        rho = st.concentration_rate(start=200)
        has_svm = np.isfinite(st.final())
        assert np.isfinite(rho[has_svm]).all()
        share = float(np.mean(np.abs(np.nan_to_num(rho, nan=np.inf) - 1) <= RATE_TOL))
        worst = min(worst, share)
        med = float(np.median(np.abs(np.nan_to_num(rho, nan=np.inf) - 1)))
        record_property(
            "measured",
            f"{param}, {query}: rho {sa_stats.spread(rho)}; median |rho - 1| {med:.3f}; "
            f"{share:.2f} within {RATE_TOL}",
        )
        assert share >= RATE_SHARE, (param, query, share)
        assert med <= RATE_MEDIAN_TOL, (param, query, med)
    record_property("measured", worst)
    record_property(
        "predicted",
        f"median |rho - 1| <= {RATE_MEDIAN_TOL}; share with |rho - 1| <= {RATE_TOL} at least "
        f"{RATE_SHARE}",
    )


@pytest.mark.slow  # 8 instances x 20,000 plain-GD steps in one batched run (~10 s)
@pytest.mark.claim(
    "svm-plain-gd-log-norm",
    chapter="svm_attention",
    statement="Plain GD's norm grows like ||W^mm|| log t: over t in [2,000, 20,000] the slope "
    "d||W(t)||/d log t is within 15 % of the Frobenius norm of the Att-SVM of the selected tokens "
    "on every instance whose selected tokens stay the same through the window (8 random "
    "instances, n=6, T=8, d=10, step 10; at least half keep their tokens). Over one decade of t "
    "this does not tell log t from a slow power law t^0.12",
    worst="max",
)
def test_plain_gd_norm_grows_like_the_svm_norm_times_log_t(record_property) -> None:
    """With W = r W^mm/||W^mm|| the smallest score gap is r/||W^mm||, so ||grad L|| ~ e^{-r/||W^mm||}
    and dr/dt = lr c e^{-r/||W^mm||}: r = ||W^mm|| log t + const. A norm growing like t^p
    instead has slope p ||W||. An instance whose attention switches tokens inside the window (as
    seed 34 at n, T, d = 4, 5, 6 does near t = 10^4) is not yet in the regime and is left out."""
    data = [sa.synthetic_instance(6, 8, 10, seed=k) for k in range(8)]
    X, Y, Z, v = (np.stack(a) for a in zip(*data, strict=True))
    run = sa.train_gd(X, Y, Z, v, normalized=False, records=80,
                      train=TrainConfig(steps=20000, lr=10.0))  # fmt: skip
    assert run.completed().all()
    window = run.steps >= 2000
    sel = run.selected()
    in_window = np.argmax(run.attention[:, window], axis=-1)  # (B, S, n) selected tokens
    stable = np.all(in_window == sel[:, None, :], axis=(1, 2))
    ratios = []
    for b in np.flatnonzero(stable):
        norms = np.linalg.norm(run.W[b], axis=(1, 2))
        assert np.all(np.diff(norms) >= 0)
        slope = np.polyfit(np.log(run.steps[window]), norms[window], 1)[0]
        ratios.append(slope / np.linalg.norm(sa.att_svm(X[b], Z[b], sel[b]).W))
    ratios = np.array(ratios)
    record_property("measured", float(np.max(np.abs(ratios - 1))))
    record_property(
        "measured",
        f"slope / ||W^mm||: {np.round(ratios, 3).tolist()} ({int(stable.sum())} of "
        f"{stable.size} instances keep their tokens through the window)",
    )
    record_property("predicted", f"within {PLAIN_TOL} of 1 on every instance that keeps its tokens")
    assert stable.sum() >= stable.size // 2
    assert np.all(np.abs(ratios - 1) <= PLAIN_TOL)


@pytest.mark.claim(
    "svm-ray",
    chapter="svm_attention",
    statement="Along the ray R W^mm_alpha of a selection alpha, dL/dR ~ -(1/n) sum_i "
    "sigma(-gamma_i,alpha) sum_t m_it (gamma_i,alpha - gamma_it) e^{-R m_it} (within 1e-9 of the "
    "exact derivative at R = 40 for the optimal and all one-swap selections of 2 random "
    "instances); for a locally optimal "
    "alpha it is negative: the loss falls towards L_alpha, above the infimum L_opt unless "
    "alpha = opt",
    worst="max",
)
def test_loss_along_an_svm_ray_falls_to_the_selection_loss(record_property) -> None:
    """The leading term (closed form, numpy + cvxpy) against the exact derivative <grad L(R W), W>
    from the log-domain torch gradient, for the optimal selection and every feasible selection one
    swap away from it (one sample attends to another token) on two random instances; and the
    sign: negative at R = 20, 40, 80 for every locally optimal one, optimal or not."""
    import torch
    from theorybench.svm_attention.experiment import _gradient

    errors, local_optimal, local_other = [], 0, 0
    for seed in (0, 2):
        X, Y, Z, v = sa.synthetic_instance(4, 6, 8, seed=seed, query="cross")
        _, opt = sa.optimal_tokens(X, Y, v)
        t = [torch.tensor(a, dtype=torch.float64) for a in (X, Y, Z, v)]
        swaps = [np.where(np.arange(4) == i, k, opt) for i in range(4) for k in range(6)]
        for alpha in [opt] + [a for a in swaps if not np.array_equal(a, opt)]:
            try:
                W = sa.att_svm(X, Z, alpha).W
            except sa.AttSVMInfeasible:
                continue
            G, M, _, _ = _gradient(*t, torch.tensor(40.0 * W))
            exact = float((G * torch.tensor(W)).sum())  # dL/dR at R = 40, times e^{-M}
            sign, log_abs = sa.ray_slope(X, Y, v, Z, alpha, 40.0)
            assert sign == np.sign(exact)
            errors.append(abs(np.expm1(np.log(abs(exact)) + float(M) - log_abs)))
            is_opt = np.array_equal(alpha, opt)
            if sa.is_locally_optimal(X, Y, v, Z, alpha):
                local_optimal += is_opt
                local_other += not is_opt
                assert all(sa.ray_slope(X, Y, v, Z, alpha, R)[0] < 0 for R in (20.0, 40.0, 80.0))
            gap = sa.selection_loss(X, Y, v, alpha) - sa.selection_loss(X, Y, v, opt)
            assert gap > 0 or is_opt
    record_property("measured", float(max(errors)))
    record_property(
        "measured", f"{len(errors)} selections, {local_other} locally optimal non-optimal"
    )
    record_property("predicted", f"relative error <= {RAY_REL_TOL}; slope < 0 if locally optimal")
    assert local_optimal == 2 and local_other >= 3
    assert max(errors) <= RAY_REL_TOL


@pytest.mark.slow  # a statistic over many runs: in make test, not the fast lane
@pytest.mark.claim(
    "svm-local-loss",
    chapter="svm_attention",
    statement="A run that ends on a locally optimal selection alpha stops at L_alpha, above the "
    "infimum: |L(W(T)) - L_alpha| is below 1 % of L_alpha - L_opt on every such instance (so the "
    "loss did not fall towards L_opt), while ||W(T)|| still grows (W, 100 instances per setting)",
    worst="max",
)
def test_local_runs_stop_at_the_selection_loss_not_the_infimum(direction, record_property) -> None:
    worst = 0.0
    for query in ("self", "cross"):
        st = direction[("W", query)]
        local = st.outcome == "local"
        assert local.sum() >= 5
        excess = (st.loss[local] - st.limit_loss[local]) / (
            st.limit_loss[local] - st.infimum[local]
        )
        # relative to the gap: the loss sits at L_alpha, neither above it (not converged) nor on
        # its way down to L_opt (below it by a share of the gap)
        late = st.norm[local][:, -1] - st.norm[local][:, -2]
        assert np.all(late > 0)
        worst = max(worst, float(np.abs(excess).max()))
    record_property("measured", worst)
    record_property("predicted", f"|L(W(T)) - L_alpha| / (L_alpha - L_opt) < {LOCAL_LOSS_TOL}")
    assert worst < LOCAL_LOSS_TOL


@pytest.mark.slow  # a statistic over many runs: in make test, not the fast lane
@pytest.mark.claim(
    "svm-kq-nuclear",
    chapter="svm_attention",
    statement="GD on (K, Q) approaches the nuclear-norm Att-SVM (proven for the regularisation "
    "path, and by Sheen et al. 2024 for gradient flow with diagonal or aligned K, Q; measured here "
    "outside those conditions): median correlation >= 0.95 over 100 instances per setting, above "
    "its correlation with the Frobenius SVM on >= 90 % of instances",
    worst="min",
)
def test_kq_gd_converges_to_the_nuclear_norm_svm(direction, record_property) -> None:
    for query in ("self", "cross"):
        st = direction[("KQ", query)]
        sp = sa_stats.spread(st.final())
        record_property("measured", sp.median)
        record_property("measured", f"{query}: {sp}")
        assert sp.median >= 0.95
        ok = np.isfinite(st.final())
        assert np.mean(st.final()[ok] > st.correlation_fro[ok, -1]) >= 0.9
    record_property("predicted", "median >= 0.95 (each setting)")


@pytest.mark.slow  # a statistic over many runs: in make test, not the fast lane
@pytest.mark.claim(
    "svm-kq-normalisation",
    chapter="svm_attention",
    statement="Normalising (dL/dK, dL/dQ) jointly or each on its own (the authors' code) can "
    "change which tokens GD selects on a few instances (at most 10 % of 100); where both select "
    "the same tokens their limits agree (median correlation >= 0.99)",
    worst="min",
)
def test_kq_limit_does_not_depend_on_how_the_step_is_normalised(direction, record_property):
    """Joint normalisation of (dL/dK, dL/dQ) against the authors' separate one: where both end
    on the same tokens, their limits agree (median correlation >= 0.99). The joint runs are the
    direction experiment's (K, Q) cross-attention runs (the same instances, initialisation and
    steps), so only the separate ones train here."""
    joint = direction[("KQ", "cross")]
    data = [sa.synthetic_instance(6, 8, 10, seed=k, query="cross") for k in range(SIZES.instances)]
    X, Y, Z, v = (np.stack(a) for a in zip(*data, strict=True))
    separate = sa.train_gd(
        X, Y, Z, v, param="KQ", init="uniform", init_scale=10**-0.5,
        kq_normalization="separate", records=2, train=SIZES.train,
    )  # fmt: skip
    assert separate.completed().all()  # the joint ones are checked by direction_experiment
    same = np.all(joint.selected == separate.selected(), axis=1)
    corr = sa.direction_correlation(joint.W, separate.W[:, -1])
    record_property("measured", float(np.median(corr[same])))
    record_property("measured", f"same selection on {int(same.sum())} of {same.size}")
    record_property("predicted", "same selection >= 90 %; median correlation there >= 0.99")
    assert same.mean() >= 0.9
    assert np.median(corr[same]) >= 0.99


def test_no_kq_run_stops_early_at_either_scale() -> None:
    """The log-domain gradient keeps every (K, Q) run going for its whole budget (the ci and the
    full number of steps), where the linear-domain gradient underflowed after ~600-900 steps.
    The budget only sets how long a run goes on (each step is the same whatever the budget), so
    one run of the longer, full budget checks both: the ci run is its first steps."""
    data = [sa.synthetic_instance(6, 8, 10, seed=k) for k in range(4)]
    X, Y, Z, v = (np.stack(a) for a in zip(*data, strict=True))
    ci, full = sa.sizes("ci").train, sa.sizes("full").train
    assert ci.replace(steps=full.steps) == full  # the same run, only longer
    run = sa.train_gd(X, Y, Z, v, param="KQ", init_scale=0.01, records=2, train=full)
    assert run.completed().all(), run.stopped


def test_stable_gradient_matches_autograd() -> None:
    """The hand-written stable gradient against torch autograd of the loss (unsaturated W)."""
    import torch
    from theorybench.svm_attention.experiment import _gradient

    X, Y, Z, v = sa.synthetic_instance(4, 6, 8, seed=1)
    t = [torch.tensor(a, dtype=torch.float64) for a in (X, Y, Z, v)]
    W = torch.randn(8, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    W.requires_grad_()
    loss = torch.nn.functional.softplus(-t[1] * sa.attention_output(t[0], t[2], t[3], W)).mean()
    (auto,) = torch.autograd.grad(loss, W)
    G, M, L, _ = _gradient(*t, W.detach())
    np.testing.assert_allclose((G * torch.exp(M)).numpy(), auto.numpy(), rtol=1e-10, atol=1e-14)
    assert float(L) == pytest.approx(float(loss.detach()), rel=1e-12)


@pytest.mark.slow  # a statistic over many runs: in make test, not the fast lane
@pytest.mark.claim(
    "svm-overparam",
    chapter="svm_attention",
    statement="Over-parameterisation helps: the probability of converging to the global Att-SVM "
    "grows with d (logistic slope in log d, 95 % interval above 0; the 95 % Wilson intervals at "
    "the smallest and the largest d do not overlap; 100 cross-attention instances per d)",
    worst="min",
)
def test_larger_d_reaches_the_global_svm_more_often(record_property) -> None:
    res = sa.global_fraction(6, 8, SIZES.ds, instances=SIZES.instances, train=SIZES.train)
    tr = res.trend
    record_property("measured", tr.slope_lo)
    record_property("measured", f"slope {tr.slope:.2f} [{tr.slope_lo:.2f}, {tr.slope_hi:.2f}]; "
                    f"fractions {np.round(res.fractions, 2).tolist()} at d = {res.ds.astype(int).tolist()}")  # fmt: skip
    record_property("predicted", "slope interval above 0; Wilson intervals at the ends apart")
    assert tr.slope_lo > 0
    assert res.hi[0] < res.lo[-1]  # smallest d's interval lies wholly below the largest d's


@pytest.mark.slow  # a statistic over many runs: in make test, not the fast lane
@pytest.mark.claim(
    "svm-rank",
    chapter="svm_attention",
    statement="The nuclear-norm Att-SVM has mean effective rank at most the Frobenius one in "
    "every cell of the rank grid with a separable instance, and strictly lower in every such "
    "cell with d >= 4 (at d = 2, T = 10 both are 2.0)",
    worst="max",
)
def test_nuclear_svm_has_lower_rank_on_the_rank_grid(record_property) -> None:
    g = sa.svm_rank_grid(
        SIZES.rank_ns, SIZES.rank_Ts, SIZES.rank_ds, instances=SIZES.rank_instances
    )
    cells = g.feasible > 0
    strict = cells & (g.ds >= RANK_STRICT_FROM_D)[None, None, :]
    ratio = g.rank_nuc / g.rank_fro
    record_property("measured", float(ratio[strict].max()))
    record_property("measured", f"{int(cells.sum())} cells with a separable instance "
                    f"({int(strict.sum())} with d >= {RANK_STRICT_FROM_D}), "
                    f"{g.instances} draws each; largest ratio {float(ratio[cells].max()):.3f}")  # fmt: skip
    record_property("predicted", "nuclear / Frobenius mean rank <= 1 in every cell, < 1 for d >= 4")
    assert cells.sum() == cells.size  # every cell has a separable instance to average over
    assert np.all(ratio[cells] <= 1)
    assert strict.sum() >= 4 and np.all(ratio[strict] < 1)


#: the other master seeds: each draws its own instances and initialisations
OTHER_MASTERS = (1, 2, 3)
#: instances per other master seed (the claims above use 100 at master 0). Power: every
#: threshold excludes an alternative far from it -- a Frobenius-SVM limit gives correlations
#: ~0.85 (threshold 0.95-0.99) and rho 1.10-1.44, median |rho - 1| 0.21 (thresholds 0.05 and a
#: 0.9 share within 0.15), which 50 instances reject with certainty (>= 25 of 50 would have to
#: fall on the wrong side); "local > 0" fails at once if locally optimal outcomes never occur;
#: and with no trend in d (slope 0) slope_lo > 0 passes by chance with probability 0.025 per
#: master, 1.6e-5 for all three. Measured at 50 (2026-12-05): correlation medians >= 0.998 (W)
#: and >= 0.984 (K, Q); shares within RATE_TOL >= 0.94; median |rho - 1| <= 0.034; slope_lo
#: 0.57-1.26; locally optimal outcomes 14-17 per master
OTHER_MASTER_INSTANCES = 50


@pytest.fixture(scope="module")
def other_masters():
    """For each master seed of OTHER_MASTERS, what the statistics above are computed from:
    direction_experiment("W"/"KQ", "cross") and global_fraction(6, 8, (4, 8, 16)),
    OTHER_MASTER_INSTANCES instances each. Each result is exactly the single call's (train.seed
    = master); the three masters' instances train as one batched program per setting."""
    from theorybench.svm_attention.experiment import _direction_experiments, _global_fractions

    kw = dict(instances=OTHER_MASTER_INSTANCES, n=6, T=8, d=10, init_scale=None,
              kq_normalization="joint", records=40, train=SIZES.train)  # fmt: skip
    w = _direction_experiments("W", "cross", OTHER_MASTERS, **kw)
    kq = _direction_experiments("KQ", "cross", OTHER_MASTERS, **kw)
    gf = _global_fractions(6, 8, (4, 8, 16), OTHER_MASTERS, instances=OTHER_MASTER_INSTANCES,
                           query="cross", train=SIZES.train)  # fmt: skip
    return {m: (w[i], kq[i], gf[i]) for i, m in enumerate(OTHER_MASTERS)}


@pytest.mark.slow
@pytest.mark.parametrize("master", OTHER_MASTERS)
def test_statistics_hold_for_other_master_seeds(other_masters, master) -> None:
    """The thresholds above, fixed before the run, hold for three other master seeds (other
    instances and initialisations): cross-attention, OTHER_MASTER_INSTANCES instances each (its
    comment gives the power of each check at that size)."""
    w, kq, res = other_masters[master]
    w_all = np.nan_to_num(w.final(), nan=-1.0)  # every instance counts, as above
    assert np.median(w_all) >= 0.99 and np.quantile(w_all, 0.1) >= 0.95
    assert np.median(np.nan_to_num(kq.final(), nan=-1.0)) >= 0.95
    for st in (w, kq):  # the concentration rate, as above
        rho = np.nan_to_num(st.concentration_rate(start=200), nan=np.inf)
        assert np.mean(np.abs(rho - 1) <= RATE_TOL) >= RATE_SHARE
        assert np.median(np.abs(rho - 1)) <= RATE_MEDIAN_TOL
    assert w.counts()["global"] > w.counts()["local"] > 0
    assert res.trend.slope_lo > 0


def test_batched_master_seeds_give_the_single_runs() -> None:
    """The batched path behind other_masters against the single calls it stands for (small: 6
    instances, 60 steps, two masters): the same instances, initialisations and results."""
    from theorybench.svm_attention.experiment import _direction_experiments, _global_fractions

    train = TrainConfig(steps=60, lr=0.1)
    kw = dict(instances=6, n=4, T=5, d=6, init_scale=None, kq_normalization="joint",
              records=8)  # fmt: skip
    for param in ("W", "KQ"):
        both = _direction_experiments(param, "cross", (1, 2), **kw, train=train)
        for m, st in zip((1, 2), both, strict=True):
            one = sa.direction_experiment.__wrapped__(
                param, "cross", **kw, train=train.replace(seed=m)
            )
            np.testing.assert_allclose(st.W, one.W, rtol=1e-12, atol=1e-14)
            assert np.array_equal(st.outcome, one.outcome)
    both = _global_fractions(4, 5, (3, 6), (1, 2), instances=6, query="cross", train=train)
    for m, res in zip((1, 2), both, strict=True):
        one = sa.global_fraction.__wrapped__(4, 5, (3, 6), instances=6, train=train.replace(seed=m))
        assert np.array_equal(res.successes, one.successes)


def test_local_and_global_selections() -> None:
    X, Y, Z, v = sa.synthetic_instance(6, 8, 10, seed=0)
    _, opt = sa.optimal_tokens(X, Y, v)
    assert sa.is_locally_optimal(X, Y, v, Z, opt)
    gamma = Y[:, None] * (X @ v)
    worst = np.argmin(gamma, axis=1)  # the lowest-scoring token is never locally optimal
    assert not sa.is_locally_optimal(X, Y, v, Z, worst)


def test_infeasible_problem_names_the_blocking_samples() -> None:
    X, Y, Z, v = sa.synthetic_instance(4, 5, 6, seed=2)
    _, opt = sa.optimal_tokens(X, Y, v)
    X = X.copy()
    # samples 1 and 3 become identical but ask for different tokens: each alone is separable,
    # together they are not
    X[3], Z[3] = X[1], Z[1]
    opt = opt.copy()
    opt[3] = (opt[1] + 1) % 5
    with pytest.raises(sa.AttSVMInfeasible, match="samples \\[1, 3\\]") as info:
        sa.att_svm(X, Z, opt)
    assert info.value.blocking == [1, 3]
    assert isinstance(info.value, ValueError)


def test_feasibility_certificate_agrees_with_the_lp() -> None:
    """_feasible's shortcut (a W with every margin > 0, from the Gram system) against the HiGHS
    LP alone, on raw random draws (no redraws, so infeasible ones too) where both answers occur:
    d^2 below, near and above the n (T - 1) margins."""
    from scipy.optimize import linprog
    from theorybench.svm_attention.model import _feasible, _scaled_rows

    answers = set()
    for d in (3, 4, 5, 6, 7, 10):
        rng = np.random.default_rng(d)
        for _ in range(25):
            X = rng.standard_normal((6, 8, d))
            X /= np.linalg.norm(X, axis=2, keepdims=True)
            Z = rng.standard_normal((6, d))
            Z /= np.linalg.norm(Z, axis=1, keepdims=True)
            opt = rng.integers(0, 8, size=6)
            A = _scaled_rows(X, Z, opt)[0]
            lp = linprog(np.zeros(A.shape[1]), A_ub=-A, b_ub=-np.ones(A.shape[0]),
                         bounds=(None, None), method="highs").status == 0  # fmt: skip
            assert _feasible(X, Z, opt) == lp
            answers.add(lp)
    assert answers == {True, False}


def _exact_margins(rows: np.ndarray, W: np.ndarray, zs: np.ndarray) -> list:
    """r_k' W z_k in exact rational arithmetic on the floats as stored."""
    from fractions import Fraction

    fr = np.vectorize(Fraction, otypes=[object])
    R, M, Zs = fr(rows), fr(W), fr(zs)
    return [sum(R[k] @ M * Zs[k]) for k in range(rows.shape[0])]


def test_feasibility_certificate_is_never_taken_on_rounding_alone() -> None:
    """A certificate W must have every margin positive in exact arithmetic, also when the tokens'
    entries span fourteen orders of magnitude (where a margin summed in floats can come out
    >= 1/2 while its exact value is negative); among the draws, an instance (found by a
    reviewer) that the unguarded certificate took for feasible."""
    from theorybench.svm_attention.model import _certificate, _constraint_rows

    found = {  # the reviewer's draw, every float as stored
        "X": [-423.3002601737996, -520.6908039502908, 183.2578441044649, -362.1266766366586,
              235.47590426331962, -747.4348417888382, -180.82432114728172, 207.65713998704535,
              1600.0388134984835, -993.4642868541358, -3091.613326366337, -1216.8003328095238,
              -304.91886517368664, 125.84845116993137, -723.0362313965637, -1.2416033470643984e-07,
              6.561234198341237e-07, -1.2494744490359334e-07, 1.434166375354214e-07,
              -6.833784855082098e-08, -2.0829831434540188e-07, -2978135.547850145,
              674676.2030133777, 152290.2581740109],
        "Z": [-12918.706452690847, -22186.04602792108, 42891.002025057714, -3.098871439904684e-08,
              5.8369804836812445e-08, 8.137264962720881e-08],
        "opt": [0, 2],
    }  # fmt: skip
    shapes = {"X": (2, 4, 3), "Z": (2, 3), "opt": (2,)}
    draws = [tuple(np.reshape(found[k], shapes[k]) for k in ("X", "Z", "opt"))]
    rng = np.random.default_rng(20261206)
    for _ in range(300):
        d = int(rng.integers(2, 5))
        X = rng.standard_normal((2, 4, d)) * 10.0 ** rng.uniform(-7, 7, size=(2, 4, 1))
        Z = rng.standard_normal((2, d)) * 10.0 ** rng.uniform(-7, 7, size=(2, 1))
        draws.append((X, Z, rng.integers(0, 4, size=2)))
    accepted = 0
    for X, Z, opt in draws:
        rows, zs, _ = _constraint_rows(X, Z, opt)
        W = _certificate(rows, zs)
        if W is not None:
            accepted += 1
            assert min(_exact_margins(rows, W, zs)) > 0
    rows, zs, _ = _constraint_rows(*draws[0])
    assert _certificate(rows, zs) is None
    assert accepted >= 100  # the shortcut still takes most feasible draws


_X, _Y, _Z, _V = sa.synthetic_instance(3, 4, 5, seed=1)
_EX = (_X, _Y, _V, _Z, sa.optimal_tokens(_X, _Y, _V)[1])


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: sa.att_svm(np.zeros((2, 3)), np.zeros((2, 3)), [0, 0]), "X must have shape"),
        (lambda: sa.att_svm(np.ones((2, 3, 4)), np.zeros((2, 3)), [0, 0]), "Z must have shape"),
        (lambda: sa.att_svm(np.ones((2, 3, 4)), np.zeros((2, 4)), [0, 3]), "opt must index"),
        (lambda: sa.att_svm(np.ones((2, 3, 4)), np.zeros((2, 4)), [0, 1], norm="l1"), "norm"),
        (lambda: sa.optimal_tokens(np.ones((2, 3, 4)), [1, 0], np.ones(4)), "Y must hold"),
        (lambda: sa.optimal_tokens(np.ones((2, 3, 4)), [1, -1], np.ones(3)), "v must have"),
        (lambda: sa.optimal_tokens(np.ones((2, 3, 4)), [1, -1], np.ones(4)), "unique"),
        (lambda: sa.synthetic_instance(0, 3, 4), "n must be"),
        (lambda: sa.train_gd(*sa.synthetic_instance(2, 3, 4), param="QK"), "param"),
        (lambda: sa.train_gd(*sa.synthetic_instance(2, 3, 4), param="KQ"), "init_scale"),
        (lambda: sa.direction_correlation(np.ones((2, 2)), np.ones((3, 3))), "same matrix shape"),
        (lambda: sa.synthetic_instance(2, 3, 4, query="key"), "query"),
        (lambda: sa.train_gd(*sa.synthetic_instance(2, 3, 4), kq_normalization="x"), "kq_norm"),
        (lambda: sa.train_gd(*sa.synthetic_instance(2, 3, 4), init="zeros"), "init"),
        (lambda: sa.train_gd(*sa.synthetic_instance(2, 3, 4), train={"steps": 3}), "train"),
        (lambda: sa.effective_rank([[np.nan, 0], [0, 1]]), "W must be finite"),
        (lambda: sa.effective_rank([[np.inf, 0], [0, 1]]), "W must be finite"),
        (lambda: sa.effective_rank(np.eye(2), rel=-1.0), "rel must lie in"),
        (lambda: sa.effective_rank(np.eye(2), rel=float("nan")), "rel must be"),
        (lambda: sa.effective_rank(np.zeros((0, 0))), "W must have at least"),
        (lambda: sa.is_locally_optimal(*_EX, tol=-1.0), "tol must lie in"),
        (lambda: sa.is_locally_optimal(*_EX, tol=float("nan")), "tol must be"),
        (lambda: sa.direction_correlation(np.zeros((3, 3)), np.eye(3)), "non-zero"),
        (lambda: sa.selection_loss(_EX[0] * 1e300, _EX[1], _EX[2] * 1e10, _EX[4]), "finite"),
        (lambda: sa.synthetic_instance(10**9, 3, 4), "n must be an integer in"),
        (lambda: sa.synthetic_instance(1000, 1000, 100), "n \\* T \\* d"),
        (
            lambda: sa.train_gd(
                *sa.synthetic_instance(2, 3, 4),
                param="KQ",
                init_scale=0.1,
                train=TrainConfig(steps=5, lr=1e300),
            ),
            "train.lr must lie in",
        ),  # fmt: skip
        (lambda: sa.global_fraction(2, 3, [4], instances=3), "ds must hold at least two"),
        (lambda: sa.svm_rank_grid([2], [3], [1], instances=2), "ds must hold whole numbers in"),
        (lambda: TrainConfig(steps=0, lr=0.1), "steps"),
        (lambda: TrainConfig(steps=10, lr=float("nan")), "lr"),
    ],
)
def test_bad_input_raises_value_error(call, match) -> None:
    with pytest.raises(ValueError, match=match):
        call()


def test_long_runs_keep_the_direction_without_drift() -> None:
    """Far into saturation (the true gradient ~1e-300 and below) the log-domain gradient keeps W
    on the SVM direction for all 20,000 steps: no stop, no NaN, no drift at the end."""
    X, Y, Z, v = sa.synthetic_instance(4, 6, 8, seed=0)
    run = sa.train_gd(X, Y, Z, v, train=TrainConfig(steps=20000, lr=0.1))
    assert np.all(np.isfinite(run.W)) and run.completed().all()
    ref = sa.att_svm(X, Z, run.selected()[0])
    corr = sa.direction_correlation(run.W[0, 1:], ref.W)
    assert corr[-1] >= 0.999 and np.all(np.diff(corr[-10:]) >= -1e-9)


def test_plain_gd_reports_the_step_its_gradient_underflows() -> None:
    """Plain GD moves by the true gradient, which does underflow: the run says where it stopped."""
    X, Y, Z, v = sa.synthetic_instance(4, 6, 8, seed=0)
    run = sa.train_gd(X, Y, Z, v, normalized=False, train=TrainConfig(steps=200, lr=1e6))
    assert not run.completed()[0] and 0 < run.stopped[0] < 200
    assert np.all(np.isfinite(run.W))


@pytest.mark.slow  # nine frames of 24 instances: three batched runs (~5 s), or the stored frames
def test_explorer_frames_follow_the_global_fraction_trend(record_property) -> None:
    from theorybench.svm_attention.interactive import explorer_outcomes

    ex = sa.explorer()
    ds, lrs = ex.static["d"], ex.static["lr"]
    frac = np.array([[explorer_outcomes(d, lr=lr).global_fraction for d in ds] for lr in lrs])
    record_property("measured", float(np.diff(frac, axis=1).min()))
    record_property("measured", f"global fractions (rows: step {lrs}, columns: d = {ds}): "
                    f"{np.round(frac, 2).tolist()}")  # fmt: skip
    record_property("predicted", "strictly increasing in d at every step size")
    assert list(ds) == sorted(ds) and ex.controls["d"].value == max(ds)
    # the live controls offer exactly the tested frames, nothing in between
    assert set(ex.controls) == {"d", "lr"}
    assert list(ex.controls["d"].options) == list(ds)
    assert list(ex.controls["lr"].options) == list(lrs)
    assert np.all(np.diff(frac, axis=1) > 0)
    default = explorer_outcomes(ex.controls["d"].value, lr=ex.controls["lr"].value)
    assert default.global_fraction >= 0.75


def test_ray_figure_shows_a_locally_optimal_selection_above_the_infimum() -> None:
    """The theory page's ray figure draws what its caption says: the second selection is locally
    optimal, not the optimal one, its limit lies above the infimum, and both rays fall."""
    from theorybench.svm_attention.figures import RAY_INSTANCE, ray_selections

    X, Y, Z, v = sa.synthetic_instance(**RAY_INSTANCE)
    opt, local = ray_selections().values()
    assert sa.is_locally_optimal(X, Y, v, Z, local) and not np.array_equal(opt, local)
    assert sa.selection_loss(X, Y, v, local) > sa.selection_loss(X, Y, v, opt) + 0.05
    for alpha in (opt, local):
        W = sa.att_svm(X, Z, alpha).W / np.linalg.norm(sa.att_svm(X, Z, alpha).W)
        losses = [sa.attention_loss(X, Y, v, Z, R * W) for R in np.linspace(0, 25, 26)]
        assert np.all(np.diff(losses) < 0)


def test_spectra_figure_shows_what_its_caption_says() -> None:
    """The §5 figure's caption: on its instance the nuclear-norm Att-SVM has two singular values
    above 1 % of the largest, the Frobenius one six."""
    from theorybench.svm_attention.figures import SPECTRA_INSTANCE

    X, Y, Z, v = sa.synthetic_instance(**SPECTRA_INSTANCE)
    _, opt = sa.optimal_tokens(X, Y, v)
    assert sa.effective_rank(sa.att_svm(X, Z, opt, norm="nuc").W) == 2
    assert sa.effective_rank(sa.att_svm(X, Z, opt, norm="fro").W) == 6


def test_opening_figure_draws_five_separate_tokens_and_two_margin_lines() -> None:
    """The opening figure's instance: five tokens at least 0.5 rad apart (no marker hides
    another), the best score at least 0.1 above the next, and margin lines 1/||u|| >= 0.2 apart."""
    rng = np.random.default_rng(30)  # plot_2d_picture's default seed, drawn as it draws
    angles = np.sort(rng.uniform(0, 2 * np.pi, 5))
    gaps = np.diff(np.concatenate([angles, [angles[0] + 2 * np.pi]]))
    X = np.stack([np.cos(angles), np.sin(angles)], 1)[None]
    v = np.array([1.0, 0.3]) / np.linalg.norm([1.0, 0.3])
    gamma, opt = sa.optimal_tokens(X, np.array([1.0]), v)
    u = sa.att_svm(X, X[:, 0], opt).W @ X[0, 0]
    top = np.sort(gamma[0])
    assert gaps.min() >= 0.5 and top[-1] - top[-2] >= 0.1 and 1 / np.linalg.norm(u) >= 0.2
