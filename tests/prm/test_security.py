"""Security settings and behaviour: deploy checks, cookies, CSP, sessions, lockout, tenants."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client

from tests.conftest import host_of
from tests.factories import TEST_PASSWORD, MembershipFactory

REPO = Path(__file__).resolve().parents[2]
MANAGER = "max@acme.test"


# --- production settings (a subprocess: settings are read once, at start-up) ---------

def production_env(**overrides: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key not in {"DEBUG", "PRM_TESTING", "SECRET_KEY", "SECRET_KEY_FILE",
                          "DJANGO_SETTINGS_MODULE"}}
    env.update(SECRET_KEY=secrets.token_urlsafe(48)[:64], PRM_BASE_DOMAIN="prm.example.com")
    env.update(overrides)
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own manage.py, fixed arguments
        [sys.executable, "manage.py", *args], cwd=REPO, env=env,
        capture_output=True, text=True, timeout=120, check=False,
    )


def test_deploy_check_passes_with_production_settings():
    env = production_env()
    assert len(env["SECRET_KEY"]) == 64

    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"


def test_production_refuses_to_start_without_a_secret_key():
    env = production_env()
    del env["SECRET_KEY"]

    result = manage("check", env=env)

    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


PROBE = """
import json
from django.conf import settings as s
from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.middleware.security import SecurityMiddleware
from django.test import RequestFactory

def view(request):
    get_token(request)
    return HttpResponse("ok")

rf = RequestFactory()
secure = rf.get("/", secure=True, HTTP_HOST="acme.prm.example.com")
response = SecurityMiddleware(CsrfViewMiddleware(view))(secure)
csrf = response.cookies[s.CSRF_COOKIE_NAME]
plain = SecurityMiddleware(view)(rf.get("/home/", HTTP_HOST="acme.prm.example.com"))
print(json.dumps({
    "session_name": s.SESSION_COOKIE_NAME, "session_secure": s.SESSION_COOKIE_SECURE,
    "session_domain": s.SESSION_COOKIE_DOMAIN, "session_path": s.SESSION_COOKIE_PATH,
    "session_httponly": s.SESSION_COOKIE_HTTPONLY,
    "csrf_name": s.CSRF_COOKIE_NAME, "csrf_secure": bool(csrf["secure"]),
    "csrf_domain": csrf["domain"], "csrf_path": csrf["path"],
    "hsts": response.get("Strict-Transport-Security", ""),
    "plain_status": plain.status_code, "plain_location": plain.get("Location", ""),
}))
"""


@pytest.fixture(scope="module")
def production():
    result = manage("shell", "--no-imports", "-c", PROBE, env=production_env())
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_session_cookie_is_host_only_and_secure(production):
    assert production["session_name"].startswith("__Host-")
    assert production["session_secure"] is True
    assert production["session_httponly"] is True
    # __Host- cookies are refused by browsers unless Path=/ and no Domain.
    assert production["session_domain"] is None
    assert production["session_path"] == "/"


def test_production_csrf_cookie_is_host_only_and_secure(production):
    assert production["csrf_name"].startswith("__Host-")
    assert production["csrf_secure"] is True
    assert production["csrf_domain"] == ""
    assert production["csrf_path"] == "/"


def test_production_sends_hsts_for_subdomains_and_redirects_plain_http(production):
    directives = [part.strip() for part in production["hsts"].split(";")]
    max_age = int(directives[0].removeprefix("max-age="))

    assert max_age >= 60 * 60 * 24 * 365
    assert "includeSubDomains" in directives
    assert production["plain_status"] == 301
    assert production["plain_location"] == "https://acme.prm.example.com/home/"


# --- Content-Security-Policy -------------------------------------------------------

class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def _tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def _script_nonce(response) -> str:
    policy = response["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}
    sources = directives["script-src"]
    assert "'self'" in sources, policy
    nonces = [s for s in sources if s.startswith("'nonce-")]
    assert len(nonces) == 1, f"no nonce in script-src: {policy}"
    assert "'unsafe-inline'" not in sources, policy
    assert "'unsafe-eval'" not in sources, policy
    return nonces[0].removeprefix("'nonce-").removesuffix("'")


@pytest.fixture(params=["sign-in", "home"])
def portal_page(request, cast):
    """A signed-out page and a signed-in page of the portal: (client, path)."""
    if request.param == "sign-in":
        return Client(HTTP_HOST=host_of(cast.acme)), "/accounts/login/"
    return cast.client(cast.manager), "/home/"


def test_csp_nonce_is_fresh_per_response(portal_page):
    client, path = portal_page

    first = client.get(path)
    second = client.get(path)

    assert first.status_code == second.status_code == 200
    assert _script_nonce(first) != _script_nonce(second)


def test_every_script_carries_the_nonce_and_no_inline_handlers(portal_page):
    client, path = portal_page

    response = client.get(path)

    nonce = _script_nonce(response)
    tags = _tags(response.content.decode())
    scripts = [attrs for tag, attrs in tags if tag == "script"]
    assert scripts, "the page has no script tags; this test would prove nothing"
    assert [attrs.get("nonce") for attrs in scripts] == [nonce] * len(scripts)
    handlers = [(tag, name) for tag, attrs in tags for name in attrs
                if name.startswith("on")]
    assert handlers == []
    assert not re.search(r"href\s*=\s*[\"']?\s*javascript:", response.content.decode(), re.I)


# --- sessions ---------------------------------------------------------------------

def _sign_in(client: Client, email: str, password: str = TEST_PASSWORD):
    return client.post("/accounts/login/", {"login": email, "password": password})


def _session_key(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_session_key_rotates_at_sign_in(cast):
    client = Client(HTTP_HOST=host_of(cast.acme))
    session = client.session  # a session that exists before sign-in (a planted one, say)
    session["probe"] = "before"
    session.save()
    before = _session_key(client)

    response = _sign_in(client, MANAGER)

    assert response.status_code == 302
    after = _session_key(client)
    assert after != before
    assert client.session["_auth_user_id"] == str(cast.manager.user.pk)
    assert not Session.objects.filter(session_key=before).exists()
    planted = Client(HTTP_HOST=host_of(cast.acme))
    planted.cookies[settings.SESSION_COOKIE_NAME] = before
    assert planted.get("/home/").status_code == 302


def test_session_is_dead_after_sign_out(cast):
    client = Client(HTTP_HOST=host_of(cast.acme))
    _sign_in(client, MANAGER)
    key = _session_key(client)
    assert client.get("/home/").status_code == 200

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    replay = Client(HTTP_HOST=host_of(cast.acme))
    replay.cookies[settings.SESSION_COOKIE_NAME] = key
    home = replay.get("/home/")
    assert home.status_code == 302
    assert home["Location"].startswith("/accounts/login/")
    assert replay.get("/api/v1/me/").status_code == 401


def test_sign_out_needs_a_post(cast):
    client = Client(HTTP_HOST=host_of(cast.acme))
    _sign_in(client, MANAGER)

    client.get("/accounts/logout/")  # a link or an <img> must not sign anyone out

    assert client.get("/home/").status_code == 200


# --- lockout ----------------------------------------------------------------------

def test_four_failed_sign_ins_do_not_lock_the_account(cast):
    client = Client(HTTP_HOST=host_of(cast.acme))
    for _ in range(4):
        assert _sign_in(client, MANAGER, "wrong-password").status_code == 200

    response = _sign_in(client, MANAGER)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(cast.manager.user.pk)


def test_five_failed_sign_ins_lock_the_account_even_for_the_right_password(cast):
    client = Client(HTTP_HOST=host_of(cast.acme))
    for _ in range(5):
        assert _sign_in(client, MANAGER, "wrong-password").status_code == 200

    response = _sign_in(client, MANAGER)

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "Too many failed login attempts" in response.content.decode()
    # The lock is on the address, not on everyone behind the same IP.
    other = Client(HTTP_HOST=host_of(cast.acme))
    assert _sign_in(other, cast.partner_user.user.email).status_code == 302
    assert other.session["_auth_user_id"] == str(cast.partner_user.user.pk)


# --- one session, one tenant ------------------------------------------------------

def _acme_session(cast, email: str) -> str:
    client = Client(HTTP_HOST=host_of(cast.acme))
    assert _sign_in(client, email).status_code == 302
    assert client.get("/home/").status_code == 200
    return _session_key(client)


def _on_globex(cast, session_key: str) -> Client:
    client = Client(HTTP_HOST=host_of(cast.globex))
    client.cookies[settings.SESSION_COOKIE_NAME] = session_key
    return client


@pytest.mark.parametrize("member_of_globex_too", [False, True])
def test_an_acme_session_signs_nobody_in_on_globex(cast, member_of_globex_too):
    if member_of_globex_too:
        MembershipFactory(tenant=cast.globex, user=cast.manager.user, role="channel_manager")
        # Control: signed in on globex's own host, the same person gets in.
        assert _sign_in(Client(HTTP_HOST=host_of(cast.globex)), MANAGER).status_code == 302

    home = _on_globex(cast, _acme_session(cast, MANAGER)).get("/home/")
    api = _on_globex(cast, _acme_session(cast, MANAGER)).get("/api/v1/me/")

    assert home.status_code == 302
    assert home["Location"].startswith("/accounts/login/")
    assert api.status_code == 401
