"""Demo data: tenants acme and globex with a person of every role. Idempotent.

Later issues add their demo data here (a function per app), so the demo always shows
every feature.
"""

from django.conf import settings
from django.core.management.base import BaseCommand

from deals import demo as deals_demo
from partners import demo as partners_demo
from playbooks import demo_glossary, demo_playbooks
from prm.models import Role, Tenant
from prm.notifications import tenant_url
from prm.services import membership_create, tenant_create
from prm.tenancy import tenant_scope

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - printed for the demo on purpose

# (e-mail, name, role, partner domain for partner roles)
DEMO = {
    ("acme", "Acme Corp", "en"): [
        ("admin@acme.test", "Ada Admin", Role.TENANT_ADMIN, None),
        ("manager@acme.test", "Max Manager", Role.CHANNEL_MANAGER, None),
        ("padmin@northwind.test", "Pat Partner-Admin", Role.PARTNER_ADMIN, "northwind.test"),
        ("puser@northwind.test", "Paul Partner", Role.PARTNER_USER, "northwind.test"),
    ],
    ("globex", "Globex GmbH", "de"): [
        ("admin@globex.test", "Greta Admin", Role.TENANT_ADMIN, None),
        ("manager@globex.test", "Gustav Manager", Role.CHANNEL_MANAGER, None),
        ("padmin@initech.test", "Ida Partner-Admin", Role.PARTNER_ADMIN, "initech.test"),
        ("puser@initech.test", "Ivo Partner", Role.PARTNER_USER, "initech.test"),
        # One person in two programs: a reseller working with both vendors.
        ("puser@northwind.test", "Paul Partner", Role.PARTNER_USER, "northwind.test"),
    ],
}


class Command(BaseCommand):
    help = "Create (or refresh) the demo tenants and people. Safe to run again."

    def handle(self, *args, **options):
        for (slug, name, locale), people in DEMO.items():
            tenant = Tenant.objects.filter(slug=slug).first() or tenant_create(
                slug=slug, name=name, locale=locale)
            with tenant_scope(tenant):
                vendor = [membership_create(actor=None, email=email, role=role,
                                            password=DEMO_PASSWORD, full_name=full_name)
                          for email, full_name, role, domain in people if domain is None]
                partners_demo.seed(tenant_slug=slug,
                                   managers=[m for m in vendor
                                             if m.role == Role.CHANNEL_MANAGER])
                for email, full_name, role, domain in people:
                    if domain is not None:
                        partner = partners_demo.demo_partner(
                            domain.split(".")[0].title(), domain)
                        membership_create(actor=None, email=email, role=role, partner=partner,
                                          password=DEMO_PASSWORD, full_name=full_name)
                deals_demo.seed(tenant_slug=slug, vendor=vendor)
            demo_glossary.seed(tenant_slug=slug)
            demo_playbooks.seed(tenant_slug=slug)
            self.stdout.write(f"\n{name}: {tenant_url(tenant, '/')}")
            for email, _full_name, role, _domain in people:
                self.stdout.write(f"  {role:<16} {email:<28} {DEMO_PASSWORD}")
        self.stdout.write(
            "\nTenant admins are asked to set up two-factor authentication (TOTP) at first "
            "sign-in.\nSign-in codes and invitations are e-mailed"
            + (" to this console." if settings.DEBUG else ".")
        )
