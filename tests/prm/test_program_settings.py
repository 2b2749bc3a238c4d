"""Program settings: a tenant admin changes how the program runs; each change is an event;
bad input changes nothing; nobody else reaches the page."""

from __future__ import annotations

import pytest

from prm.errors import InvalidInput
from prm.models import Event, Tenant
from prm.services import tenant_settings_update
from prm.tenancy import tenant_scope

URL = "/program/settings/"


def _form(tenant: Tenant, **changes) -> dict:
    data = {"name": tenant.name, "locale": tenant.locale, "time_zone": tenant.time_zone,
            "deal_protection_days": tenant.deal_protection_days}
    if tenant.language_check_blocks:
        data["language_check_blocks"] = "on"
    if tenant.stage_exceptions_allowed:
        data["stage_exceptions_allowed"] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _settings(tenant: Tenant) -> tuple:
    fresh = Tenant.objects.get(pk=tenant.pk)
    return (fresh.name, fresh.locale, fresh.time_zone, fresh.deal_protection_days,
            fresh.language_check_blocks, fresh.stage_exceptions_allowed,
            fresh.default_currency, fresh.slug)


def _events(tenant: Tenant) -> list[Event]:
    with tenant_scope(tenant):
        return list(Event.objects.filter(verb="tenant.settings_changed").order_by("pk"))


def test_admin_changes_the_settings_and_the_change_is_recorded(mfa_admin):
    cast = mfa_admin
    client = cast.client(cast.admin)
    assert client.get(URL).status_code == 200
    response = client.post(URL, _form(cast.acme, name="Acme Partner Network",
                                      deal_protection_days="120",
                                      language_check_blocks="on",
                                      stage_exceptions_allowed=None))
    assert response.status_code == 302
    assert _settings(cast.acme)[:6] == ("Acme Partner Network", "en", cast.acme.time_zone, 120,
                                        True, False)
    [event] = _events(cast.acme)
    assert event.actor_id == cast.admin.user_id
    assert event.data == {
        "name": {"from": "Acme Corp", "to": "Acme Partner Network"},
        "deal_protection_days": {"from": 90, "to": 120},
        "language_check_blocks": {"from": False, "to": True},
        "stage_exceptions_allowed": {"from": True, "to": False},
    }
    page = client.get(URL).content.decode()
    assert "Acme Partner Network" in page


def test_saving_without_a_change_records_nothing(mfa_admin):
    cast = mfa_admin
    assert cast.client(cast.admin).post(URL, _form(cast.acme)).status_code == 302
    assert _events(cast.acme) == []


@pytest.mark.parametrize(("changes", "field"), [
    ({"deal_protection_days": "0"}, "deal_protection_days"),
    ({"deal_protection_days": "1000"}, "deal_protection_days"),
    ({"deal_protection_days": "ninety"}, "deal_protection_days"),
    ({"name": ""}, "name"),
    ({"locale": "fr"}, "locale"),
    ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
])
def test_bad_input_is_a_field_error_and_changes_nothing(mfa_admin, changes, field):
    cast = mfa_admin
    before = _settings(cast.acme)
    response = cast.client(cast.admin).post(URL, _form(cast.acme, **{"name": "Renamed",
                                                                     **changes}))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert _settings(cast.acme) == before
    assert _events(cast.acme) == []
    # The page still shows the program's real name, not the refused one.
    assert "<title>Program settings · Acme Corp</title>" in response.content.decode()


def test_slug_and_currency_are_not_the_admins_to_change(mfa_admin):
    cast = mfa_admin
    before = _settings(cast.acme)
    response = cast.client(cast.admin).post(URL, _form(cast.acme, slug="evil",
                                                       default_currency="USD"))
    assert response.status_code == 302
    assert _settings(cast.acme) == before
    with tenant_scope(cast.acme), pytest.raises(InvalidInput):
        tenant_settings_update(actor=None, tenant=cast.acme, default_currency="USD")
    assert _settings(cast.acme) == before


def test_other_roles_and_other_tenants_get_404_and_change_nothing(mfa_admin):
    cast = mfa_admin
    before = _settings(cast.acme)
    for member in (cast.manager, cast.partner_admin, cast.partner_user):
        client = cast.client(member)
        assert client.get(URL).status_code == 404
        assert client.post(URL, _form(cast.acme, name="Taken over")).status_code == 404
    # On A's host, B's admin is a stranger: sent to sign in, like anyone anonymous.
    outsider = cast.client(cast.other_admin, tenant=cast.acme)
    response = outsider.post(URL, _form(cast.acme, name="Taken over"))
    assert (response.status_code, response["Location"]) == (
        302, "/accounts/login/?next=/program/settings/")
    # On B's own host, B's admin changes B's program only.
    cast.client(cast.other_admin).post(URL, _form(cast.globex, name="Globex Partners"))
    assert Tenant.objects.get(pk=cast.globex.pk).name == "Globex Partners"
    assert _settings(cast.acme) == before
    assert _events(cast.acme) == []

