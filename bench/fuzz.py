"""Benchmark: fuzzing at length (issue 14). Prints, per target, the inputs tried and how many were
answered 5xx (the only failure), with the statuses seen; exits 1 if any 5xx.

Targets (the strategies of tests/fuzz_inputs.py, which tests/test_fuzz.py runs a few times in CI):
  docx      POST /api/v1/dispatches/import, multipart .docx: valid documents from the seed dispatch's
            lines mutated, garbage document.xml, flipped bytes, random bytes
  xlsx      POST /api/v1/indicators/import: a unit's exported form with random cells (formulas,
            dates, huge numbers), garbage parts, flipped bytes, random bytes
  text      POST /api/v1/dispatches/import, text/plain: mutated seed dispatch, random text
  stateful  schemathesis' state machine over /api/v1/openapi.json, following its links, as the
            office and as a department
  json      every JSON operation of the API with schemathesis' generated bodies and parameters

Run: .venv/bin/python bench/fuzz.py [--examples 500] [--only docx,xlsx,text,stateful,json]
(a temporary SQLite database; --database-url postgresql://… for a server). Not timed against a
target: the figure is "inputs tried, 5xx = 0".
"""
from __future__ import annotations

import argparse
import collections
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TARGETS = ("docx", "xlsx", "text", "stateful", "json")


class Tally:
    def __init__(self, name: str) -> None:
        self.name, self.tried, self.statuses, self.failures = name, 0, collections.Counter(), []
        self.started = time.perf_counter()
        self.seconds = 0.0

    def done(self) -> "Tally":
        self.seconds = time.perf_counter() - self.started
        return self

    def add(self, status: int, what) -> None:
        self.tried += 1
        self.statuses[status] += 1
        if status >= 500 and len(self.failures) < 5:
            self.failures.append(repr(what)[:300])

    @property
    def server_errors(self) -> int:
        return sum(n for s, n in self.statuses.items() if s >= 500)


def run_given(strategy, examples: int, body) -> None:
    from hypothesis import HealthCheck, Phase, given, settings

    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None,
              phases=[Phase.generate])
    @given(strategy)
    def run(value):
        body(value)

    run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=500, help="inputs per target (default 500)")
    parser.add_argument("--only", default=",".join(TARGETS), help=f"targets, among {', '.join(TARGETS)}")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args(argv)
    only = [t.strip() for t in args.only.split(",") if t.strip()]
    unknown = [t for t in only if t not in TARGETS]
    if unknown:
        parser.error(f"unknown targets {unknown}")

    handle, path = tempfile.mkstemp(prefix="workflow-fuzz-", suffix=".db")
    os.close(handle)
    os.environ["TEST_DATABASE_URL"] = args.database_url or f"sqlite:///{path}"
    import logging

    logging.disable(logging.CRITICAL)  # the 4xx answers are expected; only the counts matter
    from hypothesis import strategies as st

    from tests import fuzz_inputs as fuzz
    from tests.conftest import build_database
    from workflow import clock, create_app

    app = create_app("testing")
    tokens = build_database(app)
    frozen = datetime(2026, 11, 22, 8, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    clock.utcnow = lambda: frozen  # the tests' fixed clock
    tallies: list[Tally] = []
    with app.app_context():
        client = app.test_client()
        office = tokens["office"]
        if "docx" in only:
            tally = Tally("docx upload")
            run_given(fuzz.DOCX, args.examples, lambda data: tally.add(fuzz.send_docx(client, office, data), data[:80]))
            tallies.append(tally.done())
        if "xlsx" in only:
            tally = Tally("xlsx upload")
            template = fuzz.export_form(client, office)
            run_given(fuzz.xlsx_strategy(template), args.examples,
                      lambda data: tally.add(fuzz.send_xlsx(client, office, data), data[:80]))
            tallies.append(tally.done())
        if "text" in only:
            tally = Tally("pasted text")
            run_given(fuzz.TEXT, args.examples, lambda text: tally.add(fuzz.send_text(client, office, text), text[:80]))
            tallies.append(tally.done())
        if "stateful" in only or "json" in only:
            import schemathesis
            from hypothesis import HealthCheck, settings

            schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
        if "stateful" in only:
            tally = Tally("stateful API")
            base = schema.as_state_machine()
            for user in ("office", "taichinh"):
                class Machine(base):
                    token = tokens[user]

                    def before_call(self, case):
                        if case.method == "POST" and case.path == "/api/v1/tasks" and isinstance(case.body, dict):
                            case.body.update(dispatch="1775-CV/TU", lead_unit="so-tai-chinh")

                    def get_call_kwargs(self, case):
                        return {"headers": {"Authorization": f"Bearer {self.token}"}}

                    def validate_response(self, response, case, additional_checks=None, **kwargs):
                        tally.add(response.status_code, (case.method, case.formatted_path, case.body))

                Machine.run(settings=settings(max_examples=max(1, args.examples // 10), stateful_step_count=10,
                                              deadline=None, suppress_health_check=list(HealthCheck), database=None))
            tallies.append(tally.done())
        if "json" in only:
            tally = Tally("every operation")
            per_operation = max(1, args.examples // 20)
            for result in schema.get_all_operations():
                operation = result.ok()
                if operation.path in ("/api/v1/documents",) and operation.method.upper() == "POST":
                    continue  # a real LibreOffice render per input (bench_documents.py measures it)
                strategy = operation.as_strategy()
                run_given(strategy, per_operation, lambda case: tally.add(
                    case.call(headers={"Authorization": f"Bearer {office}"}).status_code,
                    (case.method, case.formatted_path, case.body)))
            tallies.append(tally.done())
    os.unlink(path)

    print(f"fuzz: {args.examples} inputs per target, database {'PostgreSQL' if args.database_url else 'SQLite'}")
    print(f"{'target':<18}{'inputs tried':>14}{'5xx':>6}{'seconds':>9}  statuses")
    for tally in tallies:
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(tally.statuses.items()))
        print(f"{tally.name:<18}{tally.tried:>14}{tally.server_errors:>6}{tally.seconds:>9.1f}  {statuses}")
        for failure in tally.failures:
            print(f"    5xx: {failure}")
    total = sum(t.tried for t in tallies)
    errors = sum(t.server_errors for t in tallies)
    print(f"inputs tried: {total:,}".replace(",", ".") + f", 5xx = {errors}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
