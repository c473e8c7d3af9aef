"""Figures and printed rows of the Attention = SVM chapter."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .experiment import GDRun, train_gd
from .model import _tokens, att_svm, direction_correlation, effective_rank, optimal_tokens

__all__ = [
    "plot_training",
    "plot_kq",
    "plot_2d_picture",
    "training_rows",
    "kq_rows",
    "plot_overparam",
]


def plot_training(run: GDRun, X: ArrayLike, Y: ArrayLike, Z: ArrayLike, v: ArrayLike) -> object:
    """Three panels for a W-parametrised run: correlation of W(t) with the Att-SVM of the tokens
    attention selects (log t), ||W(t)||_F against log t, and the final attention map with the
    optimal tokens circled."""
    from ..plotting import COLORS, figure

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
    from ..plotting import COLORS, figure

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
    from ..plotting import COLORS, figure

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
    from ..plotting import COLORS, figure

    fig, (ax,) = figure(1, width=5.5, height=3.3)
    ax.plot(ds, fractions, "o-", color=COLORS["experiment"])
    ax.set(
        xlabel="embedding dimension d",
        ylabel="fraction global",
        ylim=(0, 1.05),
        title=f"n = 6, T = 8; {instances} instances per d",
    )
    return fig
