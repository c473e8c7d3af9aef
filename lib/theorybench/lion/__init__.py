r"""Lion-K as constrained optimisation, with its Lyapunov function.

Chen, Liu, Liang & Liu, "Lion Secretly Solves Constrained Optimization: As Lyapunov Predicts"
(ICLR 2024, arXiv:2310.05898) -- cited below as [CLLL]; Lion itself: Chen et al., "Symbolic
Discovery of Optimization Algorithms" (arXiv:2302.06675). Theory page: ``theory/lion.md``
(cited as §N below; the page names the test that checks each step).

Lion-K, discrete time ([CLLL]'s Lion-K update; §1. K convex, :math:`\nabla K` a subgradient)::

    m~_{t+1} = beta1 m_t - (1 - beta1) grad f(x_t)
    m_{t+1}  = beta2 m_t - (1 - beta2) grad f(x_t)
    x_{t+1}  = x_t + lr (grad K(m~_{t+1}) - lam x_t)

K = ||.||_1 gives grad K = sign: ordinary Lion with decoupled weight decay lam.

Continuous time ([CLLL]'s ODE; §2. alpha, gamma > 0, eps >= 0)::

    dx/dt = grad K(m~) - lam x,   dm/dt = -alpha grad f(x) - gamma m,
    m~ = m - eps (alpha grad f(x) + gamma m)

Lyapunov function ([CLLL]'s main theorem; §3-4)::

    H(x, m) = alpha f(x) + (gamma/lam) K*(lam x)
              + (1 - eps gamma)/(1 + eps lam) * (K*(lam x) + K(m) - lam m.x)

dH/dt = -Delta(x, m) <= 0 (see :func:`~theorybench.lion.ode.lyapunov_dissipation`), and the
dynamics settle at stationary points of ``F(x) = alpha f(x) + (gamma/lam) K*(lam x)``
(:func:`~theorybench.lion.constrained.constrained_objective`): for sign Lion,
``min f(x) s.t. ||x||_inf <= 1/lam``; for Muon (K the nuclear norm), ``min f(X) s.t.
||X||_op <= 1/lam``.

Layout, closed forms (numpy/scipy only, imported with the package): ``kappa`` (K, grad K, K*),
``discrete`` (the update, written once, and the runs), ``ode`` (the ODE, H and its discrete
change), ``constrained`` (the problem solved and an independent solver). Loaded on first use of
one of their names: ``optimizer`` (torch), ``experiment`` (logistic regression), ``digits``
(the digits network), ``figures``, ``interactive``."""

from .._lazy import lazy_exports
from . import constrained, discrete, kappa, ode, scales
from .constrained import *  # noqa: F403
from .discrete import *  # noqa: F403
from .kappa import *  # noqa: F403
from .ode import *  # noqa: F403
from .scales import *  # noqa: F403

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    [*kappa.__all__, *discrete.__all__, *ode.__all__, *constrained.__all__, *scales.__all__],
    {
        "experiment": [
            "LogRegSweep",
            "LOGISTIC_TRAIN",
            "make_logistic_data",
            "logistic_loss_np",
            "logistic_regression_lam_sweep",
        ],
        "interactive": [
            "EXPLORER_A",
            "EXPLORER_C",
            "EXPLORER_X0",
            "EXPLORER_STEPS",
            "explorer_problem",
            "explorer_frame",
            "explorer",
        ],
        "digits": [
            "DigitsRun",
            "OptimizerRuns",
            "PhaseStats",
            "DIGITS_TRAIN",
            "load_digits_split",
            "train_digits",
            "phase_stats",
        ],
        "figures": [
            "plot_sweep",
            "plot_digits_box",
            "plot_digits_accuracy",
            "plot_digits_spectral",
            "digits_rows",
            "digits_comparison_rows",
            "plot_discrete_time",
            "plot_muon_limit",
            "plot_statement",
            "plot_discrete_bound",
        ],
        "optimizer": ["LionK", "Muon"],
    },
)
