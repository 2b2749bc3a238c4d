"""The shared cast and the sealed test set-up.

The test database is created and migrated as the owner role; every test then runs as
the application's real role (no superuser, no BYPASSRLS, not the owner), or it would
prove nothing about row-level security.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client

from partners.models import Partner
from prm.db_roles import as_owner
from prm.models import Membership, Role, Tenant, User
from tests.factories import MembershipFactory, PartnerFactory, TenantFactory, UserFactory


@pytest.fixture(scope="session")
def django_db_setup(request, django_test_environment, django_db_blocker, django_db_keepdb,
                    django_db_modify_db_settings):
    from django.test.utils import setup_databases, teardown_databases

    with django_db_blocker.unblock(), as_owner():
        db_cfg = setup_databases(verbosity=0, interactive=False, keepdb=django_db_keepdb)
        with connection.cursor() as cursor:
            # Only for flushing between transactional (live-server) tests. Never granted
            # outside tests: TRUNCATE skips row-level security.
            cursor.execute(
                "GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO "
                + connection.ops.quote_name(django_settings.PRM_APP_DB_ROLE)
            )
    yield
    with django_db_blocker.unblock(), as_owner():
        teardown_databases(db_cfg, verbosity=0, keepdb=django_db_keepdb)


@pytest.fixture(autouse=True)
def _sealed_cache(settings):
    """A fresh cache namespace per test, so rate limits never leak between tests."""
    caches = {alias: dict(conf) for alias, conf in settings.CACHES.items()}
    caches["default"]["KEY_PREFIX"] = f"test-{uuid.uuid4().hex[:12]}"
    settings.CACHES = caches


def host_of(tenant: Tenant) -> str:
    return f"{tenant.slug}.{django_settings.PRM_BASE_DOMAIN}"


def tenant_client(tenant: Tenant, user: User | None = None) -> Client:
    """A test client on ``tenant``'s host, signed in as ``user`` when given."""
    client = Client(HTTP_HOST=host_of(tenant))
    if user is not None:
        client.force_login(user)
    return client


@dataclass
class Cast:
    """Fixed test people across two tenants (acme = A, globex = B)."""

    acme: Tenant
    globex: Tenant
    admin: Membership            # tenant admin of A
    manager: Membership          # channel manager of A
    partner_admin: Membership    # partner admin of A, at Northwind
    partner_user: Membership     # partner user of A, at Contoso (another partner)
    other_admin: Membership      # tenant admin of B
    northwind: Partner
    contoso: Partner

    def client(self, membership: Membership | None = None, tenant: Tenant | None = None):
        tenant = tenant or (membership.tenant if membership else self.acme)
        return tenant_client(tenant, membership.user if membership else None)


def _member(tenant: Tenant, email: str, role: str, name: str,
            partner: Partner | None = None) -> Membership:
    user = UserFactory(email=email, full_name=name)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return MembershipFactory(tenant=tenant, user=user, role=role, partner=partner)


@pytest.fixture
def cast(db) -> Cast:
    acme = TenantFactory(slug="acme", name="Acme Corp")
    globex = TenantFactory(slug="globex", name="Globex GmbH")
    northwind = PartnerFactory(tenant=acme, name="Northwind Traders", domain="northwind.test")
    contoso = PartnerFactory(tenant=acme, name="Contoso Ltd", domain="contoso.test")
    return Cast(
        acme=acme,
        globex=globex,
        admin=_member(acme, "ada@acme.test", Role.TENANT_ADMIN, "Ada Admin"),
        manager=_member(acme, "max@acme.test", Role.CHANNEL_MANAGER, "Max Manager"),
        partner_admin=_member(acme, "pat@northwind.test", Role.PARTNER_ADMIN, "Pat Partner",
                              northwind),
        partner_user=_member(acme, "paul@contoso.test", Role.PARTNER_USER, "Paul Partner",
                             contoso),
        other_admin=_member(globex, "greta@globex.test", Role.TENANT_ADMIN, "Greta Globex"),
        northwind=northwind,
        contoso=contoso,
    )


@pytest.fixture
def mfa_admin(cast):
    """Give the admins of both tenants TOTP, which their role requires."""
    from allauth.mfa.totp.internal.auth import TOTP

    for membership in (cast.admin, cast.other_admin):
        TOTP.activate(membership.user, "JBSWY3DPEHPK3PXP")
    return cast
