"""One valid call of every public function of ``theorybench.langevin_averaging`` (closed forms, and
experiments at tiny sizes): the base of the API-wide bad-input walk in tests/test_validation.py.
A new public function gets its example here; the walk fails for a function without one."""

from __future__ import annotations

from typing import Any

import numpy as np
from theorybench import langevin_averaging as la
from theorybench.training import TrainConfig

_X, _Y, _W = la.single_index_data(n=8, d=4, k=3, runs=2)
_TINY = TrainConfig(steps=6, lr=0.05)
_CHAINS = la.chain_thresholds(
    ds=[4], factors=[0.5, 1.0], runs=2, train=TrainConfig(steps=20, lr=0.05)
)

EXAMPLES: dict[Any, dict[str, Any]] = {
    la.partial_trace_overlap: {"n": [100.0, 1000.0], "d": 16},
    la.predicted_exponents: {"k": 3},
    la.hermite_coefficients: {"link": np.tanh, "kmax": 4},
    la.information_exponent: {"link": np.tanh, "kmax": 6},
    la.threshold_exponent: {
        "ds": [16, 32],
        "ns": [[10.0, 100.0, 1000.0], [10.0, 100.0, 1000.0]],
        "overlaps": [[0.1, 0.6, 0.9], [0.1, 0.3, 0.7]],
    },
    la.single_index_data: {"n": 8, "d": 4, "k": 3, "runs": 2},
    la.online_sgd: {
        "n": 8,
        "d": 4,
        "k": 3,
        "runs": 2,
        "train": TrainConfig(steps=None, lr=0.1),
    },
    la.estimator_overlaps: {"d": 4, "k": 3, "ns": [8, 16], "runs": 2},
    la.high_temperature_weight: {"r2": [3.0, 5.0], "d": 4, "k": 4},
    la.partial_trace_threshold: {"d": [16.0, 32.0]},
    la.paper_samples: {"d": 8, "k": 5},
    la.peak_memory: {"s": la.sizes("ci")},
    la.bootstrap_exponent: {
        "ds": [16, 32],
        "ns": [[10.0, 100.0, 1000.0], [10.0, 100.0, 1000.0]],
        "overlaps": [[[0.1, 0.6, 0.9], [0.2, 0.5, 0.8]], [[0.1, 0.3, 0.7], [0.1, 0.4, 0.6]]],
        "resamples": 20,
    },
    la.batch_speedup: {"n": 16, "d": 4, "runs": 2, "steps": 8},
    la.chain_thresholds: {
        "ds": [4],
        "factors": [0.5, 1.0],
        "runs": 2,
        "train": TrainConfig(steps=20, lr=0.05),
    },  # fmt: skip
    la.estimator_sweep: {"k": 3, "ds": [4, 6], "factors": [0.5, 1.0], "runs": 2},
    la.equal_compute: {"chains": _CHAINS, "seed": 0},
    la.exponent_rows: {"target": 0.5},
    la.high_temperature_estimate: {"X": _X, "y": _Y, "k": 3},
    la.hot_limit_overlap: {"X": _X, "y": _Y, "w_star": _W, "k": 3},
    la.langevin: {
        "X": _X,
        "y": _Y,
        "w_star": _W,
        "k": 3,
        "beta": 2.0,
        "burn_in": 2,
        "records": 3,
        "train": _TINY,
    },  # fmt: skip
    la.pipeline_sweep: {"ds": [4, 6], "factors": [0.5, 1.0], "runs": 2},
    la.reproduce_paper_figure: {
        "ks": (3,),
        "d": 4,
        "factor": 2.0,
        "runs": 2,
        "records": 3,
        "train": _TINY,
        "minibatch_train": TrainConfig(steps=12, lr=0.01),
    },  # fmt: skip
    la.sgd_sweep: {"k": 4, "ds": [4, 6], "factors": [0.5, 1.0], "runs": 2},
    la.sgd_sweeps: {"k": 4, "ds": [4, 6], "factors": [0.5, 1.0], "runs": 2, "seeds": (1, 2)},
    la.warm_start_pipeline: {"d": 4, "ns": [16, 32], "runs": 2},
}
