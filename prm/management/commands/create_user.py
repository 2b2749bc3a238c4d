from django.core.management.base import BaseCommand, CommandError

from prm.errors import DomainError
from prm.models import Role
from prm.services import membership_create
from prm.tenancy import tenant_scope

from ._common import get_tenant


def _partner(value: str):
    from partners.models import Partner
    from prm.domains import InvalidDomain, normalise_domain

    if value.isdigit():
        partner = Partner.objects.filter(pk=int(value)).first()
    else:
        try:
            partner = Partner.objects.filter(domain=normalise_domain(value)).first()
        except InvalidDomain:
            partner = None
    if partner is None:
        raise CommandError(f"No partner {value!r} in this tenant (give its id or domain).")
    return partner


class Command(BaseCommand):
    help = "Create a user (or reuse one by e-mail) and make them a member of a tenant."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="Tenant slug")
        parser.add_argument("--email", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--password", help="Omit to sign in by e-mailed code only")
        parser.add_argument("--name", default="", help="Full name")
        parser.add_argument("--partner", help="Partner id or domain (for partner roles)")

    def handle(self, *args, **options):
        tenant = get_tenant(options["tenant"])
        try:
            with tenant_scope(tenant):
                partner = _partner(options["partner"]) if options["partner"] else None
                membership = membership_create(
                    actor=None, email=options["email"], role=options["role"], partner=partner,
                    password=options["password"], full_name=options["name"],
                )
        except DomainError as error:
            raise CommandError(error.message) from None
        self.stdout.write(
            f"{membership.user.email} is {membership.role} of {tenant.slug}."
        )
