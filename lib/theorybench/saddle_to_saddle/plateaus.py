"""A theory-free plateau detector for loss curves."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import signal

from ._shared.inputs import Array

__all__ = ["Plateaus", "detect_plateaus", "plateau_middles"]


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

    A transition is a local maximum of the descent rate -dL/dt (finite differences;
    ``scipy.signal.find_peaks``) whose drop
    -- the loss fallen between the two neighbouring minima of the rate -- is at least
    ``min_drop`` of the total drop; its time is that of the maximum (refined by a parabola through
    three samples). Plateau levels are the loss at the minima of the rate between transitions
    (and at the ends of the curve).

    Parameters
    ----------
    t : array_like
        Strictly increasing times, at least 5.
    loss : array_like
        Finite loss at each time.
    min_drop : float
        Smallest drop counted as a transition, as a fraction of the total drop, in (0, 1).

    Returns
    -------
    Plateaus
        Transition times and plateau levels.
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
    peaks = signal.find_peaks(rate)[0].tolist()  # local maxima of the rate (flat tops: middle)
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


def plateau_middles(t: ArrayLike, transition_times: ArrayLike) -> Array:
    """Indices into ``t`` of the sample nearest the middle of each plateau that ends at a
    transition: between 0 and the first transition, then between consecutive transitions (§3).

    Parameters
    ----------
    t : array_like
        Strictly increasing finite times (1-D, at least 2).
    transition_times : array_like
        Finite transition times (1-D, e.g. detect_plateaus' ``transition_times``).

    Returns
    -------
    ndarray
        One index per transition.
    """
    t = np.asarray(t, dtype=float)
    if t.ndim != 1 or t.size < 2 or not np.all(np.isfinite(t)) or np.any(np.diff(t) <= 0):
        raise ValueError("t must be a 1-D array of at least 2 finite, strictly increasing times")
    found = np.asarray(transition_times, dtype=float)
    if found.ndim != 1 or not np.all(np.isfinite(found)):
        raise ValueError("transition_times must be a 1-D array of finite times")
    edges = np.r_[0.0, found]
    mids = 0.5 * (edges[:-1] + edges[1:])
    return np.abs(t[None, :] - mids[:, None]).argmin(axis=1)
