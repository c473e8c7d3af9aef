"""One plotting style for the whole book.

Every chapter draws with :func:`figure` (which applies :data:`STYLE`) and picks colours from
:data:`COLORS`, so that "theory" and "experiment" look the same on every page: closed forms are
drawn as lines in ``COLORS["theory"]``, measurements as markers in ``COLORS["experiment"]``,
constraint sets and thresholds in ``COLORS["constraint"]``.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.figure import Figure

#: Okabe-Ito colours (readable with colour-vision deficiencies), by role.
COLORS = {
    "theory": "#0072B2",  # closed forms
    "experiment": "#D55E00",  # measured / simulated
    "constraint": "#009E73",  # boxes, balls, thresholds
    "reference": "#555555",  # independent solver, published numbers
    "accent": "#CC79A7",
    "muted": "#999999",
}
#: a sequence for families of curves (several lam, several d, ...)
CYCLE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]

#: matplotlib rcParams of the book (applied by :func:`figure`).
STYLE = {
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.figsize": (8.0, 3.4),
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "legend.fontsize": 8.5,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.25,
    "lines.linewidth": 1.6,
    "axes.prop_cycle": mpl.cycler(color=CYCLE),
    "image.cmap": "viridis",
    "svg.hashsalt": "theorybench",  # deterministic SVG ids
}


def apply_style() -> None:
    """Apply :data:`STYLE` globally (notebooks call it once via ``figure``)."""
    mpl.rcParams.update(STYLE)


def _enable_inline_display() -> None:
    """In a Jupyter kernel, make sure a bare ``Figure`` displays as an image.

    Our figures are not made by pyplot, so nothing else loads the inline backend that registers
    IPython's formatter for ``Figure``; without it a cell shows ``<Figure size ...>``.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with ipywidgets
        return
    shell = get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return
    try:
        shell.display_formatter.formatters["image/png"].lookup_by_type(Figure)
    except KeyError:
        shell.run_line_magic("matplotlib", "inline")


def figure(
    ncols: int = 1,
    nrows: int = 1,
    *,
    width: float = 8.0,
    height: float | None = None,
    **subplot_kw: object,
) -> tuple[Figure, Sequence[Axes]]:
    """A new figure in the book's style, *not* registered with pyplot.

    Not registering it means Jupyter's inline backend does not print it a second time when a
    widget shows it, and it never leaks between notebook cells. Returns (fig, flat list of axes).
    Display it with ``display(fig)`` or put it in an :class:`~theorybench.widgets.Explorer`.
    """
    if ncols < 1 or nrows < 1:
        raise ValueError(f"ncols and nrows must be >= 1, got {ncols}, {nrows}")
    apply_style()
    _enable_inline_display()
    height = height if height is not None else 3.2 * nrows
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, **subplot_kw)
    return fig, list(axes.ravel())
