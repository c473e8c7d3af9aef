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
from ..linear.closed_forms import steepest_descent_times
from ..plateaus import detect_plateaus, plateau_middles
from ..scales import CI, sizes
from .closed_forms import conv_initial_strength, conv_plateau_losses, conv_teacher

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

    def predicted_times(self) -> Array:
        """(seeds, n): each frequency's steepest-descent time from its own start (§7.1)."""
        return np.array(
            [[steepest_descent_times([sk], u)[0] for sk, u in zip(self.s, row, strict=True)]
             for row in self.u0]
        )  # fmt: skip

    def measured_times(self) -> Array:
        """(seeds, n): transitions read off each loss curve by detect_plateaus (RuntimeError if a
        curve shows a different count)."""
        out = []
        for i, L in enumerate(self.loss):
            found = detect_plateaus(self.time, L).transition_times
            if found.size != self.s.size:
                raise RuntimeError(f"seed {i}: {found.size} transitions, expected {self.s.size}")
            out.append(found)
        return np.array(out)

    def levels(self) -> Array:
        """(seeds, n + 1): plateau levels read off each loss curve."""
        return np.array([detect_plateaus(self.time, L).levels for L in self.loss])

    def predicted_levels(self) -> Array:
        """The closed-form levels (1/d) sum_{j>=k} s_j^2 (§7.1)."""
        return conv_plateau_losses(self.s, self.teacher.size)

    def plateau_fixed_points(self) -> tuple[Array, Array, Array]:
        """At the midpoint between consecutive measured transitions
        -- plateau r, r frequencies learned -- which truncation t_r' of the teacher (its r'
        strongest frequencies) the end-to-end kernel is nearest to, the distance
        ||p - t_r|| / ||t|| to its own truncation, and which frequencies are more than half
        learned there. Returns (nearest (seeds, n), distance (seeds, n), learned (seeds, n, n))."""
        times = self.measured_times()
        spec = np.fft.fft(self.teacher)
        truncs = []
        for r in range(self.s.size + 1):
            keep = np.zeros_like(spec)
            for f in self.freqs[:r]:
                keep[[f, -f]] = spec[[f, -f]]
            truncs.append(np.fft.ifft(keep).real)
        truncs = np.array(truncs)
        norm = np.linalg.norm(self.teacher)
        n = self.s.size
        nearest, dist = np.empty((len(self.loss), n), int), np.empty((len(self.loss), n))
        learned = np.empty((len(self.loss), n, n), bool)
        for i in range(len(self.loss)):
            for r, j in enumerate(plateau_middles(self.time, times[i])):
                d = np.linalg.norm(truncs - self.kernels[i, j], axis=1) / norm
                nearest[i, r], dist[i, r] = int(np.argmin(d)), d[r]
                learned[i, r] = self.strengths[i, j] > self.s / 2
        return nearest, dist, learned


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
