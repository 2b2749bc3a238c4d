"""/api/v1/team/: a partner admin's own company's people through the API, as on the
team page; nobody else's."""

from __future__ import annotations

import pytest

from prm.models import Invitation, Role
from prm.tenancy import tenant_scope
from tests.conftest import _member
from tests.partners.test_team_pages import _state, colleague  # noqa: F401 - a fixture

URL = "/api/v1/team/"


def _json(client, method, url, data=None):
    return getattr(client, method)(url, data or {}, content_type="application/json")


def test_partner_admin_lists_only_their_own_company(cast, colleague):  # noqa: F811
    response = cast.client(cast.partner_admin).get(URL)
    assert response.status_code == 200
    emails = sorted(row["email"] for row in response.json()["results"])
    assert emails == ["nora@northwind.test", "pat@northwind.test"]


def test_partner_admin_invites_a_colleague_into_their_company(cast):
    response = _json(cast.client(cast.partner_admin), "post", URL,
                     {"email": "neo@northwind.test", "role": Role.PARTNER_USER})
    assert response.status_code == 201
    assert response.json()["email"] == "neo@northwind.test"
    with tenant_scope(cast.acme):
        invitation = Invitation.objects.get()
    assert (invitation.partner_id, invitation.role) == (cast.northwind.pk, Role.PARTNER_USER)


@pytest.mark.parametrize(("body", "field"), [
    ({"email": "x@northwind.test", "role": Role.TENANT_ADMIN}, "role"),
    ({"email": "not-an-address"}, "email"),
    ({"email": "paul@contoso.test"}, "email"),
])
def test_refused_invitations_are_400_on_the_field_and_change_nothing(cast, body, field):
    before = _state(cast.acme)
    response = _json(cast.client(cast.partner_admin), "post", URL, body)
    assert response.status_code == 400
    assert field in response.json()
    assert _state(cast.acme) == before


def test_partner_admin_deactivates_a_colleague_but_not_themself(cast, colleague):  # noqa: F811
    client = cast.client(cast.partner_admin)
    response = _json(client, "patch", f"{URL}{colleague.pk}/", {"is_active": False})
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert _json(client, "patch", f"{URL}{cast.partner_admin.pk}/",
                 {"is_active": False}).status_code == 409


def test_nobody_else_reaches_the_team_and_nothing_changes(cast, colleague):  # noqa: F811
    contoso_admin = cast.client(_member(cast.acme, "cleo@contoso.test", Role.PARTNER_ADMIN,
                                        "Cleo Contoso", cast.contoso))
    before = _state(cast.acme)
    others = [cast.client(cast.partner_user), cast.client(cast.manager),
              cast.client(cast.other_admin)]
    for client in others:
        assert client.get(URL).status_code == 404
        assert _json(client, "patch", f"{URL}{colleague.pk}/",
                     {"is_active": False}).status_code == 404
        assert _json(client, "post", URL, {"email": "z@northwind.test"}).status_code == 404
    # Another partner's admin: their own team only.
    assert contoso_admin.get(f"{URL}{colleague.pk}/").status_code == 404
    assert _json(contoso_admin, "patch", f"{URL}{colleague.pk}/",
                 {"is_active": False}).status_code == 404
    assert "nora@northwind.test" not in contoso_admin.get(URL).content.decode()
    assert _state(cast.acme) == before
