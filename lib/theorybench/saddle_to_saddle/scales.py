"""Sizes of the saddle-to-saddle experiments at the two scales: each family's sizes class lives in
its sub-package (``<family>.sizes``); this module composes them and holds the ci and full values."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..device import Sizes, sizes_picker
from ..training import TrainConfig
from .attention.sizes import AttentionSizes
from .convolution.sizes import ConvSizes
from .linear.sizes import LinearSizes, WidthSizes
from .quadratic.sizes import QuadraticSizes
from .relu.sizes import ConvReluSizes, ReluSizes

__all__ = ["SaddleSizes", "CI", "FULL", "sizes"]


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
