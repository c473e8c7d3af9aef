"""One valid call of every public function of ``theorybench.langevin_averaging`` (closed forms, and
experiments at tiny sizes): the base of the API-wide bad-input walk in tests/test_validation.py.
A new public function gets its example here; the walk fails for a function without one."""

from __future__ import annotations

from typing import Any

import numpy as np
from theorybench import langevin_averaging as la
from theorybench.training import TrainConfig

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
}
