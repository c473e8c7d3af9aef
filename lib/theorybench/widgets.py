"""Sliders that look and behave the same in every notebook.

An :class:`Explorer` owns one figure and one ``update(**values)`` function that changes the
figure's artists *in place* (``set_data``, ``set_ydata``, ...; never a new figure). On every
control change it calls ``update`` and re-renders the figure to PNG into an ``ipywidgets.Image``.
It works with the plain inline backend (no ipympl), and because the picture lives in widget
state it is embedded in the static book too.

An explorer is the widget only. ``static`` names the values of (usually two) controls for which
the static book precomputes frames; :mod:`theorybench.static_view` renders that kernel-free view.
The figure is first drawn when the explorer is displayed (or :meth:`Explorer.drawn_figure` is
called), so constructing an explorer never runs a training.

Callback cost is measured, not guessed: :meth:`Explorer.time_callbacks` moves each control
through its range and returns the median time of ``update`` alone (target <= 30 ms) and of the
whole redraw including matplotlib's render (target <= 100 ms).
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import ipywidgets as W
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

SLIDER_STYLE = {"description_width": "7em"}
SLIDER_WIDTH = "24em"  # a Layout per control: a shared one made at import has no model in a book


def slider(
    symbol: str,
    lo: float,
    hi: float,
    value: float,
    *,
    step: float | None = None,
    log: bool = False,
    units: str = "",
    continuous: bool = False,
    readout: str = ".3g",
) -> W.FloatSlider | W.FloatLogSlider:
    """A labelled float slider; ``symbol`` is the paper's symbol (``"λ"``), ``units`` optional.

    ``continuous=False`` (the default) redraws on release only, for redraws that cost more than
    a frame. ``log=True`` gives a logarithmic slider over [lo, hi] (both > 0).
    """
    if not lo < hi:
        raise ValueError(f"need lo < hi, got lo={lo}, hi={hi}")
    if not lo <= value <= hi:
        raise ValueError(f"value must lie in [{lo}, {hi}], got {value}")
    label = f"{symbol} [{units}]" if units else symbol
    common = {
        "value": value,
        "description": label,
        "continuous_update": continuous,
        "readout_format": readout,
        "style": SLIDER_STYLE,
        "layout": W.Layout(width=SLIDER_WIDTH),
    }
    if log:
        if lo <= 0:
            raise ValueError(f"a log slider needs lo > 0, got lo={lo}")
        n = 48 if step is None else max(2, int(round(np.log10(hi / lo) / step)))
        return W.FloatLogSlider(
            base=10, min=np.log10(lo), max=np.log10(hi), step=np.log10(hi / lo) / n, **common
        )
    step = (hi - lo) / 48 if step is None else step
    return W.FloatSlider(min=lo, max=hi, step=step, **common)


def choice(label: str, options: Sequence[str] | dict[str, Any], value: Any) -> W.Dropdown:
    """A labelled drop-down (e.g. the choice of K in Lion-K); a dict maps labels to values."""
    if isinstance(options, dict):
        options = list(options.items())
    return W.Dropdown(
        options=options,
        value=value,
        description=label,
        style=SLIDER_STYLE,
        layout=W.Layout(width=SLIDER_WIDTH),
    )


def render_png(fig: Figure, *, palette: bool = False) -> bytes:
    """Draw ``fig`` with Agg and encode it as PNG (fast zlib level: the bytes go to a browser).

    ``palette=True`` quantises to 256 colours (about 3x smaller; for precomputed frames)."""
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba())
    if palette:
        image = image.convert("RGB").quantize(256, method=Image.Quantize.FASTOCTREE)
    buf = io.BytesIO()
    image.save(buf, format="png", compress_level=1 if not palette else 6)
    return buf.getvalue()


@dataclass(frozen=True)
class CallbackTiming:
    """Median seconds of the explorer's ``update`` alone and of update + render, over n moves."""

    update_s: float
    redraw_s: float
    n: int


class Explorer:
    """Controls over a closed form, redrawing one figure in place.

    ``update(**values)`` receives the current value of every control (keyed as in ``controls``)
    and must only update existing artists of ``fig``.
    """

    def __init__(
        self,
        fig: Figure,
        update: Callable[..., None],
        controls: dict[str, W.ValueWidget],
        *,
        columns: int = 2,
        static: dict[str, Sequence[Any]] | None = None,
        caption: str = "",
    ) -> None:
        if not controls:
            raise ValueError("controls must name at least one widget")
        self.fig, self.update, self.controls = fig, update, controls
        self.static, self.caption = static or {}, caption
        for name in self.static:
            if name not in controls:
                raise ValueError(f"static names {name!r}, which is not a control")
        self.image = W.Image(format="png", layout=W.Layout(max_width="100%"))
        self._paused = False
        for widget in controls.values():
            widget.observe(self._on_change, names="value")
        boxes = [W.VBox(list(controls.values())[i::columns]) for i in range(columns)]
        self.widget = W.VBox([W.HBox(boxes), self.image])
        if not isinstance(fig.canvas, FigureCanvasAgg):
            FigureCanvasAgg(fig)
        self._drawn = False  # the first draw waits for a display: constructing trains nothing

    def drawn_figure(self) -> Figure:
        """The figure at the current values, drawn once (the first call runs ``update``)."""
        if not self._drawn:
            self._drawn = True
            self.update(**self.values())
            self.fig.canvas.draw()  # lay out once (constrained layout ~35 ms a draw), freeze
            self.fig.set_layout_engine("none")
            self.image.value = render_png(self.fig)
        return self.fig

    def values(self) -> dict[str, Any]:
        """The current value of every control."""
        return {name: w.value for name, w in self.controls.items()}

    def _on_change(self, _change: dict) -> None:
        if not self._paused:
            self.redraw()

    def redraw(self) -> tuple[float, float]:
        """Call ``update`` and render; returns (seconds in update, seconds in total)."""
        start = time.perf_counter()
        if not self._drawn:  # the first draw already updates and renders: do it once
            self.drawn_figure()
            total = time.perf_counter() - start
            return total, total
        self.update(**self.values())
        mid = time.perf_counter()
        self.image.value = render_png(self.fig)
        end = time.perf_counter()
        return mid - start, end - start

    def time_callbacks(self, moves: int = 5) -> CallbackTiming:
        """Move each numeric control to ``moves`` values across its range (and each drop-down
        through its options), timing every redraw; restores the initial values after."""
        initial = self.values()
        updates, totals = [], []
        self._paused = True  # set values silently, then time one redraw per value
        try:
            for widget in self.controls.values():
                for value in _sweep(widget, moves):
                    widget.value = value
                    u, t = self.redraw()
                    updates.append(u)
                    totals.append(t)
            for name, value in initial.items():
                self.controls[name].value = value
        finally:
            self._paused = False
        self.redraw()
        return CallbackTiming(float(np.median(updates)), float(np.median(totals)), len(updates))

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        self.drawn_figure()
        return self.widget._repr_mimebundle_(**kwargs)


def _sweep(widget: W.ValueWidget, moves: int) -> list[Any]:
    """Values spanning a control's range: options of a drop-down, ``moves`` points of a slider."""
    if isinstance(widget, W.Dropdown):
        return [v for _, v in options_of(widget)]
    points = np.linspace(widget.min, widget.max, moves)
    return list(widget.base**points) if isinstance(widget, W.FloatLogSlider) else list(points)


def options_of(widget: W.Dropdown) -> list[tuple[str, Any]]:
    """A drop-down's options as (label, value) pairs."""
    return [o if isinstance(o, tuple) else (str(o), o) for o in widget.options]
