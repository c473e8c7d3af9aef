"""The torch experiment for linear convolutional networks (§7): two circular conv layers trained by
gradient descent from small random starts, one start per seed, batched as grouped convolutions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ... import _checks
from ..._memo import reused
from ...training import TrainConfig
from .._shared.gd import plain_gd
from .._shared.inputs import Array, spectrum
from ..scales import CI, sizes
from .closed_forms import conv_initial_strength, conv_teacher

__all__ = ["ConvRun", "CONV_TRAIN", "train_conv_network"]

#: plain GD, step 0.01, 1,500 steps (the ci sizes' config)
CONV_TRAIN = CI.conv.train


@dataclass(frozen=True)
class ConvRun:
    """Result of :func:`train_conv_network`; arrays indexed (seed, record, frequency)."""

    s: Array  # teacher strengths |t^_k|, decreasing
    freqs: Array  # their frequencies
    teacher: Array  # the teacher kernel t, shape (d,)
    time: Array  # recorded times, steps x lr (tau = 1)
    loss: Array  # (seeds, T) the loss (1/2d) E||t * x - f(x)||^2
    strengths: Array  # (seeds, T, n) |P_k| of the end-to-end kernel at the teacher's frequencies
    kernels: Array  # (seeds, T, d) the end-to-end kernel sum_c a_c * w_c
    u0: Array  # (seeds, n) conv_initial_strength of each start


@reused
def train_conv_network(
    s: ArrayLike,
    freqs: ArrayLike | None = None,
    *,
    d: int = 16,
    channels: int = 4,
    seeds: int = 10,
    sigma: float = 1e-3,
    record_every: int = 2,
    train: TrainConfig | None = None,
) -> ConvRun:
    """Two-layer linear convolutional networks f(x) = sum_c a_c * (w_c * x) (circular
    convolutions of length d, ``channels`` channels) trained by plain gradient descent on
    L = (1/2d) sum_j ||t * e_j - f(e_j)||^2 -- the whitened-input population loss, evaluated on
    the d unit vectors -- from small random starts (kernel entries N(0, sigma^2 / d)), one start
    per seed (§7.2). The teacher t = conv_teacher(s, d, freqs, train.seed). The layers are torch
    ``conv1d`` on circularly padded signals, all seeds in one grouped convolution.

    ``s`` must be strictly decreasing (the frequencies are listed strongest first).
    """
    import torch
    import torch.nn.functional as F

    s = spectrum(s, strictly_decreasing=True)
    train = TrainConfig.resolve(train, lambda: sizes().conv.train)
    teacher = conv_teacher(s, d, freqs, train.seed)
    freqs = np.arange(1, s.size + 1) if freqs is None else np.asarray(freqs)
    channels = _checks.integer_at_least(channels, "channels", 1)
    seeds = _checks.integer_at_least(seeds, "seeds", 1)
    sigma = _checks.positive(sigma, "sigma")
    record_every = _checks.integer_at_least(record_every, "record_every", 1)
    TrainConfig.check(train)
    steps, lr = train.require_steps(), train.lr
    rng = np.random.default_rng(train.seed + 1)
    w0 = rng.standard_normal((seeds, channels, d)) * sigma / np.sqrt(d)
    a0 = rng.standard_normal((seeds, channels, d)) * sigma / np.sqrt(d)
    u0 = conv_initial_strength(w0, a0, teacher, freqs)
    dev = train.torch_device()
    dtype = train.torch_dtype(dev)
    w = torch.tensor(
        w0.reshape(seeds * channels, 1, d), dtype=dtype, device=dev, requires_grad=True
    )
    a = torch.tensor(a0, dtype=dtype, device=dev, requires_grad=True)
    X = torch.eye(d, dtype=dtype, device=dev)[:, None, :].expand(d, seeds, d)  # the unit vectors
    Y = torch.tensor(np.stack([np.roll(teacher, j) for j in range(d)]), dtype=dtype, device=dev)

    def conv(x, k, groups):  # circular convolution: (k * x)[n] = sum_i k[i] x[n - i mod d]
        return F.conv1d(F.pad(x, (d - 1, 0), mode="circular"), k.flip(-1), groups=groups)

    def loss():
        out = conv(conv(X, w, seeds), a, seeds)  # (d inputs, seeds, d)
        L = 0.5 / d * ((out - Y[:, None, :]) ** 2).sum(dim=(0, 2))
        return L, lambda: [out[0]]  # response to e_0: the end-to-end kernel

    record, loss_rec, (kernels,) = plain_gd(
        [w, a], loss, steps=steps, lr=lr, record_every=record_every
    )
    strengths = np.abs(np.fft.fft(kernels)[..., freqs])
    return ConvRun(s, freqs, teacher, record * lr, loss_rec, strengths, kernels, u0)
