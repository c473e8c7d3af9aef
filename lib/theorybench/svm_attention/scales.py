"""Sizes of the Attention = SVM experiments at the two scales."""

from __future__ import annotations

from dataclasses import dataclass

from ..device import Sizes, sizes_picker

__all__ = ["SVMSizes", "CI", "FULL", "sizes"]


@dataclass(frozen=True)
class SVMSizes(Sizes):
    """Normalised-GD steps for W (the paper's instance: n = 6, T = 8, d = 10, 2,000 steps) and
    for (K, Q); instances and dimensions of the over-parameterisation sweep."""

    steps: int
    kq_steps: int
    instances: int
    ds: tuple[int, ...]


CI = SVMSizes(steps=2000, kq_steps=6000, instances=24, ds=(4, 6, 8, 12, 16, 24))
FULL = SVMSizes(steps=2000, kq_steps=20000, instances=100, ds=(4, 6, 8, 10, 12, 16, 24, 32))


sizes = sizes_picker(CI, FULL)
