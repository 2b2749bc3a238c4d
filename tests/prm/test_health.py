"""/healthz: the state of the database and the broker, on every host, for load balancers."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.backends.postgresql.base import DatabaseWrapper
from django.test import Client
from django.urls import reverse

from prm import views
from prm.celery import app

HOSTS = ["acme.localhost", "localhost"]


@pytest.fixture
def broker_down(monkeypatch):
    """Point Celery at a closed port on loopback: a real broker that does not answer."""
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    monkeypatch.delenv("CELERY_BROKER_WRITE_URL", raising=False)
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:1/0")


@pytest.fixture
def database_down(monkeypatch):
    """A real PostgreSQL connection to a closed port, in place of the one healthz checks.

    (The request itself still needs the real database to resolve the tenant, so only the
    connection the check uses is swapped.)
    """
    dead = DatabaseWrapper({**connection.settings_dict, "PORT": "1", "CONN_MAX_AGE": 0},
                           alias="healthz-dead")
    monkeypatch.setattr(views, "connection", dead)
    yield
    dead.close()


@pytest.mark.parametrize("host", HOSTS)
def test_healthz_is_ok_when_database_and_broker_answer(cast, host):
    response = Client(HTTP_HOST=host).get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_the_broker_under_test_is_the_real_redis():
    # Guard: the "ok" above must come from a real Redis, not an in-memory stand-in.
    assert app.conf.broker_url.startswith("redis://")


@pytest.mark.parametrize("host", HOSTS)
def test_healthz_is_503_when_the_broker_is_down(cast, broker_down, host):
    response = Client(HTTP_HOST=host).get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["database"] == "ok"
    assert body["broker"].startswith("down: ")


@pytest.mark.parametrize("host", HOSTS)
def test_healthz_is_503_when_the_database_is_down(cast, database_down, host):
    response = Client(HTTP_HOST=host).get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["database"] == "down: OperationalError"
    assert body["broker"] == "ok"


def test_healthz_is_not_held_up_by_the_totp_requirement(cast):
    # A tenant admin without TOTP is sent to set it up on every portal page, not here.
    client = cast.client(cast.admin)
    assert client.get("/home/")["Location"].startswith(reverse("mfa_activate_totp"))

    assert client.get("/healthz").status_code == 200


def test_healthz_on_an_unknown_tenant_is_404(db):
    assert Client(HTTP_HOST="nosuch.localhost").get("/healthz").status_code == 404
