"""Indicator pages: a unit's form for a period, the office's matrix, an indicator's history, the 6-month table,
and the workbook upload. Thin: parse, call ``workflow.services.indicators``, flash, render."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from models import Indicator
from workflow import permissions
from workflow.errors import DomainError, ValidationError
from workflow.extensions import db
from workflow.services import indicators as service
from workflow.targets import format_number
from workflow.web import bp, flash_error
from workflow.web.forms import REQUIRED, Form
from workflow.web.helpers import now, param, require, user
from workflow.queries import unit_by_code

DEFAULT_CATALOGUE = "1534-CV/TU"


class PeriodForm(Form):
    """The office opens a period (one report task per reporting unit)."""
    catalogue = StringField(validators=[DataRequired(REQUIRED), Length(max=40)])
    period = StringField("Kỳ báo cáo", validators=[DataRequired(REQUIRED), Length(max=20)])


class AcceptForm(Form):
    catalogue = StringField(validators=[DataRequired(REQUIRED), Length(max=40)])
    period = StringField(validators=[DataRequired(REQUIRED), Length(max=20)])
    unit = StringField(validators=[DataRequired(REQUIRED), Length(max=120)])


class ImportForm(Form):
    file = FileField("Bảng tính đã điền (.xlsx)")
    unit = SelectField("Đơn vị báo cáo", validators=[Optional()])
    period = StringField("Kỳ báo cáo", validators=[Optional(), Length(max=20)],
                         description="Để trống: lấy theo dòng \"Kỳ báo cáo\" trong biểu tải từ hệ thống.")


def report_form_class(indicators):
    """A form with one value and four texts per indicator (fields ``value_<id>``, ``description_<id>`` …)."""
    fields = {}
    for indicator in indicators:
        fields[f"value_{indicator.id}"] = StringField("Kết quả", validators=[Length(max=120)])
        for name in service.REPORT_TEXT_FIELDS:
            fields[f"{name}_{indicator.id}"] = TextAreaField(validators=[Length(max=service.TEXT_LIMITS[name])],
                                                             render_kw={"rows": 2})
    return type("IndicatorReportForm", (Form,), fields)


def _catalogue_arg():
    try:
        return service.get_catalogue(param(request.args, "catalogue", 40) or DEFAULT_CATALOGUE)
    except ValidationError:
        return service.get_catalogue(DEFAULT_CATALOGUE)


def _period_arg(cat, name: str = "period"):
    """The period asked for, or the current one; (period or None, error message)."""
    raw = param(request.args, name, 20)
    if not raw:
        return service.current_period(cat.frequency, now()), None
    try:
        return service.catalogue_period(cat, raw, now()), None
    except DomainError as exc:
        return None, exc.message


def _reportable_catalogues():
    return [c for c in service.catalogues() if c.reportable]


@bp.get("/indicators")
def indicator_index():
    """The catalogues; a unit sees the link to its own form."""
    me = user()
    cats = []
    for cat in service.catalogues():
        indicators = service.catalogue_indicators(cat.code)
        mine = service.unit_indicators(me.unit, cat, indicators) if me.unit and me.role == "department" else []
        cats.append({"catalogue": cat, "indicators": indicators, "mine": mine,
                     "period": service.current_period(cat.frequency, now()) if cat.reportable else None})
    return render_template("indicators/index.html", catalogues=cats, can_read_all=permissions.can_read_all(me),
                           targets={i.code: service.target_of(i) for c in cats for i in c["indicators"]})


@bp.route("/indicators/report", methods=["GET", "POST"])
def indicator_report():
    """A unit's form for a period: values, description, difficulties, proposals, notes; save or submit."""
    me = user()
    cat = _catalogue_arg()
    code = param(request.args, "unit", 120) or (me.unit.code if me.unit and me.role == "department" else "")
    if not code:
        flash("Chọn đơn vị báo cáo.", "warning")
        return redirect(url_for("web.indicator_matrix", catalogue=cat.code))
    unit = unit_by_code(code)
    if unit is None:
        return render_template("error.html", message="Không tìm thấy đơn vị.", status=404), 404
    require(permissions.can_view_indicator_report(me, unit))
    period, problem = _period_arg(cat)
    if problem:
        return render_template("error.html", message=problem, status=400), 400
    try:
        unit, cat, period, deadline, rows = service.unit_form(unit.code, cat.code, period.code, now=None)
    except DomainError as exc:
        return render_template("error.html", message=exc.message, status=exc.status), exc.status
    if not rows:
        return render_template("error.html", status=400,
                               message=f"{unit.name} không phải đơn vị báo cáo của danh mục {cat.code}."), 400
    form = report_form_class([i for i, _, _ in rows])()
    editable = permissions.can_submit_indicator_report(me, unit)
    if request.method == "GET":
        for indicator, report, _ in rows:
            if report is not None:
                value = report.value_text if report.value_text is not None else format_number(report.value)
                getattr(form, f"value_{indicator.id}").data = value or ""
                for name in service.REPORT_TEXT_FIELDS:
                    getattr(form, f"{name}_{indicator.id}").data = getattr(report, name) or ""
    elif not editable:
        return render_template("error.html", message="Không có quyền gửi báo cáo của đơn vị này.", status=403), 403
    elif form.validate_on_submit():
        submit = request.form.get("action") == "submit"
        inputs = []
        for indicator, _, _ in rows:
            inputs.append(service.ReportInput(
                indicator, getattr(form, f"value_{indicator.id}").data or None,
                **{name: getattr(form, f"{name}_{indicator.id}").data or None for name in service.REPORT_TEXT_FIELDS}))
        try:
            service.save_unit_reports(me, unit_code=unit.code, catalogue=cat.code, period=period.code, rows=inputs,
                                      submit=submit, now=now(), via="web")
        except DomainError as exc:
            for message in exc.details.get("problems") or [exc.message]:
                flash(message, "danger")
            return render_template("indicators/report.html", form=form, rows=rows, unit=unit, catalogue=cat,
                                   period=period, deadline=deadline, editable=editable,
                                   task=_task_of(cat, unit, period)), 400
        flash("Đã gửi báo cáo." if submit else "Đã lưu bản nháp.", "success")
        return redirect(url_for("web.indicator_report", catalogue=cat.code, unit=unit.code, period=period.code))
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "danger")
        return render_template("indicators/report.html", form=form, rows=rows, unit=unit, catalogue=cat,
                               period=period, deadline=deadline, editable=editable,
                               task=_task_of(cat, unit, period)), 400
    return render_template("indicators/report.html", form=form, rows=rows, unit=unit, catalogue=cat, period=period,
                           deadline=deadline, editable=editable, task=_task_of(cat, unit, period))


def _task_of(cat, unit, period):
    from models import IndicatorPeriodTask

    link = db.session.scalar(select(IndicatorPeriodTask).where(
        IndicatorPeriodTask.catalogue == cat.code, IndicatorPeriodTask.unit_id == unit.id,
        IndicatorPeriodTask.period == period.code))
    return link.task if link else None


@bp.get("/indicators/matrix")
def indicator_matrix():
    """Office, leader, admin: units × indicators for a period, completeness and on-time rates."""
    require(permissions.can_read_all(user()))
    cat = _catalogue_arg()
    if not cat.reportable:
        cat = service.get_catalogue(DEFAULT_CATALOGUE)
    period, problem = _period_arg(cat)
    if problem:
        flash(problem, "danger")
        return render_template("indicators/matrix.html", matrix=None, catalogue=cat,
                               catalogues=_reportable_catalogues(), period_value=param(request.args, "period", 20),
                               kind="", open_form=PeriodForm(), accept_form=AcceptForm()), 400
    kind = param(request.args, "kind", 20)
    matrix = service.period_matrix(cat.code, period.code, now=now(), unit_kind=kind or None)
    return render_template("indicators/matrix.html", matrix=matrix, catalogue=cat,
                           catalogues=_reportable_catalogues(), period_value=period.code, kind=kind,
                           judge=service.judgement, open_form=PeriodForm(), accept_form=AcceptForm(),
                           can_review=permissions.can_review_indicator_reports(user()), now=now())


@bp.post("/indicators/periods")
def indicator_open_period():
    require(permissions.can_review_indicator_reports(user()))
    form = PeriodForm()
    if form.validate_on_submit():
        try:
            created = service.open_period(user(), catalogue=form.catalogue.data, period=form.period.data, now=now())
            flash(f"Đã mở kỳ báo cáo: {created} nhiệm vụ báo cáo mới được giao.", "success")
        except DomainError as exc:
            flash_error(exc)
    return redirect(url_for("web.indicator_matrix", catalogue=form.catalogue.data or None,
                            period=form.period.data or None))


@bp.post("/indicators/accept")
def indicator_accept():
    require(permissions.can_review_indicator_reports(user()))
    form = AcceptForm()
    if form.validate_on_submit():
        try:
            count = service.accept_unit_period(user(), unit_code=form.unit.data, catalogue=form.catalogue.data,
                                               period=form.period.data, now=now())
            flash(f"Đã tiếp nhận {count} báo cáo.", "success")
        except DomainError as exc:
            flash_error(exc)
    return redirect(url_for("web.indicator_matrix", catalogue=form.catalogue.data or None,
                            period=form.period.data or None))


@bp.route("/indicators/import", methods=["GET", "POST"])
def indicator_import():
    """Upload a filled workbook (the 1534 layout): every bad cell listed, nothing saved unless all is valid."""
    me = user()
    cat = _catalogue_arg()
    if not cat.reportable:
        cat = service.get_catalogue(DEFAULT_CATALOGUE)
    require(me.role in ("office", "department"))
    form = ImportForm()
    units = service.reporting_units(cat) if me.role == "office" else ([me.unit] if me.unit else [])
    form.unit.choices = [("", "— theo biểu —")] + [(u.code, u.name) for u in units]
    problems = []
    status = 400
    if form.validate_on_submit():
        upload = form.file.data
        if upload is None or not getattr(upload, "filename", ""):
            problems = ["Chọn tệp bảng tính .xlsx để tải lên."]
        else:
            try:
                reports = service.import_workbook(me, upload.read(5 * 1024 * 1024 + 1), catalogue=cat.code,
                                                  unit_code=form.unit.data or None, period=form.period.data or None,
                                                  now=now())
                flash(f"Đã nhập và gửi {len(reports)} chỉ tiêu từ bảng tính.", "success")
                if reports:
                    first = reports[0]
                    return redirect(url_for("web.indicator_report", catalogue=cat.code, unit=first.unit.code,
                                            period=first.period))
                return redirect(url_for("web.indicator_import", catalogue=cat.code))
            except DomainError as exc:
                problems = exc.details.get("problems") or [exc.message]
                if exc.status == 403:
                    problems = [exc.message]
                if exc.status in (413, 422):  # too large once unpacked, unreadable (workflow/uploads.py)
                    status = exc.status
    elif request.method == "POST":
        problems = [str(m) for errors in form.errors.values() for m in errors]
    status = status if problems else 200
    return render_template("indicators/import.html", form=form, catalogue=cat, problems=problems), status


@bp.get("/indicators/six-month")
def indicator_six_month():
    """The 6-month report's table: plan, scenario, actual, year-on-year, progress, and the second-half targets."""
    cat = service.get_catalogue("bc-6-thang-2026")
    rows = []
    for indicator in service.catalogue_indicators(cat.code):
        figures = indicator.figures or {}
        target = service.target_of(indicator)
        rows.append({"indicator": indicator, "figures": figures, "target": target,
                     "computed": service.progress(figures.get("actual"), target) if figures.get("actual") else None,
                     "verdict": service.judge(target, figures.get("actual")) if figures.get("actual") else None})
    return render_template("indicators/six_month.html", catalogue=cat, rows=rows)


@bp.get("/indicators/<code>")
def indicator_detail(code: str):
    """An indicator with its history per period as a server-rendered SVG chart."""
    indicator = db.session.scalar(select(Indicator).where(Indicator.code == code[:40]))
    if indicator is None:
        return render_template("error.html", message="Không tìm thấy chỉ tiêu.", status=404), 404
    me = user()
    cat = service.get_catalogue(indicator.catalogue)
    unit = None
    unit_code = param(request.args, "unit", 120)
    if unit_code:
        unit = unit_by_code(unit_code)
        if unit is None:
            return render_template("error.html", message="Không tìm thấy đơn vị.", status=404), 404
        require(permissions.can_view_indicator_report(me, unit))
    elif not permissions.can_read_all(me):
        unit = me.unit
    history = service.indicator_history(indicator, unit) if unit or permissions.can_read_all(me) else []
    target = service.target_of(indicator)
    from workflow.web.indicator_charts import history_chart

    chart = history_chart(history, target)
    units = service.reporting_units(cat) if permissions.can_read_all(me) else []
    return render_template("indicators/detail.html", indicator=indicator, catalogue=cat, target=target,
                           history=history, chart=chart, unit=unit, units=units)


@bp.app_template_filter("vnum")
def _vnum(value):
    """A figure with Vietnamese separators and its decimals (``85,5``, ``34.435``)."""
    if value is None or value == "":
        return ""
    try:
        return format_number(round(float(value), 2))
    except (TypeError, ValueError):
        return str(value)
