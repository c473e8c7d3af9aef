"""The torch experiment: (normalised) gradient descent on the attention weights W or (K, Q), batched over instances."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._checks import integer_at_least as _integer_at_least
from .._checks import positive as _positive
from .model import Array, _tokens, optimal_tokens, synthetic_instance

__all__ = ["attention_output", "GDRun", "train_gd", "global_fraction"]


# ----------------------------------------------------------------------------------------------
# Torch model and gradient descent (§3, §5)
# ----------------------------------------------------------------------------------------------
def attention_output(X, Z, v, W):
    """f(X_i) = v' X_i' softmax(X_i W z_i), batched: X (..., n, T, d), Z (..., n, d), v (..., d),
    W (..., d, d) torch tensors; returns (..., n)."""
    import torch

    scores = torch.einsum("...ntd,...de,...ne->...nt", X, W, Z)
    return torch.einsum("...nt,...ntd,...d->...n", torch.softmax(scores, dim=-1), X, v)


def _gradient(X, Y, Z, v, W):
    """dL/dW of the logistic loss, computed stably (§3): the softmax derivative
    a_t (gamma_t - f) is formed as a_t sum_s a_s (gamma_t - gamma_s), never as a difference of
    two nearly equal numbers. Returns (grad, loss, attention)."""
    import torch

    gamma = Y[..., None] * torch.einsum("...ntd,...d->...nt", X, v)
    a = torch.softmax(torch.einsum("...ntd,...de,...ne->...nt", X, W, Z), dim=-1)
    margin = (a * gamma).sum(-1)  # Y_i f(X_i)
    gap = gamma[..., :, None] - gamma[..., None, :]  # gamma_t - gamma_s
    c = a * torch.einsum("...ts,...s->...t", gap, a)
    dl = -torch.sigmoid(-margin)  # logistic loss derivative at Y f
    n = X.shape[-3]
    grad = torch.einsum("...n,...nt,...ntd,...ne->...de", dl, c, X, Z) / n
    loss = torch.nn.functional.softplus(-margin).mean(-1)
    return grad, loss, a


@dataclass(frozen=True)
class GDRun:
    """Result of :func:`train_gd`: recorded at log-spaced steps, batched over instances."""

    steps: Array  # (S,) recorded step indices
    W: Array  # (B, S, d, d) W(t) (= K Q' for the (K, Q) parametrisation)
    loss: Array  # (B, S)
    attention: Array  # (B, S, n, T) softmax scores
    stopped: Array  # (B,) step at which the gradient left the floating-point range (or steps)

    def selected(self) -> NDArray[np.int64]:
        """(B, n) the token each sample attends to most at the end."""
        return np.argmax(self.attention[:, -1], axis=-1)


def train_gd(
    X: ArrayLike,
    Y: ArrayLike,
    Z: ArrayLike,
    v: ArrayLike,
    *,
    param: str = "W",
    normalized: bool = True,
    lr: float = 0.1,
    steps: int = 2000,
    init_scale: float = 0.0,
    width: int | None = None,
    records: int = 60,
    seed: int = 0,
    device: str | None = None,
) -> GDRun:
    """Gradient descent on the logistic loss of one-layer attention (§3, §5), batched over
    instances (leading axis B of X, Y, Z, v; a single instance gets B = 1) and samples in one
    tensor program, float64.

    ``param="W"``: W itself; ``param="KQ"``: W = K Q' with K, Q in R^{d x width} (default d),
    gradients dL/dK = G Q, dL/dQ = G' K. ``normalized=True``: each step moves by ``lr`` along the
    negative gradient divided by its norm (per instance); else plain GD with step ``lr``.
    Initialisation N(0, init_scale^2) entries (``init_scale = 0`` starts W at 0; (K, Q) needs
    init_scale > 0). A run whose gradient underflows to 0 or overflows stops there and its
    later records repeat the last state.
    """
    import torch

    from ..device import device as pick_device

    X = np.asarray(X, dtype=float)
    single = X.ndim == 3
    Xb = _tokens(X)[None] if single else np.asarray(X, dtype=float)
    if Xb.ndim != 4:
        raise ValueError(f"X must have shape (n, T, d) or (B, n, T, d), got {X.shape}")
    B, n, T, d = Xb.shape
    Yb = np.asarray(Y, dtype=float).reshape(B, n)
    Zb = np.asarray(Z, dtype=float).reshape(B, n, d)
    vb = np.asarray(v, dtype=float).reshape(B, d)
    if param not in ("W", "KQ"):
        raise ValueError(f"param must be 'W' or 'KQ', got {param!r}")
    _positive(lr, "lr")
    _integer_at_least(steps, "steps", 1)
    if not (np.isfinite(init_scale) and init_scale >= 0):
        raise ValueError(f"init_scale must be >= 0, got {init_scale!r}")
    if param == "KQ" and init_scale == 0:
        raise ValueError("init_scale must be > 0 for the (K, Q) parametrisation (0 is a saddle)")
    width = d if width is None else width
    dev = pick_device(device)
    t = {
        k: torch.tensor(a, dtype=torch.float64, device=dev)
        for k, a in (("X", Xb), ("Y", Yb), ("Z", Zb), ("v", vb))
    }
    gen = torch.Generator().manual_seed(seed)
    if param == "W":
        params = [torch.randn(B, d, d, generator=gen, dtype=torch.float64) * init_scale]
    else:
        params = [
            torch.randn(B, d, width, generator=gen, dtype=torch.float64) * init_scale
            for _ in range(2)
        ]
    params = [p.to(dev) for p in params]
    record = np.unique(np.round(np.geomspace(1, steps, records)).astype(int))
    record = np.concatenate([[0], record])
    Ws = np.empty((B, record.size, d, d))
    losses = np.empty((B, record.size))
    att = np.empty((B, record.size, n, T))
    alive = torch.ones(B, dtype=torch.bool, device=dev)
    stopped = np.full(B, steps)
    j = 0
    for step in range(steps + 1):
        W = params[0] if param == "W" else params[0] @ params[1].transpose(-1, -2)
        G, loss, a = _gradient(t["X"], t["Y"], t["Z"], t["v"], W)
        if step == record[j]:
            Ws[:, j], losses[:, j], att[:, j] = W.cpu().numpy(), loss.cpu().numpy(), a.cpu().numpy()
            j += 1
            if j == record.size:
                break
        grads = [G] if param == "W" else [G @ params[1], G.transpose(-1, -2) @ params[0]]
        norm = torch.sqrt(sum((g**2).sum((-2, -1)) for g in grads))
        ok = alive & (norm > 0) & torch.isfinite(norm)
        for i in torch.nonzero(alive & ~ok).flatten().tolist():
            stopped[i] = step
        alive = ok
        scale = (lr / norm if normalized else torch.full_like(norm, lr)) * alive
        scale = torch.nan_to_num(scale, nan=0.0, posinf=0.0)
        for p, g in zip(params, grads, strict=True):
            p -= scale[:, None, None] * torch.nan_to_num(g)
    return GDRun(steps=record, W=Ws, loss=losses, attention=att, stopped=stopped)


# ----------------------------------------------------------------------------------------------
# Experiments and figures (§6)
# ----------------------------------------------------------------------------------------------


def global_fraction(
    n: int,
    T: int,
    ds: ArrayLike,
    *,
    instances: int = 24,
    steps: int = 2000,
    lr: float = 0.1,
    seed: int = 0,
) -> Array:
    """Fraction of random instances on which normalised GD selects the optimal token of every
    sample (so it converges to the global Att-SVM rather than a local one), for each d (§6).
    The instances of one d are trained together as one batched program."""
    from tqdm.auto import tqdm

    out = []
    for d in tqdm(list(ds), desc="d", leave=False):
        data = [
            synthetic_instance(n, T, int(d), seed=seed + 1000 * int(d) + k)
            for k in range(instances)
        ]
        X, Y, Z, v = (np.stack(arrs) for arrs in zip(*data, strict=True))
        run = train_gd(X, Y, Z, v, steps=steps, lr=lr)
        opt = np.stack([optimal_tokens(x, y, w)[1] for x, y, w in zip(X, Y, v, strict=True)])
        out.append(float(np.mean(np.all(run.selected() == opt, axis=1))))
    return np.array(out)
