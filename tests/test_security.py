"""Sign-in rate limiting, security headers, revocable tokens."""
from __future__ import annotations

from tests.conftest import PASSWORD
from tests.web_fixtures import csrf_token_from, web_client


def text(response) -> str:
    return response.get_data(as_text=True)


def attempt(client, username, password, address="10.0.0.1"):
    token = csrf_token_from(text(client.get("/login", environ_base={"REMOTE_ADDR": address})))
    return client.post("/login", data={"csrf_token": token, "username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_ten_failures_for_a_user_then_429_even_with_the_right_password(app, db):
    client = web_client(app)
    for i in range(10):  # from different addresses: the per-user count trips
        assert attempt(client, "office", "sai-mat-khau", f"10.0.1.{i}").status_code == 401
    response = attempt(client, "office", PASSWORD, "10.0.1.99")
    assert response.status_code == 429
    assert "Đăng nhập sai quá nhiều lần" in text(response)
    # another user from a fresh address is not affected
    assert attempt(web_client(app), "leader", PASSWORD, "10.0.2.1").status_code == 302


def test_ten_failures_from_an_address_then_429(app, db):
    client = web_client(app)
    for i in range(10):
        assert attempt(client, f"khong-co-{i}", "x", "10.0.3.1").status_code == 401
    assert attempt(client, "leader", PASSWORD, "10.0.3.1").status_code == 429
    assert attempt(web_client(app), "leader", PASSWORD, "10.0.3.2").status_code == 302


def test_successful_sign_ins_are_not_counted(app, db):
    for _ in range(12):
        assert attempt(web_client(app), "leader", PASSWORD, "10.0.4.1").status_code == 302


def test_security_headers_on_pages_and_api(app, db, client):
    for path in ["/login", "/api/v1/tasks"]:
        headers = client.get(path).headers
        assert "'unsafe-inline'" not in headers["Content-Security-Policy"]
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert headers["X-Frame-Options"] == "DENY" and headers["Referrer-Policy"] == "same-origin"
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_a_revoked_token_no_longer_works(api, db, tokens):
    from workflow.services.users import revoke_tokens

    assert api.get("/api/v1/tasks", "leader").status_code == 200
    assert revoke_tokens("leader") == 1
    assert api.get("/api/v1/tasks", "leader").status_code == 401


def test_passwords_are_hashed_with_scrypt(users):
    assert users["office"].password_hash.startswith("scrypt:")
