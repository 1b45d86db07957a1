"""Import a dispatch from its text or .docx (issue 7): upload, check the draft side by side
with the source, confirm. The views parse the forms and call ``workflow.services.imports``."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_wtf.file import FileField
from wtforms import (BooleanField, DateField, FieldList, FormField, HiddenField, SelectField,
                     SelectMultipleField, StringField, TextAreaField)
from wtforms import Form as PlainForm
from wtforms.validators import DataRequired, Length, Optional
from wtforms.validators import ValidationError as FieldError

from workflow import importer, permissions
from workflow.errors import DomainError, PayloadTooLarge
from workflow.services import imports as import_service
from workflow.web import bp, flash_error
from workflow.web.forms import REQUIRED, Form, ReasonableYear, VietnameseMessages, lines
from workflow.web.helpers import clean_text, flash_form_errors, now, require, unit_choices, user

COMMUNES_CHOICE = "__communes__"
UPLOAD_MAX_BYTES = 5 * 1024 * 1024
MAX_DIRECTIVE_ROWS = 500      # rows the confirmation page can show (the API has no such limit)
MAX_NOT_TAKEN_ROWS = 1000


# --- Forms ------------------------------------------------------------------------------------

class ImportUploadForm(Form):
    text = TextAreaField("Dán toàn văn công văn", validators=[Length(max=importer.MAX_TEXT_CHARS)],
                         render_kw={"rows": 14, "spellcheck": "false"},
                         description="Chép từ Word hoặc tệp văn bản: từ tên cơ quan ban hành đến người ký.")
    file = FileField("Hoặc chọn tệp công văn (.txt, .docx)", render_kw={"accept": ".txt,.docx"})

    def validate_text(self, field):
        has_file = self.file.data is not None and getattr(self.file.data, "filename", "")
        if not (field.data or "").strip() and not has_file:
            raise FieldError("Dán nội dung công văn hoặc chọn một tệp .txt/.docx.")


class _Row(PlainForm):
    """A row of the confirmation form (the CSRF field is the page form's)."""

    class Meta:
        def get_translations(self, form):
            return VietnameseMessages()


class TaskRowForm(_Row):
    include = BooleanField("Tạo nhiệm vụ này", default=True)
    item = StringField("Mục", validators=[Length(max=20)], filters=[clean_text])
    title = TextAreaField("Nội dung nhiệm vụ", validators=[Length(max=5000)], render_kw={"rows": 3},
                          filters=[clean_text])
    lead_unit = SelectField("Đơn vị chủ trì", validate_choice=True)
    lead_text = HiddenField(filters=[clean_text])
    coordinating = SelectMultipleField("Đơn vị phối hợp", validators=[Optional()], render_kw={"size": 4})
    coordinating_unmatched = HiddenField(filters=[clean_text])
    deadline_text = StringField("Thời hạn (nguyên văn)", validators=[Length(max=300)], filters=[clean_text])
    deadline_shown = HiddenField(filters=[clean_text])


class DirectiveRowForm(_Row):
    include = BooleanField("Giữ", default=True)
    item = StringField("Mục", validators=[Length(max=20)], filters=[clean_text])
    text = TextAreaField("Nội dung", validators=[Length(max=20000)], render_kw={"rows": 3}, filters=[clean_text])


class NotTakenRowForm(_Row):
    """A paragraph or table row that names a unit, a group or a deadline and gave no task,
    with what the draft read from it (to make it a task in one click)."""

    item = HiddenField(filters=[clean_text])
    text = HiddenField(filters=[clean_text])
    reason = HiddenField(filters=[clean_text])
    lead_code = HiddenField(filters=[clean_text])
    lead_text = HiddenField(filters=[clean_text])
    fan_out = HiddenField(filters=[clean_text])
    deadline_text = HiddenField(filters=[clean_text])
    line = HiddenField(filters=[clean_text])


class ImportConfirmForm(Form):
    number = StringField("Số và ký hiệu", validators=[Length(max=60)], description="Ví dụ: 1534-CV/TU")
    issuer = SelectField("Cơ quan ban hành", validators=[DataRequired("Chọn cơ quan ban hành.")])
    issuer_text = HiddenField()
    issued_on = DateField("Ngày ban hành", validators=[DataRequired("Nhập ngày ban hành."), ReasonableYear()])
    subject = TextAreaField("Trích yếu", validators=[DataRequired(REQUIRED), Length(max=2000)], render_kw={"rows": 2})
    recipients = TextAreaField("Kính gửi", validators=[Length(max=5000)], render_kw={"rows": 3},
                               description="Mỗi nơi nhận một dòng.")
    distribution = TextAreaField("Nơi nhận", validators=[Length(max=5000)], render_kw={"rows": 3})
    references = TextAreaField("Văn bản triển khai", validators=[Length(max=5000)], render_kw={"rows": 2})
    signing_authority = StringField("Thẩm quyền ký", validators=[Length(max=120)])
    signer_title = StringField("Chức vụ người ký", validators=[Length(max=120)])
    signer_name = StringField("Họ tên người ký", validators=[Length(max=120)])
    preamble = HiddenField()
    source_text = HiddenField()
    tasks = FieldList(FormField(TaskRowForm), min_entries=0, max_entries=import_service.MAX_TASKS)
    directives = FieldList(FormField(DirectiveRowForm), min_entries=0, max_entries=MAX_DIRECTIVE_ROWS)
    not_taken = FieldList(FormField(NotTakenRowForm), min_entries=0, max_entries=MAX_NOT_TAKEN_ROWS)


# --- Mapping between the draft and the form ------------------------------------------------------

def _deadline_shown(task: dict) -> str:
    if task.get("deadline_error"):
        return "⚠ " + task["deadline_error"]
    if not task.get("deadline"):
        return ""
    from datetime import datetime

    value = datetime.fromisoformat(task["deadline"])
    shown = value.strftime("%H:%M ngày %d/%m/%Y")
    return shown + (" (định kỳ, lần đầu)" if task.get("recurrence") else "")


def _form_data(draft: dict) -> dict:
    tasks = []
    for task in draft["tasks"]:
        lead = task.get("lead_unit") or {}
        tasks.append({
            "include": True, "item": task["item"], "title": task["title"],
            "lead_unit": COMMUNES_CHOICE if task.get("fan_out") == importer.COMMUNE_FAN_OUT else (lead.get("code") or ""),
            "lead_text": lead.get("text") or "",
            "coordinating": [c["code"] for c in task["coordinating_units"] if c.get("code")],
            "coordinating_unmatched": " | ".join(c["text"] for c in task["coordinating_units"] if not c.get("code")),
            "deadline_text": task.get("deadline_text") or "", "deadline_shown": _deadline_shown(task),
        })
    from datetime import date

    return {
        "number": draft.get("number") or "", "issuer": (draft.get("issuer") or {}).get("code") or "",
        "issuer_text": (draft.get("issuer") or {}).get("text") or "",
        "issued_on": date.fromisoformat(draft["issued_on"]) if draft.get("issued_on") else None,
        "subject": draft.get("subject") or "", "recipients": "\n".join(draft.get("recipients") or []),
        "distribution": "\n".join(draft.get("distribution") or []),
        "references": "\n".join(draft.get("references") or []),
        "signing_authority": draft.get("signing_authority") or "", "signer_title": draft.get("signer_title") or "",
        "signer_name": draft.get("signer_name") or "", "preamble": draft.get("preamble") or "",
        "source_text": draft.get("source_text") or "",
        "tasks": tasks, "directives": [{"include": True, **d} for d in draft.get("directives") or []],
        "not_taken": [{
            "item": n.get("item") or "", "text": n["text"], "reason": n.get("reason") or "",
            "lead_code": (n.get("lead_unit") or {}).get("code") or "",
            "lead_text": (n.get("lead_unit") or {}).get("text") or "", "fan_out": n.get("fan_out") or "",
            "deadline_text": n.get("deadline_text") or "", "line": str(n.get("line") or ""),
        } for n in draft.get("not_taken") or []],
    }


def _draft_from_form(form: ImportConfirmForm) -> dict:
    tasks = []
    for row in form.tasks:
        entry = row.form
        if not entry.include.data:
            continue
        lead = entry.lead_unit.data or ""
        tasks.append({
            "item": (entry.item.data or "").strip(), "title": (entry.title.data or "").strip(),
            "lead_unit": None if lead in ("", COMMUNES_CHOICE) else lead,
            "fan_out": importer.COMMUNE_FAN_OUT if lead == COMMUNES_CHOICE else None,
            "coordinating_units": list(entry.coordinating.data or []),
            "deadline_text": (entry.deadline_text.data or "").strip() or None,
        })
        if lead == "" and entry.lead_text.data:
            tasks[-1]["lead_unit"] = {"code": None, "text": entry.lead_text.data}
    return {
        "number": (form.number.data or "").strip(), "issuer": form.issuer.data,
        "issued_on": form.issued_on.data.isoformat() if form.issued_on.data else None,
        "subject": (form.subject.data or "").strip(), "recipients": lines(form.recipients.data),
        "distribution": lines(form.distribution.data), "references": lines(form.references.data),
        "signing_authority": (form.signing_authority.data or "").strip(),
        "signer_title": (form.signer_title.data or "").strip(), "signer_name": (form.signer_name.data or "").strip(),
        "preamble": form.preamble.data or "", "source_text": form.source_text.data or "",
        "directives": [{"item": (r.form.item.data or "").strip(), "text": (r.form.text.data or "").strip()}
                       for r in form.directives if r.form.include.data and (r.form.text.data or "").strip()],
        "tasks": tasks,
    }


def _set_choices(form: ImportConfirmForm, commune_count: int) -> None:
    units = unit_choices()
    form.issuer.choices = {"": [("", "— Chọn cơ quan ban hành —")], **{k: v for k, v in units.items()}}
    lead_choices = {"": [("", "— Chọn đơn vị chủ trì —")],
                    "Toàn bộ cấp xã": [(COMMUNES_CHOICE, f"Các xã, phường, đặc khu ({commune_count} đơn vị, "
                                                         "mỗi đơn vị một nhiệm vụ)")],
                    **units}
    for row in form.tasks:
        row.form.lead_unit.choices = lead_choices
        row.form.coordinating.choices = units


def _task_row_from(text: str, item: str, *, lead_code: str = "", lead_text: str = "", fan_out: str = "",
                   deadline_text: str = "") -> dict:
    """A new task row of the confirmation form, pre-filled with what was read from ``text``."""
    if fan_out == importer.COMMUNE_FAN_OUT:
        lead = COMMUNES_CHOICE
    else:
        lead = lead_code or ""
    return {"include": True, "item": item, "title": text, "lead_unit": lead,
            "lead_text": "" if lead else lead_text, "coordinating": [], "coordinating_unmatched": "",
            "deadline_text": deadline_text, "deadline_shown": ""}


def _take(form: ImportConfirmForm, which: str) -> str | None:
    """Turn a "not taken" paragraph ("n3") or a directive ("d1") into a task row of the form.
    Returns what was taken (for the message), or None when ``which`` names no row."""
    kind, _, index = which.partition("-")
    rows = form.not_taken if kind == "n" else form.directives if kind == "d" else None
    if rows is None or not index.isdecimal() or int(index) >= len(rows.entries):
        return None
    if len(form.tasks.entries) >= import_service.MAX_TASKS:
        return None
    entry = rows.entries.pop(int(index)).form
    if kind == "n":
        data = _task_row_from(entry.text.data or "", entry.item.data or "", lead_code=entry.lead_code.data or "",
                              lead_text=entry.lead_text.data or "", fan_out=entry.fan_out.data or "",
                              deadline_text=entry.deadline_text.data or "")
    else:
        read = import_service.prefill(entry.text.data or "", form.issued_on.data)
        lead = read.get("lead_unit") or {}
        data = _task_row_from(entry.text.data or "", entry.item.data or "", lead_code=lead.get("code") or "",
                              lead_text=lead.get("text") or "", fan_out=read.get("fan_out") or "",
                              deadline_text=read.get("deadline_text") or "")
    form.tasks.append_entry(data)
    return entry.item.data or ""


def _source_lines(source: str, unmatched: list[str], marked_lines: set[int]) -> list[dict]:
    """The source text line by line (numbered from 1), with the unmatched units highlighted."""
    return [{"number": number, "segments": importer.highlight_segments(line, unmatched),
             "not_taken": number in marked_lines}
            for number, line in enumerate((source or "").split("\n"), start=1)]


def _render_confirm(form: ImportConfirmForm, status: int = 200, warnings=()):
    unmatched = []
    if not form.issuer.data and form.issuer_text.data:
        unmatched.append(form.issuer_text.data)
    for row in form.tasks:
        if not row.form.lead_unit.data and row.form.lead_text.data:
            unmatched.append(row.form.lead_text.data)
        unmatched.extend(t.strip() for t in (row.form.coordinating_unmatched.data or "").split("|") if t.strip())
    source = form.source_text.data or ""
    directive_lines = [importer.source_line(source, row.form.text.data or "") for row in form.directives]
    marked = {int(row.form.line.data) for row in form.not_taken if (row.form.line.data or "").isdecimal()}
    lines = _source_lines(source, unmatched, marked)
    return render_template("imports/confirm.html", form=form, lines=lines, unmatched=unmatched,
                           directive_lines=directive_lines, warnings=list(warnings),
                           communes=COMMUNES_CHOICE), status


# --- Views ----------------------------------------------------------------------------------------

@bp.route("/dispatches/import", methods=["GET", "POST"])
def dispatch_import():
    actor = user()
    require(permissions.can_manage_dispatches(actor))
    form = ImportUploadForm()
    if request.method == "GET":
        return render_template("imports/upload.html", form=form)
    if not form.validate_on_submit():
        flash_form_errors(form)
        return render_template("imports/upload.html", form=form), 400
    try:
        upload = form.file.data
        if upload is not None and getattr(upload, "filename", ""):
            data = upload.read(UPLOAD_MAX_BYTES + 1)
            if len(data) > UPLOAD_MAX_BYTES:
                raise PayloadTooLarge("Tệp gửi lên quá lớn.")
            text = import_service.read_upload(upload.filename, data)
        else:
            text = form.text.data
        draft = import_service.preview_import(actor, text=text, now=now(), expand_fan_out=False)
    except DomainError as exc:
        flash_error(exc)
        return render_template("imports/upload.html", form=form), exc.status
    too_many = [(len(draft["tasks"]), import_service.MAX_TASKS, "nhiệm vụ"),
                (len(draft["directives"]), MAX_DIRECTIVE_ROWS, "chỉ đạo chung"),
                (len(draft["not_taken"]), MAX_NOT_TAKEN_ROWS, "đoạn chưa thành nhiệm vụ")]
    for count, limit, what in too_many:
        if count > limit:
            flash(f"Văn bản có {count} {what}, quá số dòng trang đối chiếu hiển thị được (tối đa {limit}). "
                  "Hãy tách văn bản (bỏ bớt phụ lục) hoặc nhập qua API.", "danger")
            return render_template("imports/upload.html", form=form), 413
    confirm = ImportConfirmForm(formdata=None, data=_form_data(draft))
    _set_choices(confirm, import_service.commune_count())
    found = sum(1 for t in draft["tasks"])
    flash(f"Đã đọc công văn: {found} nhiệm vụ, {len(draft['directives'])} chỉ đạo chung"
          + (f", {len(draft['not_taken'])} đoạn chưa thành nhiệm vụ" if draft["not_taken"] else "")
          + (f", {len(draft['unmatched'])} đơn vị chưa khớp (tô vàng)" if draft["unmatched"] else "")
          + ". Hãy kiểm tra rồi xác nhận; chưa có gì được lưu.", "info")
    return _render_confirm(confirm, warnings=draft["warnings"])


@bp.post("/dispatches/import/confirm")
def dispatch_import_confirm():
    actor = user()
    require(permissions.can_manage_dispatches(actor))
    form = ImportConfirmForm()
    take = request.form.get("take")
    if take:  # "Tạo nhiệm vụ": make a paragraph not taken (or a directive) a task, then check again
        taken = _take(form, take)  # the CSRF token was checked before the view (CSRFProtect)
        _set_choices(form, import_service.commune_count())
        if taken is None:
            flash("Không tìm thấy đoạn cần tạo nhiệm vụ; hãy tải lại trang nhập.", "danger")
            return _render_confirm(form, 400)
        flash(f"Đã thêm nhiệm vụ từ đoạn{(' mục ' + taken) if taken else ''} vào cuối danh sách nhiệm vụ, "
              "điền sẵn đơn vị và thời hạn đọc được. Hãy kiểm tra rồi xác nhận; chưa có gì được lưu.", "info")
        return _render_confirm(form)
    _set_choices(form, import_service.commune_count())
    if not form.validate_on_submit():
        for name, errors in form.errors.items():
            if name in ("tasks", "directives"):
                continue
            field = getattr(form, name, None)
            label = field.label.text if field is not None and name != "csrf_token" else ""
            for error in errors:
                flash(f"{label}: {error}" if label else str(error), "danger")
        for row in form.tasks:
            for name, errors in row.form.errors.items():
                for error in errors:
                    flash(f"Mục {row.form.item.data or ''}: {getattr(row.form, name).label.text}: {error}", "danger")
        return _render_confirm(form, 400)
    try:
        dispatch = import_service.confirm_import(actor, _draft_from_form(form), now=now())
    except DomainError as exc:
        flash_error(exc)
        return _render_confirm(form, exc.status)
    flash(f"Đã tạo dự thảo {dispatch.display_name} với {len(dispatch.tasks)} nhiệm vụ. "
          "Kiểm tra lại rồi ban hành.", "success")
    return redirect(url_for("web.dispatch_detail", ref=dispatch.reference))
