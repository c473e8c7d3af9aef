"""One valid call of every public function of ``theorybench.svm_attention`` (closed forms, and
experiments at tiny sizes): the base of the API-wide bad-input walk in tests/test_validation.py.
A new public function gets its example here; the walk fails for a function without one."""

from __future__ import annotations

from typing import Any

import numpy as np
from theorybench import svm_attention as sa

_X, _Y, _Z, _V = sa.synthetic_instance(3, 4, 5, seed=1)
_OPT = sa.optimal_tokens(_X, _Y, _V)[1]

EXAMPLES: dict[Any, dict[str, Any]] = {
    sa.synthetic_instance: {"n": 3, "T": 4, "d": 5, "seed": 1},
    sa.optimal_tokens: {"X": _X, "Y": _Y, "v": _V},
    sa.att_svm: {"X": _X, "Z": _Z, "opt": _OPT},
    sa.is_locally_optimal: {"X": _X, "Y": _Y, "v": _V, "Z": _Z, "alpha": _OPT},
    sa.direction_correlation: {"W": np.eye(3), "W_ref": np.eye(3) + 0.1},
    sa.effective_rank: {"W": np.eye(3), "rel": 0.01},
}
