"""Type I, convolutional: linear convolutional networks learn one frequency pair per plateau
(theory/saddle_to_saddle/convolution_quadratic.md §7; library:
theorybench.saddle_to_saddle.convolution)."""

from __future__ import annotations

import numpy as np
import pytest
from saddle_tolerances import FIXED_POINT_TOL, LEVEL_TOL, TIME_TOL, level_errors
from theorybench import saddle_to_saddle as st


# ----------------------------------------------------------------------------------------------
# Linear convolutional networks (§7)
# ----------------------------------------------------------------------------------------------
def _circulant(k: np.ndarray) -> np.ndarray:
    """The matrix of x -> k * x (circular convolution), built entry by entry."""
    d = k.size
    return np.array([[k[(n - i) % d] for i in range(d)] for n in range(d)])


def test_conv_teacher_singular_values_are_its_strengths_twice() -> None:
    """The SVD of the teacher's circulant matrix (no FFT) has s_j twice (frequency j and d - j)
    and zeros elsewhere."""
    s, d = np.array([4.0, 2.0, 1.0]), 16
    t = st.conv_teacher(s, d, [1, 3, 5], seed=3)
    sv = np.sort(np.linalg.svd(_circulant(t), compute_uv=False))[::-1]
    np.testing.assert_allclose(sv[:6], np.repeat(s, 2), atol=1e-12)
    np.testing.assert_allclose(sv[6:], 0, atol=1e-12)


def test_conv_gradient_per_frequency_is_the_two_layer_mode_equation() -> None:
    """The derivation of §7.1: finite-difference gradients of L = (1/2d)||C_t - sum_c C_a C_w||_F^2
    in the real kernel entries, Fourier transformed, equal -(t^_k - P_k) conj(a^_ck)."""
    rng = np.random.default_rng(1)
    d, C = 8, 2
    t = st.conv_teacher([2.0, 1.0], d, [1, 2], seed=0)
    w, a = rng.standard_normal((C, d)) * 0.3, rng.standard_normal((C, d)) * 0.3

    def loss(w):
        net = sum(_circulant(a[c]) @ _circulant(w[c]) for c in range(C))
        return ((_circulant(t) - net) ** 2).sum() / (2 * d)

    grad, h = np.zeros_like(w), 1e-6
    for idx in np.ndindex(w.shape):
        e = np.zeros_like(w)
        e[idx] = h
        grad[idx] = (loss(w + e) - loss(w - e)) / (2 * h)
    W, A, T = np.fft.fft(w), np.fft.fft(a), np.fft.fft(t)
    P = (A * W).sum(0)
    np.testing.assert_allclose(-np.fft.fft(grad), (T - P) * np.conj(A), atol=1e-7)


def test_conv_plateau_levels_are_the_unlearned_power() -> None:
    """Level k equals the loss of the kernel that keeps the teacher's k strongest frequencies,
    computed with circulant matrices."""
    s, d, f = np.array([4.0, 2.0, 1.0]), 16, np.array([1, 3, 5])
    t = st.conv_teacher(s, d, f, seed=2)
    spec = np.fft.fft(t)
    for k, level in enumerate(st.conv_plateau_losses(s, d)):
        keep = np.zeros_like(spec)
        keep[np.r_[f[:k], d - f[:k]]] = spec[np.r_[f[:k], d - f[:k]]]
        p = np.fft.ifft(keep).real
        assert ((_circulant(t) - _circulant(p)) ** 2).sum() / (2 * d) == pytest.approx(level)


@pytest.fixture(scope="module")
def conv_run():
    size = st.sizes("ci").conv
    return st.train_conv_network([4.0, 2.0, 1.0], [1, 3, 5], **size.kwargs())


@pytest.mark.claim(
    "s2s-conv-times",
    chapter="saddle_to_saddle",
    statement="A two-layer linear convolutional network (10 random starts) learns one teacher "
    "frequency per plateau, strongest first, at the two-layer steepest-descent time with "
    "s_k = |t^_k| and u0 = sum_c |w^_ck + e^{i theta} conj(a^_ck)|^2 / 4 (every transition "
    f"within {TIME_TOL:.0%})",
    worst="max",
)
def test_conv_network_learns_one_frequency_per_plateau_at_the_predicted_times(
    conv_run, record_property
) -> None:
    rel = np.abs(st.conv_measured_times(conv_run) / st.conv_predicted_times(conv_run) - 1)
    record_property("measured", float(rel.max()))
    record_property("measured", f"relative error median {np.median(rel):.4f}, max {rel.max():.4f} "
                    f"over {rel.shape[0]} seeds x {rel.shape[1]} frequencies")  # fmt: skip
    record_property("predicted", f"0 (relative error of the transition times; < {TIME_TOL})")
    assert np.all(rel < TIME_TOL)


@pytest.mark.claim(
    "s2s-conv-levels",
    chapter="saddle_to_saddle",
    statement="The convolutional network's loss on plateau k is (1/d) sum_{j>=k} s_j^2 (within "
    f"{LEVEL_TOL:.0%} of the gap to the nearest other level)",
    worst="max",
)
def test_conv_plateau_levels_match(record_property) -> None:
    """The levels are the sigma -> 0 limit; as for the fully connected network they are read at
    the smaller init (sigma = 1e-4), where the plateaus are flat."""
    run = st.train_conv_network([4.0, 2.0, 1.0], [1, 3, 5], sigma=1e-4)
    predicted = st.conv_predicted_levels(run)
    err = level_errors(st.conv_levels(run), predicted)  # (seeds, levels)
    record_property("measured", float(err.max()))
    record_property(
        "predicted", f"<= {LEVEL_TOL} (error of each level over the gap to its nearest level)"
    )
    assert np.all(err <= LEVEL_TOL)


@pytest.mark.claim(
    "s2s-conv-fixed-points",
    chapter="saddle_to_saddle",
    statement="On plateau r the convolutional network's end-to-end kernel sits at the teacher "
    "truncated to its r strongest frequencies (a fixed point of a narrower network), with "
    f"exactly those frequencies learned (within {FIXED_POINT_TOL:.0%} of ||t||; 10 seeds)",
    worst="max",
)
def test_conv_plateaus_sit_at_embedded_fixed_points(conv_run, record_property) -> None:
    nearest, dist, learned = st.conv_plateau_fixed_points(conv_run)
    n = conv_run.s.size
    record_property("measured", float(dist.max()))
    record_property(
        "predicted", f"0 (distance to the r-frequency truncation over ||t||; <= {FIXED_POINT_TOL})"
    )
    assert np.all(nearest == np.arange(n)[None, :])
    assert np.all(dist <= FIXED_POINT_TOL)
    assert np.all(learned == (np.arange(n)[None, None, :] < np.arange(n)[None, :, None]))


#: the numerical rank counts singular values above this share of the smallest teacher strength
RANK_SHARE = 0.5


@pytest.mark.claim(
    "s2s-conv-rank",
    chapter="saddle_to_saddle",
    statement="Type I for the linear convolutional network with full-length circular kernels: "
    "the numerical rank of the end-to-end circulant map is 0, 2, 4, 6 on the successive plateaus "
    f"and at the end (10 random starts; singular values above {RANK_SHARE} of the smallest teacher "
    "strength): each plateau adds one conjugate pair of frequencies",
)
def test_conv_end_to_end_map_gains_rank_two_per_plateau(conv_run, record_property) -> None:
    """Type I for the convolution: at the middle of plateau r (after r transitions read off the
    loss) and at the end, the end-to-end circulant matrix (built entry by entry, no FFT) has
    numerical rank 2r -- frequencies k and d - k -- counting singular values above half the
    smallest teacher strength."""
    times = st.conv_measured_times(conv_run)
    for i in range(len(conv_run.loss)):
        records = [int(np.argmin(np.abs(conv_run.time - t))) for t in
                   np.r_[0.0, times[i]][:-1] / 2 + np.r_[times[i]] / 2]  # fmt: skip
        records = [0, *records[1:], conv_run.time.size - 1]
        ranks = [int((np.linalg.svd(_circulant(conv_run.kernels[i, j]), compute_uv=False)
                      > RANK_SHARE * conv_run.s.min()).sum()) for j in records]  # fmt: skip
        assert ranks == [2 * r for r in range(len(records))]
    record_property("measured", f"ranks {ranks} on every one of {len(conv_run.loss)} starts")
    record_property("predicted", "0, 2, 4, 6")


@pytest.mark.slow
def test_conv_claims_hold_for_other_starts() -> None:
    """The convolutional claims were fixed on master seed 0; on 30 more starts (one batched run
    from master seed 1: the teacher's phases and every start drawn from it) the same thresholds
    hold for every start. (The phases do not matter: the Gaussian starts' Fourier phases are
    uniform.)"""
    conv = st.sizes("ci").conv
    run = st.train_conv_network([4.0, 2.0, 1.0], [1, 3, 5], seeds=3 * conv.seeds,
                                channels=conv.channels, d=conv.d,
                                train=conv.train.replace(seed=1))  # fmt: skip
    assert np.all(np.abs(st.conv_measured_times(run) / st.conv_predicted_times(run) - 1) < TIME_TOL)
    nearest, dist, _ = st.conv_plateau_fixed_points(run)
    assert np.all(nearest == np.arange(3)[None, :]) and np.all(dist <= FIXED_POINT_TOL)


@pytest.mark.parametrize(("d", "channels"), [(7, 3), (9, 1)])
def test_hand_written_conv_gradient_is_autograds(monkeypatch, d, channels) -> None:
    """train_conv_network steps with dL/dw_c, dL/da_c written out by hand (circulant matrices):
    at a random start (two seeds; odd lengths, one channel too) both equal torch autograd's of
    the docstring's L = (1/2d) sum_j ||t * e_j - f(e_j)||^2, f(x) = sum_c a_c * (w_c * x),
    written with circular convolutions as products of DFTs."""
    import torch
    from theorybench.saddle_to_saddle.convolution import training as ct

    seen, real = [], ct.plain_gd

    def spy(params, loss, **kw):  # noqa: ANN001, ANN003, ANN202
        seen.append(([p.clone() for p in params], [g.clone() for g in loss()[2]()]))
        return real(params, loss, **kw)

    monkeypatch.setattr(ct, "plain_gd", spy)
    s, train = [1.5, 0.6], st.CONV_TRAIN.replace(steps=1, seed=3)
    st.train_conv_network.__wrapped__(s, d=d, channels=channels, seeds=2, sigma=0.8, train=train)
    (((w0, a0), got),) = seen
    w, a = w0.clone().requires_grad_(True), a0.clone().requires_grad_(True)

    def conv(x, y):  # noqa: ANN001, ANN202 - circular convolution along the last axis
        return torch.fft.ifft(torch.fft.fft(x) * torch.fft.fft(y)).real

    t = torch.tensor(st.conv_teacher(np.array(s), d, None, 3))
    E = torch.eye(d, dtype=torch.float64)  # rows e_j
    f = conv(a[:, :, None], conv(w[:, :, None], E)).sum(1)  # (seeds, j, d)
    want = torch.autograd.grad(((conv(t, E) - f) ** 2).sum() / (2 * d), [w, a])
    for g, ref in zip(got, want, strict=True):
        np.testing.assert_allclose(g.numpy(), ref.numpy(), rtol=1e-10, atol=1e-14)
