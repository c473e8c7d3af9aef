"""Embedded fixed points and their saddles for two-layer linear networks, measured on trained
networks (§3): at each plateau the end-to-end map sits at the rank-r truncation of the teacher
(the fixed point of a width-r network embedded in the wide one), and the Hessian of the loss
there has the negative eigenvalue -s_{r+1} along the next mode to be learned."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ... import _checks
from ..._memo import reused
from ...training import TrainConfig
from .._shared.inputs import Array, spectrum
from ..plateaus import detect_plateaus
from .closed_forms import teacher

__all__ = ["SaddleCheck", "EMBEDDING_TRAIN", "embedded_saddles"]

#: plain GD, step 0.02, 4,000 steps
EMBEDDING_TRAIN = TrainConfig(steps=4000, lr=0.02)


@dataclass(frozen=True)
class SaddleCheck:
    """Result of :func:`embedded_saddles`: arrays indexed (seed, plateau r = 0 .. n-1)."""

    s: Array  # teacher singular values
    plateau_times: Array  # (seeds, n) time of the plateau's flattest point (steps x lr)
    distance: Array  # (seeds, n) ||W2 W1 - M_r||_F / ||M||_F at that time
    nearest: Array  # (seeds, n) the r' whose truncation M_r' is nearest to W2 W1
    min_eigenvalue: Array  # (seeds, n) most negative Hessian eigenvalue of the loss there
    predicted: Array  # (n,) -s_{r+1}: the theory's value at the exact embedded saddle


@reused
def embedded_saddles(
    s: ArrayLike,
    *,
    seeds: int = 10,
    sigma: float = 1e-3,
    hidden: int = 8,
    d_in: int = 6,
    d_out: int = 5,
    train: TrainConfig = EMBEDDING_TRAIN,
) -> SaddleCheck:
    """Train two-layer linear networks W2 W1 (width ``hidden``) by GD on
    L = 1/2 ||M - W2 W1||_F^2 from a small random start (entries N(0, sigma^2 / fan-in)), one
    teacher M = U diag(s) V' and start per seed; find the plateaus on the loss curve alone
    (:func:`~theorybench.saddle_to_saddle.plateaus.detect_plateaus`; all seeds' GD in one batched
    numpy program), and at the flattest point of
    plateau r (r modes learned) measure the distance of W2 W1 to the truncation M_r = sum_{k<=r} s_k u_k v_k'
    and the smallest eigenvalue of the full Hessian of L in (W1, W2) (torch autograd, then
    numpy's eigvalsh). The theory (§3): the point is a saddle with eigenvalue -s_{r+1}.
    Seeds whose curve shows fewer than n transitions raise RuntimeError."""
    import torch

    s = spectrum(s, strictly_decreasing=True)
    seeds = _checks.integer_at_least(seeds, "seeds", 1)
    sigma = _checks.positive(sigma, "sigma")
    hidden = _checks.integer_at_least(hidden, "hidden", s.size)
    TrainConfig.check(train)
    steps, lr = train.require_steps(), train.lr
    n = s.size
    out = {k: np.empty((seeds, n)) for k in ("time", "dist", "near", "eig")}
    # every seed's teacher and start, then plain GD of all seeds at once (numpy, batched):
    # grad_W1 L = -W2'(M - W2 W1), grad_W2 L = -(M - W2 W1) W1'
    Ms, Us, Vs, W1, W2 = [], [], [], [], []
    for seed in range(seeds):
        M, U, V = teacher(s, d_in, d_out, train.seed * 1000 + seed)
        rng = np.random.default_rng(train.seed * 1000 + seed + 1)
        Ms.append(M), Us.append(U), Vs.append(V)
        W1.append(rng.standard_normal((hidden, d_in)) * sigma / np.sqrt(d_in))
        W2.append(rng.standard_normal((d_out, hidden)) * sigma / np.sqrt(hidden))
    Mb, W1b, W2b = np.stack(Ms), np.stack(W1), np.stack(W2)
    history = np.empty((seeds, steps + 1, hidden * d_in + d_out * hidden))
    losses = np.empty((seeds, steps + 1))
    for t in range(steps + 1):
        R = Mb - W2b @ W1b
        losses[:, t] = 0.5 * np.einsum("sij,sij->s", R, R)
        history[:, t, : hidden * d_in] = W1b.reshape(seeds, -1)
        history[:, t, hidden * d_in :] = W2b.reshape(seeds, -1)
        if t == steps:
            break
        W1b, W2b = (
            W1b + lr * W2b.transpose(0, 2, 1) @ R,
            W2b + lr * R @ W1b.transpose(0, 2, 1),
        )
    times = np.arange(steps + 1) * lr
    for seed in range(seeds):
        M, U, V = Ms[seed], Us[seed], Vs[seed]
        truncations = [U[:, :r] * s[:r] @ V[:, :r].T for r in range(n)]
        Mt = torch.tensor(M, dtype=torch.float64)

        def loss_of(flat: torch.Tensor, Mt: torch.Tensor = Mt) -> torch.Tensor:
            a = flat[: hidden * d_in].reshape(hidden, d_in)
            b = flat[hidden * d_in :].reshape(d_out, hidden)
            return 0.5 * ((Mt - b @ a) ** 2).sum()

        found = detect_plateaus(times, losses[seed]).transition_times
        if found.size < n:
            raise RuntimeError(f"seed {seed}: {found.size} transitions found, {n} needed")
        edges = np.concatenate([[0.0], found[:n]])
        rate = np.abs(np.gradient(losses[seed], times))
        for r in range(n):  # the flattest point of plateau r, between transitions r and r + 1
            lo, hi = np.searchsorted(times, edges[r]), np.searchsorted(times, edges[r + 1])
            i = int(lo + np.argmin(rate[lo:hi]))
            p = torch.tensor(history[seed, i])
            product = (
                p[hidden * d_in :].reshape(d_out, hidden) @ p[: hidden * d_in].reshape(hidden, d_in)
            ).numpy()
            gaps = [np.linalg.norm(product - T) for T in truncations]
            hess = torch.autograd.functional.hessian(loss_of, p).numpy()
            out["time"][seed, r] = times[i]
            out["dist"][seed, r] = gaps[r] / np.linalg.norm(M)
            out["near"][seed, r] = int(np.argmin(gaps))
            out["eig"][seed, r] = np.linalg.eigvalsh(hess)[0]
    return SaddleCheck(
        s=s,
        plateau_times=out["time"],
        distance=out["dist"],
        nearest=out["near"],
        min_eigenvalue=out["eig"],
        predicted=-s,
    )
