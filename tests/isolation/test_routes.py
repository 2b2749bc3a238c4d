"""Every page and API route, found by walking the URL configuration, against outsiders.

A person of tenant B is nobody on tenant A's host: signed in or with an API key they get
what an anonymous visitor gets (the sign-in page, 401, 404), never a row of tenant A; and
on their own host, no id of tenant A's rows answers anything but 404.

Inside tenant A, the people of one partner organisation (Contoso) are outsiders to every
row that is neither the program's, for every partner, nor Contoso's own: another
partner's deals and everything under them, its people, keys and invitations, and the
vendor's own work. Every detail of such a row answers 404 and no list shows one.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.apps import apps

from prm.models import Event
from prm.tenancy import TenantModel, tenant_scope
from tests.conftest import tenant_client
from tests.isolation.routes import tenant_routes
from tests.isolation.world import (
    FOREIGN,
    MARKERS,
    OWN,
    SHARED,
    VENDOR,
    Sight,
    World,
    build_world,
    named_to_every_partner,
    snapshot,
    spread_ids,
)

ROUTES = tenant_routes()
PARAM_ROUTES = [route for route in ROUTES if route.params]
# Public on every tenant host, by design: served to anonymous visitors the same way.
PUBLIC_PAGES = {"api-schema", "api-docs", "healthz", "invitation_accept", "set_language",
                "apply", "apply_done"}


def test_discovery_finds_the_routes_we_know():
    templates = {route.template for route in ROUTES}
    assert {"/home/", "/members/", "/audit/", "/api/v1/me/", "/api/v1/invitations/",
            "/api/v1/invitations/{pk}/", "/api/v1/invitations/{pk}/revoke/",
            "/api-keys/{key_id}/revoke/", "/accounts/login/"} <= templates


@pytest.fixture
def ids_apart(db):
    """Before the cast exists: its rows get ids no row of another table has."""
    spread_ids()


@pytest.fixture
def world(ids_apart, mfa_admin, settings, tmp_path) -> World:
    """Tenant A with a named row of every kind; tenant B's admin with an API key."""
    settings.MEDIA_ROOT = str(tmp_path)
    return build_world(mfa_admin)


@pytest.fixture
def a_ids(world) -> list[int]:
    """Ids that name a row of every kind of tenant A (``Sight.one_id_of_every_kind``), so
    every detail route meets real rows, and the newest event's."""
    cast = world.cast
    with tenant_scope(cast.acme):
        latest_event = Event.objects.latest("pk").pk
    a_ids = {*Sight(cast.acme, cast.contoso).one_id_of_every_kind(world.rows.values()),
             latest_event}
    with tenant_scope(cast.globex):
        # An id that is also one of B's own rows (of any table) would hit B's row legitimately.
        b_ids = {pk for model in apps.get_models() if issubclass(model, TenantModel)
                 for pk in model.objects.values_list("pk", flat=True)}
    return sorted(a_ids - b_ids)


def _body(response) -> str:
    raw = (b"".join(response.streaming_content) if response.streaming
           else response.content)
    return raw.decode(errors="replace")


def _assert_no_markers(response, where, markers=MARKERS):
    body = _body(response)
    leaked = [marker for marker in markers if marker in body]
    assert not leaked, f"{where} leaked {leaked}"


def _same_as_anonymous(outsider, anonymous, where):
    assert outsider.status_code == anonymous.status_code, where
    if anonymous.status_code in (301, 302):
        assert outsider["Location"] == anonymous["Location"], where


def _carries_no_ids_of_ours(route) -> bool:
    """allauth's own token routes and Django's language switch carry no ids of ours."""
    return not route.is_api and route.template.startswith(("/accounts/", "/i18n/"))


# The audit trail repeats what the services record: a marker seen only there would say
# nothing of the pages of the row itself.
AUDIT_TRAIL = {"audit_log", "event-list"}


def test_every_marker_shows_where_its_row_is_listed_or_detailed(world):
    """A marker that no page shows would prove nothing: each one appears on a list of the
    tenant's people (a partner's or the manager's own API keys are theirs alone), or on a
    detail page for the tenant admin, filled with the ids of the rows."""
    cast = world.cast
    admin = tenant_client(cast.acme, cast.admin.user)
    routes = [route for route in ROUTES
              if route.name not in AUDIT_TRAIL and not _carries_no_ids_of_ours(route)]
    lists = [route.template for route in routes if not route.params]
    missing = set(MARKERS)

    def look(client, paths):
        nonlocal missing
        for path in paths:
            if not missing:
                return
            body = _body(client.get(path))
            missing = {marker for marker in missing if marker not in body}

    for member in (cast.admin, cast.manager, cast.partner_admin, cast.partner_user):
        look(tenant_client(cast.acme, member.user), lists)
    # The ids of the rows whose markers are still missing first: their details show them.
    ids = dict.fromkeys([world.rows[MARKERS[marker]].pk for marker in sorted(missing)]
                        + sorted(row.pk for row in world.rows.values()))
    look(admin, [path for pk in ids for route in routes if route.params
                 for path in route.fill(pk)])
    assert not missing, f"no page shows {sorted(missing)}"


@pytest.mark.parametrize("method", ["get", "post"])
def test_outsider_on_tenant_a_host_is_a_stranger(world, a_ids, method):
    cast, b_key = world.cast, world.b_key
    before = snapshot(cast.acme)
    signed_in_b = tenant_client(cast.acme, cast.other_admin.user)
    anonymous = tenant_client(cast.acme)
    with_key = tenant_client(cast.acme)
    # On A's host an outsider is anonymous, whatever the id: two ids per route suffice.
    for route in ROUTES:
        for path in ({path for a_id in a_ids[:2] for path in route.fill(a_id)}
                     if route.params else {route.template}):
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
    assert snapshot(cast.acme) == before


@pytest.mark.parametrize("method", ["get", "post"])
def test_outsider_on_own_host_gets_404_for_every_id_of_tenant_a(world, a_ids, method):
    cast, b_key = world.cast, world.b_key
    before = snapshot(cast.acme)
    session = tenant_client(cast.globex, cast.other_admin.user)
    keyed = tenant_client(cast.globex)
    for route in PARAM_ROUTES:
        if _carries_no_ids_of_ours(route):
            continue
        for path in [path for a_id in a_ids for path in route.fill(a_id)]:
            callers = [(session, {})]
            if route.is_api:
                callers.append((keyed, {"HTTP_AUTHORIZATION": f"Bearer {b_key}"}))
            for client, extra in callers:
                response = getattr(client, method)(path, **extra)
                where = f"{method.upper()} {path}"
                _assert_no_markers(response, where)
                assert response.status_code in (404, 405), f"{where}: {response.status_code}"
    assert snapshot(cast.acme) == before


def test_lists_on_own_host_show_no_row_of_tenant_a(world):
    cast, b_key = world.cast, world.b_key
    session = tenant_client(cast.globex, cast.other_admin.user)
    keyed = tenant_client(cast.globex)
    for route in ROUTES:
        if route.params:
            continue
        _assert_no_markers(session.get(route.template), f"GET {route.template}")
        if route.is_api:
            response = keyed.get(route.template, HTTP_AUTHORIZATION=f"Bearer {b_key}")
            _assert_no_markers(response, f"GET {route.template} (key)")


# --- a partner organisation of tenant A against everything not its own ---------------------

NOT_ITS_OWN = (FOREIGN, VENDOR)
# Contoso's partner user calls the API with its key, Contoso's partner admin with its
# session: both ways in are probed.
CONTOSO_PEOPLE = ["partner_user", "contoso_admin"]
# The caller's own key notes when it was last used; that is the only write a probe may make.
KEY_USE = frozenset({("prm.ApiKey", "last_used_at")})


@dataclass
class PartnerView:
    """Tenant A as Contoso is meant to see it. Each list of ids names a row of every kind
    (``Sight.one_id_of_every_kind``) among some of the world's named rows:"""

    ids: list[int]        # those that are not Contoso's to see
    markers: list[str]    # the markers of those (the vendor's people's names excepted)
    visible: list[int]    # those Contoso may see: the program's and its own
    parents: list[int]    # Contoso's own that other own rows hang under (its deal...)


@pytest.fixture
def contoso_view(world) -> PartnerView:
    """Read from the data (``world.Sight``), so new rows and routes are covered."""
    cast, rows = world.cast, world.rows
    sight = Sight(cast.acme, cast.contoso)
    hidden = {name for name, row in rows.items() if sight(row) in NOT_ITS_OWN}
    ids = {rows[name].pk for name in hidden}
    # The world creates the rows Contoso may see before the others, from aligned ids: so
    # none of these ids is the id of a row Contoso may see, in any table, and a probe
    # answering anything but 404 is a leak. (No route takes an event's id.)
    visible = sight.ids(SHARED, OWN, exclude=("prm.Event",))
    assert not ids & visible, f"ids of rows Contoso may see: {sorted(ids & visible)}"
    own = [row for row in rows.values() if sight(row) == OWN]
    own_keys = {(row._meta.label, row.pk) for row in own}
    parents = [sight.index[key] for key in {
        (field.related_model._meta.label, getattr(row, field.attname))
        for row in own for field in row._meta.concrete_fields if field.many_to_one}
        if key in own_keys]
    markers = [marker for marker, name in MARKERS.items()
               if name in hidden and not named_to_every_partner(rows[name])]
    return PartnerView(
        sight.one_id_of_every_kind(rows[name] for name in hidden), markers,
        sight.one_id_of_every_kind(row for name, row in rows.items() if name not in hidden),
        sight.one_id_of_every_kind(parents))


def _contoso_caller(world, who):
    """(client, extra headers) for a route, as one of Contoso's people."""
    cast = world.cast
    member = cast.partner_user if who == "partner_user" else world.rows[who]
    session = tenant_client(cast.acme, member.user)
    keyed = tenant_client(cast.acme)
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {world.own_key}"}

    def caller(route):
        return (keyed, bearer) if route.is_api and who == "partner_user" else (session, {})

    return caller


def _fills(route, ids, parents) -> set[str]:
    """The route with every id in every place; with more than one place, also one id in
    one place and a parent of Contoso's own in the others (their deal, our step)."""
    paths = {path for pk in ids for path in route.fill(pk)}
    if len(route.id_params) > 1:
        paths |= {path for pk in ids for parent in parents for place in route.id_params
                  for path in route.fill(parent, **{place: pk})}
    return paths


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("who", CONTOSO_PEOPLE)
def test_partner_gets_404_for_every_row_not_its_own(world, contoso_view, who, method):
    cast = world.cast
    caller = _contoso_caller(world, who)
    before = snapshot(cast.acme, ignore=KEY_USE)
    for route in PARAM_ROUTES:
        if _carries_no_ids_of_ours(route):
            continue
        client, extra = caller(route)
        for path in sorted(_fills(route, contoso_view.ids, contoso_view.parents)):
            response = getattr(client, method)(path, **extra)
            where = f"{who}: {method.upper()} {path}"
            _assert_no_markers(response, where, contoso_view.markers)
            assert response.status_code in (404, 405), f"{where}: {response.status_code}"
    assert snapshot(cast.acme, ignore=KEY_USE) == before


@pytest.mark.parametrize("who", CONTOSO_PEOPLE)
def test_partner_lists_and_pages_show_no_row_not_its_own(world, contoso_view, who):
    """Every list, and every page of a row Contoso may see (a published playbook, its own
    deal and its timeline...), leaves out the rows that are not Contoso's to see."""
    caller = _contoso_caller(world, who)
    seen = []
    for route in ROUTES:
        if _carries_no_ids_of_ours(route) and route.params:
            continue
        client, extra = caller(route)
        for path in sorted({path for pk in contoso_view.visible for path in route.fill(pk)}
                           if route.params
                           else {route.template}):
            response = client.get(path, **extra)
            _assert_no_markers(response, f"{who}: GET {path}", contoso_view.markers)
            seen.append(_body(response))
    # The pages are really the partner's: its own deal is on them.
    own_deal = next(marker for marker, name in MARKERS.items() if name == "own_deal")
    assert any(own_deal in body for body in seen)
