"""The torch experiment for two-layer ReLU networks on one-dimensional data (§9): full-batch
gradient descent from small random starts, one start per seed, all seeds in one batch."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .. import _checks
from .._memo import reused
from ..training import TrainConfig
from ._gd import plain_gd
from .linear import Array
from .plateaus import _plateau_middles, detect_plateaus
from .relu import _ramps, best_single_ramp, ramp_teacher, relu_escape, relu_plateau_levels
from .scales import CI

__all__ = ["ReluRun", "RELU_TRAIN", "train_relu_network"]

#: plain GD, step 0.05, 30,000 steps (the ci sizes' config)
RELU_TRAIN = CI.relu.train


@dataclass(frozen=True)
class ReluRun:
    """Result of :func:`train_relu_network`; arrays indexed (seed, record, unit)."""

    x: Array  # the inputs
    y: Array  # the teacher's values
    kinks: Array  # teacher kinks, slopes and sides
    slopes: Array
    sides: Array
    sigma: float
    lr: float
    time: Array  # recorded times, steps x lr
    loss: Array  # (seeds, T) (1/2N) sum_n (y_n - f(x_n))^2
    w: Array  # (seeds, T, H) input weights
    b: Array  # (seeds, T, H) biases
    a: Array  # (seeds, T, H) output weights

    def measured_times(self) -> list[Array]:
        """Per seed, the transitions detect_plateaus reads off the loss curve."""
        return [detect_plateaus(self.time, L).transition_times for L in self.loss]

    def levels(self) -> list[Array]:
        """Per seed, the plateau levels read off the loss curve."""
        return [detect_plateaus(self.time, L).levels for L in self.loss]

    def predicted_levels(self) -> Array:
        """relu_plateau_levels of the teacher: origin, affine fit, best single ramp, 0."""
        return relu_plateau_levels(self.x, self.kinks, self.slopes, self.sides)

    def first_escape(self) -> tuple[float, float, float]:
        """relu_escape of the teacher: the rate, angle and sign of the escape from the origin."""
        return relu_escape(self.x, self.y)

    def fixed_point(self) -> tuple[float, float, float, float]:
        """best_single_ramp of the teacher: (kink, side, slope, loss) of plateau 1's fixed point."""
        return best_single_ramp(self.x, self.y)

    def second_escape(self) -> tuple[float, float, float]:
        """relu_escape of the residual at plateau 1's fixed point."""
        c, d, s, _ = self.fixed_point()
        return relu_escape(self.x, self.y - s * np.maximum(d * (self.x - c), 0.0))

    def first_transition_slope(self, other: ReluRun) -> Array:
        """(seeds,): (t_1 - t_1') / ln(sigma' / sigma), the first transition's growth per unit of
        ln(1/sigma) between this run and ``other`` (same seeds and directions, another sigma).
        Theory: 1 / gd_growth_rate(first_escape's rate, lr) (§9.2)."""
        if other.sigma == self.sigma or other.loss.shape[0] != self.loss.shape[0]:
            raise ValueError("other must have the same number of seeds and another sigma")
        t = np.array([found[0] for found in self.measured_times()])
        t_other = np.array([found[0] for found in other.measured_times()])
        return (t - t_other) / np.log(other.sigma / self.sigma)

    def _function(self, i: int, j: int) -> Array:
        pre = np.outer(self.x, self.w[i, j]) + self.b[i, j]
        return np.maximum(pre, 0.0) @ self.a[i, j]

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
        """(4, N): the functions of the fixed points of §9.1 on the data -- the origin (0), the
        least-squares line, the best single ramp and the teacher (the exact fit)."""
        design = np.stack([self.x, np.ones_like(self.x)], axis=1)
        line = design @ np.linalg.lstsq(design, self.y, rcond=None)[0]
        c, d, s, _ = self.fixed_point()
        ramp = s * np.maximum(d * (self.x - c), 0.0)
        return np.stack([np.zeros_like(self.y), line, ramp, self.y])

    def plateau_fixed_points(self) -> tuple[Array, Array, list[list[Array]]]:
        """At the middle of each plateau that ends at a measured transition (seeds showing three
        transitions; others are NaN / -1): which fixed-point function (fixed_point_functions) the
        network's function is nearest, the distance ||f - f_r|| / ||y|| to the r-th one, and the
        kinks inside the data (kinks_at) there and at the run's end. Returns
        (nearest (seeds, 3), distance (seeds, 3), kinks [seed][plateau 0..3])."""
        fps = self.fixed_point_functions()
        norm = np.linalg.norm(self.y)
        n = len(self.loss)
        nearest, dist = np.full((n, 3), -1), np.full((n, 3), np.nan)
        kinks: list[list[Array]] = []
        for i, times in enumerate(self.measured_times()):
            if times.size != 3:
                kinks.append([])
                continue
            js = list(_plateau_middles(self.time, times)) + [self.time.size - 1]
            for r, j in enumerate(js[:3]):
                d = np.linalg.norm(fps - self._function(i, j), axis=1) / norm
                nearest[i, r], dist[i, r] = int(np.argmin(d)), d[r]
            kinks.append([np.sort(self.kinks_at(i, j)[0]) for j in js])
        return nearest, dist, kinks

    def escaped(self) -> Array:
        """(seeds,) bool: the loss curve shows all three transitions (origin, affine pause,
        single ramp, exact fit)."""
        return np.array([found.size == 3 for found in self.measured_times()])

    def end_distance(self) -> Array:
        """(seeds,): ||f - f_1|| / ||y|| at the run's end from the best single ramp f_1."""
        ramp = self.fixed_point_functions()[2]
        return np.array(
            [np.linalg.norm(self._function(i, -1) - ramp) / np.linalg.norm(self.y)
             for i in range(len(self.loss))]
        )  # fmt: skip

    def _ramp_plateau(self, i: int, frac: float) -> int | None:
        """Record index at the fraction ``frac`` of the way through the single-ramp plateau (from
        the second to the third measured transition) of seed i; None if seed i shows fewer."""
        times = self.measured_times()[i]
        if times.size < 3:
            return None
        return int(np.searchsorted(self.time, times[1] + frac * (times[2] - times[1])))

    def plateau_distance(self) -> Array:
        """(seeds,): at the middle of the single-ramp plateau, the distance ||f - f_1|| / ||y||
        of the network's function from the best single ramp f_1 (the width-1 fixed point of §9.1),
        on the data."""
        c, d, s, _ = self.fixed_point()
        f1 = s * np.maximum(d * (self.x - c), 0.0)
        out = np.full(len(self.loss), np.nan)
        for i in range(len(self.loss)):
            j = self._ramp_plateau(i, 0.5)
            if j is not None:
                out[i] = np.linalg.norm(self._function(i, j) - f1) / np.linalg.norm(self.y)
        return out

    def escape_growth(self, *, window: tuple[float, float] = (0.5, 0.9)) -> Array:
        """(seeds,): over the stretch ``window`` of the single-ramp plateau (fractions of the way
        through it), the largest log-growth rate of a unit's size abs(a) sqrt(w^2 + b^2) among
        units below a tenth of the largest unit at the stretch's start -- the escaping units.
        Theory: twice second_escape's rate (§9.2)."""
        out = np.full(len(self.loss), np.nan)
        for i in range(len(self.loss)):
            j0, j1 = self._ramp_plateau(i, window[0]), self._ramp_plateau(i, window[1])
            if j0 is None or j1 is None:
                continue
            s0 = np.abs(self.a[i, j0]) * np.hypot(self.w[i, j0], self.b[i, j0])
            s1 = np.abs(self.a[i, j1]) * np.hypot(self.w[i, j1], self.b[i, j1])
            small = s0 < 0.1 * s0.max()
            rate = np.log(s1[small] / s0[small]) / (self.time[j1] - self.time[j0])
            out[i] = rate.max()
        return out

    def hessian_min_eigenvalue(self, *, at: float = 0.9) -> Array:
        """(seeds,): the most negative eigenvalue of the loss's Hessian (torch autograd, all 3H
        weights) at the fraction ``at`` of the way through the single-ramp plateau. Theory:
        minus second_escape's rate, the curvature along the escaping units' rays (§9.2)."""
        import torch

        X = torch.tensor(self.x, dtype=torch.float64)
        Y = torch.tensor(self.y, dtype=torch.float64)
        H = self.w.shape[-1]

        def loss(v: torch.Tensor) -> torch.Tensor:
            w, b, a = v[:H], v[H : 2 * H], v[2 * H :]
            return 0.5 * ((torch.relu(X[:, None] * w + b) @ a - Y) ** 2).mean()

        out = np.full(len(self.loss), np.nan)
        for i in range(len(self.loss)):
            j = self._ramp_plateau(i, at)
            if j is None:
                continue
            v = torch.tensor(np.concatenate([self.w[i, j], self.b[i, j], self.a[i, j]]))
            hess = torch.autograd.functional.hessian(loss, v)
            out[i] = float(torch.linalg.eigvalsh(hess)[0])
        return out


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
    train: TrainConfig = RELU_TRAIN,
) -> ReluRun:
    """Two-layer ReLU networks f(x) = sum_i a_i relu(w_i x + b_i) of ``width`` units trained by
    plain gradient descent on L = (1/2N) sum_n (y_n - f(x_n))^2 over ``n_points`` inputs evenly
    spaced on [-1, 1], y = ramp_teacher(x, kinks, slopes, sides), from small random starts (every
    weight N(0, sigma^2)), one start per seed (§9.3). Recorded every ``record_every`` steps."""
    import torch

    k, s, d = _ramps(kinks, slopes, sides)
    n_points = _checks.integer_at_least(n_points, "n_points", 3)
    width = _checks.integer_at_least(width, "width", 1)
    seeds = _checks.integer_at_least(seeds, "seeds", 1)
    sigma = _checks.positive(sigma, "sigma")
    record_every = _checks.integer_at_least(record_every, "record_every", 1)
    TrainConfig.check(train)
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
    return ReluRun(x, y, k, s, d, sigma, lr, record * lr, loss_rec, wr, br, ar)
