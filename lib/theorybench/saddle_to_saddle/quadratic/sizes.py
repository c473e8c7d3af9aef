"""Sizes of the quadratic family's experiments (the chapter's ``scales`` composes every family's)."""

from __future__ import annotations

from dataclasses import dataclass

from ...device import Sizes
from ...training import TrainConfig

__all__ = ["QuadraticSizes"]


@dataclass(frozen=True)
class QuadraticSizes(Sizes):
    """Seeds and steps of :func:`~theorybench.saddle_to_saddle.quadratic.training.train_quadratic_network`."""

    seeds: int
    train: TrainConfig
