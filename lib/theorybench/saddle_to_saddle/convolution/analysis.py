"""What a linear convolutional run (convolution.training) is compared with (§7): plain functions
of the run's data."""

from __future__ import annotations

import numpy as np

from .._shared.inputs import Array
from ..linear.closed_forms import steepest_descent_times
from ..plateaus import detect_plateaus, plateau_middles
from .closed_forms import conv_plateau_losses
from .training import ConvRun

__all__ = [
    "conv_predicted_times",
    "conv_measured_times",
    "conv_levels",
    "conv_predicted_levels",
    "conv_plateau_fixed_points",
]


def conv_predicted_times(run: ConvRun) -> Array:
    """(seeds, n): each frequency's steepest-descent time from its own start (§7.1)."""
    return np.array(
        [[steepest_descent_times([sk], u)[0] for sk, u in zip(run.s, row, strict=True)]
         for row in run.u0]
    )  # fmt: skip


def conv_measured_times(run: ConvRun) -> Array:
    """(seeds, n): transitions read off each loss curve by detect_plateaus (RuntimeError if a
    curve shows a different count)."""
    out = []
    for i, L in enumerate(run.loss):
        found = detect_plateaus(run.time, L).transition_times
        if found.size != run.s.size:
            raise RuntimeError(f"seed {i}: {found.size} transitions, expected {run.s.size}")
        out.append(found)
    return np.array(out)


def conv_levels(run: ConvRun) -> Array:
    """(seeds, n + 1): plateau levels read off each loss curve."""
    return np.array([detect_plateaus(run.time, L).levels for L in run.loss])


def conv_predicted_levels(run: ConvRun) -> Array:
    """The closed-form levels (1/d) sum_{j>=k} s_j^2 (§7.1)."""
    return conv_plateau_losses(run.s, run.teacher.size)


def conv_plateau_fixed_points(run: ConvRun) -> tuple[Array, Array, Array]:
    """At the midpoint between consecutive measured transitions
    -- plateau r, r frequencies learned -- which truncation t_r' of the teacher (its r'
    strongest frequencies) the end-to-end kernel is nearest to, the distance
    ||p - t_r|| / ||t|| to its own truncation, and which frequencies are more than half
    learned there. Returns (nearest (seeds, n), distance (seeds, n), learned (seeds, n, n))."""
    times = conv_measured_times(run)
    spec = np.fft.fft(run.teacher)
    truncs = []
    for r in range(run.s.size + 1):
        keep = np.zeros_like(spec)
        for f in run.freqs[:r]:
            keep[[f, -f]] = spec[[f, -f]]
        truncs.append(np.fft.ifft(keep).real)
    truncs = np.array(truncs)
    norm = np.linalg.norm(run.teacher)
    n = run.s.size
    nearest, dist = np.empty((len(run.loss), n), int), np.empty((len(run.loss), n))
    learned = np.empty((len(run.loss), n, n), bool)
    for i in range(len(run.loss)):
        for r, j in enumerate(plateau_middles(run.time, times[i])):
            d = np.linalg.norm(truncs - run.kernels[i, j], axis=1) / norm
            nearest[i, r], dist[i, r] = int(np.argmin(d)), d[r]
            learned[i, r] = run.strengths[i, j] > run.s / 2
    return nearest, dist, learned
