r"""Attention as a max-margin token selector: the Att-SVM and gradient descent on attention.

Sources: Tarzanagh, Li, Thrampoulidis & Oymak 2023, "Transformers as Support Vector Machines"
(arXiv 2308.16898) [TLTO23]; Tarzanagh, Li, Zhang & Oymak 2023, "Max-Margin Token Selection in
Attention Mechanism" (NeurIPS 2023, arXiv 2306.13596). Theory page: ``theory/svm_attention.md``
(cited as §N).

Model (§1): samples (X_i, Y_i, z_i), X_i in R^{T x d} tokens, z_i in R^d the query token, labels
Y_i = ±1 and a fixed head v. One-layer attention f(X) = v' X' softmax(X W z) with W in R^{d x d}
(or W = K Q'), logistic loss L(W) = (1/n) sum_i log(1 + exp(-Y_i f(X_i))). Token scores
gamma_it = Y_i v' x_it; opt_i = argmax_t gamma_it.


Layout: ``experiment``, ``interactive``, ``figures``, ``model``. Closed forms (``model``) import only numpy/scipy; the other modules load on first use of one of their names."""

from .._lazy import lazy_exports
from . import model, scales
from .model import *  # noqa: F403
from .scales import *  # noqa: F403

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    [*model.__all__, *scales.__all__],
    {
        "experiment": [
            "attention_output",
            "GDRun",
            "DEFAULT_TRAIN",
            "train_gd",
            "OUTCOMES",
            "DirectionStats",
            "direction_experiment",
            "OverparamResult",
            "global_fraction",
            "RankGrid",
            "svm_rank_grid",
        ],
        "interactive": ["explorer", "explorer_outcomes", "ExplorerOutcomes"],
        "figures": [
            "plot_2d_picture",
            "plot_direction_stats",
            "direction_rows",
            "plot_spectra",
            "plot_overparam",
            "overparam_rows",
            "plot_rank_grid",
            "figure_token_selection",
            "RAY_INSTANCE",
            "ray_selections",
            "figure_ray_loss",
            "SPECTRA_INSTANCE",
            "figure_svm_spectra",
        ],
    },
)
