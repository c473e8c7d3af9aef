"""One plain gradient-descent loop for the chapter's full-batch experiments (linear,
convolutional, quadratic and ReLU networks), batched over independent runs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .inputs import Array


def plain_gd(
    params: Sequence[Any],
    loss: Callable[[], tuple],
    *,
    steps: int,
    lr: float,
    record_every: int,
) -> tuple[Array, Array, list[Array]]:
    """Run ``steps`` steps of w <- w - lr grad(sum of the batch's losses) on the torch tensors
    ``params``. ``loss()`` returns the per-run losses, shape (B,), and a function giving the tensors to
    record (each with leading axis B; called on recorded steps only). Every ``record_every`` steps (and at 0) the losses and those tensors
    are stored; a non-finite loss raises ValueError. Returns the recorded steps, the losses
    (B, T) and one array (B, T, ...) per recorded tensor."""
    import torch

    record = np.arange(0, steps + 1, record_every)
    losses: list[Array] = []
    observed: list[list[Array]] = []
    for step in range(steps + 1):
        L, extra, *by_hand = loss()
        if step == record[len(losses)]:
            with torch.no_grad():
                if not bool(torch.isfinite(L).all()):
                    raise ValueError(
                        f"gradient descent diverged by step {step} (loss not finite): lower lr "
                        f"(got {lr}) or the initial scale"
                    )
                losses.append(L.cpu().numpy())
                observed.append([e.detach().cpu().numpy() for e in extra()])
            if len(losses) == record.size:
                break
        grads = by_hand[0]() if by_hand else torch.autograd.grad(L.sum(), list(params))
        with torch.no_grad():
            for w, g in zip(params, grads, strict=True):
                w -= lr * g
    stacked = [np.stack(col, axis=1) for col in zip(*observed, strict=True)]
    return record, np.stack(losses, axis=1), stacked
