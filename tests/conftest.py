"""The claims ledger: tests tagged ``@pytest.mark.claim(id, chapter=..., statement=...)`` are
collected with their outcome and the values they record (``record_property("measured", ...)``,
``record_property("predicted", ...)``), and written to ``book/_build/claims.json`` at the end of
the session. The book renders its Claims page from that file (book/_ext/theorybench_book.py):
the page is built from the real test results, never written by hand."""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

import pytest
from hypothesis import settings

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

CLAIMS_JSON = Path(__file__).resolve().parents[1] / "book" / "_build" / "claims.json"
_results: dict[str, dict] = {}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    marker = item.get_closest_marker("claim")
    if marker is None or (
        report.when != "call" and not (report.when == "setup" and report.skipped)
    ):
        return
    claim_id = marker.args[0]
    entry = _results.setdefault(
        claim_id,
        {
            "id": claim_id,
            "chapter": marker.kwargs["chapter"],
            "statement": marker.kwargs["statement"],
            "tests": [],
            "outcome": "passed",
            "measured": [],
            "predicted": [],
            "worst": marker.kwargs.get("worst", "abs"),
            "values": [],
        },
    )
    entry["tests"].append(item.nodeid)
    # every recorded value counts (a hypothesis test records once per example), not the last one
    for key, value in report.user_properties:
        if key == "measured" and _number(value) is not None:
            entry["values"].append(_number(value))
        elif key in ("measured", "predicted") and str(value) not in entry[key]:
            entry[key].append(str(value))
    rank = {"passed": 0, "skipped": 1, "failed": 2}
    if rank[report.outcome] > rank[entry["outcome"]]:
        entry["outcome"] = report.outcome


def _number(value: object) -> float | None:
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def summarise(entry: dict) -> dict:
    """A deterministic record: numeric measurements become one summary, the worst value (as the
    claim's ``worst`` says: largest |x| by default) with the number of values it is the worst of."""
    out = {k: v for k, v in entry.items() if k not in ("values", "worst")}
    values = entry["values"]
    if values:
        worst = WORST[entry["worst"]](values)
        text = f"{worst:.3g}" if len(values) == 1 else f"{worst:.3g} (worst of {len(values)})"
        out["measured"] = [text, *entry["measured"]]
    return out


def pytest_sessionfinish(session: pytest.Session) -> None:
    if not _results:
        return
    CLAIMS_JSON.parent.mkdir(parents=True, exist_ok=True)
    CLAIMS_JSON.write_text(
        json.dumps(
            {
                "generated": time.strftime("%Y-%m-%d %H:%M:%S"),
                "claims": sorted(
                    (summarise(c) for c in _results.values()), key=lambda c: (c["chapter"], c["id"])
                ),
            },
            indent=1,
        )
    )
