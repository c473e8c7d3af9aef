r"""The extrapolation cliff of on-policy distillation (OPD) in a single-position model.

Source: Li, Jiang, Wang, Zhang & Yuen 2026, "The Extrapolation Cliff in On-Policy Distillation of
Near-Deterministic Structured Outputs" (arXiv 2605.08737). Its full derivation is not available
offline; everything here is derived on the theory page ``theory/extrapolation_cliff.md`` (cited
as §N) in the paper's single-position Bernoulli reduction and judged by simulation.

Model (§1). One structural position with a modal (format-valid) token and a tail. Teacher
modal mass p, warm-start (base) modal mass b, importance-sampling clip strength c > 1. OPD with
extrapolation coefficient lambda rewards a sampled token y with

    r_lambda(y) = lambda log pi_T(y) + (1 - lambda) log pi_b(y) - log pi_theta(y),

whose expected value is -KL(pi_theta || pi_lambda) + log Z_lambda with the extrapolated target
pi_lambda ∝ pi_b^{1-lambda} pi_T^lambda: logit q_lambda = (1-lambda) logit b + lambda logit p.
A token is clip-safe while its base-relative ratio pi_theta(y)/pi_b(y) lies in [1/c, c]; a
token outside gets no gradient (it is masked).


Second model (§8): parse validity of L structural positions, V = prod_l pi_l(0), under
PPO-clipped extrapolated OPD (``validity_model``, ``simulate_validity``, ``validity_training``).

Layout: ``families`` (the torch claims' random instances), ``experiment``, ``interactive``, ``figures``, ``model``, ``simulator``, ``validity_model``,
``validity_training``. Closed forms (``model``, ``simulator``, ``validity_model``) and ``families`` import only numpy/scipy; the other modules load on first use of one of their names."""

from .._lazy import lazy_exports
from . import families, model, scales, simulator, validity_model
from .families import *  # noqa: F403
from .model import *  # noqa: F403
from .scales import *  # noqa: F403
from .simulator import *  # noqa: F403
from .validity_model import *  # noqa: F403

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    [
        *families.__all__,
        *model.__all__,
        *scales.__all__,
        *simulator.__all__,
        *validity_model.__all__,
    ],
    {
        "experiment": [
            "PolicySweep",
            "DEFAULT_TRAIN",
            "train_categorical_policy",
            "train_categorical_family",
        ],
        "validity_training": [
            "ValidityTraining",
            "VALIDITY_TRAIN",
            "train_structured_policy",
            "train_validity_family",
        ],
        "interactive": ["explorer"],
        "figures": [
            "plot_sweep",
            "plot_simulation",
            "sweep_rows",
            "plot_validity_model",
            "plot_validity_training",
            "validity_rows",
            "plot_lambda_star_map",
            "paper_setting_rows",
            "PAPER_PARSE_RATES",
            "plot_fall_width",
            "random_validity_instance",
            "steep_validity_instance",
            "STEEP_EXAMPLE",
            "plot_cliff_overview",
            "plot_base_clip_window",
            "plot_cliff_family",
            "cliff_family_rows",
            "plot_validity_family",
            "validity_family_rows",
        ],
    },
)
