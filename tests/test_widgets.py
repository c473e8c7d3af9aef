"""Shared plotting and slider helpers, and the Lion explorer built on them."""

from __future__ import annotations

import numpy as np
import pytest
from theorybench import lion, plotting, widgets


def test_slider_validates_its_range() -> None:
    with pytest.raises(ValueError, match="lo < hi"):
        widgets.slider("λ", 1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="value"):
        widgets.slider("λ", 0.0, 1.0, 2.0)
    with pytest.raises(ValueError, match="lo > 0"):
        widgets.slider("λ", 0.0, 1.0, 0.5, log=True)


def test_log_slider_spans_the_range_and_is_labelled() -> None:
    s = widgets.slider("lr", 1e-3, 1e-1, 1e-2, log=True, units="1/step")
    assert s.base**s.min == pytest.approx(1e-3) and s.base**s.max == pytest.approx(1e-1)
    assert s.description == "lr [1/step]" and s.continuous_update is False


def test_figure_is_styled_and_validates() -> None:
    fig, axes = plotting.figure(2)
    assert len(axes) == 2 and fig.get_figwidth() == pytest.approx(8.0)
    with pytest.raises(ValueError, match="ncols"):
        plotting.figure(0)


def test_explorer_updates_artists_in_place_and_redraws() -> None:
    fig, (ax,) = plotting.figure(1)
    (line,) = ax.plot([0, 1], [0, 0])
    calls = []

    def update(a: float) -> None:
        calls.append(a)
        line.set_ydata([0, a])

    ex = widgets.Explorer(fig, update, {"a": widgets.slider("a", 0.0, 1.0, 0.5)})
    assert calls == [] and ex.image.value == b""  # constructing draws (and trains) nothing
    ex.drawn_figure()
    before = ex.image.value
    ex.controls["a"].value = 1.0
    assert calls[-1] == 1.0 and ex.image.value != before
    assert len(ax.lines) == 1  # updated in place, nothing added
    timing = ex.time_callbacks(moves=3)
    assert timing.n == 3 and 0 < timing.update_s <= timing.redraw_s
    assert ex.controls["a"].value == 1.0  # restored


def test_lion_explorer_draws_the_ball_of_radius_one_over_lambda() -> None:
    """The figure shows the closed form: the outline is the set ||x|| = 1/lam of the chosen K."""
    ex = lion.explorer()
    ball = ex.fig.axes[0].lines[0]
    for lam in (0.5, 2.0):
        ex.controls["lam"].value = lam
        for kappa in ("l1", "l2", "linf"):
            ex.controls["kappa"].value = kappa
            pts = np.column_stack(ball.get_data())
            norms = lion.Kappa(kappa).constraint_norm(pts)
            np.testing.assert_allclose(norms, 1 / lam, rtol=1e-9)
    ex.controls["kappa"].value = "sq"
    assert len(ball.get_xdata()) == 0  # no constraint for K = |x|^2 / 2


def test_lion_explorer_p_slider_draws_the_dual_ball_of_lion_lp() -> None:
    """K = ||.||_p: the outline is {||x||_q = 1/lam}, q = p/(p-1), and follows the p slider."""
    ex = lion.explorer()
    ex.controls["kappa"].value = "lp"
    ball = ex.fig.axes[0].lines[0]
    for p in (1.25, 1.5, 2.0):
        ex.controls["p"].value = p
        pts = np.column_stack(ball.get_data())
        q = p / (p - 1)
        norms = (np.abs(pts) ** q).sum(1) ** (1 / q)
        np.testing.assert_allclose(norms, 1 / ex.controls["lam"].value, rtol=1e-9)
