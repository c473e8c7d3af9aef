"""Lion on a real network (the 8x8 digits MLP), as statistics over seeds and weight decays:
the two phases the theory predicts for every parameter tensor, and training beside AdamW."""

from __future__ import annotations

import numpy as np
import pytest
from theorybench import lion
from theorybench.lion.digits import TOL

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run() -> lion.DigitsRun:
    return lion.train_digits(**lion.sizes().digits.kwargs())


@pytest.mark.claim(
    "lion-digits-phase1",
    chapter="lion",
    statement="On the digits MLP, every parameter tensor reaches the box ||w||_inf <= 1/lam no "
    "later than the geometric bound (1 - lr lam)^t of phase 1 predicts (all lam, all seeds)",
    worst="max",
)
def test_digits_weights_enter_the_box_within_the_geometric_bound(run, record_property) -> None:
    outside = run.d0 > 0
    assert outside.sum() >= 10, "too few runs start outside the box to test phase 1"
    late = run.phase1_measured[outside] - np.ceil(run.phase1_bound[outside])
    ratio = run.phase1_measured[outside] / np.ceil(run.phase1_bound[outside])
    record_property("measured", float(np.max(late)))
    record_property(
        "predicted",
        f"<= 0 steps late (n = {outside.sum()} runs; measured/bound {ratio.min():.3f}-{ratio.max():.3f})",
    )
    assert np.all(np.isfinite(run.phase1_measured[outside]))
    assert np.all(late <= 0)
    assert np.max(run.envelope_excess) <= 1e-12  # the whole path stays under the envelope


@pytest.mark.claim(
    "lion-digits-phase2",
    chapter="lion",
    statement="On the digits MLP, once inside the box no weight of Lion ever leaves it "
    "(max lam ||w||_inf after entry, all lam and seeds)",
    worst="max",
)
def test_digits_weights_stay_in_the_box_after_entering(run, record_property) -> None:
    after = run.stays_inside[np.isfinite(run.stays_inside)]
    record_property("measured", float(after.max()))
    record_property("predicted", f"<= 1 + {TOL} (entry tolerance; n = {after.size} runs)")
    assert after.size == run.d0.size
    assert after.max() <= 1 + TOL + 1e-12
    started_inside = run.d0 < 0  # those are inside from step 0: exactly <= 1
    assert np.all(run.stays_inside[started_inside] <= 1 + 1e-12)


@pytest.mark.claim(
    "lion-digits-vs-adamw",
    chapter="lion",
    statement="With the same start, minibatches and decoupled weight decay, Lion's median test "
    "accuracy on the digits MLP is not below AdamW's by more than 2 points at any lam "
    "(the paper reports Lion on par with AdamW; the 2-point margin is ours)",
    worst="min",
)
def test_digits_lion_trains_on_par_with_adamw(run, record_property) -> None:
    lion_acc = np.median(run.lion_test_acc[..., -1], 1)
    adamw_acc = np.median(run.adamw_test_acc[..., -1], 1)
    gap = lion_acc - adamw_acc
    record_property("measured", float(gap.min()))
    record_property(
        "predicted",
        f">= -0.02 (median over {run.d0.shape[1]} seeds per lam; Lion "
        + ", ".join(f"{a:.2f}" for a in lion_acc)
        + "; AdamW "
        + ", ".join(f"{a:.2f}" for a in adamw_acc)
        + ")",
    )
    assert np.all(gap >= -0.02)
    assert lion_acc[0] >= 0.9, "the smallest weight decay must train the network (chance: 0.1)"


def test_digits_boundary_fills_as_lam_grows(run) -> None:
    """What changes with lam: the share of weights at +-1/lam at the end grows with lam."""
    share = np.median(run.lion_boundary[..., -1], 1)
    assert np.all(np.diff(share) > 0)


def test_digits_split_is_fixed_and_needs_no_download() -> None:
    Xtr, ytr, Xte, yte = lion.load_digits_split(0)
    assert Xtr.shape == (1438, 64) and Xte.shape == (359, 64)  # 1,797 images, 20 % test
    assert 0 <= Xtr.min() and Xtr.max() <= 1
    np.testing.assert_array_equal(lion.load_digits_split(0)[1], ytr)
