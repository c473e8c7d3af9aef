"""Sizes of the relu family's experiments (the chapter's ``scales`` composes every family's)."""

from __future__ import annotations

from dataclasses import dataclass

from ...device import Sizes
from ...training import TrainConfig

__all__ = ["ReluSizes", "ConvReluSizes"]


@dataclass(frozen=True)
class ReluSizes(Sizes):
    """Seeds, width and steps of :func:`~theorybench.saddle_to_saddle.relu.training.train_relu_network`."""

    seeds: int
    width: int
    train: TrainConfig


@dataclass(frozen=True)
class ConvReluSizes(Sizes):
    """Seeds, channels and steps of :func:`~theorybench.saddle_to_saddle.relu.training.train_conv_relu_network`."""

    seeds: int
    channels: int
    train: TrainConfig
