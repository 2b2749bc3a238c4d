"""Sign-in bound to the tenant, sign-in by e-mailed code, invitations, required MFA."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.utils import timezone

from prm.events import deliver_pending
from prm.models import Event, Invitation, Membership, Role, User
from prm.services import invitation_create, invitation_token
from prm.tenancy import tenant_scope
from tests.conftest import tenant_client
from tests.factories import TEST_PASSWORD


def _sign_in(client, email: str, password: str = TEST_PASSWORD):
    return client.post("/accounts/login/", {"login": email, "password": password})


def _signed_in_user_id(client):
    return client.session.get("_auth_user_id")


def test_member_signs_in_with_password_on_their_tenants_host(cast):
    client = tenant_client(cast.acme)
    response = _sign_in(client, "max@acme.test")
    assert response.status_code == 302
    assert _signed_in_user_id(client) == str(cast.manager.user_id)
    assert client.get("/home/").status_code == 200


def test_member_of_another_tenant_cannot_sign_in_here(cast):
    client = tenant_client(cast.acme)
    response = _sign_in(client, "greta@globex.test")
    assert _signed_in_user_id(client) is None
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200
    assert client.get("/home/").status_code == 302


def test_deactivated_member_cannot_sign_in(cast):
    with tenant_scope(cast.acme):
        Membership.objects.filter(pk=cast.partner_user.pk).update(is_active=False)
    client = tenant_client(cast.acme)
    _sign_in(client, "paul@contoso.test")
    assert _signed_in_user_id(client) is None


def test_deactivating_a_member_ends_their_running_session(cast):
    client = cast.client(cast.partner_user)
    assert client.get("/home/").status_code == 200
    with tenant_scope(cast.acme):
        Membership.objects.filter(pk=cast.partner_user.pk).update(is_active=False)
    assert client.get("/home/").status_code == 302


def test_sign_in_by_emailed_code(cast):
    client = tenant_client(cast.acme)
    response = client.post("/accounts/login/code/", {"email": "paul@contoso.test"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    code = re.search(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", mail.outbox[0].body, re.MULTILINE).group(1)
    response = client.post(response["Location"], {"code": code})
    assert response.status_code == 302
    assert _signed_in_user_id(client) == str(cast.partner_user.user_id)


def test_password_reset_mail_is_sent_for_members(cast):
    client = tenant_client(cast.acme)
    response = client.post("/accounts/password/reset/", {"email": "max@acme.test"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "acme.localhost" in mail.outbox[0].body


def test_tenant_admin_without_totp_must_set_it_up(cast):
    client = cast.client(cast.admin)
    response = client.get("/home/")
    assert response.status_code == 302
    assert "/accounts/2fa/totp/activate/" in response["Location"]
    # API keys are not blocked by the page rule; the API acts as the key's owner.
    assert client.get("/api/v1/me/").status_code == 200


def test_tenant_admin_with_totp_reaches_home(mfa_admin):
    assert mfa_admin.client(mfa_admin.admin).get("/home/").status_code == 200


class TestInvitations:
    def _invite(self, cast, email="new@example.test", role=Role.PARTNER_USER):
        with tenant_scope(cast.acme):
            invitation = invitation_create(actor=cast.admin.user, email=email, role=role,
                                           partner=cast.northwind)
            return invitation, invitation_token(invitation)

    def test_the_outbox_mails_the_link_exactly_once(self, cast):
        _invitation, token = self._invite(cast)
        with tenant_scope(cast.acme):
            assert deliver_pending() == 1
            assert deliver_pending() == 0
        assert len(mail.outbox) == 1
        assert f"/invitations/accept/{token}/" in mail.outbox[0].body

    def test_new_person_accepts_and_gets_a_verified_account(self, cast):
        invitation, token = self._invite(cast)
        client = tenant_client(cast.acme)
        url = f"/invitations/accept/{token}/"
        assert client.get(url).status_code == 200
        response = client.post(url, {"full_name": "Nia New", "password": "a-Long-passw0rd!",
                                     "password_again": "a-Long-passw0rd!"})
        assert response.status_code == 302
        user = User.objects.get(email="new@example.test")
        assert EmailAddress.objects.get(user=user).verified
        with tenant_scope(cast.acme):
            membership = Membership.objects.get(user=user)
            assert (membership.role, membership.partner) == (Role.PARTNER_USER, cast.northwind)
            invitation.refresh_from_db()
            assert invitation.status == Invitation.Status.ACCEPTED
            assert Event.objects.filter(verb="invitation.accepted").count() == 1
        assert _sign_in(client, "new@example.test", "a-Long-passw0rd!").status_code == 302
        assert _signed_in_user_id(client) == str(user.pk)
        # The link is spent.
        assert client.get(url).status_code == 404

    def test_bad_password_shows_errors_and_changes_nothing(self, cast):
        _invitation, token = self._invite(cast)
        response = tenant_client(cast.acme).post(
            f"/invitations/accept/{token}/",
            {"full_name": "Nia", "password": "short", "password_again": "other"})
        assert response.status_code == 200
        assert response.context["form"].errors
        assert not User.objects.filter(email="new@example.test").exists()

    def test_person_from_another_program_joins_with_their_account(self, cast):
        # Greta belongs to globex; acme invites her as a partner user.
        _invitation, token = self._invite(cast, email="greta@globex.test")
        client = tenant_client(cast.acme)
        assert client.post(f"/invitations/accept/{token}/").status_code == 302
        assert _sign_in(client, "greta@globex.test").status_code == 302
        assert _signed_in_user_id(client) == str(cast.other_admin.user_id)
        assert User.objects.filter(email="greta@globex.test").count() == 1

    def test_expired_link_is_refused(self, cast):
        invitation, token = self._invite(cast)
        with tenant_scope(cast.acme):
            Invitation.objects.filter(pk=invitation.pk).update(
                expires_at=timezone.now() - timedelta(minutes=1))
        assert tenant_client(cast.acme).get(f"/invitations/accept/{token}/").status_code == 404

    def test_link_does_not_work_on_another_tenants_host(self, cast):
        _invitation, token = self._invite(cast)
        response = tenant_client(cast.globex).post(
            f"/invitations/accept/{token}/",
            {"full_name": "X", "password": "a-Long-passw0rd!",
             "password_again": "a-Long-passw0rd!"})
        assert response.status_code == 404
        assert not User.objects.filter(email="new@example.test").exists()

    def test_tampered_token_is_refused(self, cast):
        _invitation, token = self._invite(cast)
        assert tenant_client(cast.acme).get(f"/invitations/accept/{token}x/").status_code == 404

    @pytest.mark.parametrize("email", ["max@acme.test", "MAX@acme.test"])
    def test_members_cannot_be_invited_again(self, mfa_admin, email):
        response = mfa_admin.client(mfa_admin.admin).post(
            "/members/", {"email": email, "role": Role.CHANNEL_MANAGER})
        assert response.status_code == 200
        assert "email" in response.context["form"].errors
        with tenant_scope(mfa_admin.acme):
            assert not Invitation.objects.exists()


def test_account_mails_speak_as_the_vendors_portal(cast):
    tenant_client(cast.acme).post("/accounts/login/code/", {"email": "paul@contoso.test"})
    assert mail.outbox[0].subject.startswith("[Acme Corp] ")
    assert "Hello from Acme Corp" in mail.outbox[0].body
