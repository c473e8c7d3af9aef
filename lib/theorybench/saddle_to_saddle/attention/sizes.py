"""Sizes of the attention family's experiments (the chapter's ``scales`` composes every family's)."""

from __future__ import annotations

from dataclasses import dataclass

from ...device import Sizes
from ...training import TrainConfig

__all__ = ["AttentionSizes"]


@dataclass(frozen=True)
class AttentionSizes(Sizes):
    """Init scales, steps and batch of :func:`~theorybench.saddle_to_saddle.attention.training.train_attention`."""

    sigmas: tuple[float, ...]
    batch: int
    train: TrainConfig
