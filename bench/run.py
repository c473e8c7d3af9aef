"""Performance ratios of Theory Workbench, measured in one run on this machine; one table.

    make bench          # or: python bench/run.py

Rows: per chapter, the explorer's median slider-callback time (the ``update`` alone, target
<= 30 ms, and the whole redraw including matplotlib's render, target <= 100 ms), and batched vs
looped experiment time where the experiment batches. Timings are medians; ratios are what to
compare across machines. ``--quick`` skips the two rows that time ``make book`` and ``make test``
(minutes) by running them in a fresh clone of this repository.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")
# the bench times computation: results stored by theorybench._memo (make exports the folder for
# the notebooks and tests) would turn every timed call after the first into a file read
os.environ.pop("THEORYBENCH_RESULTS", None)

from theorybench import chinchilla, langevin_averaging, lion  # noqa: E402
from theorybench.chapters import CHAPTERS  # noqa: E402
from theorybench.device import device, scale  # noqa: E402


def explorer_rows() -> list[tuple[str, str, str, str]]:
    rows = []
    for chapter in (c for c in CHAPTERS if not c.retrains):
        timing = chapter.explorer().time_callbacks(moves=7)
        rows.append(
            (
                f"{chapter.name}: slider update (median of {timing.n})",
                f"{timing.update_s * 1e3:.1f} ms",
                "<= 30 ms",
                f"{timing.update_s / 0.030:.2f} of budget",
            )
        )
        rows.append(
            (
                f"{chapter.name}: slider redraw incl. render",
                f"{timing.redraw_s * 1e3:.1f} ms",
                "<= 100 ms",
                f"{timing.redraw_s / 0.100:.2f} of budget",
            )
        )
    return rows


def retraining_explorer_rows(moves: int = 2) -> list[tuple[str, str, str, str]]:
    """Explorers whose sliders re-run a real training (the issues ask for that): seconds for a
    setting the reader has not visited, i.e. one redraw with the explorer module's in-process
    caches (``functools.lru_cache``) emptied first."""
    import importlib

    rows = []
    for chapter in (c for c in CHAPTERS if c.retrains):
        module = importlib.import_module(f"theorybench.{chapter.name}.interactive")
        caches = [f for f in vars(module).values() if callable(getattr(f, "cache_clear", None))]
        explorer = chapter.explorer()
        seconds = []
        for _ in range(moves):
            for cached in caches:
                cached.cache_clear()
            seconds.append(explorer.redraw()[1])
        median = sorted(seconds)[len(seconds) // 2]
        rows.append(
            (
                f"{chapter.name}: slider re-trains, unvisited setting (median of {moves})",
                f"{median:.2f} s",
                "<= a few s",
                f"{median / 3:.2f} of 3 s",
            )
        )
    return rows


def langevin_batching_row() -> tuple[str, str, str, str]:
    batched, looped = langevin_averaging.batch_speedup()
    return (
        "langevin: 12 runs batched vs looped",
        f"{batched:.2f} s vs {looped:.2f} s",
        "batched faster",
        f"{looped / batched:.1f}x speed-up",
    )


def lion_batching_row() -> tuple[str, str, str, str]:
    lams = [0.5, 1.0, 2.0, 4.0, 8.0, 16.0]
    size = lion.sizes().logistic.kwargs()
    start = time.perf_counter()
    lion.logistic_regression_lam_sweep(lams, **size)
    batched = time.perf_counter() - start
    start = time.perf_counter()
    for lam in lams:
        lion.logistic_regression_lam_sweep([lam], **size)
    looped = time.perf_counter() - start
    return (
        "lion: λ-sweep, batched vs looped",
        f"{batched:.2f} s vs {looped:.2f} s",
        "batched faster",
        f"{looped / batched:.1f}x speed-up",
    )


def sweep_batching_row() -> tuple[str, str, str, str]:
    """The torch IsoFLOP sweep: 4 seeds as one batched program vs 4 single-seed runs."""
    size = chinchilla.sizes().kwargs() | {"seeds": 4}  # no stored results: see the top
    batched = chinchilla.torch_isoflop_sweep(**size).seconds
    looped = sum(
        chinchilla.torch_isoflop_sweep(
            **(size | {"seeds": 1, "train": size["train"].replace(seed=s)})
        ).seconds
        for s in range(4)
    )
    return (
        "chinchilla: IsoFLOP sweep, 4 seeds batched vs looped",
        f"{batched:.2f} s vs {looped:.2f} s",
        "batched faster",
        f"{looped / batched:.1f}x speed-up",
    )


def make_rows() -> list[tuple[str, str, str, str]]:
    """Wall time of `make book` then `make test` in a fresh clone (creating .venv included)."""
    root = Path(__file__).resolve().parents[1]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "-q", str(root), str(clone)], check=True)
        shared = root.parent / "shared"
        if shared.exists():
            (Path(tmp) / "shared").symlink_to(shared)
        for target, budget in (("book", "main job"), ("test", "<= 6 min")):
            start = time.perf_counter()
            subprocess.run(
                ["make", target],
                cwd=clone,
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            seconds = time.perf_counter() - start
            note = "fresh clone, incl. .venv" if target == "book" else "after make book"
            ratio = f"{seconds / 360:.2f} of budget" if target == "test" else note
            rows.append((f"make {target} wall time ({note})", f"{seconds:.0f} s", budget, ratio))
    return rows


def varpro_rows() -> list[tuple[str, str, str, str]]:
    """VarPro vs Epoch's direct 5-D fit (4,500 L-BFGS-B starts), same data, same objective."""
    d = chinchilla.epoch_chinchilla_points(drop_highest=5)
    direct = chinchilla.direct_fit(d.N, d.D, d.loss)
    rows = []
    for k in (16, 32):
        vp = chinchilla.varpro_fit(d.N, d.D, d.loss, objective="huber", grid=k)
        rows.append(
            (
                f"chinchilla: VarPro (k={k}) vs direct fit, time",
                f"{vp.seconds:.3f} s vs {direct.seconds:.2f} s",
                ">= 50x faster",
                f"{direct.seconds / vp.seconds:.0f}x faster",
            )
        )
        rows.append(
            (
                f"chinchilla: VarPro (k={k}) vs direct fit, objective",
                f"{vp.objective:.10e} vs {direct.objective:.10e}",
                "equal or lower",
                f"{(vp.objective - direct.objective) / direct.objective:+.1e} relative",
            )
        )
    return rows


def main() -> None:
    print(
        f"# Theory Workbench benchmark: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, device={device()}, scale={scale()}"
    )
    rows = [
        ("measure", "value", "target", "ratio"),
        *explorer_rows(),
        *retraining_explorer_rows(),
        lion_batching_row(),
        langevin_batching_row(),
        sweep_batching_row(),
        *varpro_rows(),
    ]
    if "--quick" not in sys.argv:
        rows += make_rows()
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for i, row in enumerate(rows):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
        if i == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


if __name__ == "__main__":
    main()
