r"""Chinchilla scaling-law fits: the Approach-2 bias and Variable Projection (Approach 3).

Sources: Hoffmann et al. 2022, "Training Compute-Optimal Large Language Models" (arXiv 2203.15556)
[H22]; Besiroglu et al. 2024, "Chinchilla Scaling: A replication attempt" (arXiv 2404.10102)
[E24]; Czech 2026, "Problems with Chinchilla Approach 2: Systematic Biases in IsoFLOP Parabola
Fits" [C26]. Theory page: ``theory/chinchilla.md`` (cited as §N).

The loss surface L(N, D) = E + A / N^alpha + B / D^beta, compute C = 6 N D. Compute-optimal
allocation (§2): N* = G (C/6)^a, D* = (C/6)^b / G with a = beta/(alpha+beta),
b = alpha/(alpha+beta), G = (alpha A / (beta B))^{1/(alpha+beta)}.


Layout: ``data``, ``experiment``, ``interactive``, ``figures``, ``fits``, ``model``. Closed forms (``model``, ``fits``, ``data``) import only numpy/scipy; the other modules load on first use of one of their names."""

from .._lazy import lazy_exports
from . import data, fits, model, scales
from .data import *  # noqa: F403
from .fits import *  # noqa: F403
from .model import *  # noqa: F403
from .scales import *  # noqa: F403

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    [*model.__all__, *scales.__all__, *fits.__all__, *data.__all__],
    {
        "experiment": [
            "SweepResult",
            "mlp_params",
            "DEFAULT_TRAIN",
            "torch_isoflop_sweep",
            "SweepFits",
            "fit_sweep",
        ],
        "interactive": ["EXPLORER_BUDGETS", "EXPLORER_POINTS", "explorer"],
        "figures": ["fit_rows", "plot_sweep", "bias_figure", "profile_figure"],
    },
)
