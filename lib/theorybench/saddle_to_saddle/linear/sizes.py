"""Sizes of the linear family's experiments (the chapter's ``scales`` composes every family's)."""

from __future__ import annotations

from dataclasses import dataclass

from ...device import Sizes
from ...training import TrainConfig

__all__ = ["LinearSizes", "WidthSizes"]


@dataclass(frozen=True)
class LinearSizes(Sizes):
    """Init scales, steps and step size of :func:`~theorybench.saddle_to_saddle.linear.training.train_linear_network`."""

    sigmas: tuple[float, ...]
    train: TrainConfig


@dataclass(frozen=True)
class WidthSizes(Sizes):
    """Widths, seeds and steps of :func:`~theorybench.saddle_to_saddle.linear.training.width_sweep`."""

    widths: tuple[int, ...]
    seeds: int
    train: TrainConfig
