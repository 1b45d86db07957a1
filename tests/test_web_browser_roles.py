"""Browser tests per role (issue 15): every main page of each role opened in Debian's chromium at
1366 px and at 390 px (a phone), a screenshot of each under tests/output/roles/, and the axe-core
accessibility check (vendored: tests/vendor/axe-core) run on it: no serious or critical violation.
Also, in the real browser: the searchable unit picker, a form kept across an ended session, the
phone layout and the keyboard focus ring.

Like tests/test_web_browser.py they need /usr/bin/chromium and fail rather than skip when CI=true.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import PASSWORD, local
from tests.test_web_browser import browser  # noqa: F401  (fixture)
from tests.web_fixtures import live_server, output_dir  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
WIDTHS = {"1366": {"width": 1366, "height": 900}, "390": {"width": 390, "height": 844}}
BLOCKING = ("serious", "critical")


class Person:
    """One user at a browser of a given width, signed in."""

    def __init__(self, browser, server, username: str, width: str):
        self.server, self.username, self.width = server, username, width
        self.context = browser.new_context(viewport=WIDTHS[width], locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh",
                                           device_scale_factor=1)
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        self.page.on("dialog", lambda dialog: dialog.accept())
        self.page.goto(server.url + "/login")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", PASSWORD)
        self.page.click("button:has-text('Đăng nhập')")
        self.page.wait_for_url(server.url + "/")

    def open(self, path: str):
        response = self.page.goto(self.server.url + path)
        assert response is not None and response.status == 200, f"{self.username} {path}: {response and response.status}"
        return self.page

    def axe(self) -> list[dict]:
        """The serious and critical violations of the page (axe-core's own rules, WCAG 2.x A and AA)."""
        if not self.page.evaluate("() => typeof window.axe === 'object'"):
            self.page.evaluate("(source) => { (0, eval)(source); }", AXE.read_text(encoding="utf-8"))
        found = self.page.evaluate("""async () => {
            const result = await window.axe.run(document, {resultTypes: ['violations'],
                runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}});
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 4).map(n => n.target.join(' '))}));
        }""")
        return [v for v in found if v["impact"] in BLOCKING]

    def shot(self, name: str):
        folder = output_dir() / "roles"
        folder.mkdir(exist_ok=True)
        self.page.screenshot(path=str(folder / f"{name}-{self.width}.png"), full_page=True)

    def close(self):
        assert not self.errors, f"errors in the browser console: {self.errors}"
        self.context.close()


def _pages(server) -> dict[str, list[tuple[str, str]]]:
    """Each role's main pages: (name of the screenshot, path)."""
    from sqlalchemy import select

    from models import Dispatch, Task, User

    with server.app.app_context():
        from workflow.extensions import db

        task = db.session.scalar(select(Task).join(Dispatch).where(Dispatch.number == 1534, Task.item == "2.a"))
        lead_task = db.session.scalar(select(Task).join(Dispatch).where(Dispatch.number == 1775, Task.item == "3.2"))
        account = db.session.scalar(select(User).where(User.username == "taichinh"))
        ids = (task.id, lead_task.id, account.id)
        db.session.remove()
    task_id, btc_task_id, account_id = ids
    return {
        "office": [("dashboard", "/"), ("dispatches", "/dispatches"), ("dispatch", "/dispatches/1534-CV/TU"),
                   ("dispatch-new", "/dispatches/new"), ("tasks", "/tasks"), ("task", f"/tasks/{task_id}"),
                   ("overdue", "/overdue"), ("calendar", "/calendar?month=2026-12"), ("documents", "/documents"),
                   ("document-new", "/documents/new"), ("register", "/register"), ("import", "/dispatches/import"),
                   ("indicators", "/indicators")],
        "btc": [("dashboard", "/"), ("tasks", "/tasks"), ("task", f"/tasks/{btc_task_id}"),
                ("dispatches", "/dispatches"), ("calendar", "/calendar?month=2026-12")],
        "leader": [("dashboard", "/"), ("overdue", "/overdue"), ("tasks", "/tasks"), ("dispatches", "/dispatches"),
                   ("calendar", "/calendar?month=2026-12&scope=all")],
        "admin": [("dashboard", "/"), ("users", "/admin/users"), ("user-edit", f"/admin/users/{account_id}/edit"),
                  ("units", "/admin/units"), ("holidays", "/admin/holidays")],
    }


@pytest.mark.parametrize("width", list(WIDTHS))
def test_every_main_page_of_each_role_is_accessible_with_screenshots(browser, live_server, width):
    live_server.set_now(local(2026, 11, 22, 8, 0))
    problems: dict[str, list[dict]] = {}
    for username, pages in _pages(live_server).items():
        person = Person(browser, live_server, username, width)
        for name, path in pages:
            person.open(path)
            person.shot(f"{username}-{name}")
            violations = person.axe()
            if violations:
                problems[f"{username} {path}"] = violations
        person.close()
    report = output_dir() / "roles" / f"axe-{width}.json"
    report.write_text(json.dumps(problems, ensure_ascii=False, indent=1), encoding="utf-8")
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)


def _pick_unit(wrapper, typed: str, label: str) -> None:
    """Choose a unit in a Tom Select picker the way a person does: put the cursor in its box, type
    without diacritics, click the unit in the list. For the second chip of a multiple picker the box
    must have been emptied by the first choice, or the new words are appended to the old search."""
    box = wrapper.locator("input").first
    box.focus()
    box.press_sequentially(typed)
    option = wrapper.locator(f".ts-dropdown .option:has-text('{label}')").first
    option.wait_for(state="visible", timeout=10000)
    option.click()


def test_the_unit_picker_finds_a_unit_by_typing_without_diacritics(browser, live_server):
    live_server.set_now(local(2026, 11, 22, 8, 0))
    office = Person(browser, live_server, "office", "1366")
    page = office.page
    page.click("nav.app-nav >> text=Tạo công văn")
    page.fill("textarea[name=subject]", "V/v thử bộ chọn đơn vị")
    page.click("button:has-text('Lưu dự thảo')")
    # The lead unit: a box to type in, not a 150-item list.
    control = page.locator("#form-nhiem-vu .ts-wrapper").first
    _pick_unit(control, "so tai chinh", "Sở Tài chính")
    assert page.eval_on_selector("#form-nhiem-vu select[name=lead_unit]", "s => s.value") == "so-tai-chinh"
    # The coordinating units: chips, several, no Ctrl-click.
    coordinating = page.locator("#form-nhiem-vu .ts-wrapper.multi")
    _pick_unit(coordinating, "xay dung", "Sở Xây dựng")
    _pick_unit(coordinating, "noi vu", "Sở Nội vụ")
    chosen = page.eval_on_selector("#form-nhiem-vu select[name=coordinating]",
                                   "s => Array.from(s.selectedOptions).map(o => o.value)")
    assert sorted(chosen) == ["so-noi-vu", "so-xay-dung"]
    page.keyboard.press("Escape")
    page.fill("#form-nhiem-vu textarea[name=title]", "Nhiệm vụ chọn đơn vị bằng cách gõ")
    page.fill("#form-nhiem-vu input[name=deadline_text]", "trong 10 ngày làm việc kể từ ngày ban hành")
    page.click("#form-nhiem-vu button:has-text('Thêm nhiệm vụ')")
    assert "Đã thêm nhiệm vụ" in page.inner_text(".flash-area")
    assert page.is_visible("text=tạm tính"), "a deadline counted from the issue date is provisional on a draft"
    office.shot("office-draft-with-picker")
    office.close()


def test_a_report_typed_when_the_session_ended_survives_the_sign_in(browser, live_server):
    live_server.set_now(local(2026, 11, 22, 8, 0))
    person = Person(browser, live_server, "btc", "390")
    page = person.page
    page.click("table.table-tasks a >> nth=0")
    task_url = page.url
    # On a phone the actions come before the history.
    actions_y = page.locator("#thao-tac").bounding_box()["y"]
    history_y = page.locator("h2:has-text('Lịch sử xử lý')").bounding_box()["y"]
    assert actions_y < history_y
    page.click("summary:has-text('Báo cáo tiến độ')")
    note = "Đã tổng hợp ý kiến của 12 xã; dự kiến gửi báo cáo trong tuần."
    page.fill("#report-note", note)
    person.context.clear_cookies()  # the session ends while the form is open
    page.click("button:has-text('Gửi báo cáo tiến độ')")
    page.wait_for_load_state()
    assert "/login?next=" in page.url, (page.url, page.inner_text("main")[:500])
    assert "Phiên làm việc đã hết" in page.inner_text(".flash-area")
    page.fill("input[name=username]", "btc")
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Đăng nhập')")
    page.wait_for_url(task_url)
    assert page.input_value("#report-note") == note, "the typed text is back"
    page.click("button:has-text('Gửi báo cáo tiến độ')")
    assert "Đã ghi nhận: Báo cáo tiến độ." in page.inner_text(".flash-area")
    assert page.url == task_url, "the address bar holds the task page, never a POST address"
    # The keyboard focus ring is strong: 3 px, not a faint halo.
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    width = page.evaluate("() => getComputedStyle(document.activeElement).outlineWidth")
    assert float(width.replace("px", "")) >= 3, width
    person.shot("btc-task-after-sign-in")
    person.close()


def test_any_form_typed_when_the_session_ended_is_filled_in_by_the_page(browser, live_server):
    """The document form has no server-side restore: app.js fills it from the kept fields."""
    live_server.set_now(local(2026, 11, 22, 8, 0))
    person = Person(browser, live_server, "office", "1366")
    page = person.open("/documents/new")
    page.select_option("select[name=kind]", "reminder")
    page.fill("input[name=signer_name]", "Nguyễn Văn Đã Gõ")
    person.context.clear_cookies()
    page.click("button:has-text('Xem trước')")
    page.wait_for_load_state()
    assert "/login?next=" in page.url, page.url
    page.fill("input[name=username]", "office")
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Đăng nhập')")
    page.wait_for_load_state()
    assert page.url.endswith("/documents/new")
    assert page.input_value("input[name=signer_name]") == "Nguyễn Văn Đã Gõ"
    assert page.input_value("select[name=kind]") == "reminder"
    person.close()


@pytest.mark.parametrize("username", ["office", "admin"])
def test_the_main_menu_is_one_row_of_unbroken_labels_on_a_1366_screen(browser, live_server, username):
    """The office's menu has the most entries: at 1366 px each label stays on one line (no "Nhiệm vụ /
    quá hạn" broken in two) and every entry sits in the same row."""
    live_server.set_now(local(2026, 11, 22, 8, 0))
    person = Person(browser, live_server, username, "1366")
    boxes = person.page.eval_on_selector_all(
        "nav.app-nav .navbar-nav > li > .nav-link",
        """links => links.map(a => { const r = a.getBoundingClientRect();
             const line = parseFloat(getComputedStyle(a).lineHeight);
             const pad = parseFloat(getComputedStyle(a).paddingTop) + parseFloat(getComputedStyle(a).paddingBottom);
             const border = parseFloat(getComputedStyle(a).borderBottomWidth);
             return {text: a.textContent.trim(), top: Math.round(r.top), lines: Math.round((r.height - pad - border) / line)}; })""")
    person.shot(f"{username}-menu")
    person.close()
    assert len(boxes) >= 5
    broken = [b["text"] for b in boxes if b["lines"] != 1]
    assert not broken, f"labels on more than one line: {broken}"
    assert len({b["top"] for b in boxes}) == 1, boxes
