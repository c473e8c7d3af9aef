"""``LionK``: the Lion-K update as a ``torch.optim.Optimizer`` (decoupled weight decay)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from .model import Kappa, _check_hyper, get_kappa

__all__ = ["LionK"]


# ----------------------------------------------------------------------------------------------
# torch: the optimizer and the experiment
# ----------------------------------------------------------------------------------------------
class LionK(torch.optim.Optimizer):
    """Lion-K as a ``torch.optim.Optimizer`` (§1, eq. lion-k, applied per parameter tensor).

    ``weight_decay`` is lam (decoupled: x <- (1 - lr lam) x + lr grad K(m~)); the state ``m``
    accumulates the *negative* gradient, as in the paper. K acts on each parameter tensor
    separately (K(x) = sum over tensors), so for ``"l2"``/``"linf"`` the constraint is a product
    of balls. ``kappa="l1"`` is the ordinary Lion of Chen et al. (2023). The subgradient is
    :meth:`~theorybench.lion.model.Kappa.grad`, the very code of the numpy reference :func:`~theorybench.lion.model.lion_step`.
    """

    def __init__(
        self,
        params: Any,
        lr: float = 1e-4,
        betas: tuple[float, float] = (0.9, 0.99),
        weight_decay: float = 0.0,
        kappa: str | Kappa = "l1",
    ) -> None:
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
                m = state["m"]
                update = k.grad(b1 * m - (1 - b1) * p.grad, xp=torch)
                p.mul_(1 - lr * lam).add_(update, alpha=lr)
                m.mul_(b2).add_(p.grad, alpha=-(1 - b2))
        return loss
