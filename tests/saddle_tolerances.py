"""Thresholds shared by the saddle-to-saddle claims of the linear, convolutional and quadratic
networks (tests/test_saddle_{linear,convolution,quadratic}.py), fixed before the runs, and the
level error they bound."""

from __future__ import annotations

import numpy as np

#: transition times: every measured transition within this relative error of the prediction
TIME_TOL = 0.10
#: plateau levels: error of each level over the gap to its nearest neighbouring level (so no
#: level can pass for the next one)
LEVEL_TOL = 0.05
#: fixed points: distance from the predicted fixed point over the teacher's norm
FIXED_POINT_TOL = 0.05


def level_errors(found: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """abs(found - predicted) over the gap from each predicted level to its nearest neighbouring
    level: a tolerance set by the levels themselves, so no level can pass for the next one."""
    gaps = np.abs(np.diff(predicted))
    nearest = np.minimum(np.r_[np.inf, gaps], np.r_[gaps, np.inf])
    return np.abs(found - predicted) / nearest
