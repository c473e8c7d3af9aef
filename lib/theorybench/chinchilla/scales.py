"""Sizes of the Chinchilla chapter's torch IsoFLOP sweep at the two scales."""

from __future__ import annotations

from dataclasses import dataclass

from ..device import Sizes, sizes_picker
from ..training import TrainConfig

__all__ = ["ChinchillaSizes", "CI", "FULL", "sizes"]


#: Adam, peak step 0.02 on a cosine schedule; the steps follow from each budget; float32
_ADAM = TrainConfig(steps=None, lr=0.02, dtype="float32")


@dataclass(frozen=True)
class ChinchillaSizes(Sizes):
    """Compute budgets (FLOPs), MLP widths per budget and seeds of
    :func:`~theorybench.chinchilla.experiment.torch_isoflop_sweep`."""

    budgets: tuple[float, ...]
    widths: tuple[int, ...]
    seeds: int
    train: TrainConfig


CI = ChinchillaSizes(
    budgets=(3e7, 1e8, 3e8), widths=(4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128), seeds=4, train=_ADAM
)
FULL = ChinchillaSizes(
    budgets=(3e7, 1e8, 3e8, 1e9, 3e9, 1e10),
    widths=(4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512),
    seeds=8,
    train=_ADAM,
)


sizes = sizes_picker(CI, FULL)
