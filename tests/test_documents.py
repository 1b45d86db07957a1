"""Documents ready to sign: every kind rendered from the seed data, opened with
python-docx (A4, margins, fonts, Party format texts), converted with the real
LibreOffice (or wkhtmltopdf for the printable overdue list) and read back with
pdftotext.

LibreOffice takes about two seconds to start, so the documents are rendered
once for the module and converted in a single call.
"""
from __future__ import annotations

import copy
import io
import os
import re
import subprocess
import tempfile
import zipfile
from datetime import date

import pytest
from docx import Document as open_docx
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from sqlalchemy.orm import scoped_session, sessionmaker

from tests.conftest import local
from workflow import documents as D

NOW = local(2026, 11, 22, 8, 0)
SPECIAL = "Công ty \"A&B\" <Q2> > 5 tỷ & 'mục 3'"


# --------------------------------------------------------------------------
# Fixtures: one rolled-back session for the module, the documents rendered once
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def module_db(app):
    """Like ``db`` but for the whole module: one transaction rolled back at the end."""
    from workflow.extensions import db as database

    with app.app_context():
        connection = database.engine.connect()
        outer = connection.begin()
        original = database.session
        database.session = scoped_session(sessionmaker(bind=connection, join_transaction_mode="create_savepoint"))
        try:
            yield database
        finally:
            database.session.remove()
            database.session = original
            outer.rollback()
            connection.close()


def _special_dispatch(db):
    """A draft dispatch whose subject, recipients and task hold <, >, & and quotes."""
    from tests.factories import user
    from workflow.services.dispatches import create_dispatch
    from workflow.services.tasks import create_task

    office = user("office")
    dispatch = create_dispatch(office, issuer="tinh-uy", subject=f"Về việc rà soát hợp đồng {SPECIAL}",
                               recipients=[f"Ban quản lý {SPECIAL}"], distribution=["Như trên", "Lưu VT"],
                               signing_authority="T/M BAN THƯỜNG VỤ", signer_title="Phó Bí thư Thường trực",
                               signer_name="Đặng Hồng Sỹ", now=NOW)
    create_task(office, dispatch_ref=str(dispatch.id), title=f"Rà soát các hợp đồng của {SPECIAL}",
                lead_unit="so-tai-chinh", deadline_text="trước ngày 15/12/2026", item="1", now=NOW)
    return dispatch


def _indicator_reports(db):
    from sqlalchemy import select

    from models import Indicator, IndicatorReport, Unit

    unit = db.session.scalar(select(Unit).where(Unit.code == "xa-lac-duong"))
    ct4 = db.session.scalar(select(Indicator).where(Indicator.code == "CT4"))
    ct15 = db.session.scalar(select(Indicator).where(Indicator.code == "CT15"))
    db.session.add(IndicatorReport(indicator=ct4, unit=unit, period="2026-05", value=1234.5,
                                   description=f"Đã cấp chữ ký số; {SPECIAL}", difficulties="Thiếu thiết bị",
                                   proposals="Bổ sung kinh phí", notes="Số liệu tạm tính"))
    db.session.add(IndicatorReport(indicator=ct15, unit=unit, period="2026-05", value=2, description=""))
    db.session.flush()


CASES = {
    "assignment": ("assignment", {"dispatch": "1775-CV/TU"}, None),
    "special": ("assignment", None, None),  # the draft dispatch made in the fixture
    "reminder": ("reminder", {"as_of": "2026-11-22", "date": "2026-11-22"}, "1776-CV/TU"),
    "task_report": ("task_report", {"as_of": "2026-06-30", "date": "2026-07-02"}, "15-BC/ĐU"),
    "task_report_today": ("task_report", {"as_of": "2026-11-22", "date": "2026-11-22"}, "16-BC/ĐU"),
    "indicator_form": ("indicator_form", {"unit": "xa-lac-duong", "period": "2026-05"}, None),
    "overdue_list": ("overdue_list", {"as_of": "2026-11-22", "date": "2026-11-22"}, None),
    "assignment_1534": ("assignment", {"dispatch": "1534-CV/TU"}, None),
    "assignment_1640": ("assignment", {"dispatch": "1640-CV/BTCTU"}, None),
    "imported": ("assignment", None, None),  # a dispatch imported in the fixture (never seen by the seeds)
}

IMPORTED = """TỈNH ỦY LÂM ĐỒNG
*
Số 2001-CV/TU
V/v kiểm tra công tác phòng cháy, chữa cháy rừng mùa khô
ĐẢNG CỘNG SẢN VIỆT NAM
Lâm Đồng, ngày 20 tháng 11 năm 2026
Kính gửi:
- Sở Nông nghiệp và Môi trường,
- Sở Tài chính.

Để chủ động phòng, chống cháy rừng mùa khô 2026 - 2027, Thường trực Tỉnh ủy đề nghị các cơ quan thực hiện \
tốt các nội dung sau:

1. Sở Nông nghiệp và Môi trường rà soát các vùng rừng có nguy cơ cháy cao, báo cáo trước ngày 15/12/2026.

STT\tKhu vực\tDiện tích rừng cần rà soát (ha)
1\tXã Lạc Dương\t1.200
2\tXã Đam Rông 1\t850
3\tRừng phòng hộ "A&B" <Q2>\t15

2. Sở Tài chính phối hợp với Sở Nông nghiệp và Môi trường bố trí kinh phí kiểm tra phòng cháy, chữa \
cháy rừng.

Thường trực Tỉnh ủy đề nghị các cơ quan khẩn trương triển khai thực hiện./.

Nơi nhận:
- Như trên,
- Lưu Văn phòng Tỉnh ủy.

T/M BAN THƯỜNG VỤ
PHÓ BÍ THƯ THƯỜNG TRỰC

Đặng Hồng Sỹ
"""
TEST_SIGNER = "Trần Thị Thử"  # signs a dispatch of Tỉnh ủy made in the fixture: never copied onto a document


def _signers(app, db, directory):
    """The office's signers: the Văn phòng's name in a configured signers file, a leader account for
    Đảng ủy UBND tỉnh, and a later dispatch of Tỉnh ủy signed by someone else (an old document)."""
    import yaml

    from config import BASE_DIR
    from tests.factories import user
    from workflow.services.dispatches import create_dispatch, issue_dispatch
    from workflow.services.tasks import create_task
    from workflow.services.users import create_user

    signers = yaml.safe_load((BASE_DIR / "workflow" / "data" / "signers.yaml").read_text(encoding="utf-8"))
    signers["van-phong-tinh-uy"]["signer_name"] = "Phạm Thị Lan"
    path = directory / "signers.yaml"
    path.write_text(yaml.safe_dump(signers, allow_unicode=True), encoding="utf-8")
    app.config["DOCUMENT_SIGNERS_FILE"] = str(path)
    create_user("bithu", "Mat-khau-2026", role="leader", unit_code="dang-uy-ubnd-tinh", full_name="Hoàng Văn Minh")
    office = user("office")
    later = create_dispatch(office, issuer="tinh-uy", subject="Về việc thử người ký",
                            signing_authority="T/M BAN THƯỜNG VỤ", signer_title="PHÓ BÍ THƯ",
                            signer_name=TEST_SIGNER, now=NOW)
    create_task(office, dispatch_ref=str(later.id), title="Việc thử", lead_unit="so-tai-chinh",
                deadline_text="trước ngày 20/12/2026", item="1", now=NOW)
    issue_dispatch(office, str(later.id), now=NOW)


def _imported(db):
    from tests.factories import user
    from workflow.services.imports import confirm_import, preview_import

    office = user("office")
    return confirm_import(office, preview_import(office, text=IMPORTED, now=NOW), now=NOW)


@pytest.fixture(scope="module")
def rendered(app, module_db, tmp_path_factory):
    """{case: {"kind", "params", "data", "docx", "pdf"}}, the LibreOffice PDFs made in one call."""
    _indicator_reports(module_db)
    special = _special_dispatch(module_db)
    imported = _imported(module_db)
    configured = app.config.get("DOCUMENT_SIGNERS_FILE")
    _signers(app, module_db, tmp_path_factory.mktemp("signers"))
    out = {}
    for case, (kind, params, number) in CASES.items():
        if case == "special":
            params = {"dispatch": str(special.id)}
        if case == "imported":
            params = {"dispatch": str(imported.id)}
        normalized = D.normalize_params(kind, params, NOW)
        data = D.build_data(kind, normalized, number=number)
        out[case] = {"kind": kind, "params": normalized, "data": data, "docx": D.render_docx(kind, data)}
    pdfs = D.converter().convert_many({f"{case}.docx": item["docx"] for case, item in out.items()
                                       if item["kind"] not in D.HTML_PDF_KINDS})
    for case, item in out.items():
        item["pdf"] = pdfs.get(f"{case}.docx") or D.render_pdf(item["kind"], item["data"], item["docx"])
    yield out
    app.config["DOCUMENT_SIGNERS_FILE"] = configured


def docx_paragraphs(content: bytes) -> list[str]:
    """Every paragraph's text, tables included, in document order."""
    document = open_docx(io.BytesIO(content))
    return ["".join(t.text or "" for t in p.iter(qn("w:t"))) for p in document.element.body.iter(qn("w:p"))]


def docx_text(content: bytes) -> str:
    return "\n".join(docx_paragraphs(content))


def pdf_text(content: bytes, first: int | None = None, last: int | None = None) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(content)
        handle.flush()
        args = ["pdftotext", "-enc", "UTF-8", "-raw"]  # -raw: text in drawing order, a table cell stays whole
        if first:
            args += ["-f", str(first)]
        if last:
            args += ["-l", str(last)]
        return subprocess.run(args + [handle.name, "-"], capture_output=True, check=True).stdout.decode("utf-8")


def flat(text: str) -> str:
    return " ".join(text.split())


def paragraph_with(document, text: str):
    for paragraph in document.element.body.iter(qn("w:p")):
        if text in "".join(t.text or "" for t in paragraph.iter(qn("w:t"))):
            return paragraph
    raise AssertionError(f"no paragraph with {text!r}")


# --------------------------------------------------------------------------
# Formatting helpers
# --------------------------------------------------------------------------


def test_vietnamese_dates_and_numbers():
    assert D.official_date(date(2026, 5, 8)) == "ngày 08 tháng 5 năm 2026"
    assert D.official_date(date(2026, 1, 3)) == "ngày 03 tháng 01 năm 2026"
    assert D.official_date(date(2026, 2, 28)) == "ngày 28 tháng 02 năm 2026"
    assert D.official_date(date(2026, 12, 25)) == "ngày 25 tháng 12 năm 2026"
    assert D.place_date(date(2026, 6, 3)) == "Lâm Đồng, ngày 03 tháng 6 năm 2026"
    assert D.format_number(1234.5) == "1.234,5"
    assert D.format_number(1234567) == "1.234.567"
    assert D.format_number(0.25) == "0,25"
    assert D.format_number(-1500.75) == "-1.500,75"
    assert D.format_number(12.3456, 2) == "12,35"
    assert D.count_text(7) == "07" and D.count_text(13) == "13" and D.count_text(1200) == "1.200"
    assert D.period_label("2026-05") == "tháng 5/2026" and D.period_label("2026-Q2") == "quý II/2026"
    assert D.subject_line("Về việc triển khai Kết luận 29") == "V/v triển khai Kết luận 29"
    assert D.dash_lines(["Như trên", "Lưu VT"]) == ["- Như trên,", "- Lưu VT."]


def test_deadlines_are_written_as_the_office_writes_them():
    assert D.format_deadline(local(2026, 4, 30, 23, 59, 59)) == "4/2026"
    assert D.format_deadline(local(2026, 5, 20, 23, 59, 59)) == "20/5/2026"
    assert D.format_deadline(local(2026, 6, 30, 0, 0)) == "trước ngày 30/6/2026"
    assert D.format_deadline(local(2026, 5, 9, 9, 0)) == "trước 09 giờ 00 phút ngày 09/5/2026"


# --------------------------------------------------------------------------
# Templates against their context builders
# --------------------------------------------------------------------------


def test_every_template_uses_exactly_the_variables_its_builder_supplies(rendered):
    for case, item in rendered.items():
        kind, data = item["kind"], item["data"]
        assert D.undeclared_variables(kind, D.to_context(data)) == set(), case
        assert D.undeclared_variables(kind) == set(data), f"{case}: unused keys in the context builder"


def test_a_missing_variable_is_an_error_not_an_empty_string(rendered):
    from jinja2 import UndefinedError

    data = dict(rendered["reminder"]["data"])
    del data["opening"]
    with pytest.raises(UndefinedError):
        D.render_docx("reminder", data)


def test_templates_are_rebuilt_identically_by_their_script(tmp_path):
    """docs_templates/*.docx are what build_templates.py makes (layout reviewable in code)."""
    import importlib.util

    from config import BASE_DIR

    spec = importlib.util.spec_from_file_location("build_templates", BASE_DIR / "docs_templates" / "build_templates.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for path in module.build(tmp_path):
        committed = BASE_DIR / "docs_templates" / path.name
        with zipfile.ZipFile(path) as fresh, zipfile.ZipFile(committed) as kept:
            assert sorted(fresh.namelist()) == sorted(kept.namelist()), path.name
            for name in fresh.namelist():
                assert fresh.read(name) == kept.read(name), f"{path.name}:{name} differs: run the script"


def test_the_warm_batch_renderer_gives_the_same_document_as_docxtpl(rendered):
    item = rendered["indicator_form"]
    warm = D.WarmTemplate("indicator_form")
    batch = warm.docx([warm.render_body(item["data"])])
    assert docx_paragraphs(batch) == docx_paragraphs(item["docx"])
    assert abs(open_docx(io.BytesIO(batch)).sections[0].page_width - Mm(297)) < Mm(0.5)


def test_the_warm_template_packages_documents_in_several_threads_at_once(rendered):
    """A batch packages each form's .docx while its combined documents are packaged in LibreOffice's
    threads: every package stays a valid zip with its own body (the template's ZipInfo entries were
    shared and rewritten by concurrent writes: "source file could not be loaded")."""
    from concurrent.futures import ThreadPoolExecutor

    warm = D.WarmTemplate("indicator_form")
    body = warm.render_body(rendered["indicator_form"]["data"])
    expected = docx_paragraphs(warm.docx([body]))

    def package(_):
        return [warm.docx([body]) for _ in range(15)]

    with ThreadPoolExecutor(max_workers=6) as pool:
        packages = [p for batch in pool.map(package, range(6)) for p in batch]
    for content in packages:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            assert archive.testzip() is None
        assert docx_paragraphs(content) == expected


# --------------------------------------------------------------------------
# Party format, in every .docx
# --------------------------------------------------------------------------


@pytest.mark.parametrize("case", list(CASES))
def test_every_docx_is_a4_with_party_margins_and_times_new_roman(rendered, case):
    content = rendered[case]["docx"]
    document = open_docx(io.BytesIO(content))
    section = document.sections[0]
    landscape = rendered[case]["kind"] in ("indicator_form", "overdue_list")
    width, height = (Mm(297), Mm(210)) if landscape else (Mm(210), Mm(297))
    assert abs(section.page_width - width) < Mm(0.5) and abs(section.page_height - height) < Mm(0.5)
    for margin, mm in (("top_margin", 20), ("bottom_margin", 20), ("left_margin", 30), ("right_margin", 15)):
        assert abs(getattr(section, margin) - Mm(mm)) < Mm(0.2), margin
    normal = document.styles["Normal"]
    assert normal.font.name == "Times New Roman" and normal.font.size == Pt(14)
    styles_xml = zipfile.ZipFile(io.BytesIO(content)).read("word/styles.xml").decode("utf-8")
    assert "Theme" not in re.search(r"<w:docDefaults>.*?</w:docDefaults>", styles_xml, re.S).group(0)
    document_xml = zipfile.ZipFile(io.BytesIO(content)).read("word/document.xml").decode("utf-8")
    fonts = set()
    for element in re.findall(r"<w:rFonts [^>]*>", styles_xml + document_xml):
        assert "Theme" not in element, element
        fonts |= set(re.findall(r'w:(?:ascii|hAnsi|cs|eastAsia)="([^"]+)"', element))
    assert fonts == {"Times New Roman"}


@pytest.mark.parametrize("case", list(CASES))
def test_page_numbers_start_on_page_two(rendered, case):
    content = rendered[case]["docx"]
    document = open_docx(io.BytesIO(content))
    section = document.sections[0]
    assert section.different_first_page_header_footer
    assert "PAGE" in "".join(t.text or "" for t in section.header._element.iter(qn("w:instrText")))
    assert not "".join(t.text or "" for t in section.first_page_header._element.iter(qn("w:t"))).strip()
    pdf = rendered[case]["pdf"]
    if rendered[case]["kind"] in D.HTML_PDF_KINDS:
        return  # wkhtmltopdf prints no headers (STACK.md); the .docx carries the page numbers
    first_lines = pdf_text(pdf, 1, 1).strip().splitlines()
    assert first_lines[0].strip() != "1"
    if int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True)
                     .stdout.decode()).group(1)) > 1:
        assert pdf_text(pdf, 2, 2).strip().splitlines()[0].strip() == "2"


def test_assignment_1775_in_the_party_format(rendered):
    content = rendered["assignment"]["docx"]
    text = docx_text(content)
    for expected in ["TỈNH ỦY LÂM ĐỒNG", "*", "Số 1775-CV/TU", "ĐẢNG CỘNG SẢN VIỆT NAM",
                     "V/v triển khai thực hiện Kết luận số 29-KL/TW ngày 28/4/2026 của Bộ Chính trị, Ban Bí thư",
                     "Lâm Đồng, ngày 03 tháng 6 năm 2026", "Kính gửi:",
                     "- Các cơ quan tham mưu, giúp việc Tỉnh ủy,", "- Các đơn vị sự nghiệp, các doanh nghiệp nhà nước.",
                     "3. Giao Ban Tổ chức Tỉnh ủy", "4. Giao Văn phòng Tỉnh ủy", "5. Giao Ủy ban Kiểm tra Tỉnh ủy",
                     "T/M BAN THƯỜNG VỤ", "PHÓ BÍ THƯ THƯỜNG TRỰC", "Đặng Hồng Sỹ", "Nơi nhận:",
                     "- Ban Tổ chức Trung ương,", "- Lưu Văn Phòng Tỉnh ủy, TH."]:
        assert expected in text, expected
    assert "DỰ THẢO" not in text
    assert text.index("3.1. Căn cứ Hướng dẫn") < text.index("3.2. Chủ trì") < text.index("5.2. Phối hợp")
    document = open_docx(io.BytesIO(content))
    date_run = paragraph_with(document, "Lâm Đồng, ngày 03 tháng 6 năm 2026").find(qn("w:r"))
    assert date_run.find(qn("w:rPr")).find(qn("w:i")) is not None
    party = paragraph_with(document, "ĐẢNG CỘNG SẢN VIỆT NAM").find(qn("w:r")).find(qn("w:rPr"))
    assert party.find(qn("w:b")) is not None and party.find(qn("w:u")) is not None
    # deadlines in bold: "… Ban Tổ chức Trung ương **trước ngày 05 tháng đầu của quý tiếp theo**."
    item = paragraph_with(document, "3.2. Chủ trì")
    bold = ["".join(t.text for t in r.iter(qn("w:t"))) for r in item.iter(qn("w:r"))
            if r.find(qn("w:rPr")) is not None and r.find(qn("w:rPr")).find(qn("w:b")) is not None]
    assert bold == ["trước ngày 05 tháng đầu của quý tiếp theo"]
    # a heading stays with what follows it; body: justified, first-line indent
    heading = paragraph_with(document, "3. Giao Ban Tổ chức Tỉnh ủy").find(qn("w:pPr"))
    assert heading.find(qn("w:keepNext")) is not None
    ppr = item.find(qn("w:pPr"))
    assert ppr.find(qn("w:jc")).get(qn("w:val")) == "both"
    assert int(ppr.find(qn("w:ind")).get(qn("w:firstLine"))) > 0


def test_assignment_pdf_keeps_the_vietnamese_text(rendered):
    text = flat(pdf_text(rendered["assignment"]["pdf"]))
    for expected in ["ĐẢNG CỘNG SẢN VIỆT NAM", "Số 1775-CV/TU", "Lâm Đồng, ngày 03 tháng 6 năm 2026",
                     "Kính gửi:", "Ủy ban Kiểm tra Tỉnh ủy", "trước ngày 05 tháng đầu của quý tiếp theo",
                     "T/M BAN THƯỜNG VỤ", "PHÓ BÍ THƯ THƯỜNG TRỰC", "Đặng Hồng Sỹ", "Nơi nhận:",
                     "Thực hiện Kết luận số 29-KL/TW, ngày 28/4/2026 của Bộ Chính trị, Ban Bí thư"]:
        assert expected in text, expected


def test_a_value_with_markup_characters_comes_out_intact(rendered):
    item = rendered["special"]
    text = docx_text(item["docx"])
    assert f"V/v rà soát hợp đồng {SPECIAL}" in text
    assert f"Ban quản lý {SPECIAL}." in text
    assert "1. Giao Sở Tài chính" in text and f"Rà soát các hợp đồng của {SPECIAL} trước ngày 15/12/2026." in text
    assert "DỰ THẢO" in text and "Số         -CV/TU" in text  # an unnumbered draft
    assert text.rstrip().endswith("Đặng Hồng Sỹ")  # nothing after the value was cut off
    pdf = flat(pdf_text(item["pdf"]))
    assert f"Rà soát các hợp đồng của {SPECIAL}" in pdf and "Đặng Hồng Sỹ" in pdf
    indicator = rendered["indicator_form"]
    assert f"Đã cấp chữ ký số; {SPECIAL}" in docx_text(indicator["docx"])
    assert SPECIAL in flat(pdf_text(indicator["pdf"]))


# --------------------------------------------------------------------------
# The key-task report as of 30/6/2026 says what the 6-month report said
# --------------------------------------------------------------------------

SEED_PENDING = [
    ("Chương trình xúc tiến đầu tư; danh mục dự án thu hút đầu tư năm 2026", "Sở Tài chính", "4/2026",
     "Đang thực hiện (trễ hạn)"),
    ("Đề án cơ cấu lại, nâng cao hiệu quả Quỹ Đầu tư phát triển tỉnh", "Sở Tài chính", "4/2026",
     "Đang thực hiện (trễ hạn)"),
    ("Chương trình phát triển đô thị; chương trình phát triển nhà ở", "Sở Xây dựng", "4/2026",
     "Đang thực hiện (trễ hạn)"),
    ("Đề án tăng thu, cơ cấu lại chi ngân sách trên địa bàn tỉnh đến năm 2030", "Sở Tài chính", "5/2026",
     "Đang thực hiện (trễ hạn)"),
    ("Cơ chế tham gia thị trường tín chỉ carbon rừng; khai thác du lịch - dịch vụ môi trường rừng",
     "Sở Nông nghiệp và Môi trường", "5/2026", "Đang thực hiện (trễ hạn)."),
    ("Nghị quyết về huy động các nguồn lực đầu tư phát triển kết cấu hạ tầng KTXH đến năm 2030", "Sở Tài chính",
     "5/2026", "Đang thực hiện (trễ hạn)"),
    ("Đề án xây dựng đô thị thông minh", "Sở Xây dựng", "6/2026", "Đang thực hiện (trễ hạn)"),
    ("Kế hoạch đầu tư tạo quỹ đất sạch trên địa bàn tỉnh", "Trung tâm Phát triển quỹ đất tỉnh", "6/2026",
     "Đang thực hiện (xin gia hạn trong quý II/2026)"),
    ("Kế hoạch phát triển kinh tế tập thể, hợp tác xã đến năm 2030", "Sở Tài chính", "6/2026",
     "Đang thực hiện (trong hạn)"),
    ("Đề án sắp xếp, cơ cấu lại doanh nghiệp nhà nước giai đoạn 2026 - 2030", "Sở Tài chính", "6/2026",
     "Đang thực hiện (trong hạn)"),
    ("Chính sách hỗ trợ đầu tư phát triển sản xuất vùng đồng bào dân tộc thiểu số",
     "Sở Dân tộc và Tôn giáo, Sở Tài chính", "6/2026", "Đang thực hiện (trong hạn)"),
]


def test_the_report_as_of_30_june_is_the_six_month_report(rendered):
    data = rendered["task_report"]["data"]
    assert data["completed_heading"] == "1. Các nhiệm vụ đã hoàn thành (13 nhiệm vụ):"
    assert data["pending_heading"] == "2. Các nhiệm vụ đang thực hiện, chưa hoàn thành (11 nhiệm vụ):"
    assert len(data["completed"]) == 13
    assert data["completed"][0] == {"no": "1", "title": "Kế hoạch bảo vệ môi trường giai đoạn 2026 - 2030",
                                    "lead": "Sở Nông nghiệp và Môi trường"}
    assert data["completed"][12]["title"] == "Chính sách hỗ trợ đào tạo, thu hút và đãi ngộ nguồn nhân lực y tế"
    got = [(r["title"], r["lead"], r["deadline"], r["status"]) for r in data["pending"]]
    assert got == SEED_PENDING
    assert data["pending"][4]["note"].startswith("Sở Nông nghiệp môi trường đã có hướng dẫn quy trình")
    assert all(not r["note"] for n, r in enumerate(data["pending"]) if n != 4)
    assert data["as_of_line"] == "(tính đến ngày 30 tháng 6 năm 2026)"
    assert "07 nhiệm vụ trễ hạn" in data["opening"]


def test_the_report_document_and_its_pdf(rendered):
    item = rendered["task_report"]
    text = docx_text(item["docx"])
    for expected in ["ĐẢNG BỘ TỈNH LÂM ĐỒNG", "ĐẢNG ỦY ỦY BAN NHÂN DÂN TỈNH", "Số 15-BC/ĐU", "BÁO CÁO",
                     "Lâm Đồng, ngày 02 tháng 7 năm 2026", "STT", "Nội dung nhiệm vụ", "Thời hạn",
                     "Tình hình thực hiện", "Đang thực hiện (xin gia hạn trong quý II/2026)"]:
        assert expected in text, expected
    pdf = flat(pdf_text(item["pdf"]))
    for title, lead, deadline, status in SEED_PENDING:
        assert flat(title) in pdf, title
    assert pdf.count("Đang thực hiện (trễ hạn)") == 7 and pdf.count("(trong hạn)") == 3
    assert "1. Các nhiệm vụ đã hoàn thành (13 nhiệm vụ):" in pdf


def test_the_report_as_of_today_shows_the_second_half_plan(rendered):
    data = rendered["task_report_today"]["data"]
    assert len(data["completed"]) == 13
    pending = data["pending"]
    assert len(pending) == 21  # the 11 carried over (moved to 7/2026) and the 10 new ones
    assert {r["deadline"] for r in pending[:11]} == {"7/2026"}
    assert [r["status"] for r in pending[:11]] == ["Đang thực hiện (trễ hạn)"] * 4 + ["Đang thực hiện (trễ hạn)."] \
        + ["Đang thực hiện (trễ hạn)"] * 6  # C2.5 keeps its progress note; status notes are not repeated
    assert all(r["status"] == "Chưa triển khai (trễ hạn)" for r in pending[11:])
    assert pending[11]["title"] == "Đề án phát triển, thu hút, trọng dụng nhân tài làm việc tại tỉnh"


def test_as_of_replays_the_history_not_the_current_columns(module_db):
    """A task completed on 10/7 is pending in a report as of 30/6 and completed as of 31/7."""
    from sqlalchemy import select

    from models import Task
    from tests.factories import user
    from workflow.services.tasks import fire_event

    task = module_db.session.scalar(select(Task).where(Task.item == "C2.9"))
    fire_event(user("taichinh"), task.id, "complete", version=task.version, now=local(2026, 7, 10, 9, 0),
               evidence_number="99-BC/STC", evidence_date=date(2026, 7, 10))
    try:
        june = D.task_as_of(task, local(2026, 6, 30, 23, 59, 59))
        july = D.task_as_of(task, local(2026, 7, 31, 23, 59, 59))
        assert june.status == "in_progress" and june.status_text() == "Đang thực hiện (trong hạn)"
        assert D.format_deadline(june.deadline) == "6/2026"
        assert july.status == "completed" and july.status_text() == "Đã hoàn thành"
        assert D.task_as_of(task, local(2026, 1, 1, 0, 0)) is None  # assigned on 5/1
    finally:
        module_db.session.rollback()


# --------------------------------------------------------------------------
# Reminder, indicator form, overdue list
# --------------------------------------------------------------------------


def test_the_reminder_lists_each_units_overdue_tasks(rendered):
    item = rendered["reminder"]
    data, text = item["data"], docx_text(item["docx"])
    assert data["subject_line"] == "V/v đôn đốc thực hiện các nhiệm vụ quá hạn"
    assert data["number"] == "1776-CV/TU" and "Số 1776-CV/TU" in text
    states = [s for s in D.tasks_as_of(local(2026, 11, 22, 23, 59, 59), open_only=True) if s.late]
    units = {s.task.lead_unit.name for s in states}
    assert len(data["units"]) == len(units) and len(data["recipients"]) == len(units)
    for state in states:
        title = " ".join(state.task.title.split()).rstrip(".")
        assert title in text, title
    finance = next(u for u in data["units"] if "Sở Tài chính" in D.plain_text(u["heading"]))
    finance_text = D.plain_text(finance["tasks"])
    assert "Chương trình xúc tiến đầu tư; danh mục dự án thu hút đầu tư năm 2026" in finance_text
    assert "thời hạn: 7/2026" in finance_text
    # Kính gửi and Nơi nhận name the units; the deadline of each task is bold
    assert "- Sở Tài chính," in data["recipients"] or "- Sở Tài chính." in data["recipients"]
    assert [line[2:-1] for line in data["distribution"][:len(units)]] == \
        [line[2:-1] for line in data["recipients"]]  # Nơi nhận: the same units, then the others
    assert data["distribution"][-2:] == ["- Thường trực Tỉnh ủy (báo cáo),", "- Lưu Văn phòng Tỉnh ủy."]
    document = open_docx(io.BytesIO(item["docx"]))
    line = paragraph_with(document, "- Chương trình xúc tiến đầu tư")
    bold = [r for r in line.iter(qn("w:r")) if r.find(qn("w:rPr")) is not None
            and r.find(qn("w:rPr")).find(qn("w:b")) is not None]
    assert ["".join(t.text for t in r.iter(qn("w:t"))) for r in bold] == ["7/2026"]
    pdf = flat(pdf_text(item["pdf"]))
    assert "V/v đôn đốc thực hiện các nhiệm vụ quá hạn" in pdf and "Sở Tài chính" in pdf


def test_no_reminder_without_overdue_tasks(module_db):
    from workflow.errors import ValidationError

    params = D.normalize_params("reminder", {"as_of": "2026-01-10"}, NOW)
    with pytest.raises(ValidationError, match="Không có nhiệm vụ quá hạn"):
        D.build_data("reminder", params)


def test_the_indicator_form_is_the_1534_appendix(rendered):
    item = rendered["indicator_form"]
    document = open_docx(io.BytesIO(item["docx"]))
    table = document.tables[0]
    headers = [c.text for c in table.rows[0].cells]
    assert headers == ["STT", "Tên chỉ tiêu", "Mã số", "Mã số chi", "Đơn vị tính", "Mục tiêu",
                       "Cơ quan chủ trì thực hiện", "Văn bản nguồn", "Kết quả thực hiện trong kỳ (Điền số)",
                       "Mô tả tình hình thực hiện trong kỳ", "Khó khăn, vướng mắc", "Đề xuất, kiến nghị", "Ghi chú"]
    rows = form_rows(table)
    assert len(rows) == 13
    assert rows[0][:6] == ["1", rows[0][1], "CT4", "*", "%", "100"] and rows[0][8] == "1.234,5"
    assert rows[0][10:] == ["Thiếu thiết bị", "Bổ sung kinh phí", "Số liệu tạm tính"]
    assert [r[2] for r in rows] == ["CT4", "CT5", "CT7", "CT8", "CT9", "CT6.2", "CT6.3", "CT10", "CT11", "CT12",
                                    "CT13", "CT14", "CT15"]
    assert rows[12][5] == "05" and rows[12][8] == "2" and rows[2][5] == "≥80"
    text = docx_text(item["docx"])
    assert "(Ban hành kèm theo Công văn số 1534-CV/TU, ngày 08 tháng 5 năm 2026 của Ban Thường vụ Tỉnh ủy)" in text
    assert "Đơn vị báo cáo: Xã Lạc Dương - Kỳ báo cáo: tháng 5/2026" in text
    pdf = flat(pdf_text(item["pdf"]))
    assert "Đơn vị báo cáo: Xã Lạc Dương - Kỳ báo cáo: tháng 5/2026" in pdf and "1.234,5" in pdf
    assert "Sở Khoa học và Công nghệ" in pdf and "Văn phòng UBND tỉnh" in pdf


def form_rows(table) -> list[list[str]]:
    """The data rows of a form's table; the last one is nested, with the signing block, in a row that
    never splits (so the signatures always share a page with it)."""
    rows = []
    for row in table.rows[1:]:
        nested = row.cells[0].tables
        rows.append([c.text for c in (nested[0].rows[0].cells if nested else row.cells)])
    return rows


def test_the_overdue_list_for_leaders(rendered):
    item = rendered["overdue_list"]
    data = item["data"]
    days = [int(r["days_late"].replace(".", "")) for r in data["rows"]]
    assert days and days == sorted(days, reverse=True)
    assert sum(int(u["count"]) for u in data["by_unit"]) == len(data["rows"])
    assert data["rows"][0]["source"] == "Công văn số 1534-CV/TU"
    assert data["issuer_name"] == "VĂN PHÒNG" and data["number"] == ""
    text = docx_text(item["docx"])
    assert "DANH SÁCH" in text and "Số ngày quá hạn" in text and "Số " not in text.split("DANH SÁCH")[0]
    # the PDF is made from the landscape .docx by LibreOffice (Debian's wkhtmltopdf prints neither page
    # numbers nor a repeated table header): every page landscape, numbered from page 2, and the list's
    # header row on every page that holds its rows
    assert item["pdf"].startswith(b"%PDF-")
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "99", "-"], input=item["pdf"],
                          capture_output=True).stdout.decode()
    assert "LibreOffice" in info
    sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info)
    assert len(sizes) > 1 and all(float(w) > float(h) for w, h in sizes)
    pages = [pdf_text(item["pdf"], n, n) for n in range(1, len(sizes) + 1)]
    last_row = flat(data["rows"][-1]["title"])[:40]
    holding = next(n for n, page in enumerate(pages) if last_row in flat(page))
    assert holding >= 1
    for n, page in enumerate(pages[:holding + 1]):
        assert "Nội dung nhiệm vụ" in page and "Số ngày quá hạn" in flat(page), f"no header row on page {n + 1}"
        if n:
            assert page.strip().splitlines()[0].strip() == str(n + 1)
    pdf = flat(pdf_text(item["pdf"]))
    for expected in ["ĐẢNG CỘNG SẢN VIỆT NAM", "DANH SÁCH", "các nhiệm vụ quá hạn chưa hoàn thành",
                     "(tính đến ngày 22 tháng 11 năm 2026)", data["rows"][0]["lead"], "Ban Tổ chức Tỉnh ủy",
                     "Trung tâm Phát triển quỹ đất tỉnh", "Nơi nhận:"]:
        assert expected in pdf, expected


# --------------------------------------------------------------------------
# Many forms: one combined conversion, split per unit
# --------------------------------------------------------------------------


def test_a_batch_of_forms_splits_into_one_pdf_per_unit(module_db):
    from sqlalchemy import select

    from models import Unit

    units = list(module_db.session.scalars(select(Unit).where(Unit.kind == "commune").order_by(Unit.id).limit(3)))
    datas = [D.build_data("indicator_form", {"unit": u.code, "period": "2026-05", "catalogue": "1534-CV/TU"})
             for u in units]
    markers = [f"Đơn vị báo cáo: {d['unit_name']} - Kỳ báo cáo" for d in datas]
    seen = []
    results = D.render_batch("indicator_form", datas, markers, processes=2,
                             progress=lambda done, total, message: seen.append((done, total)))
    assert len(results) == 3 and seen[-1] == (30, 30)  # .docx 1 unit, PDF 9 units per form
    for unit, (docx, pdf) in zip(units, results):
        assert f"Đơn vị báo cáo: {unit.name}" in docx_text(docx)
        first_page = flat(pdf_text(pdf, 1, 1))
        assert f"Đơn vị báo cáo: {unit.name} - Kỳ báo cáo: tháng 5/2026" in first_page
        assert first_page.split()[0] == "PHỤ" and "1.234,5" not in first_page
        others = [u.name for u in units if u is not unit]
        assert not any(f"Đơn vị báo cáo: {name} " in flat(pdf_text(pdf)) for name in others)
        assert pdf_text(pdf, 2, 2).strip().splitlines()[0].strip() == "2"  # numbering restarts per form
        # each file says which commune's form it is (not the template's, not the tool's)
        props = open_docx(io.BytesIO(docx)).core_properties
        assert props.author == unit.name and props.title == f"Biểu chỉ tiêu {unit.name} - tháng 5/2026"
        info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True).stdout.decode()
        assert re.search(r"^Author:\s+" + re.escape(unit.name) + "$", info, re.M)
        assert "python-docx" not in zipfile.ZipFile(io.BytesIO(docx)).read("docProps/core.xml").decode()


def test_one_libreoffice_converts_a_batchs_groups_in_turn_and_each_part_is_found_by_its_anchor(module_db, monkeypatch):
    """Issue 16: a LibreOffice process converts all its groups in one call (one start-up), handing over
    each PDF as it is written; each form's first page is a named destination of the combined PDF, so
    the split reads no text, and cuts where the forms' own text says they start."""
    from sqlalchemy import select

    from models import Unit

    units = list(module_db.session.scalars(select(Unit).where(Unit.kind == "commune").order_by(Unit.id).limit(4)))
    datas = [D.build_data("indicator_form", {"unit": u.code, "period": "2026-05", "catalogue": "1534-CV/TU"})
             for u in units]
    markers = [f"Đơn vị báo cáo: {d['unit_name']} - Kỳ báo cáo" for d in datas]
    warm = D.WarmTemplate("indicator_form")
    bodies = [warm.render_body(d) for d in datas]
    anchors = [f"wfpart{n:05d}" for n in range(4)]
    started = []
    popen = subprocess.Popen
    monkeypatch.setattr(D.subprocess, "Popen", lambda *a, **k: started.append(a) or popen(*a, **k))
    combined = [warm.combined_for_conversion(bodies[:2], anchors[:2]),
                warm.combined_for_conversion(bodies[2:], anchors[2:])]
    converted = list(D.converter().convert_each(combined, export=D.BATCH_PDF_EXPORT))
    assert [n for n, _ in converted] == [0, 1] and len(started) == 1
    by_text = [D.split_pdf_by_first_pages(pdf, markers[2 * n:2 * n + 2]) for n, pdf in converted]
    # anchors missing from the PDF (an older LibreOffice): split by the text, the same parts
    fallback = D.split_pdf_by_first_pages(converted[0][1], markers[:2], anchors=["nowhere", "else"])
    assert [flat(pdf_text(p)) for p in fallback] == [flat(pdf_text(p)) for p in by_text[0]]
    monkeypatch.setattr(D, "pdf_page_texts", lambda pdf: pytest.fail("the anchors were not used"))
    by_anchor = [D.split_pdf_by_first_pages(pdf, markers[2 * n:2 * n + 2], anchors=anchors[2 * n:2 * n + 2])
                 for n, pdf in converted]
    parts = [part for group in by_anchor for part in group]
    assert len(parts) == 4
    for unit, part, expected in zip(units, parts, [p for group in by_text for p in group]):
        assert flat(pdf_text(part)) == flat(pdf_text(expected))
        assert f"Đơn vị báo cáo: {unit.name} - Kỳ báo cáo" in flat(pdf_text(part, 1, 1))
        assert pdf_text(part, 2, 2).strip().splitlines()[0].strip() == "2"


def test_the_batch_converts_table_grid_tables_with_their_borders_inline_and_the_pages_do_not_change(rendered):
    """LibreOffice's import applies a table style cell by cell (a third of a form's import): the combined
    document a batch converts carries "Table Grid"'s borders on each table instead, and its PDF pages are
    drawn exactly as from the styled tables (every page's content stream the same)."""
    from pypdf import PdfReader

    warm = D.WarmTemplate("indicator_form")
    assert warm._inline_borders  # the templates' "Table Grid" is the plain one: the shortcut applies
    body = warm.render_body(rendered["indicator_form"]["data"])
    inline = warm.combined_for_conversion([body, body], ["wfa", "wfb"])
    assert "TableGrid" not in zipfile.ZipFile(io.BytesIO(inline)).read("word/document.xml").decode()
    warm._inline_borders = None
    styled = warm.combined_for_conversion([body, body], ["wfa", "wfb"])
    assert "TableGrid" in zipfile.ZipFile(io.BytesIO(styled)).read("word/document.xml").decode()
    pdfs = [pdf for _, pdf in D.converter().convert_each([inline, styled], export=D.BATCH_PDF_EXPORT)]
    pages = [[page.get_contents().get_data() for page in PdfReader(io.BytesIO(pdf)).pages] for pdf in pdfs]
    assert len(pages[0]) >= 2 and pages[0] == pages[1]
    # another definition of the style (here: red borders) keeps the style in the document
    styles = warm._entries[[i.filename for i, _ in warm._entries].index("word/styles.xml")][1].decode()
    assert D._plain_table_grid_borders(styles) is not None
    assert D._plain_table_grid_borders(styles.replace('w:color="auto"', 'w:color="FF0000"', 1)) is None


def test_a_libreoffice_that_writes_no_pdf_or_is_stopped_fails_the_batch_with_a_message(tmp_path):
    """soffice exits 0 without a PDF: the conversion says which document failed; a batch that failed
    elsewhere stops the LibreOffice still converting instead of waiting for it."""
    import threading
    import time

    lo = D.LibreOffice(binary="/bin/true", profile_root=str(tmp_path / "profiles"))
    with pytest.raises(D.ConversionError, match="văn bản 1/2"):
        list(lo.convert_each([b"PK one", b"PK two"]))
    slow = tmp_path / "slow-soffice"  # like oosplash, which runs soffice.bin as its child
    slow.write_text(f"#!/bin/sh\nsleep 30 &\necho $! > {tmp_path / 'child'}\nwait\n")
    slow.chmod(0o755)
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    started = time.monotonic()
    with pytest.raises(D.ConversionError, match="Đã dừng"):
        list(D.LibreOffice(binary=str(slow), profile_root=str(tmp_path / "profiles")).convert_each(
            [b"PK one"], cancel=cancel))
    assert time.monotonic() - started < 10
    child = int((tmp_path / "child").read_text())
    for _ in range(50):  # the child is gone too (killed with its process group), not left converting
        if not os.path.exists(f"/proc/{child}") or " Z " in open(f"/proc/{child}/stat").read():
            break
        time.sleep(0.1)
    else:
        pytest.fail("LibreOffice's child process was left running")


def test_libreoffice_gets_the_configured_allocator_next_to_any_preload_and_none_when_disabled(monkeypatch, tmp_path):
    library = tmp_path / "liballoc.so"
    library.write_bytes(b"")
    monkeypatch.setenv("LD_PRELOAD", "/opt/other.so")
    monkeypatch.setenv("SOFFICE_PRELOAD", str(library))
    assert D.soffice_environment()["LD_PRELOAD"] == f"/opt/other.so {library}"
    monkeypatch.setenv("SOFFICE_PRELOAD", "")
    assert D.soffice_environment()["LD_PRELOAD"] == "/opt/other.so"
    monkeypatch.delenv("LD_PRELOAD")
    monkeypatch.setenv("SOFFICE_PRELOAD", str(tmp_path / "missing.so"))  # not installed: nothing preloaded
    assert "LD_PRELOAD" not in D.soffice_environment()


def test_the_warm_template_still_turns_line_breaks_and_tabs_in_the_data_into_word_breaks(rendered):
    """render_body skips docxtpl's resolve_listing when nothing in the body needs it: a value with a
    line break or a tab still gets its <w:br/> and <w:tab/>, as docxtpl renders it."""
    data = copy.deepcopy(rendered["indicator_form"]["data"])
    data["rows"][0]["description"] = "Dòng một\nDòng hai\tcột"
    warm = D.WarmTemplate("indicator_form")
    body = warm.render_body(data)
    assert "<w:br/>" in body and "<w:tab/>" in body
    assert docx_paragraphs(warm.docx([body])) == docx_paragraphs(D.render_docx("indicator_form", data))
    plain = warm.render_body(rendered["indicator_form"]["data"])
    assert plain == warm._docxtpl.resolve_listing(plain)


# --------------------------------------------------------------------------
# Fidelity: what a signer expects on paper (each read back from the .docx and the PDF)
# --------------------------------------------------------------------------


def signing_lines(content: bytes) -> list[str]:
    """The non-empty lines of the signing block's right cell (authority, title, name)."""
    document = open_docx(io.BytesIO(content))
    table = next(t for t in document.tables if "Nơi nhận:" in t.rows[0].cells[0].text)
    return [p.text for p in table.rows[0].cells[1].paragraphs if p.text.strip()]


def test_the_task_report_and_the_overdue_list_carry_the_signers_name(rendered):
    """The name stands under the title: from the office's leader account (Đảng ủy UBND tỉnh) or the
    configured signers file (Văn phòng); the reminder keeps Tỉnh ủy's configured signer although a
    later dispatch of Tỉnh ủy was signed by someone else: a name is never copied from an old document."""
    cases = {"task_report": ["T/M BAN THƯỜNG VỤ", "BÍ THƯ", "Hoàng Văn Minh"],
             "overdue_list": ["T/L BAN THƯỜNG VỤ", "CHÁNH VĂN PHÒNG", "Phạm Thị Lan"],
             "reminder": ["T/M BAN THƯỜNG VỤ", "PHÓ BÍ THƯ THƯỜNG TRỰC", "Đặng Hồng Sỹ"]}
    for case, lines in cases.items():
        item = rendered[case]
        assert signing_lines(item["docx"]) == lines, case
        pdf = flat(pdf_text(item["pdf"]))
        assert " ".join(lines) in pdf or all(line in pdf for line in lines), case
        assert pdf.index(lines[1]) < pdf.rindex(lines[2]), case
        assert TEST_SIGNER not in pdf and TEST_SIGNER not in docx_text(item["docx"])


def test_a_signer_named_in_the_request_replaces_the_default_and_another_title_drops_its_name(module_db):
    params = D.normalize_params("reminder", {"as_of": "2026-11-22", "signer_name": "Lê Văn Ký"}, NOW)
    assert D.build_data("reminder", params, number="1-CV/TU")["signer_name"] == "Lê Văn Ký"
    params = D.normalize_params("reminder", {"as_of": "2026-11-22", "signer_title": "Phó Bí thư"}, NOW)
    data = D.build_data("reminder", params, number="1-CV/TU")
    assert data["signer_title"] == "PHÓ BÍ THƯ" and data["signer_name"] == ""


def test_the_1534_assignment_carries_its_appendix_of_13_indicators(rendered):
    item = rendered["assignment_1534"]
    text = docx_text(item["docx"])
    assert "(Chi tiết Phụ lục đính kèm)" in text
    document = open_docx(io.BytesIO(item["docx"]))
    assert len(document.sections) == 2
    first, appendix = document.sections
    assert first.page_width < first.page_height and appendix.page_width > appendix.page_height
    table = document.tables[-1]
    assert [c.text for c in table.rows[0].cells][:3] == ["STT", "Tên chỉ tiêu", "Mã số"]
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None  # repeated on each page
    rows = [[c.text for c in row.cells] for row in table.rows[1:]]
    assert [r[2] for r in rows] == ["CT4", "CT5", "CT7", "CT8", "CT9", "CT6.2", "CT6.3", "CT10", "CT11", "CT12",
                                    "CT13", "CT14", "CT15"]
    assert rows[12][1] == "Thương mại hóa thành công sản phẩm thuộc Danh mục công nghệ chiến lược"
    assert rows[12][5] == "05" and rows[2][5] == "≥80" and rows[0][6] == "Sở Khoa học và Công nghệ"
    # In the PDF: the appendix starts on a landscape page after the signature
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "99", "-"], input=item["pdf"],
                          capture_output=True).stdout.decode()
    sizes = [float(w) > float(h) for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info)]
    pages = [flat(pdf_text(item["pdf"], n, n)) for n in range(1, len(sizes) + 1)]
    start = next(n for n, page in enumerate(pages) if "PHỤ LỤC" in page)
    assert "Đặng Hồng Sỹ" in " ".join(pages[:start]) and "Đặng Hồng Sỹ" not in pages[start]
    assert sizes[:start] == [False] * start and all(sizes[start:])
    appendix_text = " ".join(pages[start:])
    assert "(Ban hành kèm theo Công văn số 1534-CV/TU, ngày 08 tháng 5 năm 2026 của Ban Thường vụ Tỉnh ủy)" \
        in appendix_text
    assert all(code in appendix_text for code in ("CT4", "CT6.3", "CT15"))


def test_the_1640_assignment_keeps_its_criteria_table_and_its_words(rendered):
    item = rendered["assignment_1640"]
    text = flat(docx_text(item["docx"]))
    assert "Ban Tổ chức Tỉnh ủy đề nghị Ban Thường vụ Đảng ủy UBND tỉnh phối hợp chỉ đạo báo cáo" in text
    assert "Do thời gian yêu cầu gấp, Ban Tổ chức Tỉnh ủy đề nghị Ban Thường vụ Đảng ủy UBND tỉnh phối hợp, chỉ " \
           "đạo cung cấp thông tin và gửi về Ban Tổ chức Tỉnh ủy trước ngày 30/6/2026 để kịp thời tổng hợp" in text
    assert "1. Giao Đảng ủy UBND tỉnh" not in text and "yêu cầu các cơ quan, đơn vị" not in text
    document = open_docx(io.BytesIO(item["docx"]))
    table = next(t for t in document.tables if t.rows[0].cells[0].text == "TT")
    rows = [[c.text for c in row.cells] for row in table.rows]
    assert rows[0] == ["TT", "Tiêu chí / Nội dung", "Kết quả thực hiện"] and len(rows) == 20
    assert rows[1][:2] == ["1", "Trục (1) - THỰC HIỆN MỤC TIÊU PHÁT TRIỂN KINH TẾ - XÃ HỘI VÀ NHIỆM VỤ CHÍNH TRỊ "
                                "ĐƯỢC GIAO"]
    assert rows[-1][:2] == ["4.5", "- Xây dựng nông thôn mới"]
    # the deadline in bold, as the dispatch prints it
    closing = paragraph_with(document, "Do thời gian yêu cầu gấp")
    bold = ["".join(t.text for t in r.iter(qn("w:t"))) for r in closing.iter(qn("w:r"))
            if r.find(qn("w:rPr")) is not None and r.find(qn("w:rPr")).find(qn("w:b")) is not None]
    assert bold == ["trước ngày 30/6/2026"]
    pdf = flat(pdf_text(item["pdf"]))
    assert "Trục (2) - HOÀN THIỆN THẺ CHẾ" in pdf and "4.4 - Thực hiện chính sách đối với người có công" in pdf
    assert pdf.index("như sau:") < pdf.index("Tiêu chí / Nội dung") < pdf.index("Do thời gian yêu cầu gấp")


def test_the_1775_opening_paragraph_is_whole(rendered):
    item = rendered["assignment"]
    opening = ("Thực hiện Kết luận số 29-KL/TW, ngày 28/4/2026 của Bộ Chính trị, Ban Bí thư; để tiếp tục triển "
               "khai nghiêm túc, hiệu quả, thực chất công tác kiểm điểm, đánh giá, xếp loại chất lượng đối với tập "
               "thể, cá nhân trong hệ thống chính trị, Ban Thường vụ Tỉnh ủy yêu cầu các cấp ủy, tập thể lãnh đạo "
               "cơ quan, địa phương, đơn vị lãnh đạo, chỉ đạo và tổ chức thực hiện nghiêm túc các nội dung sau:")
    assert docx_paragraphs(item["docx"]).count(opening) == 1
    pdf = flat(pdf_text(item["pdf"]))
    assert opening in pdf
    assert "(6) Củng cố quốc phòng, an ninh" in pdf  # the paragraph the page break of the source split
    assert "Ban Thường vụ Tỉnh ủy yêu cầu các cấp ủy, địa phương, cơ quan, đơn vị khẩn trương nghiêm túc triển " \
           "khai thực hiện./." in pdf and "Bala" not in pdf


def test_an_imported_dispatch_keeps_its_own_words_and_table(rendered):
    """Not the seeds only: any dispatch imported with its text is printed from that text."""
    item = rendered["imported"]
    paragraphs = docx_paragraphs(item["docx"])
    assert ("Để chủ động phòng, chống cháy rừng mùa khô 2026 - 2027, Thường trực Tỉnh ủy đề nghị các cơ quan thực "
            "hiện tốt các nội dung sau:") in paragraphs
    assert "Thường trực Tỉnh ủy đề nghị các cơ quan khẩn trương triển khai thực hiện./." in paragraphs
    assert not any(p.startswith(("1. Giao", "2. Giao")) for p in paragraphs)
    document = open_docx(io.BytesIO(item["docx"]))
    table = next(t for t in document.tables if t.rows[0].cells[0].text == "STT")
    assert [[c.text for c in r.cells] for r in table.rows] == [
        ["STT", "Khu vực", "Diện tích rừng cần rà soát (ha)"], ["1", "Xã Lạc Dương", "1.200"],
        ["2", "Xã Đam Rông 1", "850"], ["3", 'Rừng phòng hộ "A&B" <Q2>', "15"]]  # escaped, intact
    item1 = paragraph_with(document, "1. Sở Nông nghiệp và Môi trường rà soát")
    bold = ["".join(t.text for t in r.iter(qn("w:t"))) for r in item1.iter(qn("w:r"))
            if r.find(qn("w:rPr")) is not None and r.find(qn("w:rPr")).find(qn("w:b")) is not None]
    assert bold == ["trước ngày 15/12/2026"]  # the deadline the import read, in bold
    pdf = flat(pdf_text(item["pdf"]))
    assert "Xã Đam Rông 1 850" in pdf and 'Rừng phòng hộ "A&B" <Q2> 15' in pdf
    assert "bố trí kinh phí kiểm tra phòng cháy, chữa cháy rừng." in pdf


def test_the_forms_signing_block_shares_its_page_with_its_date_line_and_the_last_row(rendered):
    item = rendered["indicator_form"]
    pages = subprocess.run(["pdftotext", "-enc", "UTF-8", "-layout", "-", "-"], input=item["pdf"],
                           capture_output=True).stdout.decode().split("\f")
    last = next(page for page in reversed(pages) if page.strip())
    for expected in ("THỦ TRƯỞNG ĐƠN VỊ", "NGƯỜI LẬP BIỂU", "ngày ...... tháng ...... năm 2026",
                     "Thương mại hóa thành"):
        assert expected in last, expected
    assert sum("THỦ TRƯỞNG ĐƠN VỊ" in page for page in pages) == 1


def test_a_deadline_such_as_10_2026_stays_on_one_line(rendered):
    item = rendered["task_report_today"]
    assert "10/2026" in [r["deadline"] for r in item["data"]["pending"]]
    layout = subprocess.run(["pdftotext", "-enc", "UTF-8", "-layout", "-", "-"], input=item["pdf"],
                            capture_output=True).stdout.decode()
    rows = [line for line in layout.splitlines() if re.search(r"\b(?:Chưa triển khai|Đang thực hiện)\b", line)]
    deadlines = [re.search(r"\s(\d{1,2}/\d{4}|\d{1,2}/\d{1,2}/\d{4})\s", line) for line in rows]
    assert len(rows) == 21 and all(deadlines), [line for line, d in zip(rows, deadlines) if not d]
    assert "10/2026" in [d.group(1) for d in deadlines]


def test_document_properties_name_the_issuing_body_not_the_tool(rendered):
    expected = {"assignment": "Tỉnh ủy Lâm Đồng", "assignment_1640": "Ban Tổ chức Tỉnh ủy Lâm Đồng",
                "task_report": "Đảng ủy Ủy ban nhân dân tỉnh Lâm Đồng", "overdue_list": "Văn phòng Tỉnh ủy Lâm Đồng",
                "indicator_form": "Xã Lạc Dương"}
    for case, item in rendered.items():
        core = zipfile.ZipFile(io.BytesIO(item["docx"])).read("docProps/core.xml").decode("utf-8")
        app = zipfile.ZipFile(io.BytesIO(item["docx"])).read("docProps/app.xml").decode("utf-8")
        assert "python-docx" not in core.lower() and "Macintosh" not in app, case
        props = open_docx(io.BytesIO(item["docx"])).core_properties
        assert props.title and props.language == "vi-VN" and props.category == D.KIND_LABELS[item["kind"]]
        if case in expected:
            assert props.author == props.last_modified_by == expected[case], case
            info = subprocess.run(["pdfinfo", "-"], input=item["pdf"], capture_output=True).stdout.decode()
            assert re.search(r"^Author:\s+" + re.escape(expected[case]) + "$", info, re.M), case
    core = open_docx(io.BytesIO(rendered["assignment"]["docx"])).core_properties
    assert core.title.startswith("V/v triển khai thực hiện Kết luận số 29-KL/TW") and core.identifier == "1775-CV/TU"
    from config import BASE_DIR

    for template in sorted((BASE_DIR / "docs_templates").glob("*.docx")):
        with zipfile.ZipFile(template) as archive:
            assert "python-docx" not in archive.read("docProps/core.xml").decode("utf-8").lower(), template.name
            assert "Macintosh" not in archive.read("docProps/app.xml").decode("utf-8"), template.name


def test_a_single_conversion_out_of_time_stops_libreoffice_and_its_child(tmp_path):
    """One document past DOCUMENTS_CONVERT_TIMEOUT: a clear message, and no soffice.bin left converting
    into the shared profile (it would break the next conversion)."""
    import time

    slow = tmp_path / "slow-soffice"  # like oosplash, which runs soffice.bin as its child
    slow.write_text(f"#!/bin/sh\nsleep 30 &\necho $! > {tmp_path / 'child'}\nwait\n")
    slow.chmod(0o755)
    started = time.monotonic()
    with pytest.raises(D.ConversionError, match="quá thời gian"):
        D.LibreOffice(binary=str(slow), profile_root=str(tmp_path / "profiles")).convert(b"PK one", timeout=1)
    assert time.monotonic() - started < 10
    child = int((tmp_path / "child").read_text())
    for _ in range(50):
        if not os.path.exists(f"/proc/{child}") or " Z " in open(f"/proc/{child}/stat").read():
            break
        time.sleep(0.1)
    else:
        pytest.fail("LibreOffice's child process was left running")
