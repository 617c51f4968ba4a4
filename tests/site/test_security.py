"""Security headers on every response, and the cookies' flags in testing and production."""

from __future__ import annotations

import re

import pytest

from tests.factories import PASSWORD


def csp_directives(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_security_headers(response):
    directives = csp_directives(response)
    header = response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in header
    assert "'unsafe-eval'" not in header
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["form-action"] == ["'self'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


REQUESTS = [
    ("GET", "/", 200),
    ("GET", "/login", 200),
    ("GET", "/signup", 200),
    ("GET", "/healthz", 200),
    ("GET", "/no/such/page", 404),
    ("GET", "/logout", 405),  # POST only
    ("POST", "/", 405),
    ("GET", "/verify/not-a-token", 400),
    ("GET", "/static/css/site.css", 200),
]


@pytest.mark.parametrize(("method", "path", "status"), REQUESTS)
def test_security_headers_on_every_response(client, method, path, status):
    response = client.open(path, method=method)
    assert response.status_code == status
    assert_security_headers(response)
    assert "Strict-Transport-Security" not in response.headers  # plain http


def test_security_headers_on_500(app, client):
    def boom():
        raise RuntimeError("kaboom")

    app.add_url_rule("/test-boom", "test_boom", boom)
    response = client.get("/test-boom")
    assert response.status_code == 500
    assert_security_headers(response)


@pytest.mark.parametrize(
    "settings", [{"LOGIN_LIMIT_PER_ADDRESS": "1 per 15 minutes"}], ids=["address1"]
)
def test_security_headers_on_429(client):
    data = {"email": "someone@example.com", "password": "not the password"}
    assert client.post("/login", data=data).status_code == 200
    response = client.post("/login", data=data)
    assert response.status_code == 429
    assert_security_headers(response)


@pytest.mark.parametrize(("method", "path", "status"), REQUESTS)
def test_hsts_only_under_https(client, method, path, status):
    response = client.open(path, method=method, base_url="https://localhost")
    assert response.status_code == status
    hsts = response.headers["Strict-Transport-Security"]
    max_age = int(re.search(r"max-age=(\d+)", hsts).group(1))
    assert max_age >= 365 * 24 * 3600
    assert "includeSubDomains" in hsts


def test_pages_are_not_stored_by_shared_caches(client):
    assert client.get("/login").headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/", "/login", "/signup", "/password/forgot", "/no/such/page"])
def test_pages_need_no_inline_script_or_style(client, path):
    """The CSP forbids inline code: the templates must not rely on any."""
    html = client.get(path).text
    for tag in re.findall(r"<script\b[^>]*>", html, flags=re.IGNORECASE):
        assert "src=" in tag, tag
    assert not re.search(r"<style\b", html, flags=re.IGNORECASE)
    assert not re.search(r"\sstyle\s*=", html, flags=re.IGNORECASE)
    assert not re.search(r"\son[a-z]+\s*=", html, flags=re.IGNORECASE)
    assert not re.search(r"""(?:href|src)\s*=\s*["']?javascript:""", html, flags=re.IGNORECASE)
    # Nothing is loaded from another site (no CDN): the site works offline.
    for url in re.findall(r"""(?:href|src)\s*=\s*["']([^"']+)""", html):
        assert not re.match(r"(?:https?:)?//", url), url


def cookie_header(response, name):
    [header] = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "=")]
    return {part.strip().split("=")[0].lower(): part.strip() for part in header.split(";")}


def log_in_with_remember(app, client, base_url="http://localhost"):
    from community.db import db
    from tests.factories import UserFactory

    UserFactory(email="member@example.com")
    db.session.commit()
    page = client.get("/login", base_url=base_url)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
    data = {"email": "member@example.com", "password": PASSWORD, "remember": "y"}
    if token:
        data["csrf_token"] = token.group(1)
    response = client.post("/login", data=data, base_url=base_url)
    assert response.status_code == 302
    return response


def test_cookies_are_httponly_and_samesite_lax(app, client):
    response = log_in_with_remember(app, client)
    for name in ("kindred_session", "kindred_remember"):
        flags = cookie_header(response, name)
        assert "httponly" in flags, name
        assert flags["samesite"] == "SameSite=Lax", name
        assert "secure" not in flags, name  # testing runs over plain http


@pytest.mark.parametrize("settings", [{"ENV_NAME": "production"}], ids=["production"])
def test_cookies_are_secure_in_production(app, client):
    assert app.config["ENV_NAME"] == "production"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    response = log_in_with_remember(app, client, base_url="https://localhost")
    for name in ("kindred_session", "kindred_remember"):
        flags = cookie_header(response, name)
        assert "secure" in flags, name
        assert "httponly" in flags, name
        assert flags["samesite"] == "SameSite=Lax", name
    assert "Strict-Transport-Security" in response.headers


def test_production_app_built_from_scratch_has_secure_cookies(tmp_path, monkeypatch):
    from community import create_app

    for name in ("FLASK_DEBUG", "REDIS_URL", "DATABASE_URL", "RATELIMIT_STORAGE_URI"):
        monkeypatch.delenv(name, raising=False)
    app = create_app(
        {
            "ENV_NAME": "production",
            "SECRET_KEY": "s" * 64,
            "BASE_URL": "https://kindred.example",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_HTTPONLY"] is True
    assert app.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    assert app.config["WTF_CSRF_ENABLED"] is not False
    assert app.config["PREFERRED_URL_SCHEME"] == "https"
    assert app.config["MAX_CONTENT_LENGTH"] <= 16 * 1024 * 1024
    # The login form puts a CSRF token in the session: the cookie is secure.
    response = app.test_client().get("/login", base_url="https://kindred.example")
    assert response.status_code == 200
    flags = cookie_header(response, "kindred_session")
    assert {"secure", "httponly"} <= flags.keys()
    assert flags["samesite"] == "SameSite=Lax"


@pytest.mark.parametrize("settings", [{"TRUSTED_PROXY_COUNT": 1}], ids=["one-proxy"])
def test_hsts_behind_a_trusted_proxy_that_terminates_https(client):
    response = client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in response.headers


def test_a_forged_forwarded_proto_is_ignored_without_a_trusted_proxy(client):
    response = client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers
