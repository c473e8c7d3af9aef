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

dH/dt = -Delta(x, m) <= 0 (see :func:`~theorybench.lion.model.lyapunov_dissipation`), and the dynamics settle at
stationary points of ``F(x) = alpha f(x) + (gamma/lam) K*(lam x)`` (:func:`~theorybench.lion.model.constrained_objective`):
for sign Lion, ``min f(x) s.t. ||x||_inf <= 1/lam``.


Layout: ``experiment``, ``interactive``, ``figures``, ``model``, ``optimizer``. Closed forms (``model``) import only numpy/scipy; the other modules load on first use of one of their names."""

from .._lazy import lazy_exports
from . import model, scales
from .model import *  # noqa: F403
from .scales import *  # noqa: F403

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    [*model.__all__, *scales.__all__],
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
        "digits": ["DigitsRun", "DIGITS_TRAIN", "load_digits_split", "train_digits"],
        "figures": [
            "plot_sweep",
            "plot_digits_box",
            "plot_digits_accuracy",
            "digits_rows",
            "plot_discrete_time",
        ],
        "optimizer": ["LionK"],
    },
)
