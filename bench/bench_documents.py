"""Benchmark: document rendering.

1. A key-task report of 500 rows rendered as .docx (target <= 0.3 s), with the
   time to rebuild the 500 tasks as of the date from their history beside it.
2. The 1534 indicator forms of the 124 communes as .docx and PDF in one zip
   (target <= 20 s): the warm template renders the bodies, and a few
   LibreOffice processes convert combined documents that are split per unit.

3. Signing (issue 13): the report converted to PDF/A-2b for signature, as a ratio to the plain
   conversion of the same file in the same run (target <= 1.2x), and the leader's PAdES signature
   on it (target <= 0.5 s per document), with the clerk's number, date and seal beside it. The
   certificates come from a test CA generated for the run (tests/pki.py).

Run: .venv/bin/python bench/bench_documents.py [--runs 5] [--skip-forms] [--skip-signing]   (prints its figures)

Issue 16's target: the 124 forms in at most 8x the time of one form's conversion, measured in the
same run (so a busy machine slows both), in time and in CPU (this process and LibreOffice).
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TITLES = [
    "Đề án phát triển hạ tầng giao thông kết nối vùng giai đoạn 2026 - 2030",
    "Kế hoạch chuyển đổi số trong cơ quan Đảng, chính quyền cấp xã",
    "Chương trình phát triển nông nghiệp ứng dụng công nghệ cao, nông nghiệp hữu cơ",
    "Nghị quyết về phát triển du lịch xanh, du lịch cộng đồng gắn với bảo tồn văn hóa",
    "Báo cáo sơ kết việc thực hiện chính quyền địa phương hai cấp",
]


def make_tasks(n: int):
    """A program (CTr) of ``n`` key tasks with histories: a third completed, a third late, a third on time."""
    from sqlalchemy import select

    from models import Dispatch, Unit
    from workflow.clock import local_tz
    from workflow.extensions import db
    from workflow.seeding import _record
    from workflow.services import unit_of_work
    from workflow.services.tasks import new_task

    tz = local_tz()
    start = datetime(2026, 1, 5, 8, 0, tzinfo=tz)
    with unit_of_work():
        units = list(db.session.scalars(select(Unit).where(Unit.kind == "department")))
        program = Dispatch(number=None, symbol="CTr/TU", year=2026, kind="CTr", title=f"Chương trình thử nghiệm {n}",
                           issuer=db.session.scalar(select(Unit).where(Unit.code == "ban-thuong-vu-tinh-uy")),
                           issued_on=date(2026, 1, 1), subject="Chương trình thử nghiệm", status="issued")
        db.session.add(program)
        for i in range(n):
            deadline = datetime(2026, 3 + i % 8, 1, tzinfo=tz) - timedelta(seconds=1)
            task = new_task(dispatch=program, item=f"B{i + 1}", title=f"{TITLES[i % len(TITLES)]} (số {i + 1})",
                            lead_unit=units[i % len(units)], deadline=deadline, now=start)
            _record(task, "start", "in_progress", start + timedelta(days=2))
            if i % 3 == 0:
                task.completed_at, task.on_time = start + timedelta(days=60), True
                _record(task, "complete", "completed", start + timedelta(days=60), "Đã hoàn thành")
            elif i % 3 == 1:
                _record(task, "report", "in_progress", start + timedelta(days=30), "Đang dự thảo, lấy ý kiến các sở")
    return program


def cpu_seconds() -> float:
    """CPU (user + system) of this process and of its finished children (LibreOffice, pdftotext)."""
    return sum(cpu_split())


def cpu_split() -> tuple[float, float]:
    """(this process's CPU, its finished children's CPU): Python's work and LibreOffice's."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def timed(function, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--skip-forms", action="store_true")
    parser.add_argument("--skip-signing", action="store_true")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-documents-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.db'}"
    from flask_migrate import upgrade

    from workflow import create_app
    from workflow import documents as D
    from workflow.seeding import seed_all

    app = create_app("development")
    with app.app_context():
        upgrade()
        seed_all()
        program = make_tasks(args.rows)
        now = datetime(2026, 11, 22, 8, 0, tzinfo=D.local_tz())
        params = D.normalize_params("task_report", {"as_of": "2026-06-30", "dispatch": str(program.id)}, now)

        build_seconds, data = timed(lambda: D.build_data("task_report", params, number="99-BC/ĐU"), args.runs)
        rows = len(data["completed"]) + len(data["pending"])
        render_seconds, docx = timed(lambda: D.render_docx("task_report", data), args.runs)
        print(f"task report, {rows} rows ({len(data['completed'])} completed, {len(data['pending'])} pending), "
              f"median of {args.runs}:")
        print(f"  rebuild as of 30/6/2026 from history: {build_seconds * 1000:7.0f} ms")
        print(f"  render .docx (docxtpl):               {render_seconds * 1000:7.0f} ms  "
              f"({len(docx) / 1024:.0f} KiB; target <= 300 ms: {'met' if render_seconds <= 0.3 else 'NOT MET'})")
        started = time.perf_counter()
        pdf = D.docx_to_pdf(docx)
        print(f"  .docx -> PDF (one LibreOffice call):  {(time.perf_counter() - started) * 1000:7.0f} ms  "
              f"({len(pdf) / 1024:.0f} KiB)")

        if not args.skip_signing:
            bench_signing(D, data, args.runs, workdir)

        if not args.skip_forms:
            from workflow.services.documents import _bulk_units, indicator_forms_zip

            units = _bulk_units("commune")
            # One form's conversion, measured in the same run: the unit of the batch's target (<= 8x).
            one_params = D.normalize_params("indicator_form", {"unit": units[0].code, "period": "2026-05"}, now)
            one_docx = D.render_docx("indicator_form", D.build_data("indicator_form", one_params))
            one_times, one_cpus = [], []
            for _ in range(2):
                started, cpu = time.perf_counter(), cpu_seconds()
                D.docx_to_pdf(one_docx)
                one_times.append(time.perf_counter() - started)
                one_cpus.append(cpu_seconds() - cpu)
            one, one_cpu = min(one_times), min(one_cpus)
            print(f"one commune form, .docx -> PDF (one LibreOffice call, best of 2): {one:6.2f} s, "
                  f"CPU {one_cpu:5.2f} s")
            for label in ("first run", "second run"):
                marks = []
                started, cpu, split = time.perf_counter(), cpu_seconds(), cpu_split()
                content = indicator_forms_zip(units, "2026-05", "1534-CV/TU",
                                              progress=lambda done, total, message: marks.append(
                                                  (time.perf_counter() - started, message)))
                seconds, used = time.perf_counter() - started, cpu_seconds() - cpu
                python_cpu, children_cpu = (b - a for a, b in zip(split, cpu_split()))
                archive = zipfile.ZipFile(__import__("io").BytesIO(content))
                pdfs = [n for n in archive.namelist() if n.endswith(".pdf")]
                docxs = [n for n in archive.namelist() if n.endswith(".docx")]
                docx_done = next(t for t, m in marks if m.startswith(f"Đã tạo {len(units)}/{len(units)} tệp .docx"))
                print(f"{len(units)} commune forms, .docx + PDF, {label} "
                      f"({D.default_processes()} LibreOffice processes):")
                print(f"  {len(docxs)} .docx rendered (warm template):   {docx_done:6.1f} s")
                print(f"  total with PDFs, split and zip:     {seconds:6.1f} s  "
                      f"({len(pdfs)} PDFs, zip {len(content) / 1024 / 1024:.1f} MiB; "
                      f"target <= 20 s: {'met' if seconds <= 20 else 'NOT MET'})")
                print(f"  ratio to one form's conversion:     {seconds / one:6.2f}x  "
                      f"(target <= 8x: {'met' if seconds <= 8 * one else 'NOT MET'}); "
                      f"CPU {used:5.1f} s = {used / one_cpu:5.2f}x one form's (this process and "
                      f"LibreOffice: the fair ratio on a shared machine)")
                print(f"  CPU: Python (render, package, split, zip) {python_cpu:5.1f} s, "
                      f"LibreOffice and other child processes {children_cpu:5.1f} s")
    shutil.rmtree(workdir, ignore_errors=True)


def bench_signing(D, data: dict, runs: int, workdir: Path) -> None:
    """PDF/A conversion against the plain one (alternating, same file), then sign, fill and seal."""
    from tests.pki import PASSPHRASE, TestPKI, seal_png, signature_png
    from workflow import signing

    data = dict(data, draft=False, number=f"{signing.NUMBER_BLANK}-BC/ĐU", signer_name="Nguyễn Văn A",
                signer_title=data.get("signer_title") or "BÍ THƯ", place_date=D.place_date(None, year=2026))
    docx = D.with_core_properties(D.render_docx("task_report", data), author="Đảng ủy UBND tỉnh")
    plain, pdfa = [], []
    for _ in range(max(runs // 2, 2)):
        for target, convert in ((plain, lambda d: D.converter().convert(d)), (pdfa, D.docx_to_pdfa)):
            started = time.perf_counter()
            pdf = convert(docx)
            target.append(time.perf_counter() - started)
    ratio = statistics.median(pdfa) / statistics.median(plain)
    print(f"signing (issue 13), the same report ({len(pdf) / 1024:.0f} KiB PDF/A), {len(plain)} conversions each:")
    print(f"  .docx -> PDF (plain):                 {statistics.median(plain) * 1000:7.0f} ms")
    print(f"  .docx -> PDF/A-2b:                    {statistics.median(pdfa) * 1000:7.0f} ms  "
          f"(ratio {ratio:.2f}x; target <= 1.2x: {'met' if ratio <= 1.2 else 'NOT MET'})")
    pki = TestPKI(workdir / "pki")
    leader = signing.unlock(pki.issue("Nguyễn Văn A"), PASSPHRASE)
    organisation = signing.unlock(pki.issue("Đảng ủy UBND tỉnh"), PASSPHRASE)
    layout = signing.locate_fields(pdf, symbol="BC/ĐU", signer_title=data["signer_title"],
                                   signer_name=data["signer_name"])
    started = time.perf_counter()
    prepared = signing.prepare(pdf, layout)
    prepare_seconds = time.perf_counter() - started
    when = datetime.now().astimezone()
    image, seal = signature_png(), seal_png()
    sign_seconds, signed = timed(lambda: signing.sign_as_signer(prepared, leader, name="Nguyễn Văn A",
                                                                title="Bí thư", when=when, image=image), runs)
    issue_seconds, issued = timed(lambda: signing.sign_as_organisation(
        signing.fill_fields(signed, {"so": "99", "ngay": "03", "thang": "12"}), organisation,
        organisation="Đảng ủy UBND tỉnh", when=when, seal=seal), runs)
    verify_seconds, results = timed(lambda: signing.verify(issued, [pki.cert_asn1()], moment=None), 1)
    print(f"  fields for signature (once):          {prepare_seconds * 1000:7.0f} ms")
    print(f"  leader's PAdES signature (median {runs}): {sign_seconds * 1000:5.0f} ms  "
          f"(target <= 500 ms: {'met' if sign_seconds <= 0.5 else 'NOT MET'})")
    print(f"  number, date and seal (median {runs}):    {issue_seconds * 1000:5.0f} ms")
    print(f"  verifying both signatures:            {verify_seconds * 1000:7.0f} ms  "
          f"({sum(1 for r in results if r['ok'])}/{len(results)} valid)")


if __name__ == "__main__":
    main()
