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
    per seed (§7.2). The teacher t = conv_teacher(s, d, freqs, train.seed). The response to e_j is
    the end-to-end kernel k = sum_c a_c * w_c rolled by j, so L = ||t - k||^2 / 2: computed with
    the layers as circulant matrices, all seeds in one batch, the gradient written out by hand.

    ``s`` must be strictly decreasing (the frequencies are listed strongest first).
    """
    import torch

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
    w = torch.tensor(w0, dtype=dtype, device=dev)  # (seeds, channels, d)
    a = torch.tensor(a0, dtype=dtype, device=dev)
    t = torch.tensor(teacher, dtype=dtype, device=dev)
    n = np.arange(d)
    roll = torch.tensor((n[:, None] - n[None, :]) % d, device=dev)  # C(k)[n, m] = k[n - m mod d]

    def loss():  # the response to e_j is the end-to-end kernel rolled by j: L = ||k - t||^2 / 2
        Ca, Cw = a[..., roll], w[..., roll]  # circulant matrices, (seeds, channels, d, d)
        k = torch.einsum("scnm,scm->sn", Ca, w)  # k = sum_c a_c * w_c
        r = k - t

        def grads():  # dL/dw_c = C(a_c)' r, dL/da_c = C(w_c)' r
            return torch.einsum("scnm,sn->scm", Ca, r), torch.einsum("scnm,sn->scm", Cw, r)

        return 0.5 * (r**2).sum(dim=1), lambda: [k], grads

    record, loss_rec, (kernels,) = plain_gd(
        [w, a], loss, steps=steps, lr=lr, record_every=record_every
    )
    strengths = np.abs(np.fft.fft(kernels)[..., freqs])
    return ConvRun(s, freqs, teacher, record * lr, loss_rec, strengths, kernels, u0)
