"""PAdES signatures on outgoing documents (pyHanko), in the manner of Nghị định 30/2020/NĐ-CP, Phụ lục I.

Pure functions on PDF bytes; the services (workflow/services/signatures.py) own the database side.

The life of the file:

1. ``prepare`` (at submission): the PDF/A file rendered without the DỰ THẢO mark, with blanks in
   the number line (``Số             -CV/TU``) and in the date line (``ngày      tháng      năm 2026``),
   gets, in one incremental update, three text fields over those blanks (``so``, ``ngay``,
   ``thang``) and two empty signature fields at the signing block: the signer's between the title
   and the name, the organisation's (the seal) to its left, overlapping a third of it.
2. ``sign_as_signer``: the leader's certification signature (DocMDP level 2: form filling and
   signing allowed afterwards), with the signer's image, name and time as its appearance. A
   signature made outside (the office's own signing software) is checked by ``check_signed_upload``:
   the signed revision must start with the exact bytes of the prepared file.
3. ``fill_fields`` (at issue): the number and date written into the text fields, an incremental
   update that the leader's DocMDP permits.
4. ``sign_as_organisation``: the organisation's approval signature in the seal field, its
   appearance the seal image.

``verify`` reads every signature of any PDF: signer, time, intact, trusted (a chain to one of the
trust anchors named in ``SIGNATURE_TRUST_ANCHORS``), and what was changed after it.
Every refusal is a ``SignatureRefused`` with a Vietnamese message.
"""
from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from workflow.errors import ValidationError

FONT_DIR = Path("/usr/share/fonts/truetype/liberation2")
FONT_REGULAR = FONT_DIR / "LiberationSerif-Regular.ttf"
FONT_ITALIC = FONT_DIR / "LiberationSerif-Italic.ttf"
FONT_BOLD = FONT_DIR / "LiberationSerif-Bold.ttf"

SIGNER_FIELD = "ChuKyLanhDao"
SEAL_FIELD = "ChuKyCoQuan"
NUMBER_FIELD = "so"
DAY_FIELD = "ngay"
MONTH_FIELD = "thang"
TEXT_FIELDS = (NUMBER_FIELD, DAY_FIELD, MONTH_FIELD)

# The blank a document waiting for its number carries after "Số": room for four digits.
NUMBER_BLANK = " " * 14


def font_file(path: Path) -> str:
    """``path`` rescaled to 1000 units per em (cached under the temp directory).

    pyHanko 0.38's glyph accumulator writes the glyph widths and the TJ adjustments in font units as
    if every font had 1000 units per em; Liberation Serif has 2048, which spreads the letters apart.
    The copy keeps only the Latin and Vietnamese characters, so that pyHanko's own subsetting at every
    signature reads a small font (about 0.25 s less per signature).
    """
    import os

    cache = Path(tempfile.gettempdir()) / f"workflow-fonts-{os.getuid()}"
    target = cache / f"{path.stem}-1000-vi.ttf"
    if not target.is_file():
        from fontTools.ttLib import TTFont
        from fontTools.ttLib.scaleUpem import scale_upem

        from workflow.storage import write_atomically

        cache.mkdir(parents=True, exist_ok=True)
        font = TTFont(str(path))
        if font["head"].unitsPerEm != 1000:
            scale_upem(font, 1000)
        _keep_vietnamese(font)
        out = io.BytesIO()
        font.save(out)
        write_atomically(target, out.getvalue())
    return str(target)


def _quiet_validation_logs() -> None:
    """pyHanko logs every untrusted chain with a traceback at WARNING; the result says it already."""
    import logging

    for name in ("pyhanko.sign.validation.generic_cms", "pyhanko_certvalidator", "fontTools.subset"):
        logging.getLogger(name).setLevel(logging.ERROR)


_quiet_validation_logs()


def _keep_vietnamese(font) -> None:
    from fontTools import subset

    unicodes = [*range(0x20, 0x7F), *range(0xA0, 0x250), *range(0x300, 0x370), *range(0x1E00, 0x1F00),
                *range(0x2000, 0x2070), 0x20AB, 0x2116]
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.glyph_names = True
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=unicodes)
    subsetter.subset(font)


class SignatureRefused(ValidationError):
    """A signature, a certificate or a signed file was refused (the message says why, in Vietnamese)."""


# ---------------------------------------------------------------------------------------------------
# Where the fields go: the words' boxes as poppler's pdftotext -bbox reads them
# ---------------------------------------------------------------------------------------------------


@dataclass
class Word:
    page: int
    text: str
    x0: float
    y0: float  # from the top of the page, as pdftotext gives them
    x1: float
    y1: float
    page_height: float

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    def pdf_y(self, y: float) -> float:
        return self.page_height - y


def page_words(pdf: bytes) -> list[Word]:
    """Every word of the PDF with its box (pdftotext -bbox, poppler-utils)."""
    binary = shutil.which("pdftotext")
    if binary is None:
        raise RuntimeError("pdftotext (poppler-utils) is needed to place the signature fields")
    with tempfile.TemporaryDirectory(prefix="sign-") as work:
        source = Path(work) / "in.pdf"
        source.write_bytes(pdf)
        out = subprocess.run([binary, "-bbox", "-enc", "UTF-8", str(source), "-"], capture_output=True,
                             timeout=60, check=True).stdout.decode("utf-8")
    import html

    words, page, height = [], -1, 0.0
    for line in out.splitlines():
        line = line.strip()
        match = re.match(r'<page width="([\d.]+)" height="([\d.]+)">', line)
        if match:
            page += 1
            height = float(match.group(2))
            continue
        match = re.match(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*)</word>',
                         line)
        if match:
            x0, y0, x1, y1 = (float(match.group(i)) for i in range(1, 5))
            words.append(Word(page, html.unescape(match.group(5)), x0, y0, x1, y1, height))
    return words


def _lines(words: list[Word]) -> list[list[Word]]:
    """Words grouped into lines (same page, overlapping vertically), left to right."""
    lines: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w.page, round(w.y0), w.x0)):
        for line in lines:
            first = line[0]
            if first.page == word.page and abs(first.y0 - word.y0) < first.height * 0.5:
                line.append(word)
                break
        else:
            lines.append([word])
    for line in lines:
        line.sort(key=lambda w: w.x0)
    return lines


def _font_size(word: Word) -> float:
    """Liberation Serif's box is 1.107 em high (ascent 0.891 + descent 0.216)."""
    return round(word.height / 1.107 * 2) / 2


@dataclass
class FieldLayout:
    page: int
    number: tuple  # (x0, y0, x1, y1) in PDF points from the bottom left
    number_size: float
    day: tuple
    month: tuple
    date_size: float
    signer_page: int
    signer: tuple
    seal: tuple


def locate_fields(pdf: bytes, *, symbol: str, signer_title: str, signer_name: str,
                  number: bool = True) -> FieldLayout:
    """Find the number's and the date's blanks and the room to sign between the title and the name
    (``number=False``: the number is already written, as for a dispatch imported with its number)."""
    words = page_words(pdf)
    lines = _lines(words)
    number_box = day = month = None
    number_size = date_size = 14.0
    page = 0
    for line in lines:
        texts = [w.text for w in line]
        if number and number_box is None and len(line) >= 2 and texts[0] in ("Số", "Số:") \
                and texts[1] == f"-{symbol}":
            left, right = line[0], line[1]
            number_box = (left.x1 + 1, right.pdf_y(right.y1) - 1, right.x0, right.pdf_y(right.y0) + 1)
            number_size, page = _font_size(left), left.page
        if day is None and "ngày" in texts and "tháng" in texts and "năm" in texts:
            i, j, k = texts.index("ngày"), texts.index("tháng"), texts.index("năm")
            if j == i + 1 and k == j + 1:
                a, b, c = line[i], line[j], line[k]
                day = (a.x1 + 1, b.pdf_y(b.y1) - 1, b.x0 - 1, b.pdf_y(b.y0) + 1)
                month = (b.x1 + 1, c.pdf_y(c.y1) - 1, c.x0 - 1, c.pdf_y(c.y0) + 1)
                date_size = _font_size(a)
                if not number:
                    page = a.page
    if (number and number_box is None) or day is None:
        raise ValueError("the number's or the date's blank was not found in the PDF")
    title_words = signer_title.split()
    name_words = signer_name.split()
    title_line = name_line = None
    for line in lines:
        texts = [w.text for w in line]
        if title_words and _contains(texts, title_words):
            title_line = (line, _index(texts, title_words))
        if name_words and _contains(texts, name_words) and title_line is not None:
            name_line = (line, _index(texts, name_words))
    if title_line is None or name_line is None:
        raise ValueError("the signing block (title and name) was not found in the PDF")
    (tline, ti), (nline, ni) = title_line, name_line
    title_boxes = tline[ti:ti + len(title_words)]
    name_boxes = nline[ni:ni + len(name_words)]
    centre = (min(w.x0 for w in title_boxes) + max(w.x1 for w in title_boxes)) / 2
    top = tline[0].pdf_y(max(w.y1 for w in title_boxes)) - 2
    bottom = nline[0].pdf_y(min(w.y0 for w in name_boxes)) + 2
    if nline[0].page != tline[0].page or top - bottom < 30:
        top = bottom + 70  # the name went to the next page, or no room: sign just above the name
    height = min(top - bottom, 90)
    bottom = bottom + (top - bottom - height) / 2
    width = 150
    signer = (centre - width / 2, bottom, centre + width / 2, bottom + height)
    seal_size = min(height + 10, 100)
    seal_x1 = signer[0] + width / 3  # the seal overlaps a third of the signature, on its left
    seal = (seal_x1 - seal_size, bottom + (height - seal_size) / 2, seal_x1, bottom + (height + seal_size) / 2)
    return FieldLayout(page=page, number=number_box, number_size=number_size, day=day, month=month,
                       date_size=date_size, signer_page=nline[0].page, signer=signer, seal=seal)


def _contains(texts: list[str], wanted: list[str]) -> bool:
    return _index(texts, wanted) >= 0


def _index(texts: list[str], wanted: list[str]) -> int:
    for i in range(len(texts) - len(wanted) + 1):
        if [t.upper() for t in texts[i:i + len(wanted)]] == [w.upper() for w in wanted]:
            return i
    return -1


# ---------------------------------------------------------------------------------------------------
# Appearances: text in an embedded font (PDF/A wants every font embedded)
# ---------------------------------------------------------------------------------------------------


def _text_xobject(writer, box: tuple, text: str, *, font: Path, size: float, align: str = "center"):
    """A form XObject (the field's normal appearance) drawing ``text`` in ``font``, embedded as a subset."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
    from pyhanko.pdf_utils.generic import pdf_name

    width, height = box[2] - box[0], box[3] - box[1]
    ops = b""
    resources = generic.DictionaryObject()
    if text:
        engine = GlyphAccumulatorFactory(font_file(font), font_size=size,
                                         create_objstream_if_needed=False).create_font_engine(writer)
        engine.font_size = size
        shaped = engine.shape(text)
        advance = shaped.x_advance * size
        x = {"center": (width - advance) / 2, "left": 1.0, "right": width - advance - 1}[align]
        y = (height - size * 0.891 + size * 0.216) / 2
        ops = (b"/Tx BMC q BT /F1 %s Tf %s %s Td " % (_num(size), _num(max(x, 0)), _num(y))
               + shaped.graphics_ops + b" ET Q EMC")
        engine.prepare_write()
        resources[pdf_name("/Font")] = generic.DictionaryObject({pdf_name("/F1"): engine.as_resource()})
    else:
        ops = b"/Tx BMC EMC"
    stream = generic.StreamObject({
        pdf_name("/Type"): pdf_name("/XObject"), pdf_name("/Subtype"): pdf_name("/Form"),
        pdf_name("/BBox"): generic.ArrayObject([generic.FloatObject(0), generic.FloatObject(0),
                                                generic.FloatObject(width), generic.FloatObject(height)]),
        pdf_name("/Resources"): resources,
    }, stream_data=ops)
    return writer.add_object(stream)


def _writer(pdf: bytes):
    """An incremental writer that leaves the document's metadata alone.

    pyHanko otherwise rewrites the XMP packet on every update (and replaces a packet it did not
    write with its own), which would drop LibreOffice's PDF/A identification (pdfaid:part 2, B).
    """
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    class KeepMetadata(IncrementalPdfFileWriter):
        def _update_meta(self):
            return None

    return KeepMetadata(io.BytesIO(pdf), strict=False)


def _num(value: float) -> bytes:
    return (f"{value:.2f}".rstrip("0").rstrip(".") or "0").encode()


def _rect(box: tuple):
    from pyhanko.pdf_utils import generic

    return generic.ArrayObject([generic.FloatObject(round(v, 2)) for v in box])


# ---------------------------------------------------------------------------------------------------
# 1. prepare: the text fields and the empty signature fields
# ---------------------------------------------------------------------------------------------------


def prepare(pdf: bytes, layout: FieldLayout) -> bytes:
    """Add the number and date text fields and the two signature fields (one incremental update)."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.generic import pdf_name, pdf_string
    from pyhanko.sign import fields

    writer = _writer(pdf)
    for name, box, size in ((NUMBER_FIELD, layout.number, layout.number_size),
                            (DAY_FIELD, layout.day, layout.date_size), (MONTH_FIELD, layout.month, layout.date_size)):
        if box is None:
            continue
        page_ref = writer.find_page_for_modification(layout.page)[0]
        field = generic.DictionaryObject({
            pdf_name("/FT"): pdf_name("/Tx"), pdf_name("/T"): pdf_string(name),
            pdf_name("/Type"): pdf_name("/Annot"), pdf_name("/Subtype"): pdf_name("/Widget"),
            pdf_name("/F"): generic.NumberObject(4), pdf_name("/Rect"): _rect(box),
            pdf_name("/P"): page_ref, pdf_name("/Q"): generic.NumberObject(1),
            pdf_name("/DA"): pdf_string(f"/F1 {_num(size).decode()} Tf 0 g"),
            pdf_name("/V"): pdf_string(""),
        })
        field[pdf_name("/AP")] = generic.DictionaryObject(
            {pdf_name("/N"): _text_xobject(writer, box, "", font=FONT_REGULAR, size=size)})
        ref = writer.add_object(field)
        page = page_ref.get_object()
        annots = page.get("/Annots")
        if annots is None:
            page[pdf_name("/Annots")] = generic.ArrayObject([ref])
        else:
            annots = annots.get_object()
            annots.append(ref)
            if isinstance(page.raw_get("/Annots"), generic.IndirectObject):
                writer.update_container(annots)
        writer.update_container(page)
        form = _acroform(writer)
        form["/Fields"].append(ref)
        writer.update_container(form)
    for name, box in ((SIGNER_FIELD, layout.signer), (SEAL_FIELD, layout.seal)):
        fields.append_signature_field(writer, fields.SigFieldSpec(
            sig_field_name=name, on_page=layout.signer_page, box=tuple(round(v, 2) for v in box)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _acroform(writer):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.generic import pdf_name

    root = writer.root
    if "/AcroForm" not in root:
        form = generic.DictionaryObject({pdf_name("/Fields"): generic.ArrayObject()})
        root[pdf_name("/AcroForm")] = writer.add_object(form)
        writer.update_root()
    form = root["/AcroForm"]
    if "/Fields" not in form:
        form[pdf_name("/Fields")] = generic.ArrayObject()
    return form


# ---------------------------------------------------------------------------------------------------
# Certificates (PKCS#12 unlocked by the passphrase; PKCS#11 tokens through pyHanko, see docs)
# ---------------------------------------------------------------------------------------------------


@dataclass
class CertificateInfo:
    subject: str
    issuer: str
    serial: str
    not_before: datetime
    not_after: datetime
    fingerprint: str


def unlock(pkcs12: bytes, passphrase: str):
    """The pyHanko signer of a PKCS#12 file; a wrong passphrase is refused in Vietnamese."""
    from pyhanko.sign import signers

    if not passphrase:
        raise SignatureRefused("Cần nhập mật khẩu của chứng thư số để ký.")
    try:
        signer = signers.SimpleSigner.load_pkcs12_data(pkcs12, other_certs=[], passphrase=passphrase.encode())
    except (ValueError, TypeError):
        signer = None
    if signer is None or signer.signing_cert is None:
        raise SignatureRefused("Mật khẩu của chứng thư số không đúng (hoặc tệp chứng thư số bị hỏng); "
                               "chưa ký.")
    return signer


def require_unencrypted_refused(pkcs12: bytes) -> None:
    """A PKCS#12 file that opens without a passphrase would be a key stored in clear: refused."""
    from cryptography.hazmat.primitives.serialization import pkcs12 as p12

    try:
        p12.load_key_and_certificates(pkcs12, None)
    except Exception:  # noqa: BLE001 — needs a password (or is not PKCS#12 at all: unlock says which)
        return
    raise SignatureRefused("Tệp chứng thư số (.p12/.pfx) phải được bảo vệ bằng mật khẩu; "
                           "không lưu khóa bí mật ở dạng không mã hóa.")


def certificate_info(cert) -> CertificateInfo:
    """``cert``: an asn1crypto certificate (as pyHanko gives it)."""
    import hashlib

    return CertificateInfo(
        subject=cert.subject.human_friendly, issuer=cert.issuer.human_friendly,
        serial=format(cert.serial_number, "X"),
        not_before=cert["tbs_certificate"]["validity"]["not_before"].native,
        not_after=cert["tbs_certificate"]["validity"]["not_after"].native,
        fingerprint=hashlib.sha256(cert.dump()).hexdigest())


def common_name(cert) -> str:
    try:
        return cert.subject.native.get("common_name") or cert.subject.human_friendly
    except Exception:  # noqa: BLE001
        return cert.subject.human_friendly


def check_validity(cert, now: datetime) -> None:
    """Refuse a certificate that is expired or not yet valid at ``now``."""
    info = certificate_info(cert)
    at = now.astimezone(timezone.utc)
    if at > info.not_after:
        raise SignatureRefused(f"Chứng thư số của {common_name(cert)} đã hết hạn từ ngày "
                               f"{_vn_date(info.not_after)}; không thể ký.")
    if at < info.not_before:
        raise SignatureRefused(f"Chứng thư số của {common_name(cert)} chưa có hiệu lực (từ ngày "
                               f"{_vn_date(info.not_before)}); không thể ký.")


def _vn_date(value: datetime) -> str:
    from workflow.clock import to_local

    local = to_local(value)
    return f"{local.day:02d}/{local.month:02d}/{local.year}"


# ---------------------------------------------------------------------------------------------------
# 2. and 4. signing with a visible appearance
# ---------------------------------------------------------------------------------------------------


def _stamp_style(image_png: bytes | None, text: str, *, opacity: float = 1.0):
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
    from pyhanko.pdf_utils.images import PdfImage
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.stamp import TextStampStyle

    import logging

    logging.getLogger("fontTools.subset").setLevel(logging.ERROR)
    background = None
    if image_png:
        from PIL import Image

        background = PdfImage(Image.open(io.BytesIO(image_png)))
    if not text:
        from pyhanko.pdf_utils import layout
        from pyhanko.stamp import StaticStampStyle

        return StaticStampStyle(background=background, border_width=0, background_opacity=opacity,
                                background_layout=layout.SimpleBoxLayoutRule(
                                    x_align=layout.AxisAlignment.ALIGN_MID, y_align=layout.AxisAlignment.ALIGN_MID,
                                    margins=layout.Margins.uniform(0)))
    return TextStampStyle(
        stamp_text=text, border_width=0, background=background, background_opacity=opacity,
        text_box_style=TextBoxStyle(font=GlyphAccumulatorFactory(font_file(FONT_REGULAR), font_size=7), font_size=7,
                                    leading=8),
    )


def _sign(pdf: bytes, signer, *, field: str, certify: bool, name: str, when: datetime, image: bytes | None,
          text: str, reason: str, location: str = "Lâm Đồng") -> bytes:
    from pyhanko.sign import fields, signers
    from pyhanko.sign.fields import SigSeedSubFilter

    writer = _writer(pdf)
    meta = signers.PdfSignatureMetadata(
        field_name=field, certify=certify, docmdp_permissions=fields.MDPPerm.FILL_FORMS,
        subfilter=SigSeedSubFilter.PADES, md_algorithm="sha256", name=name, reason=reason, location=location)
    pdf_signer = signers.PdfSigner(meta, signer=signer, stamp_style=_stamp_style(image, text))
    out = io.BytesIO()
    pdf_signer.sign_pdf(writer, output=out, appearance_text_params={"thoigian": _stamp_time(when)})
    return out.getvalue()


def _stamp_time(when: datetime) -> str:
    from workflow.clock import to_local

    local = to_local(when)
    return f"{local.hour:02d}:{local.minute:02d} ngày {local.day:02d}/{local.month:02d}/{local.year}"


def sign_as_signer(pdf: bytes, signer, *, name: str, title: str, when: datetime, image: bytes | None) -> bytes:
    """The leader's certification signature (form filling stays allowed) in the signer field."""
    check_validity(signer.signing_cert, when)
    text = f"Ký bởi: {name}\n{title}\nThời gian: %(thoigian)s"
    return _sign(pdf, signer, field=SIGNER_FIELD, certify=True, name=name, when=when, image=image, text=text,
                 reason="Ký ban hành văn bản")


def sign_as_organisation(pdf: bytes, signer, *, organisation: str, when: datetime, seal: bytes | None) -> bytes:
    """The organisation's signature in the seal field: the seal image (văn thư, after the number)."""
    check_validity(signer.signing_cert, when)
    return _sign(pdf, signer, field=SEAL_FIELD, certify=False, name=organisation, when=when, image=seal,
                 text="", reason="Văn thư phát hành văn bản")


# ---------------------------------------------------------------------------------------------------
# 3. the number and the date, filled after the leader signed
# ---------------------------------------------------------------------------------------------------


def fill_fields(pdf: bytes, values: dict[str, str]) -> bytes:
    """Write the text fields' values with their appearances (an incremental update, form filling only)."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.generic import pdf_name, pdf_string
    writer = _writer(pdf)
    form = writer.root["/AcroForm"]
    found = set()
    for ref in form["/Fields"]:
        field = ref.get_object()
        name = str(field.get("/T", ""))
        if name not in values:
            continue
        box = tuple(float(v) for v in field["/Rect"])
        size = float(str(field["/DA"]).split()[1])
        font = FONT_ITALIC if name in (DAY_FIELD, MONTH_FIELD) else FONT_REGULAR
        field[pdf_name("/V")] = pdf_string(values[name])
        field[pdf_name("/AP")][pdf_name("/N")] = _text_xobject(writer, box, values[name], font=font, size=size,
                                                               align="right" if name == NUMBER_FIELD else "center")
        writer.update_container(field)
        if isinstance(field.raw_get("/AP"), generic.IndirectObject):
            writer.update_container(field["/AP"])
        found.add(name)
    missing = set(values) - found
    if missing:
        raise SignatureRefused(f"Tệp PDF không có ô {', '.join(sorted(missing))} để điền số và ngày.")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def has_field(pdf: bytes, name: str) -> bool:
    from pyhanko.pdf_utils.reader import PdfFileReader

    root = PdfFileReader(io.BytesIO(pdf), strict=False).root
    if "/AcroForm" not in root or "/Fields" not in root["/AcroForm"]:
        return False
    return any(str(ref.get_object().get("/T", "")) == name for ref in root["/AcroForm"]["/Fields"])


# ---------------------------------------------------------------------------------------------------
# Verification
# ---------------------------------------------------------------------------------------------------


def load_trust_roots(paths) -> list:
    """asn1crypto certificates from PEM or DER files (the trust anchors)."""
    from asn1crypto import pem, x509

    roots = []
    for path in paths or []:
        data = Path(path).read_bytes()
        if pem.detect(data):
            for _, _, der in pem.unarmor(data, multiple=True):
                roots.append(x509.Certificate.load(der))
        else:
            roots.append(x509.Certificate.load(data))
    return roots


def validation_context(trust_roots: list, moment: datetime | None = None):
    from pyhanko_certvalidator import ValidationContext

    return ValidationContext(trust_roots=trust_roots, allow_fetching=False, revocation_mode="soft-fail",
                             moment=moment)


MODIFICATION_LABELS = {
    "NONE": "Không có thay đổi nào sau khi ký",
    "LTA_UPDATES": "Chỉ bổ sung dữ liệu kiểm tra dài hạn",
    "FORM_FILLING": "Chỉ điền biểu mẫu và ký tiếp (được phép)",
    "ANNOTATIONS": "Có thêm chú thích sau khi ký",
    "OTHER": "Có thay đổi không được phép sau khi ký",
}


def verify(pdf: bytes, trust_roots: list, *, moment: datetime | None = None) -> list[dict]:
    """Every signature of ``pdf``: signer, time, intact, valid, trusted, what changed after it."""
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature

    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
    except (PdfReadError, ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError,
            AssertionError, NotImplementedError) as exc:
        raise SignatureRefused(f"Tệp không đọc được như một tệp PDF: {str(exc)[:200]}") from None
    results = []
    for sig in signatures:
        item = {"field": sig.field_name, "signer": None, "subject": None, "issuer": None, "time": None,
                "intact": False, "valid": False, "trusted": False, "certify": False, "coverage": None,
                "modification": None, "modification_label": None, "docmdp_ok": None, "error": None,
                "signed_revision": None}
        try:
            status = validate_pdf_signature(sig, validation_context(trust_roots, moment))
        except Exception as exc:  # noqa: BLE001 — a broken signature is reported, not raised
            item["error"] = f"{type(exc).__name__}: {exc}"[:300]
            results.append(item)
            continue
        cert = status.signing_cert
        item.update({
            "signer": common_name(cert) if cert is not None else None,
            "subject": cert.subject.human_friendly if cert is not None else None,
            "issuer": cert.issuer.human_friendly if cert is not None else None,
            "time": status.signer_reported_dt,
            "intact": bool(status.intact), "valid": bool(status.valid), "trusted": bool(status.trusted),
            "certify": sig.sig_object.get("/Type", None) is not None and _is_certification(sig),
            "coverage": status.coverage.name if status.coverage is not None else None,
            "modification": status.modification_level.name if status.modification_level is not None else None,
            "docmdp_ok": status.docmdp_ok,
            "signed_revision": sig.signed_revision,
        })
        item["modification_label"] = MODIFICATION_LABELS.get(item["modification"] or "", None)
        if cert is not None:
            info = certificate_info(cert)
            at = (moment or datetime.now(timezone.utc)).astimezone(timezone.utc)
            item["certificate_valid_from"], item["certificate_valid_to"] = info.not_before, info.not_after
            item["expired"] = at > info.not_after
            item["not_yet_valid"] = at < info.not_before
        item["ok"] = bool(item["intact"] and item["valid"] and item["trusted"] and item["docmdp_ok"] is not False)
        results.append(item)
    for item in results:
        item.setdefault("ok", False)
    return results


def _is_certification(sig) -> bool:
    try:
        return sig.docmdp_level is not None
    except Exception:  # noqa: BLE001
        return False


def signed_prefix_length(sig) -> int:
    """How many bytes of the file the signature's byte range spans (the signed revision's end)."""
    byte_range = sig.sig_object["/ByteRange"]
    return int(byte_range[2]) + int(byte_range[3])


def check_signed_upload(unsigned: bytes, signed: bytes, trust_roots: list, *, moment: datetime) -> dict:
    """A file signed outside: the same document, signed in the signer field, intact and trusted."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    if not signed.startswith(b"%PDF-"):
        raise SignatureRefused("Tệp tải lên không phải tệp PDF.")
    if not signed.startswith(unsigned):
        raise SignatureRefused("Tệp đã ký không phải là văn bản này: phần nội dung trước chữ ký khác với "
                               "tệp trình ký (đã bị sửa hoặc là văn bản khác).")
    results = verify(signed, trust_roots, moment=moment)
    if not results:
        raise SignatureRefused("Tệp tải lên chưa có chữ ký số nào.")
    ours = [s for s in PdfFileReader(io.BytesIO(signed), strict=False).embedded_signatures
            if s.field_name == SIGNER_FIELD]
    result = next((r for r in results if r["field"] == SIGNER_FIELD), None)
    if not ours or result is None:
        raise SignatureRefused(f"Văn bản phải được ký vào ô chữ ký của người ký ({SIGNER_FIELD}).")
    if len(results) > 1:
        raise SignatureRefused("Tệp tải lên có nhiều hơn một chữ ký; chỉ người ký được ký ở bước này.")
    if result["error"] or not result["intact"]:
        raise SignatureRefused("Chữ ký số không toàn vẹn: nội dung đã bị thay đổi sau khi ký.")
    if signed_prefix_length(ours[0]) <= len(unsigned):
        raise SignatureRefused("Chữ ký không bao trùm toàn bộ tệp trình ký.")
    if result["modification"] not in ("NONE", "FORM_FILLING", "LTA_UPDATES") or result["docmdp_ok"] is False:
        raise SignatureRefused("Sau chữ ký có thay đổi không được phép (chỉ được điền biểu mẫu).")
    if result.get("expired"):
        raise SignatureRefused(f"Chứng thư số của {result['signer']} đã hết hạn từ ngày "
                               f"{_vn_date(result['certificate_valid_to'])}; chữ ký không được chấp nhận.")
    if result.get("not_yet_valid"):
        raise SignatureRefused(f"Chứng thư số của {result['signer']} chưa có hiệu lực; chữ ký không được chấp nhận.")
    if not result["valid"]:
        raise SignatureRefused("Chữ ký số không hợp lệ (chứng thư số hết hạn, chưa có hiệu lực hoặc "
                               "không dùng để ký).")
    if not result["trusted"]:
        raise SignatureRefused("Chứng thư số của người ký không được cấp bởi tổ chức chứng thực tin cậy "
                               "(không có chuỗi tin cậy tới chứng thư gốc được cấu hình).")
    return result
