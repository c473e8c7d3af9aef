"""The Attention = SVM explorer: a batch of random instances per setting, re-trained on release."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .._checks import in_range as _in_range
from .._checks import integer_at_least as _integer_at_least
from .._memo import reused
from ..training import TrainConfig
from .experiment import _descend
from .model import Array, att_svm, direction_correlation, optimal_tokens, synthetic_instance

__all__ = ["ExplorerOutcomes", "explorer_outcomes", "explorer"]

#: instances per explorer frame and GD steps (normalised GD, the authors' 2,000 steps)
EXPLORER_INSTANCES = 24
EXPLORER_STEPS = 2000


@dataclass(frozen=True)
class ExplorerOutcomes:
    """One explorer setting: per instance, whether GD reached the global Att-SVM, and the
    correlation with the Att-SVM of the selected tokens and the norm over the steps."""

    d: int
    steps: Array  # (S,) recorded steps
    is_global: Array  # (B,) bool: attention ends on the optimal token of every sample
    correlation: Array  # (B, S) with the Frobenius Att-SVM of the finally selected tokens
    norm: Array  # (B, S) ||W(t)||_F

    @property
    def global_fraction(self) -> float:
        """Fraction of the instances that reached the global Att-SVM."""
        return float(np.mean(self.is_global))


def explorer_outcomes(
    d: int,
    T: int = 8,
    n: int = 6,
    lr: float = 0.1,
    init: float = 0.0,
    instances: int = EXPLORER_INSTANCES,
) -> ExplorerOutcomes:
    """What one explorer frame shows (§4): normalised GD (step ``lr``, 2,000 steps, entries of W
    drawn N(0, init^2)) on ``instances`` random cross-attention instances with n samples of T
    tokens in d dimensions, all in one batched run. Instance k is ``synthetic_instance(n, T, d,
    seed=1000 d + k, query="cross")``, the instances of :func:`~theorybench.svm_attention.experiment.global_fraction` at master seed 0.

    Parameters
    ----------
    d, T, n : int
        Dimension (>= 2), tokens per sample (>= 2) and samples (>= 1).
    lr : float
        Normalised-GD step, in (0, 10].
    init : float
        Standard deviation of the initial entries of W, in [0, 10].
    instances : int
        Random instances (>= 1).

    Returns
    -------
    ExplorerOutcomes
    """
    d = _integer_at_least(d, "d", 2)
    T = _integer_at_least(T, "T", 2)
    n = _integer_at_least(n, "n", 1)
    lr = _in_range(lr, "lr", 0.0, 10.0, lo_open=True)
    init = _in_range(init, "init", 0.0, 10.0)
    instances = _integer_at_least(instances, "instances", 1)
    return _outcomes(d, T, n, lr, init, instances)


@lru_cache(maxsize=64)
def _outcomes(d: int, T: int, n: int, lr: float, init: float, instances: int) -> ExplorerOutcomes:
    """One frame; from W = 0 the explorer's step sizes train together (the frames of one d share
    their instances, and each instance's step only scales its own update)."""
    lrs = EXPLORER_LRS if (init == 0 and lr in EXPLORER_LRS) else (lr,)
    return _frames(d, T, n, lrs, init, instances)[lrs.index(lr)]


@lru_cache(maxsize=16)
@reused
def _frames(
    d: int, T: int, n: int, lrs: tuple[float, ...], init: float, instances: int
) -> tuple[ExplorerOutcomes, ...]:
    """The frames of the step sizes ``lrs`` at one d, as one batched run over the instances
    repeated once per step size (row j * instances + k: step size j, instance k). Stored and
    reused (:func:`theorybench._memo.reused`): the notebook's static frames, each later run of
    the notebook and the test suite's check of the frames are one computation."""
    data = [synthetic_instance(n, T, d, seed=1000 * d + k, query="cross") for k in range(instances)]
    X, Y, Z, v = (np.stack(a) for a in zip(*data, strict=True))
    J = len(lrs)
    rows = [np.concatenate([a] * J) for a in (X, Y, Z, v)]
    run = _descend(*rows, np.repeat(np.asarray(lrs, dtype=float), instances), param="W",
                   normalized=True, kq_normalization="joint", init_scale=init, init="normal",
                   width=d, records=30, train=TrainConfig(steps=EXPLORER_STEPS, lr=max(lrs)))  # fmt: skip
    sel = run.selected()
    is_global = np.array(
        [np.array_equal(sel[b], optimal_tokens(X[b % instances], Y[b % instances],
                                               v[b % instances])[1]) for b in range(J * instances)]
    )  # fmt: skip
    corr = np.full((J * instances, run.steps.size - 1), np.nan)
    svms: dict[tuple[int, ...], Array | None] = {}  # step sizes that select alike share an SVM
    for b in range(J * instances):
        key = (b % instances, *sel[b].tolist())
        if key not in svms:
            try:
                svms[key] = att_svm(X[b % instances], Z[b % instances], sel[b]).W
            except ValueError:  # the selected tokens cannot be separated: no SVM to compare with
                svms[key] = None
        if svms[key] is not None:
            corr[b] = direction_correlation(run.W[b, 1:], svms[key])
    norm = np.linalg.norm(run.W[:, 1:], axis=(-2, -1))
    return tuple(
        ExplorerOutcomes(d, run.steps[1:], is_global[r], corr[r], norm[r])
        for r in (slice(j * instances, (j + 1) * instances) for j in range(J))
    )


#: the settings the explorer offers: every pair is a frame of the static book, and the test suite
#: checks that the global fraction rises with d at every step size (other d, n, T or init scales
#: are for :func:`explorer_outcomes` in JupyterLab, where the trend is not promised frame by frame)
EXPLORER_DS = (4, 10, 24)
EXPLORER_LRS = (0.03, 0.1, 0.3)


def explorer() -> object:
    """Controls d and the step size, each over the values of the static frames (n = 6, T = 8, W
    started at 0). Each setting trains normalised GD on 24 random instances at once and draws, per
    instance, the correlation of W(t) with the Att-SVM of the tokens attention selects (blue: the
    global SVM; orange: any other, locally optimal or not) and the norm ||W(t)||; the title counts
    the instances that reach the global SVM."""
    from .. import widgets
    from ..plotting import COLORS, figure

    fig, (ax, axn) = figure(2, width=8.8, height=3.4)
    curves = [ax.plot([], [], lw=0.8, alpha=0.5)[0] for _ in range(EXPLORER_INSTANCES)]
    ncurves = [axn.plot([], [], lw=0.8, alpha=0.5)[0] for _ in range(EXPLORER_INSTANCES)]
    ax.axhline(1, color=COLORS["muted"], ls=":", lw=1)
    ax.set(xscale="log", xlim=(1, EXPLORER_STEPS), ylim=(-0.1, 1.05), xlabel="GD step t",
           ylabel="correlation with $W^{mm}$")  # fmt: skip
    axn.set(xscale="log", yscale="log", xlim=(1, EXPLORER_STEPS), xlabel="GD step t",
            ylabel=r"$\|W(t)\|_F$")  # fmt: skip
    colors = {True: COLORS["theory"], False: COLORS["experiment"]}

    def update(d: int, lr: float) -> None:
        res = explorer_outcomes(d, lr=lr)
        for b, (line, nline) in enumerate(zip(curves, ncurves, strict=True)):
            line.set_data(res.steps, res.correlation[b])
            nline.set_data(res.steps, res.norm[b])
            line.set_color(colors[bool(res.is_global[b])])
            nline.set_color(colors[bool(res.is_global[b])])
        axn.set_ylim(max(res.norm.min(), 1e-3) / 2, res.norm.max() * 2)
        k = int(res.is_global.sum())
        ax.set_title(f"d = {d}: {k} of {res.is_global.size} reach the global SVM (blue)")
        axn.set_title("normalised GD: ||W|| grows linearly")

    controls = {
        "d": widgets.choice("d", list(EXPLORER_DS), max(EXPLORER_DS)),
        "lr": widgets.choice("step size", list(EXPLORER_LRS), 0.1),
    }
    static = {"d": list(EXPLORER_DS), "lr": list(EXPLORER_LRS)}
    caption = (
        "Normalised gradient descent on one-layer attention, 24 random instances (n = 6 samples of "
        "T = 8 tokens): every direction "
        "converges to the Att-SVM of the tokens it selects (left), while the norm diverges "
        "(right); the larger d, the more instances select the optimal tokens (the global SVM)."
    )
    return widgets.Explorer(fig, update, controls, static=static, caption=caption)
