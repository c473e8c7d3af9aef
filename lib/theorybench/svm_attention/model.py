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


def _labels_head(Y: ArrayLike, v: ArrayLike, X: Array) -> tuple[Array, Array]:
    Y, v = np.asarray(Y, dtype=float), np.asarray(v, dtype=float)
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
    gamma = Y[:, None] * (X @ v)
    top2 = np.sort(gamma, axis=1)[:, -2:]
    if np.any(top2[:, 1] - top2[:, 0] <= 1e-12 * np.maximum(1, np.abs(top2[:, 1]))):
        raise ValueError("every sample needs a unique highest-scoring token (gamma has a tie)")
    return gamma, np.argmax(gamma, axis=1)


@dataclass(frozen=True)
class SVMResult:
    """Solution of :func:`att_svm`."""

    W: Array  # (d, d) the max-margin W^mm
    margins: Array  # (n, T): (x_opt - x_t)' W z_i; NaN at the selected token
    duals: Array  # (n, T): multipliers of the margin constraints; NaN at the selected token
    norm: str
    value: float  # ||W^mm|| in the chosen norm

    def support(self, tol: float = 1e-6) -> NDArray[np.bool_]:
        """(n, T) mask of the support tokens: constraints active at margin 1."""
        return np.abs(np.nan_to_num(self.margins, nan=np.inf) - 1) <= tol


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


def _feasible(X: Array, Z: Array, opt: NDArray[np.int64]) -> bool:
    """Feasibility LP (scipy HiGHS, independent of cvxpy): some W with every margin >= 1."""
    from scipy.optimize import linprog

    rows, zs, _ = _constraint_rows(X, Z, opt)
    A = np.einsum("kd,ke->kde", rows, zs).reshape(rows.shape[0], -1)  # margin_k = A_k . vec(W)
    res = linprog(
        np.zeros(A.shape[1]),
        A_ub=-A,
        b_ub=-np.ones(A.shape[0]),
        bounds=(None, None),
        method="highs",
    )
    return res.status == 0


def att_svm(X: ArrayLike, Z: ArrayLike, opt: ArrayLike, norm: str = "fro") -> SVMResult:
    """Hard-margin Att-SVM (§2, eq. att-svm), solved as a convex program with cvxpy (Clarabel):

        W^mm = argmin ||W||  s.t.  (x_{i,opt_i} - x_{i,t})' W z_i >= 1  for all t != opt_i, all i,

    with ||.|| the Frobenius norm (``norm="fro"``, the W parametrisation; solved as the QP
    min 1/2 ||W||_F^2) or the nuclear norm (``norm="nuc"``, the limit of the (K, Q)
    parametrisation, §5). Raises :class:`AttSVMInfeasible` (a ValueError) naming the samples
    that block separation when no W satisfies the constraints.

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

    rows, zs, keep = _constraint_rows(X, Z, opt)
    problem, A, W, constraint = _svm_program(rows.shape[0], X.shape[2], norm)
    A.value = np.einsum("kd,ke->kde", rows, zs).reshape(rows.shape[0], -1)
    try:
        with warnings.catch_warnings():  # "optimal_inaccurate" is accepted and checked below
            warnings.filterwarnings("ignore", "Solution may be inaccurate", UserWarning)
            problem.solve(solver=cp.CLARABEL)
    except cp.error.SolverError as err:  # e.g. tokens of norm 1e300: no finite-precision answer
        raise ValueError(
            f"the Att-SVM cannot be solved for these X, Z (largest |entry| "
            f"{max(np.abs(X).max(), np.abs(Z).max()):g}): {err}"
        ) from None
    if problem.status not in ("optimal", "optimal_inaccurate"):
        raise AttSVMInfeasible(_blocking_samples(X, Z, opt))
    n, T = keep.shape
    margins = np.full((n, T), np.nan)
    duals = np.full((n, T), np.nan)
    Wv = np.asarray(W.value)
    margins[keep] = np.einsum("kd,de,ke->k", rows, Wv, zs)
    duals[keep] = np.asarray(constraint.dual_value)
    value = float(np.linalg.norm(Wv, "fro" if norm == "fro" else "nuc"))
    return SVMResult(W=Wv, margins=margins, duals=duals, norm=norm, value=value)


@lru_cache(maxsize=64)
def _svm_program(m: int, d: int, norm: str):
    """The Att-SVM as a parametrised cvxpy program (compiled once per shape and norm): margins
    A vec(W) >= 1 with A (m, d^2) a parameter, A_k = vec((x_opt - x_t) z_i')."""
    import cvxpy as cp

    A = cp.Parameter((m, d * d))
    W = cp.Variable((d, d))
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
        Dual value above which a token counts as a support token.

    Returns
    -------
    bool
    """
    X = _tokens(X)
    Y, v = _labels_head(Y, v, X)
    alpha = _indices(alpha, X, "alpha")
    gamma = Y[:, None] * (X @ v)
    try:
        sol = att_svm(X, Z, alpha)
    except AttSVMInfeasible:
        return False
    support = sol.support(tol)
    chosen = gamma[np.arange(X.shape[0]), alpha][:, None]
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
    W, R = np.asarray(W, dtype=float), np.asarray(W_ref, dtype=float)
    if W.shape[-2:] != R.shape[-2:]:
        raise ValueError(f"W and W_ref must end in the same matrix shape, got {W.shape}, {R.shape}")
    num = (W * R).sum((-2, -1))
    den = np.linalg.norm(W, axis=(-2, -1)) * np.linalg.norm(R, axis=(-2, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def effective_rank(W: ArrayLike, rel: float = 1e-2) -> int:
    """Number of singular values above ``rel`` times the largest.

    Parameters
    ----------
    W : array_like
        A matrix.
    rel : float
        Relative threshold, in (0, 1).

    Returns
    -------
    int
    """
    s = np.linalg.svd(np.asarray(W, dtype=float), compute_uv=False)
    return int(np.sum(s > rel * s[0]))


# ----------------------------------------------------------------------------------------------
# Data (§6)
# ----------------------------------------------------------------------------------------------
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
        Samples (>= 1), tokens per sample (>= 2) and dimension (>= 2).
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
    _one_of(query, "query", QUERIES)
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
