"""The torch experiments for two-layer ReLU networks: fully connected on one-dimensional data (§9)
and convolutional on random signals (§10); full-batch gradient descent from small random starts,
one start per seed, all seeds in one batch."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ... import _checks
from ..._memo import reused
from ...training import TrainConfig
from .._shared.gd import plain_gd
from .._shared.inputs import Array, ramps
from ..scales import CI, sizes
from .closed_forms import (
    circular_patches,
    ramp_teacher,
)

__all__ = [
    "UnitRun",
    "ReluRun",
    "RELU_TRAIN",
    "train_relu_network",
    "ConvReluRun",
    "CONV_RELU_TRAIN",
    "train_conv_relu_network",
    "train_conv_relu_masters",
]

#: plain GD, step 0.05, 16,000 steps (the ci sizes' config)
RELU_TRAIN = CI.relu.train
#: plain GD, step 0.05, 12,000 steps (the ci sizes' config)
CONV_RELU_TRAIN = CI.conv_relu.train


def _relu_loss(X, Y, w, b, a):  # noqa: ANN001, ANN201
    """plain_gd's ``loss`` for a batch of two-layer ReLU networks on one-dimensional inputs X (N,):
    f_s(x) = sum_h a_sh relu(w_sh x + b_sh) against Y (S, N), L_s = (1/2N) sum_n (Y_sn - f_s)^2,
    with its gradient by hand: r = (f - Y)/N; dL/da_h = sum_n r_n relu(pre_nh),
    (dL/dw_h, dL/db_h) = a_h sum_n r_n 1[pre_nh > 0] (x_n, 1) (autograd's relu derivative)."""
    import torch

    with torch.no_grad():
        pre = X[None, :, None] * w[:, None] + b[:, None]  # (S, N, H)
        h = torch.relu(pre)
        f = torch.bmm(h, a[..., None])[..., 0]
        diff = f - Y
        L = 0.5 * (diff**2).mean(dim=1)

    def grads():  # noqa: ANN202
        with torch.no_grad():
            r = (diff / X.shape[0])[:, None]  # (S, 1, N)
            mask = torch.sign(h)  # 1[pre > 0] (h = relu(pre) >= 0)
            gw = torch.bmm(r * X, mask)[:, 0] * a  # a_h sum_n r_n 1[pre_nh > 0] x_n
            return gw, torch.bmm(r, mask)[:, 0] * a, torch.bmm(r, h)[:, 0]

    return L, lambda: [w.clone(), b.clone(), a.clone()], grads


@dataclass(frozen=True)
class UnitRun:
    """What a ReLU run records (data only; relu.analysis reads it): augmented inputs Z (N, m) --
    for one-dimensional data (x, 1), for a convolution its patches and 1 -- the teacher's values,
    and each unit's (weights, bias) W and output weight a, indexed (seed, record, unit)."""

    Z: Array  # (N, m) augmented inputs
    y: Array  # (N,) the teacher's values
    sigma: float
    lr: float
    time: Array  # recorded times, steps x lr
    loss: Array  # (seeds, T) (1/2N) sum_n (y_n - f(z_n))^2
    W: Array  # (seeds, T, H, m) each unit's weights and bias
    a: Array  # (seeds, T, H) output weights


@dataclass(frozen=True)
class ReluRun(UnitRun):
    """Result of :func:`train_relu_network`: a :class:`UnitRun` on Z = (x, 1), with the
    teacher's ramps (see ramp_teacher)."""

    x: Array  # the inputs
    kinks: Array  # teacher kinks, slopes and sides
    slopes: Array
    sides: Array


@reused
def train_relu_network(
    kinks: ArrayLike = (0.3, -0.3),
    slopes: ArrayLike = (3.0, 0.5),
    sides: ArrayLike = (1, -1),
    *,
    n_points: int = 101,
    width: int = 20,
    sigma: float = 1e-6,
    seeds: int = 10,
    record_every: int = 20,
    train: TrainConfig | None = None,
) -> ReluRun:
    """Two-layer ReLU networks f(x) = sum_i a_i relu(w_i x + b_i) of ``width`` units trained by
    plain gradient descent on L = (1/2N) sum_n (y_n - f(x_n))^2 over ``n_points`` inputs evenly
    spaced on [-1, 1], y = ramp_teacher(x, kinks, slopes, sides), from small random starts (every
    weight N(0, sigma^2)), one start per seed (§9.3). Recorded every ``record_every`` steps."""
    import torch

    k, s, d = ramps(kinks, slopes, sides)
    n_points = _checks.integer_at_least(n_points, "n_points", 3)
    width = _checks.integer_at_least(width, "width", 1)
    seeds = _checks.integer_at_least(seeds, "seeds", 1)
    sigma = _checks.positive(sigma, "sigma")
    record_every = _checks.integer_at_least(record_every, "record_every", 1)
    train = TrainConfig.resolve(train, lambda: sizes().relu.train)
    steps, lr = train.require_steps(), train.lr
    x = np.linspace(-1.0, 1.0, n_points)
    y = ramp_teacher(x, k, s, d)
    rng = np.random.default_rng(train.seed)
    start = rng.standard_normal((3, seeds, width)) * sigma
    dev = train.torch_device()
    dtype = train.torch_dtype(dev)
    w, b, a = (torch.tensor(p, dtype=dtype, device=dev) for p in start)
    X = torch.tensor(x, dtype=dtype, device=dev)
    Y = torch.tensor(np.broadcast_to(y, (seeds, y.size)), dtype=dtype, device=dev)
    record, loss_rec, (wr, br, ar) = plain_gd(
        [w, b, a], lambda: _relu_loss(X, Y, w, b, a), steps=steps, lr=lr, record_every=record_every
    )
    W = np.stack([wr, br], axis=-1)
    Z = np.stack([x, np.ones_like(x)], axis=1)
    return ReluRun(Z, y, sigma, lr, record * lr, loss_rec, W, ar, x, k, s, d)


@dataclass(frozen=True)
class ConvReluRun(UnitRun):
    """Result of :func:`train_conv_relu_network`: a :class:`UnitRun` on the signals' circular
    patches (circular_patches), with the teacher's kernels (rows: weights then bias) and output
    weights."""

    signals: Array  # (n, d) the input signals
    kernels: Array  # (k, size + 1) teacher kernels and biases
    strengths: Array  # (k,) teacher output weights


@reused
def train_conv_relu_network(
    kernels: ArrayLike = ((1.0, -1.0, -0.5), (1.0, 1.0, -1.0)),
    strengths: ArrayLike = (3.0, 1.0),
    *,
    n_signals: int = 32,
    d: int = 8,
    channels: int = 20,
    sigma: float = 1e-6,
    seeds: int = 10,
    record_every: int = 2,
    train: TrainConfig | None = None,
) -> ConvReluRun:
    """Two-layer ReLU convolutional networks f(x)_p = sum_c a_c relu((w_c * x)_p + b_c) --
    ``channels`` circular kernels of size 2 with a bias, a ReLU, a 1x1 convolution -- trained by
    plain gradient descent on L = (1/2N) sum over signals and positions of (y - f)^2 (§10.2).
    The teacher is the same network with ``kernels`` (rows: two weights then the bias) and output
    weights ``strengths``; the inputs are ``n_signals`` Gaussian signals of length ``d`` drawn
    from train.seed. Every weight starts N(0, sigma^2), one start per seed; the
    convolution is computed on the circular patches (circular_patches), all seeds in one batch."""

    V, A, sizes_ = _conv_relu_inputs(kernels, strengths, n_signals, d, channels, seeds, sigma,
                                     record_every)  # fmt: skip
    train = TrainConfig.resolve(train, lambda: sizes().conv_relu.train)
    return _conv_relu_runs(V, A, [train.seed], *sizes_, train=train)[0]


def _conv_relu_inputs(kernels, strengths, n_signals, d, channels, seeds, sigma, record_every):  # noqa: ANN001, ANN202
    """Checked inputs of the ReLU convolutional experiments."""
    V = np.asarray(kernels, dtype=float)
    A = np.asarray(strengths, dtype=float)
    if V.ndim != 2 or V.shape[1] != 3 or A.shape != (V.shape[0],) or V.shape[0] < 1:
        raise ValueError("kernels must be (k, 3) (two weights and a bias) and strengths (k,)")
    if not (np.all(np.isfinite(V)) and np.all(np.isfinite(A)) and np.all(A > 0)):
        raise ValueError("kernels must be finite and strengths finite and > 0")
    n_signals = _checks.integer_at_least(n_signals, "n_signals", 1)
    d = _checks.integer_at_least(d, "d", 2)
    channels = _checks.integer_at_least(channels, "channels", 1)
    seeds = _checks.integer_at_least(seeds, "seeds", 1)
    sigma = _checks.positive(sigma, "sigma")
    record_every = _checks.integer_at_least(record_every, "record_every", 1)
    return V, A, (n_signals, d, channels, seeds, sigma, record_every)


def _conv_relu_runs(V, A, masters, n_signals, d, channels, seeds, sigma, record_every, *, train):  # noqa: ANN001, ANN202
    """One torch model for every master seed: master m draws its signals and then its starts
    from default_rng(m), exactly as a run of its own; its seeds are runs of one batched model
    beside the other masters' (gradients of one run do not touch another).

    The convolution is computed on the circular patches: channel c's pre-activation at a
    signal's position p is (w_c, b_c) . (x_p, x_{p+1}, 1), one batched matrix product over all
    patches (what a circular conv1d with a bias computes, far cheaper to differentiate)."""
    import torch

    steps, lr = train.require_steps(), train.lr
    M = len(masters)
    draws = []
    for m in masters:
        rng = np.random.default_rng(m)
        signals = rng.standard_normal((n_signals, d))
        draws.append((signals, rng.standard_normal((seeds, channels, 4)) * sigma))
    Zs = [circular_patches(sig, 2) for sig, _ in draws]
    ys = [np.maximum(Z @ V.T, 0.0) @ A for Z in Zs]
    start = np.concatenate([st for _, st in draws])  # (M * seeds, channels, 4): master-major
    dev = train.torch_device()
    dtype = train.torch_dtype(dev)
    W = torch.tensor(start[..., :3].transpose(0, 2, 1), dtype=dtype, device=dev)  # (B, 3, C)
    a = torch.tensor(start[..., 3:], dtype=dtype, device=dev)  # (B, C, 1)
    Zb = torch.tensor(np.repeat(np.stack(Zs), seeds, axis=0), dtype=dtype, device=dev)  # (B, P, 3)
    Y = torch.tensor(np.repeat(np.stack(ys), seeds, axis=0), dtype=dtype, device=dev)  # (B, P)
    Zt = Zb.transpose(1, 2).contiguous()  # (B, 3, P)

    def loss():  # with its gradient by hand, as _relu_loss's
        with torch.no_grad():
            pre = torch.bmm(Zb, W)  # (B, P, C)
            h = torch.relu(pre)
            diff = torch.bmm(h, a)[..., 0] - Y  # (B, P)
            L = 0.5 * (diff**2).mean(dim=1)

        def grads():  # noqa: ANN202
            with torch.no_grad():
                r = (diff / diff.shape[1])[:, None]  # (B, 1, P)
                mask = torch.sign(h)  # 1[pre > 0]
                gW = torch.bmm(Zt * r, mask) * a.transpose(1, 2)
                return gW, torch.bmm(r, h).transpose(1, 2)

        return L, lambda: [W.transpose(1, 2).clone(), a[..., 0].clone()], grads

    record, loss_rec, (Wr, ar) = plain_gd([W, a], loss, steps=steps, lr=lr,
                                          record_every=record_every)  # fmt: skip
    part = [slice(k * seeds, (k + 1) * seeds) for k in range(M)]
    return tuple(
        ConvReluRun(Zs[k], ys[k], sigma, lr, record * lr, loss_rec[part[k]], Wr[part[k]],
                    ar[part[k]], draws[k][0], V, A)
        for k in range(M)
    )  # fmt: skip


@reused
def train_conv_relu_masters(
    masters: ArrayLike,
    kernels: ArrayLike = ((1.0, -1.0, -0.5), (1.0, 1.0, -1.0)),
    strengths: ArrayLike = (3.0, 1.0),
    *,
    n_signals: int = 32,
    d: int = 8,
    channels: int = 20,
    sigma: float = 1e-6,
    seeds: int = 10,
    record_every: int = 2,
    train: TrainConfig | None = None,
) -> tuple[ConvReluRun, ...]:
    """:func:`train_conv_relu_network` for each master seed in ``masters`` (integers >= 0, each
    in place of train.seed: its signals and starts), all in one torch model: run k is the run
    that master seed alone gives (up to rounding), at a fraction of the cost of separate
    runs (§10.2)."""
    ms = np.atleast_1d(np.asarray(masters))
    if ms.ndim != 1 or ms.size == 0 or not np.issubdtype(ms.dtype, np.integer) or np.any(ms < 0):
        raise ValueError(f"masters must be a nonempty list of integers >= 0, got {masters!r}")
    V, A, sizes_ = _conv_relu_inputs(kernels, strengths, n_signals, d, channels, seeds, sigma,
                                     record_every)  # fmt: skip
    train = TrainConfig.resolve(train, lambda: sizes().conv_relu.train)
    return _conv_relu_runs(V, A, [int(m) for m in ms], *sizes_, train=train)
