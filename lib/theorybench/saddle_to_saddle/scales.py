"""Sizes of the saddle-to-saddle experiments (one per architecture family) at the two scales."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..device import Sizes, sizes_picker
from ..training import TrainConfig

__all__ = [
    "LinearSizes",
    "AttentionSizes",
    "ConvSizes",
    "WidthSizes",
    "QuadraticSizes",
    "ReluSizes",
    "ConvReluSizes",
    "SaddleSizes",
    "CI",
    "FULL",
    "sizes",
]


@dataclass(frozen=True)
class LinearSizes(Sizes):
    """Init scales, steps and step size of :func:`~theorybench.saddle_to_saddle.linear.training.train_linear_network`."""

    sigmas: tuple[float, ...]
    train: TrainConfig


@dataclass(frozen=True)
class AttentionSizes(Sizes):
    """Init scales, steps and batch of :func:`~theorybench.saddle_to_saddle.attention.training.train_attention`."""

    sigmas: tuple[float, ...]
    batch: int
    train: TrainConfig


@dataclass(frozen=True)
class ConvSizes(Sizes):
    """Seeds, channels, length and steps of :func:`~theorybench.saddle_to_saddle.convolution.training.train_conv_network`."""

    seeds: int
    channels: int
    d: int
    train: TrainConfig


@dataclass(frozen=True)
class WidthSizes(Sizes):
    """Widths, seeds and steps of :func:`~theorybench.saddle_to_saddle.linear.training.width_sweep`."""

    widths: tuple[int, ...]
    seeds: int
    train: TrainConfig


@dataclass(frozen=True)
class QuadraticSizes(Sizes):
    """Seeds and steps of :func:`~theorybench.saddle_to_saddle.quadratic.training.train_quadratic_network`."""

    seeds: int
    train: TrainConfig


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


@dataclass(frozen=True)
class SaddleSizes(Sizes):
    """The chapter's experiments: linear networks, multi-head linear attention, linear
    convolutional networks, the width sweep, quadratic networks, and ReLU fully connected and convolutional networks."""

    linear: LinearSizes
    attention: AttentionSizes
    conv: ConvSizes
    width: WidthSizes
    quadratic: QuadraticSizes
    relu: ReluSizes
    conv_relu: ConvReluSizes


CI = SaddleSizes(
    linear=LinearSizes(sigmas=(1e-2, 1e-3, 1e-4), train=TrainConfig(steps=1200, lr=0.01)),
    attention=AttentionSizes(sigmas=(0.1, 0.05), batch=2048, train=TrainConfig(steps=1800, lr=0.1)),
    conv=ConvSizes(seeds=10, channels=4, d=16, train=TrainConfig(steps=1500, lr=0.01)),
    width=WidthSizes(widths=(4, 16, 64, 256), seeds=10, train=TrainConfig(steps=1600, lr=0.01)),
    quadratic=QuadraticSizes(seeds=10, train=TrainConfig(steps=10000, lr=0.02)),
    relu=ReluSizes(seeds=10, width=20, train=TrainConfig(steps=16000, lr=0.05)),
    conv_relu=ConvReluSizes(seeds=10, channels=20, train=TrainConfig(steps=12000, lr=0.05)),
)
FULL = SaddleSizes(
    linear=LinearSizes(
        sigmas=tuple(np.geomspace(1e-2, 1e-6, 9).tolist()), train=TrainConfig(steps=6000, lr=0.005)
    ),
    attention=AttentionSizes(
        sigmas=(0.1, 0.05, 0.025, 0.0125), batch=8192, train=TrainConfig(steps=13000, lr=0.1)
    ),
    conv=ConvSizes(seeds=100, channels=16, d=64, train=TrainConfig(steps=3000, lr=0.005)),
    width=WidthSizes(
        widths=(4, 8, 16, 32, 64, 128, 256, 512, 1024),
        seeds=100,
        train=TrainConfig(steps=3200, lr=0.005),
    ),
    quadratic=QuadraticSizes(seeds=100, train=TrainConfig(steps=20000, lr=0.01)),
    relu=ReluSizes(seeds=100, width=50, train=TrainConfig(steps=60000, lr=0.025)),
    conv_relu=ConvReluSizes(seeds=100, channels=50, train=TrainConfig(steps=24000, lr=0.025)),
)


sizes = sizes_picker(CI, FULL)
