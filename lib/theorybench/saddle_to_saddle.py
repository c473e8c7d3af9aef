r"""Saddle-to-saddle dynamics of linear networks from small initialisation.

Sources: Saxe, McClelland & Ganguli 2014, "Exact solutions to the nonlinear dynamics of learning
in deep linear neural networks" (arXiv 1312.6120) [SMG14]; Jacot et al. 2021, "Saddle-to-saddle
dynamics in deep linear networks" (arXiv 2106.15933); Zhang, Saxe & Latham 2026, "Saddle-to-Saddle
Dynamics Explains A Simplicity Bias Across Neural Network Architectures" (arXiv 2512.20607).
Theory page: ``theory/saddle_to_saddle.md`` (cited as §N).

Setting (§1): whitened inputs (E x x' = I), teacher map M = U diag(s) V' with s_1 > s_2 > ...,
population loss L = 1/2 ||M - W_L ... W_1||_F^2, gradient flow tau dW/dt = -grad L (tau = 1/lr in
units of GD steps). From the small, balanced, aligned initialisation W_1 = sigma Q_1 V',
W_l = sigma Q_l Q_{l-1}' and W_L = sigma U Q_{L-1}' (Q_l orthogonal), the modes decouple: the
strength u_k = u_k' W v_k of mode k evolves alone (§2).

Nonlinear architecture (§6): multi-head linear attention on in-context linear regression, with
rank-one keys and queries [Zhang, Singh, Latham & Saxe 2025, arXiv 2501.16265]. Each head is a
three-factor product, so from a balanced aligned start head i obeys the depth-3 mode equation and
the heads are learned one per plateau, each plateau lasting ~ 1/sigma.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import integrate

from ._checks import integer_at_least as _integer_at_least
from ._checks import positive as _positive

__all__ = [
    "AttentionRun",
    "LinearRun",
    "attention_escape_times",
    "attention_experiment_size",
    "attention_loss",
    "attention_loss_curve",
    "attention_plateau_losses",
    "attention_rows",
    "attention_targets",
    "plot_attention",
    "train_attention",
    "Plateaus",
    "deep_escape_time",
    "deep_mode_trajectory",
    "effective_initial_strength",
    "experiment_rows",
    "experiment_size",
    "explorer",
    "loss_curve",
    "detect_plateaus",
    "learning_times",
    "mode_trajectory",
    "plateau_losses",
    "plot_experiment",
    "steepest_fraction",
    "steepest_descent_times",
    "teacher",
    "train_linear_network",
]

Array = NDArray[np.float64]


def _spectrum(s: ArrayLike, *, strictly_decreasing: bool = False) -> Array:
    s = np.asarray(s, dtype=float)
    if s.ndim != 1 or s.size == 0:
        raise ValueError(
            f"s (teacher singular values) must be a non-empty 1-D array, got {s.shape}"
        )
    if not np.all(np.isfinite(s)) or np.any(s <= 0):
        raise ValueError("s (teacher singular values) must be finite and > 0")
    if strictly_decreasing and np.any(np.diff(s) >= 0):
        raise ValueError("s (teacher singular values) must be strictly decreasing")
    return s


# ----------------------------------------------------------------------------------------------
# Closed forms, two-layer network (§2-3)
# ----------------------------------------------------------------------------------------------
def mode_trajectory(t: ArrayLike, s: ArrayLike, u0: float, tau: float = 1.0) -> Array:
    """u_k(t) = s_k e^{2 s_k t/tau} / (e^{2 s_k t/tau} - 1 + s_k/u0)  ([SMG14]; §2, eq. s2s-u).

    The solution of tau du/dt = 2 u (s - u), u(0) = u0 (two layers, balanced). Returns an array of
    shape (len(t), len(s)); computed as s / (1 + (s/u0 - 1) e^{-2 s t/tau}) so that it never
    overflows for long times or tiny u0.
    """
    s = _spectrum(s)
    _positive(u0, "u0")
    _positive(tau, "tau")
    if np.any(s <= u0):
        raise ValueError(f"u0 must be smaller than every s_k (small initialisation), got u0={u0}")
    t = np.atleast_1d(np.asarray(t, dtype=float))[:, None]
    return s / (1 + np.exp(np.log(s / u0 - 1) - 2 * s * t / tau))


def learning_times(s: ArrayLike, u0: float, tau: float = 1.0) -> Array:
    """t_k at which mode k is half learned, u_k = s_k / 2: (tau / 2 s_k) ln(s_k/u0 - 1) (§3).

    For small u0 this is the familiar (tau / 2 s_k) ln(s_k / u0): smaller initialisation, longer
    plateaus, growing like log(1/sigma) since u0 = sigma^2.
    """
    s = _spectrum(s)
    _positive(u0, "u0")
    _positive(tau, "tau")
    if np.any(s <= 2 * u0):
        raise ValueError(f"u0 must be below s_k / 2 for every mode, got u0={u0}")
    return tau / (2 * s) * np.log(s / u0 - 1)


def steepest_descent_times(s: ArrayLike, u0: float, tau: float = 1.0) -> Array:
    """Times at which mode k's own loss 1/2 (s_k - u_k)^2 falls fastest, u_k = s_k / 3 (§3):
    (tau / 2 s_k) ln((s_k/u0 - 1) / 2). The loss-curve feature detect_plateaus measures."""
    s = _spectrum(s)
    _positive(u0, "u0")
    _positive(tau, "tau")
    if np.any(s <= 3 * u0):
        raise ValueError(f"u0 must be below s_k / 3 for every mode, got u0={u0}")
    return tau / (2 * s) * np.log((s / u0 - 1) / 2)


def loss_curve(t: ArrayLike, s: ArrayLike, u0: float, tau: float = 1.0) -> Array:
    """L(t) = 1/2 sum_k (s_k - u_k(t))^2 for the two-layer network (§3)."""
    return 0.5 * ((_spectrum(s) - mode_trajectory(t, s, u0, tau)) ** 2).sum(1)


def plateau_losses(s: ArrayLike) -> Array:
    """Loss on plateau k (modes 1..k-1 learned, k.. not yet): 1/2 sum_{j>=k} s_j^2, for
    k = 1..n, followed by 0 (§3). Unit input covariance."""
    s = _spectrum(s, strictly_decreasing=True)
    tail = np.cumsum((s**2)[::-1])[::-1]
    return np.append(0.5 * tail, 0.0)


def steepest_fraction(depth: int) -> float:
    """u/s at which a depth-L mode's loss falls fastest: maximise u^a (s-u)^2, a = 2 - 2/L, so
    u = a s / (a + 2) (1/3 for two layers) (§4)."""
    _integer_at_least(depth, "depth", 2)
    a = 2 - 2 / depth
    return a / (a + 2)


def deep_escape_time(
    s: float, sigma: float, depth: int, tau: float = 1.0, fraction: float = 0.5
) -> float:
    """Time for a mode of a depth-L balanced aligned linear network to reach u = fraction * s (§4).

    Each layer's factor w obeys tau dw/dt = w^{L-1}(s - w^L), so u = w^L obeys
    tau du/dt = L u^{2 - 2/L} (s - u), u(0) = sigma^L; the time is the integral
    tau int_{u0}^{f s} du / (L u^{2-2/L} (s - u)) (scipy quad, in log u). For L = 2 and f = 1/2
    it is learning_times; for L > 2 and small sigma it grows like tau sigma^{-(L-2)} / ((L-2) s).
    """
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must lie in (0, 1), got {fraction!r}")
    _positive(s, "s")
    _positive(sigma, "sigma")
    _positive(tau, "tau")
    _integer_at_least(depth, "depth", 2)
    u0 = sigma**depth
    if u0 >= fraction * s:
        raise ValueError(f"sigma^depth must be below fraction * s (small init), got {u0}")

    def integrand(log_u: float) -> float:  # du = u dlog_u
        u = np.exp(log_u)
        return u / (depth * u ** (2 - 2 / depth) * (s - u))

    value, _ = integrate.quad(
        integrand, np.log(u0), np.log(fraction * s), limit=200, epsabs=0, epsrel=1e-10
    )
    return float(tau * value)


# ----------------------------------------------------------------------------------------------
# Torch experiment (§3)
# ----------------------------------------------------------------------------------------------
def teacher(s: ArrayLike, d_in: int, d_out: int, seed: int = 0) -> tuple[Array, Array, Array]:
    """A teacher map M = U diag(s) V' with random orthonormal U (d_out x n), V (d_in x n)."""
    s = _spectrum(s)
    if d_in < s.size or d_out < s.size:
        raise ValueError(f"d_in and d_out must be >= len(s) = {s.size}")
    rng = np.random.default_rng(seed)
    U, _ = np.linalg.qr(rng.standard_normal((d_out, s.size)))
    V, _ = np.linalg.qr(rng.standard_normal((d_in, s.size)))
    return U * s @ V.T, U, V


@dataclass(frozen=True)
class LinearRun:
    """Result of :func:`train_linear_network`: one row per initialisation scale."""

    sigmas: Array
    steps: Array  # recorded step indices
    loss: Array  # (len(sigmas), len(steps)) population loss
    singular_values: Array  # (len(sigmas), len(steps), n) of the end-to-end map
    lr: float
    u0: Array  # (len(sigmas), n): effective initial strength of each mode (two layers; else NaN)


def train_linear_network(
    s: ArrayLike,
    sigmas: ArrayLike,
    *,
    depth: int = 2,
    hidden: int = 16,
    d_in: int = 12,
    d_out: int = 10,
    lr: float = 0.05,
    steps: int = 4000,
    init: str = "aligned",
    record_every: int = 5,
    seed: int = 0,
    device: str | None = None,
) -> LinearRun:
    """Gradient descent on L = 1/2 ||M - W_L...W_1||_F^2 (whitened inputs), batched over the
    initialisation scales ``sigmas`` as one tensor program (§3).

    ``init="aligned"``: the balanced aligned start of the theory (u_k(0) = sigma^depth for every
    mode, hidden rotations random); ``init="random"``: i.i.d. N(0, sigma^2) entries, scaled so that
    each layer's typical gain is sigma. Records the loss and the singular values of the
    end-to-end map every ``record_every`` steps.
    """
    import torch

    from .device import device as pick_device

    s = _spectrum(s)
    sig = np.asarray(sigmas, dtype=float)
    if sig.ndim != 1 or sig.size == 0 or np.any(sig <= 0):
        raise ValueError(
            f"sigmas must be a non-empty 1-D array of positive numbers, got {sigmas!r}"
        )
    if not (isinstance(depth, int) and depth >= 2):
        raise ValueError(f"depth must be an integer >= 2, got {depth!r}")
    if hidden < s.size:
        raise ValueError(f"hidden must be >= len(s) = {s.size}, got {hidden}")
    _positive(lr, "lr")
    if init not in ("aligned", "random"):
        raise ValueError(f"init must be 'aligned' or 'random', got {init!r}")
    M, U, V = teacher(s, d_in, d_out, seed)
    rng = np.random.default_rng(seed + 1)
    B, n = sig.size, s.size
    dims = [d_in] + [hidden] * (depth - 1) + [d_out]
    layers = []
    if init == "aligned":
        Qs = [np.linalg.qr(rng.standard_normal((hidden, hidden)))[0] for _ in range(depth - 1)]
        # first layer maps V's columns to Q_1's first n columns, last maps Q_{L-1} back onto U
        first = Qs[0][:, :n] @ V.T
        mats = [first] + [Qs[i][:, :n] @ Qs[i - 1][:, :n].T for i in range(1, depth - 1)]
        mats.append(U @ Qs[-1][:, :n].T)
        for m in mats:
            layers.append(np.stack([g * m for g in sig]))
    else:
        for i in range(depth):
            w = rng.standard_normal((B, dims[i + 1], dims[i])) / np.sqrt(dims[i])
            layers.append(w * sig[:, None, None])
    u0 = (
        effective_initial_strength(layers[0], layers[1], U, V)
        if depth == 2
        else np.full((B, n), np.nan)
    )
    dev = pick_device(device)
    Ws = [torch.tensor(w, dtype=torch.float64, device=dev, requires_grad=True) for w in layers]
    Mt = torch.tensor(M, dtype=torch.float64, device=dev)
    record = np.arange(0, steps + 1, record_every)
    loss = np.empty((B, record.size))
    svals = np.empty((B, record.size, n))
    j = 0
    for t in range(steps + 1):
        W = Ws[0]
        for w in Ws[1:]:
            W = w @ W
        L = 0.5 * ((Mt - W) ** 2).sum(dim=(1, 2))
        if t == record[j]:
            with torch.no_grad():
                loss[:, j] = L.cpu().numpy()
                svals[:, j] = torch.linalg.svdvals(W)[:, :n].cpu().numpy()
            j += 1
            if j == record.size:
                break
        grads = torch.autograd.grad(L.sum(), Ws)
        with torch.no_grad():
            for w, g in zip(Ws, grads, strict=True):
                w -= lr * g
    return LinearRun(sigmas=sig, steps=record, loss=loss, singular_values=svals, lr=lr, u0=u0)


def effective_initial_strength(W1: ArrayLike, W2: ArrayLike, U: ArrayLike, V: ArrayLike) -> Array:
    """u_k(0)_eff = ||a_k + b_k||^2 / 4 with a_k = W1 v_k, b_k = W2' u_k (§3, random starts).

    Early on, tau da/dt = s b and tau db/dt = s a, so a + b grows like e^{s t/tau}, a - b decays,
    and u_k = b'a ~ ||a_0 + b_0||^2 e^{2 s t/tau} / 4: the logistic with this u0. For the aligned
    start it equals sigma^2. Batched over a leading axis of W1 (B, H, D) and W2 (B, O, H).
    """
    W1, W2 = np.asarray(W1, dtype=float), np.asarray(W2, dtype=float)
    a = W1 @ np.asarray(V, dtype=float)  # (B, H, n)
    b = np.swapaxes(W2, -1, -2) @ np.asarray(U, dtype=float)  # (B, H, n)
    return 0.25 * ((a + b) ** 2).sum(-2)


# ----------------------------------------------------------------------------------------------
# Reading plateaus off a loss curve, without the theory (§3)
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Plateaus:
    """Transitions (times of steepest loss descent) and the plateau levels between them."""

    transition_times: Array
    levels: Array  # loss on each plateau: before the first transition, between, after the last

    @property
    def count(self) -> int:
        return int(self.transition_times.size)


def detect_plateaus(t: ArrayLike, loss: ArrayLike, *, min_drop: float = 0.02) -> Plateaus:
    """Find the drops of a loss curve and the plateaus between them, from the curve alone.

    A transition is a local maximum of the descent rate -dL/dt (finite differences) whose drop
    -- the loss fallen between the two neighbouring minima of the rate -- is at least
    ``min_drop`` of the total drop; its time is that of the maximum (refined by a parabola through
    three samples). Plateau levels are the loss at the minima of the rate between transitions
    (and at the ends of the curve).
    """
    t = np.asarray(t, dtype=float)
    L = np.asarray(loss, dtype=float)
    if t.ndim != 1 or t.shape != L.shape or t.size < 5:
        raise ValueError("t and loss must be 1-D arrays of one length >= 5")
    if not (np.all(np.isfinite(L)) and np.all(np.diff(t) > 0)):
        raise ValueError("loss must be finite and t strictly increasing")
    if not 0 < min_drop < 1:
        raise ValueError(f"min_drop must lie in (0, 1), got {min_drop!r}")
    rate = -np.gradient(L, t)
    peaks = [i for i in range(1, rate.size - 1) if rate[i] >= rate[i - 1] and rate[i] > rate[i + 1]]
    total = L[0] - L.min()
    times, bounds = [], [0]
    for i in peaks:
        left = bounds[-1] + int(np.argmin(rate[bounds[-1] : i + 1]))
        nxt = [p for p in peaks if p > i]
        right = i + int(np.argmin(rate[i : (nxt[0] if nxt else rate.size)]))
        if total > 0 and L[left] - L[right] >= min_drop * total:
            a, b, c = rate[i - 1], rate[i], rate[i + 1]
            shift = 0.5 * (a - c) / (a - 2 * b + c) if (a - 2 * b + c) != 0 else 0.0
            times.append(t[i] + shift * (t[i + 1] - t[i - 1]) / 2)
            bounds.append(right)
    levels = np.array([L[0]] + [L[b] for b in bounds[1:]])
    return Plateaus(transition_times=np.array(times), levels=levels)


def deep_mode_trajectory(
    t: ArrayLike, s: ArrayLike, sigma: float, depth: int, tau: float = 1.0
) -> Array:
    """u_k(t) for a depth-L balanced aligned network, u(0) = sigma^L (§4).

    tau du/dt = L u^{2-2/L} (s - u) has no elementary solution for L > 2. In the logit
    v = log(u / (s - u)) the inverse is smooth, dt/dv = tau u^{2/L - 1} / (L s) (constant for
    L = 2, where this is exact), so t(v) is integrated cumulatively (trapezoid, 4,000 points) and
    inverted by interpolation. Shape (len(t), len(s)); for L = 2 it reproduces mode_trajectory.
    """
    s = _spectrum(s)
    _positive(sigma, "sigma")
    _positive(tau, "tau")
    _integer_at_least(depth, "depth", 2)
    u0 = sigma**depth
    if np.any(u0 >= s):
        raise ValueError("sigma^depth must be below every s_k (small initialisation)")
    t = np.atleast_1d(np.asarray(t, dtype=float))
    out = np.empty((t.size, s.size))
    for k, sk in enumerate(s):
        v = np.linspace(np.log(u0 / (sk - u0)), 40.0, 4000)
        u = sk / (1 + np.exp(-v))
        dt = tau * u ** (2 / depth - 1) / (depth * sk)
        times = np.concatenate([[0.0], np.cumsum(0.5 * (dt[1:] + dt[:-1]) * np.diff(v))])
        out[:, k] = sk / (1 + np.exp(-np.interp(t, times, v)))
    return out


def explorer() -> object:
    """Sliders for the init scale sigma, the spectral gap, the learning rate and the depth.

    Teacher s = (3, 3g, 3g^2). Left: the closed-form loss against GD steps, with the predicted
    transition times (dashed) and plateau levels (dotted). Right: the rank staircase -- the number
    of learned modes sum_k u_k/s_k, and each mode's u_k/s_k.
    """
    from . import widgets
    from .plotting import COLORS, CYCLE, figure

    fig, (ax, axr) = figure(2, width=8.8, height=3.6)
    (curve,) = ax.plot([], [], color=COLORS["theory"], label="closed-form loss")
    marks = [ax.axvline(1, color=CYCLE[k], ls="--", lw=1) for k in range(3)]
    levels = [ax.axhline(0, color=COLORS["muted"], ls=":", lw=1) for _ in range(3)]
    ax.set(
        xscale="log",
        xlabel="GD steps",
        ylabel="loss",
        xlim=(1, 1e6),
        title="loss; predicted transitions dashed, plateau levels dotted",
    )
    ax.legend(loc="upper right")
    (stair,) = axr.plot([], [], color="k", lw=2, label=r"$\sum_k u_k/s_k$ (modes learned)")
    modes = [
        axr.plot([], [], color=CYCLE[k], lw=1, label=f"$u_{k + 1}/s_{k + 1}$")[0] for k in range(3)
    ]
    axr.set(
        xscale="log", xlabel="GD steps", ylim=(-0.05, 3.1), xlim=(1, 1e6), title="rank staircase"
    )
    axr.legend(loc="upper left")

    def update(sigma: float, gap: float, lr: float, depth: int) -> None:
        s = 3.0 * gap ** np.arange(3)
        tau = 1 / lr
        frac = steepest_fraction(depth)
        tks = [deep_escape_time(sk, sigma, depth, tau, fraction=frac) for sk in s]
        window = (tks[0] / 4, tks[-1] * 4)
        steps = np.geomspace(*window, 600)
        u = (
            mode_trajectory(steps, s, sigma**2, tau)
            if depth == 2
            else deep_mode_trajectory(steps, s, sigma, depth, tau)
        )
        curve.set_data(steps, 0.5 * ((s - u) ** 2).sum(1))
        lv = plateau_losses(s)
        for k in range(3):
            marks[k].set_xdata([tks[k], tks[k]])
            modes[k].set_data(steps, u[:, k] / s[k])
            levels[k].set_ydata([lv[k], lv[k]])
        stair.set_data(steps, (u / s).sum(1))
        ax.set(xlim=window, ylim=(-0.3, lv[0] * 1.08))
        axr.set_xlim(window)

    controls = {
        # ranges keep the initialisation small against the weakest mode (sigma^2 < s_3 / 3)
        "sigma": widgets.slider("σ (init)", 1e-5, 0.1, 1e-3, log=True),
        "gap": widgets.slider("gap s₂/s₁", 0.3, 0.9, 0.5, step=0.05),
        "lr": widgets.slider("lr", 1e-3, 0.1, 0.01, log=True),
        "depth": widgets.choice("depth L", [2, 3, 4], 2),
    }
    static = {"sigma": [1e-5, 1e-4, 1e-3, 1e-2, 0.03, 0.1], "depth": [2, 3, 4]}
    caption = (
        "Closed-form loss of a linear network from small initialisation with the predicted "
        "transition times (left) and the rank staircase (right)."
    )
    return widgets.Explorer(fig, update, controls, static=static, caption=caption)


def experiment_size() -> dict[str, object]:
    """Sizes of the chapter's torch experiment at the current ``THEORYBENCH_SCALE``."""
    from .device import by_scale

    return by_scale(
        ci={"sigmas": [1e-2, 1e-3, 1e-4], "steps": 1200, "lr": 0.01},
        full={"sigmas": list(np.geomspace(1e-2, 1e-6, 9)), "steps": 6000, "lr": 0.005},
    )


def experiment_rows(run: LinearRun, s: ArrayLike) -> list[str]:
    """Text rows: predicted vs measured (detect_plateaus) transition times of a two-layer run."""
    s = _spectrum(s)
    t = run.steps * run.lr
    rows = [f"{'sigma':>8} {'mode':>4} {'predicted t_k':>14} {'measured t_k':>13} {'error':>7}"]
    for i, sigma in enumerate(run.sigmas):
        found = detect_plateaus(t, run.loss[i]).transition_times
        predicted = steepest_descent_times(s, sigma**2)
        for k, (p, m) in enumerate(zip(predicted, found, strict=False)):
            rows.append(f"{sigma:8.0e} {k + 1:4d} {p:14.3f} {m:13.3f} {100 * (m / p - 1):6.1f}%")
    return rows


def plot_experiment(run: LinearRun, s: ArrayLike) -> object:
    """Loss of the trained networks (thick) against the closed form (dashed), with the
    transitions detect_plateaus finds (dots), one colour per init scale; x in gradient-flow time."""
    from .plotting import COLORS, CYCLE, figure

    s = _spectrum(s)
    t = run.steps * run.lr
    fig, (ax,) = figure(1, width=7.0, height=3.6)
    for i, sigma in enumerate(run.sigmas):
        ax.plot(t, run.loss[i], color=CYCLE[i], lw=3, alpha=0.45, label=f"GD, σ = {sigma:g}")
        ax.plot(t, loss_curve(t, s, sigma**2), color=CYCLE[i], ls="--", lw=1)
        found = detect_plateaus(t, run.loss[i]).transition_times
        ax.plot(found, np.interp(found, t, run.loss[i]), "o", color=CYCLE[i], ms=5)
    for level in plateau_losses(s):
        ax.axhline(level, color=COLORS["muted"], ls=":", lw=0.8)
    ax.set(
        xlabel="time t = steps × lr",
        ylabel="loss",
        title="trained (thick) vs closed form (dashed); dots: detected transitions",
    )
    ax.legend()
    return fig


# ----------------------------------------------------------------------------------------------
# A nonlinear architecture: multi-head linear attention learns one head per plateau (§6)
# ----------------------------------------------------------------------------------------------
def _eigenvalues(lam: ArrayLike) -> Array:
    lam = np.asarray(lam, dtype=float)
    if lam.ndim != 1 or lam.size == 0:
        raise ValueError(
            f"lam (input covariance eigenvalues) must be a non-empty 1-D array, got {lam.shape}"
        )
    if not np.all(np.isfinite(lam)) or np.any(lam <= 0):
        raise ValueError("lam (input covariance eigenvalues) must be finite and > 0")
    return lam


def _context(context: int) -> int:
    return _integer_at_least(context, "context", 1)


def _attention_gamma(lam: Array, context: int) -> Array:
    """gamma_i = E[Sigma_hat^2]_ii = lam_i^2 + (lam_i^2 + tr(Lambda) lam_i) / N (§6.1)."""
    return lam**2 + (lam**2 + lam.sum() * lam) / _context(context)


def attention_targets(lam: ArrayLike, context: int) -> tuple[Array, Array]:
    """Per-mode optimum m_i* = lam_i / gamma_i and curvature c_i = lam_i gamma_i (§6.1).

    gamma_i = lam_i^2 + (lam_i^2 + tr(Lambda) lam_i) / N is the i-th diagonal entry of
    E[Sigma_hat^2], Sigma_hat = (1/N) sum_n x_n x_n' the context's sample covariance
    (Gaussian fourth moments). The population loss of a diagonal M is
    sum_i [lam_i/2 - lam_i^2 m_i + lam_i gamma_i m_i^2 / 2]; see attention_loss.
    """
    lam = _eigenvalues(lam)
    gamma = _attention_gamma(lam, context)
    return lam / gamma, lam * gamma


def attention_loss(M: ArrayLike, lam: ArrayLike, context: int) -> float:
    """Population loss of linear attention with end-to-end matrix M = sum_h v_h q_h k_h' (§6.1):

        L(M) = tr(Lambda)/2 - tr(Lambda M Lambda) + tr(M' Lambda M Gamma)/2,
        Gamma = E[Sigma_hat^2] = Lambda^2 + (Lambda^2 + tr(Lambda) Lambda) / N,

    for x ~ N(0, Lambda) with Lambda = diag(lam), task vector w ~ N(0, I) and N context tokens.
    """
    lam = _eigenvalues(lam)
    M = np.asarray(M, dtype=float)
    if M.shape != (lam.size, lam.size):
        raise ValueError(f"M must have shape {(lam.size, lam.size)}, got {M.shape}")
    gamma = _attention_gamma(lam, context)
    return float(
        0.5 * lam.sum() - np.sum(lam**2 * np.diag(M)) + 0.5 * np.sum(lam[:, None] * M**2 * gamma)
    )


def attention_plateau_losses(lam: ArrayLike, context: int) -> Array:
    """Loss before any head is learned, then after each mode is learned in order (§6.2):
    L_k = tr(Lambda)/2 - 1/2 sum_{i<=k} lam_i^3 / gamma_i; length len(lam) + 1."""
    lam = _eigenvalues(lam)
    m_star, _ = attention_targets(lam, context)
    gain = 0.5 * lam**2 * m_star  # = lam^3 / (2 gamma)
    return 0.5 * lam.sum() - np.concatenate([[0.0], np.cumsum(gain)])


def attention_escape_times(lam: ArrayLike, a0: ArrayLike, context: int) -> Array:
    """Time (steps x lr) at which head i's loss falls fastest, from the balanced aligned start
    v_i = k_ii = q_ii = a0_i (§6.2).

    Each head is a product of three factors, so m_i = a^3 obeys the depth-3 mode equation
    da/dt = c_i a^2 (m_i* - a^3): deep_escape_time(m_i*, a0_i, 3, tau=1/c_i) at the steepest
    fraction 1/4. For small a0 it is ~ 1 / (lam_i^2 a0): plateaus last ~ 1/sigma, not log(1/sigma).
    ``a0`` is one scale or one per head.
    """
    m_star, curv = attention_targets(lam, context)
    a0 = np.broadcast_to(np.asarray(a0, dtype=float), m_star.shape)
    if np.any(~np.isfinite(a0)) or np.any(a0 <= 0):
        raise ValueError(f"a0 (initial head scale) must be > 0, got {a0!r}")
    frac = steepest_fraction(3)
    return np.array(
        [
            deep_escape_time(m, a, 3, tau=1 / c, fraction=frac)
            for m, a, c in zip(m_star, a0, curv, strict=True)
        ]
    )


def attention_loss_curve(t: ArrayLike, lam: ArrayLike, a0: ArrayLike, context: int) -> Array:
    """Closed-form L(t) from the balanced aligned start (§6.2): each m_i(t) from
    deep_mode_trajectory (depth 3, tau = 1/c_i) put into the diagonal loss."""
    lam = _eigenvalues(lam)
    m_star, curv = attention_targets(lam, context)
    a0 = np.broadcast_to(np.asarray(a0, dtype=float), lam.shape)
    t = np.atleast_1d(np.asarray(t, dtype=float))
    m = np.stack(
        [
            deep_mode_trajectory(t, [ms], a, 3, tau=1 / c)[:, 0]
            for ms, a, c in zip(m_star, a0, curv, strict=True)
        ],
        axis=1,
    )
    return (0.5 * lam - lam**2 * m + 0.5 * curv * m**2).sum(1)


@dataclass(frozen=True)
class AttentionRun:
    """Result of :func:`train_attention`: one row per initialisation scale."""

    sigmas: Array
    head_scales: Array  # (heads,) multipliers of sigma per head
    steps: Array  # recorded step indices
    lr: float
    context: int
    loss: Array  # (len(sigmas), len(steps)) loss on a fixed held-out set of sequences
    head_norms: Array  # (len(sigmas), len(steps), heads): |v_h| ||k_h|| ||q_h||

    @property
    def times(self) -> Array:
        """Recorded steps in gradient-flow time, steps x lr."""
        return self.steps * self.lr


def _sequences(gen, lam, n_seq, context, torch, dev):
    x = torch.randn(n_seq, context + 1, lam.size, generator=gen, dtype=torch.float64)
    x = (x * torch.tensor(np.sqrt(lam))).to(dev)
    w = torch.randn(n_seq, lam.size, generator=gen, dtype=torch.float64).to(dev)
    y = torch.einsum("bnd,bd->bn", x, w)
    return x, y


def train_attention(
    lam: ArrayLike,
    sigmas: ArrayLike,
    *,
    heads: int | None = None,
    head_scales: ArrayLike | None = None,
    context: int = 16,
    batch: int = 2048,
    eval_sequences: int = 16384,
    lr: float = 0.1,
    steps: int = 2000,
    init: str = "aligned",
    record_every: int = 10,
    seed: int = 0,
    device: str | None = None,
) -> AttentionRun:
    """Train multi-head linear attention on in-context linear regression by SGD on fresh
    sequences, batched over the initialisation scales ``sigmas`` (§6.3).

    Sequence: x_1..x_N, x_q ~ N(0, diag(lam)), y_n = w'x_n, w ~ N(0, I). Head h reads the value
    y_n, scores token n against the query with rank-one key and query, and the model predicts

        y_hat = sum_h v_h (1/N) sum_n y_n (k_h' x_n)(q_h' x_q),

    computed in linear attention's associative order (the keys-times-values state first).
    ``init="aligned"``: v_h = k_hh = q_hh = sigma * head_scales[h] (heads = len(lam));
    ``init="random"``: v ~ N(0, sigma^2), k, q ~ N(0, sigma^2 I / d). Each step draws ``batch``
    new sequences (seeded); the recorded loss is on ``eval_sequences`` fixed held-out sequences.
    """
    import torch

    from .device import device as pick_device

    lam = _eigenvalues(lam)
    context = _context(context)
    d = lam.size
    sig = np.asarray(sigmas, dtype=float)
    if sig.ndim != 1 or sig.size == 0 or np.any(~(sig > 0)):
        raise ValueError(
            f"sigmas must be a non-empty 1-D array of positive numbers, got {sigmas!r}"
        )
    heads = d if heads is None else heads
    _integer_at_least(heads, "heads", 1)
    if init not in ("aligned", "random"):
        raise ValueError(f"init must be 'aligned' or 'random', got {init!r}")
    if init == "aligned" and heads != d:
        raise ValueError(f"the aligned start needs heads == len(lam) = {d}, got heads={heads}")
    hs = np.ones(heads) if head_scales is None else np.asarray(head_scales, dtype=float)
    if hs.shape != (heads,) or np.any(~(hs > 0)):
        raise ValueError(f"head_scales must hold {heads} positive numbers, got {head_scales!r}")
    for name, value in (("batch", batch), ("eval_sequences", eval_sequences), ("steps", steps)):
        _integer_at_least(value, name, 1)
    _positive(lr, "lr")
    dev = pick_device(device)
    R = sig.size
    scale = torch.tensor(sig[:, None] * hs[None, :], dtype=torch.float64)  # (R, H)
    if init == "aligned":
        v = scale.clone()
        k = torch.diag_embed(scale)
        q = torch.diag_embed(scale)
    else:
        g0 = torch.Generator().manual_seed(seed + 1)
        v = torch.randn(R, heads, generator=g0, dtype=torch.float64) * scale
        k = torch.randn(R, heads, d, generator=g0, dtype=torch.float64) * scale[..., None] / d**0.5
        q = torch.randn(R, heads, d, generator=g0, dtype=torch.float64) * scale[..., None] / d**0.5
    params = [p.to(dev).requires_grad_() for p in (v, k, q)]
    gen = torch.Generator().manual_seed(seed)
    x_eval, y_eval = _sequences(gen, lam, eval_sequences, context, torch, dev)

    def loss_on(x, y):
        v, k, q = params
        state = torch.einsum("bn,bnd->bd", y[:, :-1], x[:, :-1]) / context  # sum_n y_n x_n / N
        keys = torch.einsum("bd,rhd->rbh", state, k)
        queries = torch.einsum("bd,rhd->rbh", x[:, -1], q)
        y_hat = torch.einsum("rbh,rbh,rh->rb", keys, queries, v)
        return 0.5 * ((y[:, -1] - y_hat) ** 2).mean(1)

    record = np.arange(0, steps + 1, record_every)
    loss = np.empty((R, record.size))
    norms = np.empty((R, record.size, heads))
    for j in range(record.size):
        with torch.no_grad():
            loss[:, j] = loss_on(x_eval, y_eval).cpu().numpy()
            v, k, q = params
            norms[:, j] = (v.abs() * k.norm(dim=-1) * q.norm(dim=-1)).cpu().numpy()
        if j == record.size - 1:
            break
        for _ in range(record_every):
            x, y = _sequences(gen, lam, batch, context, torch, dev)
            grads = torch.autograd.grad(loss_on(x, y).sum(), params)
            with torch.no_grad():
                for p, g in zip(params, grads, strict=True):
                    p -= lr * g
    return AttentionRun(
        sigmas=sig,
        head_scales=hs,
        steps=record,
        lr=float(lr),
        context=context,
        loss=loss,
        head_norms=norms,
    )


def attention_experiment_size() -> dict[str, object]:
    """Sizes of the attention experiment at the current ``THEORYBENCH_SCALE``."""
    from .device import by_scale

    return by_scale(
        ci={"sigmas": [0.1, 0.05], "steps": 1800, "batch": 2048},
        full={"sigmas": [0.1, 0.05, 0.025, 0.0125], "steps": 13000, "batch": 8192},
    )


def attention_rows(run: AttentionRun, lam: ArrayLike) -> list[str]:
    """Text rows: predicted vs measured (detect_plateaus) transitions of an aligned run."""
    rows = [f"{'sigma':>7} {'head':>4} {'predicted':>10} {'measured':>9} {'error':>7}"]
    for i, sigma in enumerate(run.sigmas):
        found = detect_plateaus(run.times, run.loss[i]).transition_times
        predicted = attention_escape_times(lam, sigma * run.head_scales, run.context)
        for h, m in zip(np.argsort(predicted), found, strict=False):
            p = predicted[h]
            rows.append(f"{sigma:7.3f} {h + 1:4d} {p:10.2f} {m:9.2f} {100 * (m / p - 1):6.1f}%")
    return rows


def plot_attention(run: AttentionRun, lam: ArrayLike) -> object:
    """Left: held-out loss of the trained attention models (thick) against the closed form
    (dashed). Right: each head's norm abs(v) ||k|| ||q||; dashed lines: predicted transitions."""
    from .plotting import COLORS, CYCLE, figure

    lam = _eigenvalues(lam)
    t = run.times
    fig, (ax, axr) = figure(2, width=9.0, height=3.6)
    for i, sigma in enumerate(run.sigmas):
        a0 = sigma * run.head_scales
        ax.plot(t, run.loss[i], color=CYCLE[i], lw=3, alpha=0.45, label=f"SGD, σ = {sigma:g}")
        ax.plot(
            t[1:], attention_loss_curve(t[1:], lam, a0, run.context), color=CYCLE[i], ls="--", lw=1
        )
        for h in range(run.head_norms.shape[2]):
            label = f"head {h + 1}" if i == 0 else None
            style = "-" if i == 0 else ":"
            axr.plot(t, run.head_norms[i, :, h], color=CYCLE[h], lw=1.5, ls=style, label=label)
        if i == 0:
            for tk in attention_escape_times(lam, a0, run.context):
                axr.axvline(tk, color=COLORS["muted"], ls="--", lw=0.8)
    for level in attention_plateau_losses(lam, run.context):
        ax.axhline(level, color=COLORS["muted"], ls=":", lw=0.8)
    ax.set(
        xlabel="time t = steps × lr", ylabel="held-out loss", title="loss: trained vs closed form"
    )
    ax.legend()
    axr.set(
        xlabel="time t = steps × lr",
        ylabel=r"$|v_h|\,\|k_h\|\,\|q_h\|$",
        title=f"head norms (σ = {run.sigmas[0]:g} solid); predicted onsets dashed",
    )
    axr.legend(loc="lower right")
    return fig
