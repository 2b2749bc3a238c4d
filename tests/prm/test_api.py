"""The REST API of the platform core: me, keys, members, invitations, idempotency, errors."""

from __future__ import annotations

import json

import pytest
from django.core import mail

from prm.models import ApiKey, Event, Invitation, Membership, Role
from prm.services import api_key_create, api_key_revoke, membership_update
from prm.tenancy import tenant_scope
from tests.conftest import tenant_client


def _key_for(membership: Membership, name: str = "test") -> str:
    with tenant_scope(membership.tenant):
        _key, plaintext = api_key_create(actor=None, membership=membership, name=name)
    return plaintext


def _bearer(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_me_with_session_returns_user_tenant_and_role(cast):
    response = cast.client(cast.manager).get("/api/v1/me/")
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["email"] == "max@acme.test"
    assert body["tenant"]["slug"] == "acme"
    assert body["role"] == Role.CHANNEL_MANAGER
    assert body["authenticated_by"] == "session"


def test_me_with_api_key_acts_as_its_owner(cast):
    key = _key_for(cast.partner_user)
    response = tenant_client(cast.acme).get("/api/v1/me/", **_bearer(key))
    assert response.status_code == 200
    assert response.json()["role"] == Role.PARTNER_USER
    assert response.json()["authenticated_by"] == "api_key"


def test_anonymous_api_call_is_401_with_bearer_challenge(cast):
    response = tenant_client(cast.acme).get("/api/v1/me/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_api_key_is_refused_on_another_tenants_host(cast):
    key = _key_for(cast.manager)
    response = tenant_client(cast.globex).get("/api/v1/me/", **_bearer(key))
    assert response.status_code == 401


@pytest.mark.parametrize("bad", ["nonsense", "prm_deadbeef_wrong", "prm__"])
def test_malformed_or_wrong_keys_are_401(cast, bad):
    _key_for(cast.manager)
    assert tenant_client(cast.acme).get("/api/v1/me/", **_bearer(bad)).status_code == 401


def test_key_is_stored_hashed_with_a_visible_prefix_and_tracks_last_use(cast):
    key = _key_for(cast.manager)
    prefix, secret = key.split("_")[1], key.split("_", 2)[2]
    with tenant_scope(cast.acme):
        row = ApiKey.objects.get(prefix=prefix)
        assert secret not in row.hashed_secret
        assert row.last_used_at is None
    tenant_client(cast.acme).get("/api/v1/me/", **_bearer(key))
    with tenant_scope(cast.acme):
        row.refresh_from_db()
        assert row.last_used_at is not None


def test_revoked_key_and_deactivated_owner_are_refused(cast):
    key = _key_for(cast.manager)
    other = _key_for(cast.partner_user)
    with tenant_scope(cast.acme):
        api_key_revoke(actor=None, api_key=ApiKey.objects.get(prefix=key.split("_")[1]))
        membership_update(actor=None, membership=cast.partner_user, is_active=False)
    client = tenant_client(cast.acme)
    assert client.get("/api/v1/me/", **_bearer(key)).status_code == 401
    assert client.get("/api/v1/me/", **_bearer(other)).status_code == 401


def test_creating_a_key_shows_it_once(cast):
    client = cast.client(cast.manager)
    created = client.post("/api/v1/api-keys/", {"name": "CRM sync"},
                          content_type="application/json")
    assert created.status_code == 201
    key = created.json()["key"]
    assert tenant_client(cast.acme).get("/api/v1/me/", **_bearer(key)).status_code == 200
    listed = client.get("/api/v1/api-keys/").json()["results"]
    assert [k["name"] for k in listed] == ["CRM sync"]
    assert "key" not in listed[0]
    assert key not in json.dumps(listed)


def test_validation_errors_are_400_with_field_messages(mfa_admin):
    client = mfa_admin.client(mfa_admin.admin)
    response = client.post("/api/v1/invitations/", {"email": "not-an-email", "role": "king"},
                           content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) == {"email", "role"}
    with tenant_scope(mfa_admin.acme):
        assert not Invitation.objects.exists()


def test_role_restricted_endpoints_answer_404_to_other_roles(cast):
    for membership in (cast.manager, cast.partner_admin, cast.partner_user):
        client = cast.client(membership)
        assert client.get("/api/v1/memberships/").status_code == 404
        assert client.get("/api/v1/events/").status_code == 404


def test_admin_invites_by_api_and_the_mail_goes_out_after_commit(
    mfa_admin, django_capture_on_commit_callbacks, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from prm.celery import app

    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = mfa_admin.client(mfa_admin.admin).post(
                "/api/v1/invitations/",
                {"email": "New.Person@Example.test", "role": "channel_manager"},
                content_type="application/json")
    finally:
        app.conf.task_always_eager = False
    assert response.status_code == 201
    assert response.json()["email"] == "new.person@example.test"
    assert [m.to for m in mail.outbox] == [["new.person@example.test"]]
    assert "/invitations/accept/" in mail.outbox[0].body
    with tenant_scope(mfa_admin.acme):
        event = Event.objects.get(verb="invitation.created")
        assert event.delivered_at is not None


def test_last_admin_cannot_be_demoted(mfa_admin):
    response = mfa_admin.client(mfa_admin.admin).patch(
        f"/api/v1/memberships/{mfa_admin.admin.pk}/", {"role": "channel_manager"},
        content_type="application/json")
    assert response.status_code == 409
    assert response.json()["code"] == "last_admin"
    with tenant_scope(mfa_admin.acme):
        assert Membership.objects.get(pk=mfa_admin.admin.pk).role == Role.TENANT_ADMIN


class TestIdempotency:
    def _post(self, client, body, key="abc-123"):
        return client.post("/api/v1/invitations/", body, content_type="application/json",
                           HTTP_IDEMPOTENCY_KEY=key)

    def test_repeat_returns_first_response_and_writes_nothing(self, mfa_admin):
        client = mfa_admin.client(mfa_admin.admin)
        body = {"email": "once@example.test", "role": "channel_manager"}
        first = self._post(client, body)
        with tenant_scope(mfa_admin.acme):
            events_after_first = Event.objects.count()
        again = self._post(client, body)
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert again["Idempotent-Replayed"] == "true"
        with tenant_scope(mfa_admin.acme):
            assert Invitation.objects.filter(email="once@example.test").count() == 1
            assert Event.objects.count() == events_after_first

    def test_same_key_with_another_body_is_422(self, mfa_admin):
        client = mfa_admin.client(mfa_admin.admin)
        self._post(client, {"email": "one@example.test", "role": "channel_manager"})
        response = self._post(client, {"email": "two@example.test", "role": "channel_manager"})
        assert response.status_code == 422
        with tenant_scope(mfa_admin.acme):
            assert not Invitation.objects.filter(email="two@example.test").exists()

    def test_keys_are_per_caller_and_per_tenant(self, mfa_admin):
        body = {"email": "shared@example.test", "role": "channel_manager"}
        assert self._post(mfa_admin.client(mfa_admin.admin), body).status_code == 201
        # The same key from another tenant's admin is a different request altogether.
        other = self._post(mfa_admin.client(mfa_admin.other_admin), body)
        assert other.status_code == 201
        assert "Idempotent-Replayed" not in other

    def test_without_key_a_repeat_is_refused_by_the_rules(self, mfa_admin):
        client = mfa_admin.client(mfa_admin.admin)
        body = {"email": "twice@example.test", "role": "channel_manager"}
        assert client.post("/api/v1/invitations/", body,
                           content_type="application/json").status_code == 201
        second = client.post("/api/v1/invitations/", body, content_type="application/json")
        assert second.status_code == 400
        assert "email" in second.json()


def test_schema_and_docs_are_served(cast):
    client = tenant_client(cast.acme)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = json.loads(schema.content)["paths"]
    assert "/api/v1/me/" in paths
    assert "/api/v1/invitations/{id}/revoke/" in paths
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
    assert b"cdn" not in docs.content.lower()


def test_openapi_schema_is_valid_and_warning_free(tmp_path):
    from django.core.management import call_command

    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert "/api/v1/deals/{id}/approve/" in target.read_text()
