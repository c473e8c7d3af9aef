"""Type II: ReLU networks, fully connected on one-dimensional data (§9: checked on teachers drawn
at random from the family the page states, with every prediction computed from the teacher
alone) and convolutional (§10) (theory/saddle_to_saddle/relu.md; library:
theorybench.saddle_to_saddle.relu)."""

from __future__ import annotations

import numpy as np
import pytest
from theorybench import saddle_to_saddle as st
from theorybench.training import TrainConfig

X = np.linspace(-1.0, 1.0, 101)
Z = np.stack([X, np.ones_like(X)], axis=1)

#: teachers drawn from RAMP_FAMILY (two or three ramps), seeds per teacher, the draw's seed
#: (the unit tests read the first UNIT_TEACHERS of the same draw)
FAMILY_TEACHERS, FAMILY_SEEDS, FAMILY_DRAW, UNIT_TEACHERS = 30, 1, 0, 10
#: GD of the family runs: step 0.05; 4,000 steps (200 time units)
FAMILY_TRAIN = TrainConfig(steps=4000, lr=0.05)
#: the sub-family the visit claim covers, fixed from theory before the runs: the first escape
#: from sigma takes about ln(1/sigma) / lambda_1 (13.8 / lambda_1 at sigma = 1e-6; t_1 < 100 for
#: lambda_1 >= 0.15), the stay DWELL_FACTOR / lambda_1; with a margin of about 6 / lambda_1 for
#: the transition itself, 30 / lambda_1 <= 200 time units needs lambda_1 >= LAM_MIN. About 1 %
#: of the family lies below (the slowest of 2,000 draws: 0.053)
LAM_MIN = 0.15
#: two stated failures run in the same batch: the family's slow corner (lambda_1 = 0.024 <
#: LAM_MIN: never reaches f_1 in the run) and a "creep" teacher of the sub-family (lambda_1 =
#: 0.247): its escape direction is affine, and the kink then creeps into the data towards f_1
#: for about 100 time units, so it reaches f_1 but stays less than DWELL_FACTOR / lambda_1
STATED_FAILURES = [st.SLOW_RAMP_TEACHER, st.CREEP_RAMP_TEACHER]
#: the other initial scale of the first-transition slope, and its (shorter) run
SHORT_SIGMA, SHORT_TRAIN = 1e-3, TrainConfig(steps=2000, lr=0.05)
#: a visit: the function within VISIT_TOL * ||y|| of the predicted fixed point, or within half
#: the distance to the nearest other fixed point of width <= 1 where that is smaller ...
VISIT_TOL = 0.05
#: ... width-1 minima within MERGE_TOL * ||y|| of each other being one fixed point (a minimum is
#: defined up to the data cell of its kink; a fifth of VISIT_TOL: a visit cannot tell them apart)
MERGE_TOL = 0.01
#: ... for at least DWELL_FACTOR / lambda_1 time units (a transition passes a point in about
#: 1/lambda_1, its own e-folding time: ten of them make a plateau, not a passage)
DWELL_FACTOR = 10.0
#: units on one ray: at the record of the first stay nearest f_1, every unit of at least a
#: tenth of the largest size within this cosine of the predicted direction (1 on the ray)
RAY_COS = 0.999
#: the Hessian law: |eigenvalue - prediction| <= HESS_TOL * lambda_2 (the curvatures at stake
#: differ by far more: 0 against lambda_2 at the affine fixed points)
HESS_TOL = 0.05
#: the first-transition slope: within SLOPE_SHARE of the relative gap between the GD rate and
#: the gradient-flow rate, so that the test tells 1/gd_growth_rate from 1/lambda_1
SLOPE_SHARE = 0.5
#: steps of the small-unit growth check (long enough for its direction to drift)
STEPS_GROW = 3000
#: ... and its tolerance (the law is exact up to the unit's own O(size^2) back-reaction)
GROW_TOL = 1e-4
#: the drift guard: the same law at the frozen starting direction must miss the growth by more
#: than DRIFT_MARGIN times GROW_TOL on every teacher, so that the test tells the two apart
DRIFT_MARGIN = 50


def _teachers() -> list:
    return st.draw_ramp_teachers(UNIT_TEACHERS, seed=FAMILY_DRAW)


def _family_teachers() -> list:
    return st.draw_ramp_teachers(FAMILY_TEACHERS, seed=FAMILY_DRAW)


def _unit_loss(y: np.ndarray, v: np.ndarray) -> float:
    """The explicit loss of the width-1 network v = (a, w, b)."""
    return 0.5 * float(np.mean((y - v[0] * np.maximum(v[1] * X + v[2], 0.0)) ** 2))


def _network(W: np.ndarray, a: np.ndarray) -> np.ndarray:
    """The function sum_i a_i relu(w_i x + b_i) on the data, from the weights themselves."""
    return np.maximum(np.outer(X, W[:, 0]) + W[:, 1], 0.0) @ a


def _residuals(count: int) -> list[np.ndarray]:
    """The residuals of the first ``count`` teachers' first two fixed points: y at the origin,
    y - f_1."""
    out = []
    for kinks, slopes, sides in _teachers()[:count]:
        y = st.ramp_teacher(X, kinks, slopes, sides)
        angle, a, _ = st.first_fixed_point(X, y)
        out += [y, y - a * np.maximum(np.cos(angle) * X + np.sin(angle), 0.0)]
    return out


def test_relu_correlation_is_minus_the_curvature_along_a_new_units_ray() -> None:
    """At the first fixed point of family teachers (width 1), add a unit with weights
    (w, b) = h theta and output weight s h: the width-2 network's loss, computed from the
    weights (no homogeneity used), changes by -s G(theta) h^2 + c h^4 -- a polynomial in h only
    because relu is positively homogeneous -- so (4 D(h) - D(2h)/4) / (3 h^2) with
    D(h) = L(h) - L(0) is exactly -s G (§9.2)."""
    rng = np.random.default_rng(0)
    for kinks, slopes, sides in _teachers()[:4]:
        y = st.ramp_teacher(X, kinks, slopes, sides)
        ang1, a1, _ = st.first_fixed_point(X, y)
        W1 = np.array([[np.cos(ang1), np.sin(ang1)]])
        r = y - _network(W1, np.array([a1]))
        for phi in rng.uniform(-np.pi, np.pi, 4):
            for s in (1.0, -1.0):
                h = 1e-2

                def loss(k, s=s, phi=phi, W1=W1, y=y, a1=a1):
                    W = np.vstack([W1, k * np.array([np.cos(phi), np.sin(phi)])])
                    return 0.5 * np.mean((y - _network(W, np.array([a1, s * k]))) ** 2)

                D1, D2 = loss(h) - loss(0.0), loss(2 * h) - loss(0.0)
                want = -s * float(st.relu_correlation(phi, X, r))
                assert (4 * D1 - D2 / 4) / (3 * h**2) == pytest.approx(want, rel=1e-6, abs=1e-12)


def test_relu_escape_is_the_brute_force_maximum() -> None:
    """relu_escape's lambda equals max abs(G) over 200,001 angles on the residuals of the
    family's origin and first fixed point (three teachers), and is attained at its angle."""
    grid = np.linspace(-np.pi, np.pi, 200_001)
    for r in _residuals(3):
        lam, angle, sign = st.relu_escape(X, r)
        assert lam == pytest.approx(np.abs(st.relu_correlation(grid, X, r)).max(), rel=1e-6)
        assert sign * st.relu_correlation(angle, X, r) == pytest.approx(lam, rel=1e-12)


def test_a_small_unit_grows_at_the_gd_rate_of_g_along_its_drifting_direction() -> None:
    """Plain numpy GD of the whole width-2 network (the fixed point's unit free too) at the first
    fixed point of a family teacher, with a tiny balanced unit started in a random direction
    (not the maximiser): over STEPS_GROW steps its direction drifts, and its size abs(a) rho
    grows by the product over steps of (1 + lr abs(G(theta_t)))^2, G at its current direction
    and residual -- not by that of G at its starting direction."""
    rng = np.random.default_rng(1)
    lr = 0.05
    for kinks, slopes, sides in _teachers()[:4]:
        y = st.ramp_teacher(X, kinks, slopes, sides)
        ang1, a1, _ = st.first_fixed_point(X, y)
        r1 = y - a1 * np.maximum(np.cos(ang1) * X + np.sin(ang1), 0.0)
        phi0 = rng.uniform(-np.pi, np.pi)
        while abs(st.relu_correlation(phi0, X, r1)) < 0.2 * st.relu_escape(X, r1)[0]:
            phi0 = rng.uniform(-np.pi, np.pi)  # a direction where the unit does grow
        G0 = float(st.relu_correlation(phi0, X, r1))
        W = np.array([[np.cos(ang1), np.sin(ang1)], [1e-9 * np.cos(phi0), 1e-9 * np.sin(phi0)]])
        a = np.array([a1, np.sign(G0) * 1e-9])
        predicted = 0.0
        size0 = abs(a[1]) * np.linalg.norm(W[1])
        for _ in range(STEPS_GROW):
            pre = np.outer(X, W[:, 0]) + W[:, 1]
            r = y - np.maximum(pre, 0.0) @ a
            phi = np.arctan2(W[1, 1], W[1, 0])
            predicted += 2 * np.log1p(lr * abs(float(st.relu_correlation(phi, X, r))))
            ga = -(np.maximum(pre, 0.0) * r[:, None]).mean(0)
            gW = -a[:, None] * (((pre > 0) * r[:, None]).T @ Z) / X.size
            a, W = a - lr * ga, W - lr * gW
        grown = np.log(abs(a[1]) * np.linalg.norm(W[1]) / size0)
        frozen = STEPS_GROW * 2 * np.log1p(lr * abs(G0))  # the same law without the drift
        assert grown == pytest.approx(predicted, rel=GROW_TOL)
        assert abs(frozen / grown - 1) > DRIFT_MARGIN * GROW_TOL  # the drift matters, clearly


def test_gd_growth_rate_is_the_log_eigenvalue_of_the_gd_map_symbolically() -> None:
    """The GD map on d(a, rho)/dt = G (rho, a) is I + lr [[0, G], [G, 0]], with eigenvalues
    1 +- lr G; the growing one gives ln(1 + lr G)/lr per unit time, which -> G as lr -> 0."""
    import sympy as sp

    G, lr = sp.symbols("G lr", positive=True)
    M = sp.eye(2) + lr * sp.Matrix([[0, G], [G, 0]])
    assert set(M.eigenvals()) == {1 + lr * G, 1 - lr * G}
    assert sp.limit(sp.log(1 + lr * G) / lr, lr, 0) == G
    assert st.gd_growth_rate(0.2, 0.05) == pytest.approx(float(sp.log(1 + 0.05 * 0.2) / 0.05))


def test_width_one_fixed_points_embed_along_a_ray_and_with_zero_units() -> None:
    """The first fixed point of family teachers embedded in a width-4 network two ways, each with
    zero autograd gradient in all 12 weights: split along its ray into three units
    (w_i, b_i) = c_i theta, a_i = c_i a / sum c_j^2 (the duplicated-unit embedding, Type II:
    units on one ray act as one) plus a zero unit; and one unit plus three zero units."""
    import torch

    for kinks, slopes, sides in _teachers()[:5]:
        y = st.ramp_teacher(X, kinks, slopes, sides)
        angle, a, _ = st.first_fixed_point(X, y)
        theta = np.array([np.cos(angle), np.sin(angle)])
        c = np.array([0.5, 1.0, 2.0])
        ray = (np.vstack([np.outer(c, theta), np.zeros(2)]), np.r_[c * a / (c @ c), 0.0])
        zero = (np.vstack([theta, np.zeros((3, 2))]), np.r_[a, 0.0, 0.0, 0.0])
        for W, out in (ray, zero):
            assert _network(W, out) == pytest.approx(_network(theta[None], np.array([a])))
            v = torch.tensor(np.r_[W.ravel(), out], requires_grad=True)
            f = torch.relu(torch.tensor(Z) @ v[:8].reshape(4, 2).T) @ v[8:]
            (grad,) = torch.autograd.grad(0.5 * ((f - torch.tensor(y)) ** 2).mean(), v)
            assert float(grad.abs().max()) < 1e-7


def _width_one_gd(y: np.ndarray, angle: float, sign: float, *, lr: float = 0.05) -> np.ndarray:
    """Plain numpy GD of one unit a relu(w x + b) from a tiny balanced start along ``angle``
    until its gradient vanishes; returns its function on the data."""
    v, a = 1e-4 * np.array([np.cos(angle), np.sin(angle)]), sign * 1e-4
    L0 = 0.5 * np.mean(y**2)
    for _ in range(200_000):
        pre = Z @ v
        r = y - a * np.maximum(pre, 0.0)
        ga, gv = -np.mean(r * np.maximum(pre, 0.0)), -a * ((pre > 0) * r) @ Z / y.size
        if 0.5 * np.mean(r**2) < 0.999 * L0 and np.hypot(ga, np.linalg.norm(gv)) < 1e-11:
            break
        a, v = a - lr * ga, v - lr * gv
    return a * np.maximum(Z @ v, 0.0)


def test_first_fixed_point_is_where_the_width_one_flow_from_the_escape_direction_ends() -> None:
    """first_fixed_point (walking down the width-1 loss profile from the maximiser of abs(G))
    against an independent numpy GD of a width-1 network started tiny along that maximiser, on
    ten teachers of the family: the same function on the data (within 1e-3 of ||y||), kink
    inside or outside the data."""
    outside = 0
    for kinks, slopes, sides in _teachers():
        y = st.ramp_teacher(X, kinks, slopes, sides)
        angle, a, loss = st.first_fixed_point(X, y)
        _, ang1, sign1 = st.relu_escape(X, y)
        f_gd = _width_one_gd(y, ang1, sign1)
        f = a * np.maximum(np.cos(angle) * X + np.sin(angle), 0.0)
        assert np.linalg.norm(f - f_gd) <= 1e-3 * np.linalg.norm(y)
        assert 0.5 * np.mean((y - f) ** 2) == pytest.approx(loss, rel=1e-9)
        outside += abs(np.tan(angle)) > 1
    assert 0 < outside < UNIT_TEACHERS  # the draw holds both kinds of first fixed point


def test_single_unit_fixed_points_include_the_affine_fit_with_its_kink_outside_the_data() -> None:
    """Every width-1 fixed point is stationary (central differences of the explicit loss), no two
    carry functions within MERGE_TOL ||y|| of each other; one
    whose kink lies outside the data (on the unit's active side) carries exactly the affine
    least-squares fit of y (numpy polyfit), and best_single_ramp is the lowest of them."""
    seen_affine = 0
    for kinks, slopes, sides in _teachers():
        y = st.ramp_teacher(X, kinks, slopes, sides)
        line = np.polyval(np.polyfit(X, y, 1), X)
        rows = st.single_unit_fixed_points(X, y)
        for angle, a, _ in rows:
            v = np.array([a, np.cos(angle), np.sin(angle)])
            for k in range(3):
                e = np.zeros(3)
                e[k] = 1e-6
                assert abs(_unit_loss(y, v + e) - _unit_loss(y, v - e)) / 2e-6 < 1e-6
            if np.all(np.cos(angle) * X + np.sin(angle) > 0):  # active on all the data
                seen_affine += 1
                f = a * (np.cos(angle) * X + np.sin(angle))
                assert np.linalg.norm(f - line) <= 1e-6 * np.linalg.norm(y)
        funcs = rows[:, 1:2] * np.maximum(np.cos(rows[:, :1]) * X + np.sin(rows[:, :1]), 0.0)
        gaps = np.linalg.norm(funcs[:, None] - funcs[None], axis=2) + np.eye(len(rows))
        assert np.all(gaps > MERGE_TOL * np.linalg.norm(y))  # one row per data-cell minimum
        c, d, s, best = st.best_single_ramp(X, y)
        assert best == pytest.approx(rows[0, 2], rel=1e-12)
        assert 0.5 * np.mean((y - s * np.maximum(d * (X - c), 0.0)) ** 2) == pytest.approx(best)
    assert seen_affine > 0


def _cell_fit_loss(y: np.ndarray, kink: float, side: float) -> float:
    """The loss of the least-squares line through the data on the active side d (x - c) > 0 of
    the kink c (zero on the other side): the best width-1 function with that active set."""
    on = side * (X - kink) > 0
    fit = np.zeros_like(y)
    fit[on] = np.polyval(np.polyfit(X[on], y[on], 1), X[on])
    return 0.5 * float(np.mean((y - fit) ** 2))


def test_relu_plateau_levels_takes_any_number_of_ramps() -> None:
    """Teachers of one to four ramps: the origin's level is (1/2N) sum y^2 with y summed ramp by
    ramp here, and the first fixed point's level is the loss of an independent least-squares
    line fitted to the data on the active side of its kink (numpy polyfit; the affine fit when
    the kink lies outside the data), below the origin's."""
    for n in (1, 2, 3, 4):
        for kinks, slopes, sides in st.draw_ramp_teachers(2, ramps=(n,), seed=n):
            levels = st.relu_plateau_levels(X, kinks, slopes, sides)
            y = sum(
                s * np.maximum(d * (X - k), 0.0)
                for k, s, d in zip(kinks, slopes, sides, strict=True)
            )
            assert levels[0] == pytest.approx(0.5 * np.mean(y**2), rel=1e-12)
            angle = st.first_fixed_point(X, y)[0]
            fit = _cell_fit_loss(y, -np.tan(angle), np.sign(np.cos(angle)))
            assert levels[1] == pytest.approx(fit, rel=1e-9) and levels[1] < levels[0]


def test_a_tiny_unit_adds_minus_sqrt_g_squared_plus_g_prime_squared_to_the_hessian() -> None:
    """At the origin of the target y = sin(5x), where the maximiser of sqrt(G^2 + G'^2) is not
    that of abs(G),
    the exact Hessian (torch autograd, width 1) with a tiny unit a = 0, (w, b) = 1e-3 theta has
    most negative eigenvalue -sqrt(G^2 + G'^2) at theta, which exceeds lambda = max abs(G); with
    the unit at the maximiser of abs(G) (where G' = 0) it is -lambda (§9.2)."""
    import torch

    y = np.sin(5 * X)  # the origin is a fixed point for every target
    lam, ang_g, _ = st.relu_escape(X, y)
    phi = np.linspace(-np.pi, np.pi, 40_000, endpoint=False)
    curv = st.relu_unit_curvature(phi, X, y)
    ang_c = phi[int(np.argmax(curv))]
    assert curv.max() > 2 * lam  # the two maxima differ here
    Zt, Y = torch.tensor(Z), torch.tensor(y)

    def loss(u):
        return 0.5 * ((u[0] * torch.relu(Zt @ u[1:]) - Y) ** 2).mean()

    def smallest(angle):
        u = torch.tensor([0.0, 1e-3 * np.cos(angle), 1e-3 * np.sin(angle)], dtype=torch.float64)
        return float(torch.linalg.eigvalsh(torch.autograd.functional.hessian(loss, u))[0])

    assert smallest(ang_c) == pytest.approx(-curv.max(), rel=1e-4)
    at_max = smallest(ang_g)
    assert at_max == pytest.approx(-float(st.relu_unit_curvature(ang_g, X, y)), rel=1e-4)
    # G' = 0 at the maximiser up to a one-sided derivative where the kink crosses a data point
    assert at_max == pytest.approx(-lam, rel=1e-3)


def test_the_single_unit_plateau_is_read_by_its_level_for_any_number_of_ramps() -> None:
    """A run of a three-ramp teacher whose loss (synthetic: three logistic drops) passes the
    origin, the first fixed point's level, a lower level and the exact fit: the single-unit
    plateau is the one at the first fixed point's level, between the first and second
    transitions -- not between the last two -- and a curve that never leaves it has none."""
    kinks, slopes, sides = next(t for t in _teachers() if len(t[0]) == 3)
    y = st.ramp_teacher(X, kinks, slopes, sides)
    origin, unit = st.relu_plateau_levels(X, kinks, slopes, sides)
    t = np.linspace(0.0, 60.0, 1201)

    def drop(t0, hi, lo):
        return (hi - lo) / (1 + np.exp(4 * (t - t0)))

    lower = unit / 3
    L = drop(10, origin, unit) + drop(25, unit, lower) + drop(40, lower, 0) + 1e-8 * origin
    stuck = drop(10, origin, unit) + unit  # leaves the origin, never the single unit
    loss = np.stack([L, stuck])
    H = 4
    run = st.ReluRun(Z=Z, y=y, sigma=1e-6, lr=0.05, time=t, loss=loss,
                     W=np.zeros((2, t.size, H, 2)), a=np.zeros((2, t.size, H)), x=X,
                     kinks=kinks, slopes=slopes, sides=sides)  # fmt: skip
    span, none = st.unit_plateau_span(run)
    assert span == pytest.approx((10.0, 25.0), abs=0.06) and none is None
    assert st.unit_run_escaped(run).tolist() == [True, False]
    assert st.unit_plateau_level(run)[0] == pytest.approx(unit, rel=1e-3)


@pytest.fixture(scope="module")
def family() -> dict:
    """The family's runs (the drawn teachers, then STATED_FAILURES) and, from each teacher alone,
    lambda_1, the first fixed point and the visit tolerance; then each run's first visit of that
    fixed point."""
    teachers = _family_teachers() + STATED_FAILURES  # the notebook's call
    run = st.train_relu_teachers(teachers, seeds=FAMILY_SEEDS, train=FAMILY_TRAIN)
    v = st.family_visits(run, tol_cap=VISIT_TOL, merge=MERGE_TOL)  # what the figure reads
    return dict(run=run, lam=v.lam, fps=v.fps, funcs=v.funcs, tol=v.tol, dist=v.dist,
                dwell=v.dwell, mid=v.mid, nearest=v.nearest, other_first=v.other_first)  # fmt: skip


@pytest.mark.slow
@pytest.mark.claim(
    "s2s-relu-fixed-points",
    chapter="saddle_to_saddle",
    statement=f"On {FAMILY_TEACHERS} teachers of two or three ramps drawn from the family (kinks "
    "in [-0.7, 0.7] at least 0.3 apart, slopes in [0.5, 3], random sides; one start each, width "
    f"20, sigma = 1e-6, 200 time units), every one with lambda_1 >= {LAM_MIN} (the horizon then "
    f"covers the escape and {DWELL_FACTOR:g}/lambda_1), the network's first plateau sits at the "
    "width-1 fixed point computed from the teacher alone (first_fixed_point: downhill on the "
    "width-1 loss from the maximiser of abs(G); minima within "
    f"{MERGE_TOL} ||y|| of each other, in neighbouring data cells, are one), kink inside or "
    f"outside the data: its first stay within {VISIT_TOL} ||y|| of it (or half the distance to "
    "the nearest other width-1 fixed point, if smaller), with no other width-1 fixed point "
    f"visited before, lasts at least {DWELL_FACTOR:g}/lambda_1, and there every large unit lies "
    f"on that one ray (cosine >= {RAY_COS}). It fails outside and at the edge of that "
    "sub-family: the slow corner (kinks -0.7 and 0.7, slopes 0.5, rising outwards; lambda_1 = "
    "0.024) never reaches the fixed point in the run, and a teacher whose escape is affine and "
    "whose kink then creeps into the data (kinks -0.452 and 0.677, slopes 2.415 and 0.798; "
    f"lambda_1 = 0.247) reaches it but stays less than {DWELL_FACTOR:g}/lambda_1. On two "
    "further draws of 30 (seeds 1 and 2, checked outside CI) 58 of 60 held: one teacher at the "
    "edge (lambda_1 = 0.150) escaped affinely and its kink was still creeping towards the "
    "fixed point at the end of the run, and one had "
    "a large unit at cosine 0.9988 of the ray",
    worst="max",
)
def test_relu_first_plateau_is_the_predicted_width_one_fixed_point(family, record_property) -> None:
    run, lam, fps, tol = family["run"], family["lam"], family["fps"], family["tol"]
    dist, dwell, near = family["dist"], family["dwell"], family["nearest"]
    n, worst_cos, carriers = FAMILY_TEACHERS, 1.0, []
    for t, i in np.ndindex(n, FAMILY_SEEDS):  # the plateau sits at the ray-split embedding
        W, a = run.W[t, i, near[t, i]], run.a[t, i, near[t, i]]
        size = np.abs(a) * np.linalg.norm(W, axis=1)
        big = W[size >= 0.1 * size.max()]
        theta = np.array([np.cos(fps[t, 0]), np.sin(fps[t, 0])])
        worst_cos = min(worst_cos, float((big @ theta / np.linalg.norm(big, axis=1)).min()))
        carriers.append(len(big))
    short = dwell * lam[:, None] / DWELL_FACTOR
    outside = int(np.sum(np.abs(np.tan(fps[:n, 0])) > 1))
    record_property("measured", float(dist[:n].max()))
    record_property("measured", f"tolerance {tol[:n].min():.3f}-{tol[:n].max():.3f}; "
                    f"{dist[:n].size} runs on {n} teachers (lambda_1 {lam[:n].min():.3f}-"
                    f"{lam[:n].max():.2f}; {outside} with the first fixed point's kink outside "
                    f"the data): distance max {dist[:n].max():.4f}; first stay over "
                    f"{DWELL_FACTOR:g}/lambda_1 min {short[:n].min():.2f}; {min(carriers)}-"
                    f"{max(carriers)} large units, all on the predicted ray (cosine >= "
                    f"{worst_cos:.5f}); stated failures: slow corner distance min "
                    f"{dist[n].min():.3f}, creep teacher stay {short[n + 1].max():.2f} of "
                    f"{DWELL_FACTOR:g}/lambda_1")  # fmt: skip
    record_property("predicted", f"0 (distance over ||y||; <= {VISIT_TOL})")
    assert np.all(lam[:n] >= LAM_MIN)  # the draw lies in the sub-family ...
    assert np.all(dist[:n] <= tol[:n, None]) and np.all(short[:n] >= 1)
    assert not family["other_first"][:n].any() and worst_cos >= RAY_COS
    # ... and the stated failures fail as stated
    assert lam[n] < LAM_MIN and np.all(dist[n] > tol[n])
    assert lam[n + 1] >= LAM_MIN and np.all(dist[n + 1] <= tol[n + 1])
    assert np.all(short[n + 1] < 1)


def _hessian_min(W: np.ndarray, a: np.ndarray, y: np.ndarray) -> float:
    import torch

    Zt, Y, H = torch.tensor(Z), torch.tensor(y), W.shape[0]

    def loss(v):
        return 0.5 * ((torch.relu(Zt @ v[: 2 * H].reshape(H, 2).T) @ v[2 * H :] - Y) ** 2).mean()

    v = torch.tensor(np.concatenate([W.ravel(), a]))
    return float(torch.linalg.eigvalsh(torch.autograd.functional.hessian(loss, v))[0])


@pytest.mark.slow
@pytest.mark.claim(
    "s2s-relu-escape",
    chapter="saddle_to_saddle",
    statement="At the middle of the first plateau of the family's networks the loss Hessian's "
    "most negative eigenvalue is -max over the plateau's small units of sqrt(G^2 + G'^2) at "
    "their directions (relu_unit_curvature of the residual), not -lambda_2 = -max abs(G) in "
    f"general (within {HESS_TOL} lambda_2); it is -lambda_2 only where a small unit sits at the "
    "maximiser of abs(G). Where the first fixed point is affine on the data and every small unit "
    "has its kink outside the data (where G = 0) it is 0 and the network is still at that fixed "
    "point at the end of the run; at width 20 some affine first plateaus keep a small unit with "
    "its kink in the data (2 of 14 in this draw): their curvature is that unit's, not 0, and "
    "such a network can leave",
    worst="max",
)
def test_relu_plateau_hessian_is_set_by_the_small_units_directions(family, record_property) -> None:
    run, funcs, mid, fps = family["run"], family["funcs"], family["mid"], family["fps"]
    affine = np.array([np.all(np.cos(g) * X + np.sin(g) > 0) for g in fps[:, 0]])
    errs, at_lambda, flat, held = [], 0, 0, 0
    affine = affine[:FAMILY_TEACHERS]  # the drawn teachers (the stated failures have no plateau)
    for t, i in np.ndindex(FAMILY_TEACHERS, FAMILY_SEEDS):
        lam2 = st.relu_escape(X, run.y[t] - funcs[t])[0]
        j = int(mid[t, i])
        angles, curv = st.plateau_small_units(run, t, i, j)
        want = -curv.max() if curv.size else 0.0
        got = _hessian_min(run.W[t, i, j], run.a[t, i, j], run.y[t])
        errs.append(abs(got - want) / lam2)
        at_lambda += abs(got + lam2) <= HESS_TOL * lam2
        flat += abs(got) <= HESS_TOL * lam2
        stuck = affine[t] and not np.any(np.abs(np.tan(angles)) < 1)  # no small kink in the data
        held += affine[t] and not stuck
        if stuck:  # an affine first plateau with no way out: flat, and it stays to the run's end
            assert abs(got) <= HESS_TOL * lam2
            assert family["dist"][t, i] <= family["tol"][t]
            d_end = np.linalg.norm(
                st.family_functions(run, t, i, -1)[0] - funcs[t]
            ) / np.linalg.norm(run.y[t])
            assert d_end <= family["tol"][t]
    errs = np.array(errs)
    record_property("measured", float(errs.max()))
    record_property("measured", f"{errs.size} runs: error max {errs.max():.4f} of lambda_2; "
                    f"{at_lambda} at -lambda_2, {flat} flat (0); {affine.sum()} of {affine.size} "
                    f"teachers with an affine first plateau, {held} of them with a small unit's "
                    "kink in the data, the others flat and still there at the end")  # fmt: skip
    record_property("predicted", f"0 (error over lambda_2; <= {HESS_TOL})")
    assert np.all(errs <= HESS_TOL)


@pytest.mark.slow
@pytest.mark.claim(
    "s2s-relu-first-escape",
    chapter="saddle_to_saddle",
    statement="The first transition of the family's networks moves by 1/gd_growth_rate(lambda_1) "
    "per unit of ln(1/sigma), lambda_1 = max abs(G) of the teacher (sigma = 1e-6 against 1e-3, "
    f"the same starts rescaled), within {SLOPE_SHARE} of the gap between the GD and the "
    "gradient-flow rate, for every teacher and start",
    worst="max",
)
def test_relu_first_transition_moves_at_the_gd_escape_rate(family, record_property) -> None:
    run, lam = family["run"], family["lam"][:FAMILY_TEACHERS]
    # the same batch as the claim run, so that the starts are the same ones rescaled
    short = st.train_relu_teachers(_family_teachers() + STATED_FAILURES, seeds=FAMILY_SEEDS,
                                   sigma=SHORT_SIGMA, train=SHORT_TRAIN)  # fmt: skip
    times = st.first_transition_times(run) - st.first_transition_times(short)
    slope = times[:FAMILY_TEACHERS] / np.log(SHORT_SIGMA / run.sigma)
    gd = np.array([st.gd_growth_rate(v, run.lr) for v in lam])
    err = np.abs(slope * gd[:, None] - 1)
    allowed = SLOPE_SHARE * (lam / gd - 1)
    record_property("measured", float((err / allowed[:, None]).max()))
    record_property("measured", f"{err.size} runs: slope error max {err.max():.5f}; the GD "
                    f"correction {(lam / gd - 1).min():.4f}-{(lam / gd - 1).max():.4f}")  # fmt: skip
    record_property("predicted", f"0 (error over the GD correction; <= {SLOPE_SHARE})")
    assert np.all(err <= allowed[:, None])


def test_draw_ramp_teachers_stays_in_the_stated_family() -> None:
    """500 draws: two or three ramps, kinks in [-0.7, 0.7] at least 0.3 apart, slopes in
    [0.5, 3], both sides present; the same seed gives the same teachers."""
    teachers = st.draw_ramp_teachers(500, seed=3)
    counts = {len(k) for k, _, _ in teachers}
    assert counts == {2, 3}
    for kinks, slopes, sides in teachers:
        assert np.all(np.abs(kinks) <= st.RAMP_FAMILY["kink_range"])
        assert np.all(np.diff(kinks) >= st.RAMP_FAMILY["min_gap"])
        assert np.all((slopes >= 0.5) & (slopes <= 3.0)) and set(sides) <= {-1.0, 1.0}
    assert {s for _, _, d in teachers for s in d} == {-1.0, 1.0}
    again = st.draw_ramp_teachers(500, seed=3)
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(teachers, again, strict=True))


# ----------------------------------------------------------------------------------------------
# ReLU networks (§9): tests/test_saddle_to_saddle_relu.py; what §10 shares with them
# ----------------------------------------------------------------------------------------------
#: a unit escapes along the fastest direction when its (weights, bias) at the plateau's middle
#: lie within this cosine of the maximiser of abs(G)
ESCAPE_COS = 0.99
#: the escape growth at a single-unit plateau against 2 gd_growth_rate(lambda) (relative): it
#: tells lambda from the slower stationary directions of G, not the GD correction (~0.5 %)
ESCAPE_GROWTH_TOL = 0.01
#: the Hessian at a single-unit plateau against -lambda (relative)
ESCAPE_HESS_TOL = 0.03


def _check_escape(run) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """On the single-unit plateau of every seed that escapes along the fastest direction (the
    escaping unit within cos ESCAPE_COS of the maximiser of abs(G)): its growth against the GD rate of
    the second escape, within ESCAPE_GROWTH_TOL (this does not resolve the GD correction
    itself, about half of that), and the Hessian's most negative eigenvalue against -lambda
    (the unit sits where G' = 0), within ESCAPE_HESS_TOL. A seed whose unit escapes along
    another direction must grow no faster (lambda is the maximum). Returns (growth errors,
    Hessian errors, growth/2, Hessian, fast) over the escaping seeds."""
    ok = st.unit_run_escaped(run)
    lam = st.unit_run_second_escape(run)[0]
    rate = st.gd_growth_rate(lam, run.lr)
    growth = st.escape_growth(run)[ok] / 2
    hess = st.hessian_min_eigenvalue(run, at=0.5)[ok]
    fast = st.escape_alignment(run)[ok] >= ESCAPE_COS
    g_err, h_err = np.abs(growth / rate - 1), np.abs(-hess / lam - 1)
    assert fast.sum() >= 1 and np.all(g_err[fast] <= ESCAPE_GROWTH_TOL)
    assert np.all(h_err[fast] <= ESCAPE_HESS_TOL)
    assert np.all(growth[~fast] <= rate * (1 + ESCAPE_GROWTH_TOL))
    return g_err[fast], h_err[fast], growth, hess, fast


def _check_first_transition_slope(run, short, record_property) -> None:
    """The first transition moves by 1/gd_growth_rate(lambda_1) per unit of ln(1/sigma) between
    ``run`` and ``short`` (the same starts at another sigma), for every seed within SLOPE_SHARE
    of the relative gap between the GD rate and the gradient-flow rate lambda_1: a tolerance
    that tells the two apart."""
    slope = st.first_transition_slope(run, short)
    lam = st.unit_run_first_escape(run)[0]
    gd = st.gd_growth_rate(lam, run.lr)
    err = np.abs(slope * gd - 1)
    allowed = SLOPE_SHARE * (lam / gd - 1)
    record_property("measured", float(err.max() / allowed))
    record_property("measured", f"slope {slope.min():.4f}-{slope.max():.4f} against "
                    f"{1 / gd:.4f} (gradient flow {1 / lam:.4f}); {slope.size} seeds")  # fmt: skip
    record_property("predicted", f"0 (error over the GD correction; <= {SLOPE_SHARE})")
    assert np.all(err <= allowed)


# ----------------------------------------------------------------------------------------------
# ReLU convolutional networks (§10)
# ----------------------------------------------------------------------------------------------
def test_circular_patches_reproduce_a_circular_convolution() -> None:
    """relu(patches @ (w0, w1, b)) equals relu(w0 x_p + w1 x_{p+1 mod d} + b) computed with
    np.roll, position by position."""
    rng = np.random.default_rng(0)
    S = rng.standard_normal((3, 7))
    Z = st.circular_patches(S, 2)
    v = np.array([0.7, -1.2, 0.3])
    direct = np.maximum(v[0] * S + v[1] * np.roll(S, -1, axis=1) + v[2], 0.0).ravel()
    assert np.maximum(Z @ v, 0.0) == pytest.approx(direct, abs=1e-15)


def test_unit_correlation_on_x_and_one_is_the_one_dimensional_correlation() -> None:
    """unit_correlation with inputs (x, 1) and theta = (cos phi, sin phi) is relu_correlation,
    and it ignores the length of theta (relu is positively homogeneous)."""
    r = np.sin(3 * X)
    Z = np.stack([X, np.ones_like(X)], axis=1)
    for phi in (-2.0, 0.3, 1.9):
        th = np.array([np.cos(phi), np.sin(phi)])
        assert st.unit_correlation(5 * th, Z, r) == pytest.approx(
            st.relu_correlation(phi, X, r), rel=1e-13
        )


@pytest.fixture(scope="module")
def conv_relu_problem():
    run = st.train_conv_relu_network(seeds=1, train=st.CONV_RELU_TRAIN.replace(steps=2))
    return run.Z, run.y


def test_unit_escape_beats_a_million_random_directions(conv_relu_problem) -> None:
    """No direction among 10^6 random ones (independent of the search's points) has a larger
    abs(G) than unit_escape's lambda, and the best of them comes within 1 %."""
    Z, y = conv_relu_problem
    lam, theta, sign = st.unit_escape(Z, y)
    assert sign * st.unit_correlation(theta, Z, y) == pytest.approx(lam, rel=1e-12)
    pts = np.random.default_rng(7).standard_normal((1_000_000, 3))
    best = max(np.abs(st.unit_correlation(chunk, Z, y)).max() for chunk in np.split(pts, 20))
    assert best <= lam * (1 + 1e-9) and best >= 0.99 * lam


def test_best_single_unit_is_a_stationary_point_of_the_width_one_network(conv_relu_problem) -> None:
    """The width-1 network a relu(theta . z) at best_single_unit has zero gradient in (a, theta)
    (central differences of the explicit loss) and no random direction of 10^6 fits better."""
    Z, y = conv_relu_problem
    th, a, L = st.best_single_unit(Z, y)

    def loss(v):
        return 0.5 * float(np.mean((y - v[0] * np.maximum(Z @ v[1:], 0.0)) ** 2))

    v = np.r_[a, th]
    assert loss(v) == pytest.approx(L, rel=1e-12)
    for k in range(4):
        e = np.zeros(4)
        e[k] = 1e-6
        assert abs(loss(v + e) - loss(v - e)) / 2e-6 < 1e-5
    pts = np.random.default_rng(8).standard_normal((1_000_000, 3))
    for chunk in np.split(pts, 20):
        phi = np.maximum(chunk @ Z.T, 0.0)
        pp = (phi**2).sum(1)
        gain = np.where(pp > 0, (phi @ y) ** 2 / np.where(pp > 0, pp, 1), 0)
        assert 0.5 * (y @ y - gain.max()) / y.size >= L - 1e-12


#: the conv-ReLU single-unit plateau: its level within CONV_LEVEL_TOL (relative) of the best
#: single unit's loss, the function within CONV_DIST_TOL * ||y|| of it, every large channel and,
#: at the end, a channel per teacher kernel within cosine CONV_COS; a start that does not escape
#: ends within CONV_STAY_TOL * ||y|| of the single unit
CONV_LEVEL_TOL, CONV_DIST_TOL, CONV_COS, CONV_STAY_TOL = 0.05, 0.05, 0.99, 0.01


def _check_conv_relu_fixed_points(run) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every seed either reaches the exact fit through the single-unit plateau (the plateau the
    loss curve shows nearest the best single unit's level, wherever it lies) -- level within
    CONV_LEVEL_TOL of best_single_unit's loss, function within CONV_DIST_TOL of ||y|| of it,
    every large unit along its direction and each teacher kernel carried at the end (cosine
    >= CONV_COS) -- or stays at the single unit to the end. Returns (escaped, distances, level
    errors)."""
    escaped = st.unit_run_escaped(run)
    for i in np.flatnonzero(~escaped):
        assert st.end_distance(run)[i] <= CONV_STAY_TOL
    predicted = st.unit_run_predicted_levels(run)
    err = np.abs(st.unit_plateau_level(run)[escaped] - predicted[1]) / predicted[1]
    dist = st.plateau_distance(run)[escaped]
    plateau_cos, end_cos = st.conv_relu_kernel_alignment(run)
    assert escaped.sum() >= 1
    assert np.all(err <= CONV_LEVEL_TOL) and np.all(dist <= CONV_DIST_TOL)
    assert np.all(plateau_cos[escaped] >= CONV_COS) and np.all(end_cos[escaped] >= CONV_COS)
    return escaped, dist, err


@pytest.fixture(scope="module")
def conv_relu_run():
    return st.train_conv_relu_network(**st.sizes("ci").conv_relu.kwargs())  # the notebook's call


@pytest.mark.claim(
    "s2s-conv-relu-fixed-points",
    chapter="saddle_to_saddle",
    statement="A ReLU convolutional network (20 channels of size-2 kernels with a bias, 32 "
    "Gaussian signals of length 8, a teacher of two kernels with output weights 3 and 1; "
    "sigma = 1e-6; 10 seeds) learns one kernel per plateau: on the plateau at the best single "
    f"unit's level it sits at that unit (level within {CONV_LEVEL_TOL:.0%} of its loss, function "
    f"within {CONV_DIST_TOL:.0%} of ||y||, every large channel within cosine {CONV_COS} of that "
    "unit), and at the end each teacher kernel is carried by a channel; a start that does not "
    f"escape stays within {CONV_STAY_TOL:.0%} of ||y|| of the single unit. Checked outside CI on "
    "the same kernels with strengths (1, 3) and (3, 2), 5 seeds each: every seed holds (distance "
    "<= 0.040, level error <= 0.007)",
    worst="max",
)
def test_conv_relu_network_learns_one_kernel_per_plateau(conv_relu_run, record_property) -> None:
    escaped, dist, err = _check_conv_relu_fixed_points(conv_relu_run)
    record_property("measured", float(dist.max()))
    record_property("measured", f"{escaped.sum()} of {escaped.size} seeds reach the exact fit; "
                    f"distance to the single unit max {dist.max():.5f}; level error max "
                    f"{err.max():.5f}; transitions per seed "
                    f"{sorted({p.count for p in st.unit_run_plateaus(conv_relu_run)})}")  # fmt: skip
    record_property(
        "predicted", f"0 (distance to the best single unit over ||y||; <= {CONV_DIST_TOL})"
    )


@pytest.mark.claim(
    "s2s-conv-relu-escape",
    chapter="saddle_to_saddle",
    statement="On the single-unit plateau of the ReLU convolutional networks (10 seeds) the "
    "escaping channels that point along the maximiser of abs(G) (cosine >= "
    f"{ESCAPE_COS}) grow at twice the GD rate of lambda = max abs(G) over the patches' unit "
    f"directions (unit_escape of the plateau's residual; within {ESCAPE_GROWTH_TOL:.0%}, which "
    "does not resolve the GD correction), any other grows no faster, and, since such a channel "
    "sits where the gradient of G vanishes, the Hessian's most negative eigenvalue is -lambda "
    f"(within {ESCAPE_HESS_TOL:.0%})",
    worst="max",
)
def test_conv_relu_escape_rate_and_saddle_curvature_match_the_residual_correlation(
    conv_relu_run, record_property
) -> None:
    g_err, h_err, growth, hess, fast = _check_escape(conv_relu_run)
    lam = st.unit_run_second_escape(conv_relu_run)[0]
    record_property("measured", float(max(g_err.max(), h_err.max())))
    record_property("measured", f"growth/2 {growth.min():.4f}-{growth.max():.4f} against "
                    f"{st.gd_growth_rate(lam, conv_relu_run.lr):.4f}; Hessian {hess.min():.4f}-"
                    f"{hess.max():.4f} against {-lam:.4f}; {fast.sum()} of {fast.size} escaping "
                    "seeds along the fastest direction")  # fmt: skip
    record_property("predicted", f"0 (relative errors; growth <= {ESCAPE_GROWTH_TOL}, Hessian "
                    f"<= {ESCAPE_HESS_TOL})")  # fmt: skip


@pytest.mark.claim(
    "s2s-conv-relu-first-escape",
    chapter="saddle_to_saddle",
    statement="The first transition of the ReLU convolutional networks moves by "
    "1/gd_growth_rate(lambda_1) per unit of ln(1/sigma) (sigma = 1e-4 against 1e-6, the same 10 "
    f"starts rescaled; within {SLOPE_SHARE} of the gap between the GD and gradient-flow rates)",
    worst="max",
)
def test_conv_relu_first_transition_grows_like_log_one_over_sigma(
    conv_relu_run, record_property
) -> None:
    size = st.sizes("ci").conv_relu  # the notebook's call
    short = st.train_conv_relu_network(seeds=size.seeds, channels=size.channels, sigma=1e-4,
                                       train=size.train.replace(steps=600))  # fmt: skip
    _check_first_transition_slope(conv_relu_run, short, record_property)


#: the master seeds of the robustness check (the claims were fixed on master seed 0)
MASTERS = (1, 2, 3)
#: their steps: 450 time units, not the claim run's 600 -- with 600, every start of master seeds
#: 0-3 that reaches the exact fit does so by 404 (one start of seed 2 never does), so the tail
#: adds nothing to this check
MASTER_STEPS = 9000


@pytest.fixture(scope="module")
def conv_relu_masters():
    """The claim run's network for every master seed in MASTERS, in one torch model (each run as
    its master seed alone gives it)."""
    return st.train_conv_relu_masters(
        list(MASTERS), train=st.CONV_RELU_TRAIN.replace(steps=MASTER_STEPS)
    )


@pytest.mark.slow
@pytest.mark.parametrize("k", range(len(MASTERS)))
def test_conv_relu_claims_hold_for_other_master_seeds(conv_relu_masters, k) -> None:
    """The ReLU convolutional claims were fixed on master seed 0; with the signals and every start
    drawn from master seeds 1-3 the same thresholds hold (the one-dimensional claims are checked
    on teachers drawn from their family instead)."""
    _check_conv_relu_fixed_points(conv_relu_masters[k])
    _check_escape(conv_relu_masters[k])


def test_hand_written_relu_gradient_is_autograds() -> None:
    """The batched ReLU runs step with a gradient written out by hand (no autograd graph): at
    random weights of three networks it equals torch autograd's gradient of the summed loss."""
    import torch
    from theorybench.saddle_to_saddle.relu.training import _relu_loss

    rng = np.random.default_rng(4)
    Xt = torch.tensor(X)
    Y = torch.tensor(rng.normal(size=(3, X.size)))
    w, b, a = (torch.tensor(rng.normal(size=(3, 7)), requires_grad=True) for _ in range(3))
    f = torch.einsum("snh,sh->sn", torch.relu(Xt[None, :, None] * w[:, None] + b[:, None]), a)
    want = torch.autograd.grad(0.5 * ((f - Y) ** 2).mean(dim=1).sum(), [w, b, a])
    L, _, grads = _relu_loss(Xt, Y, w.detach(), b.detach(), a.detach())
    assert float(L.sum()) == pytest.approx(0.5 * float(((f - Y) ** 2).mean(dim=1).sum().detach()))
    for got, ref in zip(grads(), want, strict=True):
        np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=1e-12, atol=1e-14)


def test_conv_relu_run_is_gradient_descent_of_a_circular_conv1d_network() -> None:
    """train_conv_relu_network (patches, batched matrix products, gradient by hand) against the
    network written as torch conv1d on circularly padded signals, differentiated by autograd:
    five GD steps from the run's own start give the same weights."""
    import torch
    import torch.nn.functional as F

    run = st.train_conv_relu_network(seeds=2, channels=3, sigma=0.3, record_every=1,
                                     train=st.CONV_RELU_TRAIN.replace(steps=5))  # fmt: skip
    X = F.pad(torch.tensor(run.signals)[:, None], (0, 1), mode="circular")  # (n, 1, d + 1)
    Y = torch.tensor(run.y.reshape(run.signals.shape))
    for s in range(2):
        w = torch.tensor(run.W[s, 0, :, None, :2], requires_grad=True)  # (C, 1, 2)
        b = torch.tensor(run.W[s, 0, :, 2], requires_grad=True)
        a = torch.tensor(run.a[s, 0][None, :, None], requires_grad=True)  # (1, C, 1)
        for _ in range(5):
            out = F.conv1d(torch.relu(F.conv1d(X, w, b)), a)[:, 0]
            grads = torch.autograd.grad(0.5 * ((out - Y) ** 2).mean(), [w, b, a])
            with torch.no_grad():
                for p, g in zip((w, b, a), grads, strict=True):
                    p -= run.lr * g
        np.testing.assert_allclose(run.W[s, 5, :, :2], w.detach()[:, 0].numpy(), rtol=1e-10)
        np.testing.assert_allclose(run.W[s, 5, :, 2], b.detach().numpy(), rtol=1e-10)
        np.testing.assert_allclose(run.a[s, 5], a.detach()[0, :, 0].numpy(), rtol=1e-10)
