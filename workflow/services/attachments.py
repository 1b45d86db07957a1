"""Files on a task (issue 15): the signed report scan, the product file, working documents.

An upload is checked before anything is stored: its size (``ATTACHMENT_MAX_BYTES``, 8 MB by
default, under the request limit ``MAX_CONTENT_LENGTH``), and its type read from the bytes
(``check_upload``), which must agree with the name's extension. The bytes go through the storage
interface (``workflow.storage``: the database by default) in the same transaction as the
attachment's row. Reading and downloading are authorised exactly like the task.

Word files and workbooks also pass the shared upload checks (``workflow/uploads.py``: bytes
counted while inflating, XML caps, time), from ``_check_zip``; a plain zip is stored as it is, never
unpacked by the server, so its directory is enough to refuse an obvious bomb.
"""
from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from datetime import datetime
from pathlib import PurePosixPath
from urllib.parse import quote

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from models import TaskAttachment
from models.collab import ATTACHMENT_PURPOSES
from workflow import permissions, uploads
from workflow.errors import NotFound, PayloadTooLarge, UnsupportedType, ValidationError
from workflow.extensions import db
from workflow.services import unit_of_work
from workflow.services.tasks import get_task
from workflow.storage import get_storage, new_key
from workflow.text import nfc

DEFAULT_MAX_BYTES = 8 * 1024 * 1024

# The kinds of file accepted, by what their bytes say: (label, content type, extensions).
FILE_TYPES = {
    "pdf": ("PDF", "application/pdf", (".pdf",)),
    "docx": ("Word (.docx)", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",)),
    "xlsx": ("Excel (.xlsx)", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)),
    "png": ("ảnh PNG", "image/png", (".png",)),
    "jpeg": ("ảnh JPEG", "image/jpeg", (".jpg", ".jpeg")),
    "zip": ("ZIP", "application/zip", (".zip",)),
}
EXTENSIONS = {ext: kind for kind, (_, _, exts) in FILE_TYPES.items() for ext in exts}
ACCEPTED_TEXT = "PDF, Word (.docx), Excel (.xlsx), ảnh PNG/JPEG hoặc ZIP"

# Archive limits read from the zip's directory (nothing is decompressed).
ZIP_MAX_ENTRIES = 2000
ZIP_MAX_UNCOMPRESSED = 200 * 1024 * 1024
ZIP_MAX_RATIO = 200


def max_bytes() -> int:
    return int(current_app.config.get("ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def safe_filename(name: str | None) -> str:
    """The uploaded name without any directory, control or reserved character, at most 200
    characters (the extension kept); Vietnamese letters are kept (NFC)."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>:|?*;')
    name = re.sub(r"\s+", " ", name).strip(" .")
    if len(name) > 200:
        suffix = PurePosixPath(name).suffix[:20]
        name = name[: 200 - len(suffix)].rstrip(" .") + suffix
    return name


def ascii_fallback(name: str) -> str:
    """``Báo cáo đợt 1.pdf`` → ``Bao cao dot 1.pdf`` for clients that ignore ``filename*``."""
    text = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if ord(ch) < 128 and not unicodedata.combining(ch))
    text = re.sub(r"[^A-Za-z0-9._ ()-]", "_", text).strip(" ._")
    return text or "tep-dinh-kem"


def content_disposition(name: str) -> str:
    """An attachment header with an ASCII ``filename`` and the exact name as RFC 5987 ``filename*``."""
    return f"attachment; filename=\"{ascii_fallback(name)}\"; filename*=UTF-8''{quote(name, safe='')}"


def _check_zip(data: bytes) -> str:
    """A zip's kind (docx, xlsx, zip) from its directory; refuse what looks like a zip bomb, and
    check a Word file or a workbook as every upload is checked (``workflow.uploads``)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise UnsupportedType("Tệp nén hoặc tệp Office bị hỏng, không đọc được.") from None
    if len(infos) > ZIP_MAX_ENTRIES:
        raise UnsupportedType(f"Tệp nén có quá nhiều tệp con (tối đa {ZIP_MAX_ENTRIES}).")
    total = sum(i.file_size for i in infos)
    if total > ZIP_MAX_UNCOMPRESSED or any(
            i.compress_size and i.file_size / i.compress_size > ZIP_MAX_RATIO for i in infos) \
            or any(i.file_size and not i.compress_size for i in infos):
        raise UnsupportedType("Tệp nén giải nén ra quá lớn so với dung lượng; không nhận.")
    names = {i.filename for i in infos}
    kind = "zip"
    if "[Content_Types].xml" in names:
        if any(n.startswith("word/") for n in names):
            kind = "docx"
        elif any(n.startswith("xl/") for n in names):
            kind = "xlsx"
    if kind != "zip":
        from dataclasses import replace

        limits = uploads.DOCX_LIMITS if kind == "docx" else uploads.XLSX_LIMITS
        limits = replace(limits, max_bytes=max(len(data), limits.max_bytes), max_text_chars=None)
        try:
            uploads.check_office(data, limits)
        except uploads.UploadUnreadable as exc:
            raise UnsupportedType(exc.message) from None
    return kind


def detect_type(data: bytes) -> str | None:
    """The kind of file the bytes are, whatever the name says (None: not one we accept): the magic
    numbers of ``uploads.sniff``, a zip told apart as .docx, .xlsx or a plain archive."""
    kind = uploads.sniff(data)
    if kind == "zip":
        return _check_zip(data)
    return "jpeg" if kind == "jpg" else kind


def check_upload(filename: str | None, data: bytes) -> tuple[str, str, str]:
    """Check one upload; returns (safe name, kind, content type) or raises a Vietnamese refusal."""
    name = safe_filename(filename)
    if not name:
        raise ValidationError("Thiếu tên tệp đính kèm.")
    if len(data) > max_bytes():
        raise PayloadTooLarge(f"Tệp quá lớn (tối đa {max_bytes() // (1024 * 1024)} MB).")
    if not data:
        raise ValidationError("Tệp đính kèm rỗng.")
    extension = PurePosixPath(name.lower()).suffix
    expected = EXTENSIONS.get(extension)
    if expected is None:
        raise UnsupportedType(f"Chỉ nhận tệp {ACCEPTED_TEXT}.")
    kind = detect_type(data)
    if kind is None or not (kind == expected or (expected == "zip" and kind in ("docx", "xlsx"))):
        raise UnsupportedType(
            f"Nội dung tệp “{name}” không phải {FILE_TYPES[expected][0]} như phần mở rộng {extension} cho biết.")
    if expected == "zip":
        kind = "zip"
    return name, kind, FILE_TYPES[kind][1]


def add_attachment(actor, task_id: int, *, filename: str | None, data: bytes, now: datetime,
                   purpose: str = "task", note: str | None = None) -> TaskAttachment:
    """Store a file on a task for ``actor`` (one commit: the bytes and the row together)."""
    task = get_task(actor, task_id)
    purpose = purpose or "task"
    if purpose not in ATTACHMENT_PURPOSES:
        raise ValidationError("Loại tệp đính kèm phải là \"task\" (tài liệu) hoặc \"completion\" (minh chứng hoàn thành).")
    permissions.require_attach(actor, task, purpose)
    note = nfc(note) or None
    if note and len(note) > 1000:
        raise ValidationError("Ghi chú của tệp quá dài (tối đa 1000 ký tự).")
    name, kind, content_type = check_upload(filename, data)
    with unit_of_work():
        stored = get_storage().put(new_key(f"attachments/{task.id}", PurePosixPath(name.lower()).suffix),
                                   data, content_type)
        attachment = TaskAttachment(task_id=task.id, purpose=purpose, filename=name, file_type=kind,
                                    content_type=content_type, size=stored.size, sha256=stored.sha256,
                                    storage_key=stored.key, note=note, uploaded_by_id=actor.id,
                                    unit_id=actor.unit_id, created_at=now)
        db.session.add(attachment)
    return attachment


def list_attachments(actor, task_id: int) -> list[TaskAttachment]:
    task = get_task(actor, task_id)
    return attachments_of(task.id)


def attachments_of(task_id: int) -> list[TaskAttachment]:
    return list(db.session.scalars(
        select(TaskAttachment).where(TaskAttachment.task_id == task_id)
        .options(joinedload(TaskAttachment.uploaded_by), joinedload(TaskAttachment.unit))
        .order_by(TaskAttachment.created_at, TaskAttachment.id)))


def get_attachment(actor, attachment_id: int) -> tuple[TaskAttachment, bytes]:
    """The attachment and its bytes, if ``actor`` may read its task (else 404, like the task)."""
    from models.types import fits_id

    attachment = db.session.get(TaskAttachment, attachment_id) if fits_id(attachment_id) else None
    if attachment is None:
        raise NotFound("Không tìm thấy tệp đính kèm.")
    try:
        get_task(actor, attachment.task_id)
    except NotFound:
        raise NotFound("Không tìm thấy tệp đính kèm.") from None
    try:
        data = get_storage().get(attachment.storage_key)
    except FileNotFoundError:
        raise NotFound("Tệp đính kèm không còn trong kho lưu trữ.") from None
    return attachment, data
