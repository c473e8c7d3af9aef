"""The claims ledger: tests tagged ``@pytest.mark.claim(id, chapter=..., statement=...)`` are
collected with their outcome and the values they record (``record_property("measured", ...)``,
``record_property("predicted", ...)``), and merged into ``book/ledger.json`` at the end of the
session (per claim: a partial run never shrinks it). That file is committed, so that ``make book``
alone shows the last recorded results with their dates; the book renders its Claims page from it
(book/_ext/theorybench_book.py): the page is built from real test results, never written by hand."""

from __future__ import annotations

import json
import math
import os
import sys
import time
from pathlib import Path

import pytest
from hypothesis import settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "book" / "_ext"))
import nbval_book  # noqa: E402  (nbval's run is the one notebook execution: tests/nbval_book.py)
import theorybench_book  # noqa: E402  (the ledger's library key and claim ids, shared)

# No per-example deadline: a loaded CI machine made a 1 ms example take 0.7 s and fail. Speed is
# measured by bench/run.py, not asserted in tests. In CI (CI set, as .ci/run's caller does)
# hypothesis is derandomised, so two CI runs draw the same examples and record the same ledger.
settings.register_profile("theorybench", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "theorybench")

#: how a claim's numeric measurements over many examples are summarised (marker kwarg ``worst``)
WORST = {
    "abs": lambda xs: max(xs, key=abs),
    "max": max,
    "min": min,
}

ROOT = Path(__file__).resolve().parents[1]
#: the committed ledger the book shows; every run merges the claims it ran into it (per claim:
#: a partial run, ``pytest -k ...`` or a failing stage, never shrinks it)
LEDGER = ROOT / "book" / "ledger.json"
_results: dict[str, dict] = {}


def pytest_configure(config: pytest.Config) -> None:
    """When nbval runs notebooks, its run is their one execution (tests/nbval_book.py; registered
    as a plugin, since this conftest's item hooks reach only the items under tests/)."""
    if nbval_book.nbval_runs_notebooks(config):
        config.pluginmanager.register(nbval_book, "theorybench-nbval-book")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Attach the claim marker to the report, so that the process that writes the ledger (the
    controller, when pytest-xdist runs the tests in workers) knows which claim a report is of."""
    outcome = yield
    report = outcome.get_result()
    # plain values only: pytest-xdist sends reports between processes and cannot send numpy
    report.user_properties = [(k, _plain(v)) for k, v in report.user_properties]
    marker = item.get_closest_marker("claim")
    if marker is not None:
        info = {
            "id": marker.args[0],
            "chapter": marker.kwargs["chapter"],
            "statement": marker.kwargs["statement"],
            "worst": marker.kwargs.get("worst", "abs"),
            "on": marker.kwargs.get("on", ""),
        }
        report.user_properties.append(("tb_claim", json.dumps(info)))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    props = dict(report.user_properties)
    if "tb_claim" not in props:
        return
    if report.when != "call" and not (report.when == "setup" and not report.passed):
        return  # the call's outcome; a setup that failed or skipped is the claim's outcome too
    info = json.loads(props["tb_claim"])
    entry = _results.setdefault(
        info["id"],
        {
            "id": info["id"],
            "chapter": info["chapter"],
            "statement": info["statement"],
            "on": info["on"],
            "tests": [],
            "outcome": "passed",
            "measured": [],
            "predicted": [],
            "worst": info["worst"],
            "values": [],
        },
    )
    entry["tests"].append(report.nodeid)
    # every recorded value counts (a hypothesis test records once per example), not the last one
    for key, value in report.user_properties:
        if key == "measured" and _number(value) is not None:
            entry["values"].append(_number(value))
        elif key in ("measured", "predicted") and str(value) not in entry[key]:
            entry[key].append(str(value))
    rank = {"passed": 0, "skipped": 1, "failed": 2}
    if rank[report.outcome] > rank[entry["outcome"]]:
        entry["outcome"] = report.outcome


def _plain(value: object) -> object:
    """A recorded value as a JSON-able Python value (numpy scalars as floats or ints)."""
    if type(value) in (str, int, float, bool) or value is None:  # np.float64 is a float subclass
        return value
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        return value.item()
    return str(value)


def _number(value: object) -> float | None:
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def summarise(entry: dict) -> dict:
    """A deterministic record: numeric measurements become one summary, the worst value (as the
    claim's ``worst`` says: largest |x| by default) with the number of values it is the worst of,
    and their spread (minimum, median, maximum) where there are several."""
    out = {k: v for k, v in entry.items() if k not in ("values", "worst")}
    values = sorted(entry["values"])
    if values:
        worst = WORST[entry["worst"]](values)
        text = f"{worst:.3g}" if len(values) == 1 else f"{worst:.3g} (worst of {len(values)})"
        out["measured"] = [text, *entry["measured"]]
        if len(values) > 2:
            mid = values[len(values) // 2]
            out["spread"] = f"{values[0]:.3g} / {mid:.3g} / {values[-1]:.3g} (min / median / max)"
    out["tests"] = sorted(set(out["tests"]))
    return out


def library_key() -> str:
    """The library's source hash, computed by the book extension that compares it (one function,
    so that the ledger page's "earlier library" mark and this record can never disagree)."""
    return theorybench_book.library_key(ROOT)


def claim_ids_in_tests() -> set[str]:
    """Every claim id some test carries (read from the test sources, so that a run of a few
    tests still knows which ledger entries belong to tests that were removed); the book
    extension gives each of the same ids an anchor."""
    return theorybench_book.claim_ids_in_tests(ROOT)


def merge_ledger(old: dict | None, ran: list[dict], known: set[str], stamp: dict) -> dict:
    """The ledger after a run: the claims that ran replace their entries (with ``stamp``: when,
    which library), the others keep theirs, and entries of claims no test carries are dropped."""
    by_id = {c["id"]: c for c in (old or {}).get("claims", []) if c["id"] in known}
    for c in ran:
        by_id[c["id"]] = {**c, **stamp}
    return {"claims": sorted(by_id.values(), key=lambda c: (c["chapter"], c["id"]))}


def pytest_sessionfinish(session: pytest.Session) -> None:
    if not _results or hasattr(
        session.config, "workerinput"
    ):  # xdist workers: the controller writes
        return
    old = json.loads(LEDGER.read_text()) if LEDGER.exists() else None
    stamp = {
        "recorded": time.strftime("%Y-%m-%d %H:%M"),
        "library": library_key(),
        "scale": os.environ.get("THEORYBENCH_SCALE", "ci").strip().lower() or "ci",
    }
    ledger = merge_ledger(
        old, [summarise(c) for c in _results.values()], claim_ids_in_tests(), stamp
    )
    LEDGER.write_text(json.dumps(ledger, indent=1) + "\n")
