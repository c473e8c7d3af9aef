"""Sizes of the saddle-to-saddle experiments (one per architecture family) at the two scales."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..device import Sizes, sizes_picker
from ..training import TrainConfig

__all__ = ["LinearSizes", "AttentionSizes", "SaddleSizes", "CI", "FULL", "sizes"]


@dataclass(frozen=True)
class LinearSizes(Sizes):
    """Init scales, steps and step size of :func:`~theorybench.saddle_to_saddle.linear_training.train_linear_network`."""

    sigmas: tuple[float, ...]
    train: TrainConfig


@dataclass(frozen=True)
class AttentionSizes(Sizes):
    """Init scales, steps and batch of :func:`~theorybench.saddle_to_saddle.attention_training.train_attention`."""

    sigmas: tuple[float, ...]
    batch: int
    train: TrainConfig


@dataclass(frozen=True)
class SaddleSizes(Sizes):
    """The chapter's two experiments: linear networks and multi-head linear attention."""

    linear: LinearSizes
    attention: AttentionSizes


CI = SaddleSizes(
    linear=LinearSizes(sigmas=(1e-2, 1e-3, 1e-4), train=TrainConfig(steps=1200, lr=0.01)),
    attention=AttentionSizes(sigmas=(0.1, 0.05), batch=2048, train=TrainConfig(steps=1800, lr=0.1)),
)
FULL = SaddleSizes(
    linear=LinearSizes(
        sigmas=tuple(np.geomspace(1e-2, 1e-6, 9).tolist()), train=TrainConfig(steps=6000, lr=0.005)
    ),
    attention=AttentionSizes(
        sigmas=(0.1, 0.05, 0.025, 0.0125), batch=8192, train=TrainConfig(steps=13000, lr=0.1)
    ),
)


sizes = sizes_picker(CI, FULL)
