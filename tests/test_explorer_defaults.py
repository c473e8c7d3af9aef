"""Each explorer opens on the chapter's point (its default frame teaches the result). The SVM,
Langevin and extrapolation-cliff defaults are checked in their chapters' tests; these are the
other three, each read from the explorer's own default controls and recomputed by the library."""

from __future__ import annotations

import numpy as np
from theorybench import chinchilla as ch
from theorybench import lion
from theorybench import saddle_to_saddle as st


def _defaults(module) -> dict:
    return {k: w.value for k, w in module.explorer().controls.items()}


def test_lion_explorer_opens_with_the_iterates_entering_the_box_and_settling_at_the_optimum():
    v = _defaults(lion)
    frame = lion.explorer_frame(v["lam"], v["beta1"], v["beta2"], v["lr"], v["kappa"], v["p"])
    xs, radius = frame["xs"], 1 / v["lam"]
    assert np.abs(xs[0]).max() > radius  # it starts outside the box ...
    assert frame["entry_t"] is not None  # ... enters it ...
    assert np.abs(xs[-1]).max() <= radius * (1 + 1e-6)  # ... stays in it
    assert np.linalg.norm(xs[-1] - frame["optimum"]) < 0.05 * radius  # near the optimum
    assert frame["H"][-1] < frame["H"][0]  # and H has fallen


def test_chinchilla_explorer_opens_with_a_visible_approach2_bias():
    v = _defaults(ch)
    assert v["alpha"] != v["beta"] and v["drift"] == 0
    err = ch.vertex_shift(v["alpha"], v["beta"], v["width"], 15, v["offset"]).n_star_error
    assert abs(err) > 0.005  # more than half a percent: visible on the right panel


def test_saddle_explorer_opens_on_a_staircase_of_separate_plateaus():
    v = _defaults(st)
    s = 3.0 * np.array([1.0, v["gap"], v["gap"] ** 2])
    times = np.asarray(st.learning_times(s, v["sigma"] ** 2))
    assert np.all(np.diff(times) > 0)
    assert np.all(times[1:] / times[:-1] > 1.5)  # each drop well after the last: distinct steps
