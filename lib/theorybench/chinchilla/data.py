"""Published IsoFLOP points shipped with the package (sha256-checked) and the fits to them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources

import numpy as np

from .. import _checks
from .._memo import reused
from .fits import Approach2Fit, VarProFit, approach2_fit, varpro_fit
from .model import H100_BF16_DENSE, Array, Deadweight, deadweight_compute

__all__ = [
    "ScalingData",
    "load_scaling_data",
    "epoch_chinchilla_points",
    "RealDataFits",
    "real_data_fits",
]


# ----------------------------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ScalingData:
    """Points (N, D, C, loss) of a scaling-law data set; ``budget`` is the IsoFLOP label if any."""

    name: str
    N: Array
    D: Array
    loss: Array
    budget: Array

    @property
    def C(self) -> Array:
        return 6 * self.N * self.D


_DATA = {
    "epoch_chinchilla": "epoch_chinchilla_svg_extracted.csv",
    "chinchilla_isoflops": "epochai_chinchilla_isoflops.csv",
    "llama3_isoflops": "llama_3_isoflops.csv",
}


def load_scaling_data(name: str, *, condition: str = "raw_loss") -> ScalingData:
    """Load a shipped data set after checking its sha256 against ``SHA256SUMS``.

    ``"epoch_chinchilla"``: 245 points of [H22] Fig. 4 digitised by Epoch AI (no budget labels
    there: ``budget`` is the point's own C). ``"chinchilla_isoflops"``: the same
    snapped to the nine budgets. ``"llama3_isoflops"``: Llama 3 Fig. 2; ``condition`` picks
    ``"raw_loss"`` (as read) or ``"exp_loss"``. See ``data/scaling/README.md`` for sources.

    Parameters
    ----------
    name : {"epoch_chinchilla", "chinchilla_isoflops", "llama3_isoflops"}
        The data set.
    condition : {"raw_loss", "exp_loss"}
        For Llama 3, which loss column.

    Returns
    -------
    ScalingData
    """
    if name not in _DATA:
        raise ValueError(f"name must be one of {sorted(_DATA)}, got {name!r}")
    folder = resources.files("theorybench") / "data" / "scaling"
    raw = (folder / _DATA[name]).read_bytes()
    sums = dict(
        reversed(line.split()) for line in (folder / "SHA256SUMS").read_text().splitlines() if line
    )
    digest = hashlib.sha256(raw).hexdigest()
    if sums.get(_DATA[name]) != digest:
        raise ValueError(f"{_DATA[name]}: checksum mismatch (got {digest}); the file is corrupted")
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(raw.decode())))
    if name == "epoch_chinchilla":
        N = np.array([float(r["Model Size"]) for r in rows])
        C = np.array([float(r["Training FLOP"]) for r in rows])
        loss = np.array([float(r["loss"]) for r in rows])
        return ScalingData(name, N, C / (6 * N), loss, C)
    if name == "llama3_isoflops":
        if condition not in ("raw_loss", "exp_loss"):
            raise ValueError(f"condition must be 'raw_loss' or 'exp_loss', got {condition!r}")
        rows = [r for r in rows if r["condition"] == condition]
    N = np.array([float(r["params"]) for r in rows])
    D = np.array([float(r["tokens"]) for r in rows])
    return ScalingData(
        name,
        N,
        D,
        np.array([float(r["loss"]) for r in rows]),
        np.array([float(r["budget"]) for r in rows]),
    )


def epoch_chinchilla_points(drop_highest: int = 5) -> ScalingData:
    """Epoch's fitting set: the 245 digitised points minus the ``drop_highest`` highest losses.

    Parameters
    ----------
    drop_highest : int
        How many of the highest losses to drop (>= 0, leaving at least 5 points).

    Returns
    -------
    ScalingData
    """
    d = load_scaling_data("epoch_chinchilla")
    drop_highest = _checks.integer_at_least(drop_highest, "drop_highest", 0)
    if drop_highest > d.loss.size - 5:
        raise ValueError(f"drop_highest must leave >= 5 points, got {drop_highest}")
    keep = np.sort(np.argsort(d.loss)[: d.loss.size - drop_highest])
    return ScalingData(d.name, d.N[keep], d.D[keep], d.loss[keep], d.budget[keep])


@dataclass(frozen=True)
class RealDataFits:
    """VarPro fits to the shipped data and Approach 2 vs VarPro at a target budget (§8)."""

    epoch: VarProFit
    llama: VarProFit
    llama_approach2: Approach2Fit
    C: float
    deadweight: Deadweight
    deadweight_sparse_peak: Deadweight


@reused
def real_data_fits(C: float = 3.8e25) -> RealDataFits:
    """Epoch's Huber fit to the Chinchilla points (240, five highest losses dropped); VarPro
    (squared) and Approach 2 on the Llama 3 IsoFLOP points (raw loss); the deadweight compute of
    Approach 2's D* at budget C with the VarPro surface as the truth, priced at dense BF16 peak
    and at the 1,979 TFLOP/s sparse/FP8 peak.

    Parameters
    ----------
    C : float
        Target budget in FLOPs for the deadweight comparison.

    Returns
    -------
    RealDataFits

    The fits (Epoch's Huber VarPro takes seconds) are stored and reused
    (``theorybench._memo.reused``): the notebook and the tests share one computation.
    """
    C = _checks.positive(C, "C")  # before the fits: a bad budget costs nothing
    e = epoch_chinchilla_points(drop_highest=5)
    llama = load_scaling_data("llama3_isoflops", condition="raw_loss")
    vp_epoch = varpro_fit(e.N, e.D, e.loss, objective="huber")
    vp_llama = varpro_fit(llama.N, llama.D, llama.loss)
    a2 = approach2_fit(llama.N, llama.D, llama.loss, llama.budget)
    d_a2 = float(a2.d_star(C))
    return RealDataFits(
        vp_epoch,
        vp_llama,
        a2,
        C,
        deadweight_compute(vp_llama.surface, d_a2, C),
        deadweight_compute(vp_llama.surface, d_a2, C, peak_flops=2 * H100_BF16_DENSE),
    )
