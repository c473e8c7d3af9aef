"""Symbolic checks (sympy) of the algebra on theory/chinchilla.md."""

from __future__ import annotations

import pytest
import sympy as sp

A, B, C, E, alpha, beta, N = sp.symbols("A B C E alpha beta N", positive=True)
G = (alpha * A / (beta * B)) ** (1 / (alpha + beta))
a, b = beta / (alpha + beta), alpha / (alpha + beta)
N_star = G * (C / 6) ** a
D_star = (C / 6) ** b / G


@pytest.mark.claim(
    "ch-allocation",
    chapter="chinchilla",
    statement="N* = G (C/6)^a, D* = (C/6)^b / G minimise L on 6ND = C",
)
def test_first_order_condition_gives_the_optimal_allocation() -> None:
    """d/dN [A N^-alpha + B (C/6N)^-beta] = 0 at N*, and 6 N* D* = C."""
    reducible = A * N**-alpha + B * (C / (6 * N)) ** -beta
    derivative = sp.diff(reducible, N).subs(N, N_star)
    assert (
        sp.simplify(sp.powsimp(sp.expand_power_base(derivative * N_star, force=True), force=True))
        == 0
    )
    assert sp.simplify(6 * N_star * D_star - C) == 0


def test_optimal_loss_is_a_single_power_law() -> None:
    """L(N*, D*) = E + K (C/6)^-gamma with gamma = alpha beta/(alpha+beta), K = A G^-alpha + B G^beta."""
    gamma = alpha * beta / (alpha + beta)

    def log_form(x: sp.Expr) -> sp.Expr:
        return sp.expand(sp.expand_log(sp.log(x), force=True))

    # each term is (its coefficient in K) x (C/6)^-gamma: compare logarithms, term by term
    assert (
        sp.simplify(log_form(A * N_star**-alpha) - log_form(A * G**-alpha * (C / 6) ** -gamma)) == 0
    )
    assert sp.simplify(log_form(B * D_star**-beta) - log_form(B * G**beta * (C / 6) ** -gamma)) == 0


def test_isoflop_first_order_condition() -> None:
    """Along N = N* 10^w: d/dw [A' 10^{-alpha w} + B' 10^{beta w}] = 0 at w = 0 iff A' = beta/alpha B'."""
    w, Ap, Bp = sp.symbols("w Ap Bp", positive=True)
    slope = sp.diff(Ap * 10 ** (-alpha * w) + Bp * 10 ** (beta * w), w).subs(w, 0)
    assert sp.solve(sp.Eq(slope, 0), Ap) == [beta / alpha * Bp]


@pytest.mark.claim(
    "ch-dw-closed-form",
    chapter="chinchilla",
    statement="The closed form of dw equals a numerical parabola fit (our derivation)",
)
def test_least_squares_parabola_on_a_symmetric_grid() -> None:
    """For the symmetric grid s = (-2h, -h, 0, h, 2h) and any data g, the least-squares parabola
    r + q s + p s^2 has q = sum s g / sum s^2 and p = sum (s^2 - m2) g / sum (s^2 - m2)^2."""
    h = sp.Symbol("h", positive=True)
    g = sp.symbols("g0:5", real=True)
    s = [-2 * h, -h, 0, h, 2 * h]
    r, q, p = sp.symbols("r q p", real=True)
    rss = sum((r + q * si + p * si**2 - gi) ** 2 for si, gi in zip(s, g, strict=True))
    sol = sp.solve([sp.diff(rss, v) for v in (r, q, p)], [r, q, p], dict=True)[0]
    m2 = sum(si**2 for si in s) / 5
    q_formula = sum(si * gi for si, gi in zip(s, g, strict=True)) / sum(si**2 for si in s)
    p_formula = sum((si**2 - m2) * gi for si, gi in zip(s, g, strict=True)) / sum(
        (si**2 - m2) ** 2 for si in s
    )
    assert sp.simplify(sol[q] - q_formula) == 0
    assert sp.simplify(sol[p] - p_formula) == 0


@pytest.mark.claim(
    "ch-alpha-eq-beta", chapter="chinchilla", statement="Approach 2 is unbiased when alpha = beta"
)
def test_alpha_equals_beta_makes_the_odd_moment_vanish() -> None:
    """alpha = beta: g(w) = 10^{-alpha w} + 10^{alpha w} is even, so q = sum s g(s) = 0."""
    w, h = sp.symbols("w h", positive=True)
    g = 10 ** (-alpha * w) + 10 ** (alpha * w)
    assert sp.simplify(g - g.subs(w, -w)) == 0
    s = [-2 * h, -h, 0, h, 2 * h]
    assert sp.simplify(sum(si * g.subs(w, si) for si in s)) == 0
