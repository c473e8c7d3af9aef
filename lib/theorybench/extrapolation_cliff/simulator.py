"""A deterministic / sampled simulator of clipped extrapolated OPD on a categorical policy (numpy), the independent check of lambda*."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from .._checks import integer_at_least as _integer_at_least
from .model import Array, _clip, _lam, _pair, extrapolated_fixed_point_k

__all__ = ["OPDRun", "simulate_opd", "empirical_cliff", "sweep_final_mass"]


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
        Modal mass and logits along the run, which steps clipped, and the unclipped fixed point.
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
    clips. No closed form is used.

    Parameters
    ----------
    p, b : array_like
        Teacher and base modal masses (or K-ary distributions).
    c : float
        Clip strength c > 1.
    tol : float
        Width of the final bisection bracket in lambda.
    steps, lr : int, float
        Length and step size of each simulated run.

    Returns
    -------
    float
        The smallest lambda (to ``tol``) at which the clip still binds at the end of a run.
    """
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
    mass = np.empty((seeds, lams.size))
    active = np.empty((seeds, lams.size), dtype=bool)
    for s in range(seeds):
        for j, lam in enumerate(lams):
            run = simulate_opd(
                p, b, c, lam, steps=steps, lr=lr, sampled=sampled, samples=samples, seed=s
            )
            mass[s, j], active[s, j] = run.modal_mass[-1], run.clip_active
    return mass, active
