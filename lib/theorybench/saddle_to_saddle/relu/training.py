"""The torch experiments for two-layer ReLU networks: fully connected on one-dimensional data (§9)
and convolutional on random signals (§10); full-batch gradient descent from small random starts,
one start per seed, all seeds in one batch."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import ArrayLike

from ... import _checks
from ..._memo import reused
from ...training import TrainConfig
from .._shared.gd import plain_gd
from .._shared.inputs import Array, ramps
from ..plateaus import detect_plateaus, plateau_middles
from ..scales import CI, sizes
from .closed_forms import (
    best_single_unit,
    circular_patches,
    first_fixed_point,
    ramp_teacher,
    relu_escape,
    relu_plateau_levels,
    unit_escape,
)

__all__ = [
    "ReluRun",
    "RELU_TRAIN",
    "train_relu_network",
    "ConvReluRun",
    "CONV_RELU_TRAIN",
    "train_conv_relu_network",
]

#: plain GD, step 0.05, 16,000 steps (the ci sizes' config)
RELU_TRAIN = CI.relu.train
#: plain GD, step 0.05, 12,000 steps (the ci sizes' config)
CONV_RELU_TRAIN = CI.conv_relu.train


@dataclass(frozen=True)
class _UnitRun:
    """What a ReLU run records: augmented inputs Z (N, m) -- for one-dimensional data (x, 1),
    for a convolution its patches and 1 -- and each unit's (weights, bias) W and output weight a,
    arrays indexed (seed, record, unit). The single-unit plateau is the stretch between the
    last two measured transitions of a run that reaches the exact fit."""

    Z: Array  # (N, m) augmented inputs
    y: Array  # (N,) the teacher's values
    sigma: float
    lr: float
    time: Array  # recorded times, steps x lr
    loss: Array  # (seeds, T) (1/2N) sum_n (y_n - f(z_n))^2
    W: Array  # (seeds, T, H, m) each unit's weights and bias
    a: Array  # (seeds, T, H) output weights

    @cached_property
    def _plateaus(self) -> list:
        return [detect_plateaus(self.time, L) for L in self.loss]

    def measured_times(self) -> list[Array]:
        """Per seed, the transitions detect_plateaus reads off the loss curve."""
        return [p.transition_times for p in self._plateaus]

    def levels(self) -> list[Array]:
        """Per seed, the plateau levels read off the loss curve."""
        return [p.levels for p in self._plateaus]

    @cached_property
    def _escaped(self) -> Array:
        return np.array(
            [L[-1] <= 1e-4 * L[0] and found.size >= 2
             for L, found in zip(self.loss, self.measured_times(), strict=True)]
        )  # fmt: skip

    def escaped(self) -> Array:
        """(seeds,) bool: the run ends at the exact fit (final loss at most 1e-4 of the initial
        loss) after at least two transitions."""
        return self._escaped.copy()

    def _unit_fixed_point(self) -> Array:
        """The single-unit fixed point's function on the data."""
        raise NotImplementedError

    def _function(self, i: int, j: int) -> Array:
        return np.maximum(self.Z @ self.W[i, j].T, 0.0) @ self.a[i, j]

    def _sizes(self, i: int, j: int) -> Array:
        return np.abs(self.a[i, j]) * np.linalg.norm(self.W[i, j], axis=-1)

    def _unit_plateau(self, i: int, frac: float) -> int | None:
        """Record index at the fraction ``frac`` of the way through the single-unit plateau of
        seed i -- from its second-to-last to its last measured transition; None if the seed does
        not reach the exact fit (escaped)."""
        if not self._escaped[i]:
            return None
        times = self.measured_times()[i]
        return int(np.searchsorted(self.time, times[-2] + frac * (times[-1] - times[-2])))

    def unit_plateau_level(self) -> Array:
        """(seeds,): the loss where the descent rate is smallest on the single-unit plateau
        (between the last two measured transitions); NaN where the seed does not escape."""
        return self._unit_plateau_level.copy()

    @cached_property
    def _unit_plateau_level(self) -> Array:
        out = np.full(len(self.loss), np.nan)
        for i, L in enumerate(self.loss):
            j0, j1 = self._unit_plateau(i, 0.0), self._unit_plateau(i, 1.0)
            if j0 is not None and j1 is not None:
                rate = -np.gradient(L, self.time)
                out[i] = L[j0 + int(np.argmin(rate[j0 : j1 + 1]))]
        return out

    def end_distance(self) -> Array:
        """(seeds,): ||f - f_1|| / ||y|| at the run's end from the single-unit fixed point f_1."""
        f1 = self._unit_fixed_point()
        return np.array(
            [np.linalg.norm(self._function(i, -1) - f1) / np.linalg.norm(self.y)
             for i in range(len(self.loss))]
        )  # fmt: skip

    def plateau_distance(self) -> Array:
        """(seeds,): at the middle of the single-unit plateau, ||f - f_1|| / ||y|| from the
        single-unit fixed point f_1, on the data (NaN where the seed shows too few transitions)."""
        f1 = self._unit_fixed_point()
        out = np.full(len(self.loss), np.nan)
        for i in range(len(self.loss)):
            j = self._unit_plateau(i, 0.5)
            if j is not None:
                out[i] = np.linalg.norm(self._function(i, j) - f1) / np.linalg.norm(self.y)
        return out

    def _escape_window(self, i: int, departure: float) -> tuple[int, int, int] | None:
        """(j0, j1, k): the single-unit plateau's middle, the record where the loss has fallen
        ``departure`` of the way from the plateau level to the final loss, and the fastest-growing
        unit between them among those below a tenth of the largest at j0."""
        j0 = self._unit_plateau(i, 0.5)
        if j0 is None:
            return None
        L, level = self.loss[i], self._unit_plateau_level[i]
        j1 = j0 + int(np.flatnonzero(L[j0:] < level - departure * (level - L[-1]))[0])
        s0, s1 = self._sizes(i, j0), self._sizes(i, j1)
        small = np.flatnonzero(s0 < 0.1 * s0.max())
        return j0, j1, int(small[np.argmax(np.log(s1[small] / s0[small]))])

    def escape_growth(self, *, departure: float = 0.01) -> Array:
        """(seeds,): the log-growth rate of the escaping unit's size abs(a) ||(w, b)|| while the
        network still sits on the single-unit plateau: from the plateau's middle until the loss
        has fallen ``departure`` of the way from the plateau level (unit_plateau_level) to the
        run's final loss; the fastest-growing of the units below a tenth of the largest at the
        middle. NaN where the seed does not escape. Theory: twice the unit correlation G at
        that unit's direction, at most twice the second escape's rate (§9.2)."""
        out = np.full(len(self.loss), np.nan)
        for i in range(len(self.loss)):
            win = self._escape_window(i, departure)
            if win is None:
                continue
            j0, j1, k = win
            out[i] = np.log(self._sizes(i, j1)[k] / self._sizes(i, j0)[k]) / (
                self.time[j1] - self.time[j0]
            )
        return out

    def escape_alignment(self, *, departure: float = 0.01) -> Array:
        """(seeds,): the cosine between the escaping unit's (weights, bias) at the single-unit
        plateau's middle and the second escape's direction (the maximiser of abs(G)); NaN where
        the seed does not escape. Near 1: the unit escapes along the fastest direction."""
        target = self._second_direction()
        out = np.full(len(self.loss), np.nan)
        for i in range(len(self.loss)):
            win = self._escape_window(i, departure)
            if win is not None:
                v = self.W[i, win[0], win[2]]
                out[i] = float(v @ target / np.linalg.norm(v))
        return out

    def _second_direction(self) -> Array:
        raise NotImplementedError

    def hessian_min_eigenvalue(self, *, at: float = 0.5) -> Array:
        """(seeds,): the most negative eigenvalue of the loss's Hessian (torch autograd, all
        weights) at the fraction ``at`` of the way through the single-unit plateau. Theory:
        minus the second escape's rate, the curvature along the escaping units' rays (§9.2)."""
        import torch

        Z = torch.tensor(self.Z, dtype=torch.float64)
        Y = torch.tensor(self.y, dtype=torch.float64)
        H, m = self.W.shape[-2:]

        def loss(v: torch.Tensor) -> torch.Tensor:
            W, a = v[: H * m].reshape(H, m), v[H * m :]
            return 0.5 * ((torch.relu(Z @ W.T) @ a - Y) ** 2).mean()

        out = np.full(len(self.loss), np.nan)
        for i in range(len(self.loss)):
            j = self._unit_plateau(i, at)
            if j is None:
                continue
            v = torch.tensor(np.concatenate([self.W[i, j].ravel(), self.a[i, j]]))
            hess = torch.autograd.functional.hessian(loss, v)
            out[i] = float(torch.linalg.eigvalsh(hess)[0])
        return out

    def first_transition_slope(self, other: _UnitRun) -> Array:
        """(seeds,): (t_1 - t_1') / ln(sigma' / sigma), the first transition's growth per unit of
        ln(1/sigma) between this run and ``other`` (same seeds and directions, another sigma).
        Theory: 1 / gd_growth_rate(first escape's rate, lr) (§9.2)."""
        if other.sigma == self.sigma or other.loss.shape[0] != self.loss.shape[0]:
            raise ValueError("other must have the same number of seeds and another sigma")
        t = np.array([found[0] for found in self.measured_times()])
        t_other = np.array([found[0] for found in other.measured_times()])
        return (t - t_other) / np.log(other.sigma / self.sigma)


@dataclass(frozen=True)
class ReluRun(_UnitRun):
    """Result of :func:`train_relu_network`: a ``_UnitRun`` on Z = (x, 1) with the
    teacher's ramps; the single-ramp plateau is the last before the exact fit."""

    x: Array  # the inputs
    kinks: Array  # teacher kinks, slopes and sides
    slopes: Array
    sides: Array

    @property
    def w(self) -> Array:
        """(seeds, T, H) input weights."""
        return self.W[..., 0]

    @property
    def b(self) -> Array:
        """(seeds, T, H) biases."""
        return self.W[..., 1]

    def predicted_levels(self) -> Array:
        """relu_plateau_levels of the teacher: the origin and the first fixed point."""
        return relu_plateau_levels(self.x, self.kinks, self.slopes, self.sides)

    def first_escape(self) -> tuple[float, float, float]:
        """relu_escape of the teacher: the rate, angle and sign of the escape from the origin."""
        return relu_escape(self.x, self.y)

    def fixed_point(self) -> tuple[float, float, float, float]:
        """The first fixed point of the teacher (first_fixed_point: downhill on the width-1 loss
        from the first escape direction) as a ramp: (kink, side, slope, loss). For the default
        teacher it is the stronger ramp, which is also best_single_ramp."""
        angle, a, loss = first_fixed_point(self.x, self.y)
        w = float(np.cos(angle))
        if w == 0:
            raise ValueError("the first fixed point is a constant unit (w = 0), not a ramp")
        return float(-np.tan(angle)), float(np.sign(w)), float(a * abs(w)), float(loss)

    def second_escape(self) -> tuple[float, float, float]:
        """relu_escape of the residual at plateau 1's fixed point."""
        c, d, s, _ = self.fixed_point()
        return relu_escape(self.x, self.y - s * np.maximum(d * (self.x - c), 0.0))

    def _second_direction(self) -> Array:
        angle = self.second_escape()[1]
        return np.array([np.cos(angle), np.sin(angle)])

    def kinks_at(self, i: int, j: int, *, share: float = 0.1) -> tuple[Array, Array]:
        """Kinks -b/w and sides sign(w) of the units of seed i at record j whose size
        abs(a) sqrt(w^2 + b^2) is at least ``share`` of the largest, keeping kinks inside the
        data (units whose kink lies outside are linear on the data)."""
        size = np.abs(self.a[i, j]) * np.hypot(self.w[i, j], self.b[i, j])
        big = size >= share * size.max()
        with np.errstate(divide="ignore", invalid="ignore"):
            c = -self.b[i, j] / self.w[i, j]
        inside = big & (c > self.x.min()) & (c < self.x.max())
        return c[inside], np.sign(self.w[i, j][inside])

    def fixed_point_functions(self) -> Array:
        """(3, N): the functions of the fixed points of §9.1 on the data -- the origin (0), the
        best single ramp and the teacher (the exact fit)."""
        c, d, s, _ = self.fixed_point()
        ramp = s * np.maximum(d * (self.x - c), 0.0)
        return np.stack([np.zeros_like(self.y), ramp, self.y])

    def plateau_fixed_points(self) -> tuple[Array, Array, list[list[Array]]]:
        """For seeds that escape: at the middle of the first plateau and of the single-ramp
        plateau (between the last two measured transitions), which fixed-point function
        (fixed_point_functions) the network's function is nearest and the distance
        ||f - f_r|| / ||y|| to the expected one (origin, then single ramp); and the kinks inside
        the data (kinks_at) at the middle of every plateau and at the run's end. Returns
        (nearest (seeds, 2), distance (seeds, 2), kinks [seed][plateau..., end]); -1 / NaN /
        [] for seeds that do not escape."""
        fps = self.fixed_point_functions()
        norm = np.linalg.norm(self.y)
        n = len(self.loss)
        nearest, dist = np.full((n, 2), -1), np.full((n, 2), np.nan)
        kinks: list[list[Array]] = []
        for i, times in enumerate(self.measured_times()):
            if not self._escaped[i]:
                kinks.append([])
                continue
            js = list(plateau_middles(self.time, times)) + [self.time.size - 1]
            for r, j in enumerate((js[0], self._unit_plateau(i, 0.5))):
                d = np.linalg.norm(fps - self._function(i, j), axis=1) / norm
                nearest[i, r], dist[i, r] = int(np.argmin(d)), d[r]
            kinks.append([np.sort(self.kinks_at(i, j)[0]) for j in js])
        return nearest, dist, kinks

    def _unit_fixed_point(self) -> Array:
        return self.fixed_point_functions()[1]


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
    w, b, a = (torch.tensor(p, dtype=dtype, device=dev, requires_grad=True) for p in start)
    X = torch.tensor(x, dtype=dtype, device=dev)
    Y = torch.tensor(y, dtype=dtype, device=dev)

    def loss():
        f = torch.einsum("snh,sh->sn", torch.relu(X[None, :, None] * w[:, None] + b[:, None]), a)
        return 0.5 * ((f - Y) ** 2).mean(dim=1), lambda: [w.clone(), b.clone(), a.clone()]

    record, loss_rec, (wr, br, ar) = plain_gd(
        [w, b, a], loss, steps=steps, lr=lr, record_every=record_every
    )
    W = np.stack([wr, br], axis=-1)
    Z = np.stack([x, np.ones_like(x)], axis=1)
    return ReluRun(Z, y, sigma, lr, record * lr, loss_rec, W, ar, x, k, s, d)


@dataclass(frozen=True)
class ConvReluRun(_UnitRun):
    """Result of :func:`train_conv_relu_network`: a ``_UnitRun`` on the signals' circular
    patches (circular_patches), with the teacher's kernels (rows: weights then bias) and output
    weights."""

    signals: Array  # (n, d) the input signals
    kernels: Array  # (k, size + 1) teacher kernels and biases
    strengths: Array  # (k,) teacher output weights

    def predicted_levels(self) -> Array:
        """The origin (1/2N) sum y^2, the best single unit's loss, 0 (§10.1)."""
        return np.array([0.5 * float(np.mean(self.y**2)), self.fixed_point()[2], 0.0])

    def first_escape(self) -> tuple[float, Array, float]:
        """unit_escape of the teacher: rate, direction and sign of the escape from the origin."""
        return unit_escape(self.Z, self.y)

    def fixed_point(self) -> tuple[Array, float, float]:
        """best_single_unit of the teacher: (direction, output weight, loss)."""
        return best_single_unit(self.Z, self.y)

    def second_escape(self) -> tuple[float, Array, float]:
        """unit_escape of the residual at the single-unit fixed point."""
        return unit_escape(self.Z, self.y - self._unit_fixed_point())

    def _second_direction(self) -> Array:
        return self.second_escape()[1]

    def _unit_fixed_point(self) -> Array:
        th, a, _ = self.fixed_point()
        return a * np.maximum(self.Z @ th, 0.0)

    def kernel_strengths(self, *, cos: float = 0.95) -> Array:
        """(seeds, T, k): for each teacher kernel, the summed size abs(a) ||(w, b)|| of the
        channels within cosine ``cos`` of it, over the teacher's own strength_k ||kernel_k||:
        0 before the kernel is learned, 1 once it is."""
        teach = self.kernels / np.linalg.norm(self.kernels, axis=1, keepdims=True)
        norms = np.linalg.norm(self.W, axis=-1)
        cosines = np.einsum("sthm,km->sthk", self.W, teach) / np.maximum(norms, 1e-300)[..., None]
        sizes = (np.abs(self.a) * norms)[..., None] * (cosines >= cos)
        return sizes.sum(axis=2) / (self.strengths * np.linalg.norm(self.kernels, axis=1))

    def _large_directions(self, i: int, j: int) -> Array:
        """Unit directions (weights and bias, normalised) of seed i at record j, for the units
        carrying at least a tenth of the largest unit's size."""
        W = self.W[i, j][self._sizes(i, j) >= 0.1 * self._sizes(i, j).max()]
        return W / np.linalg.norm(W, axis=1, keepdims=True)

    def kernel_alignment(self) -> tuple[Array, Array]:
        """On the single-unit plateau (middle) and at the end, per seed: the smallest cosine of a
        large unit's direction with the single-unit fixed point, and at the end, for each teacher
        kernel, the best cosine over the large units (at least a tenth of the largest's size).
        Returns (plateau cosine (seeds,), end cosines (seeds, k)); NaN where a seed shows too
        few transitions."""
        th = self.fixed_point()[0]
        teach = self.kernels / np.linalg.norm(self.kernels, axis=1, keepdims=True)
        n = len(self.loss)
        plateau, end = np.full(n, np.nan), np.full((n, len(teach)), np.nan)
        for i in range(n):
            j = self._unit_plateau(i, 0.5)
            if j is None:
                continue
            plateau[i] = float(np.min(self._large_directions(i, j) @ th))  # every large unit
            end[i] = (self._large_directions(i, -1) @ teach.T).max(axis=0)
        return plateau, end


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
    from train.seed. Every weight starts N(0, sigma^2), one start per seed; the layers are torch
    ``conv1d`` on circularly padded signals, all seeds in one grouped convolution."""
    import torch
    import torch.nn.functional as F

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
    train = TrainConfig.resolve(train, lambda: sizes().conv_relu.train)
    steps, lr = train.require_steps(), train.lr
    rng = np.random.default_rng(train.seed)
    signals = rng.standard_normal((n_signals, d))
    Z = circular_patches(signals, 2)
    y = np.maximum(Z @ V.T, 0.0) @ A
    start = rng.standard_normal((seeds, channels, 4)) * sigma
    dev = train.torch_device()
    dtype = train.torch_dtype(dev)
    w = torch.tensor(start[..., :2].reshape(seeds * channels, 1, 2), dtype=dtype, device=dev,
                     requires_grad=True)  # fmt: skip
    b = torch.tensor(start[..., 2].ravel(), dtype=dtype, device=dev, requires_grad=True)
    a = torch.tensor(start[..., 3].reshape(seeds, channels, 1), dtype=dtype, device=dev,
                     requires_grad=True)  # fmt: skip
    X = torch.tensor(signals, dtype=dtype, device=dev)[:, None, :].expand(n_signals, seeds, d)
    X = F.pad(X, (0, 1), mode="circular")  # position p sees (x_p, x_{p+1 mod d})
    Y = torch.tensor(y.reshape(n_signals, d), dtype=dtype, device=dev)

    def loss():
        hidden = torch.relu(F.conv1d(X, w, b, groups=seeds))  # (n, seeds * channels, d)
        out = F.conv1d(hidden, a, groups=seeds)  # (n, seeds, d)
        L = 0.5 * ((out - Y[:, None, :]) ** 2).mean(dim=(0, 2))
        return L, lambda: [
            torch.cat([w.reshape(seeds, channels, 2), b.reshape(seeds, channels, 1)], -1),
            a.reshape(seeds, channels).clone(),
        ]

    record, loss_rec, (W, ar) = plain_gd(
        [w, b, a], loss, steps=steps, lr=lr, record_every=record_every
    )
    return ConvReluRun(Z, y, sigma, lr, record * lr, loss_rec, W, ar, signals, V, A)
