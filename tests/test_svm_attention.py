"""Attention as a max-margin token selector (theory/svm_attention.md)."""

from __future__ import annotations

import numpy as np
import pytest
from theorybench import stats as sa_stats
from theorybench import svm_attention as sa
from theorybench.training import TrainConfig

SIZES = sa.sizes("ci")


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
    assert np.nanmin(nuc.margins) >= 1 - 1e-6
    assert np.linalg.norm(nuc.W, "nuc") <= np.linalg.norm(fro.W, "nuc") + 1e-6
    assert np.linalg.norm(fro.W) <= np.linalg.norm(nuc.W) + 1e-6
    assert sa.effective_rank(nuc.W) < sa.effective_rank(fro.W)


@pytest.mark.slow  # a statistic over many runs: in make test, not the fast lane
@pytest.mark.claim(
    "svm-gd-direction",
    chapter="svm_attention",
    statement="Normalised GD's W(t)/||W(t)|| converges to the Att-SVM of the tokens attention "
    "selects (authors' setting n=6, T=8, d=10, 2,000 steps; 100 instances, self- and "
    "cross-attention): median correlation >= 0.99, 10 % quantile >= 0.95",
    worst="min",
)
def test_gd_direction_converges_to_att_svm(direction, record_property) -> None:
    for query in ("self", "cross"):
        st = direction[("W", query)]
        sp = sa_stats.spread(st.final())
        record_property("measured", sp.median)
        record_property("measured", f"{query}: {sp}")
        assert sp.n == st.instances - st.counts()["neither"] or sp.n >= 95
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
def test_attention_concentrates_on_the_selected_tokens(direction) -> None:
    for st in direction.values():
        mean = st.selected_probability.mean(0)
        assert mean[-1] > 0.99
        assert np.all(np.diff(mean[len(mean) // 4 :]) >= -1e-3)  # grows after the first steps


def test_plain_gd_norm_grows_monotonically_and_slowly() -> None:
    X, Y, Z, v = sa.synthetic_instance(6, 8, 10, seed=3)
    run = sa.train_gd(X, Y, Z, v, normalized=False, train=TrainConfig(steps=4000, lr=1.0))
    norms = np.linalg.norm(run.W[0], axis=(1, 2))
    assert np.all(np.diff(norms) >= 0)
    # logarithmic growth: the norm gained over the second half is far less than the first half's
    half = np.searchsorted(run.steps, 2000)
    assert norms[-1] - norms[half] < norms[half] - norms[1]
    ref = sa.att_svm(X, Z, run.selected()[0])
    corr = sa.direction_correlation(run.W[0, 1:], ref.W)
    assert corr[-1] > corr[len(corr) // 4]


@pytest.mark.slow  # a statistic over many runs: in make test, not the fast lane
@pytest.mark.claim(
    "svm-kq-nuclear",
    chapter="svm_attention",
    statement="GD on (K, Q) (observed; proven for the regularisation path) approaches the "
    "nuclear-norm Att-SVM: median correlation >= 0.95 over 100 instances per setting, above "
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
def test_kq_limit_does_not_depend_on_how_the_step_is_normalised() -> None:
    """Joint normalisation of (dL/dK, dL/dQ) against the authors' separate one: where both end
    on the same tokens, their limits agree (median correlation >= 0.99)."""
    data = [sa.synthetic_instance(6, 8, 10, seed=k, query="cross") for k in range(SIZES.instances)]
    X, Y, Z, v = (np.stack(a) for a in zip(*data, strict=True))
    runs = {
        how: sa.train_gd(
            X,
            Y,
            Z,
            v,
            param="KQ",
            init="uniform",
            init_scale=10**-0.5,
            kq_normalization=how,
            records=2,
            train=SIZES.train,
        )  # fmt: skip
        for how in ("joint", "separate")
    }
    assert all(r.completed().all() for r in runs.values())
    same = np.all(runs["joint"].selected() == runs["separate"].selected(), axis=1)
    corr = sa.direction_correlation(runs["joint"].W[:, -1], runs["separate"].W[:, -1])
    assert same.mean() >= 0.9
    assert np.median(corr[same]) >= 0.99


def test_no_kq_run_stops_early_at_either_scale() -> None:
    """The log-domain gradient keeps every (K, Q) run going for its whole budget (the ci and the
    full number of steps), where the linear-domain gradient underflowed after ~600-900 steps."""
    data = [sa.synthetic_instance(6, 8, 10, seed=k) for k in range(4)]
    X, Y, Z, v = (np.stack(a) for a in zip(*data, strict=True))
    for which in ("ci", "full"):
        train = sa.sizes(which).train
        run = sa.train_gd(X, Y, Z, v, param="KQ", init_scale=0.01, records=2, train=train)
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
    "grows with d (logistic slope in log d, 95 % interval above 0; 100 instances per d)",
    worst="min",
)
def test_larger_d_reaches_the_global_svm_more_often(record_property) -> None:
    res = sa.global_fraction(6, 8, SIZES.ds, instances=SIZES.instances, train=SIZES.train)
    tr = res.trend
    record_property("measured", tr.slope_lo)
    record_property("measured", f"slope {tr.slope:.2f} [{tr.slope_lo:.2f}, {tr.slope_hi:.2f}]; "
                    f"fractions {np.round(res.fractions, 2).tolist()} at d = {res.ds.astype(int).tolist()}")  # fmt: skip
    record_property("predicted", "slope interval above 0")
    assert tr.slope_lo > 0
    assert np.all((res.lo <= res.fractions) & (res.fractions <= res.hi))


@pytest.mark.slow  # a statistic over many runs: in make test, not the fast lane
@pytest.mark.claim(
    "svm-rank",
    chapter="svm_attention",
    statement="The nuclear-norm Att-SVM has lower rank than the Frobenius one (mean effective "
    "rank over random instances, every cell of the rank grid with d >= 4)",
    worst="max",
)
def test_nuclear_svm_has_lower_rank_on_the_rank_grid(record_property) -> None:
    g = sa.svm_rank_grid(
        SIZES.rank_ns, SIZES.rank_Ts, SIZES.rank_ds, instances=SIZES.rank_instances
    )
    cells = (g.ds >= 4)[None, None, :] & (g.feasible > 0)
    ratio = g.rank_nuc[cells] / g.rank_fro[cells]
    record_property("measured", float(ratio.max()))
    record_property("measured", f"{int(cells.sum())} cells x {g.instances} instances")
    record_property("predicted", "nuclear / Frobenius mean rank < 1 in every cell")
    assert cells.sum() >= 4 and np.all(ratio < 1)


@pytest.mark.slow
@pytest.mark.parametrize("master", [1, 2, 3])
def test_statistics_hold_for_other_master_seeds(master) -> None:
    """The thresholds above, fixed before the run, hold for three other master seeds (other
    instances and initialisations): cross-attention, 100 instances each."""
    train = SIZES.train.replace(seed=master)
    w = sa.direction_experiment("W", "cross", instances=SIZES.instances, train=train)
    kq = sa.direction_experiment("KQ", "cross", instances=SIZES.instances, train=train)
    assert np.nanmedian(w.final()) >= 0.99 and np.nanquantile(w.final(), 0.1) >= 0.95
    assert np.nanmedian(kq.final()) >= 0.95
    assert w.counts()["global"] > w.counts()["local"] > 0
    res = sa.global_fraction(6, 8, (4, 8, 16), instances=SIZES.instances, train=train)
    assert res.trend.slope_lo > 0


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
