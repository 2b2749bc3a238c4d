"""Demo data: tenants acme and globex with a person of every role. Idempotent.

Later issues add their demo data here (a function per app), so the demo always shows
every feature.
"""

from django.conf import settings
from django.core.management.base import BaseCommand

from prm.models import Role, Tenant
from prm.notifications import tenant_url
from prm.services import membership_create, tenant_create
from prm.tenancy import tenant_scope

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - printed for the demo on purpose

DEMO = {
    ("acme", "Acme Corp", "en"): [
        ("admin@acme.test", "Ada Admin", Role.TENANT_ADMIN),
        ("manager@acme.test", "Max Manager", Role.CHANNEL_MANAGER),
        ("padmin@northwind.test", "Pat Partner-Admin", Role.PARTNER_ADMIN),
        ("puser@northwind.test", "Paul Partner", Role.PARTNER_USER),
    ],
    ("globex", "Globex GmbH", "de"): [
        ("admin@globex.test", "Greta Admin", Role.TENANT_ADMIN),
        ("manager@globex.test", "Gustav Manager", Role.CHANNEL_MANAGER),
        ("padmin@initech.test", "Ida Partner-Admin", Role.PARTNER_ADMIN),
        ("puser@initech.test", "Ivo Partner", Role.PARTNER_USER),
        # One person in two programs: a reseller working with both vendors.
        ("puser@northwind.test", "Paul Partner", Role.PARTNER_USER),
    ],
}


class Command(BaseCommand):
    help = "Create (or refresh) the demo tenants and people. Safe to run again."

    def handle(self, *args, **options):
        for (slug, name, locale), people in DEMO.items():
            tenant = Tenant.objects.filter(slug=slug).first() or tenant_create(
                slug=slug, name=name, locale=locale)
            with tenant_scope(tenant):
                for email, full_name, role in people:
                    membership_create(actor=None, email=email, role=role,
                                      password=DEMO_PASSWORD, full_name=full_name)
            self.stdout.write(f"\n{name}: {tenant_url(tenant, '/')}")
            for email, _full_name, role in people:
                self.stdout.write(f"  {role:<16} {email:<28} {DEMO_PASSWORD}")
        self.stdout.write(
            "\nTenant admins are asked to set up two-factor authentication (TOTP) at first "
            "sign-in.\nSign-in codes and invitations are e-mailed"
            + (" to this console." if settings.DEBUG else ".")
        )
