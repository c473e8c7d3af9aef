r"""Two-layer linear convolutional networks (§7): circular convolutions are diagonal in the Fourier
basis, so each frequency is a two-layer scalar network of its own (numpy only).

Network: ``channels`` circular kernels w_c, a_c of length d; f(x) = sum_c a_c * (w_c * x), trained
on the per-coordinate loss L = (1/2d) E||t * x - f(x)||^2 over white inputs (E x x' = I), teacher
kernel t. With hats for the unnormalised DFT, L = (1/2d) sum_k abs(t^_k - P_k)^2 with
P_k = sum_c a^_{ck} w^_{ck}, and gradient flow on the real kernels gives, per frequency,

    tau dw^_{ck}/dt = (t^_k - P_k) conj(a^_{ck}),   tau da^_{ck}/dt = (t^_k - P_k) conj(w^_{ck}),

the two-layer mode equation with s_k = abs(t^_k), the k-th singular value of the teacher's circulant
(§7.1). Frequencies are the directions; the data (the teacher's spectrum) sets their order.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ... import _checks
from .._shared.inputs import Array, bounded_array, spectrum

__all__ = ["conv_teacher", "conv_plateau_losses", "conv_initial_strength"]


def _frequencies(freqs: ArrayLike, n: int, d: int) -> NDArray[np.int64]:
    f = np.asarray(freqs)
    if (
        f.shape != (n,)
        or not np.issubdtype(f.dtype, np.integer)
        or np.unique(f).size != n
        or f.min() < 1
        or 2 * f.max() >= d
    ):
        raise ValueError(f"freqs must be {n} distinct integers in 1 .. d/2 - 1 = {d // 2 - 1}, "
                         f"got {freqs!r}")  # fmt: skip
    return f.astype(np.int64)


def conv_teacher(s: ArrayLike, d: int, freqs: ArrayLike | None = None, seed: int = 0) -> Array:
    """A real teacher kernel t of length d whose DFT has modulus s_j at frequency freqs[j] (and
    at d - freqs[j]), random phases, and 0 elsewhere (§7.1).

    Parameters
    ----------
    s : array_like
        Strengths s_j > 0, one per frequency.
    d : int
        Kernel (and signal) length, > 2 max(freqs).
    freqs : array_like of int, optional
        Distinct frequencies in 1 .. d/2 - 1 (default 1, 2, ..., len(s)).
    seed : int
        Seed of the phases (>= 0).

    Returns
    -------
    ndarray
        The kernel t, shape (d,), with abs(DFT(t))[freqs] = s.
    """
    s = spectrum(s)
    d = _checks.integer_at_least(d, "d", 2 * s.size + 2)
    freqs = _frequencies(np.arange(1, s.size + 1) if freqs is None else freqs, s.size, d)
    phase = np.random.default_rng(_checks.integer_at_least(seed, "seed", 0)).uniform(
        0, 2 * np.pi, s.size
    )
    spec = np.zeros(d, dtype=complex)
    spec[freqs] = s * np.exp(1j * phase)
    spec[d - freqs] = np.conj(spec[freqs])
    return np.fft.ifft(spec).real


def conv_plateau_losses(s: ArrayLike, d: int) -> Array:
    """Loss on plateau k of the linear convolutional network: (1/d) sum_{j>=k} s_j^2 (§7.1).

    Each unlearned frequency j contributes (1/2d) abs(t^_j)^2 twice, at j and at d - j (a real kernel's
    spectrum is conjugate-symmetric), so the pair is learned together and costs s_j^2 / d.

    Parameters
    ----------
    s : array_like
        Strengths s_j > 0 of the teacher's frequencies (none at 0 or d/2).
    d : int
        Signal length, > 2 len(s).

    Returns
    -------
    ndarray
        Levels before the first transition, between transitions and after the last
        (len(s) + 1 values, the last 0), in order of decreasing s.
    """
    s = np.sort(spectrum(s))[::-1]
    d = _checks.integer_at_least(d, "d", 2 * s.size + 1)
    return np.r_[np.cumsum((s**2)[::-1])[::-1], 0.0] / d


def conv_initial_strength(w: ArrayLike, a: ArrayLike, t: ArrayLike, freqs: ArrayLike) -> Array:
    """Effective initial strength of each teacher frequency from a small random start (§7.1):
    u_k = sum_c abs(w^_{ck} + e^{i theta_k} conj(a^_{ck}))^2 / 4, theta_k = arg t^_k.

    Early on (P << t^) the frequency-k equations are linear; with w^ = e^{i theta/2} x and
    a^ = e^{i theta/2} y they read tau x' = s conj(y), tau y' = s conj(x), so x + conj(y) grows like
    e^{s t/tau} while x - conj(y) decays, and abs(P_k) ~ sum_c abs(x_c + conj(y_c))^2 e^{2 s t/tau} / 4:
    the logistic of the two-layer network with this u0 (the analogue of
    :func:`~theorybench.saddle_to_saddle.linear.closed_forms.effective_initial_strength`). Batched over a
    leading axis.

    Parameters
    ----------
    w : array_like
        First-layer kernels, shape (B, channels, d).
    a : array_like
        Second-layer kernels, shape (B, channels, d).
    t : array_like
        Teacher kernel, shape (d,).
    freqs : array_like of int
        The teacher's frequencies.

    Returns
    -------
    ndarray
        u_k, shape (B, len(freqs)).
    """
    w, a = bounded_array(w, "w"), bounded_array(a, "a")
    t = _checks.finite_array(t, "t")
    if w.ndim != 3 or a.shape != w.shape or t.shape != w.shape[-1:]:
        raise ValueError("w and a must have shape (B, channels, d) and t shape (d,)")
    freqs = _frequencies(freqs, np.size(freqs), t.size)
    theta = np.angle(np.fft.fft(t)[freqs])
    W, A = np.fft.fft(w)[..., freqs], np.fft.fft(a)[..., freqs]
    return 0.25 * (np.abs(W + np.exp(1j * theta) * np.conj(A)) ** 2).sum(axis=1)
