"""A partner admin's team page: invite colleagues, deactivate and reactivate them, nobody else."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from prm.events import deliver_pending
from prm.models import Event, Invitation, Membership, Role
from prm.services import api_key_create
from prm.tenancy import tenant_scope
from tests.conftest import _member, tenant_client
from tests.factories import TEST_PASSWORD, PartnerFactory


@pytest.fixture
def colleague(cast):
    """A partner user at Northwind, the partner admin's own company."""
    return _member(cast.acme, "nora@northwind.test", Role.PARTNER_USER, "Nora Northwind",
                   cast.northwind)


def _state(tenant):
    with tenant_scope(tenant):
        return (list(Membership.objects.order_by("pk").values_list("pk", "role", "is_active")),
                list(Invitation.objects.order_by("pk").values_list("pk", "status")),
                Event.objects.count())


def _signs_in(tenant, email: str) -> bool:
    client = tenant_client(tenant)
    client.post("/accounts/login/", {"login": email, "password": TEST_PASSWORD})
    return client.session.get("_auth_user_id") is not None


def _messages(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


class TestTeamPage:
    def test_shows_own_people_and_invitations_only(self, cast, colleague):
        with tenant_scope(cast.acme):
            Invitation.objects.create(email="open@northwind.test", role=Role.PARTNER_USER,
                                      partner=cast.northwind, expires_at="2099-01-01T00:00Z")
            Invitation.objects.create(email="open@contoso.test", role=Role.PARTNER_USER,
                                      partner=cast.contoso, expires_at="2099-01-01T00:00Z")
        response = cast.client(cast.partner_admin).get("/team/")
        assert response.status_code == 200
        assert [m.pk for m in response.context["people"]] == [colleague.pk,
                                                              cast.partner_admin.pk]
        body = response.content.decode()
        for text in ("pat@northwind.test", "nora@northwind.test", "open@northwind.test"):
            assert text in body
        for text in ("paul@contoso.test", "open@contoso.test", "max@acme.test"):
            assert text not in body

    def test_invites_a_colleague_into_the_own_partner(self, cast):
        response = cast.client(cast.partner_admin).post(
            "/team/", {"email": "Neo@Northwind.test", "role": Role.PARTNER_USER})
        assert response.status_code == 302
        assert response["Location"] == "/team/"
        with tenant_scope(cast.acme):
            invitation = Invitation.objects.get()
            assert deliver_pending() == 1
        assert (invitation.email, invitation.role, invitation.partner_id,
                invitation.invited_by_id) == ("neo@northwind.test", Role.PARTNER_USER,
                                              cast.northwind.pk, cast.partner_admin.user_id)
        assert mail.outbox[0].to == ["neo@northwind.test"]

    def test_invites_another_partner_admin(self, cast):
        cast.client(cast.partner_admin).post(
            "/team/", {"email": "boss@northwind.test", "role": Role.PARTNER_ADMIN})
        with tenant_scope(cast.acme):
            assert Invitation.objects.get().role == Role.PARTNER_ADMIN

    @pytest.mark.parametrize(("data", "field"), [
        ({"email": "x@northwind.test", "role": Role.TENANT_ADMIN}, "role"),
        ({"email": "x@northwind.test", "role": Role.CHANNEL_MANAGER}, "role"),
        ({"email": "not-an-address", "role": Role.PARTNER_USER}, "email"),
        ({"email": "paul@contoso.test", "role": Role.PARTNER_USER}, "email"),
    ])
    def test_refused_invitations_show_an_error_and_change_nothing(self, cast, data, field):
        before = _state(cast.acme)
        response = cast.client(cast.partner_admin).post("/team/", data)
        assert response.status_code == 200
        assert field in response.context["form"].errors
        assert _state(cast.acme) == before

    def test_a_former_member_of_another_partner_cannot_be_pulled_over(self, cast):
        """Deactivated elsewhere in the program: accepting would move that membership into
        this partner, so the partner admin may not invite the address."""
        from prm.services import membership_update

        with tenant_scope(cast.acme):
            membership_update(actor=None, membership=cast.partner_user, is_active=False)
        before = _state(cast.acme)
        response = cast.client(cast.partner_admin).post(
            "/team/", {"email": "paul@contoso.test", "role": Role.PARTNER_USER})
        errors = response.context["form"].errors["email"]
        assert errors == ["This address cannot be invited from here. Ask your channel "
                          "manager at the vendor."]
        assert _state(cast.acme) == before

    def test_deactivated_colleague_cannot_sign_in_or_use_api_keys(self, cast, colleague):
        with tenant_scope(cast.acme):
            _key, secret = api_key_create(actor=colleague.user, membership=colleague,
                                          name="crm sync")
        api = tenant_client(cast.acme)
        assert api.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
        assert _signs_in(cast.acme, "nora@northwind.test")

        response = cast.client(cast.partner_admin).post(f"/team/{colleague.pk}/",
                                                        {"is_active": "false"})

        assert response.status_code == 302
        assert response["Location"] == "/team/"
        with tenant_scope(cast.acme):
            colleague.refresh_from_db()
            assert Event.objects.filter(verb="membership.deactivated").count() == 1
        assert not colleague.is_active
        assert not _signs_in(cast.acme, "nora@northwind.test")
        assert api.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401

    def test_reactivated_colleague_signs_in_again(self, cast, colleague):
        client = cast.client(cast.partner_admin)
        client.post(f"/team/{colleague.pk}/", {"is_active": "false"})
        response = client.post(f"/team/{colleague.pk}/", {"is_active": "true"})
        assert response.status_code == 302
        with tenant_scope(cast.acme):
            colleague.refresh_from_db()
        assert colleague.is_active
        assert _signs_in(cast.acme, "nora@northwind.test")

    def test_cannot_deactivate_themself(self, cast):
        response = cast.client(cast.partner_admin).post(f"/team/{cast.partner_admin.pk}/",
                                                        {"is_active": "false"})
        assert response.status_code == 302
        assert _messages(response) == ["You cannot deactivate yourself."]
        with tenant_scope(cast.acme):
            cast.partner_admin.refresh_from_db()
        assert cast.partner_admin.is_active

    def test_a_bad_request_changes_nothing(self, cast, colleague):
        before = _state(cast.acme)
        response = cast.client(cast.partner_admin).post(f"/team/{colleague.pk}/",
                                                        {"is_active": "maybe"})
        assert response.status_code == 302
        assert _state(cast.acme) == before


class TestOutsiders:
    @pytest.mark.parametrize("who", ["partner_user", "manager"])
    def test_other_roles_get_404(self, cast, colleague, who):
        before = _state(cast.acme)
        client = cast.client(getattr(cast, who))
        assert client.get("/team/").status_code == 404
        assert client.post("/team/", {"email": "x@northwind.test",
                                      "role": Role.PARTNER_USER}).status_code == 404
        assert client.post(f"/team/{colleague.pk}/", {"is_active": "false"}).status_code == 404
        assert _state(cast.acme) == before

    def test_tenant_admin_gets_404(self, mfa_admin, colleague):
        client = mfa_admin.client(mfa_admin.admin)
        assert client.get("/team/").status_code == 404
        assert client.post(f"/team/{colleague.pk}/", {"is_active": "false"}).status_code == 404

    @pytest.mark.parametrize("target", ["partner_user", "manager", "admin"])
    def test_people_outside_the_own_partner_are_404_and_untouched(self, cast, target):
        before = _state(cast.acme)
        membership = getattr(cast, target)
        response = cast.client(cast.partner_admin).post(f"/team/{membership.pk}/",
                                                        {"is_active": "false"})
        assert response.status_code == 404
        assert _state(cast.acme) == before

    def test_a_partner_admin_of_another_tenant_gets_404(self, cast, colleague):
        initech = PartnerFactory(tenant=cast.globex, name="Initech", domain="initech.test")
        foreign_admin = _member(cast.globex, "ian@initech.test", Role.PARTNER_ADMIN,
                                "Ian Initech", initech)
        before = _state(cast.acme)
        client = cast.client(foreign_admin)
        response = client.post(f"/team/{colleague.pk}/", {"is_active": "false"})
        assert response.status_code == 404
        assert "nora@northwind.test" not in client.get("/team/").content.decode()
        assert _state(cast.acme) == before

    def test_anonymous_visitors_are_sent_to_sign_in(self, cast, colleague):
        client = tenant_client(cast.acme)
        assert client.get("/team/")["Location"].startswith("/accounts/login/")
        response = client.post(f"/team/{colleague.pk}/", {"is_active": "false"})
        assert response.status_code == 302
        with tenant_scope(cast.acme):
            colleague.refresh_from_db()
        assert colleague.is_active


def test_team_page_query_count_does_not_grow_with_people(cast):
    client = cast.client(cast.partner_admin)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/team/").status_code == 200
        return len(captured)

    def add(n: int) -> None:
        for i in range(n):
            email = f"p{i}-{n}@northwind.test"
            _member(cast.acme, email, Role.PARTNER_USER, f"Person {i}", cast.northwind)
            with tenant_scope(cast.acme):
                Invitation.objects.create(email=f"inv{i}-{n}@northwind.test",
                                          role=Role.PARTNER_USER, partner=cast.northwind,
                                          invited_by=cast.partner_admin.user,
                                          expires_at="2099-01-01T00:00Z")

    queries()  # the first visit binds the session to the tenant (one write)
    add(2)
    few = queries()
    add(15)
    assert queries() == few
    assert few == 12
