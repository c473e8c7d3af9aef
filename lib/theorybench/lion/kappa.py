r"""The convex function K of Lion-K, its subgradient and its conjugate K* (theory/lion.md §7).

What a choice of K solves: Lion-K minimises ``f(x) + K*(lam x)/lam`` ([CLLL], §5), so the
domain of K* is the constraint set and its value on that domain the regulariser.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .. import _checks

__all__ = ["DOMAIN_TOL", "Kappa", "KAPPAS", "get_kappa"]

Array = NDArray[np.float64]
F = TypeVar("F", bound=Callable[..., Any])

#: slack when testing "lam x lies in dom K*" (iterates sit exactly on the boundary)
DOMAIN_TOL = 1e-7

_KAPPA_NAMES = ("l1", "l2", "linf", "sq", "huber", "lp", "nuclear")

#: The numpydoc entry of every ``kappa`` argument of the chapter (inserted by ``kappa_doc``).
KAPPA_PARAM = """kappa : str or Kappa
        The convex function K: ``"l1"`` (sign Lion), ``"l2"``, ``"linf"``, ``"sq"``, ``"huber"``,
        ``"lp"`` (Lion-lp; ``Kappa("lp", p=...)`` for another exponent than 1.5) or
        ``"nuclear"`` (Muon; ``Kappa("nuclear", shape=(r, c))`` for flattened r x c matrices)."""


#: numpy, for a point the caller has already checked (a finite 1-D float array): with
#: ``xp=_TRUSTED_NUMPY`` :meth:`Kappa.grad` skips its own check and computes exactly as with numpy
#: (the inner loop of :func:`~theorybench.lion.discrete.lion_run`, whose momentum is finite by
#: construction once each step's gradient is checked)
_TRUSTED_NUMPY = types.SimpleNamespace(sign=np.sign, clip=np.clip, linalg=np.linalg)


def _size(x: Any) -> int:
    """Number of entries of a numpy array or torch tensor."""
    return int(x.numel()) if hasattr(x, "numel") else int(np.size(x))


def kappa_doc(fn: F) -> F:
    """Put ``KAPPA_PARAM`` where a docstring has the line ``{kappa}``."""
    fn.__doc__ = (fn.__doc__ or "").replace("    {kappa}", "    " + KAPPA_PARAM)
    return fn


@dataclass(frozen=True)
class Kappa:
    r"""A convex K for Lion-K, with its subgradient and convex conjugate.

    ==============  ======================  ==================================  =====================
    ``name``        K(x)                    K*(y)                               Lion-K solves
    ==============  ======================  ==================================  =====================
    ``"l1"``        ||x||_1                 0 if ||y||_inf <= 1 else inf        f on ||x||_inf <= 1/lam
    ``"l2"``        ||x||_2                 0 if ||y||_2 <= 1 else inf          f on ||x||_2 <= 1/lam
    ``"linf"``      ||x||_inf               0 if ||y||_1 <= 1 else inf          f on ||x||_1 <= 1/lam
    ``"sq"``        ||x||^2 / 2             ||y||^2 / 2                         f + lam/2 ||x||^2
    ``"huber"``     sum huber_delta(x_i)    delta/2 ||y||^2 if ||y||_inf <= 1   f + delta lam/2 ||x||^2
                                                                                on ||x||_inf <= 1/lam
    ``"lp"``        ||x||_p, 1 <= p <= 2    0 if ||y||_q <= 1 else inf          f on ||x||_q <= 1/lam
    ``"nuclear"``   ||X||_* (sum of         0 if ||Y||_op <= 1 else inf         f on ||X||_op <= 1/lam
                    singular values)
    ==============  ======================  ==================================  =====================

    Lion-lp: q = p/(p-1) is the dual exponent (q = inf at p = 1: sign Lion; q = 2 at p = 2).
    Nuclear (Muon, Chen, Li & Liu 2025): grad K(X) = U V^T from the thin SVD X = U S V^T (the
    singular directions of zero singular values dropped); ``shape`` = (r, c) reads the last axis
    of a numpy point as a flattened r x c matrix. Without ``shape`` a tensor with two or more
    axes is a (batch of) matrices in its last two axes, and a vector is a column (K = ||x||_2).

    huber_delta(t) = t^2/(2 delta) for abs(t) <= delta, abs(t) - delta/2 otherwise.
    (The last column is for the discrete-time alpha = gamma, see
    :func:`~theorybench.lion.ode.ode_params`.)
    """

    name: str
    delta: float = 1.0
    p: float = 1.5
    shape: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if self.name not in _KAPPA_NAMES:
            raise ValueError(f"kappa must be one of {_KAPPA_NAMES}, got {self.name!r}")
        if not (np.isfinite(self.delta) and self.delta > 0):
            raise ValueError(f"delta must be a positive finite number, got {self.delta!r}")
        _checks.in_range(self.p, "p (the exponent of Lion-lp)", 1.0, 2.0)
        if self.shape is not None:
            if len(self.shape) != 2:
                raise ValueError(f"shape must be a pair (rows, columns), got {self.shape!r}")
            shape = tuple(_checks.integer_at_least(n, "shape", 1) for n in self.shape)
            object.__setattr__(self, "shape", shape)

    @property
    def q(self) -> float:
        """The dual exponent of ``p``: 1/p + 1/q = 1 (inf at p = 1)."""
        return np.inf if self.p == 1 else self.p / (self.p - 1)

    # -- matrices (nuclear) ------------------------------------------------------------------
    def _matrices(self, x: Any) -> Any:
        """x as a (batch of) matrices: the last axis reshaped to ``shape``, or a column."""
        if self.shape is not None:
            if x.shape[-1] != self.shape[0] * self.shape[1]:
                raise ValueError(
                    f"the points must have {self.shape[0] * self.shape[1]} entries (shape "
                    f"{self.shape}), got {x.shape[-1]}"
                )
            return x.reshape(*x.shape[:-1], *self.shape)
        return x[..., None]

    def _singular_values(self, x: ArrayLike) -> Array:
        return np.linalg.svd(self._matrices(np.asarray(x, dtype=float)), compute_uv=False)

    # -- K and its subgradient (value/conj/norm act on the last axis: rows are points) -------
    def value(self, x: ArrayLike) -> Array:
        """K(x), over the last axis (a float for a single point)."""
        x = _checks.finite_array(x, "x", min_size=0)
        a = np.abs(x)
        if self.name == "l1":
            out = a.sum(-1)
        elif self.name == "l2":
            out = np.sqrt((x * x).sum(-1))
        elif self.name == "linf":
            out = a.max(-1, initial=0.0)
        elif self.name == "sq":
            out = 0.5 * (x * x).sum(-1)
        elif self.name == "lp":
            out = (a**self.p).sum(-1) ** (1 / self.p)
        elif self.name == "nuclear":
            out = self._singular_values(x).sum(-1)
        else:  # huber
            d = self.delta
            out = np.where(a <= d, x * x / (2 * d), a - d / 2).sum(-1)
        return out

    def grad(self, x: Any, xp: Any = np) -> Any:
        """A subgradient of K at x; ``xp`` is the array namespace (``numpy`` or ``torch``).

        The same code serves the numpy reference and
        :class:`~theorybench.lion.optimizer.LionK`. ``x`` is ONE point: l2, linf and lp
        normalise over the whole array (the optimizer passes each parameter tensor whole), so a
        numpy array with two or more axes is refused for them (use one row at a time); l1, sq
        and huber act entry-wise and nuclear on matrices. l1: sign(x); l2: x/||x||_2 (0 at 0);
        linf: sign(x_i) e_i at the largest abs(x_i) (ties share the unit mass, a convex
        combination of subgradients); sq: x; huber: clip(x/delta, -1, 1); lp:
        sign(x_i) abs(x_i)^(p-1) / ||x||_p^(p-1); nuclear: U V^T over the nonzero singular values.
        """
        if xp is np:
            x = _checks.finite_array(x, "x", min_size=0)
            if x.ndim >= 2 and self.name in ("l2", "linf", "lp"):
                raise ValueError(
                    f"x must be one point (1-D) for kappa {self.name!r}, whose gradient "
                    f"normalises over the whole array; got shape {x.shape}"
                )
        if self.name == "l1":
            return xp.sign(x)
        if self.name == "l2":  # scaled by max|x_i| first: ||x||_2 of huge x would overflow
            top = abs(x).max() if _size(x) else 0.0
            if not top > 0:
                return x * 0
            y = x / top
            return y / (y * y).sum() ** 0.5
        if self.name == "linf":
            a = abs(x)
            top = a == a.max()
            return xp.sign(x) * top / top.sum()
        if self.name == "sq":
            return x * 1.0
        if self.name == "lp":  # sign(x_i) |x_i|^{p-1} / ||x||_p^{p-1} (sign at p = 1; 0 at 0)
            if self.p == 1:
                return xp.sign(x)
            top = abs(x).max() if _size(x) else 0.0
            if not top > 0:
                return x * 0
            a = abs(x) / top  # scaled first (no overflow or underflow of |x|^p)
            norm = (a**self.p).sum() ** (1 / self.p)
            return xp.sign(x) * a ** (self.p - 1) / norm ** (self.p - 1)
        if self.name == "nuclear":
            mats = x if (self.shape is None and x.ndim >= 2) else self._matrices(x)
            if mats.shape[-1] == 1:  # columns: U V^T = x / ||x||_2 (0 at 0), no SVD needed
                norm = (mats * mats).sum(-2, keepdims=True) ** 0.5
                return (mats / (norm + (norm == 0))).reshape(x.shape)
            u, s, vh = xp.linalg.svd(mats, full_matrices=False)
            # any cut gives a subgradient (U V^T plus a partial isometry on the null spaces is
            # one); dropping the zero singular values makes grad K(0) = 0, as for l2
            u = u * (s > 1e-10 * s[..., :1])[..., None, :]
            return (u @ vh).reshape(x.shape)
        return xp.clip(x / self.delta, -1.0, 1.0)  # huber

    # -- the conjugate and the constraint it encodes ------------------------------------------
    def constraint_norm(self, x: ArrayLike) -> Array:
        """The norm whose ball {||x|| <= 1/lam} is the constraint set (last axis; sq: 0)."""
        a = np.abs(_checks.finite_array(x, "x", min_size=0))
        if self.name in ("l1", "huber"):
            return a.max(-1, initial=0.0)
        if self.name == "l2":
            return np.sqrt((a * a).sum(-1))
        if self.name == "linf":
            return a.sum(-1)
        if self.name == "lp":
            q = self.q
            return a.max(-1, initial=0.0) if np.isinf(q) else (a**q).sum(-1) ** (1 / q)
        if self.name == "nuclear":  # the spectral norm, the dual of the nuclear norm
            return self._singular_values(x).max(-1)
        return np.zeros(a.shape[:-1])  # sq: no constraint

    @property
    def constrains(self) -> bool:
        """Whether K* has a bounded domain, i.e. Lion-K solves a constrained problem."""
        return self.name != "sq"

    def conj(self, y: ArrayLike) -> Array:
        """K*(y) = sup_x (y.x - K(x)) over the last axis; ``inf`` outside its domain
        (up to ``DOMAIN_TOL``)."""
        y = _checks.finite_array(y, "y", min_size=0)
        if self.name in ("sq", "huber"):
            scale = 1.0 if self.name == "sq" else self.delta
            out = 0.5 * scale * (y * y).sum(-1)
        else:
            out = np.zeros(y.shape[:-1])
        if self.constrains:
            out = np.where(self.constraint_norm(y) > 1 + DOMAIN_TOL, np.inf, out)
        return out

    def conj_grad(self, y: ArrayLike) -> Array:
        """A subgradient u of K* at y in its domain (so that y is a subgradient of K at u)."""
        y = _checks.finite_array(y, "y", min_size=0)
        if self.name == "sq":
            return y.copy()
        if self.name == "huber":
            return self.delta * y
        return np.zeros_like(y)


#: The K of the table in theory/lion.md §7, by name.
KAPPAS: dict[str, Kappa] = {name: Kappa(name) for name in _KAPPA_NAMES}


@kappa_doc
def get_kappa(kappa: str | Kappa) -> Kappa:
    """A :class:`Kappa` from its name (``"l1"`` is sign Lion) or itself.

    Parameters
    ----------
    {kappa}

    Returns
    -------
    Kappa
    """
    if isinstance(kappa, Kappa):
        return kappa
    if not isinstance(kappa, str) or kappa not in KAPPAS:
        raise ValueError(f"kappa must be one of {_KAPPA_NAMES} or a Kappa, got {kappa!r}")
    return KAPPAS[kappa]
