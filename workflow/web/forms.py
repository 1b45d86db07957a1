"""Flask-WTF forms of the web pages (every one carries the CSRF field ``csrf_token``)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, DateTimeLocalField, HiddenField, PasswordField,
                     SelectField, SelectMultipleField, StringField, TextAreaField)
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from models.user import ROLE_LABELS, ROLES

REQUIRED = "Không được để trống."

# WTForms ships no Vietnamese catalogue: the built-in messages the pages can show, translated.
VI_MESSAGES = {
    "Not a valid choice.": "Lựa chọn không hợp lệ.",
    "Invalid Choice: could not coerce.": "Lựa chọn không hợp lệ.",
    "Choices cannot be None.": "Lựa chọn không hợp lệ.",
    "Not a valid date value.": "Ngày không hợp lệ.",
    "Not a valid datetime value.": "Ngày giờ không hợp lệ.",
    "Not a valid time value.": "Giờ không hợp lệ.",
    "Not a valid integer value.": "Phải là số nguyên.",
    "This field is required.": REQUIRED,
    "Invalid input.": "Giá trị không hợp lệ.",
    "Field must be equal to %(other_name)s.": "Giá trị phải trùng với %(other_name)s.",
    "Field must be at least %(min)d character long.": "Cần ít nhất %(min)d ký tự.",
    "Field must be at least %(min)d characters long.": "Cần ít nhất %(min)d ký tự.",
    "Field cannot be longer than %(max)d character.": "Không được dài quá %(max)d ký tự.",
    "Field cannot be longer than %(max)d characters.": "Không được dài quá %(max)d ký tự.",
    "Field must be between %(min)d and %(max)d characters long.": "Độ dài phải từ %(min)d đến %(max)d ký tự.",
    "'%(value)s' is not a valid choice for this field.": "\"%(value)s\" không phải lựa chọn hợp lệ.",
    "'%(value)s' are not valid choices for this field.": "\"%(value)s\" không phải lựa chọn hợp lệ.",
}


class VietnameseMessages:
    def gettext(self, string):
        return VI_MESSAGES.get(string, string)

    def ngettext(self, singular, plural, n):
        return VI_MESSAGES.get(singular if n == 1 else plural, singular if n == 1 else plural)


def _clean(value):
    from workflow.web.helpers import clean_text

    return clean_text(value)


class Form(FlaskForm):
    """Base of the forms: Vietnamese messages for the built-in validators, and text fields
    cleaned of control characters (a NUL byte would make PostgreSQL refuse the row)."""

    class Meta:
        def get_translations(self, form):
            return VietnameseMessages()

        def bind_field(self, form, unbound_field, options):
            if issubclass(unbound_field.field_class, (StringField, PasswordField, TextAreaField, HiddenField)):
                filters = list(unbound_field.kwargs.get("filters", ())) + [_clean]
                options = {**options, "filters": filters}
            return unbound_field.bind(form=form, **options)


class ReasonableYear:
    """Dates between 1900 and 2200 (anything else is a typing mistake, and overflows time zones)."""

    def __call__(self, form, field):
        if field.data is not None and not 1900 <= field.data.year <= 2200:
            raise ValidationError("Năm không hợp lệ.")


def lines(text: str | None) -> list[str]:
    """A textarea with one entry per line → the non-empty lines."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


# --- Account -----------------------------------------------------------------------------

class LoginForm(Form):
    username = StringField("Tên đăng nhập", validators=[DataRequired(REQUIRED), Length(max=80)],
                           render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField("Mật khẩu", validators=[DataRequired(REQUIRED), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField("Ghi nhớ đăng nhập trên máy này", default=False)
    next = HiddenField()


class LogoutForm(Form):
    """Only the CSRF field: signing out is a POST."""


class ChangePasswordForm(Form):
    old_password = PasswordField("Mật khẩu hiện tại", validators=[DataRequired(REQUIRED), Length(max=200)],
                                 render_kw={"autocomplete": "current-password"})
    new_password = PasswordField("Mật khẩu mới", validators=[DataRequired(REQUIRED), Length(max=200)],
                                 render_kw={"autocomplete": "new-password"},
                                 description="Ít nhất 8 ký tự, gồm cả chữ và số hoặc ký tự đặc biệt.")
    confirm = PasswordField("Nhập lại mật khẩu mới",
                            validators=[DataRequired(REQUIRED), EqualTo("new_password", "Hai mật khẩu không khớp.")],
                            render_kw={"autocomplete": "new-password"})


# --- Dispatches --------------------------------------------------------------------------

class DispatchForm(Form):
    issuer = SelectField("Cơ quan ban hành", validators=[DataRequired(REQUIRED)])
    symbol = StringField("Ký hiệu", default="CV/TU", validators=[DataRequired(REQUIRED), Length(max=40)],
                         description="Ví dụ: CV/TU, CV/BTCTU, CV/VPTU.")
    subject = TextAreaField("Trích yếu", validators=[DataRequired(REQUIRED), Length(max=2000)],
                            render_kw={"rows": 2})
    recipients = TextAreaField("Kính gửi", validators=[Length(max=5000)], render_kw={"rows": 3},
                               description="Mỗi nơi nhận một dòng.")
    distribution = TextAreaField("Nơi nhận", validators=[Length(max=5000)], render_kw={"rows": 3},
                                 description="Mỗi nơi nhận một dòng, ví dụ: - Như trên,")
    references = TextAreaField("Căn cứ / văn bản triển khai", validators=[Length(max=5000)], render_kw={"rows": 2},
                               description="Mỗi văn bản một dòng, ví dụ: 2085-CV/VPTW.")
    signing_authority = StringField("Thẩm quyền ký", default="T/M BAN THƯỜNG VỤ", validators=[Length(max=120)])
    signer_title = StringField("Chức vụ người ký", default="PHÓ BÍ THƯ THƯỜNG TRỰC", validators=[Length(max=120)])
    signer_name = StringField("Họ tên người ký", validators=[Length(max=120)])


class TaskForm(Form):
    item = StringField("Mục", validators=[Length(max=20)], description="Ví dụ: 1, 2.a, 3.2")
    title = TextAreaField("Nội dung nhiệm vụ", validators=[DataRequired(REQUIRED), Length(max=5000)],
                          render_kw={"rows": 3})
    lead_unit = SelectField("Đơn vị chủ trì", validators=[DataRequired("Chọn đơn vị chủ trì.")])
    coordinating = SelectMultipleField("Đơn vị phối hợp", validators=[Optional()], render_kw={"size": 6},
                                       description="Gõ vài chữ của tên đơn vị để tìm (có dấu hay không dấu đều "
                                                   "được); chọn được nhiều đơn vị.")
    deadline = DateTimeLocalField("Thời hạn (ngày giờ)", format="%Y-%m-%dT%H:%M",
                                  validators=[Optional(), ReasonableYear()])
    deadline_text = StringField("Hoặc lời văn thời hạn", validators=[Length(max=300)],
                                description="Chép nguyên văn, ví dụ: trước ngày 30/6/2026; "
                                            "trước ngày 17 hàng tháng; Quý III/2026.")
    product = StringField("Sản phẩm", validators=[Length(max=2000)], description="Ví dụ: Báo cáo, Kế hoạch, Tờ trình.")
    person_in_charge = StringField("Người phụ trách", validators=[Length(max=200)])
    authority = StringField("Thẩm quyền phê duyệt", validators=[Length(max=200)],
                            description="Ví dụ: Thường trực Tỉnh ủy.")

    def validate_deadline_text(self, field):
        if self.deadline.data is None and not (field.data or "").strip() and not self.deadline.errors:
            raise ValidationError("Nhập thời hạn hoặc lời văn thời hạn.")


class IssueForm(Form):
    issued_on = DateField("Ngày ban hành", validators=[Optional(), ReasonableYear()])


# --- Task events -------------------------------------------------------------------------

class EventForm(Form):
    """Base of the task action forms: the task's version travels with the form."""

    version = HiddenField(validators=[DataRequired("Thiếu phiên bản của nhiệm vụ.")])
    next = HiddenField()


class StartForm(EventForm):
    pass


class ReportForm(EventForm):
    note = TextAreaField("Nội dung báo cáo tiến độ", validators=[DataRequired(REQUIRED), Length(max=5000)],
                         render_kw={"rows": 3})


class CompleteForm(EventForm):
    evidence_number = StringField("Số văn bản minh chứng", validators=[Length(max=120)],
                                  description="Ví dụ: 125-BC/SXD")
    evidence_date = DateField("Ngày văn bản", validators=[Optional(), ReasonableYear()])
    evidence_note = TextAreaField("Kết quả / ghi chú", validators=[Length(max=5000)], render_kw={"rows": 2})

    def validate_evidence_note(self, field):
        has_document = (self.evidence_number.data or "").strip() and self.evidence_date.data
        if not has_document and not (field.data or "").strip():
            raise ValidationError("Cần số và ngày văn bản minh chứng, hoặc ghi chú kết quả.")


class RequestExtensionForm(EventForm):
    deadline = DateTimeLocalField("Thời hạn đề nghị", format="%Y-%m-%dT%H:%M",
                                  validators=[DataRequired("Nhập thời hạn đề nghị."), ReasonableYear()])
    note = TextAreaField("Lý do xin gia hạn", validators=[DataRequired(REQUIRED), Length(max=5000)],
                         render_kw={"rows": 2})


class ApproveExtensionForm(EventForm):
    deadline = DateTimeLocalField("Thời hạn mới", format="%Y-%m-%dT%H:%M", validators=[Optional(), ReasonableYear()],
                                  description="Để trống để dùng thời hạn đơn vị đề nghị.")
    note = TextAreaField("Ghi chú", validators=[Length(max=5000)], render_kw={"rows": 2})


class RejectExtensionForm(EventForm):
    note = TextAreaField("Lý do không đồng ý", validators=[DataRequired(REQUIRED), Length(max=5000)],
                         render_kw={"rows": 2})


class ReopenForm(EventForm):
    note = TextAreaField("Lý do mở lại", validators=[DataRequired(REQUIRED), Length(max=5000)],
                         render_kw={"rows": 2})


class DirectiveForm(EventForm):
    note = TextAreaField("Ý kiến chỉ đạo", validators=[DataRequired(REQUIRED), Length(max=5000)],
                         render_kw={"rows": 3})


EVENT_FORMS: dict[str, type[EventForm]] = {
    "start": StartForm,
    "report": ReportForm,
    "complete": CompleteForm,
    "request_extension": RequestExtensionForm,
    "approve_extension": ApproveExtensionForm,
    "reject_extension": RejectExtensionForm,
    "reopen": ReopenForm,
    "directive": DirectiveForm,
}


# --- Administration ----------------------------------------------------------------------

class UserForm(Form):
    username = StringField("Tên đăng nhập", validators=[DataRequired(REQUIRED), Length(max=80)],
                           render_kw={"autocomplete": "off"})
    full_name = StringField("Họ và tên", validators=[DataRequired(REQUIRED), Length(max=200)])
    role = SelectField("Vai trò", choices=[(r, ROLE_LABELS[r]) for r in ROLES], validators=[DataRequired(REQUIRED)])
    unit = SelectField("Đơn vị", validators=[Optional()])
    password = PasswordField("Mật khẩu ban đầu", validators=[DataRequired(REQUIRED), Length(max=200)],
                             render_kw={"autocomplete": "new-password"},
                             description="Ít nhất 8 ký tự, gồm cả chữ và số.")


class UserEditForm(Form):
    full_name = StringField("Họ và tên", validators=[DataRequired(REQUIRED), Length(max=200)])
    role = SelectField("Vai trò", choices=[(r, ROLE_LABELS[r]) for r in ROLES], validators=[DataRequired(REQUIRED)])
    unit = SelectField("Đơn vị", validators=[Optional()], description="Bắt buộc với tài khoản của đơn vị.")


class ResetPasswordForm(Form):
    new_password = PasswordField("Mật khẩu mới", validators=[DataRequired(REQUIRED), Length(max=200)],
                                 render_kw={"autocomplete": "new-password"})


class ConfirmForm(Form):
    """A button that changes state: only the CSRF field."""


class HolidayForm(Form):
    day = DateField("Ngày", validators=[DataRequired(REQUIRED), ReasonableYear()])
    name = StringField("Tên ngày nghỉ", validators=[DataRequired(REQUIRED), Length(max=200)],
                       description="Ví dụ: Tết Nguyên đán, Quốc khánh 2/9, nghỉ bù.")


# --- Documents (issue 5) -----------------------------------------------------------------

class DocumentForm(Form):
    """One form for every kind; the page shows only the fields of the chosen kind, and the view
    passes only those to the service (``workflow.documents.KIND_PARAMS``)."""

    kind = SelectField("Loại văn bản", validators=[DataRequired("Chọn loại văn bản.")])
    dispatch = SelectField("Công văn", validators=[Optional()],
                           description="Công văn giao nhiệm vụ: bắt buộc. Báo cáo: để trống để báo cáo "
                                       "các nhiệm vụ trọng tâm.")
    as_of = DateField("Tính đến hết ngày", validators=[Optional(), ReasonableYear()],
                      description="Để trống: tính đến hiện tại.")
    unit = SelectField("Đơn vị", validators=[Optional()],
                       description="Biểu mẫu chỉ tiêu: đơn vị báo cáo (bắt buộc). Các loại khác: chỉ các nhiệm vụ "
                                   "của đơn vị này (tùy chọn).")
    period = StringField("Kỳ báo cáo", validators=[Length(max=20)],
                         description="Ví dụ: 2026-05 (tháng), 2026-Q2 (quý), 2026-H1 (6 tháng), 2026 (năm).")
    doc_date = DateField("Ngày văn bản", validators=[Optional(), ReasonableYear()],
                         description="Để trống: hôm nay.")
    # A draft by default (issue 13): the number and date are taken when văn thư issues the signed document.
    draft = BooleanField("Dự thảo để trình ký (không lấy số, ghi DỰ THẢO; số và ngày do văn thư cấp khi phát hành)",
                         default=True)
    reservation = SelectField("Dùng số đã giữ", validators=[Optional()],
                              description="Để trống: lấy số tiếp theo trong sổ đăng ký văn bản đi.")
    signing_authority = StringField("Thẩm quyền ký", validators=[Length(max=200)],
                                    description="Ví dụ: T/M BAN THƯỜNG VỤ. Để trống: theo danh sách người ký "
                                                "đã cấu hình cho cơ quan ban hành.")
    signer_title = StringField("Chức vụ người ký", validators=[Length(max=200)])
    signer_name = StringField("Họ tên người ký", validators=[Length(max=200)])
    distribution = TextAreaField("Nơi nhận", validators=[Length(max=5000)], render_kw={"rows": 3},
                                 description="Mỗi nơi nhận một dòng. Để trống: nơi nhận mặc định của loại văn bản.")


class BulkFormsForm(Form):
    period = StringField("Kỳ báo cáo", validators=[DataRequired(REQUIRED), Length(max=20)],
                         description="Ví dụ: 2026-05 (tháng), 2026-Q2 (quý), 2026 (năm).")


class ReserveNumberForm(Form):
    issuer = SelectField("Cơ quan ban hành", validators=[DataRequired(REQUIRED)])
    symbol = StringField("Ký hiệu", default="CV/TU", validators=[DataRequired(REQUIRED), Length(max=40)],
                         description="Ví dụ: CV/TU, BC/ĐU.")
    reason = TextAreaField("Lý do giữ số", validators=[DataRequired("Cần ghi lý do giữ số."), Length(max=1000)],
                           render_kw={"rows": 2})


class VoidNumberForm(Form):
    reason = StringField("Lý do hủy số", validators=[DataRequired("Cần ghi lý do hủy số."), Length(max=1000)])


# --- The outgoing document's life (issue 13) ------------------------------------------------------

from flask_wtf.file import FileField  # noqa: E402


class LifecycleForm(Form):
    """Base of the document lifecycle forms: the lifecycle's version travels with the form."""

    version = HiddenField(validators=[DataRequired("Thiếu phiên bản của văn bản.")])


class SubmitDocumentForm(LifecycleForm):
    signer = SelectField("Người ký", validators=[DataRequired("Cần chọn người ký.")])
    note = TextAreaField("Ghi chú trình ký", validators=[Optional(), Length(max=2000)], render_kw={"rows": 2})


class SignDocumentForm(LifecycleForm):
    passphrase = PasswordField("Mật khẩu chứng thư số", validators=[DataRequired("Cần nhập mật khẩu của chứng thư số.")],
                               render_kw={"autocomplete": "off"})


class UploadSignedForm(LifecycleForm):
    file = FileField("Tệp PDF đã ký bằng phần mềm ký số", render_kw={"accept": ".pdf,application/pdf"})


class ReturnDocumentForm(LifecycleForm):
    note = TextAreaField("Ý kiến (lý do trả lại)", validators=[DataRequired("Cần ghi ý kiến khi trả lại văn bản."),
                                                                 Length(max=2000)], render_kw={"rows": 3})


class IssueDocumentForm(LifecycleForm):
    passphrase = PasswordField("Mật khẩu chứng thư số của cơ quan", render_kw={"autocomplete": "off"},
                               validators=[DataRequired("Cần nhập mật khẩu của chứng thư số cơ quan.")])
    reservation = SelectField("Số", validators=[Optional()])


class VerifySignaturesForm(Form):
    file = FileField("Tệp PDF cần kiểm tra", render_kw={"accept": ".pdf,application/pdf"})


class CredentialForm(Form):
    owner = SelectField("Chứng thư số của", validators=[DataRequired(REQUIRED)])
    title = StringField("Chức vụ của người ký (ghi đúng như khối chữ ký)", validators=[Optional(), Length(max=200)],
                        description="Ví dụ: Phó Bí thư Thường trực. Bỏ trống để giữ như cũ.")
    file = FileField("Tệp chứng thư số (.p12, .pfx)", render_kw={"accept": ".p12,.pfx"})
    passphrase = PasswordField("Mật khẩu của tệp (chỉ dùng để kiểm tra, không lưu)", validators=[Optional()],
                               render_kw={"autocomplete": "off"})
    image = FileField("Ảnh chữ ký hoặc con dấu (PNG, nền trong suốt)", render_kw={"accept": ".png,image/png"})
