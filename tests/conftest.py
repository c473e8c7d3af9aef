"""The claims ledger: tests tagged ``@pytest.mark.claim(id, chapter=..., statement=...)`` are
collected with their outcome and the values they record (``record_property("measured", ...)``,
``record_property("predicted", ...)``), and written to ``book/_build/claims.json`` at the end of
the session. The book renders its Claims page from that file (book/_ext/theorybench_book.py):
the page is built from the real test results, never written by hand."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import settings

# No per-example deadline: a loaded CI machine made a 1 ms example take 0.7 s and fail. Speed is
# measured by bench/run.py, not asserted in tests.
settings.register_profile("theorybench", deadline=None)
settings.load_profile("theorybench")

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
        },
    )
    entry["tests"].append(item.nodeid)
    props = dict(report.user_properties)
    for key in ("measured", "predicted"):
        if key in props and str(props[key]) not in entry[key]:
            entry[key].append(str(props[key]))
    rank = {"passed": 0, "skipped": 1, "failed": 2}
    if rank[report.outcome] > rank[entry["outcome"]]:
        entry["outcome"] = report.outcome


def pytest_sessionfinish(session: pytest.Session) -> None:
    if not _results:
        return
    CLAIMS_JSON.parent.mkdir(parents=True, exist_ok=True)
    CLAIMS_JSON.write_text(
        json.dumps(
            {
                "generated": time.strftime("%Y-%m-%d %H:%M:%S"),
                "claims": sorted(_results.values(), key=lambda c: (c["chapter"], c["id"])),
            },
            indent=1,
        )
    )
