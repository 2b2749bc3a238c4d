from django.core.management.base import BaseCommand, CommandError

from prm.errors import DomainError
from prm.models import Role
from prm.services import membership_create
from prm.tenancy import tenant_scope

from ._common import get_tenant


class Command(BaseCommand):
    help = "Create a user (or reuse one by e-mail) and make them a member of a tenant."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="Tenant slug")
        parser.add_argument("--email", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--password", help="Omit to sign in by e-mailed code only")
        parser.add_argument("--name", default="", help="Full name")

    def handle(self, *args, **options):
        tenant = get_tenant(options["tenant"])
        try:
            with tenant_scope(tenant):
                membership = membership_create(
                    actor=None, email=options["email"], role=options["role"],
                    password=options["password"], full_name=options["name"],
                )
        except DomainError as error:
            raise CommandError(error.message) from None
        self.stdout.write(
            f"{membership.user.email} is {membership.role} of {tenant.slug}."
        )
