"""Sizes of the convolution family's experiments (the chapter's ``scales`` composes every family's)."""

from __future__ import annotations

from dataclasses import dataclass

from ...device import Sizes
from ...training import TrainConfig

__all__ = ["ConvSizes"]


@dataclass(frozen=True)
class ConvSizes(Sizes):
    """Seeds, channels, length and steps of :func:`~theorybench.saddle_to_saddle.convolution.training.train_conv_network`."""

    seeds: int
    channels: int
    d: int
    train: TrainConfig
