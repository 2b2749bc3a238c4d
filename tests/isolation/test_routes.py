"""Every page and API route, found by walking the URL configuration, against outsiders.

A person of tenant B is nobody on tenant A's host: signed in or with an API key they get
what an anonymous visitor gets (the sign-in page, 401, 404), never a row of tenant A; and
on their own host, no id of tenant A's rows answers anything but 404.
"""

from __future__ import annotations

import pytest
from django.apps import apps

from prm.models import ApiKey, Event, Invitation, Membership
from prm.services import api_key_create, invitation_create
from prm.tenancy import TenantModel, tenant_scope
from tests.conftest import tenant_client
from tests.isolation.routes import tenant_routes

ROUTES = tenant_routes()
PARAM_ROUTES = [route for route in ROUTES if route.params]
# Public on every tenant host, by design: served to anonymous visitors the same way.
MARKERS = ("ada@acme.test", "max@acme.test", "pat@northwind.test", "paul@contoso.test",
           "invitee@acme-secret.test", "acme-secret-key", "acme-secret-tier",
           "Secret Applicant", "Secret Customer", "acme-secret-note", "acme-secret-step",
           "Northwind Traders", "Contoso Ltd")


def test_discovery_finds_the_routes_we_know():
    templates = {route.template for route in ROUTES}
    assert {"/home/", "/members/", "/audit/", "/api/v1/me/", "/api/v1/invitations/",
            "/api/v1/invitations/{pk}/", "/api/v1/invitations/{pk}/revoke/",
            "/api-keys/{key_id}/revoke/", "/accounts/login/"} <= templates


@pytest.fixture
def world(mfa_admin):
    """Tenant A with one row of every kind; tenant B's admin with an API key."""
    cast = mfa_admin
    with tenant_scope(cast.acme):
        invitation = invitation_create(actor=cast.admin.user, email="invitee@acme-secret.test",
                                       role="channel_manager")
        key, _ = api_key_create(actor=cast.manager.user, membership=cast.manager,
                                name="acme-secret-key")
        extra = _rows_of_every_app(cast)
        # One id of every kind of row (ids are per table, so these cover every detail route).
        a_ids = sorted({cast.admin.pk, cast.manager.pk, cast.partner_user.pk, invitation.pk,
                        key.pk, Event.objects.latest("pk").pk, *extra})
    with tenant_scope(cast.globex):
        _key, b_key = api_key_create(actor=None, membership=cast.other_admin, name="b")
        # An id that is also one of B's own rows (of any table) would hit B's row legitimately.
        b_ids = {pk for model in apps.get_models() if issubclass(model, TenantModel)
                 for pk in model.objects.values_list("pk", flat=True)}
    return cast, [a_id for a_id in a_ids if a_id not in b_ids], b_key


def _rows_of_every_app(cast) -> set[int]:
    """A row of each later app's tables in tenant A, so their routes meet real ids."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from deals.services import action_item_add, deal_submit, timeline_add
    from partners.services import application_submit, tier_create
    from tests.factories import DealStageFactory, ProductLineFactory

    tier = tier_create(actor=None, name="acme-secret-tier", rank=1)
    application = application_submit(
        company_name="Secret Applicant", website="https://applicant.acme-secret.test",
        country="DE", partner_type="msp", contact_name="A", contact_email="a@applicant.test",
        message="hello")
    product = ProductLineFactory(tenant=cast.acme)
    DealStageFactory(tenant=cast.acme)
    deal, _ = deal_submit(member=cast.partner_admin, partner=cast.northwind,
                          customer_name="Secret Customer", customer_domain="acme-secret.test",
                          customer_country="DE", product=product, amount=Decimal("10"),
                          currency="EUR",
                          expected_close_date=timezone.localdate() + timedelta(days=30))
    entry = timeline_add(member=cast.manager, deal=deal, kind="internal_note",
                         body="acme-secret-note")
    item = action_item_add(member=cast.manager, deal=deal, title="acme-secret-step")
    return {tier.pk, application.pk, product.pk, deal.pk, entry.pk, item.pk,
            cast.northwind.pk, cast.contoso.pk}


def _snapshot(tenant):
    with tenant_scope(tenant):
        return (
            list(Membership.objects.order_by("pk").values_list("pk", "role", "is_active")),
            list(Invitation.objects.order_by("pk").values_list("pk", "status")),
            list(ApiKey.objects.order_by("pk").values_list("pk", "revoked_at")),
            Event.objects.count(),
        )


def _assert_no_markers(response, where):
    raw = (b"".join(response.streaming_content) if response.streaming
           else response.content)
    body = raw.decode(errors="replace")
    leaked = [marker for marker in MARKERS if marker in body]
    assert not leaked, f"{where} leaked {leaked}"


def _same_as_anonymous(outsider, anonymous, where):
    assert outsider.status_code == anonymous.status_code, where
    if anonymous.status_code in (301, 302):
        assert outsider["Location"] == anonymous["Location"], where


@pytest.mark.parametrize("method", ["get", "post"])
def test_outsider_on_tenant_a_host_is_a_stranger(world, method):
    cast, a_ids, b_key = world
    before = _snapshot(cast.acme)
    signed_in_b = tenant_client(cast.acme, cast.other_admin.user)
    anonymous = tenant_client(cast.acme)
    with_key = tenant_client(cast.acme)
    # On A's host an outsider is anonymous, whatever the id: two ids per route suffice.
    for route in ROUTES:
        for path in {route.fill(a_id) for a_id in a_ids[:2]} if route.params else {route.template}:
            where = f"{method.upper()} {path}"
            response = getattr(signed_in_b, method)(path)
            _assert_no_markers(response, where)
            _same_as_anonymous(response, getattr(anonymous, method)(path), where)
            if route.is_api:
                assert response.status_code == 401, where
                keyed = getattr(with_key, method)(path, HTTP_AUTHORIZATION=f"Bearer {b_key}")
                assert keyed.status_code == 401, where
            elif response.status_code == 200:
                assert route.name in PUBLIC_PAGES or route.template.startswith("/accounts/"), where
    assert _snapshot(cast.acme) == before


PUBLIC_PAGES = {"api-schema", "api-docs", "healthz", "invitation_accept", "set_language",
                "apply", "apply_done"}


@pytest.mark.parametrize("method", ["get", "post"])
def test_outsider_on_own_host_gets_404_for_every_id_of_tenant_a(world, method):
    cast, a_ids, b_key = world
    before = _snapshot(cast.acme)
    session = tenant_client(cast.globex, cast.other_admin.user)
    keyed = tenant_client(cast.globex)
    for route in PARAM_ROUTES:
        if not route.is_api and route.template.startswith(("/accounts/", "/i18n/")):
            continue  # allauth's own token routes carry no ids of ours
        for a_id in a_ids:
            path = route.fill(a_id)
            callers = [(session, {})]
            if route.is_api:
                callers.append((keyed, {"HTTP_AUTHORIZATION": f"Bearer {b_key}"}))
            for client, extra in callers:
                response = getattr(client, method)(path, **extra)
                where = f"{method.upper()} {path}"
                _assert_no_markers(response, where)
                assert response.status_code in (404, 405), f"{where}: {response.status_code}"
    assert _snapshot(cast.acme) == before


def test_lists_on_own_host_show_no_row_of_tenant_a(world):
    cast, _a_ids, b_key = world
    session = tenant_client(cast.globex, cast.other_admin.user)
    keyed = tenant_client(cast.globex)
    for route in ROUTES:
        if route.params:
            continue
        _assert_no_markers(session.get(route.template), f"GET {route.template}")
        if route.is_api:
            response = keyed.get(route.template, HTTP_AUTHORIZATION=f"Bearer {b_key}")
            _assert_no_markers(response, f"GET {route.template} (key)")
