"""API routes for dispatches, tasks, events and the overdue list."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import g, jsonify, request

from workflow import permissions, queries
from workflow.api import api_auth, bp, json_body, listing, pagination_args, task_list
from workflow.api.serializers import dispatch_json, task_json
from workflow import clock
from workflow.clock import MAX_YEAR, MIN_YEAR, local_tz, parse_iso_date, parse_iso_datetime
from workflow.errors import NotFound, ValidationError
from workflow.services import dispatches as dispatch_service
from workflow.services import tasks as task_service

STATUSES = ("assigned", "in_progress", "overdue", "completed")


def parse_deadline_value(value, field: str = "deadline") -> datetime | None:
    """An ISO datetime (with or without offset: local time) or a date (the end of that day)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{field} phải là ngày giờ ISO 8601, ví dụ 2026-07-31T17:00:00+07:00.")
    try:
        if len(value.strip()) == 10:
            day = parse_iso_date(value)
            return datetime.combine(day, time(23, 59, 59), tzinfo=local_tz())
        return parse_iso_datetime(value, local_tz())
    except ValueError:
        raise ValidationError(
            f"{field} không hợp lệ: \"{value[:60]}\" (dùng ISO 8601 với năm từ {MIN_YEAR} đến {MAX_YEAR}, "
            "ví dụ 2026-07-31 hoặc 2026-07-31T17:00:00+07:00)."
        ) from None


def text_field(data: dict, name: str, *, required: bool = False, max_length: int = 5000) -> str | None:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise ValidationError(f"Thiếu trường bắt buộc \"{name}\".")
        return None
    if not isinstance(value, str):
        raise ValidationError(f"Trường \"{name}\" phải là chuỗi ký tự.")
    if len(value) > max_length:
        raise ValidationError(f"Trường \"{name}\" quá dài (tối đa {max_length} ký tự).")
    return value


def request_now() -> datetime:
    return clock.utcnow()


@bp.get("/dispatches")
@api_auth
def list_dispatches():
    page, per_page = pagination_args()
    status = request.args.get("status") or None
    if status and status not in ("draft", "issued", "closed"):
        raise ValidationError("status phải là draft, issued hoặc closed.")
    from models import Dispatch

    query = queries.dispatch_query(g.api_user, q=request.args.get("q"), status=status)
    page_obj = queries.paginate(query, page, per_page,
                                (Dispatch.issued_on.desc().nulls_last(), Dispatch.id.desc()))
    counts = queries.dispatch_counts([d.id for d in page_obj.items], g.api_user)
    return jsonify(listing(page_obj, [dispatch_json(d, counts=counts[d.id]) for d in page_obj.items]))


@bp.get("/dispatches/<path:ref>")
@api_auth
def get_dispatch(ref: str):
    dispatch = dispatch_service.get_dispatch(g.api_user, ref)
    now = request_now()
    counts = queries.dispatch_counts([dispatch.id], g.api_user)[dispatch.id]
    data = dispatch_json(dispatch, counts=counts)
    tasks = queries.task_query(g.api_user, dispatch=dispatch, include_drafts=True)
    from models import Task
    from workflow.extensions import db

    data["tasks"] = [task_json(t, now) for t in db.session.scalars(tasks.order_by(Task.id))]
    return jsonify(data)


@bp.get("/tasks")
@api_auth
def list_tasks():
    # The answer's body kept per database state (workflow/snapshots.py), for the caller as read before the
    # key (id, role, unit), the whole query string and the minute it is computed for.
    from flask import current_app

    from workflow import snapshots

    caller, now = g.api_user, snapshots.minute(request_now())
    body = snapshots.kept(("api.list_tasks", request.query_string, caller.id, caller.role, caller.unit_id, now),
                          lambda: _task_list_body(now))
    return current_app.response_class(body, mimetype="application/json")


def _task_list_args(now: datetime) -> tuple[int, int, dict]:
    """The page, page size and ``task_query`` filters of ``GET /tasks``'s query string at ``now`` (a
    ValidationError for a bad one); ``unit`` and ``dispatch`` as objects with their ``id``."""
    page, per_page = pagination_args()
    args = request.args
    status = args.get("status") or None
    if status and status not in STATUSES:
        raise ValidationError(f"status phải là một trong: {', '.join(STATUSES)}.")
    unit = None
    if args.get("unit"):
        unit = task_list.unit_by_code(args["unit"])
        if unit is None:
            raise ValidationError(f"Không tìm thấy đơn vị có mã \"{args['unit']}\".")
    dispatch = None
    if args.get("dispatch"):
        dispatch = dispatch_service.find_dispatch(args["dispatch"])
        # A dispatch the caller may not see (another office's draft) answers exactly as a missing one.
        if dispatch is None or not permissions.can_view_dispatch(g.api_user, dispatch):
            raise ValidationError(f"Không tìm thấy công văn \"{args['dispatch'][:100]}\".")
    warning = args.get("warning") or None
    if warning and warning not in ("green", "yellow", "red"):
        raise ValidationError("warning phải là green, yellow hoặc red.")
    filters = dict(status=status, unit=unit, dispatch=dispatch, q=args.get("q"), warning=warning, now=now,
                   deadline_from=parse_deadline_value(args.get("deadline_from"), "deadline_from"),
                   deadline_to=parse_deadline_value(args.get("deadline_to"), "deadline_to"))
    return page, per_page, filters


def _task_list_body(now: datetime) -> bytes:
    """The JSON body of ``GET /tasks`` for the query string at ``now`` (a ValidationError for a bad one):
    ``task_list.body`` (statements built once, plain rows), else ``task_list_reference``'s answer."""
    page, per_page, filters = _task_list_args(now)
    from flask import current_app

    found = task_list.body(g.api_user, now, page, per_page, task_list.Filters(
        status=filters["status"], unit_id=None if filters["unit"] is None else filters["unit"].id,
        dispatch_id=None if filters["dispatch"] is None else filters["dispatch"].id,
        words=tuple(queries.search_words(filters["q"])), warning=filters["warning"], now=now,
        deadline_from=filters["deadline_from"], deadline_to=filters["deadline_to"]), current_app.config)
    if found is None:
        return _task_list_reference_body(now, page, per_page, filters)
    return task_list.encode(found) or jsonify(found).get_data()


def task_list_reference(now: datetime) -> bytes:
    """``GET /tasks``'s body computed the general way (``task_query``, ``paginate``, ``task_json``): what
    ``task_list.body`` must equal byte for byte (the tests compare them)."""
    return _task_list_reference_body(now, *_task_list_args(now))


def _task_list_reference_body(now: datetime, page: int, per_page: int, filters: dict) -> bytes:
    query = queries.task_query(g.api_user, **filters)
    from models import Task

    page_obj = queries.paginate(query, page, per_page, (Task.deadline.asc().nulls_last(), Task.id.asc()),
                                total=queries.task_total(g.api_user, query, **filters),
                                search=bool(queries.search_words(filters["q"])), views=True)
    tz = local_tz()  # once for the page, not per task
    return jsonify(listing(page_obj, [task_json(t, now, tz=tz) for t in page_obj.items])).get_data()


@bp.get("/tasks/<int:task_id>")
@api_auth
def get_task(task_id: int):
    task = task_service.get_task(g.api_user, task_id)
    data = task_json(queries.task_detail(task.id), request_now(), history=True)
    from workflow.api.collab import current_assignee_json  # the person in charge (issue 15)

    data["assignee"] = current_assignee_json(task.id)
    return jsonify(data)


@bp.post("/tasks")
@api_auth
def create_task():
    data = json_body()
    coordinating = data.get("coordinating_units") or []
    if not isinstance(coordinating, list) or not all(isinstance(c, str) for c in coordinating):
        raise ValidationError("coordinating_units phải là danh sách mã đơn vị.")
    task = task_service.create_task(
        g.api_user,
        dispatch_ref=text_field(data, "dispatch", required=True, max_length=100),
        title=text_field(data, "title", required=True),
        lead_unit=text_field(data, "lead_unit", required=True, max_length=120),
        coordinating=coordinating,
        deadline=parse_deadline_value(data.get("deadline")),
        deadline_text=text_field(data, "deadline_text", max_length=300),
        item=text_field(data, "item", max_length=20) or "",
        product=text_field(data, "product"),
        person_in_charge=text_field(data, "person_in_charge", max_length=200),
        authority=text_field(data, "authority", max_length=200),
        now=request_now(),
    )
    response = jsonify(task_json(task, request_now(), history=True))
    response.status_code = 201
    return response


def parse_evidence(value) -> tuple[str | None, date | None, str | None]:
    """``evidence``: text, or {"number", "date"} (a note may be added as "note")."""
    if value is None or value == "":
        return None, None, None
    if isinstance(value, str):
        return None, None, value
    if isinstance(value, dict):
        number, day, note = value.get("number"), value.get("date"), value.get("note")
        if number is not None and not isinstance(number, str):
            raise ValidationError("evidence.number phải là chuỗi ký tự.")
        if note is not None and not isinstance(note, str):
            raise ValidationError("evidence.note phải là chuỗi ký tự.")
        parsed_day = None
        if day not in (None, ""):
            try:
                parsed_day = parse_iso_date(day) if isinstance(day, str) else None
            except ValueError:
                parsed_day = None
            if parsed_day is None:
                raise ValidationError("evidence.date phải là ngày ISO 8601, ví dụ 2026-06-15.")
        return number or None, parsed_day, note or None
    raise ValidationError("evidence phải là chuỗi hoặc đối tượng {\"number\", \"date\"}.")


@bp.post("/tasks/<int:task_id>/events")
@api_auth
def fire_event(task_id: int):
    data = json_body()
    event = text_field(data, "event", required=True, max_length=40)
    version = data.get("version")
    evidence_number, evidence_date, evidence_note = parse_evidence(data.get("evidence"))
    task = task_service.fire_event(
        g.api_user, task_id, event, version=version, now=request_now(),
        note=text_field(data, "note"), evidence_number=evidence_number, evidence_date=evidence_date,
        evidence_note=evidence_note, deadline=parse_deadline_value(data.get("deadline")),
    )
    return jsonify(task_json(task, request_now(), history=True))


@bp.get("/overdue")
@api_auth
def overdue():
    page, per_page = pagination_args()
    as_of = parse_deadline_value(request.args.get("as_of"), "as_of") or request_now()
    query, order = queries.overdue_query(g.api_user, as_of)
    page_obj = queries.paginate(query, page, per_page, order, total=queries.overdue_total(g.api_user, as_of),
                                views=True)
    items = []
    for task in page_obj.items:
        item = task_json(task, as_of)
        item["days_late"] = queries.days_late(task, as_of)
        items.append(item)
    body = listing(page_obj, items)
    body["as_of"] = as_of.isoformat()
    return jsonify(body)
