"""Symbolic checks (sympy) of each algebraic step shown on theory/lion.md.

Inner products are sums over coordinates of products, and every identity below holds coordinate
by coordinate with the same scalars alpha, gamma, lam, eps; so checking it for scalar symbols
proves it for vectors of any dimension.
"""

from __future__ import annotations

import pytest
import sympy as sp

alpha, gamma, lam, eps, delta = sp.symbols("alpha gamma lambda epsilon delta", positive=True)
x, m, G, gKt, gKm, u, t, y = sp.symbols("x m G gKt gKm u t y", real=True)
c = (1 - eps * gamma) / (1 + eps * lam)


def test_coefficient_identity() -> None:
    """eps (gamma + c lam) - 1 = -c  (step 3 of the derivation)."""
    assert sp.simplify(eps * (gamma + c * lam) - 1 + c) == 0


def test_first_coefficient_is_positive_for_any_eps_gamma() -> None:
    """gamma + c lam = (gamma + lam) / (1 + eps lam) > 0 whatever eps gamma is; eps gamma <= 1 is
    what makes c >= 0 (the second term of Delta and the Fenchel term of H need that)."""
    g, l, e = sp.symbols("g l e", positive=True)
    cc = (1 - e * g) / (1 + e * l)
    assert sp.simplify(g + cc * l - (g + l) / (1 + e * l)) == 0
    assert sp.simplify(g + cc * l).is_positive
    # c = (1 - eps gamma) / (positive): c >= 0 exactly when eps gamma <= 1
    assert (1 + e * l).is_positive and sp.simplify(cc * (1 + e * l) - (1 - e * g)) == 0


@pytest.mark.claim(
    "lion-dissipation",
    chapter="lion",
    statement="dH/dt = -Delta with both terms of Delta non-negative (our derivation)",
)
def test_dH_dt_equals_minus_dissipation() -> None:
    """Chain rule of H along the ODE equals -(term1 + term2) once the ODE is substituted.

    G = grad f(x), gKt = grad K(m~), gKm = grad K(m), u = grad K*(lam x) (so d/dt K*(lam x) = lam u xdot).
    """
    xdot = gKt - lam * x
    mdot = -alpha * G - gamma * m
    m_tilde = m + eps * mdot
    dH = (
        alpha * G * xdot
        + (gamma / lam) * lam * u * xdot
        + c * (lam * u * xdot + gKm * mdot - lam * (mdot * x + m * xdot))
    )
    term1 = (gamma + c * lam) * (gKt - lam * x) * (m_tilde - u)
    term2 = c * mdot * (gKt - gKm)
    assert sp.simplify(dH + term1 + term2) == 0


def test_mtilde_is_m_plus_eps_mdot() -> None:
    """m~ = m - eps (alpha G + gamma m) = m + eps mdot: why term2 is (c/eps)(m~ - m).(...)."""
    mdot = -alpha * G - gamma * m
    assert sp.simplify((m - eps * (alpha * G + gamma * m)) - (m + eps * mdot)) == 0


@pytest.mark.claim(
    "lion-euler-map",
    chapter="lion",
    statement="Discrete Lion-K is an Euler step of the ODE with alpha = gamma = (1-beta2)/lr",
)
def test_discrete_lion_is_euler_step_of_the_ode() -> None:
    """alpha = gamma = (1-beta2)/lr, eps = lr (1-beta1)/(1-beta2) map the ODE onto Lion-K."""
    lr, b1, b2 = sp.symbols("lr beta1 beta2", positive=True)
    a = g = (1 - b2) / lr
    e = lr * (1 - b1) / (1 - b2)
    m_next_discrete = b2 * m - (1 - b2) * G
    m_next_euler = m + lr * (-a * G - g * m)
    assert sp.simplify(m_next_discrete - m_next_euler) == 0
    mt_discrete = b1 * m - (1 - b1) * G
    mt_ode = m - e * (a * G + g * m)
    assert sp.simplify(mt_discrete - mt_ode) == 0
    assert sp.simplify(e * g - (1 - b1)) == 0  # so eps gamma <= 1 always


@pytest.mark.claim(
    "lion-conjugates", chapter="lion", statement="The conjugates K* of the Lion-K table"
)
def test_conjugate_of_half_square_is_half_square() -> None:
    """K = x^2/2: sup_x (y x - x^2/2) is attained at x = y and equals y^2/2 (strictly concave)."""
    obj = y * x - x**2 / 2
    (x_star,) = sp.solve(sp.diff(obj, x), x)
    assert sp.diff(obj, x, 2) < 0
    assert sp.simplify(obj.subs(x, x_star) - y**2 / 2) == 0


@pytest.mark.claim(
    "lion-conjugates", chapter="lion", statement="The conjugates K* of the Lion-K table"
)
def test_conjugate_of_huber_inside_the_box() -> None:
    """K = huber_delta: for |y| <= 1 the sup of y x - x^2/(2 delta) is at x = delta y (inside the
    quadratic piece |x| <= delta) with value delta y^2 / 2; hence K*(lam x) = delta lam^2 x^2 / 2."""
    obj = y * x - x**2 / (2 * delta)
    (x_star,) = sp.solve(sp.diff(obj, x), x)
    assert sp.simplify(x_star - delta * y) == 0
    assert sp.simplify(obj.subs(x, x_star) - delta * y**2 / 2) == 0
    # the linear piece |x| > delta cannot do better when |y| <= 1: y x - |x| + delta/2 is
    # non-increasing in |x| there, and at |x| = delta both pieces agree
    assert sp.simplify((y * delta - delta**2 / (2 * delta)) - (y * delta - delta + delta / 2)) == 0


@pytest.mark.claim(
    "lion-conjugates", chapter="lion", statement="The conjugates K* of the Lion-K table"
)
@pytest.mark.parametrize("name", ["sq", "huber"])
def test_regulariser_column_of_the_table_from_the_definition_of_K(name: str) -> None:
    """K*(lam x)/lam derived by sympy from K's definition (sup_z lam x z - K(z), at the root of
    its derivative, a maximum) against the library's constrained_objective at sample points
    inside the box: lam/2 x^2 for sq, delta lam/2 x^2 for huber."""
    import numpy as np
    from theorybench import lion

    z = sp.symbols("z", real=True)
    K = z**2 / 2 if name == "sq" else z**2 / (2 * delta)  # huber on its quadratic piece
    obj = lam * x * z - K
    (z_star,) = sp.solve(sp.diff(obj, z), z)
    assert sp.simplify(sp.diff(obj, z, 2)) < 0
    if name == "huber":  # the root must lie on the quadratic piece |z| <= delta: |lam x| <= 1
        assert sp.simplify(z_star - delta * lam * x) == 0
    regulariser = sp.lambdify((x, lam, delta), sp.simplify(obj.subs(z, z_star) / lam))
    rng = np.random.default_rng(0)
    for _ in range(20):
        lam_v, delta_v = rng.uniform(0.3, 3.0, 2)
        x_v = rng.uniform(-1, 1) / lam_v
        k = lion.Kappa(name, delta=delta_v)
        library = float(lion.constrained_objective(0.0, np.array([x_v]), lam_v, k))
        assert library == pytest.approx(regulariser(x_v, lam_v, delta_v), rel=1e-12, abs=1e-15)


@pytest.mark.claim(
    "lion-stationary",
    chapter="lion",
    statement="The rest points of the Lion-K ODE are the stationary points of "
    "alpha f(x) + (gamma/lam) K*(lam x) (§5), derived for a quadratic f with K = sq and with "
    "Huber K inside the box",
)
@pytest.mark.parametrize("name", ["sq", "huber"])
def test_rest_points_of_the_ode_minimise_the_stated_objective(name: str) -> None:
    """Solve dx/dt = dm/dt = 0 for (x, m) with f = a/2 (x - b)^2 (sympy), and separately the
    root of F'(x) for F = alpha f + (gamma/lam) K*(lam x): the two x agree for every symbol
    value. (A wrong weight of K* in F, e.g. gamma lam, would make them differ.)"""
    a, b = sp.symbols("a b", positive=True)
    grad_f = a * (x - b)
    if name == "sq":
        grad_K, K_star = (lambda v: v), (lambda v: v**2 / 2)
    else:
        grad_K, K_star = (lambda v: v / delta), (lambda v: delta * v**2 / 2)
    mdot = -alpha * grad_f - gamma * m
    m_tilde = m + eps * mdot
    rest = sp.solve([grad_K(m_tilde) - lam * x, mdot], [x, m], dict=True)
    assert len(rest) == 1
    F = alpha * a * (x - b) ** 2 / 2 + gamma / lam * K_star(lam * x)
    (x_min,) = sp.solve(sp.diff(F, x), x)
    assert sp.simplify(rest[0][x] - x_min) == 0
    assert sp.simplify(sp.diff(F, x, 2)).is_positive


def test_discrete_H_identity_for_implicit_weight_decay() -> None:
    """§4.1, eq. lion-discrete: along one step of the implicit-decay scheme
    (m' = m + eta mdot, m~ = m + eps mdot, x' = (x + eta v)/(1 + eta lam)),
    H' - H = alpha r_f + (gamma/lam + c) r_* + c r_K - eta (T1 + T2) exactly, with the
    remainders of f, K* and K kept as free symbols."""
    eta = sp.symbols("eta", positive=True)
    f0, f1, K0, K1, S0, S1, u1, v, gK1 = sp.symbols("f0 f1 K0 K1 S0 S1 u1 v gK1", real=True)
    mdot = -alpha * G - gamma * m
    m1, mt = m + eta * mdot, m + eps * mdot
    x1 = (x + eta * v) / (1 + eta * lam)
    dx = x1 - x
    H0 = alpha * f0 + gamma / lam * S0 + c * (S0 + K0 - lam * m * x)
    H1 = alpha * f1 + gamma / lam * S1 + c * (S1 + K1 - lam * m1 * x1)
    r_f = f1 - f0 - G * dx  # f(x') - f(x) - grad f(x).(x' - x)
    r_star = S1 - S0 - lam * u1 * dx  # K*(lam x') - K*(lam x) - u'.(lam x' - lam x)
    r_K = K1 - K0 - gK1 * (m1 - m)  # K(m') - K(m) - grad K(m').(m' - m)
    T1 = (gamma + c * lam) * (mt - u1) * (v - lam * x1)
    T2 = c / (eps - eta) * (mt - m1) * (v - gK1)
    rhs = alpha * r_f + (gamma / lam + c) * r_star + c * r_K - eta * (T1 + T2)
    assert sp.simplify(H1 - H0 - rhs) == 0


def test_implicit_decay_is_the_explicit_step_up_to_second_order() -> None:
    """x'_implicit - x'_explicit = lr^2 lam (lam x - v) / (1 + lr lam)."""
    eta, v = sp.symbols("eta v", real=True)
    explicit = x + eta * (v - lam * x)
    implicit = (x + eta * v) / (1 + eta * lam)
    assert sp.simplify(implicit - explicit - eta**2 * lam * (lam * x - v) / (1 + eta * lam)) == 0
