"""``LionK``: the Lion-K update as a ``torch.optim.Optimizer`` (decoupled weight decay), and
``Muon``, the same with K the nuclear norm."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from .discrete import _check_hyper, _lion_k_update
from .kappa import Kappa, get_kappa

__all__ = ["LionK", "Muon"]


class LionK(torch.optim.Optimizer):
    """Lion-K as a ``torch.optim.Optimizer`` (§1, eq. lion-k, applied per parameter tensor).

    ``weight_decay`` is lam (decoupled: x <- (1 - lr lam) x + lr grad K(m~)); the state ``m``
    accumulates the *negative* gradient, as in the paper. K acts on each parameter tensor
    separately (K(x) = sum over tensors), so for ``"l2"``/``"linf"`` the constraint is a product
    of balls; ``"nuclear"`` takes each tensor's last two axes as a matrix (leading axes are a
    batch of matrices, a vector is a column). ``kappa="l1"`` is the ordinary Lion of Chen et al.
    (2023). Each step calls ``theorybench.lion.discrete._lion_k_update``, the very code of
    the numpy reference :func:`~theorybench.lion.discrete.lion_step`, with ``xp=torch``.
    """

    def __init__(
        self,
        params: Any,
        lr: float = 1e-4,
        betas: tuple[float, float] = (0.9, 0.99),
        weight_decay: float = 0.0,
        kappa: str | Kappa = "l1",
    ) -> None:
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2) in [0, 1), got {betas!r}")
        _check_hyper(lr, betas[0], betas[1], weight_decay, lam_positive=False)
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "weight_decay": weight_decay,
            "kappa": get_kappa(kappa),
        }
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, (b1, b2), lam = group["lr"], group["betas"], group["weight_decay"]
            _check_hyper(lr, b1, b2, lam, lam_positive=False)
            k = get_kappa(group["kappa"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["m"] = torch.zeros_like(p)
                x_next, m_next, _, _ = _lion_k_update(
                    p, state["m"], p.grad, lr=lr, beta1=b1, beta2=b2, lam=lam, kappa=k, xp=torch
                )
                p.copy_(x_next)
                state["m"].copy_(m_next)
        return loss


class Muon(LionK):
    """Muon with decoupled weight decay as Lion-K with K the nuclear norm (Chen, Li & Liu 2025;
    theory/lion.md §7): each matrix moves along U V^T of its momentum m~ = U S V^T, and with
    weight decay lam every matrix ends in the spectral-norm ball ||W||_op <= 1/lam.

    The orthogonalisation is the exact thin SVD (Muon's Newton-Schulz iteration approximates
    it); a vector parameter is a column, so it moves along m~ / ||m~||_2 and ends in
    ||b||_2 <= 1/lam.
    """

    def __init__(
        self,
        params: Any,
        lr: float = 2e-2,
        betas: tuple[float, float] = (0.9, 0.99),
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr=lr, betas=betas, weight_decay=weight_decay, kappa="nuclear")
