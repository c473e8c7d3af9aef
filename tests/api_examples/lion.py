"""One valid call of every public function of ``theorybench.lion`` (closed forms, and
experiments at tiny sizes): the base of the API-wide bad-input walk in tests/test_validation.py.
A new public function gets its example here; the walk fails for a function without one."""

from __future__ import annotations

from typing import Any

import numpy as np
from theorybench import lion
from theorybench.training import TrainConfig

_P = lion.ode_params(0.01, 0.9, 0.99, 1.0)
_GRAD = lambda x: 2 * (x - 3.0)  # noqa: E731
_F = lambda x: float(np.sum((x - 3.0) ** 2))  # noqa: E731

EXAMPLES: dict[Any, dict[str, Any]] = {
    lion.ball_outline: {"lam": 2.0, "kappa": "l1", "n": 11},
    lion.box_distance: {"xs": np.ones((3, 2)), "lam": 2.0},
    lion.constrained_objective: {"fx": 1.0, "x": np.array([0.1, 0.2]), "lam": 2.0},
    lion.constrained_optimum: {"f": _F, "grad_f": _GRAD, "x0": np.zeros(2), "lam": 1.0},
    lion.lion_step: {
        "x": np.ones(2),
        "m": np.zeros(2),
        "grad": np.ones(2),
        "lr": 0.01,
        "beta1": 0.9,
        "beta2": 0.99,
        "lam": 1.0,
    },
    lion.lion_run: {"grad_f": _GRAD, "x0": np.zeros(2), "steps": 5, "lr": 0.01, "lam": 1.0},
    lion.ode_params: {"lr": 0.01, "beta1": 0.9, "beta2": 0.99, "lam": 1.0},
    lion.discrete_dissipation: {
        "x": np.full(2, 0.5),
        "m": np.ones(2),
        "grad_fx": np.ones(2),
        "lr": 0.01,
        "lam": 1.0,
    },
    lion.chatter_amplitude: {
        "grad_f": _GRAD,
        "x0": np.zeros(2),
        "x_opt": np.zeros(2),
        "lr": 0.1,
        "lam": 1.0,
        "horizon": 2.0,
        "window": 1.0,
    },
    lion.lyapunov_H: {"x": np.full(2, 0.5), "m": np.zeros(2), "fx": 1.0, "p": _P, "kappa": "l1"},
    lion.lyapunov_dissipation: {
        "x": np.full(2, 0.5),
        "m": np.ones(2),
        "grad_fx": np.ones(2),
        "p": _P,
        "kappa": "sq",
    },
    lion.lion_ode_rhs: {
        "x": np.full(2, 0.5),
        "m": np.ones(2),
        "grad_fx": np.ones(2),
        "p": _P,
        "kappa": "sq",
    },
    lion.phase1_envelope: {"dist0": 2.0, "lrs": np.full(5, 0.01), "lam": 1.0},
    lion.integrate_lion_ode: {
        "grad_f": _GRAD,
        "x0": np.zeros(2),
        "m0": np.zeros(2),
        "p": _P,
        "t_eval": np.linspace(0, 1, 5),
    },
    lion.logistic_regression_lam_sweep: {
        "lams": [1.0, 2.0],
        "n": 20,
        "d": 3,
        "train": TrainConfig(steps=4, lr=0.05),
    },
    lion.train_digits: {
        "lams": [3.0],
        "muon_lams": [1.0],
        "adamw_low_decays": [0.0],
        "hidden": 4,
        "seeds": 1,
        "records": 2,
        "train": TrainConfig(steps=3, lr=2e-3),
    },
    lion.discrete_lyapunov_run: {
        "f": _F,
        "grad_f": _GRAD,
        "x0": np.full(2, 0.5),
        "m0": np.ones(2),
        "steps": 3,
        "lr": 0.01,
        "smoothness": 2.0,
        "lam": 1.0,
    },
    lion.explorer_frame: {"lam": 1.0, "beta1": 0.9, "beta2": 0.99, "lr": 0.01, "kappa": "l1"},
    lion.load_digits_split: {"seed": 0, "test_fraction": 0.2},
    lion.make_logistic_data: {"n": 20, "d": 3, "flip": 0.1, "seed": 0},
    lion.logistic_loss_np: {
        "w": np.array([0.1, -0.2]),
        "X": np.array([[1.0, 0.5], [-0.3, 2.0], [0.2, -1.0]]),
        "y": np.array([1.0, -1.0, 1.0]),
    },
    lion.summed_dissipation_bound: {"h0": 2.0, "h_min": 1.0, "allowance": np.full(3, 0.1)},
}
