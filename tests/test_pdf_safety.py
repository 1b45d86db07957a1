"""Finding 10 of issue 14: wkhtmltopdf reads no local file and fetches nothing from the network,
whatever the HTML asks for (the application's own HTML has its styles inline)."""
from __future__ import annotations

import socket
import subprocess
import threading

from workflow.documents import PDFKIT_OPTIONS, ConversionError, html_to_pdf


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def test_options_turn_local_files_scripts_and_network_off():
    assert "disable-local-file-access" in PDFKIT_OPTIONS and "enable-local-file-access" not in PDFKIT_OPTIONS
    assert "disable-javascript" in PDFKIT_OPTIONS and PDFKIT_OPTIONS["proxy"] == "http://127.0.0.1:9"


def test_a_local_file_named_in_the_html_is_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("BI-MAT-4242", encoding="utf-8")
    html = (f'<p>Danh sách</p><iframe src="file://{secret}" width="600" height="80"></iframe>'
            f'<object data="file://{secret}" type="text/plain"></object>'
            f'<link rel="stylesheet" href="file://{secret}">')
    try:
        pdf = html_to_pdf(html)
    except ConversionError:
        return  # refused outright: nothing read
    assert "BI-MAT-4242" not in pdf_text(pdf)


def test_nothing_is_fetched_from_the_network():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    port = server.getsockname()[1]
    hits: list[int] = []
    done = threading.Event()

    def accept():
        while not done.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            hits.append(1)
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        html = (f'<p>Xin chào</p><img src="http://127.0.0.1:{port}/logo.png">'
                f'<link rel="stylesheet" href="http://127.0.0.1:{port}/x.css">'
                f'<script src="http://127.0.0.1:{port}/x.js"></script>')
        try:
            pdf = html_to_pdf(html)
            assert "Xin chào" in pdf_text(pdf)
        except ConversionError:
            pass
    finally:
        done.set()
        thread.join(5)
        server.close()
    assert hits == []
