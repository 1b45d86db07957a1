"""Benchmark: the bulk forms' progress bar (issue 15, defect 5).

The 124 commune forms as .docx + PDF, converted as one combined document per LibreOffice process (the
old way: the bar stood still during the whole conversion) and as PDF_GROUPS_PER_PROCESS groups per
process (the bar moves as each group is done), alternately in the same run. Prints, for each, the
total time and the longest time the bar did not move, and the ratio of the totals.
Run: .venv/bin/python bench/bench_progress.py [--runs 1] [--forms 124]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--forms", type=int, default=124)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-progress-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.db'}"
    from flask_migrate import upgrade

    from workflow import create_app
    from workflow import documents as D
    from workflow.seeding import seed_all
    from workflow.services.documents import _bulk_units, indicator_forms_zip

    app = create_app("development")
    results: dict[int, list[tuple[float, float]]] = {1: [], D.PDF_GROUPS_PER_PROCESS: []}
    with app.app_context():
        upgrade()
        seed_all()
        units = _bulk_units("commune")[:args.forms]
        configured = D.PDF_GROUPS_PER_PROCESS
        for _ in range(args.runs):
            for groups in (1, configured):
                app.config["DOCUMENTS_PDF_GROUPS_PER_PROCESS"] = groups
                marks = [0.0]
                started = time.perf_counter()
                indicator_forms_zip(units, "2026-05", "1534-CV/TU",
                                    progress=lambda done, total, message: marks.append(time.perf_counter() - started))
                seconds = time.perf_counter() - started
                marks.append(seconds)
                still = max(b - a for a, b in zip(marks, marks[1:]))
                results[groups].append((seconds, still))
    old = statistics.median(s for s, _ in results[1])
    new = statistics.median(s for s, _ in results[configured])
    print(f"{len(units)} forms, {D.default_processes()} LibreOffice processes, median of {args.runs}:")
    print(f"  one combined document per process:   {old:6.1f} s, bar still for up to "
          f"{statistics.median(t for _, t in results[1]):5.1f} s")
    print(f"  {configured} groups per process:              {new:6.1f} s, bar still for up to "
          f"{statistics.median(t for _, t in results[configured]):5.1f} s")
    print(f"  ratio (groups / combined): {new / old:.2f}")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
