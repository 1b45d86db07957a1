"""API of the dispatch import (issue 7): read a dispatch's text or .docx into a draft, then
create the draft the office confirmed."""
from __future__ import annotations

from flask import current_app, g, jsonify, request

from workflow import permissions, queries
from workflow.api import api_auth, bp, json_body
from workflow.api.serializers import dispatch_json, task_json
from workflow.api.views import request_now
from workflow.errors import PayloadTooLarge, UnsupportedType, ValidationError
from workflow.services import imports as import_service

# A dispatch with its appendix is a few hundred kilobytes; a .docx with pictures a few megabytes.
DEFAULT_MAX_IMPORT_BYTES = 5 * 1024 * 1024


def _max_bytes() -> int:
    return int(current_app.config.get("IMPORT_MAX_BYTES", DEFAULT_MAX_IMPORT_BYTES))


def import_text_from_request() -> str:
    """The dispatch sent as text/plain (UTF-8), as a multipart upload in ``file`` (.txt or
    .docx), or as ``{"text": ...}``."""
    length = request.content_length
    if length is not None and length > _max_bytes():
        raise PayloadTooLarge(
            f"Nội dung gửi lên quá lớn (tối đa {_max_bytes() // (1024 * 1024)} MB).")
    mimetype = request.mimetype or ""
    if mimetype == "text/plain":
        charset = (request.mimetype_params.get("charset") or "utf-8").lower()
        if charset.replace("_", "-") not in ("utf-8", "utf8"):
            raise UnsupportedType("Nội dung văn bản phải ở dạng text/plain; charset=utf-8.")
        data = request.get_data(cache=False)
        if len(data) > _max_bytes():
            raise PayloadTooLarge("Nội dung gửi lên quá lớn.")
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError("Nội dung không phải UTF-8 hợp lệ.") from None
    if mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise ValidationError("Thiếu tệp công văn trong trường \"file\" (.txt hoặc .docx).")
        data = upload.read(_max_bytes() + 1)
        if len(data) > _max_bytes():
            raise PayloadTooLarge("Tệp gửi lên quá lớn.")
        return import_service.read_upload(upload.filename, data)
    if mimetype == "application/json":
        text = json_body().get("text")
        if not isinstance(text, str):
            raise ValidationError("Cần trường \"text\" chứa toàn văn công văn.")
        return text
    raise UnsupportedType(
        "Gửi công văn dưới dạng text/plain; charset=utf-8, hoặc tải lên tệp .txt/.docx (multipart, trường \"file\").")


@bp.post("/dispatches/import")
@api_auth
def import_dispatch():
    permissions.require_office(g.api_user)
    text = import_text_from_request()
    return jsonify(import_service.preview_import(g.api_user, text=text, now=request_now()))


@bp.post("/dispatches/import/confirm")
@api_auth
def import_dispatch_confirm():
    permissions.require_office(g.api_user)
    dispatch = import_service.confirm_import(g.api_user, json_body(), now=request_now())
    now = request_now()
    data = dispatch_json(dispatch, counts=queries.dispatch_counts([dispatch.id], g.api_user)[dispatch.id])
    data["tasks"] = [task_json(t, now) for t in dispatch.tasks]
    response = jsonify(data)
    response.status_code = 201
    response.headers["Location"] = f"/api/v1/dispatches/{dispatch.reference}"
    return response
