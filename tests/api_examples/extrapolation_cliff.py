"""One valid call of every public function of ``theorybench.extrapolation_cliff`` (closed forms, and
experiments at tiny sizes): the base of the API-wide bad-input walk in tests/test_validation.py.
A new public function gets its example here; the walk fails for a function without one."""

from __future__ import annotations

from typing import Any

from theorybench import extrapolation_cliff as ec
from theorybench.training import TrainConfig

_P3, _B3 = [0.9, 0.02, 0.08], [0.9, 0.09, 0.01]
_RUN = ec.simulate_validity(_P3, _B3, [0.5, 1.0, 2.0], L=4, steps=8, records=3)
_CLIFF_INST = ec.draw_cliff_instances(2, seed=0)
_SWEEPS = ec.train_categorical_family(
    _CLIFF_INST, [[0.5, 1.0], [0.5, 1.0]], batch=8, train=TrainConfig(steps=3, lr=0.01)
)
_VALIDITY_INST = [(_P3, _B3, 3), ([0.99, 0.002, 0.008], [0.95, 0.0495, 0.0005], 2)]
_FAMILY = ec.train_validity_family(
    _VALIDITY_INST, [[0.0, 1.0, 2.0], [0.0, 1.5, 3.0]], batch=8, records=2,
    train=TrainConfig(steps=4, lr=0.05),
)  # fmt: skip
_TRAINING = ec.train_structured_policy(
    _P3, _B3, [0.5, 1.0, 2.0], L=4, seeds=2, batch=8, records=2,
    train=TrainConfig(steps=4, lr=0.05),
)  # fmt: skip

EXAMPLES: dict[Any, dict[str, Any]] = {
    ec.extrapolated_fixed_point: {"p": 0.9, "b": 0.6, "lam": 1.5},
    ec.extrapolated_fixed_point_k: {"p": [0.7, 0.2, 0.1], "b": [0.5, 0.3, 0.2], "lam": 1.5},
    ec.clip_safe_interval: {"b": 0.6, "c": 1.2},
    ec.lambda_star: {"p": 0.9, "b": 0.6, "c": 1.2},
    ec.lambda_star_neutral: {"p": 0.9, "c": 1.2},
    ec.clip_for_threshold: {"p": 0.99, "b": 0.985, "lam": 1.22},
    ec.critical_clip: {"p": 0.99, "b": 0.985},
    ec.lambda_star_k: {"p": [0.7, 0.2, 0.1], "b": [0.5, 0.3, 0.2], "c": 1.2},
    ec.empirical_cliff: {"p": 0.9, "b": 0.6, "c": 1.2, "tol": 1e-3, "steps": 50},
    ec.simulate_opd: {"p": 0.9, "b": 0.6, "c": 1.2, "lam": 1.5, "steps": 5},
    ec.sweep_final_mass: {"p": 0.9, "b": 0.6, "c": 1.2, "lams": [1.0, 2.0], "steps": 5},
    ec.validity: {"p": [0.99, 0.002, 0.008], "b": [0.95, 0.0495, 0.0005], "lam": 1.2, "L": 20},
    ec.tail_ratios: {"p": [0.99, 0.002, 0.008], "b": [0.95, 0.0495, 0.0005]},
    ec.validity_peak: {"p": [0.99, 0.002, 0.008], "b": [0.95, 0.0495, 0.0005]},
    ec.validity_cliff: {"p": [0.99, 0.002, 0.008], "b": [0.95, 0.0495, 0.0005], "L": 20},
    ec.validity_cliff_clip: {"p": [0.99, 0.002, 0.008], "b": [0.95, 0.0495, 0.0005], "L": 20},
    ec.validity_fall_width: {"p": [0.99, 0.002, 0.008], "b": [0.95, 0.0495, 0.0005], "L": 20},
    ec.fall_width_bound: {"v_peak": 0.948, "log_rho_max": 2.7, "L": 20},
    ec.simulate_validity: {
        "p": [0.99, 0.002, 0.008],
        "b": [0.95, 0.0495, 0.0005],
        "lams": [1.0, 2.0],
        "L": 4,
        "steps": 3,
    },
    ec.onset: {"lams": [1.0, 1.5, 2.0, 2.5], "v": [0.8, 0.9, 0.5, 0.2], "drop": 0.5},
    ec.simulated_cliff: {
        "run": ec.simulate_validity(
            [0.9, 0.02, 0.08], [0.9, 0.09, 0.01], [0.5, 1, 2], L=4, steps=3
        ),
        "drop": 0.5,
    },
    ec.train_categorical_policy: {
        "p": [0.7, 0.2, 0.1],
        "b": [0.5, 0.3, 0.2],
        "c": 1.2,
        "lams": [1.0],
        "train": TrainConfig(steps=3, lr=0.01),
        "batch": 8,
    },
    ec.logit: {"x": [0.2, 0.9]},
    ec.plot_simulation: {
        "p": 0.9,
        "b": 0.6,
        "c": 1.2,
        "lams": [1.0, 2.0],
        "exact": [[0.9, 0.5]],
        "sampled_lams": [1.0, 2.0],
        "sampled": [[0.9, 0.5], [0.88, 0.52]],
    },  # fmt: skip
    ec.plot_validity_model: {
        "p": _P3,
        "b": _B3,
        "L": 4,
        "runs": {"previous": _RUN},
        "budgets": (4, 8),
    },
    ec.plot_validity_training: {"run": _TRAINING, "cliff": 1.5},
    ec.train_structured_policy: {
        "p": _P3,
        "b": _B3,
        "lams": [0.5, 1.0],
        "L": 4,
        "seeds": 2,
        "batch": 8,
        "records": 2,
        "train": TrainConfig(steps=4, lr=0.05),
    },  # fmt: skip
    ec.validity_rows: {
        "p": _P3,
        "b": _B3,
        "L": 4,
        "runs": {"previous": _RUN},
        "training": _TRAINING,
        "budgets": (4, 8),
    },  # fmt: skip
    ec.draw_cliff_instances: {"n": 2, "seed": 0},
    ec.draw_validity_instances: {"n": 2, "seed": 0},
    ec.cliff_grid: {"star": 1.352},
    ec.draw_validity_clips: {"n": 2, "seed": 0},
    ec.validity_grid: {"cliff": 1.619},
    ec.train_categorical_family: {
        "instances": _CLIFF_INST,
        "lams": [[0.5, 1.0], [1.0, 1.5]],
        "batch": 8,
        "train": TrainConfig(steps=3, lr=0.01),
    },
    ec.train_validity_family: {
        "instances": _VALIDITY_INST,
        "lams": [[0.0, 1.0], [1.0, 2.0]],
        "seeds": 2,
        "batch": 8,
        "epochs": 2,
        "eps": [0.2, 0.3],
        "records": 2,
        "train": TrainConfig(steps=3, lr=0.05),
    },
    ec.plot_cliff_family: {"instances": _CLIFF_INST, "sweeps": _SWEEPS},
    ec.cliff_family_rows: {"instances": _CLIFF_INST, "sweeps": _SWEEPS, "step": 0.01},
    ec.plot_validity_family: {"instances": _VALIDITY_INST, "runs": _FAMILY},
    ec.validity_family_rows: {"instances": _VALIDITY_INST, "runs": _FAMILY},
}
