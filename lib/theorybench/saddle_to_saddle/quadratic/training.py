"""The torch experiment for the quadratic network (§8): units with different initial scales and
random directions, trained by gradient descent on the population loss, one start per seed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ... import _checks
from ..._memo import reused
from ...training import TrainConfig
from .._shared.gd import plain_gd
from .._shared.inputs import Array
from ..scales import CI, sizes

__all__ = ["QuadraticRun", "QUADRATIC_TRAIN", "train_quadratic_network"]

#: plain GD, step 0.02, 10,000 steps (the ci sizes' config)
QUADRATIC_TRAIN = CI.quadratic.train


@dataclass(frozen=True)
class QuadraticRun:
    """Result of :func:`train_quadratic_network`; arrays indexed (seed, record, ...)."""

    s: float
    a0: Array  # (seeds, H) output weights at the start
    W0: Array  # (seeds, H, d) input weights at the start
    time: Array  # recorded times, steps x lr
    loss: Array  # (seeds, T) ||A - M||_F^2
    M: Array  # (seeds, T, d, d) the network's matrix sum_i a_i w_i w_i'
    carried: Array  # (seeds, H) a_i ||w_i||^2 at the end: what each unit learned


@reused
def train_quadratic_network(
    d: int = 3,
    scales: ArrayLike = (1.0, 0.6, 0.35, 0.2),
    *,
    s: float = 1.0,
    sigma: float = 0.01,
    seeds: int = 10,
    record_every: int = 10,
    train: TrainConfig | None = None,
) -> QuadraticRun:
    """Quadratic networks f(x) = sum_i a_i ((w_i . x)^2 - ||w_i||^2), one unit per entry of
    ``scales``, trained by plain gradient descent on the population loss ||A - M||_F^2 of the
    isotropic teacher A = s I_d (§8). Unit i starts balanced and random in direction:
    a_i = sigma c_i, w_i = sqrt(2) sigma c_i u_i with u_i uniform on the sphere (drawn per seed
    from ``train.seed``)."""
    import torch

    d = _checks.integer_at_least(d, "d", 1)
    c = _checks.positive_array(scales, "scales", ndim=1)
    s = _checks.positive(s, "s")
    sigma = _checks.positive(sigma, "sigma")
    seeds = _checks.integer_at_least(seeds, "seeds", 1)
    record_every = _checks.integer_at_least(record_every, "record_every", 1)
    train = TrainConfig.resolve(train, lambda: sizes().quadratic.train)
    steps, lr = train.require_steps(), train.lr
    rng = np.random.default_rng(train.seed)
    U = rng.standard_normal((seeds, c.size, d))
    U /= np.linalg.norm(U, axis=-1, keepdims=True)
    a0 = np.broadcast_to(sigma * c, (seeds, c.size)).copy()
    W0 = np.sqrt(2) * sigma * c[None, :, None] * U
    dev = train.torch_device()
    dtype = train.torch_dtype(dev)
    a = torch.tensor(a0, dtype=dtype, device=dev)
    W = torch.tensor(W0, dtype=dtype, device=dev)
    A = s * torch.eye(d, dtype=dtype, device=dev)

    def loss():  # with its gradient by hand (R = M - A): dL/da_h = 2 w_h'Rw_h,
        # dL/dw_h = 2 a_h (R + R') w_h
        M = torch.einsum("bh,bhi,bhj->bij", a, W, W)
        R = M - A

        def grads():  # noqa: ANN202
            return (2 * torch.einsum("bhi,bij,bhj->bh", W, R, W),
                    2 * a[..., None] * torch.einsum("bij,bhj->bhi", R + R.transpose(1, 2), W))  # fmt: skip

        return (R**2).sum(dim=(1, 2)), lambda: [M], grads

    record, loss_rec, (Ms,) = plain_gd([a, W], loss, steps=steps, lr=lr, record_every=record_every)
    with torch.no_grad():
        carried = (a * (W**2).sum(-1)).cpu().numpy()
    return QuadraticRun(s, a0, W0, record * lr, loss_rec, Ms, carried)
