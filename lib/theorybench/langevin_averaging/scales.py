"""Sizes of the Langevin-averaging sample-complexity sweep at the two scales."""

from __future__ import annotations

from dataclasses import dataclass

from ..device import Sizes, sizes_picker

__all__ = ["LangevinSizes", "CI", "FULL", "sizes"]


@dataclass(frozen=True)
class LangevinSizes(Sizes):
    """Keyword arguments of :func:`~theorybench.langevin_averaging.experiment.sweep`: dimensions, sample
    factors (n = factor * d^2), Langevin only up to ``langevin_max_factor`` (``None``: all),
    data sets per point and Langevin steps."""

    ds: tuple[int, ...]
    factors: tuple[float, ...]
    langevin_max_factor: float | None
    runs: int
    steps: int


CI = LangevinSizes(
    ds=(16, 32, 64), factors=(0.5, 1, 2, 4, 8, 16), langevin_max_factor=8, runs=24, steps=1000
)
FULL = LangevinSizes(
    ds=(32, 64, 128, 256),
    factors=(0.25, 0.5, 1, 2, 4, 8, 16),
    langevin_max_factor=None,
    runs=64,
    steps=6000,
)


sizes = sizes_picker(CI, FULL)
