"""One valid call of every public function of ``theorybench.saddle_to_saddle`` (closed forms, and
experiments at tiny sizes): the base of the API-wide bad-input walk in tests/test_validation.py.
A new public function gets its example here; the walk fails for a function without one."""

from __future__ import annotations

from typing import Any

import numpy as np
from theorybench import saddle_to_saddle as sts
from theorybench.training import TrainConfig

_M, _U, _VT = sts.teacher([3.0, 1.0], 4, 3)
_FAMILY = sts.train_relu_teachers(
    sts.draw_ramp_teachers(2, ramps=[2]), seeds=1, n_points=11, width=2,
    train=TrainConfig(steps=4, lr=0.05),
)  # fmt: skip

_RELU_RUN = sts.train_relu_network(
    seeds=1, width=3, n_points=11, train=TrainConfig(steps=4, lr=0.05)
)
_CONV_RELU_RUN = sts.train_conv_relu_network(
    n_signals=2, d=4, channels=2, seeds=1, train=TrainConfig(steps=4, lr=0.05)
)

_LIN = [3.0, 1.0]
_LIN_RUN = sts.train_linear_network(
    _LIN, [1e-2], record_every=2, train=TrainConfig(steps=40, lr=0.01)
)
_ATT = [1.0, 0.5]
_ATT_RUN = sts.train_attention(
    _ATT, [0.1], train=TrainConfig(steps=20, lr=0.1), batch=8, eval_sequences=8, record_every=2
)

EXAMPLES: dict[Any, dict[str, Any]] = {
    sts.mode_trajectory: {"t": np.linspace(0, 5, 6), "s": [3.0, 1.0], "u0": 1e-3},
    sts.learning_times: {"s": [3.0, 1.0], "u0": 1e-3},
    sts.steepest_descent_times: {"s": [3.0, 1.0], "u0": 1e-3},
    sts.loss_curve: {"t": np.linspace(0, 5, 6), "s": [3.0, 1.0], "u0": 1e-3},
    sts.plateau_losses: {"s": [3.0, 1.0]},
    sts.steepest_fraction: {"depth": 3},
    sts.deep_escape_time: {"s": 2.0, "sigma": 1e-2, "depth": 3},
    sts.deep_mode_trajectory: {"t": np.linspace(0, 5, 6), "s": [2.0], "sigma": 1e-2, "depth": 3},
    sts.teacher: {"s": [3.0, 1.0], "d_in": 4, "d_out": 3},
    sts.effective_initial_strength: {
        "W1": np.full((1, 4, 4), 0.01),
        "W2": np.full((1, 3, 4), 0.01),
        "U": _U,
        "V": _VT,
    },
    sts.random_start_strength: {"sigma": 1e-2, "hidden": 8, "d_in": 4, "q": 0.5},
    sts.width_transition_times: {"s": [3.0, 1.0], "sigma": 1e-2, "hidden": 8, "d_in": 4},
    sts.conv_teacher: {"s": [2.0, 1.0], "d": 8, "freqs": [1, 3], "seed": 0},
    sts.conv_plateau_losses: {"s": [2.0, 1.0], "d": 8},
    sts.conv_initial_strength: {
        "w": np.full((1, 2, 8), 0.01),
        "a": np.full((1, 2, 8), 0.02),
        "t": np.arange(8.0),
        "freqs": [1, 2],
    },
    sts.train_conv_network: {
        "s": [2.0, 1.0],
        "d": 8,
        "channels": 2,
        "seeds": 2,
        "train": TrainConfig(steps=4, lr=0.01),
    },
    sts.quadratic_escape_time: {"a0": 0.01, "rho0": 0.02, "s": 1.0},
    sts.quadratic_unit_flow: {"a0": 0.01, "rho0": 0.02, "s": 1.0, "t": 1.0},
    sts.quadratic_escape_sequence: {"a0": [0.01, 0.005], "W0": np.full((2, 3), 0.01), "s": 1.0},
    sts.train_quadratic_network: {
        "d": 2,
        "scales": [1.0, 0.5],
        "seeds": 2,
        "train": TrainConfig(steps=4, lr=0.02),
    },
    sts.ramp_teacher: {
        "x": np.linspace(-1, 1, 11),
        "kinks": [0.3, -0.3],
        "slopes": [3.0, 0.5],
        "sides": [1, -1],
    },
    sts.relu_correlation: {"angle": 0.5, "x": np.linspace(-1, 1, 11), "r": np.linspace(0, 1, 11)},
    sts.relu_escape: {"x": np.linspace(-1, 1, 11), "r": np.linspace(0, 1, 11), "grid": 128},
    sts.best_single_ramp: {"x": np.linspace(-1, 1, 11), "y": np.linspace(0, 1, 11), "grid": 512},
    sts.single_unit_profile: {
        "angle": 0.5,
        "x": np.linspace(-1, 1, 11),
        "y": np.linspace(0, 1, 11),
    },
    sts.single_unit_fixed_points: {
        "x": np.linspace(-1, 1, 11),
        "y": np.maximum(np.linspace(-1, 1, 11), 0.0),
        "grid": 512,
    },
    sts.first_fixed_point: {
        "x": np.linspace(-1, 1, 11),
        "y": np.maximum(np.linspace(-1, 1, 11), 0.0),
        "grid": 512,
    },
    sts.relu_unit_curvature: {
        "angle": 0.5,
        "x": np.linspace(-1, 1, 11),
        "r": np.linspace(0, 1, 11),
    },
    sts.draw_ramp_teachers: {"count": 2, "ramps": [2, 3], "seed": 1},
    sts.train_relu_teachers: {
        "teachers": [([0.3, -0.3], [3.0, 0.5], [1, -1])],
        "seeds": 2,
        "width": 3,
        "n_points": 11,
        "train": TrainConfig(steps=4, lr=0.05),
    },
    sts.first_plateau_visits: {"run": _FAMILY, "tol": 0.05},
    sts.plateau_small_units: {"run": _FAMILY, "t": 0, "i": 0, "j": 1, "share": 0.5},
    sts.relu_plateau_levels: {
        "x": np.linspace(-1, 1, 11),
        "kinks": [0.3, -0.3],
        "slopes": [3.0, 0.5],
        "sides": [1, -1],
    },
    sts.gd_growth_rate: {"rate": 0.1, "lr": 0.05},
    sts.circular_patches: {"signals": np.arange(12.0).reshape(2, 6), "size": 2},
    sts.unit_correlation: {
        "theta": [1.0, 0.5, 0.2],
        "Z": np.c_[np.eye(3)[:, :2], np.ones(3)],
        "r": [1.0, -0.5, 0.2],
    },
    sts.unit_escape: {
        "Z": np.c_[np.eye(3)[:, :2], np.ones(3)],
        "r": [1.0, -0.5, 0.2],
        "count": 200,
    },
    sts.best_single_unit: {
        "Z": np.c_[np.eye(3)[:, :2], np.ones(3)],
        "y": [1.0, 0.5, 0.2],
        "count": 200,
    },
    sts.train_conv_relu_network: {
        "n_signals": 2,
        "d": 4,
        "channels": 2,
        "seeds": 2,
        "train": TrainConfig(steps=4, lr=0.05),
    },
    sts.train_relu_network: {
        "width": 3,
        "seeds": 2,
        "n_points": 11,
        "train": TrainConfig(steps=4, lr=0.05),
    },
    sts.attention_loss: {"M": np.diag([0.5, 0.2]), "lam": [1.0, 0.5], "context": 8},
    sts.detect_plateaus: {"t": np.arange(50.0), "loss": np.r_[np.ones(25), np.zeros(25)]},
    sts.plateau_middles: {"t": np.arange(50.0), "transition_times": [10.0, 30.0]},
    sts.attention_targets: {"lam": [1.0, 0.5], "context": 8},
    sts.attention_plateau_losses: {"lam": [1.0, 0.5], "context": 8},
    sts.attention_escape_times: {"lam": [1.0, 0.5], "a0": [0.01, 0.01], "context": 8},
    sts.attention_loss_curve: {
        "t": np.linspace(0, 5, 6),
        "lam": [1.0, 0.5],
        "a0": [0.01, 0.01],
        "context": 8,
    },
    sts.train_linear_network: {
        "s": [3.0, 1.0],
        "sigmas": [1e-2],
        "depth": 2,
        "train": TrainConfig(steps=4, lr=0.01),
    },
    sts.train_attention: {
        "lam": [1.0, 0.5],
        "sigmas": [0.1],
        "train": TrainConfig(steps=4, lr=0.1),
        "batch": 8,
        "eval_sequences": 8,
        "record_every": 2,
    },
    sts.experiment_rows: {"run": _LIN_RUN, "s": _LIN},
    sts.plot_experiment: {"run": _LIN_RUN, "s": _LIN},
    sts.attention_rows: {"run": _ATT_RUN, "lam": _ATT},
    sts.plot_attention: {"run": _ATT_RUN, "lam": _ATT},
    sts.embedded_saddles: {
        "s": [3.0, 1.0],
        "seeds": 1,
        "hidden": 3,
        "d_in": 3,
        "d_out": 3,
        "train": TrainConfig(steps=700, lr=0.05),
    },  # fmt: skip
    sts.width_sweep: {
        "s": [3.0, 1.0],
        "widths": [3, 4],
        "seeds": 1,
        "d_in": 3,
        "d_out": 3,
        "train": TrainConfig(steps=700, lr=0.05),
    },  # fmt: skip
    sts.head_specialisation: {
        "lam": [1.0, 0.5],
        "seeds": 1,
        "context": 4,
        "batch": 8,
        "train": TrainConfig(steps=100, lr=0.1),
    },  # fmt: skip
    sts.unit_plateau_record: {"run": _RELU_RUN, "i": 0, "frac": 0.5},
    sts.escape_growth: {"run": _CONV_RELU_RUN, "departure": 0.01},
    sts.escape_alignment: {"run": _RELU_RUN, "departure": 0.01},
    sts.hessian_min_eigenvalue: {"run": _RELU_RUN, "at": 0.5},
    sts.relu_kinks_at: {"run": _RELU_RUN, "i": 0, "j": -1, "share": 0.1},
    sts.conv_relu_kernel_strengths: {"run": _CONV_RELU_RUN, "cos": 0.95},
    sts.train_conv_relu_masters: {
        "masters": [0, 1],
        "n_signals": 2,
        "d": 4,
        "channels": 2,
        "seeds": 1,
        "train": TrainConfig(steps=4, lr=0.05),
    },
    sts.family_functions: {"run": _FAMILY, "t": 0, "i": 0, "records": [0, -1]},
    sts.family_visits: {"run": _FAMILY, "tol_cap": 0.05},
    sts.fixed_point_gaps: {"run": _FAMILY, "merge": 0.01},
}
