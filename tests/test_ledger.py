"""The claims ledger is whole after any run: a partial run (``pytest -k ...``, one failing stage)
merges the claims it ran into ``book/ledger.json`` and never drops the others; only a claim that
no test carries any more leaves it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import claim_ids_in_tests, merge_ledger, summarise

ROOT = Path(__file__).resolve().parents[1]


def _claim(cid: str, outcome: str = "passed", chapter: str = "lion") -> dict:
    return {
        "id": cid,
        "chapter": chapter,
        "statement": "s",
        "tests": ["t::x"],
        "outcome": outcome,
        "measured": [],
        "predicted": [],
    }


def test_a_partial_run_keeps_every_other_claim() -> None:
    old = {"claims": [_claim("a"), _claim("b"), _claim("c")]}
    stamp = {"recorded": "2026-12-05 10:00", "library": "k"}
    new = merge_ledger(old, [_claim("b", "failed")], {"a", "b", "c"}, stamp)
    by_id = {c["id"]: c for c in new["claims"]}
    assert set(by_id) == {"a", "b", "c"}
    assert by_id["b"]["outcome"] == "failed" and by_id["b"]["recorded"] == "2026-12-05 10:00"
    assert "recorded" not in by_id["a"]  # untouched entries keep their own record


def test_a_claim_no_test_carries_leaves_the_ledger() -> None:
    old = {"claims": [_claim("a"), _claim("gone")]}
    new = merge_ledger(old, [], {"a"}, {})
    assert [c["id"] for c in new["claims"]] == ["a"]


def test_claim_ids_are_read_from_the_test_sources() -> None:
    ids = claim_ids_in_tests()
    assert {"ch-allocation", "ch-alpha-eq-beta"} <= ids and len(ids) > 50


def test_spread_is_min_median_max_of_the_recorded_values() -> None:
    entry = {**_claim("a"), "values": [0.3, 0.1, 0.2, 0.5], "worst": "max"}
    out = summarise(entry)
    assert out["measured"][0] == "0.5 (worst of 4)"
    assert out["spread"].startswith("0.1 / 0.3 / 0.5")


def test_running_one_test_file_leaves_the_ledger_whole(tmp_path: Path) -> None:
    """A real partial pytest run in this repository: the ledger keeps every claim it had."""
    ledger = ROOT / "book" / "ledger.json"
    before = ledger.read_text() if ledger.exists() else None
    try:
        seeded = {"claims": [_claim(cid, chapter="lion") for cid in sorted(claim_ids_in_tests())]}
        ledger.write_text(json.dumps(seeded))
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "tests/test_chinchilla_symbolic.py",
                "-k",
                "alpha_eq_beta or allocation",
            ],
            cwd=ROOT,
            check=False,
            capture_output=True,
        )
        after = {c["id"]: c for c in json.loads(ledger.read_text())["claims"]}
        assert set(after) == {c["id"] for c in seeded["claims"]}
        assert after["ch-allocation"].get("recorded")  # the claim that ran was refreshed
        ran = {"ch-allocation", "ch-alpha-eq-beta"}
        assert all("recorded" not in c for cid, c in after.items() if cid not in ran)
    finally:
        if before is None:
            ledger.unlink(missing_ok=True)
        else:
            ledger.write_text(before)
