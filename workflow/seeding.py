"""Load the data of the seed documents (workflow/data/*.yaml) into the database.

Idempotent: units and indicators are matched by code, dispatches by number,
the key-task source by title; what exists is left as it is. The states the
6-month report records are written as history rows (each a transition the
state machine allows), so the history replays to the current state.
"""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import yaml
from sqlalchemy import select

from models import Dispatch, Holiday, Indicator, Task, TaskEvent, Unit
from workflow.clock import local_tz
from workflow.extensions import db
from workflow.services import unit_of_work
from workflow.services.dispatches import refresh_search_text
from workflow.services.tasks import new_task, resolve_deadline
from workflow.statemachine import TASK_MACHINE
from workflow.text import nfc, slugify
from workflow.queries import unit_by_code

DATA_DIR = Path(__file__).resolve().parent / "data"


def load_yaml(name: str):
    with open(DATA_DIR / name, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def commune_names() -> list[str]:
    text = (DATA_DIR / "communes.txt").read_text(encoding="utf-8")
    return [nfc(line) for line in text.splitlines() if line.strip()]


def seed_units() -> int:
    created = 0
    existing = {u.code: u for u in db.session.scalars(select(Unit))}
    rows = load_yaml("units.yaml")
    for row in rows:
        if row["code"] not in existing:
            unit = Unit(code=row["code"], name=nfc(row["name"]), kind=row["kind"],
                        aliases=[nfc(a) for a in row.get("aliases", [])], active=True)
            db.session.add(unit)
            existing[unit.code] = unit
            created += 1
    db.session.flush()
    for row in rows:
        if row.get("parent") and existing[row["code"]].parent_id is None:
            existing[row["code"]].parent = existing[row["parent"]]
    for name in commune_names():
        code = slugify(name)
        if code not in existing:
            unit = Unit(code=code, name=name, kind="commune", aliases=[], active=True)
            db.session.add(unit)
            existing[code] = unit
            created += 1
    db.session.flush()
    return created


def seed_holidays() -> int:
    path = DATA_DIR / "holidays.yaml"
    if not path.exists():
        return 0
    from workflow.deadlines import load_holidays

    have = set(db.session.scalars(select(Holiday.date)))
    created = 0
    for row in load_holidays(path):
        if row["date"] not in have:
            db.session.add(Holiday(date=row["date"], name=nfc(row["name"])))
            have.add(row["date"])
            created += 1
    db.session.flush()
    return created


def _unit(code: str) -> Unit:
    unit = unit_by_code(code)
    if unit is None:
        raise ValueError(f"seed data names an unknown unit code {code!r}")
    return unit


def _local_start(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=local_tz())


def _record(task: Task, event: str, to_status: str, at: datetime, note: str | None = None, *,
            deadline_after: datetime | None = None, data: dict | None = None) -> None:
    """Append a recorded event; it must be a transition the state machine allows."""
    source = task.status
    transitions = TASK_MACHINE.events[event].transitions.get(source)
    if not transitions:
        raise ValueError(f"seed records {event} from {source}, which the state machine does not allow")
    dest = transitions[0].dest or source
    if len(transitions) == 1 and dest != to_status:
        raise ValueError(f"seed records {event} {source}->{to_status}, the machine goes to {dest}")
    before = task.deadline
    if deadline_after is not None:
        task.deadline = deadline_after
    task.status = to_status
    task.version += 1
    task.updated_at = at
    db.session.add(TaskEvent(task=task, actor=None, event=event, from_status=source, to_status=to_status,
                             note=note, deadline_before=before, deadline_after=task.deadline,
                             data=data or {}, version=task.version, at=at))


def dispatch_source_text(row: dict) -> str | None:
    """The dispatch as written (``source_file`` next to its YAML), normalised like an imported text."""
    if not row.get("source_file"):
        return None
    from workflow.importer import normalise_source

    return normalise_source((DATA_DIR / "dispatches" / row["source_file"]).read_text(encoding="utf-8"))


def seed_dispatch(row: dict) -> Dispatch | None:
    """One dispatch file; skipped when a dispatch with that number exists."""
    issued_on: date = row["issued_on"]
    found = db.session.scalar(select(Dispatch).where(
        Dispatch.number == row["number"], Dispatch.symbol == row["symbol"], Dispatch.year == issued_on.year))
    if found is not None:
        if found.source_text is None and row.get("source_file"):  # seeded before the text was kept
            found.source_text = dispatch_source_text(row)
        return None
    dispatch = Dispatch(
        number=row["number"], symbol=row["symbol"], year=issued_on.year, kind=row.get("kind", "CV"),
        issuer=_unit(row["issuer"]), issued_on=issued_on, subject=nfc(row["subject"]),
        recipients=[nfc(r) for r in row.get("recipients", [])], recipient_codes=row.get("recipient_codes", []),
        distribution=[nfc(r) for r in row.get("distribution", [])],
        signing_authority=row.get("signing_authority", ""), signer_title=row.get("signer_title", ""),
        signer_name=nfc(row.get("signer_name", "")), references=[nfc(r) for r in row.get("references", [])],
        directives=[{"item": d["item"], "text": nfc(d["text"])} for d in row.get("directives", [])],
        preamble=nfc(row.get("preamble", "")) or "", status="issued",
        source_text=dispatch_source_text(row),
    )
    refresh_search_text(dispatch)
    db.session.add(dispatch)
    created_at = _local_start(issued_on)
    for spec in row.get("tasks", []):
        deadline = recurrence = period = None
        if spec.get("deadline_text"):
            deadline, recurrence, period = resolve_deadline(spec["deadline_text"], issued_on, created_at)
        new_task(dispatch=dispatch, item=str(spec["item"]), title=spec["title"], lead_unit=_unit(spec["lead"]),
                 coordinating=[_unit(c) for c in spec.get("coordinating", [])], deadline=deadline,
                 deadline_text=spec.get("deadline_text"), recurrence=recurrence, period=period,
                 product=spec.get("product"), person_in_charge=spec.get("person_in_charge"),
                 authority=spec.get("authority"), now=created_at,
                 note=f"Giao tại {dispatch.display_name}")
    return dispatch


def seed_key_tasks() -> Dispatch | None:
    """The 6-month report's key tasks, in the states it records, then the second-half plan."""
    data = load_yaml("key_tasks.yaml")
    source, recorded = data["source"], data["recorded"]
    if db.session.scalar(select(Dispatch).where(Dispatch.title == source["title"])) is not None:
        return None
    program = Dispatch(
        number=None, symbol="CTr/TU", year=source["issued_on"].year, kind=source["kind"], title=source["title"],
        issuer=_unit(source["issuer"]), issued_on=source["issued_on"], subject=nfc(source["subject"]),
        signing_authority=source.get("signing_authority", ""), status="issued",
    )
    refresh_search_text(program)
    db.session.add(program)
    assigned_at = datetime.fromisoformat(str(recorded["assigned_at"]))
    report_at = datetime.fromisoformat(str(recorded["report_at"]))
    plan_at = datetime.fromisoformat(str(recorded["plan_at"]))
    report, plan = recorded["report_name"], recorded["plan_name"]

    def make(spec, at, note):
        deadline = None
        if spec.get("deadline_text"):
            deadline, _, _ = resolve_deadline(str(spec["deadline_text"]), source["issued_on"], at)
        return new_task(dispatch=program, item=spec["item"], title=spec["title"], lead_unit=_unit(spec["lead"]),
                        coordinating=[_unit(c) for c in spec.get("coordinating", [])], deadline=deadline,
                        deadline_text=str(spec["deadline_text"]) if spec.get("deadline_text") else None,
                        authority=source["authority"], now=at, note=note)

    for spec in data["completed"]:
        task = make(spec, assigned_at, None)
        evidence = f"{report}: đã hoàn thành" + (f" ({spec['note']})" if spec.get("note") else "") + "."
        task.evidence_note, task.completed_at, task.on_time = evidence, report_at, True
        _record(task, "complete", "completed", report_at, evidence,
                data={"evidence_note": evidence, "on_time": True})
    for spec in data["pending"]:
        task = make(spec, assigned_at, None)
        status_note = f"{report}: {spec['status_text']}"
        _record(task, "start", "in_progress", assigned_at, None)
        if spec.get("progress_note"):
            _record(task, "report", "in_progress", report_at, nfc(spec["progress_note"]))
        if spec["state"] == "overdue":
            _record(task, "mark_overdue", "overdue", report_at, status_note)
        else:
            _record(task, "report", "in_progress", report_at, status_note)
        new_deadline, _, _ = resolve_deadline(str(spec["new_deadline_text"]), source["issued_on"], plan_at)
        if spec.get("extension_requested"):
            task.extension_deadline, task.extension_reason = new_deadline, spec["status_text"]
            task.extension_requested_at = report_at
            _record(task, "request_extension", task.status, report_at, spec["status_text"],
                    data={"proposed_deadline": new_deadline.isoformat()})
            task.extension_deadline = task.extension_reason = task.extension_requested_at = None
        task.extended = True
        _record(task, "approve_extension", "in_progress", plan_at,
                f"{plan}: thời hạn hoàn thành {spec['new_deadline_text']}.", deadline_after=new_deadline,
                data={"requested_deadline": new_deadline.isoformat()})
        task.deadline_text = str(spec["new_deadline_text"])
    for spec in data["new"]:
        make(spec, plan_at, f"Giao tại {plan}.")
    return program


INDICATOR_FILES = ("indicators_1534.yaml", "indicators_1640.yaml", "indicators_bc_6_thang_2026.yaml")


def indicator_rows(data: dict) -> list[dict]:
    """The rows of one catalogue file as Indicator fields (the 1640 file groups its criteria by axis)."""
    catalogue, frequency = data["catalogue"], data.get("frequency", "monthly")
    rows = []
    if "axes" in data:  # 1640-CV/BTCTU: criteria grouped by axis
        position = 0
        for axis in data["axes"]:
            for spec in axis["items"]:
                position += 1
                rows.append({
                    "code": f"TC{spec['item']}", "catalogue": catalogue, "group": nfc(axis["heading"]),
                    "position": position, "name": nfc(spec["name"]), "sub_code": None,
                    "measure_unit": spec.get("measure_unit"), "target_text": spec.get("target"), "lead": None,
                    "source_text": nfc(data.get("title")), "frequency": frequency,
                    "figures": {"axis": axis["axis"], "axis_stt": axis["stt"], "item": spec["item"],
                                "axis_heading_as_written": nfc(axis.get("heading_as_written", axis["heading"])),
                                "value_kind": "number" if spec.get("measure_unit") else "text"},
                })
        return rows
    for row in data["indicators"]:
        figures = dict(row.get("figures") or {})
        if row.get("second_half"):
            figures["second_half"] = row["second_half"]
        for key in ("stt", "parent"):
            if row.get(key):
                figures[key] = row[key]
        target = row.get("target")
        rows.append({
            "code": row["code"], "catalogue": catalogue, "group": nfc(row.get("group")),
            "position": row["position"], "name": nfc(row["name"]), "sub_code": row.get("sub_code"),
            "measure_unit": row.get("measure_unit"), "target_text": None if target is None else str(target),
            "lead": row.get("lead"), "source_text": nfc(row.get("source_text")),
            "frequency": row.get("frequency", frequency), "figures": figures,
        })
    return rows


def seed_indicators() -> int:
    """The catalogues of 1534-CV/TU, 1640-CV/BTCTU and the 6-month report; matched by code."""
    have = set(db.session.scalars(select(Indicator.code)))
    created = 0
    for name in INDICATOR_FILES:
        for row in indicator_rows(load_yaml(name)):
            if row["code"] in have:
                continue
            lead = row.pop("lead")
            db.session.add(Indicator(**row, lead_unit=_unit(lead) if lead else None))
            have.add(row["code"])
            created += 1
    db.session.flush()
    return created


def seed_all() -> dict:
    """Load everything; return counts of what was created (zeros on a second run)."""
    with unit_of_work():
        counts = {"units": seed_units(), "holidays": seed_holidays()}
        dispatches = 0
        for path in sorted((DATA_DIR / "dispatches").glob("*.yaml")):
            if seed_dispatch(load_yaml(f"dispatches/{path.name}")) is not None:
                dispatches += 1
        if seed_key_tasks() is not None:
            dispatches += 1
        counts["dispatches"] = dispatches
        counts["indicators"] = seed_indicators()
    return counts
