"""Att-SVM: the max-margin token-separating SVM (Frobenius and nuclear norm, cvxpy), optimal tokens, local optimality and direction correlation (numpy/cvxpy only)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .. import _checks
from .._checks import integer_at_least as _integer_at_least
from .._checks import one_of as _one_of

__all__ = [
    "optimal_tokens",
    "SVMResult",
    "AttSVMInfeasible",
    "att_svm",
    "is_locally_optimal",
    "direction_correlation",
    "effective_rank",
    "attention_loss",
    "selection_loss",
    "ray_slope",
    "synthetic_instance",
    "QUERIES",
]

Array = NDArray[np.float64]

#: query tokens of :func:`synthetic_instance`: the first token (self) or an independent one (cross)
QUERIES = ("self", "cross")


# ----------------------------------------------------------------------------------------------
# Argument checks
# ----------------------------------------------------------------------------------------------
def _tokens(X: ArrayLike) -> Array:
    X = _checks.finite_array(X, "X")
    if X.ndim != 3 or min(X.shape) < 1 or X.shape[1] < 2:
        raise ValueError(f"X must have shape (n, T, d) with T >= 2 tokens, got {X.shape}")
    return X


def _queries(Z: ArrayLike, X: Array) -> Array:
    Z = _checks.finite_array(Z, "Z", ndim=2)
    if Z.shape != (X.shape[0], X.shape[2]):
        raise ValueError(f"Z must have shape (n, d) = {(X.shape[0], X.shape[2])}, got {Z.shape}")
    return Z


def _indices(opt: ArrayLike, X: Array, name: str = "opt") -> NDArray[np.int64]:
    opt = np.asarray(opt)
    n, T = X.shape[:2]
    if opt.shape != (n,) or not np.issubdtype(opt.dtype, np.integer):
        raise ValueError(f"{name} must be {n} integer token indices, got {opt!r}")
    if np.any(opt < 0) or np.any(opt >= T):
        raise ValueError(f"{name} must index tokens 0..{T - 1}, got {opt!r}")
    return opt.astype(np.int64)


def _scores(X: Array, Y: Array, v: Array) -> Array:
    """gamma_it = Y_i v' x_it, or ValueError if a score is not a finite number (overflow)."""
    with np.errstate(over="ignore", invalid="ignore"):
        gamma = Y[:, None] * (X @ v)
    if not np.all(np.isfinite(gamma)):
        raise ValueError("X and v must give finite scores v' x_it (|v' x_it| <= 1e308)")
    return gamma


def _labels_head(Y: ArrayLike, v: ArrayLike, X: Array) -> tuple[Array, Array]:
    Y, v = _checks.finite_array(Y, "Y"), _checks.finite_array(v, "v")
    if Y.shape != (X.shape[0],) or not np.all(np.abs(Y) == 1):
        raise ValueError(f"Y must hold {X.shape[0]} labels in {{-1, +1}}, got {Y!r}")
    if v.shape != (X.shape[2],):
        raise ValueError(f"v must have shape (d,) = ({X.shape[2]},), got {v.shape}")
    return Y, v


# ----------------------------------------------------------------------------------------------
# Token scores and the Att-SVM (§2)
# ----------------------------------------------------------------------------------------------
def optimal_tokens(X: ArrayLike, Y: ArrayLike, v: ArrayLike) -> tuple[Array, NDArray[np.int64]]:
    """Token scores gamma_it = Y_i v' x_it and the optimal tokens opt_i = argmax_t gamma_it (§2).

    Ties raise ValueError: the optimal token must be unique for the Att-SVM to be defined.

    Parameters
    ----------
    X : array_like
        Tokens, shape (n, T, d) with T >= 2.
    Y : array_like
        Labels in {-1, +1}, shape (n,).
    v : array_like
        The prediction head, shape (d,).

    Returns
    -------
    tuple
        ``(gamma, opt)``: scores (n, T) and optimal token indices (n,).
    """
    X = _tokens(X)
    Y, v = _labels_head(Y, v, X)
    gamma = _scores(X, Y, v)
    top2 = np.sort(gamma, axis=1)[:, -2:]
    if np.any(top2[:, 1] - top2[:, 0] <= 1e-12 * np.maximum(1, np.abs(top2[:, 1]))):
        raise ValueError("every sample needs a unique highest-scoring token (gamma has a tie)")
    return gamma, np.argmax(gamma, axis=1)


@dataclass(frozen=True)
class SVMResult:
    """Solution of :func:`att_svm`."""

    W: Array  # (d, d) the max-margin W^mm
    margins: Array  # (n, T): (x_opt - x_t)' W z_i; 0 at the selected token (no constraint)
    duals: Array  # (n, T): multipliers of the margin constraints; 0 at the selected token
    norm: str
    value: float  # ||W^mm|| in the chosen norm

    def support(self, tol: float = 1e-6) -> NDArray[np.bool_]:
        """(n, T) mask of the support tokens: constraints active at margin 1."""
        return np.abs(self.margins - 1) <= tol


class AttSVMInfeasible(ValueError):
    """No W separates the selected tokens with margin 1; ``blocking`` names the samples of an
    irreducible infeasible subset."""

    def __init__(self, blocking: list[int]) -> None:
        self.blocking = blocking
        super().__init__(
            f"Att-SVM is infeasible: no W separates the selected tokens; samples {blocking} "
            "cannot be separated together (an irreducible infeasible subset)"
        )


def _constraint_rows(X: Array, Z: Array, opt: NDArray[np.int64]) -> tuple[Array, Array, Array]:
    n, T, _ = X.shape
    idx = np.arange(n)
    diff = X[idx, opt][:, None, :] - X  # (n, T, d): x_opt - x_t
    keep = np.ones((n, T), dtype=bool)
    keep[idx, opt] = False
    return diff[keep], np.repeat(Z, T - 1, axis=0), keep


def _scaled_rows(X: Array, Z: Array, opt: NDArray[np.int64]) -> tuple[Array, float, Array]:
    """The margin rows A_k = vec((x_opt - x_t) z_i') divided by their largest norm c, so that the
    solvers see entries of order 1 whatever the scale of X and Z (margin_k = c A'_k . vec(W))."""
    rows, zs, keep = _constraint_rows(X, Z, opt)
    return (*_unit_rows(rows, zs), keep)


def _unit_rows(rows: Array, zs: Array) -> tuple[Array, float]:
    """:func:`_scaled_rows` from the constraint rows r_k and their queries z_k: (A / c, c), or
    (A, c) unscaled where c is 0 or not finite."""
    A = np.einsum("kd,ke->kde", rows, zs).reshape(rows.shape[0], -1)
    c = float(np.linalg.norm(A, axis=1).max())
    if not np.isfinite(c) or c == 0:
        return A, c
    return A / c, c


def _certificate(rows: Array, zs: Array) -> Array | None:
    """A W with every margin r_k' W z_k > 0 (so, scaled up, every margin >= 1), or None.

    Any such W proves the margins feasible. The minimum-norm solution of "every margin = 1" is
    one whenever the rows A_k = vec(r_k z_k') are independent (n (T - 1) <= d^2, generically); its
    Gram matrix is (R R') * (Z Z') and W = R' diag(lam) Z, so no (m, d^2) product is formed. A
    margin is accepted only when it is >= 1/2 and larger than the rounding error of its own
    floating-point sum (4 d e eps times the sum of the terms' absolute values), so a W whose
    entries span many orders of magnitude is never taken on rounding alone."""
    with np.errstate(all="ignore"):
        try:
            lam = np.linalg.solve((rows @ rows.T) * (zs @ zs.T), np.ones(rows.shape[0]))
        except np.linalg.LinAlgError:
            return None
        W = rows.T @ (lam[:, None] * zs)
        margins = np.einsum("kd,de,ke->k", rows, W, zs)
        bound = np.einsum("kd,de,ke->k", np.abs(rows), np.abs(W), np.abs(zs))
        bound *= 4 * W.size * np.finfo(float).eps
    if np.all(np.isfinite(margins) & np.isfinite(bound)) and np.all(
        (margins >= 0.5) & (margins > bound)
    ):
        return W
    return None


def _feasible(X: Array, Z: Array, opt: NDArray[np.int64]) -> bool:
    """Whether some W has every margin >= 1 (independent of cvxpy): a certificate W, else the
    feasibility LP (scipy HiGHS) on the rows rescaled to unit largest norm (feasibility does not
    depend on the scale)."""
    from scipy.optimize import linprog

    rows, zs, _ = _constraint_rows(X, Z, opt)
    A, c = _unit_rows(rows, zs)
    if not np.isfinite(c) or c == 0:
        return False
    if _certificate(rows, zs) is not None:
        return True
    res = linprog(
        np.zeros(A.shape[1]),
        A_ub=-A,
        b_ub=-np.ones(A.shape[0]),
        bounds=(None, None),
        method="highs",
    )
    return res.status == 0


#: relative accuracy :func:`att_svm` demands of a solution: smallest margin >= 1 - SVM_TOL, and
#: the KKT residuals (stationarity, complementary slackness, dual sign) below SVM_TOL in units of
#: the solution's scale
SVM_TOL = 1e-5


def _kkt_residual(A: Array, w: Array, mu: Array, norm: str, d: int) -> float:
    """Largest KKT violation of a solution w (vec W, W of shape (d, r), for unit-scale rows A)
    with multipliers mu: primal (1 - min margin), dual sign, complementary slackness, and
    stationarity (W = sum mu_k A_k for the Frobenius QP; for the nuclear norm G = sum mu_k A_k
    with ||G||_2 <= 1 and <G, W> = ||W||_*), each relative to the solution's scale."""
    m = A @ w
    G = (mu @ A).reshape(d, -1)
    W = w.reshape(d, -1)
    scale = max(float(mu.max(initial=0.0)), 1e-300)
    res = [1 - float(m.min()), float(-mu.min()) / scale, float(np.max(mu * np.abs(m - 1))) / scale]
    if norm == "fro":
        res.append(float(np.abs(G - W).max()) / max(float(np.abs(W).max()), 1e-300))
    else:
        nuc = float(np.linalg.norm(W, "nuc"))
        res += [float(np.linalg.norm(G, 2)) - 1, abs(float(np.sum(G * W)) - nuc) / max(nuc, 1e-300)]
    return max(res)


def att_svm(X: ArrayLike, Z: ArrayLike, opt: ArrayLike, norm: str = "fro") -> SVMResult:
    """Hard-margin Att-SVM (§2, eq. att-svm), solved as a convex program with cvxpy (Clarabel):

        W^mm = argmin ||W||  s.t.  (x_{i,opt_i} - x_{i,t})' W z_i >= 1  for all t != opt_i, all i,

    with ||.|| the Frobenius norm (``norm="fro"``, the W parametrisation; solved as the QP
    min 1/2 ||W||_F^2) or the nuclear norm (``norm="nuc"``, the limit of the (K, Q)
    parametrisation, §5). The constraint rows are rescaled to unit largest norm before solving
    (any scale of X and Z gives the same W^mm up to the factor), and every answer is verified:
    a solution must meet the KKT conditions to relative accuracy ``SVM_TOL`` (else Clarabel is
    retried at tighter tolerances, then SCS, then ValueError), and a reported infeasibility is
    confirmed by an independent LP (scipy HiGHS) before :class:`AttSVMInfeasible` (a ValueError)
    is raised, naming the samples that block separation.

    Parameters
    ----------
    X : array_like
        Tokens, shape (n, T, d).
    Z : array_like
        Queries, shape (n, d).
    opt : array_like
        Selected token per sample, integers in [0, T).
    norm : {"fro", "nuc"}
        The norm minimised.

    Returns
    -------
    SVMResult
        W^mm, its margins, the dual variables, the norm and the optimal value.
    """
    X = _tokens(X)
    Z = _queries(Z, X)
    opt = _indices(opt, X)
    if norm not in ("fro", "nuc"):
        raise ValueError(f"norm must be 'fro' or 'nuc', got {norm!r}")
    import cvxpy as cp

    d = X.shape[2]
    # only W's action on span{z_i} enters the margins: W = M B' with B (d, r) an orthonormal basis
    # of that span loses no optimum (W B B' meets the same constraints at no larger norm, as
    # ||W B B'|| <= ||W|| ||B B'||_2 for both norms), and for n < d the program on M (d, r) is
    # smaller (the nuclear norm's semidefinite block 2d -> d + r, ~3x faster for n = 6, d = 10)
    _, sv, Vt = np.linalg.svd(Z, full_matrices=False)
    r = int(np.sum(sv > max(Z.shape) * np.finfo(float).eps * sv[0])) if sv[0] > 0 else d
    B = Vt[:r].T if r < d else np.eye(d)
    A_unit, c, keep = _scaled_rows(X, Z @ B if r < d else Z, opt)
    if not np.isfinite(c) or c == 0:
        if c == 0:
            raise AttSVMInfeasible(list(range(X.shape[0])))
        raise ValueError(
            f"X and Z must have entries whose products (x_opt - x_t) z' are finite, got largest "
            f"|entry| {max(np.abs(X).max(), np.abs(Z).max()):g}"
        )
    problem, A, W, constraint = _svm_program(A_unit.shape[0], d, B.shape[1], norm)
    A.value = A_unit
    attempts = [  # Clarabel on one thread: a second one only waits on these small programs
        (cp.CLARABEL, {"max_threads": 1}),
        (
            cp.CLARABEL,
            {"max_threads": 1, "tol_gap_abs": 1e-12, "tol_gap_rel": 1e-12, "tol_feas": 1e-12},
        ),
        (cp.SCS, {"eps_abs": 1e-10, "eps_rel": 1e-10, "max_iters": 200_000}),
    ]
    worst = np.inf
    for solver, options in attempts:
        try:
            with warnings.catch_warnings():  # "optimal_inaccurate" answers are verified below
                warnings.filterwarnings("ignore", "Solution may be inaccurate", UserWarning)
                problem.solve(solver=solver, **options)
        except cp.error.SolverError:
            continue
        if problem.status in ("infeasible", "infeasible_inaccurate"):
            if _feasible(X, Z, opt):
                continue  # the solver's infeasibility is not confirmed by the LP: try another
            raise AttSVMInfeasible(_blocking_samples(X, Z, opt))
        if problem.status not in ("optimal", "optimal_inaccurate") or W.value is None:
            continue
        w = np.asarray(W.value).ravel()
        mu = np.asarray(constraint.dual_value, dtype=float).ravel()
        worst = _kkt_residual(A_unit, w, mu, norm, d)
        if worst <= SVM_TOL:
            break
    else:
        if not _feasible(X, Z, opt):
            raise AttSVMInfeasible(_blocking_samples(X, Z, opt))
        raise ValueError(
            f"the Att-SVM of these X, Z could not be solved to relative accuracy {SVM_TOL:g} "
            f"(best KKT residual {worst:.2g}); rescale X and Z to entries of order 1"
        )
    # back to the original scale: margins c A' vec(W) >= 1 hold for W = W'/c; the multipliers of
    # the Frobenius QP scale as 1/c^2, those of the nuclear-norm program as 1/c
    Wv = w.reshape(d, -1) @ B.T / c
    n, T = keep.shape
    margins = np.zeros((n, T))
    duals = np.zeros((n, T))
    margins[keep] = A_unit @ w
    duals[keep] = mu / (c**2 if norm == "fro" else c)
    value = float(np.linalg.norm(Wv, "fro" if norm == "fro" else "nuc"))
    return SVMResult(W=Wv, margins=margins, duals=duals, norm=norm, value=value)


@lru_cache(maxsize=64)
def _svm_program(m: int, d: int, r: int, norm: str):
    """The Att-SVM as a parametrised cvxpy program (compiled once per shape and norm): margins
    A vec(M) >= 1 with A (m, d r) a parameter, A_k = vec((x_opt - x_t) (B' z_i)'), M (d, r)."""
    import cvxpy as cp

    A = cp.Parameter((m, d * r))
    W = cp.Variable((d, r))
    constraint = A @ cp.vec(W, order="C") >= 1
    objective = 0.5 * cp.sum_squares(W) if norm == "fro" else cp.normNuc(W)
    return cp.Problem(cp.Minimize(objective), [constraint]), A, W, constraint


def _blocking_samples(X: Array, Z: Array, opt: NDArray[np.int64]) -> list[int]:
    """Deletion filter: drop samples one by one while the rest stays infeasible."""
    keep = list(range(X.shape[0]))
    for i in list(keep):
        trial = [j for j in keep if j != i]
        if trial and not _feasible(X[trial], Z[trial], opt[trial]):
            keep = trial
    return keep


def is_locally_optimal(
    X: ArrayLike, Y: ArrayLike, v: ArrayLike, Z: ArrayLike, alpha: ArrayLike, tol: float = 1e-6
) -> bool:
    """Whether the token selection ``alpha`` is locally optimal (§4, [TLTO23] Def. 2): the
    Att-SVM for alpha is feasible and every support token of sample i scores lower than
    alpha_i, gamma_{i,t} < gamma_{i,alpha_i}.

    Parameters
    ----------
    X, Y, v, Z : array_like
        Tokens (n, T, d), labels (n,), head (d,) and queries (n, d).
    alpha : array_like
        Selected token per sample.
    tol : float
        Margin tolerance, in (0, 0.5]: a token whose SVM margin is within ``tol`` of 1 counts as
        a support token.

    Returns
    -------
    bool
    """
    X = _tokens(X)
    Y, v = _labels_head(Y, v, X)
    alpha = _indices(alpha, X, "alpha")
    tol = _checks.in_range(tol, "tol", 0.0, 0.5, lo_open=True)
    gamma = _scores(X, Y, v)
    try:
        sol = att_svm(X, Z, alpha)
    except AttSVMInfeasible:
        return False
    return _support_scores_lower(sol, gamma, alpha, tol)


def _support_scores_lower(
    sol: SVMResult, gamma: Array, alpha: NDArray[np.int64], tol: float = 1e-6
) -> bool:
    """The test of :func:`is_locally_optimal` given the Frobenius Att-SVM ``sol`` of ``alpha``
    and the scores gamma (n, T): every support token scores below the selected one."""
    support = sol.support(tol)
    chosen = gamma[np.arange(gamma.shape[0]), alpha][:, None]
    return bool(np.all(gamma[support] < np.broadcast_to(chosen, gamma.shape)[support]))


def direction_correlation(W: ArrayLike, W_ref: ArrayLike) -> Array:
    """<W, W_ref> / (||W||_F ||W_ref||_F) over the last two axes (batched over leading ones).

    Parameters
    ----------
    W, W_ref : array_like
        Matrices (or stacks of matrices) of one shape, neither zero.

    Returns
    -------
    ndarray
        Cosine similarity in [-1, 1] per matrix.
    """
    W, R = _checks.finite_array(W, "W"), _checks.finite_array(W_ref, "W_ref")
    if W.ndim < 2 or R.ndim < 2 or W.shape[-2:] != R.shape[-2:]:
        raise ValueError(f"W and W_ref must end in the same matrix shape, got {W.shape}, {R.shape}")
    scale = max(float(np.abs(W).max()), 1e-300), max(float(np.abs(R).max()), 1e-300)
    W, R = W / scale[0], R / scale[1]  # cosine is scale-free; this keeps the norms finite
    nw, nr = np.linalg.norm(W, axis=(-2, -1)), np.linalg.norm(R, axis=(-2, -1))
    if np.any(nw == 0) or np.any(nr == 0):
        raise ValueError("W and W_ref must be non-zero matrices (a cosine needs a direction)")
    return np.clip((W * R).sum((-2, -1)) / (nw * nr), -1.0, 1.0)


def effective_rank(W: ArrayLike, rel: float = 1e-2) -> int:
    """Number of singular values above ``rel`` times the largest.

    Parameters
    ----------
    W : array_like
        A finite matrix (2-D, at least one entry).
    rel : float
        Relative threshold, in (0, 1). A zero matrix has rank 0.

    Returns
    -------
    int
    """
    W = _checks.finite_array(W, "W", ndim=2)
    rel = _checks.in_range(rel, "rel", 0.0, 1.0, lo_open=True, hi_open=True)
    W = W / max(float(np.abs(W).max()), 1e-300)  # rank is scale-free; avoids overflow in the SVD
    s = np.linalg.svd(W, compute_uv=False)
    return int(np.sum(s > rel * s[0])) if s[0] > 0 else 0


# ----------------------------------------------------------------------------------------------
# The loss along a ray R W (§3): why the norm diverges, and to which value the loss tends
# ----------------------------------------------------------------------------------------------
def _log_softmax(s: Array) -> Array:
    s = s - s.max(axis=-1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=-1, keepdims=True))


def attention_loss(X: ArrayLike, Y: ArrayLike, v: ArrayLike, Z: ArrayLike, W: ArrayLike) -> float:
    """The logistic loss of one-layer attention (§1), in numpy:

        L(W) = (1/n) sum_i log(1 + exp(-Y_i v' X_i' softmax(X_i W z_i))).

    Parameters
    ----------
    X, Y, v, Z : array_like
        Tokens (n, T, d), labels (n,), head (d,) and queries (n, d).
    W : array_like
        Attention weights, shape (d, d).

    Returns
    -------
    float
    """
    X = _tokens(X)
    Y, v = _labels_head(Y, v, X)
    Z = _queries(Z, X)
    W = _checks.finite_array(W, "W", ndim=2)
    if W.shape != (X.shape[2],) * 2:
        raise ValueError(f"W must have shape (d, d) = {(X.shape[2],) * 2}, got {W.shape}")
    gamma = _scores(X, Y, v)
    with np.errstate(over="ignore", invalid="ignore"):
        s = np.einsum("ntd,de,ne->nt", X, W, Z)
    if not np.all(np.isfinite(s)):
        raise ValueError("X, W and Z must give finite attention scores x_it' W z_i")
    a = np.exp(_log_softmax(s))
    margin = np.sum(a * gamma, axis=1)
    return float(np.mean(np.logaddexp(0.0, -margin)))


def selection_loss(X: ArrayLike, Y: ArrayLike, v: ArrayLike, alpha: ArrayLike) -> float:
    """The loss of attention that puts all its mass on the tokens ``alpha`` (§3):

        L_alpha = (1/n) sum_i log(1 + exp(-gamma_{i, alpha_i})),  gamma_it = Y_i v' x_it.

    L_opt (alpha = opt) is the infimum of L over all W; no finite W attains it (a softmax
    never puts all its mass on one token), and L_alpha > L_opt for any other selection.

    Parameters
    ----------
    X, Y, v : array_like
        Tokens (n, T, d), labels (n,) and head (d,).
    alpha : array_like
        Selected token per sample, integers in [0, T).

    Returns
    -------
    float
    """
    X = _tokens(X)
    Y, v = _labels_head(Y, v, X)
    alpha = _indices(alpha, X, "alpha")
    gamma = _scores(X, Y, v)[np.arange(X.shape[0]), alpha]
    return float(np.mean(np.logaddexp(0.0, -gamma)))


#: largest R :func:`ray_slope` accepts (its log-slope stays a finite number well beyond)
RAY_R_MAX = 1e6


def ray_slope(
    X: ArrayLike, Y: ArrayLike, v: ArrayLike, Z: ArrayLike, alpha: ArrayLike, R: float
) -> tuple[float, float]:
    """The slope dL/dR of the loss along the ray R W^mm_alpha, W^mm_alpha the Frobenius Att-SVM
    of the selection ``alpha`` (§3): its leading term for large R,

        dL/dR ~ -(1/n) sum_i sigma(-gamma_{i,alpha_i}) sum_{t != alpha_i}
                 m_it (gamma_{i,alpha_i} - gamma_it) e^{-R m_it},

    with m_it = (x_{i,alpha_i} - x_it)' W^mm_alpha z_i >= 1 the SVM margins, returned as
    ``(sign, log |slope|)`` (the slope itself underflows for R beyond a few hundred).

    Every term with m_it = 1 (a support token) has the sign of gamma_it - gamma_{i,alpha_i}: if
    ``alpha`` is locally optimal (every support token scores lower), the loss decreases along the
    ray for all large R and tends to :func:`selection_loss` without reaching it.

    Parameters
    ----------
    X, Y, v, Z : array_like
        Tokens (n, T, d), labels (n,), head (d,) and queries (n, d).
    alpha : array_like
        Selected token per sample; its Att-SVM must be feasible (else AttSVMInfeasible).
    R : float
        Position on the ray, in (0, 1e6].

    Returns
    -------
    tuple of float
        ``(sign, log_abs)``: sign in {-1, 0, +1} and the natural log of abs(dL/dR).
    """
    X = _tokens(X)
    Y, v = _labels_head(Y, v, X)
    alpha = _indices(alpha, X, "alpha")
    R = _checks.in_range(R, "R", 0.0, RAY_R_MAX, lo_open=True)
    gamma = _scores(X, Y, v)
    sol = att_svm(X, Z, alpha)
    n = X.shape[0]
    g_sel = gamma[np.arange(n), alpha][:, None]
    keep = np.ones(gamma.shape, dtype=bool)
    keep[np.arange(n), alpha] = False
    m = sol.margins[keep]
    weight = (np.repeat(-np.logaddexp(0.0, g_sel[:, 0]), X.shape[1]).reshape(gamma.shape))[keep]
    coef = -(m * (g_sel - gamma)[keep])  # sign and size before e^{-R m} and sigma
    log_terms = weight + np.log(np.abs(coef) + 1e-300) - R * m - np.log(n)
    top = log_terms.max()
    total = float(np.sum(np.sign(coef) * np.exp(log_terms - top)))
    if total == 0:
        return 0.0, -np.inf
    return float(np.sign(total)), float(top + np.log(abs(total)))


# ----------------------------------------------------------------------------------------------
# Data (§6)
# ----------------------------------------------------------------------------------------------
#: largest n, T or d :func:`synthetic_instance` draws, and largest n T d (memory: 8 n T d bytes)
INSTANCE_MAX_SIDE = 10_000
INSTANCE_MAX_SIZE = 10_000_000


def synthetic_instance(
    n: int, T: int, d: int, seed: int = 0, max_tries: int = 1000, query: str = "self"
) -> tuple[Array, Array, Array, Array]:
    """The paper's setting: unit-norm Gaussian tokens and head v, labels ±1 at random, and as
    query either the first token, z_i = x_i1 (``query="self"``, self-attention), or an independent
    unit Gaussian vector (``query="cross"``, the cross-attention of the authors' experiments).
    Redrawn (same seed stream) until the Att-SVM of the optimal tokens is feasible. Returns
    X (n, T, d), Y (n,), Z (n, d), v (d,).

    Parameters
    ----------
    n, T, d : int
        Samples (>= 1), tokens per sample (>= 2) and dimension (>= 2), each at most 10,000,
        with n T d <= 10^7.
    seed : int
        Seed (>= 0).
    max_tries : int
        Redraws allowed before giving up (ValueError).
    query : {"self", "cross"}
        The query token: the sample's first token, or an independent unit vector.

    Returns
    -------
    tuple of ndarray
        ``(X, Y, Z, v)``.
    """
    for name, value, lo in (("n", n, 1), ("T", T, 2), ("d", d, 2)):
        _integer_at_least(value, name, lo)
        if value > INSTANCE_MAX_SIDE:
            raise ValueError(
                f"{name} must be an integer in [{lo}, {INSTANCE_MAX_SIDE}], got {value}"
            )
    if n * T * d > INSTANCE_MAX_SIZE:
        raise ValueError(f"n * T * d must be at most {INSTANCE_MAX_SIZE:g}, got {n * T * d}")
    _one_of(query, "query", QUERIES)
    max_tries = _integer_at_least(max_tries, "max_tries", 1)
    rng = np.random.default_rng(_integer_at_least(seed, "seed", 0))
    for _ in range(max_tries):
        X = rng.standard_normal((n, T, d))
        X /= np.linalg.norm(X, axis=2, keepdims=True)
        v = rng.standard_normal(d)
        v /= np.linalg.norm(v)
        Y = rng.choice([-1.0, 1.0], size=n)
        if query == "self":
            Z = X[:, 0].copy()
        else:
            Z = rng.standard_normal((n, d))
            Z /= np.linalg.norm(Z, axis=1, keepdims=True)
        _, opt = optimal_tokens(X, Y, v)
        if _feasible(X, Z, opt):
            return X, Y, Z, v
    raise ValueError(f"no separable instance in {max_tries} draws for n={n}, T={T}, d={d}")
