"""The load test in its short form (bench/load.py): gunicorn with 4 workers against the test
PostgreSQL, 16 clients mixing reads and state changes for a few seconds on 5,000 tasks.

It proves correctness under concurrency, not speed: no unexpected status, no transport error,
no lost update (every task a client changed has its version before the run + its changes and as
many history rows), and the dashboards' task counts equal a recount afterwards. The speed
targets are checked by the full form (see README, "Benchmarks").
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
                    reason="the load test needs PostgreSQL (TEST_DATABASE_URL); SQLite serialises writers")
def test_short_load_has_no_errors_and_no_lost_updates(tmp_path):
    figures = tmp_path / "load.json"
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "load.py"), "--seconds", "5", "--tasks", "5000", "--no-check",
         "--json", str(figures)],
        cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=600,
    )
    assert figures.exists(), f"bench/load.py failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    data = json.loads(figures.read_text())
    assert data["errors"] == 0, data["error_samples"]
    assert data["lost_updates"] == 0, data["samples"]
    assert data["count_discrepancies"] == 0, data["count_samples"]
    assert data["state_changes"] > 0 and data["tasks_changed"] > 0
    assert result.returncode == 0, result.stdout[-3000:]
