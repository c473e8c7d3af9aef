r"""Attention as a max-margin token selector: the Att-SVM and gradient descent on attention.

Sources: Tarzanagh, Li, Thrampoulidis & Oymak 2023, "Transformers as Support Vector Machines"
(arXiv 2308.16898) [TLTO23]; Tarzanagh, Li, Zhang & Oymak 2023, "Max-Margin Token Selection in
Attention Mechanism" (NeurIPS 2023, arXiv 2306.13596). Theory page: ``theory/svm_attention.md``
(cited as §N).

Model (§1): samples (X_i, Y_i, z_i), X_i in R^{T x d} tokens, z_i in R^d the query token, labels
Y_i = ±1 and a fixed head v. One-layer attention f(X) = v' X' softmax(X W z) with W in R^{d x d}
(or W = K Q'), logistic loss L(W) = (1/n) sum_i log(1 + exp(-Y_i f(X_i))). Token scores
gamma_it = Y_i v' x_it; opt_i = argmax_t gamma_it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._checks import integer_at_least as _integer_at_least
from ._checks import positive as _positive

__all__ = [
    "AttSVMInfeasible",
    "GDRun",
    "SVMResult",
    "att_svm",
    "attention_output",
    "direction_correlation",
    "effective_rank",
    "experiment_size",
    "explorer",
    "global_fraction",
    "is_locally_optimal",
    "kq_rows",
    "optimal_tokens",
    "plot_kq",
    "plot_overparam",
    "plot_2d_picture",
    "plot_training",
    "synthetic_instance",
    "train_gd",
    "training_rows",
]

Array = NDArray[np.float64]


# ----------------------------------------------------------------------------------------------
# Argument checks
# ----------------------------------------------------------------------------------------------
def _tokens(X: ArrayLike) -> Array:
    X = np.asarray(X, dtype=float)
    if X.ndim != 3 or min(X.shape) < 1 or X.shape[1] < 2:
        raise ValueError(f"X must have shape (n, T, d) with T >= 2 tokens, got {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError("X must be finite")
    return X


def _queries(Z: ArrayLike, X: Array) -> Array:
    Z = np.asarray(Z, dtype=float)
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
    """
    X = _tokens(X)
    Z = _queries(Z, X)
    opt = _indices(opt, X)
    if norm not in ("fro", "nuc"):
        raise ValueError(f"norm must be 'fro' or 'nuc', got {norm!r}")
    import cvxpy as cp

    rows, zs, keep = _constraint_rows(X, Z, opt)
    W = cp.Variable((X.shape[2], X.shape[2]))
    constraint = cp.sum(cp.multiply(rows @ W, zs), axis=1) >= 1
    objective = 0.5 * cp.sum_squares(W) if norm == "fro" else cp.normNuc(W)
    problem = cp.Problem(cp.Minimize(objective), [constraint])
    problem.solve(solver=cp.CLARABEL)
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
    alpha_i, gamma_{i,t} < gamma_{i,alpha_i}."""
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
    """<W, W_ref> / (||W||_F ||W_ref||_F) over the last two axes (batched over leading ones)."""
    W, R = np.asarray(W, dtype=float), np.asarray(W_ref, dtype=float)
    if W.shape[-2:] != R.shape[-2:]:
        raise ValueError(f"W and W_ref must end in the same matrix shape, got {W.shape}, {R.shape}")
    num = (W * R).sum((-2, -1))
    den = np.linalg.norm(W, axis=(-2, -1)) * np.linalg.norm(R, axis=(-2, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def effective_rank(W: ArrayLike, rel: float = 1e-2) -> int:
    """Number of singular values above ``rel`` times the largest."""
    s = np.linalg.svd(np.asarray(W, dtype=float), compute_uv=False)
    return int(np.sum(s > rel * s[0]))


# ----------------------------------------------------------------------------------------------
# Data (§6)
# ----------------------------------------------------------------------------------------------
def synthetic_instance(
    n: int, T: int, d: int, seed: int = 0, max_tries: int = 1000
) -> tuple[Array, Array, Array, Array]:
    """The paper's setting: unit-norm Gaussian tokens and head v, labels ±1 at random, the first
    token as query z_i = x_i1. Redrawn (same seed stream) until the Att-SVM of the optimal tokens
    is feasible. Returns X (n, T, d), Y (n,), Z (n, d), v (d,)."""
    for name, value, lo in (("n", n, 1), ("T", T, 2), ("d", d, 2)):
        _integer_at_least(value, name, lo)
    rng = np.random.default_rng(seed)
    for _ in range(max_tries):
        X = rng.standard_normal((n, T, d))
        X /= np.linalg.norm(X, axis=2, keepdims=True)
        v = rng.standard_normal(d)
        v /= np.linalg.norm(v)
        Y = rng.choice([-1.0, 1.0], size=n)
        Z = X[:, 0].copy()
        _, opt = optimal_tokens(X, Y, v)
        if _feasible(X, Z, opt):
            return X, Y, Z, v
    raise ValueError(f"no separable instance in {max_tries} draws for n={n}, T={T}, d={d}")


# ----------------------------------------------------------------------------------------------
# Torch model and gradient descent (§3, §5)
# ----------------------------------------------------------------------------------------------
def attention_output(X, Z, v, W):
    """f(X_i) = v' X_i' softmax(X_i W z_i), batched: X (..., n, T, d), Z (..., n, d), v (..., d),
    W (..., d, d) torch tensors; returns (..., n)."""
    import torch

    scores = torch.einsum("...ntd,...de,...ne->...nt", X, W, Z)
    return torch.einsum("...nt,...ntd,...d->...n", torch.softmax(scores, dim=-1), X, v)


def _gradient(X, Y, Z, v, W):
    """dL/dW of the logistic loss, computed stably (§3): the softmax derivative
    a_t (gamma_t - f) is formed as a_t sum_s a_s (gamma_t - gamma_s), never as a difference of
    two nearly equal numbers. Returns (grad, loss, attention)."""
    import torch

    gamma = Y[..., None] * torch.einsum("...ntd,...d->...nt", X, v)
    a = torch.softmax(torch.einsum("...ntd,...de,...ne->...nt", X, W, Z), dim=-1)
    margin = (a * gamma).sum(-1)  # Y_i f(X_i)
    gap = gamma[..., :, None] - gamma[..., None, :]  # gamma_t - gamma_s
    c = a * torch.einsum("...ts,...s->...t", gap, a)
    dl = -torch.sigmoid(-margin)  # logistic loss derivative at Y f
    n = X.shape[-3]
    grad = torch.einsum("...n,...nt,...ntd,...ne->...de", dl, c, X, Z) / n
    loss = torch.nn.functional.softplus(-margin).mean(-1)
    return grad, loss, a


@dataclass(frozen=True)
class GDRun:
    """Result of :func:`train_gd`: recorded at log-spaced steps, batched over instances."""

    steps: Array  # (S,) recorded step indices
    W: Array  # (B, S, d, d) W(t) (= K Q' for the (K, Q) parametrisation)
    loss: Array  # (B, S)
    attention: Array  # (B, S, n, T) softmax scores
    stopped: Array  # (B,) step at which the gradient left the floating-point range (or steps)

    def selected(self) -> NDArray[np.int64]:
        """(B, n) the token each sample attends to most at the end."""
        return np.argmax(self.attention[:, -1], axis=-1)


def train_gd(
    X: ArrayLike,
    Y: ArrayLike,
    Z: ArrayLike,
    v: ArrayLike,
    *,
    param: str = "W",
    normalized: bool = True,
    lr: float = 0.1,
    steps: int = 2000,
    init_scale: float = 0.0,
    width: int | None = None,
    records: int = 60,
    seed: int = 0,
    device: str | None = None,
) -> GDRun:
    """Gradient descent on the logistic loss of one-layer attention (§3, §5), batched over
    instances (leading axis B of X, Y, Z, v; a single instance gets B = 1) and samples in one
    tensor program, float64.

    ``param="W"``: W itself; ``param="KQ"``: W = K Q' with K, Q in R^{d x width} (default d),
    gradients dL/dK = G Q, dL/dQ = G' K. ``normalized=True``: each step moves by ``lr`` along the
    negative gradient divided by its norm (per instance); else plain GD with step ``lr``.
    Initialisation N(0, init_scale^2) entries (``init_scale = 0`` starts W at 0; (K, Q) needs
    init_scale > 0). A run whose gradient underflows to 0 or overflows stops there and its
    later records repeat the last state.
    """
    import torch

    from .device import device as pick_device

    X = np.asarray(X, dtype=float)
    single = X.ndim == 3
    Xb = _tokens(X)[None] if single else np.asarray(X, dtype=float)
    if Xb.ndim != 4:
        raise ValueError(f"X must have shape (n, T, d) or (B, n, T, d), got {X.shape}")
    B, n, T, d = Xb.shape
    Yb = np.asarray(Y, dtype=float).reshape(B, n)
    Zb = np.asarray(Z, dtype=float).reshape(B, n, d)
    vb = np.asarray(v, dtype=float).reshape(B, d)
    if param not in ("W", "KQ"):
        raise ValueError(f"param must be 'W' or 'KQ', got {param!r}")
    _positive(lr, "lr")
    _integer_at_least(steps, "steps", 1)
    if not (np.isfinite(init_scale) and init_scale >= 0):
        raise ValueError(f"init_scale must be >= 0, got {init_scale!r}")
    if param == "KQ" and init_scale == 0:
        raise ValueError("init_scale must be > 0 for the (K, Q) parametrisation (0 is a saddle)")
    width = d if width is None else width
    dev = pick_device(device)
    t = {
        k: torch.tensor(a, dtype=torch.float64, device=dev)
        for k, a in (("X", Xb), ("Y", Yb), ("Z", Zb), ("v", vb))
    }
    gen = torch.Generator().manual_seed(seed)
    if param == "W":
        params = [torch.randn(B, d, d, generator=gen, dtype=torch.float64) * init_scale]
    else:
        params = [
            torch.randn(B, d, width, generator=gen, dtype=torch.float64) * init_scale
            for _ in range(2)
        ]
    params = [p.to(dev) for p in params]
    record = np.unique(np.round(np.geomspace(1, steps, records)).astype(int))
    record = np.concatenate([[0], record])
    Ws = np.empty((B, record.size, d, d))
    losses = np.empty((B, record.size))
    att = np.empty((B, record.size, n, T))
    alive = torch.ones(B, dtype=torch.bool, device=dev)
    stopped = np.full(B, steps)
    j = 0
    for step in range(steps + 1):
        W = params[0] if param == "W" else params[0] @ params[1].transpose(-1, -2)
        G, loss, a = _gradient(t["X"], t["Y"], t["Z"], t["v"], W)
        if step == record[j]:
            Ws[:, j], losses[:, j], att[:, j] = W.cpu().numpy(), loss.cpu().numpy(), a.cpu().numpy()
            j += 1
            if j == record.size:
                break
        grads = [G] if param == "W" else [G @ params[1], G.transpose(-1, -2) @ params[0]]
        norm = torch.sqrt(sum((g**2).sum((-2, -1)) for g in grads))
        ok = alive & (norm > 0) & torch.isfinite(norm)
        for i in torch.nonzero(alive & ~ok).flatten().tolist():
            stopped[i] = step
        alive = ok
        scale = (lr / norm if normalized else torch.full_like(norm, lr)) * alive
        scale = torch.nan_to_num(scale, nan=0.0, posinf=0.0)
        for p, g in zip(params, grads, strict=True):
            p -= scale[:, None, None] * torch.nan_to_num(g)
    return GDRun(steps=record, W=Ws, loss=losses, attention=att, stopped=stopped)


# ----------------------------------------------------------------------------------------------
# Experiments and figures (§6)
# ----------------------------------------------------------------------------------------------
def experiment_size() -> dict[str, object]:
    """Sizes at the current ``THEORYBENCH_SCALE``: the paper's instance (n = 6, T = 8, d = 10,
    2,000 normalised-GD steps) at both scales; the over-parameterisation sweep grows."""
    from .device import by_scale

    return by_scale(
        ci={"steps": 2000, "kq_steps": 6000, "instances": 24, "ds": [4, 6, 8, 12, 16, 24]},
        full={
            "steps": 2000,
            "kq_steps": 20000,
            "instances": 100,
            "ds": [4, 6, 8, 10, 12, 16, 24, 32],
        },
    )


def global_fraction(
    n: int,
    T: int,
    ds: ArrayLike,
    *,
    instances: int = 24,
    steps: int = 2000,
    lr: float = 0.1,
    seed: int = 0,
) -> Array:
    """Fraction of random instances on which normalised GD selects the optimal token of every
    sample (so it converges to the global Att-SVM rather than a local one), for each d (§6).
    The instances of one d are trained together as one batched program."""
    from tqdm.auto import tqdm

    out = []
    for d in tqdm(list(ds), desc="d", leave=False):
        data = [
            synthetic_instance(n, T, int(d), seed=seed + 1000 * int(d) + k)
            for k in range(instances)
        ]
        X, Y, Z, v = (np.stack(arrs) for arrs in zip(*data, strict=True))
        run = train_gd(X, Y, Z, v, steps=steps, lr=lr)
        opt = np.stack([optimal_tokens(x, y, w)[1] for x, y, w in zip(X, Y, v, strict=True)])
        out.append(float(np.mean(np.all(run.selected() == opt, axis=1))))
    return np.array(out)


def plot_training(run: GDRun, X: ArrayLike, Y: ArrayLike, Z: ArrayLike, v: ArrayLike) -> object:
    """Three panels for a W-parametrised run: correlation of W(t) with the Att-SVM of the tokens
    attention selects (log t), ||W(t)||_F against log t, and the final attention map with the
    optimal tokens circled."""
    from .plotting import COLORS, figure

    X = _tokens(X)
    _, opt = optimal_tokens(X, Y, v)
    ref = att_svm(X, Z, run.selected()[0])
    t = np.maximum(run.steps, 1)
    fig, (a1, a2, a3) = figure(3, width=11.0, height=3.3)
    a1.plot(t[1:], direction_correlation(run.W[0, 1:], ref.W), color=COLORS["experiment"])
    a1.axhline(1, color=COLORS["muted"], ls=":", lw=1)
    a1.set(
        xscale="log",
        xlabel="GD step t",
        ylabel="correlation with $W^{mm}$",
        title="direction converges",
    )
    a2.plot(t[1:], np.linalg.norm(run.W[0, 1:], axis=(1, 2)), color=COLORS["experiment"])
    a2.set(
        xscale="log",
        yscale="log",
        xlabel="GD step t",
        ylabel=r"$\|W(t)\|_F$",
        title="norm diverges",
    )
    a3.imshow(run.attention[0, -1], vmin=0, vmax=1, cmap="Greys", aspect="auto")
    a3.plot(opt, np.arange(opt.size), "o", mfc="none", mec=COLORS["theory"], ms=12, mew=2)
    a3.set(xlabel="token t", ylabel="sample i", title="final attention (circles: opt$_i$)")
    return fig


def plot_kq(run: GDRun, X: ArrayLike, Z: ArrayLike) -> object:
    """Normalised singular values of K Q' after GD against those of the nuclear-norm and the
    Frobenius Att-SVM of the same selected tokens."""
    from .plotting import COLORS, figure

    X = _tokens(X)
    sel = run.selected()[0]
    W = run.W[0, -1]
    nuc, fro = att_svm(X, Z, sel, norm="nuc").W, att_svm(X, Z, sel, norm="fro").W
    fig, (ax,) = figure(1, width=6.5, height=3.3)
    k = np.arange(1, W.shape[0] + 1)
    for M, label, color, off in (
        (W, "GD on (K, Q)", COLORS["experiment"], -0.25),
        (nuc, "nuclear-norm SVM", COLORS["theory"], 0.0),
        (fro, "Frobenius SVM", COLORS["muted"], 0.25),
    ):
        s = np.linalg.svd(M, compute_uv=False)
        ax.bar(k + off, s / np.linalg.norm(s), width=0.25, color=color, label=label)
    ax.set(
        xlabel="singular value index",
        ylabel=r"$\sigma_k / \|\sigma\|$",
        title="(K, Q): low rank like the nuclear-norm SVM",
    )
    ax.legend()
    return fig


def plot_2d_picture(seed: int = 3, steps: int = 400) -> object:
    """One sample with five unit tokens in the plane (d = 2): points coloured by score, the
    optimal token starred, the Att-SVM direction u = W^mm z with its margin lines, and the
    directions W(t) z that normalised GD takes."""
    from .plotting import COLORS, figure

    rng = np.random.default_rng(seed)
    angles = np.sort(rng.uniform(0, 2 * np.pi, 5))
    X = np.stack([np.cos(angles), np.sin(angles)], 1)[None]
    v = np.array([1.0, 0.3]) / np.linalg.norm([1.0, 0.3])
    Y, Z = np.array([1.0]), X[:, 0].copy()
    gamma, opt = optimal_tokens(X, Y, v)
    sol = att_svm(X, Z, opt)
    run = train_gd(X, Y, Z, v, steps=steps, lr=0.1)
    u = sol.W @ Z[0]
    fig, (ax,) = figure(1, width=5.2, height=4.6)
    sc = ax.scatter(X[0, :, 0], X[0, :, 1], c=gamma[0], cmap="viridis", s=60, zorder=3)
    fig.colorbar(sc, ax=ax, label=r"score $\gamma_t = Y v^\top x_t$")
    xo = X[0, opt[0]]
    ax.plot(*xo, "*", ms=18, color=COLORS["experiment"], zorder=4, label="opt token")
    ax.annotate(
        "",
        xy=xo + u / np.linalg.norm(u) * 0.6,
        xytext=xo,
        arrowprops={"arrowstyle": "->", "color": COLORS["theory"], "lw": 2},
    )
    perp = np.array([-u[1], u[0]]) / np.linalg.norm(u)
    for level, style in ((0.0, "-"), (1.0, "--")):
        base = xo - level * u / (u @ u)
        ax.plot(
            *np.stack([base - 2 * perp, base + 2 * perp]).T, color=COLORS["theory"], ls=style, lw=1
        )
    picks = np.unique(np.linspace(1, len(run.steps) - 1, 6).astype(int))
    for j, k in enumerate(picks):
        w = run.W[0, k] @ Z[0]
        if np.linalg.norm(w) > 0:
            ax.plot(
                *np.stack([xo, xo + 0.5 * w / np.linalg.norm(w)]).T,
                color="k",
                alpha=0.2 + 0.8 * j / max(1, len(picks) - 1),
                lw=1.5,
            )
    ax.set(
        xlim=(-1.6, 1.6),
        ylim=(-1.6, 1.6),
        aspect="equal",
        title="tokens, SVM direction (blue), GD directions (grey)",
    )
    ax.legend(loc="lower left", fontsize=8)
    return fig


def explorer() -> object:
    """Sliders d, T, n, step size and init scale: each change re-trains normalised GD on a fresh
    synthetic instance (2,000 steps, about a second) and redraws the correlation with the
    Att-SVM of the selected tokens and the norm ||W(t)||."""
    from . import widgets
    from .plotting import COLORS, figure

    fig, (ax, axn) = figure(2, width=8.8, height=3.4)
    (corr,) = ax.plot([], [], color=COLORS["experiment"])
    ax.axhline(1, color=COLORS["muted"], ls=":", lw=1)
    ax.set(
        xscale="log",
        xlim=(1, 2000),
        ylim=(-0.1, 1.05),
        xlabel="GD step t",
        ylabel="correlation with $W^{mm}$",
    )
    (norm,) = axn.plot([], [], color=COLORS["experiment"])
    axn.set(xscale="log", yscale="log", xlim=(1, 2000), xlabel="GD step t", ylabel=r"$\|W(t)\|_F$")

    def update(d: int, T: int, n: int, lr: float, init: float) -> None:
        X, Y, Z, v = synthetic_instance(n, T, d, seed=0)
        run = train_gd(X, Y, Z, v, steps=2000, lr=lr, init_scale=init)
        ref = att_svm(X, Z, run.selected()[0])
        t = run.steps[1:]
        c = direction_correlation(run.W[0, 1:], ref.W)
        corr.set_data(t, c)
        w = np.linalg.norm(run.W[0, 1:], axis=(1, 2))
        norm.set_data(t, w)
        axn.set_ylim(max(w.min(), 1e-3) / 2, w.max() * 2)
        _, opt = optimal_tokens(X, Y, v)
        kind = "global" if np.all(run.selected()[0] == opt) else "local"
        ax.set_title(f"final correlation {c[-1]:.4f} ({kind} SVM)")
        axn.set_title("normalised GD: ||W|| grows linearly")

    controls = {
        "d": widgets.choice("d", [4, 6, 8, 10, 16], 10),
        "T": widgets.choice("T", [4, 6, 8, 12], 8),
        "n": widgets.choice("n", [2, 4, 6, 8], 6),
        "lr": widgets.slider("step size", 0.01, 1.0, 0.1, log=True),
        "init": widgets.slider("init scale", 0.0, 0.5, 0.0, step=0.05),
    }
    static = {"d": [4, 10, 16], "lr": [0.03, 0.1, 0.3]}
    caption = (
        "Normalised gradient descent on a one-layer attention model: the direction of W "
        "converges to the Att-SVM (left) while its norm diverges (right)."
    )
    return widgets.Explorer(fig, update, controls, static=static, caption=caption)


def training_rows(run: GDRun, X: ArrayLike, Y: ArrayLike, Z: ArrayLike, v: ArrayLike) -> list[str]:
    """Text rows for one W-parametrised run: selection, final correlation and norm."""
    X = _tokens(X)
    _, opt = optimal_tokens(X, Y, v)
    sel = run.selected()[0]
    ref = att_svm(X, Z, sel)
    corr = direction_correlation(run.W[0], ref.W)
    return [
        f"attention selects the optimal token in {int(np.sum(sel == opt))}/{sel.size} samples",
        "correlation with W^mm at steps 10, 100, 2000: "
        + ", ".join(f"{corr[np.searchsorted(run.steps, s)]:.4f}" for s in (10, 100, run.steps[-1])),
        f"||W|| at the end: {np.linalg.norm(run.W[0, -1]):.1f}",
    ]


def kq_rows(run: GDRun, X: ArrayLike, Z: ArrayLike) -> list[str]:
    """Text rows for a (K, Q) run: correlation with the nuclear-norm and Frobenius SVMs, ranks."""
    X = _tokens(X)
    sel = run.selected()[0]
    nuc, fro = att_svm(X, Z, sel, norm="nuc"), att_svm(X, Z, sel, norm="fro")
    W = run.W[0, -1]
    return [
        f"correlation with the nuclear-norm SVM: {float(direction_correlation(W, nuc.W)):.3f}",
        f"correlation with the Frobenius SVM:    {float(direction_correlation(W, fro.W)):.3f}",
        f"effective rank: K Q' {effective_rank(W)}, nuclear {effective_rank(nuc.W)}, "
        f"Frobenius {effective_rank(fro.W)}",
    ]


def plot_overparam(ds: ArrayLike, fractions: ArrayLike, instances: int) -> object:
    """Fraction of instances reaching the global Att-SVM against d."""
    from .plotting import COLORS, figure

    fig, (ax,) = figure(1, width=5.5, height=3.3)
    ax.plot(ds, fractions, "o-", color=COLORS["experiment"])
    ax.set(
        xlabel="embedding dimension d",
        ylabel="fraction global",
        ylim=(0, 1.05),
        title=f"n = 6, T = 8; {instances} instances per d",
    )
    return fig
