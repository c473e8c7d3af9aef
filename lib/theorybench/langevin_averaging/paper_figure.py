"""The paper's figure (§3.4): running estimate against current iterate, for k* in {3, 4, 5}.

One command runs it at the current scale and writes the figure and its summary::

    THEORYBENCH_SCALE=full python -m theorybench.langevin_averaging.paper_figure [out_dir]

At ``full`` scale (d = 100, n = 10 d^{ceil(k*/2)}, up to n = 10^7 samples for k* = 5) it needs a
GPU; its peak device memory is :func:`~theorybench.langevin_averaging.scales.peak_memory`'s
``paper_figure k*=K`` entries (about 35 GB for k* = 5 in float32).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from .._checks import integer_at_least as _integer_at_least
from .._checks import positive as _positive
from .._memo import reused
from ..training import TrainConfig
from .experiment import LangevinRun, hot_limit_overlap, langevin, single_index_data
from .scales import LangevinSizes, paper_samples, sizes

__all__ = ["PaperFigure", "reproduce_paper_figure"]

#: the largest dimension of the figure (its chains hold a d x d running second moment each)
MAX_PAPER_D = 4096


@dataclass(frozen=True)
class PaperFigure:
    """Chains of the paper's figure, per k*: full-batch Langevin and batch-size-1 updates on the
    same n = factor d^{ceil(k*/2)} samples; ``hot_limit[k]`` is the overlap of the
    high-temperature estimate on the same data (k* = 3, 4; NaN for k* = 5, whose estimator this
    book does not derive)."""

    d: int
    beta: float
    n: dict[int, int]
    full_batch: dict[int, LangevinRun]
    minibatch: dict[int, LangevinRun]
    hot_limit: dict[int, float]


@reused
def reproduce_paper_figure(
    ks: tuple[int, ...] = (3, 4, 5),
    d: int = 8,
    *,
    factor: float = 10.0,
    beta: float = 4.0,
    runs: int = 4,
    burn_in_fraction: float = 0.1,
    records: int = 60,
    seed: int = 0,
    train: TrainConfig | None = None,
    minibatch_train: TrainConfig | None = None,
) -> PaperFigure:
    """The paper's experiment (§3.4; setting from a secondary summary): link He_{k*}/sqrt(k*!),
    n = ``factor`` d^{ceil(k*/2)} samples, spherical Langevin at inverse temperature ``beta``
    from a uniform start, both with full-batch gradients (``train``) and with batch-size-1
    updates (``minibatch_train``), recording the current iterate and both running estimates
    (mean and second moment) of each chain. Data are generated in blocks into one resident copy
    per k* in the chain's dtype; the previous k*'s data are freed before the next are drawn.
    ``train`` and ``minibatch_train`` default to the current scale's ``paper_train`` and
    ``paper_minibatch_train``. The running estimates' overlaps are NaN at records within the
    burn-in (nothing averaged yet; see :func:`~theorybench.langevin_averaging.experiment.langevin`)."""
    ks = tuple(_integer_at_least(k, "k", 2) for k in ks)
    if not ks:
        raise ValueError("ks must name at least one information exponent")
    d = _integer_at_least(d, "d", 2)
    if d > MAX_PAPER_D:
        raise ValueError(f"d must be an integer in [2, {MAX_PAPER_D}], got {d!r}")
    factor, beta = _positive(factor, "factor"), _positive(beta, "beta")
    runs = _integer_at_least(runs, "runs", 1)
    if not 0 <= burn_in_fraction < 1:
        raise ValueError(f"burn_in_fraction must lie in [0, 1), got {burn_in_fraction!r}")
    train = TrainConfig.resolve(train, lambda: sizes().paper_train)
    minibatch_train = TrainConfig.resolve(minibatch_train, lambda: sizes().paper_minibatch_train)
    dtype = train.dtype or "float64"
    ns, full, mini, hot = {}, {}, {}, {}
    for k in ks:
        n = paper_samples(d, k, factor)
        X, y, w_star = single_index_data(
            n, d, k, runs=runs, seed=seed + k, device=train.device, dtype=dtype
        )
        moment = 2 if k % 2 == 0 else 1
        for cfg, batch, out in ((train, None, full), (minibatch_train, 1, mini)):
            steps = cfg.require_steps()
            out[k] = langevin(
                X, y, w_star, k, beta=beta, burn_in=int(burn_in_fraction * steps), moment=moment,
                records=records, batch=batch, train=cfg.replace(seed=seed + k, dtype=dtype),
            )  # fmt: skip
        hot[k] = hot_limit_overlap(X, y, w_star, k) if k in (3, 4) else float("nan")
        ns[k] = n
        del X, y
    return PaperFigure(d, beta, ns, full, mini, hot)


def _at_sizes(s: LangevinSizes | None = None) -> PaperFigure:
    """:func:`reproduce_paper_figure` at the sizes ``s`` (default: the current scale's)."""
    s = sizes() if s is None else s
    return reproduce_paper_figure(
        s.paper_ks, s.paper_d, factor=s.paper_factor, beta=s.paper_beta, runs=s.paper_runs,
        train=s.paper_train, minibatch_train=s.paper_minibatch_train,
    )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Run the figure at the current scale; write ``paper_figure.png`` and a summary to the
    folder given (default: the current folder)."""
    from .figures import paper_figure_rows, plot_paper_figure

    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0] if argv else ".")
    out.mkdir(parents=True, exist_ok=True)
    result = _at_sizes()
    plot_paper_figure(result).savefig(out / "paper_figure.png", dpi=150)
    text = "\n".join(paper_figure_rows(result))
    (out / "paper_figure.txt").write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
