r"""Langevin dynamics with iterate averaging for single-index models and tensor PCA.

Sources: "Improved high-dimensional estimation with Langevin dynamics and stochastic weight
averaging" (arXiv 2603.06028, ICLR 2026) [LSWA26]; Ben Arous, Gheissari & Jagannath 2021
(online SGD, arXiv 2003.10409) [BGJ21]; Damian, Nichani, Ge & Lee 2023 (smoothing,
arXiv 2305.10633) [DNGL23]. Theory page: ``theory/langevin_averaging.md`` (cited as §N).

Single-index model (§1): x ~ N(0, I_d), y = sigma*(<w*, x>) with ||w*|| = 1. The information
exponent k* of sigma* is the index of its first non-zero Hermite coefficient (probabilists'
Hermite polynomials He_k). The experiments use the normalised link He_k(z)/sqrt(k!) and the
correlation objective Phi(w) = (1/n) sum_i y_i He_k(<w, x_i>)/sqrt(k!) on the sphere, whose
population value is <w, w*>^k.


Layout: ``experiment``, ``paper_figure``, ``interactive``, ``figures``, ``model``, ``scales``. Closed forms (``model``) import only numpy/scipy; the other modules load on first use of one of their names."""

from .._lazy import lazy_exports
from . import model, scales
from .model import *  # noqa: F403
from .scales import *  # noqa: F403

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    [*model.__all__, *scales.__all__],
    {
        "experiment": [
            "SingleIndexStream",
            "single_index_data",
            "SGD_TRAIN",
            "online_sgd",
            "LangevinRun",
            "LANGEVIN_TRAIN",
            "langevin",
            "partial_trace_estimator",
            "second_moment_estimator",
            "high_temperature_estimate",
            "estimator_overlaps",
            "ThresholdSweep",
            "estimator_sweep",
            "sgd_sweep",
            "sgd_sweeps",
            "warm_start_pipeline",
            "pipeline_sweep",
            "hot_limit_overlap",
            "ChainThresholds",
            "CHAIN_THRESHOLD_TRAIN",
            "chain_thresholds",
            "EqualCompute",
            "equal_compute",
            "batch_speedup",
        ],
        "paper_figure": ["PaperFigure", "reproduce_paper_figure"],
        "interactive": ["EXPLORER_MAX_N", "EXPLORER_TRAIN", "EXPLORER_SGD_FACTORS", "explorer"],
        "figures": [
            "plot_paper_figure",
            "paper_figure_rows",
            "paper_figure_ci",
            "population_signal_figure",
            "partial_trace_figure",
            "plot_thresholds",
            "plot_pipeline",
            "exponent_rows",
        ],
    },
)
