"""Every uploaded file passes through here before a parser sees it.

Why: a 1 MB .xlsx whose shared strings unpack to 400 MB, or a .docx that declares a small size
for a huge ``word/document.xml``, or a 200 KB .docx with 1.8 million empty paragraphs, used to
reach ``openpyxl``/``python-docx`` with only the upload's own size checked. Here:

* the zip is inflated member by member in small chunks, **counting the bytes that come out**
  (declared sizes are never trusted), with caps on the number of entries, one member's bytes
  and all members' bytes;
* every XML part is stream-parsed (lxml ``iterparse``, no DTD, no entities, no network) and
  its elements, paragraphs, table cells, rows, spreadsheet cells and text characters are
  counted as they go, stopping at the first cap passed; a DOCTYPE (never present in Office
  files; the door of XXE and billion-laughs) is refused;
* a wall-time budget covers the whole check (and the callers' own loops through
  :meth:`Budget.check`);
* the parsers then get a zip rebuilt from exactly the bytes that were counted.

Refusals are Vietnamese :class:`workflow.errors.DomainError` s: :class:`UploadTooLarge` (413)
and :class:`UploadUnreadable` (422), so the API answers ``{"error": ...}`` and the pages flash
the message.

For a new kind of upload (attachments, signed PDFs), call one function::

    from workflow import uploads

    accepted = uploads.accept(data, filename, kinds=("pdf", "docx", "xlsx"))
    accepted.kind, accepted.mimetype, accepted.data   # data: safe to store or to parse

It checks the size (``max_bytes``, default :data:`DEFAULT_MAX_BYTES`), that the content is the
kind its name says (magic bytes, not the name alone) and, for Word and Excel files, everything
above. The dispatch import (:func:`safe_docx`) and the indicator workbook import
(:func:`safe_xlsx`) use the same functions with their own limits.

Pure: no Flask, no database.
"""
from __future__ import annotations

import io
import time
import zipfile
from dataclasses import dataclass, field, replace

from workflow.errors import PayloadTooLarge, Unprocessable, UnsupportedType

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
CHUNK = 64 * 1024

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
S = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


class UploadTooLarge(PayloadTooLarge):
    """413: the file, once unpacked, is bigger or more complex than any real document."""


class UploadUnreadable(Unprocessable):
    """422: not the kind of file it claims to be, or damaged."""


@dataclass(frozen=True)
class Limits:
    """Caps for one upload. ``tags`` maps an XML tag (Clark notation) to (the most allowed,
    its Vietnamese name in the refusal)."""

    max_bytes: int = DEFAULT_MAX_BYTES          # the uploaded file itself
    max_entries: int = 1000                     # members of the zip
    max_member_bytes: int = 40 * 1024 * 1024    # one member, inflated
    max_total_bytes: int = 60 * 1024 * 1024     # every member, inflated
    max_elements: int = 500_000                 # XML elements in all parts together
    max_text_chars: int | None = None           # characters of text (w:t, shared strings, inline strings)
    text_tags: tuple[str, ...] = ()
    tags: dict = field(default_factory=dict)
    max_seconds: float = 10.0
    label: str = "tệp"                          # "tệp .docx", "bảng tính" in messages


DOCX_LIMITS = Limits(
    max_text_chars=300_000,   # the importer's own limit on a dispatch's text
    text_tags=(W + "t",),
    tags={W + "p": (20_000, "đoạn văn"), W + "tc": (50_000, "ô bảng"), W + "tr": (20_000, "dòng bảng")},
    label="tệp .docx",
)
XLSX_LIMITS = Limits(
    max_entries=500,
    max_member_bytes=30 * 1024 * 1024,
    max_total_bytes=50 * 1024 * 1024,
    max_elements=500_000,
    max_text_chars=5_000_000,
    text_tags=(S + "t",),
    tags={S + "row": (20_000, "dòng"), S + "c": (100_000, "ô"), S + "si": (100_000, "chuỗi"),
          S + "sheet": (50, "trang tính")},
    label="bảng tính",
)


class Budget:
    """A wall-time budget (monotonic): :meth:`check` refuses once it is spent."""

    def __init__(self, seconds: float, label: str = "tệp") -> None:
        self.ends = time.monotonic() + seconds
        self.label = label

    def check(self) -> None:
        if time.monotonic() > self.ends:
            raise UploadTooLarge(f"Đọc {self.label} mất quá nhiều thời gian (tệp quá phức tạp); "
                                 "hãy bỏ bớt nội dung hoặc chia nhỏ tệp rồi thử lại.")


def _too_large(limits: Limits, what: str) -> UploadTooLarge:
    return UploadTooLarge(f"{limits.label[:1].upper()}{limits.label[1:]} quá lớn khi giải nén ({what}); "
                          "hãy bỏ bớt hình ảnh, phụ lục hoặc chia nhỏ tệp rồi thử lại.")


def _number(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def read_zip(data: bytes, limits: Limits, budget: Budget | None = None) -> dict[str, bytes]:
    """The members of a zip, inflated in chunks and counted as they come out."""
    budget = budget or Budget(limits.max_seconds, limits.label)
    if len(data) > limits.max_bytes:
        raise UploadTooLarge(f"Tệp tải lên quá lớn (tối đa {limits.max_bytes // (1024 * 1024)} MB).")
    if not data or not zipfile.is_zipfile(io.BytesIO(data)):
        raise UploadUnreadable(f"Không đọc được {limits.label}: tệp không đúng định dạng.")
    members: dict[str, bytes] = {}
    total = 0
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if len(infos) > limits.max_entries:
                raise _too_large(limits, f"{_number(len(infos))} thành phần, tối đa {_number(limits.max_entries)}")
            for info in infos:
                if info.is_dir():
                    continue
                if info.flag_bits & 0x1:
                    raise UploadUnreadable(f"Không đọc được {limits.label}: tệp được đặt mật khẩu.")
                if info.filename in members:
                    raise UploadUnreadable(f"Không đọc được {limits.label}: tệp bị hỏng (thành phần trùng tên).")
                size = 0
                chunks = []
                with archive.open(info) as handle:
                    while True:
                        chunk = handle.read(CHUNK)  # never more than CHUNK bytes inflated at once
                        if not chunk:
                            break
                        size += len(chunk)
                        total += len(chunk)
                        if size > limits.max_member_bytes:
                            raise _too_large(limits, f"một thành phần hơn {limits.max_member_bytes // (1024 * 1024)} MB")
                        if total > limits.max_total_bytes:
                            raise _too_large(limits, f"hơn {limits.max_total_bytes // (1024 * 1024)} MB")
                        chunks.append(chunk)
                        budget.check()
                members[info.filename] = b"".join(chunks)
    except (UploadTooLarge, UploadUnreadable):
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, NotImplementedError, EOFError,
            RuntimeError):
        # Bad CRC (a member larger or smaller than declared), an unknown compression, a broken stream.
        raise UploadUnreadable(f"Không đọc được {limits.label}: tệp bị hỏng.") from None
    except Exception:  # zlib.error and the like
        raise UploadUnreadable(f"Không đọc được {limits.label}: tệp bị hỏng.") from None
    return members


@dataclass
class XmlCounts:
    elements: int = 0
    text_chars: int = 0
    tags: dict = field(default_factory=dict)


def scan_xml(xml: bytes, limits: Limits, budget: Budget, counts: XmlCounts, part: str = "") -> None:
    """Stream-parse one XML part, counting into ``counts``; stop at the first cap passed."""
    from lxml import etree

    try:
        # "end" events only (one per element): the DOCTYPE is known at the first one, before the bulk.
        context = etree.iterparse(io.BytesIO(xml), events=("end",), resolve_entities=False, no_network=True,
                                  load_dtd=False, huge_tree=False, remove_comments=True, remove_pis=True)
        first = True
        for _, element in context:
            if first:
                first = False
                info = element.getroottree().docinfo
                if info.doctype or info.internalDTD is not None:
                    raise UploadUnreadable(f"Không đọc được {limits.label}: tệp chứa khai báo DOCTYPE "
                                           "(không có trong tệp Office thật).")
            counts.elements += 1
            if counts.elements > limits.max_elements:
                raise _too_large(limits, f"hơn {_number(limits.max_elements)} phần tử")
            cap = limits.tags.get(element.tag)
            if cap is not None:
                n = counts.tags.get(element.tag, 0) + 1
                counts.tags[element.tag] = n
                if n > cap[0]:
                    raise _too_large(limits, f"hơn {_number(cap[0])} {cap[1]}")
            if not counts.elements % 4096:
                budget.check()
            if limits.max_text_chars is not None and element.tag in limits.text_tags and element.text:
                counts.text_chars += len(element.text)
                if counts.text_chars > limits.max_text_chars:
                    raise _too_large(limits, f"hơn {_number(limits.max_text_chars)} ký tự")
            # Keep memory flat: drop what has been counted.
            element.clear(keep_tail=False)
            parent = element.getparent()
            if parent is not None:
                while element.getprevious() is not None:
                    del parent[0]
    except (UploadTooLarge, UploadUnreadable):
        raise
    except etree.XMLSyntaxError as exc:
        text = str(exc)
        if "huge" in text.lower() or "amplification" in text.lower() or "entity" in text.lower():
            raise UploadUnreadable(f"Không đọc được {limits.label}: nội dung XML không an toàn ({part}).") from None
        raise UploadUnreadable(f"Không đọc được {limits.label}: phần {part or 'XML'} bị hỏng.") from None
    except Exception:
        raise UploadUnreadable(f"Không đọc được {limits.label}: phần {part or 'XML'} bị hỏng.") from None


def check_office(data: bytes, limits: Limits, *, required: tuple[str, ...] = ()) -> dict[str, bytes]:
    """The members of an Office file (.docx, .xlsx) after every check above."""
    budget = Budget(limits.max_seconds, limits.label)
    members = read_zip(data, limits, budget)
    for name in required:
        if name not in members:
            raise UploadUnreadable(f"Không đọc được {limits.label}: thiếu phần {name}.")
    counts = XmlCounts()
    for name, content in members.items():
        lower = name.lower()
        if lower.endswith(".xml") or lower.endswith(".rels"):
            scan_xml(content, limits, budget, counts, name)
    return members


def rebuild_zip(members: dict[str, bytes]) -> bytes:
    """A zip of exactly the counted bytes (stored, so its sizes are true)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def safe_docx(data: bytes, limits: Limits = DOCX_LIMITS) -> bytes:
    """A .docx checked as above, rebuilt for python-docx."""
    return rebuild_zip(check_office(data, limits, required=("word/document.xml",)))


def safe_xlsx(data: bytes, limits: Limits = XLSX_LIMITS) -> bytes:
    """An .xlsx checked as above, rebuilt for openpyxl."""
    return rebuild_zip(check_office(data, limits, required=("xl/workbook.xml",)))


def decode_text(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, max_chars: int | None = None,
                label: str = "tệp văn bản") -> str:
    """UTF-8 text (a byte-order mark allowed) within its limits."""
    if len(data) > max_bytes:
        raise UploadTooLarge(f"Tệp tải lên quá lớn (tối đa {max_bytes // (1024 * 1024)} MB).")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UploadUnreadable(f"{label[:1].upper()}{label[1:]} không ở dạng UTF-8; hãy lưu lại với bảng mã UTF-8.") \
            from None
    if max_chars is not None and len(text) > max_chars:
        raise UploadTooLarge(f"Nội dung quá dài (hơn {_number(max_chars)} ký tự).")
    return text


# --- The one entry point for new kinds of upload -------------------------------------------

KINDS = {
    "pdf": ("application/pdf", (".pdf",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)),
    "png": ("image/png", (".png",)),
    "jpg": ("image/jpeg", (".jpg", ".jpeg")),
    "txt": ("text/plain; charset=utf-8", (".txt",)),
}
KIND_LABELS = {"pdf": ".pdf", "docx": ".docx", "xlsx": ".xlsx", "png": ".png", "jpg": ".jpg", "txt": ".txt"}


@dataclass(frozen=True)
class Accepted:
    kind: str
    mimetype: str
    data: bytes


def sniff(data: bytes) -> str | None:
    """What the first bytes say a file is ("pdf", "png", "jpg", "zip"), whatever its name says; None
    when none of these. The one table of magic numbers for every upload (attachments use it too).
    An empty zip (only its end record) is a zip: what it must contain is checked by the caller."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    return None


def accept(data: bytes, filename: str | None, *, kinds: tuple[str, ...] = ("pdf",),
           max_bytes: int = DEFAULT_MAX_BYTES) -> Accepted:
    """Check an upload of one of ``kinds`` (see :data:`KINDS`) and say what it is.

    415 when its name or content is another kind; 413 when too large (also once unpacked);
    422 when damaged. ``data`` of the answer is what to store or parse: for .docx/.xlsx the
    original bytes (they passed every check of :func:`check_office`)."""
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ValueError(f"unknown upload kinds: {unknown}")
    allowed = ", ".join(KIND_LABELS[k] for k in kinds)
    if len(data) > max_bytes:
        raise UploadTooLarge(f"Tệp tải lên quá lớn (tối đa {max_bytes // (1024 * 1024)} MB).")
    if not data:
        raise UploadUnreadable("Tệp tải lên rỗng.")
    name = (filename or "").strip().lower()
    kind = next((k for k in kinds if name.endswith(KINDS[k][1])), None)
    if kind is None:
        raise UnsupportedType(f"Chỉ nhận tệp {allowed}.")
    sniffed = sniff(data)
    if kind in ("docx", "xlsx"):
        if sniffed != "zip":
            raise UploadUnreadable(f"Tệp \"{filename}\" không phải tệp {KIND_LABELS[kind]} thật.")
        limits = replace(DOCX_LIMITS if kind == "docx" else XLSX_LIMITS, max_bytes=max_bytes)
        check_office(data, limits, required=("word/document.xml",) if kind == "docx" else ("xl/workbook.xml",))
    elif kind == "txt":
        decode_text(data, max_bytes=max_bytes)
    elif sniffed != kind:
        raise UploadUnreadable(f"Tệp \"{filename}\" không phải tệp {KIND_LABELS[kind]} thật.")
    return Accepted(kind, KINDS[kind][0], data)
