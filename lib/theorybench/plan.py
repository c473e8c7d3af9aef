"""The `full`-scale plan: each experiment's peak memory (GPU and host) and an estimate of its
time, computed from the sizes' shapes alone -- nothing is allocated or run (``make plan-full``).

Memory is counted in float64 words (8 bytes, the experiments' dtype off Apple MPS) for the tensors
each experiment holds at once: its data, its parameters (all seeds and grid points batched in one
tensor program), their gradients and optimiser state, and a factor for autograd's temporaries;
the host side holds the recorded trajectories. Time is the count of floating-point operations
divided by :data:`DEVICE_FLOPS`, an order of magnitude for small batched float64 kernels on one
H100, not a measurement: the table says which experiments take minutes and which take hours.
The Langevin chapter computes its own peaks (:func:`theorybench.langevin_averaging.scales.peak_memory`).
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass

__all__ = ["PlanRow", "GPU_BYTES", "HOST_BYTES", "DEVICE_FLOPS", "full_plan", "plan_table"]

GPU_BYTES = 80 * 10**9  #: one 80 GB GPU
HOST_BYTES = 128 * 10**9  #: one 128 GB host
DEVICE_FLOPS = 1e12  #: float64 operations per second assumed for the time estimate
W = 8  #: bytes per float64 word
AUTOGRAD = 4  #: live copies of each activation during a backward pass (inputs, outputs, grads)


@dataclass(frozen=True)
class PlanRow:
    """One experiment at ``full`` scale: peak bytes on the device and on the host, and an
    estimate of its floating-point operations and seconds."""

    chapter: str
    experiment: str
    gpu_bytes: int
    host_bytes: int
    flops: float

    @property
    def seconds(self) -> float:
        return self.flops / DEVICE_FLOPS

    @property
    def fits(self) -> bool:
        return self.gpu_bytes <= GPU_BYTES and self.host_bytes <= HOST_BYTES


def _svm(s) -> list[PlanRow]:
    n, T = 6, 8  # direction_experiment's tokens per sequence and sequences
    steps = s.train.require_steps()
    rows = []
    d = max(s.ds)
    gpu = W * s.instances * (AUTOGRAD * n * T * d + 4 * d * d)
    flops = sum(steps * s.instances * (4 * n * T * e * e + 10 * n * T * e) for e in s.ds)
    rows.append(PlanRow("svm_attention", "direction_experiment", gpu, gpu, flops))
    n, T, d = max(s.rank_ns), max(s.rank_Ts), max(s.rank_ds)
    cells = len(s.rank_ns) * len(s.rank_Ts) * len(s.rank_ds)
    gpu = W * s.rank_instances * (AUTOGRAD * n * T * d + 8 * d * d)
    flops = cells * steps * s.rank_instances * 2 * (4 * n * T * d * d + 2 * d**3)
    rows.append(PlanRow("svm_attention", "svm_rank_grid", gpu, gpu, flops))
    return rows


def _chinchilla(s) -> list[PlanRow]:
    """torch_isoflop_sweep trains every (budget, width) pair of the grid as one batched program:
    J hidden units side by side (all students' widths, ``seeds`` replicas), students leaving at
    their last step, when their held-out loss is measured on ``n_test`` points. Peak: the data,
    the columns with their Adam moments, and the larger of one step's temporaries (about six
    (seeds, J_alive, batch) tensors) and a measurement (two (seeds, J_done, n_test) tensors)."""
    d_in, teacher, batch, n_test = 8, 256, 512, 8192  # torch_isoflop_sweep's defaults
    n_params = {w: w * (d_in + 2) + 1 for w in s.widths}
    pairs = [(c, w) for c in s.budgets for w in s.widths if c / (6 * n_params[w]) >= 20 * batch]
    steps = [int(c / (6 * n_params[w]) // batch) for c, w in pairs]
    units = sum(w for _, w in pairs)
    temporaries = 6 * s.seeds * units * batch  # the first step: every student still training
    for t in sorted(set(steps)):
        done = sum(w for (_, w), n in zip(pairs, steps, strict=True) if n == t)
        alive = sum(w for (_, w), n in zip(pairs, steps, strict=True) if n >= t)
        temporaries = max(temporaries, 6 * s.seeds * alive * batch + 2 * s.seeds * done * n_test)
    gpu = W * (n_test * (d_in + teacher) + s.seeds * batch * (d_in + teacher) + temporaries)
    gpu += W * 3 * s.seeds * units * (d_in + 2)  # the columns and Adam's two moments
    flops = s.seeds * sum(c for c, _ in pairs)  # C = 6 N D per trained student
    return [PlanRow("chinchilla", "torch_isoflop_sweep", gpu, gpu, flops)]


def _cliff(s) -> list[PlanRow]:
    K = 8  # tokens of the single-instance categorical policy (the paper's K = 8)
    lams = len(s.lams)
    gpu = W * lams * s.batch * K * AUTOGRAD
    flops = s.train.require_steps() * lams * s.batch * K * 20
    rows = [PlanRow("extrapolation_cliff", "train_categorical_policy", gpu, gpu, flops)]
    L = 20  # positions of train_structured_policy
    grid = len(s.validity_lams) * s.validity_seeds
    gpu = W * grid * s.validity_batch * L * K * AUTOGRAD
    flops = s.validity_train.require_steps() * 4 * grid * s.validity_batch * L * K * 20
    rows.append(PlanRow("extrapolation_cliff", "train_structured_policy", gpu, gpu, flops))
    # the torch claims' families (families.py): every instance x lambda of its grid is one row of
    # one tensor program, tokens padded to the family's largest K; the largest grids
    fam = importlib.import_module("theorybench.extrapolation_cliff.families")
    rows_k = s.cliff_instances * sum(fam.CLIFF_GRID_POINTS)
    k_max = fam.CLIFF_TOKENS[1]
    gpu = W * rows_k * s.batch * k_max * AUTOGRAD
    flops = s.train.require_steps() * rows_k * s.batch * k_max * 20
    rows.append(PlanRow("extrapolation_cliff", "train_categorical_family", gpu, gpu, flops))
    grid = len(fam.validity_grid(fam.VALIDITY_CLIFF[1]))  # the widest grid: the latest cliff
    positions = s.validity_instances * grid * fam.VALIDITY_POSITIONS[1]
    gpu = W * positions * s.validity_batch * 3 * AUTOGRAD  # three tokens: valid, A, B
    flops = s.validity_train.require_steps() * 4 * positions * s.validity_batch * 3 * 20
    rows.append(PlanRow("extrapolation_cliff", "train_validity_family", gpu, gpu, flops))
    return rows


def _lion(s) -> list[PlanRow]:
    lg = s.logistic
    gpu = W * (lg.n * lg.d + 4 * lg.d + AUTOGRAD * lg.n)
    flops = lg.train.require_steps() * 4.0 * lg.n * lg.d
    rows = [PlanRow("lion", "logistic_regression_lam_sweep", gpu, gpu, flops)]
    dg = s.digits
    p = 64 * dg.hidden + dg.hidden * dg.hidden + dg.hidden * 10
    runs = dg.seeds * (len(dg.lams) * 3)
    gpu = W * (1797 * 64 + runs * 4 * p + AUTOGRAD * 128 * dg.hidden * runs)
    flops = dg.train.require_steps() * runs * 6.0 * 128 * p
    rows.append(PlanRow("lion", "train_digits", gpu, gpu, flops))
    return rows


def _saddle(s) -> list[PlanRow]:
    rows = []

    def row(name: str, params: int, batch_words: int, steps: int, records: int, flops: float):
        gpu = W * (3 * params + AUTOGRAD * batch_words)
        host = W * records * params
        rows.append(PlanRow("saddle_to_saddle", name, gpu, host, flops * steps))

    lin = s.linear
    p = len(lin.sigmas) * (16 * 12 + 10 * 16)
    row(
        "train_linear_network",
        p,
        p,
        lin.train.require_steps(),
        lin.train.require_steps() // 5,
        6 * p * 12,
    )
    att = s.attention
    ctx, d = 16, 4
    words = len(att.sigmas) * att.batch * ctx * d * d
    row(
        "train_attention",
        len(att.sigmas) * 4 * d * d,
        words,
        att.train.require_steps(),
        0,
        8 * words,
    )
    conv = s.conv
    p = conv.seeds * conv.channels * conv.d * 2
    row(
        "train_conv_network",
        p,
        p * conv.d,
        conv.train.require_steps(),
        conv.train.require_steps() // 2,
        8 * p * conv.d,
    )
    wid = s.width
    p = wid.seeds * sum(wid.widths) * (12 + 10)
    row("width_sweep", p, p, wid.train.require_steps(), 0, 6 * p * 12)
    quad = s.quadratic
    p = quad.seeds * 4 * 4
    row(
        "train_quadratic_network",
        p,
        p * 64,
        quad.train.require_steps(),
        quad.train.require_steps() // 10,
        40 * p,
    )
    relu = s.relu
    p = relu.seeds * relu.width * 3
    row(
        "train_relu_network",
        p,
        p * 101,
        relu.train.require_steps(),
        relu.train.require_steps() // 20,
        10 * p * 101,
    )
    cr = s.conv_relu
    p = cr.seeds * cr.channels * 4
    row(
        "train_conv_relu_network",
        p,
        p * 32 * 8,
        cr.train.require_steps(),
        cr.train.require_steps() // 2,
        10 * p * 32 * 8,
    )
    return rows


def _langevin(s) -> list[PlanRow]:
    scales = importlib.import_module("theorybench.langevin_averaging.scales")
    rows = []
    for name, gpu in scales.peak_memory(s).items():
        # each chain step touches every resident sample once: about 4 (d + 1) operations each
        flops = 0.0
        if name.startswith("paper_figure"):
            k = int(name.rsplit("=", 1)[1])
            n = scales.paper_samples(s.paper_d, k, s.paper_factor)
            flops = 4.0 * s.paper_runs * n * (s.paper_d + 1) * s.paper_train.require_steps()
        rows.append(PlanRow("langevin_averaging", name, int(gpu), int(gpu), flops))
    return rows


_CHAPTERS = {
    "svm_attention": _svm,
    "lion": _lion,
    "chinchilla": _chinchilla,
    "extrapolation_cliff": _cliff,
    "saddle_to_saddle": _saddle,
    "langevin_averaging": _langevin,
}


def full_plan() -> list[PlanRow]:
    """Every experiment of every chapter at ``full`` scale, from its sizes' shapes."""
    from .chapters import names

    rows: list[PlanRow] = []
    for chapter in names():
        sizes = importlib.import_module(f"theorybench.{chapter}").sizes("full")
        if chapter in _CHAPTERS:
            rows += _CHAPTERS[chapter](sizes)
        else:  # a chapter added later states its own plan next to its sizes
            scales = importlib.import_module(f"theorybench.{chapter}.scales")
            rows += scales.plan_rows(sizes)  # a list of PlanRow
    return rows


def _human(b: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if b < 1000:
            return f"{b:.3g} {unit}"
        b /= 1000
    return f"{b:.3g} PB"


def _duration(s: float) -> str:
    if s < 120:
        return f"{max(s, 0.01):.2g} s"
    if s < 7200:
        return f"{s / 60:.2g} min"
    return f"{s / 3600:.2g} h"


def plan_table(rows: list[PlanRow] | None = None) -> str:
    """The plan as a Markdown table, with the limits it is checked against."""
    rows = full_plan() if rows is None else rows
    out = [
        f"`full` scale, from the shapes (GPU limit {_human(GPU_BYTES)}, host {_human(HOST_BYTES)}, "
        f"time at {DEVICE_FLOPS:.0e} flop/s):",
        "",
        "| chapter | experiment | GPU peak | host peak | time (estimate) | fits |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        t = _duration(r.seconds) if r.flops else "see its chapter"
        out.append(
            f"| {r.chapter} | {r.experiment} | {_human(r.gpu_bytes)} | {_human(r.host_bytes)} "
            f"| {t} | {'yes' if r.fits else '**NO**'} |"
        )
    return "\n".join(out)


if __name__ == "__main__":
    print(plan_table())
    bad = [r for r in full_plan() if not r.fits or not math.isfinite(r.flops)]
    raise SystemExit(1 if bad else 0)
