"""What a quadratic-network run (quadratic.training) is compared with (§8): plain functions of
the run's data."""

from __future__ import annotations

import numpy as np

from .._shared.inputs import Array
from ..plateaus import detect_plateaus, plateau_middles
from .closed_forms import quadratic_escape_sequence
from .training import QuadraticRun

__all__ = ["quadratic_predicted", "quadratic_measured_times", "quadratic_plateau_fixed_points"]


def quadratic_predicted(run: QuadraticRun) -> list[tuple[Array, Array, Array]]:
    """Per seed, quadratic_escape_sequence of its start: (times, units, directions), keeping
    the escapes that fall within the run (time <= the last recorded time)."""
    out = []
    for a, W in zip(run.a0, run.W0, strict=True):
        times, units, dirs = quadratic_escape_sequence(a, W, run.s)
        keep = times <= run.time[-1]
        out.append((times[keep], units[keep], dirs[keep]))
    return out


def quadratic_measured_times(run: QuadraticRun) -> list[Array]:
    """Per seed, the transitions detect_plateaus reads off the loss curve."""
    return [detect_plateaus(run.time, L).transition_times for L in run.loss]


def quadratic_plateau_fixed_points(run: QuadraticRun) -> Array:
    """(seeds, d): at the middle of plateau r (between measured transitions r-1 and r), the
    distance ||M - s sum_{j<r} u_j u_j'||_F / ||A||_F to the fixed point the prediction names:
    the predicted directions u_j of the first r escaping units."""
    d = run.M.shape[-1]
    out = np.full((len(run.loss), d), np.nan)
    norm = run.s * np.sqrt(d)
    for i, ((_, _, dirs), times) in enumerate(
        zip(quadratic_predicted(run), quadratic_measured_times(run), strict=True)
    ):
        for r, j in enumerate(plateau_middles(run.time, times[: dirs.shape[0]])):
            target = run.s * dirs[:r].T @ dirs[:r]
            out[i, r] = np.linalg.norm(run.M[i, j] - target) / norm
    return out
