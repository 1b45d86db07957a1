"""Finding 4 of issue 14: a sign-in ends on the server. Old session and remember cookies stop
working after sign-out, sign-out everywhere, a password change, an administrator's reset and a
lock; remember tokens are new at every sign-in and expire on the server; in production the
remember cookie is Secure, HttpOnly and SameSite."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import PASSWORD, local
from tests.web_fixtures import csrf_token_from, web_client


def cookies_of(response) -> dict[str, str]:
    out = {}
    for header in response.headers.getlist("Set-Cookie"):
        name, _, rest = header.partition("=")
        out[name] = rest.split(";", 1)[0]
    return out


def sign_in(app, username: str, *, remember: bool = False, password: str = PASSWORD):
    """A real sign-in through /login; returns (client, the cookies it was given)."""
    client = web_client(app)
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    data = {"csrf_token": token, "username": username, "password": password}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client, cookies_of(response)


def with_cookies(app, **cookies) -> int:
    """GET / from a browser that holds only these (copied) cookies: 200 signed in, 302 not."""
    from tests.web_fixtures import WebClient

    header = "; ".join(f"{k}={v}" for k, v in cookies.items())
    browser = WebClient(app, app.response_class, use_cookies=False)  # sends exactly this header
    return browser.get("/", headers={"Cookie": header}).status_code


def post(client, path: str, data: dict | None = None):
    token = csrf_token_from(client.get("/account/password").get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **(data or {})})


def test_sign_out_ends_the_session_and_the_remember_cookie(app, db, frozen_now):
    client, cookies = sign_in(app, "leader", remember=True)
    assert with_cookies(app, session=cookies["session"]) == 200
    assert with_cookies(app, remember_token=cookies["remember_token"]) == 200
    assert post(client, "/logout").status_code == 302
    assert with_cookies(app, session=cookies["session"]) == 302
    assert with_cookies(app, remember_token=cookies["remember_token"]) == 302


def test_remember_tokens_are_new_at_every_sign_in_and_expire_on_the_server(app, db, frozen_now):
    frozen_now(local(2026, 11, 22, 8, 0))
    _, first = sign_in(app, "leader", remember=True)
    _, second = sign_in(app, "leader", remember=True)
    assert first["remember_token"] != second["remember_token"]
    assert with_cookies(app, remember_token=first["remember_token"]) == 200
    frozen_now(local(2026, 12, 5, 8, 0))  # 13 days later: still within REMEMBER_DAYS (14)
    assert with_cookies(app, remember_token=first["remember_token"]) == 200
    frozen_now(local(2026, 12, 6, 8, 1))  # 14 days and a minute: ended on the server
    assert with_cookies(app, remember_token=first["remember_token"]) == 302
    assert with_cookies(app, remember_token=second["remember_token"]) == 302


def test_a_session_without_remember_me_ends_on_the_server_after_its_lifetime(app, db, frozen_now):
    frozen_now(local(2026, 11, 22, 8, 0))
    _, cookies = sign_in(app, "leader")
    assert "remember_token" not in cookies
    frozen_now(local(2026, 11, 22, 19, 59))
    assert with_cookies(app, session=cookies["session"]) == 200
    frozen_now(local(2026, 11, 22, 20, 1))  # SESSION_HOURS (12) after signing in
    assert with_cookies(app, session=cookies["session"]) == 302


def test_sign_out_everywhere_ends_every_browser(app, db, frozen_now):
    phone, phone_cookies = sign_in(app, "taichinh", remember=True)
    desk, desk_cookies = sign_in(app, "taichinh")
    page = desk.get("/account/password").get_data(as_text=True)
    assert "Đăng xuất khỏi mọi thiết bị" in page
    response = post(desk, "/account/sign-out-everywhere")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    for cookies in (phone_cookies, desk_cookies):
        for name, value in cookies.items():
            assert with_cookies(app, **{name: value}) == 302, name
    assert phone.get("/").status_code == 302
    assert sign_in(app, "taichinh")[0].get("/").status_code == 200  # a new sign-in works


def test_a_password_change_ends_the_other_sign_ins_and_keeps_this_one(app, db, users, frozen_now):
    other, other_cookies = sign_in(app, "xaydung", remember=True)
    mine, _ = sign_in(app, "xaydung")
    response = post(mine, "/account/password", {"old_password": PASSWORD, "new_password": "Mat-khau-moi-7",
                                                "confirm": "Mat-khau-moi-7"})
    assert response.status_code == 302
    assert mine.get("/").status_code == 200  # this browser continues
    assert with_cookies(app, session=other_cookies["session"]) == 302
    assert with_cookies(app, remember_token=other_cookies["remember_token"]) == 302
    assert other.get("/").status_code == 302


@pytest.mark.parametrize("action", ["reset", "lock"])
def test_an_administrators_reset_or_lock_ends_the_sign_ins(app, db, users, frozen_now, action):
    from workflow.services.users import deactivate_user, reset_password

    client, cookies = sign_in(app, "danguy", remember=True)
    if action == "reset":
        reset_password(users["admin"], "danguy", "Mat-khau-moi-8")
    else:
        deactivate_user(users["admin"], "danguy")
    assert client.get("/").status_code == 302
    assert with_cookies(app, session=cookies["session"]) == 302
    assert with_cookies(app, remember_token=cookies["remember_token"]) == 302
    if action == "reset":
        assert sign_in(app, "danguy", password="Mat-khau-moi-8")[0].get("/").status_code == 200


def test_a_forged_identity_without_a_live_sign_in_is_refused(app, db, users):
    from workflow.services.users import user_for_session

    user = users["office"]
    now = local(2026, 11, 22, 8, 0)
    for identity in [str(user.id), f"{user.id}.0", f"{user.id}.0.{'A' * 43}", f"{user.id}.{user.session_generation}.-",
                     "x.y.z", "", None, "9" * 40 + ".0." + "A" * 43]:
        assert user_for_session(identity, now) is None, identity


def test_in_production_the_remember_cookie_is_secure_httponly_and_samesite(app, db, monkeypatch):
    import config

    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    production = config.get_config("production")
    assert production.REMEMBER_COOKIE_SECURE is True and production.REMEMBER_COOKIE_HTTPONLY is True
    assert production.REMEMBER_COOKIE_SAMESITE == "Lax" and production.SESSION_COOKIE_SECURE is True
    for name in ("REMEMBER_COOKIE_SECURE", "REMEMBER_COOKIE_HTTPONLY", "REMEMBER_COOKIE_SAMESITE",
                 "SESSION_COOKIE_SECURE"):
        monkeypatch.setitem(app.config, name, getattr(production, name))
    client = web_client(app)
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"csrf_token": token, "username": "leader", "password": PASSWORD,
                                           "remember": "y"})
    remember = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token=")][0]
    assert "Secure" in remember and "HttpOnly" in remember and "SameSite=Lax" in remember
    max_age = [p for p in remember.split("; ") if p.startswith("Expires=")]
    assert max_age, remember
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=14)
