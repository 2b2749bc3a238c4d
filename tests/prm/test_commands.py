"""The operators' management commands: create_tenant, create_user, create_api_key, seed_demo."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from prm.management.commands.seed_demo import DEMO, DEMO_PASSWORD
from prm.models import Event, Membership, Role, Tenant, User
from prm.tenancy import tenant_scope
from tests.factories import PartnerFactory, TenantFactory

ANN = "ann@acme.test"
ANN_PASSWORD = "ann-password-2026-x"


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def signs_in(host: str, email: str, password: str) -> bool:
    """POST allauth's sign-in form on ``host``; True when the session now holds the user."""
    client = Client(HTTP_HOST=host)
    response = client.post("/accounts/login/", {"login": email, "password": password})
    user = User.objects.get(email=email)
    return (
        response.status_code == 302
        and not response["Location"].startswith("/accounts/login/")
        and client.session.get("_auth_user_id") == str(user.pk)
    )


# --- create_tenant -----------------------------------------------------------------

def test_create_tenant_creates_it(db):
    output = run("create_tenant", "--slug", "acme", "--name", "Acme Corp")

    tenant = Tenant.objects.get(slug="acme")
    assert tenant.name == "Acme Corp"
    assert tenant.is_active
    assert f"Created tenant acme (id {tenant.pk})" in output


@pytest.mark.parametrize(
    ("slug", "complaint"),
    [
        ("Not A Slug", "slug: Enter a valid"),
        ("acme_corp", "lower-case letters, digits and dashes"),  # a slug, not a host label
        ("-acme", "lower-case letters, digits and dashes"),
    ],
)
def test_create_tenant_refuses_a_slug_that_is_no_host_label(db, slug, complaint):
    with pytest.raises(CommandError, match=complaint):
        run("create_tenant", f"--slug={slug}", "--name", "Bad")

    assert not Tenant.objects.exists()


def test_create_tenant_refuses_a_duplicate_slug(db):
    TenantFactory(slug="acme", name="Acme Corp")

    with pytest.raises(CommandError, match=r"slug: .*already exists"):
        run("create_tenant", "--slug", "ACME", "--name", "Another Acme")

    assert list(Tenant.objects.values_list("name", flat=True)) == ["Acme Corp"]


# --- create_user -------------------------------------------------------------------

def test_create_user_creates_person_membership_and_event(db):
    acme = TenantFactory(slug="acme")

    output = run("create_user", "--tenant", "acme", "--email", ANN, "--role",
                 "tenant_admin", "--password", ANN_PASSWORD, "--name", "Ann Example")

    user = User.objects.get(email=ANN)
    assert user.full_name == "Ann Example"
    assert user.check_password(ANN_PASSWORD)
    with tenant_scope(acme):
        membership = Membership.objects.get(user=user)
        events = list(Event.objects.filter(verb="membership.created"))
    assert membership.role == Role.TENANT_ADMIN
    assert membership.is_active
    assert [e.subject_id for e in events] == [str(membership.pk)]
    assert events[0].data["email"] == ANN
    assert events[0].data["role"] == "tenant_admin"
    assert f"{ANN} is tenant_admin of acme." in output


def test_create_user_again_changes_the_role_without_a_second_membership(db):
    acme = TenantFactory(slug="acme")
    run("create_user", "--tenant", "acme", "--email", ANN, "--role", "channel_manager")

    run("create_user", "--tenant", "acme", "--email", ANN, "--role", "tenant_admin")

    with tenant_scope(acme):
        memberships = list(Membership.objects.filter(user__email=ANN))
        role_changes = list(Event.objects.filter(verb="membership.role_changed"))
    assert [m.role for m in memberships] == [Role.TENANT_ADMIN]
    assert [(e.data["from"], e.data["to"]) for e in role_changes] == [
        ("channel_manager", "tenant_admin")
    ]
    assert User.objects.filter(email=ANN).count() == 1


def test_create_user_will_not_demote_the_last_tenant_admin(db):
    acme = TenantFactory(slug="acme")
    run("create_user", "--tenant", "acme", "--email", ANN, "--role", "tenant_admin")

    with pytest.raises(CommandError, match="at least one active tenant admin"):
        run("create_user", "--tenant", "acme", "--email", ANN, "--role", "channel_manager")

    with tenant_scope(acme):
        assert Membership.objects.get(user__email=ANN).role == Role.TENANT_ADMIN


def test_create_user_puts_a_partner_role_at_its_partner(db):
    acme = TenantFactory(slug="acme")
    northwind = PartnerFactory(tenant=acme, name="Northwind", domain="northwind.test")

    run("create_user", "--tenant", "acme", "--email", "pat@northwind.test",
        "--role", "partner_admin", "--partner", "northwind.test")

    with tenant_scope(acme):
        membership = Membership.objects.get(user__email="pat@northwind.test")
    assert (membership.role, membership.partner_id) == (Role.PARTNER_ADMIN, northwind.pk)


def test_create_user_refuses_a_partner_role_without_a_partner(db):
    TenantFactory(slug="acme")

    with pytest.raises(CommandError, match="Partner roles belong to a partner"):
        run("create_user", "--tenant", "acme", "--email", "pat@northwind.test",
            "--role", "partner_user")

    assert not User.objects.filter(email="pat@northwind.test").exists()


def test_create_user_does_not_find_another_tenants_partner(db):
    TenantFactory(slug="acme")
    globex = TenantFactory(slug="globex")
    initech = PartnerFactory(tenant=globex, name="Initech", domain="initech.test")

    for reference in ("initech.test", str(initech.pk)):
        with pytest.raises(CommandError, match="No partner"):
            run("create_user", "--tenant", "acme", "--email", "ida@initech.test",
                "--role", "partner_user", "--partner", reference)

    assert not User.objects.filter(email="ida@initech.test").exists()


def test_create_user_for_an_unknown_tenant_fails_and_creates_nobody(db):
    with pytest.raises(CommandError, match="No tenant with slug 'nosuch'"):
        run("create_user", "--tenant", "nosuch", "--email", ANN, "--role", "channel_manager")

    assert not User.objects.filter(email=ANN).exists()


# --- create_api_key ----------------------------------------------------------------

def test_create_api_key_prints_a_working_key_bound_to_its_tenant(cast):
    output = run("create_api_key", "--tenant", "acme", "--email", "max@acme.test")

    key = output.strip().splitlines()[-1]
    assert re.fullmatch(r"prm_[0-9a-f]{8}_[A-Za-z0-9_-]{40,}", key), output
    acme = Client(HTTP_HOST="acme.localhost").get(
        "/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert acme.status_code == 200, acme.content
    assert acme.json()["role"] == "channel_manager"
    assert acme.json()["user"]["email"] == "max@acme.test"
    assert acme.json()["authenticated_by"] == "api_key"
    globex = Client(HTTP_HOST="globex.localhost").get(
        "/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert globex.status_code == 401


def test_create_api_key_for_a_non_member_fails(cast):
    with pytest.raises(CommandError, match="not an active member of globex"):
        run("create_api_key", "--tenant", "globex", "--email", "max@acme.test")


# --- seed_demo ---------------------------------------------------------------------

def _counts() -> tuple[int, dict[str, int]]:
    per_tenant = {}
    for tenant in Tenant.objects.order_by("slug"):
        with tenant_scope(tenant):
            per_tenant[tenant.slug] = Membership.objects.count()
    return User.objects.count(), per_tenant


def test_seed_demo_is_idempotent_and_lists_every_person(db, settings_port):
    first = run("seed_demo")
    counts_after_first = _counts()

    second = run("seed_demo")

    assert _counts() == counts_after_first
    people = {email for members in DEMO.values() for email, *_ in members}
    assert counts_after_first == (
        len(people), {slug: len(members) for (slug, _n, _l), members in DEMO.items()}
    )
    for output in (first, second):
        assert "Acme Corp: http://acme.localhost:8000/" in output
        assert "Globex GmbH: http://globex.localhost:8000/" in output
        for members in DEMO.values():
            for email, _name, role, *_ in members:
                line = rf"^\s+{role}\s+{re.escape(email)}\s+{re.escape(DEMO_PASSWORD)}$"
                assert re.search(line, output, re.MULTILINE), (role, email)


def test_every_seeded_person_signs_in_on_their_tenants_host_and_only_there(db):
    run("seed_demo")

    for (slug, _name, _locale), members in DEMO.items():
        for email, *_ in members:
            assert signs_in(f"{slug}.localhost", email, DEMO_PASSWORD), (slug, email)
    assert not signs_in("globex.localhost", "manager@acme.test", DEMO_PASSWORD)


def test_seed_demo_resets_a_changed_demo_password(db):
    run("seed_demo")
    user = User.objects.get(email="manager@acme.test")
    user.set_password("something-else-entirely")
    user.save(update_fields=["password"])

    run("seed_demo")

    user.refresh_from_db()
    assert user.check_password(DEMO_PASSWORD)


@pytest.fixture
def settings_port(settings):
    """The port `make run` serves on (prm.devrun sets PORT=8000 with DEBUG on)."""
    settings.PRM_PORT = "8000"
    assert settings.PRM_SCHEME == "http"
    return settings

