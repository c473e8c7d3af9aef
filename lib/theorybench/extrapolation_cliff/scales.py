"""Sizes of the extrapolation-cliff torch experiment at the two scales."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..device import Sizes, sizes_picker

__all__ = ["CliffSizes", "CI", "FULL", "sizes"]


@dataclass(frozen=True)
class CliffSizes(Sizes):
    """The lambda grid, steps and batch of :func:`~theorybench.extrapolation_cliff.experiment.train_categorical_policy`."""

    lams: tuple[float, ...]
    steps: int
    batch: int


CI = CliffSizes(
    lams=tuple(np.round(np.arange(0.8, 2.01, 0.05), 2).tolist()), steps=3000, batch=1024
)
FULL = CliffSizes(
    lams=tuple(np.round(np.arange(0.8, 2.001, 0.01), 3).tolist()), steps=6000, batch=8192
)


sizes = sizes_picker(CI, FULL)
