"""The kernel-free view of an explorer, for the static book.

The static book has no kernel, so each explorer is also shown as precomputed frames: the library
renders the figure for every combination of the explorer's ``static`` values (nothing is
re-implemented in JavaScript) and :func:`static_html` wraps them in range inputs / selects that
swap frames (``book/static/tb-explorer.js``, no computation).

The contract between this module and the script is :data:`SCHEMA`, written once here and checked
from both sides: ``tests/test_static_view.py`` reads the HTML this module writes, and the browser
test reads, after a drag, the frame index the script chose and compares it with
:func:`frame_index` of the input positions.

The book's kernel loads this module as an IPython extension (``book/ipython``, see the Makefile),
which makes an :class:`~theorybench.widgets.Explorer` display with both views; JupyterLab shows
the widget, the book prefers the HTML. :class:`~theorybench.widgets.Explorer` itself never looks
at the environment.
"""

from __future__ import annotations

import base64
import html
import itertools
import json
from collections.abc import Sequence
from typing import Any

import ipywidgets as W
import numpy as np

from .widgets import Explorer, options_of, render_png

__all__ = [
    "SCHEMA",
    "STATIC_DPI",
    "frame_index",
    "static_frames",
    "static_html",
    "check_static_values",
    "load_ipython_extension",
]

STATIC_DPI = 80

#: The DOM/JSON contract of a static explorer (version, CSS classes, attributes, payload keys).
#: ``frames[frame_index(positions, sizes)]`` is the frame for the controls at ``positions``
#: (index of each control's value in its static grid), row-major: the last control varies
#: fastest. ``tb-explorer.js`` must agree: ``index = index * sizes[i] + position_i``.
SCHEMA: dict[str, Any] = {
    "version": 1,
    "root_class": "tb-static-explorer",
    "controls_class": "tb-controls",
    "frame_class": "tb-frame",
    "payload_class": "tb-frames",
    "note_class": "tb-note",
    "control_attribute": "data-control",
    "readouts_attribute": "data-readouts",
    "payload_keys": ["version", "sizes", "frames"],
    "order": "row-major, last control fastest",
}


def frame_index(positions: Sequence[int], sizes: Sequence[int]) -> int:
    """Index of the frame for control positions ``positions`` over grids of ``sizes``.

    ``index = ((p_0 * s_1 + p_1) * s_2 + p_2) ...`` (row-major, last control fastest).

    Parameters
    ----------
    positions
        Position of each control in its static grid, ``0 <= p_i < s_i``.
    sizes
        Length of each control's static grid.

    Returns
    -------
    int
        Index into the payload's ``frames``.
    """
    if len(positions) != len(sizes):
        raise ValueError(f"positions and sizes must have the same length, got {positions}, {sizes}")
    for p, s in zip(positions, sizes, strict=True):
        if not 0 <= int(p) < int(s):
            raise ValueError(f"positions must satisfy 0 <= p < size, got {p} for size {s}")
    return int(np.ravel_multi_index([int(p) for p in positions], [int(s) for s in sizes]))


def check_static_values(explorer: Explorer) -> None:
    """ValueError if a static value lies outside its control's range (or is not an option)."""
    for name, grid in explorer.static.items():
        widget = explorer.controls[name]
        if not grid:
            raise ValueError(f"static values of {name!r} must not be empty")
        if isinstance(widget, W.Dropdown):
            allowed = [v for _, v in options_of(widget)]
            bad = [v for v in grid if v not in allowed]
        else:
            lo, hi = widget.min, widget.max
            if isinstance(widget, W.FloatLogSlider):
                lo, hi = widget.base**lo, widget.base**hi
            tol = 1e-9 * max(1.0, abs(lo), abs(hi))
            bad = [v for v in grid if not lo - tol <= float(v) <= hi + tol]
        if bad:
            raise ValueError(f"static values of {name!r} outside the control's range: {bad}")


def static_frames(explorer: Explorer) -> tuple[list[str], list[list[Any]], list[bytes]]:
    """Render the figure for every combination of the explorer's ``static`` values (in
    :func:`frame_index` order); other controls keep their values. Restores the figure.

    Returns
    -------
    tuple
        ``(names, grids, frames)``: the static controls, their value grids, PNG bytes per frame.
    """
    check_static_values(explorer)
    fig = explorer.drawn_figure()
    names = list(explorer.static)
    grids = [list(explorer.static[n]) for n in names]
    base = explorer.values()
    frames = []
    original_dpi = fig.dpi
    fig.set_dpi(STATIC_DPI)
    try:
        for combo in itertools.product(*grids):
            explorer.update(**(base | dict(zip(names, combo, strict=True))))
            frames.append(render_png(fig, palette=True))
    finally:
        fig.set_dpi(original_dpi)
        explorer.update(**base)
    return names, grids, frames


def _nearest(grid: Sequence[Any], value: Any) -> int:
    """Index of ``value`` in ``grid`` (exact for choices, nearest for numbers)."""
    if value in grid:
        return list(grid).index(value)
    return int(np.argmin([abs(float(g) - float(value)) for g in grid]))


def _input(name: str, widget: W.ValueWidget, grid: list[Any], start: int) -> str:
    attr = SCHEMA["control_attribute"]
    label = html.escape(widget.description)
    if isinstance(widget, W.Dropdown):
        labels = {v: lab for lab, v in options_of(widget)}
        opts = "".join(
            f'<option value="{i}"{" selected" if i == start else ""}>'
            f"{html.escape(str(labels.get(v, v)))}</option>"
            for i, v in enumerate(grid)
        )
        return f'<label>{label} <select {attr}="{name}">{opts}</select></label>'
    fmt = "{:" + widget.readout_format + "}"
    readouts = html.escape(json.dumps([fmt.format(v) for v in grid]), quote=True)
    return (
        f'<label>{label} <input type="range" min="0" max="{len(grid) - 1}" step="1" '
        f'value="{start}" {attr}="{name}" {SCHEMA["readouts_attribute"]}="{readouts}"> '
        f"<output>{fmt.format(grid[start])}</output></label>"
    )


def static_html(explorer: Explorer) -> str:
    """The kernel-free view of ``explorer``: its static controls over precomputed frames.

    Parameters
    ----------
    explorer
        An explorer with at least one ``static`` control.

    Returns
    -------
    str
        HTML following :data:`SCHEMA`.
    """
    if not explorer.static:
        raise ValueError("explorer.static must name at least one control for a static view")
    names, grids, frames = static_frames(explorer)
    base = explorer.values()
    starts = [_nearest(grid, base[name]) for name, grid in zip(names, grids, strict=True)]
    sizes = [len(g) for g in grids]
    encoded = [base64.b64encode(f).decode() for f in frames]
    inputs = [
        _input(name, explorer.controls[name], grid, start)
        for name, grid, start in zip(names, grids, starts, strict=True)
    ]
    payload = json.dumps({"version": SCHEMA["version"], "sizes": sizes, "frames": encoded})
    others = [w.description for n, w in explorer.controls.items() if n not in explorer.static]
    live = ", ".join(explorer.controls[n].description for n in names)
    note = (
        f"In this static page {live} are live ({len(frames)} figures computed by the library at build time)"
        + (f"; {', '.join(others)} are live in JupyterLab (make lab)." if others else ".")
    )
    alt = html.escape(explorer.caption or "Interactive figure")
    return (
        f'<div class="{SCHEMA["root_class"]}">'
        f'<div class="{SCHEMA["controls_class"]}">{"".join(inputs)}</div>'
        f'<img class="{SCHEMA["frame_class"]}" alt="{alt}" '
        f'src="data:image/png;base64,{encoded[frame_index(starts, sizes)]}">'
        f'<p class="{SCHEMA["note_class"]}">{html.escape(note)}</p>'
        f'<script type="application/json" class="{SCHEMA["payload_class"]}">{payload}</script></div>'
    )


def _bundle(explorer: Explorer) -> tuple[dict, dict]:
    """The explorer's widget bundle plus its static HTML view (when it has static controls)."""
    bundle = explorer._repr_mimebundle_()
    data, meta = bundle if isinstance(bundle, tuple) else (bundle, {})
    if explorer.static:
        data = dict(data) | {"text/html": static_html(explorer)}
    return data, meta


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext theorybench.static_view``: explorers display with their static view too.

    The book's kernel loads it through ``book/ipython`` (``IPYTHONDIR``, set by the Makefile).
    """
    # by name: loading the extension imports no widget module, so every widget model is created
    # inside a cell, where the executing client records it into the notebook's widget state
    ipython.display_formatter.mimebundle_formatter.for_type_by_name(
        "theorybench.widgets", "Explorer", _bundle
    )
