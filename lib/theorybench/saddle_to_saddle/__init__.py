r"""Saddle-to-saddle dynamics of linear networks from small initialisation.

Sources: Saxe, McClelland & Ganguli 2014, "Exact solutions to the nonlinear dynamics of learning
in deep linear neural networks" (arXiv 1312.6120) [SMG14]; Jacot et al. 2021, "Saddle-to-saddle
dynamics in deep linear networks" (arXiv 2106.15933); Zhang, Saxe & Latham 2026, "Saddle-to-Saddle
Dynamics Explains A Simplicity Bias Across Neural Network Architectures" (arXiv 2512.20607).
Theory pages (cited as §N): ``theory/saddle_to_saddle.md`` (§1-5) and, under
``theory/saddle_to_saddle/``, ``attention.md`` (§6), ``convolution_quadratic.md`` (§7-8) and
``relu.md`` (§9-10).

Setting (§1): whitened inputs (E x x' = I), teacher map M = U diag(s) V' with s_1 > s_2 > ...,
population loss L = 1/2 ||M - W_L ... W_1||_F^2, gradient flow tau dW/dt = -grad L (tau = 1/lr in
units of GD steps). From the small, balanced, aligned initialisation W_1 = sigma Q_1 V',
W_l = sigma Q_l Q_{l-1}' and W_L = sigma U Q_{L-1}' (Q_l orthogonal), the modes decouple: the
strength u_k = u_k' W v_k of mode k evolves alone (§2).

Nonlinear architecture (§6): multi-head linear attention on in-context linear regression, with
rank-one keys and queries [Zhang, Singh, Latham & Saxe 2025, arXiv 2501.16265]. Each head is a
three-factor product, so from a balanced aligned start head i obeys the depth-3 mode equation and
the heads are learned one per plateau, each plateau lasting ~ 1/sigma.


Linear convolutional networks (§7): circular convolutions are diagonal in the Fourier basis, so
each frequency is a two-layer scalar network and the teacher's spectrum sets the order.
The quadratic network (§8): on an isotropic teacher the initialisation sets which unit escapes
when and which direction it learns.
ReLU networks on one-dimensional data (§9): from the origin the network escapes along the
maximiser of abs(G), the unit correlation with the residual, and settles at the width-1 fixed
point downhill from it (kink inside or outside the data), for teachers drawn from a family. ReLU
convolutional networks (§10): the same on the signals' patches, one kernel per plateau.

Layout: one sub-package per architecture family, mirroring the chapter's parts, each with its
``closed_forms`` (numpy/scipy) and ``sizes`` (imported with the package), and, loaded on first
use of one of their names, its torch ``training`` (frozen dataclasses of the runs' data), its
``analysis`` (plain functions comparing a run with the theory; the linear family's live beside
its experiment) and its ``figures``:

- ``linear`` (Type I, fully connected; §1-5, also ``embedding``: the plateaus' saddles),
- ``convolution`` (Type I, linear convolutional; §7),
- ``attention`` (Type III, linear self-attention; §6),
- ``quadratic`` (Type III; §8),
- ``relu`` (Type II, ReLU fully connected and convolutional; §9-10, also ``family``: teachers
  drawn from the stated family, and ``analysis``: what a run of one teacher is compared with).

Shared by the families: ``plateaus`` (the plateau detector), ``scales`` (the ci and full sizes),
``interactive`` (the explorer) and the private ``_shared`` (input checks, the GD loop)."""

from .._lazy import lazy_exports
from . import plateaus, scales
from .attention import closed_forms as _attention
from .attention import sizes as _attention_sizes
from .attention.closed_forms import *  # noqa: F403
from .attention.sizes import *  # noqa: F403
from .convolution import closed_forms as _convolution
from .convolution import sizes as _convolution_sizes
from .convolution.closed_forms import *  # noqa: F403
from .convolution.sizes import *  # noqa: F403
from .linear import closed_forms as _linear
from .linear import sizes as _linear_sizes
from .linear.closed_forms import *  # noqa: F403
from .linear.sizes import *  # noqa: F403
from .plateaus import *  # noqa: F403
from .quadratic import closed_forms as _quadratic
from .quadratic import sizes as _quadratic_sizes
from .quadratic.closed_forms import *  # noqa: F403
from .quadratic.sizes import *  # noqa: F403
from .relu import closed_forms as _relu
from .relu import sizes as _relu_sizes
from .relu.closed_forms import *  # noqa: F403
from .relu.sizes import *  # noqa: F403
from .scales import *  # noqa: F403

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    [
        *_linear.__all__,
        *scales.__all__,
        *_linear_sizes.__all__,
        *_attention_sizes.__all__,
        *_convolution_sizes.__all__,
        *_quadratic_sizes.__all__,
        *_relu_sizes.__all__,
        *_attention.__all__,
        *_convolution.__all__,
        *plateaus.__all__,
        *_quadratic.__all__,
        *_relu.__all__,
    ],
    {
        "linear.training": [
            "LinearRun",
            "LINEAR_TRAIN",
            "train_linear_network",
            "WidthSweep",
            "WIDTH_TRAIN",
            "width_sweep",
            "width_median",
        ],
        "linear.embedding": ["SaddleCheck", "EMBEDDING_TRAIN", "embedded_saddles"],
        "linear.figures": [
            "experiment_rows",
            "plot_experiment",
            "plot_saddles",
            "saddle_rows",
            "plot_width",
            "width_rows",
            "loss_staircase",
            "saddle_sketch",
            "width_times",
            "depth_times",
        ],
        "convolution.training": ["ConvRun", "CONV_TRAIN", "train_conv_network"],
        "convolution.analysis": [
            "conv_predicted_times",
            "conv_measured_times",
            "conv_levels",
            "conv_predicted_levels",
            "conv_plateau_fixed_points",
        ],
        "convolution.figures": ["plot_conv", "conv_rows", "conv_staircase"],
        "attention.training": [
            "AttentionRun",
            "ATTENTION_TRAIN",
            "train_attention",
            "HeadSpecialisation",
            "SPECIALISATION_TRAIN",
            "head_specialisation",
        ],
        "attention.figures": [
            "attention_rows",
            "plot_attention",
            "plot_specialisation",
            "specialisation_rows",
            "attention_staircase",
            "attention_init_induced",
        ],
        "quadratic.training": ["QuadraticRun", "QUADRATIC_TRAIN", "train_quadratic_network"],
        "quadratic.analysis": [
            "quadratic_predicted",
            "quadratic_measured_times",
            "quadratic_plateau_fixed_points",
        ],
        "quadratic.figures": ["plot_quadratic", "quadratic_rows", "quadratic_escapes"],
        "relu.training": [
            "UnitRun",
            "ReluRun",
            "RELU_TRAIN",
            "train_relu_network",
            "ConvReluRun",
            "CONV_RELU_TRAIN",
            "train_conv_relu_network",
            "train_conv_relu_masters",
        ],
        "relu.analysis": [
            "EXACT_FIT",
            "unit_run_plateaus",
            "unit_run_escaped",
            "unit_run_predicted_levels",
            "unit_run_first_escape",
            "unit_run_fixed_point",
            "unit_run_single_unit",
            "unit_run_second_escape",
            "unit_plateau_span",
            "unit_plateau_record",
            "unit_plateau_level",
            "end_distance",
            "plateau_distance",
            "escape_growth",
            "escape_alignment",
            "hessian_min_eigenvalue",
            "first_transition_slope",
            "relu_kinks_at",
            "relu_fixed_point_functions",
            "relu_plateau_fixed_points",
            "conv_relu_kernel_strengths",
            "conv_relu_kernel_alignment",
        ],
        "relu.family": [
            "RAMP_FAMILY",
            "SLOW_RAMP_TEACHER",
            "CREEP_RAMP_TEACHER",
            "draw_ramp_teachers",
            "ReluFamilyRun",
            "train_relu_teachers",
            "family_functions",
            "family_first_fixed_points",
            "first_plateau_visits",
            "fixed_point_gaps",
            "first_transition_times",
            "plateau_small_units",
            "FamilyVisits",
            "family_visits",
        ],
        "relu.figures": [
            "plot_relu",
            "relu_rows",
            "plot_conv_relu",
            "conv_relu_rows",
            "plot_relu_family",
            "relu_family_rows",
            "relu_profile",
            "relu_curvature",
            "conv_relu_patches",
        ],
        "interactive": ["explorer"],
    },
)
