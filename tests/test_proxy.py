"""Finding 11 of issue 14: the sign-in limit behind a reverse proxy (TRUSTED_PROXIES).

Behind nginx every request arrives from nginx's address. With the proxy count configured the
limit counts each real client (the address nginx appends to X-Forwarded-For); a client's own
X-Forwarded-For is never believed, neither behind the proxy nor without one.
The same with Debian's nginx in front of two gunicorn instances: tests/test_deploy.py.
"""
from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.web_fixtures import csrf_token_from, web_client

PROXY = "127.0.0.1"  # nginx on the same machine


def attempt(client, username, password, *, remote=PROXY, forwarded=None):
    environ = {"REMOTE_ADDR": remote}
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    page = client.get("/login", environ_base=environ, headers=headers).get_data(as_text=True)
    return client.post("/login", data={"csrf_token": csrf_token_from(page), "username": username,
                                       "password": password}, environ_base=environ, headers=headers)


def test_behind_one_proxy_each_client_address_is_counted_apart(app, db, monkeypatch):
    """Before the fix all clients shared the proxy's address: ten failures of one client locked
    sign-in for everybody behind the proxy."""
    monkeypatch.setitem(app.config, "TRUSTED_PROXIES", 1)
    client = web_client(app)
    for i in range(10):  # distinct user names: only the per-address count can trip
        assert attempt(client, f"khong-co-{i}", "x", forwarded="203.0.113.7").status_code == 401
    assert attempt(client, "leader", PASSWORD, forwarded="203.0.113.7").status_code == 429
    # another client behind the same proxy signs in
    assert attempt(web_client(app), "leader", PASSWORD, forwarded="203.0.113.8").status_code == 302


def test_behind_the_proxy_a_client_written_forwarded_for_is_ignored(app, db, monkeypatch):
    """nginx appends the real address to what the client sent: only that last hop is believed."""
    monkeypatch.setitem(app.config, "TRUSTED_PROXIES", 1)
    client = web_client(app)
    for i in range(10):
        spoofed = f"198.51.100.{i}, 203.0.113.9"  # the client wrote 198.51.100.i; nginx appended its address
        assert attempt(client, f"khong-co-{i}", "x", forwarded=spoofed).status_code == 401
    assert attempt(client, "leader", PASSWORD, forwarded="10.1.1.1, 203.0.113.9").status_code == 429


def test_without_a_trusted_proxy_forwarded_for_is_ignored(app, db, monkeypatch):
    """The default (0): a client talking to the application directly cannot pick its address."""
    monkeypatch.setitem(app.config, "TRUSTED_PROXIES", 0)
    client = web_client(app)
    for i in range(10):
        assert attempt(client, f"khong-co-{i}", "x", remote="192.0.2.5",
                       forwarded=f"198.51.100.{i}").status_code == 401
    assert attempt(client, "leader", PASSWORD, remote="192.0.2.5", forwarded="198.51.100.77").status_code == 429
    assert attempt(web_client(app), "leader", PASSWORD, remote="192.0.2.6").status_code == 302


def test_the_proxy_headers_give_the_scheme_and_host():
    """Behind TLS at nginx the application sees https:// and the public host (the middleware on
    its own, around a WSGI application that records what it receives)."""
    from werkzeug.test import Client
    from werkzeug.wrappers import Request, Response

    from workflow.proxy import TrustedProxies

    class Recorder:
        config = {"TRUSTED_PROXIES": 1}
        seen = {}

        def wsgi_app(self, environ, start_response):
            request = Request(environ)
            self.seen = {"scheme": request.scheme, "host": request.host, "remote": request.remote_addr}
            return Response("ok")(environ, start_response)

    recorder = Recorder()
    client = Client(TrustedProxies(recorder))
    headers = {"X-Forwarded-For": "198.51.100.1, 203.0.113.20", "X-Forwarded-Proto": "https",
               "X-Forwarded-Host": "congviec.example.vn", "X-Forwarded-Port": "443"}
    client.get("/", headers=headers, environ_base={"REMOTE_ADDR": PROXY})
    assert recorder.seen == {"scheme": "https", "host": "congviec.example.vn", "remote": "203.0.113.20"}
    recorder.config = {"TRUSTED_PROXIES": 0}
    client.get("/", headers=headers, environ_base={"REMOTE_ADDR": PROXY})
    assert recorder.seen == {"scheme": "http", "host": "localhost", "remote": PROXY}


@pytest.mark.parametrize("value, expected", [(None, 0), ("", 0), ("1", 1), ("2", 2)])
def test_trusted_proxies_is_read_from_the_environment(monkeypatch, value, expected):
    from config import get_config

    if value is None:
        monkeypatch.delenv("TRUSTED_PROXIES", raising=False)
    else:
        monkeypatch.setenv("TRUSTED_PROXIES", value)
    assert get_config("development").TRUSTED_PROXIES == expected


@pytest.mark.parametrize("value", ["-1", "6", "un", "1.5"])
def test_a_wrong_trusted_proxies_refuses_to_start(monkeypatch, value):
    from config import get_config

    monkeypatch.setenv("TRUSTED_PROXIES", value)
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        get_config("development")
