r"""The extrapolation cliff of on-policy distillation (OPD) in a single-position model.

Source: Li, Jiang, Wang, Zhang & Yuen 2026, "The Extrapolation Cliff in On-Policy Distillation of
Near-Deterministic Structured Outputs" (arXiv 2605.08737). Its full derivation is not available
offline; everything here is derived on the theory page ``theory/extrapolation_cliff.md`` (cited
as §N) in the paper's single-position Bernoulli reduction and judged by simulation.

Model (§1). One structural position with a modal (format-valid) token and a tail. Teacher
modal mass p, warm-start (base) modal mass b, importance-sampling clip strength c > 1. OPD with
extrapolation coefficient lambda rewards a sampled token y with

    r_lambda(y) = lambda log pi_T(y) + (1 - lambda) log pi_b(y) - log pi_theta(y),

whose expected value is -KL(pi_theta || pi_lambda) + log Z_lambda with the extrapolated target
pi_lambda ∝ pi_b^{1-lambda} pi_T^lambda: logit q_lambda = (1-lambda) logit b + lambda logit p.
A token is clip-safe while its base-relative ratio pi_theta(y)/pi_b(y) lies in [1/c, c]; a
token outside gets no gradient (it is masked).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special

from ._checks import integer_at_least as _integer_at_least
from ._checks import positive as _positive

__all__ = [
    "OPDRun",
    "PolicySweep",
    "clip_safe_interval",
    "empirical_cliff",
    "experiment_size",
    "explorer",
    "extrapolated_fixed_point",
    "extrapolated_fixed_point_k",
    "lambda_star",
    "lambda_star_k",
    "lambda_star_neutral",
    "logit",
    "plot_simulation",
    "plot_sweep",
    "simulate_opd",
    "sweep_final_mass",
    "sweep_rows",
    "train_categorical_policy",
]

Array = NDArray[np.float64]


# ----------------------------------------------------------------------------------------------
# Argument checks
# ----------------------------------------------------------------------------------------------
def _prob(x: ArrayLike, name: str) -> Array:
    x = np.asarray(x, dtype=float)
    if not np.all(np.isfinite(x)) or np.any(x <= 0) or np.any(x >= 1):
        raise ValueError(f"{name} must lie strictly inside (0, 1), got {x!r}")
    return x


def _clip(c: ArrayLike) -> Array:
    c = np.asarray(c, dtype=float)
    if not np.all(np.isfinite(c)) or np.any(c <= 1):
        raise ValueError(f"c (clip strength) must be a finite number > 1, got {c!r}")
    return c


def _lam(lam: ArrayLike) -> Array:
    lam = np.asarray(lam, dtype=float)
    if not np.all(np.isfinite(lam)) or np.any(lam < 0):
        raise ValueError(f"lam (extrapolation coefficient) must be finite and >= 0, got {lam!r}")
    return lam


def _distribution(x: ArrayLike, name: str) -> Array:
    """A scalar is a Bernoulli modal mass (-> [x, 1-x]); a vector a categorical distribution."""
    x = np.asarray(x, dtype=float)
    if x.ndim == 0:
        x = _prob(x, name)
        return np.array([float(x), 1.0 - float(x)])
    if x.ndim != 1 or x.size < 2:
        raise ValueError(f"{name} must be a probability or a 1-D distribution over >= 2 tokens")
    if not np.all(np.isfinite(x)) or np.any(x <= 0) or abs(x.sum() - 1) > 1e-9:
        raise ValueError(f"{name} must have positive entries summing to 1, got {x!r}")
    return x


def _pair(p: ArrayLike, b: ArrayLike) -> tuple[Array, Array]:
    """Teacher and base as distributions of one length (see _distribution)."""
    p, b = _distribution(p, "p"), _distribution(b, "b")
    if p.shape != b.shape:
        raise ValueError(f"p and b must have the same length, got {p.size} and {b.size}")
    return p, b


def logit(x: ArrayLike) -> Array:
    """log x - log(1 - x), computed with log1p so that x = 1 - 1e-12 stays accurate."""
    x = np.asarray(x, dtype=float)
    return np.log(x) - np.log1p(-x)


# ----------------------------------------------------------------------------------------------
# Closed forms (§2-3)
# ----------------------------------------------------------------------------------------------
def extrapolated_fixed_point(p: ArrayLike, b: ArrayLike, lam: ArrayLike) -> Array:
    """q_lambda = sigmoid((1 - lambda) logit b + lambda logit p) (§2, eq. ec-fixed).

    The maximiser of E r_lambda over Bernoulli students; lambda = 0 gives the base, lambda = 1
    the teacher, lambda > 1 moves past the teacher away from the base. Vectorised (broadcasts).
    """
    p, b, lam = _prob(p, "p"), _prob(b, "b"), _lam(lam)
    return special.expit((1 - lam) * logit(b) + lam * logit(p))


def extrapolated_fixed_point_k(p: ArrayLike, b: ArrayLike, lam: float) -> Array:
    """pi_lambda ∝ pi_b^{1-lambda} pi_T^lambda over K tokens (§5), by a log-space softmax."""
    p, b = _pair(p, b)
    lam = float(_lam(lam))
    return special.softmax((1 - lam) * np.log(b) + lam * np.log(p))


def clip_safe_interval(b: ArrayLike, c: ArrayLike) -> tuple[Array, Array]:
    """Modal masses q whose two base-relative ratios q/b and (1-q)/(1-b) both lie in [1/c, c]
    (§3): q_lo = max(b/c, 1 - c(1-b)), q_hi = min(c b, 1 - (1-b)/c)."""
    b, c = _prob(b, "b"), _clip(c)
    lo = np.maximum(b / c, 1 - c * (1 - b))
    hi = np.minimum(c * b, 1 - (1 - b) / c)
    return lo, hi


def lambda_star(p: ArrayLike, b: ArrayLike, c: ArrayLike) -> Array:
    """Clip-safety threshold: the lambda at which q_lambda leaves the clip-safe interval (§3).

    lambda* = (logit q* - logit b) / (logit p - logit b), q* = q_hi if p > b and q_lo if p < b.
    For p > b (extrapolation sharpens the modal token: the paper's near-deterministic regime) the
    tail binds when b > 1/(c+1) and

        lambda* = [log c + log(1 - (1-b)/c) - log b] / (logit p - logit b),

    otherwise the modal ratio binds: lambda* = [log c + log(1-b) - log(1 - c b)] / (logit p -
    logit b). For p < b the mirrored formulas hold. Every log is taken with log1p, so p, b at
    1 - 1e-12 stay finite. Vectorised over broadcastable p, b, c; b = p raises ValueError (the
    target does not move with lambda, so there is no threshold).
    """
    p, b, c = np.broadcast_arrays(_prob(p, "p"), _prob(b, "b"), _clip(c))
    if np.any(p == b):
        raise ValueError("b must differ from p: with b = p the target does not depend on lambda")
    lb = np.log(b)
    l1b = np.log1p(-b)
    logc = np.log(c)
    with np.errstate(divide="ignore", invalid="ignore"):
        # logit(q*) - logit(b) for the four ways a ratio can bind
        up_tail = logc + np.log1p(-(1 - b) / c) - lb  # (1-q)/(1-b) = 1/c
        up_modal = np.where(c * b < 1, logc + l1b - np.log1p(-c * b), np.inf)  # q/b = c
        down_modal = -logc + l1b - np.log1p(-b / c)  # q/b = 1/c
        down_tail = np.where(c * (1 - b) < 1, -logc - lb + np.log1p(-c * (1 - b)), -np.inf)
        rise = np.where(p > b, np.minimum(up_tail, up_modal), np.maximum(down_modal, down_tail))
    return rise / (logit(p) - logit(b))


def lambda_star_neutral(p: ArrayLike, c: ArrayLike) -> Array:
    """The base-neutral threshold: lambda* with a uniform base b = 1/2 (§4), where the target is
    the teacher sharpened by temperature 1/lambda, logit q = lambda logit p:

        lambda*(p, c) = log(2c - 1) / logit p   (p > 1/2).
    """
    p, c = _prob(p, "p"), _clip(c)
    if np.any(p <= 0.5):
        raise ValueError(f"p must exceed 1/2 for the base-neutral threshold, got {p!r}")
    return np.log(2 * c - 1) / logit(p)


def lambda_star_k(p: ArrayLike, b: ArrayLike, c: float, lam_max: float = 100.0) -> float:
    """K-ary threshold (§5): the smallest lambda > 0 at which some token's base-relative ratio
    pi_lambda(y)/pi_b(y) leaves [1/c, c]. Log-ratios lambda log(p_y/b_y) - log Z(lambda) are
    scanned on a grid and each crossing refined with brentq; inf if none before ``lam_max``."""
    p, b = _pair(p, b)
    logc = float(np.log(_clip(c)))

    log_b, log_p = np.log(b), np.log(p)

    def excess(lam: float) -> float:
        z = (1 - lam) * log_b + lam * log_p
        log_ratio = z - special.logsumexp(z) - log_b
        return float(np.max(np.abs(log_ratio)) - logc)

    grid = np.linspace(0.0, lam_max, 4001)
    values = np.array([excess(x) for x in grid])
    above = np.nonzero(values > 0)[0]
    if above.size == 0:
        return float("inf")
    i = int(above[0])
    return float(optimize.brentq(excess, grid[i - 1], grid[i], xtol=1e-13, rtol=1e-13))


# ----------------------------------------------------------------------------------------------
# Simulation of the clipped, extrapolated OPD dynamics (§6)
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OPDRun:
    """Result of :func:`simulate_opd`."""

    modal_mass: Array  # (steps+1,) mass on token 0 (the modal / format-valid token)
    logits: Array  # (steps+1, K) logits (normalised: log-probabilities)
    clipped: Array  # (steps+1,) bool: some token outside the clip-safe band at that step
    fixed_point: float  # q_lambda (modal mass of the extrapolated target)

    @property
    def clip_active(self) -> bool:
        """Whether the clip keeps binding at the end: a token is masked at some step of the
        last tenth of the run (pinned at the boundary, or past it)."""
        tail = self.clipped[-max(1, self.clipped.size // 10) :]
        return bool(tail.any())


def simulate_opd(
    p: ArrayLike,
    b: ArrayLike,
    c: float,
    lam: float,
    *,
    steps: int = 400,
    lr: float = 0.5,
    sampled: bool = False,
    samples: int = 256,
    seed: int = 0,
) -> OPDRun:
    """Clipped, extrapolated OPD on a categorical policy started at the base (§6).

    Expected-gradient dynamics (``sampled=False``): the natural-gradient step on the logits is
    theta_y += lr m_y r_lambda(y), with the mask m_y = 1 while 1/c <= pi_theta(y)/pi_b(y) <= c,
    else 0 (the Fisher-preconditioned form of E_{y~pi_theta}[m_y r_lambda(y) grad log pi(y)];
    one lr then suits every p, b). Without the mask it converges to pi_lambda at rate lr.
    ``sampled=True``: each step draws ``samples`` tokens from the student and uses the unbiased
    estimate m_y r_lambda(y) 1[y = k] / pi_k of the same step. Scalars p, b are Bernoulli modal
    masses; vectors are K-ary distributions (token 0 is the modal one).
    """
    pd, bd = _pair(p, b)
    c = float(_clip(c))
    lam = float(_lam(lam))
    for name, value in (("steps", steps), ("samples", samples)):
        _integer_at_least(value, name, 1)
    if not (np.isfinite(lr) and 0 < lr <= 1):
        raise ValueError(f"lr must lie in (0, 1] (natural-gradient step), got {lr!r}")
    target = (1 - lam) * np.log(bd) + lam * np.log(pd)  # unnormalised log pi_lambda
    log_b, logc = np.log(bd), np.log(c)
    rng = np.random.default_rng(seed)
    theta = log_b.copy()
    logits = np.empty((steps + 1, pd.size))
    clipped = np.empty(steps + 1, dtype=bool)
    for t in range(steps + 1):
        log_pi = theta - special.logsumexp(theta)
        mask = np.abs(log_pi - log_b) <= logc
        logits[t], clipped[t] = log_pi, not mask.all()
        if t == steps:
            break
        reward = target - log_pi
        if sampled:
            counts = np.bincount(rng.choice(pd.size, samples, p=np.exp(log_pi)), minlength=pd.size)
            step = mask * reward * counts / samples / np.exp(log_pi)
        else:
            step = mask * reward
        theta = theta + lr * step
    q_lam = float(extrapolated_fixed_point_k(pd, bd, lam)[0])
    return OPDRun(
        modal_mass=np.exp(logits[:, 0]), logits=logits, clipped=clipped, fixed_point=q_lam
    )


def empirical_cliff(
    p: ArrayLike, b: ArrayLike, c: float, *, tol: float = 1e-6, steps: int = 400, lr: float = 0.5
) -> float:
    """Locate the cliff on the simulator alone (§6): bisection over lambda on whether the clip
    still binds at the end of an expected-gradient run of :func:`simulate_opd`
    (``OPDRun.clip_active``). The bracket starts at
    [0, 1] (lambda = 0 never clips: the run stays at the base) and doubles until the upper end
    clips. No closed form is used."""
    if not (np.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be a positive number, got {tol!r}")

    def clips(lam: float) -> bool:
        return simulate_opd(p, b, c, lam, steps=steps, lr=lr).clip_active

    lo, hi = 0.0, 1.0
    while not clips(hi):
        lo, hi = hi, 2 * hi
        if hi > 1e4:
            return float("inf")
    while hi - lo > tol * max(1.0, hi):
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if clips(mid) else (mid, hi)
    return 0.5 * (lo + hi)


def sweep_final_mass(
    p: ArrayLike,
    b: ArrayLike,
    c: float,
    lams: ArrayLike,
    *,
    sampled: bool = False,
    seeds: int = 1,
    steps: int = 400,
    lr: float = 0.5,
    samples: int = 256,
) -> tuple[Array, Array]:
    """Final modal mass and final clip state for each lambda (rows: seeds when sampled)."""
    lams = _lam(np.atleast_1d(lams))
    mass = np.empty((seeds, lams.size))
    active = np.empty((seeds, lams.size), dtype=bool)
    for s in range(seeds):
        for j, lam in enumerate(lams):
            run = simulate_opd(
                p, b, c, lam, steps=steps, lr=lr, sampled=sampled, samples=samples, seed=s
            )
            mass[s, j], active[s, j] = run.modal_mass[-1], run.clip_active
    return mass, active


# ----------------------------------------------------------------------------------------------
# Torch experiment: a categorical "format token" policy trained by clipped, extrapolated OPD (§7)
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PolicySweep:
    """Result of :func:`train_categorical_policy`: one entry per lambda."""

    lams: Array
    validity: Array  # final mass on the format-valid token 0
    fixed_point: Array  # q_lambda, the extrapolated target's mass on token 0
    clip_fraction: Array  # fraction of sampled tokens masked over the last tenth of training
    tail_logit_gap: Array  # final log pi(0) - max_{y>0} log pi(y)
    lambda_star: float  # K-ary threshold of (p, b, c)


def experiment_size() -> dict[str, object]:
    """Sizes of the torch experiment at the current ``THEORYBENCH_SCALE``."""
    from .device import by_scale

    return by_scale(
        ci={"lams": list(np.round(np.arange(0.8, 2.01, 0.05), 2)), "steps": 3000, "batch": 1024},
        full={"lams": list(np.round(np.arange(0.8, 2.001, 0.01), 3)), "steps": 6000, "batch": 8192},
    )


def train_categorical_policy(
    p: ArrayLike,
    b: ArrayLike,
    c: float,
    lams: ArrayLike,
    *,
    steps: int = 3000,
    batch: int = 1024,
    lr: float = 0.01,
    seed: int = 0,
    device: str | None = None,
) -> PolicySweep:
    """Train a categorical policy over K tokens (token 0 the format-valid one) from the base by
    clipped, extrapolated OPD with Adam, every lambda batched in one tensor program (§7).

    Each step samples ``batch`` tokens per lambda from the current student (on-policy), scores
    them with r_lambda(y) = lambda log p(y) + (1-lambda) log b(y) - log pi(y) (detached), masks
    tokens whose base-relative ratio leaves [1/c, c], and descends
    -mean(mask * r_lambda * log pi(y)).
    """
    import torch

    from .device import device as pick_device

    pd, bd = _pair(p, b)
    c = float(_clip(c))
    lams = _lam(np.atleast_1d(np.asarray(lams, dtype=float)))
    if lams.ndim != 1:
        raise ValueError("lams must be a 1-D array of coefficients")
    for name, value in (("steps", steps), ("batch", batch)):
        _integer_at_least(value, name, 1)
    _positive(lr, "lr")
    dev = pick_device(device)
    gen = torch.Generator(device=dev).manual_seed(seed)
    log_p = torch.tensor(np.log(pd), device=dev)
    log_b = torch.tensor(np.log(bd), device=dev)
    lam_t = torch.tensor(lams, device=dev)[:, None]
    target = (1 - lam_t) * log_b + lam_t * log_p  # (L, K) unnormalised log pi_lambda
    theta = log_b.repeat(lams.size, 1).clone().requires_grad_()
    opt = torch.optim.Adam([theta], lr=lr)
    rows = torch.arange(lams.size, device=dev)[:, None]
    masked, counted = torch.zeros(lams.size, device=dev), 0
    for t in range(steps):
        log_pi = torch.log_softmax(theta, dim=1)
        y = torch.multinomial(log_pi.detach().exp(), batch, replacement=True, generator=gen)
        lp = log_pi[rows, y]  # (L, batch)
        with torch.no_grad():
            ok = (lp - log_b[y]).abs() <= np.log(c)
            reward = target[rows, y] - lp
        loss = -(ok * reward * lp).mean(1).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if t >= steps - max(1, steps // 10):
            masked += (~ok).float().mean(1)
            counted += 1
    with torch.no_grad():
        log_pi = torch.log_softmax(theta, dim=1).cpu().numpy()
    fixed = np.array([extrapolated_fixed_point_k(pd, bd, lam)[0] for lam in lams])
    return PolicySweep(
        lams=lams,
        validity=np.exp(log_pi[:, 0]),
        fixed_point=fixed,
        clip_fraction=(masked / counted).cpu().numpy(),
        tail_logit_gap=log_pi[:, 0] - log_pi[:, 1:].max(1),
        lambda_star=lambda_star_k(pd, bd, c),
    )


# ----------------------------------------------------------------------------------------------
# Figures
# ----------------------------------------------------------------------------------------------
def plot_sweep(sweep: PolicySweep) -> object:
    """Left: final format validity against lambda, with the extrapolated fixed point and lambda*.
    Right: the fraction of masked samples at the end of training."""
    from .plotting import COLORS, figure

    fig, (ax, axr) = figure(2, width=9.0, height=3.4)
    ax.plot(sweep.lams, sweep.fixed_point, color=COLORS["theory"], lw=1.5, label=r"$q_\lambda$")
    ax.plot(sweep.lams, sweep.validity, "o", color=COLORS["experiment"], ms=4, label="trained")
    axr.plot(sweep.lams, sweep.clip_fraction, "o-", color=COLORS["experiment"], ms=4)
    for a in (ax, axr):
        a.axvline(sweep.lambda_star, color=COLORS["muted"], ls="--", lw=1)
        a.set_xlabel(r"extrapolation coefficient $\lambda$")
    ax.set(
        ylabel="mass on the format token",
        title=r"trained policy vs fixed point; $\lambda^*$ dashed",
    )
    ax.legend(loc="lower right")
    axr.set(ylabel="masked fraction (last 10 %)", title="clip activity at the end of training")
    return fig


def explorer() -> object:
    """Sliders p, b, c, lambda. Left: tail mass 1 - q_lambda against lambda, the clip-safe band
    and lambda*. Right: heat-map of lambda*(p, b) for the chosen c, the current (p, b) marked."""
    from matplotlib.patches import Rectangle

    from . import widgets
    from .plotting import COLORS, figure

    lam_grid = np.linspace(0, 4, 400)
    x = np.linspace(0.3, 4.0, 120)  # -log10 of the teacher's tail mass 1 - p
    y = x[:-1] + 0.5 * (x[1] - x[0])  # offset: the grid never hits b = p
    P, B = np.meshgrid(1 - 10.0**-x, 1 - 10.0**-y)
    fig, (ax, axh) = figure(2, width=9.2, height=3.6)
    band = ax.add_patch(Rectangle((0, 1e-9), 4, 1, color=COLORS["theory"], alpha=0.15, lw=0))
    (curve,) = ax.plot([], [], color=COLORS["theory"], label=r"$1 - q_\lambda$ (tail mass)")
    (point,) = ax.plot([], [], "o", color=COLORS["experiment"], ms=7, label=r"current $\lambda$")
    cliff = ax.axvline(1, color=COLORS["muted"], ls="--", lw=1, label=r"$\lambda^*$")
    ax.set(yscale="log", xlim=(0, 4), ylim=(1e-6, 1), xlabel=r"$\lambda$", ylabel="tail mass")
    ax.legend(loc="lower left", fontsize=8)
    image = axh.imshow(
        np.zeros_like(P),
        origin="lower",
        extent=(x[0], x[-1], y[0], y[-1]),
        aspect="auto",
        vmin=0,
        vmax=3,
        cmap="viridis",
    )
    fig.colorbar(image, ax=axh, label=r"$\lambda^*$ (clipped at 3)")
    (mark,) = axh.plot([], [], "x", color="white", ms=9, mew=2)
    axh.set(xlabel=r"$-\log_{10}(1-p)$ (teacher)", ylabel=r"$-\log_{10}(1-b)$ (base)")

    def update(tail_p: float, tail_b: float, c: float, lam: float) -> None:
        p, b = 1 - tail_p, 1 - tail_b
        if p == b:
            b = 1 - tail_b * 1.001
        tail = 1 - extrapolated_fixed_point(p, b, lam_grid)
        curve.set_data(lam_grid, tail)
        lo, hi = clip_safe_interval(b, c)
        band.set_y(1 - hi)
        band.set_height(hi - lo)
        star = float(lambda_star(p, b, c))
        cliff.set_xdata([star, star])
        point.set_data([lam], [1 - extrapolated_fixed_point(p, b, lam)])
        image.set_data(np.minimum(lambda_star(P, B, c), 3))
        mark.set_data([-np.log10(tail_p)], [-np.log10(tail_b)])
        ax.set_title(f"λ* = {star:.3g}; {'clip-safe' if lam < star else 'past the cliff'}")
        axh.set_title(f"λ*(p, b) at c = {c:.3g}")

    controls = {
        "tail_p": widgets.slider("1 − p", 1e-4, 0.3, 0.04, log=True),
        "tail_b": widgets.slider("1 − b", 1e-4, 0.3, 0.1, log=True),
        "c": widgets.slider("c (clip)", 1.05, 5.0, 2.0, log=True),
        "lam": widgets.slider("λ", 0.0, 4.0, 1.0, step=0.05),
    }
    static = {"c": [1.5, 2.0, 3.0], "lam": [0.5, 1.0, 1.5, 2.0, 3.0]}
    caption = (
        "The extrapolated fixed point's tail mass against λ with the clip-safe band (left) and "
        "the threshold λ*(p, b) for the chosen clip strength (right)."
    )
    return widgets.Explorer(fig, update, controls, static=static, caption=caption)


def plot_simulation(
    p: float,
    b: float,
    c: float,
    lams: ArrayLike,
    exact: ArrayLike,
    sampled_lams: ArrayLike,
    sampled: ArrayLike,
) -> object:
    """Final modal mass of the simulated dynamics against lambda: expected-gradient runs (line),
    sampled rollouts (mean and standard deviation over seeds), the fixed point q_lambda, the
    clip-safe end q_hi and lambda*."""
    from .plotting import COLORS, figure

    lams, sampled_lams = np.asarray(lams, dtype=float), np.asarray(sampled_lams, dtype=float)
    sampled = np.atleast_2d(np.asarray(sampled, dtype=float))
    fig, (ax,) = figure(1, width=7.0, height=3.6)
    ax.plot(
        lams,
        extrapolated_fixed_point(p, b, lams),
        color=COLORS["theory"],
        lw=1.5,
        label=r"fixed point $q_\lambda$",
    )
    ax.plot(
        lams,
        np.asarray(exact)[0],
        color=COLORS["experiment"],
        lw=2.5,
        alpha=0.6,
        label="simulated (expected gradient)",
    )
    ax.errorbar(
        sampled_lams,
        sampled.mean(0),
        yerr=sampled.std(0),
        fmt="o",
        ms=3,
        capsize=2,
        color="k",
        label=f"sampled rollouts ({sampled.shape[0]} seeds)",
    )
    _, hi = clip_safe_interval(b, c)
    ax.axhline(float(hi), color=COLORS["muted"], ls=":", lw=1, label="clip-safe end $q_{hi}$")
    ax.axvline(
        float(lambda_star(p, b, c)), color=COLORS["muted"], ls="--", lw=1, label=r"$\lambda^*$"
    )
    ax.set(
        xlabel=r"$\lambda$",
        ylabel="final mass on the modal token",
        title=f"p = {p:g}, b = {b:g}, c = {c:g}",
    )
    ax.legend(fontsize=8)
    return fig


def sweep_rows(sweep: PolicySweep) -> list[str]:
    """Text rows: predicted lambda* against the first lambda whose run ends clipped, and the
    largest gap to the fixed point below lambda*."""
    clipped = sweep.clip_fraction > 1e-3
    first = float(sweep.lams[np.argmax(clipped)]) if clipped.any() else float("inf")
    below = sweep.lams < sweep.lambda_star
    gap = float(np.max(np.abs(sweep.validity - sweep.fixed_point)[below])) if below.any() else 0.0
    return [
        f"predicted lambda* (K-ary closed form):    {sweep.lambda_star:.3f}",
        f"first lambda ending clipped (trained):    {first:.3f}",
        f"max |trained - fixed point| below lambda*: {gap:.1e}",
    ]
