"""Sizes of the Attention = SVM experiments at the two scales."""

from __future__ import annotations

from dataclasses import dataclass

from ..device import Sizes, sizes_picker
from ..training import TrainConfig

__all__ = ["SVMSizes", "CI", "FULL", "sizes"]


@dataclass(frozen=True)
class SVMSizes(Sizes):
    """Normalised GD (the authors' step 0.1; 2,000 steps as in their code at ``ci``, longer at
    ``full``); instances per statistic (the authors' 100 at both scales); dimensions of the
    over-parameterisation curve; the rank grid over n, T, d (the authors' at ``full``)."""

    train: TrainConfig
    instances: int
    ds: tuple[int, ...]
    rank_ns: tuple[int, ...]
    rank_Ts: tuple[int, ...]
    rank_ds: tuple[int, ...]
    rank_instances: int


CI = SVMSizes(
    train=TrainConfig(steps=2000, lr=0.1),
    instances=100,
    ds=(4, 6, 8, 12, 16, 24),
    rank_ns=(5,),
    rank_Ts=(5, 10),
    rank_ds=(2, 4, 6, 8, 10),
    rank_instances=20,
)
FULL = SVMSizes(
    train=TrainConfig(steps=10000, lr=0.1),
    instances=100,
    ds=(4, 6, 8, 10, 12, 16, 24, 32),
    rank_ns=(5, 10, 15),
    rank_Ts=(5, 10, 15),
    rank_ds=tuple(range(2, 21)),
    rank_instances=100,
)


sizes = sizes_picker(CI, FULL)
