from django.core.management.base import BaseCommand, CommandError

from prm.models import Membership
from prm.services import api_key_create
from prm.tenancy import tenant_scope

from ._common import get_tenant


class Command(BaseCommand):
    help = "Create an API key for a member. The key is printed alone on the last line."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="Tenant slug")
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", default="Created by operator")

    def handle(self, *args, **options):
        tenant = get_tenant(options["tenant"])
        with tenant_scope(tenant):
            membership = Membership.objects.select_related("user").filter(
                user__email__iexact=options["email"], is_active=True).first()
            if membership is None:
                raise CommandError(f"{options['email']} is not an active member of {tenant.slug}.")
            key, plaintext = api_key_create(actor=None, membership=membership,
                                            name=options["name"])
        self.stdout.write(f"API key {key.prefix} for {membership.user.email} on {tenant.slug}:")
        self.stdout.write(plaintext)
