"""One valid call of every public function of ``theorybench.svm_attention`` (closed forms, and
experiments at tiny sizes): the base of the API-wide bad-input walk in tests/test_validation.py.
A new public function gets its example here; the walk fails for a function without one."""

from __future__ import annotations

from typing import Any

import numpy as np
from theorybench import svm_attention as sa
from theorybench.training import TrainConfig

_X, _Y, _Z, _V = sa.synthetic_instance(3, 4, 5, seed=1)
_OPT = sa.optimal_tokens(_X, _Y, _V)[1]

EXAMPLES: dict[Any, dict[str, Any]] = {
    sa.synthetic_instance: {"n": 3, "T": 4, "d": 5, "seed": 1},
    sa.optimal_tokens: {"X": _X, "Y": _Y, "v": _V},
    sa.att_svm: {"X": _X, "Z": _Z, "opt": _OPT},
    sa.is_locally_optimal: {"X": _X, "Y": _Y, "v": _V, "Z": _Z, "alpha": _OPT},
    sa.direction_correlation: {"W": np.eye(3), "W_ref": np.eye(3) + 0.1},
    sa.effective_rank: {"W": np.eye(3), "rel": 0.01},
    sa.attention_loss: {"X": _X, "Y": _Y, "v": _V, "Z": _Z, "W": np.eye(5)},
    sa.selection_loss: {"X": _X, "Y": _Y, "v": _V, "alpha": _OPT},
    sa.ray_slope: {"X": _X, "Y": _Y, "v": _V, "Z": _Z, "alpha": _OPT, "R": 10.0},
    sa.train_gd: {
        "X": _X,
        "Y": _Y,
        "Z": _Z,
        "v": _V,
        "records": 3,
        "train": TrainConfig(steps=10, lr=0.1),
    },  # fmt: skip
    sa.direction_experiment: {
        "param": "W",
        "query": "cross",
        "instances": 2,
        "n": 2,
        "T": 3,
        "d": 4,
        "records": 3,
        "train": TrainConfig(steps=20, lr=0.1),
    },  # fmt: skip
    sa.global_fraction: {
        "n": 2,
        "T": 3,
        "ds": [3, 5],
        "instances": 4,
        "train": TrainConfig(steps=20, lr=0.1),
    },  # fmt: skip
    sa.svm_rank_grid: {"ns": [2], "Ts": [3], "ds": [3], "instances": 2, "seed": 0},
    sa.plot_2d_picture: {"seed": 3, "steps": 10},
    sa.explorer_outcomes: {"d": 3, "T": 3, "n": 2, "lr": 0.1, "init": 0.0, "instances": 2},
}
