"""A deterministic / sampled simulator of clipped extrapolated OPD on a categorical policy (numpy), the independent check of lambda*."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .._checks import integer_at_least as _integer_at_least
from .model import Array, _clip, _lam, _pair

__all__ = [
    "OPDRun",
    "simulate_opd",
    "empirical_cliff",
    "sweep_final_mass",
    "CLIPS",
    "ValidityRun",
    "simulate_validity",
    "simulated_cliff",
    "onset",
]


def _log_normalise(theta: Array) -> Array:
    """theta - logsumexp(theta) along the last axis (log-probabilities from logits); the
    simulators call it thousands of times, where scipy's general logsumexp costs most of a run."""
    top = theta.max(axis=-1, keepdims=True)
    return theta - top - np.log(np.exp(theta - top).sum(axis=-1, keepdims=True))


# ----------------------------------------------------------------------------------------------
# Simulation of the clipped, extrapolated OPD dynamics (§6)
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OPDRun:
    """Result of :func:`simulate_opd`."""

    modal_mass: Array  # (steps+1,) mass on token 0 (the modal / format-valid token)
    logits: Array  # (steps+1, K) logits (normalised: log-probabilities)
    clipped: Array  # (steps+1,) bool: some token outside the clip-safe band at that step

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

    Parameters
    ----------
    p, b : array_like
        Teacher and base: modal masses in (0, 1), or distributions over K >= 2 tokens.
    c : float
        Clip strength c > 1.
    lam : float
        Extrapolation coefficient lambda >= 0.
    steps : int
        Number of steps (>= 1).
    lr : float
        Step size (> 0).
    sampled : bool
        Sampled instead of expected-gradient steps.
    samples : int
        Tokens drawn per step when ``sampled``.
    seed : int
        Seed of the sampler.

    Returns
    -------
    OPDRun
        Modal mass and logits along the run, and which steps clipped. The simulator never
        evaluates the closed forms (fixed point, clip-safe interval, threshold).
    """
    pd, bd = _pair(p, b)
    c = float(_clip(c))
    lam = float(_lam(lam))
    for name, value in (("steps", steps), ("samples", samples)):
        _integer_at_least(value, name, 1)
    seed = _integer_at_least(seed, "seed", 0)
    if not (np.isfinite(lr) and 0 < lr <= 1):
        raise ValueError(f"lr must lie in (0, 1] (natural-gradient step), got {lr!r}")
    target = (1 - lam) * np.log(bd) + lam * np.log(pd)  # unnormalised log pi_lambda
    log_b, logc = np.log(bd), np.log(c)
    rng = np.random.default_rng(seed)
    theta = log_b.copy()
    logits = np.empty((steps + 1, pd.size))
    clipped = np.empty(steps + 1, dtype=bool)
    for t in range(steps + 1):
        log_pi = _log_normalise(theta)
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
    return OPDRun(modal_mass=np.exp(logits[:, 0]), logits=logits, clipped=clipped)


def empirical_cliff(
    p: ArrayLike, b: ArrayLike, c: float, *, tol: float = 1e-6, steps: int = 400, lr: float = 0.5
) -> float:
    """Locate the cliff on the simulator alone (§6): bisection over lambda on whether the clip
    still binds at the end of an expected-gradient run of :func:`simulate_opd`
    (``OPDRun.clip_active``), run for many lambdas at once. The bracket is the first of
    [0, 1], [1, 2], [2, 4], ... whose upper end clips (lambda = 0 never clips: the run stays at
    the base), then shrinks 32-fold per round (31 runs at once) to ``tol``. No closed form is
    used.

    Parameters
    ----------
    p, b : array_like
        Teacher and base modal masses (or K-ary distributions).
    c : float
        Clip strength c > 1.
    tol : float
        Relative width of the final bisection bracket in lambda, in (0, 0.1].
    steps, lr : int, float
        Length and step size of each simulated run.

    Returns
    -------
    float
        The smallest lambda (to ``tol``) at which the clip still binds at the end of a run.
    """
    from .. import _checks

    tol = _checks.in_range(tol, "tol", 0, 0.1, lo_open=True)
    pd, bd = _pair(p, b)
    c = float(_clip(c))
    steps = _integer_at_least(steps, "steps", 1)
    if not (np.isfinite(lr) and 0 < lr <= 1):
        raise ValueError(f"lr must lie in (0, 1] (natural-gradient step), got {lr!r}")

    def clips(lams: Array) -> Array:
        return _clip_active_many(pd, bd, c, lams, steps, lr)

    doubling = 2.0 ** np.arange(14)  # 1, 2, ..., 8192; past 1e4 the cliff is inf
    hit = clips(doubling)
    if not hit.any():
        return float("inf")
    i = int(np.argmax(hit))
    lo, hi = (0.0 if i == 0 else doubling[i - 1]), doubling[i]
    while hi - lo > tol * max(1.0, hi):  # 32-section: the bisection, 31 lambdas at a time
        inner = lo + (hi - lo) * np.arange(1, _SECTIONS) / _SECTIONS
        hit = clips(inner)
        j = int(np.argmax(hit)) if hit.any() else inner.size
        lo, hi = (lo if j == 0 else inner[j - 1]), (hi if j == inner.size else inner[j])
    return 0.5 * (lo + hi)


_SECTIONS = 32


def _clip_active_many(pd: Array, bd: Array, c: float, lams: Array, steps: int, lr: float) -> Array:
    """``simulate_opd(p, b, c, lam, steps=steps, lr=lr).clip_active`` for every lambda at once
    (the same expected-gradient arithmetic, one row per lambda)."""
    lams = np.asarray(lams, dtype=float)[:, None]
    log_b, logc = np.log(bd), np.log(c)
    target = (1 - lams) * log_b + lams * np.log(pd)
    theta = np.tile(log_b, (lams.shape[0], 1))
    tail = max(1, (steps + 1) // 10)  # OPDRun.clip_active: the last tenth of the steps+1 states
    active = np.zeros(lams.shape[0], dtype=bool)
    for t in range(steps + 1):
        log_pi = _log_normalise(theta)
        mask = np.abs(log_pi - log_b) <= logc
        if t >= steps + 1 - tail:
            active |= ~mask.all(axis=1)
        if t == steps:
            break
        theta = theta + lr * (mask * (target - log_pi))
    return active


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
    """Final modal mass and final clip state for each lambda (rows: seeds when sampled).

    Parameters
    ----------
    p, b : array_like
        Teacher and base modal masses (or K-ary distributions).
    c : float
        Clip strength c > 1.
    lams : array_like
        Extrapolation coefficients to run.
    sampled : bool
        Sampled instead of expected-gradient steps.
    seeds : int
        Independent sampled runs per lambda (rows of the result).
    steps, lr, samples : int, float, int
        As in :func:`simulate_opd`.

    Returns
    -------
    tuple of ndarray
        ``(final modal mass, clip active at the end)``, each of shape (seeds, len(lams)).
    """
    lams = _lam(np.atleast_1d(lams))
    seeds = _integer_at_least(seeds, "seeds", 1)
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
# Validity of structured outputs under PPO-style clipped, extrapolated OPD (§8)
# ----------------------------------------------------------------------------------------------
CLIPS = ("previous", "base", "base-symmetric")
#: largest lambda simulate_validity accepts (beyond it lambda log p overflows for tiny masses)
LAM_MAX = 1e3


@dataclass(frozen=True)
class ValidityRun:
    """Result of :func:`simulate_validity`: one row per lambda."""

    lams: Array
    steps: Array  # (S,) recorded outer steps
    validity: Array  # (len(lams), S) V = pi(0)^L at those steps
    clip: str


def simulate_validity(
    p: ArrayLike,
    b: ArrayLike,
    lams: ArrayLike,
    *,
    L: int,
    clip: str = "previous",
    eps: float = 0.2,
    c: float = 1.2,
    steps: int = 400,
    epochs: int = 4,
    lr: float = 0.1,
    records: int = 41,
) -> ValidityRun:
    """Expected-gradient dynamics of clipped, extrapolated OPD for one structural position (all L
    positions are identical and independent, so V = pi(0)^L), every lambda at once (§8.2).

    Each outer step freezes the sampling policy pi_old (the policy that generated the rollouts),
    computes the per-token advantage A(y) = lambda log p(y) + (1 - lambda) log b(y) - log pi_old(y),
    and takes ``epochs`` natural-gradient steps on the surrogate
    sum_y pi_old(y) r_y A(y) with r_y = pi(y)/pi_old(y): its gradient in the logits is
    pi(y) (A(y) - sum pi A), and preconditioned by the Fisher matrix of pi this is A(y) up to a
    constant, so the step is theta_y += lr a_y A(y), where a_y switches a token off as its clip
    says:

    * ``"previous"``: PPO's advantage-sign-aware clip of rho_y to [1 - eps, 1 + eps]: off when
      A > 0 and rho > 1 + eps, or A < 0 and rho < 1 - eps;
    * ``"base"``: the same sign-aware rule on the ratio to the base, pi(y)/b(y), band [1/c, c];
    * ``"base-symmetric"``: off whenever pi(y)/b(y) leaves [1/c, c] (the chapter's §1 mask).

    Independent of the closed forms: it never evaluates the fixed point.

    Parameters
    ----------
    p, b : array_like
        Teacher and base distributions over K >= 2 tokens (token 0 valid).
    lams : array_like
        Extrapolation coefficients (>= 0), simulated together.
    L : int
        Structural positions (>= 1).
    clip : {"previous", "base", "base-symmetric"}
        Which ratio is clipped and how.
    eps : float
        PPO's clip range, in (0, 1).
    c : float
        Base-relative band [1/c, c], c > 1.
    steps, epochs : int
        Outer steps and inner epochs per outer step.
    lr : float
        Natural-gradient step, > 0 with lr * epochs < 2. Without a clip each outer step moves
        the logits a fraction lr * epochs of the way to the fixed point; at lr * epochs >= 2
        that map no longer contracts, so larger steps raise ValueError.
    records : int
        Recorded outer steps (evenly spaced, >= 2: the first and the last are always recorded).

    Returns
    -------
    ValidityRun
    """
    from .. import _checks

    p, b = _pair(p, b)
    lams = _lam(np.atleast_1d(np.asarray(lams, dtype=float)))
    if np.any(lams > LAM_MAX):
        raise ValueError(f"lams must lie in [0, {LAM_MAX:g}], got {lams.max()!r}")
    L = _integer_at_least(L, "L (structural positions)", 1)
    if clip not in CLIPS:
        raise ValueError(f"clip must be one of {CLIPS}, got {clip!r}")
    eps = _checks.in_range(eps, "eps", 0, 1, lo_open=True, hi_open=True)
    c = float(_clip(c))
    steps = _integer_at_least(steps, "steps", 1)
    epochs = _integer_at_least(epochs, "epochs", 1)
    lr = _checks.positive(lr, "lr")
    if lr * epochs >= 2:
        raise ValueError(
            f"lr * epochs must be < 2 (the expected update contracts only then), "
            f"got lr = {lr!r}, epochs = {epochs!r}"
        )
    records = _integer_at_least(records, "records", 2)
    logp, logb = np.log(p), np.log(b)
    theta = np.tile(logb, (lams.size, 1))
    record = np.unique(np.linspace(0, steps, records).round().astype(int))
    out = np.empty((lams.size, record.size))
    j = 0
    for t in range(steps + 1):
        log_pi = _log_normalise(theta)
        if t == record[j]:
            out[:, j] = np.exp(L * log_pi[:, 0])
            j += 1
        if t == steps:
            break
        log_old = log_pi
        adv = lams[:, None] * logp + (1 - lams[:, None]) * logb - log_old
        for _ in range(epochs):
            log_pi = _log_normalise(theta)
            if clip == "previous":
                rho = np.exp(log_pi - log_old)
                off = ((adv > 0) & (rho > 1 + eps)) | ((adv < 0) & (rho < 1 - eps))
            else:
                base_ratio = np.exp(log_pi - logb)
                outside_hi, outside_lo = base_ratio > c, base_ratio < 1 / c
                if clip == "base":
                    off = ((adv > 0) & outside_hi) | ((adv < 0) & outside_lo)
                else:
                    off = outside_hi | outside_lo
            theta = theta + lr * np.where(off, 0.0, adv)
        theta = theta - theta.max(axis=1, keepdims=True)  # softmax-invariant recentring
        if not np.all(np.isfinite(theta)):  # pragma: no cover - a guard, not a code path
            raise ValueError(f"lr = {lr} is too large for these p, b: the logits overflowed")
    return ValidityRun(lams=lams, steps=record.astype(float), validity=out, clip=clip)


def onset(lams: ArrayLike, v: ArrayLike, drop: float = 0.5) -> float:
    """The lambda past the largest value of ``v`` at which ``v`` first falls to ``drop`` times
    it, linearly interpolated on the grid ``lams``; inf if it never does. The cliff of a
    simulated or a trained validity curve (:func:`simulated_cliff`, ``ValidityTraining.cliffs``).

    Parameters
    ----------
    lams : array_like
        Strictly increasing grid of lambdas.
    v : array_like
        Validity at each lambda (>= 0).
    drop : float
        Fraction of the largest value, in (0, 1).

    Returns
    -------
    float
    """
    from .. import _checks

    drop = _checks.in_range(drop, "drop", 0, 1, lo_open=True, hi_open=True)
    lams = _checks.finite_array(lams, "lams", ndim=1)
    v = _checks.finite_array(v, "v", ndim=1, non_negative=True)
    if np.any(np.diff(lams) <= 0):
        raise ValueError(f"lams must be strictly increasing, got {lams!r}")
    if lams.shape != v.shape:
        raise ValueError(f"lams and v must have the same length, got {lams.size} and {v.size}")
    i = int(np.argmax(v))
    target = drop * v[i]
    below = np.nonzero(v[i:] <= target)[0]
    if below.size == 0:
        return float("inf")
    j = i + int(below[0])
    return float(lams[j - 1] + (v[j - 1] - target) / (v[j - 1] - v[j]) * (lams[j] - lams[j - 1]))


def simulated_cliff(run: ValidityRun, drop: float = 0.5, at: int = -1) -> float:
    """The lambda past the largest validity at which the validity recorded at step index ``at``
    first falls to ``drop`` times that largest value, linearly interpolated on the lambda grid;
    inf if it never does on the grid.

    Parameters
    ----------
    run : ValidityRun
        A run of :func:`simulate_validity`.
    drop : float
        Fraction of the largest validity.
    at : int
        Index of the recorded step.

    Returns
    -------
    float
    """
    if isinstance(at, (bool, np.bool_)) or not isinstance(at, (int, np.integer)):
        raise ValueError(f"at must be an integer index of run.steps, got {at!r}")
    if not -run.steps.size <= at < run.steps.size:
        raise ValueError(f"at must lie in [-{run.steps.size}, {run.steps.size - 1}], got {at!r}")
    return onset(run.lams, run.validity[:, at], drop)
