from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from prm.services import tenant_create


class Command(BaseCommand):
    help = "Create a tenant (a vendor's partner program)."

    def add_arguments(self, parser):
        parser.add_argument("--slug", required=True, help="Subdomain label, e.g. acme")
        parser.add_argument("--name", required=True)
        parser.add_argument("--currency", default="EUR")
        parser.add_argument("--locale", default="en")
        parser.add_argument("--time-zone", default="Europe/Berlin")
        parser.add_argument("--protection-days", type=int, default=90)

    def handle(self, *args, **options):
        try:
            tenant = tenant_create(
                slug=options["slug"], name=options["name"],
                default_currency=options["currency"], locale=options["locale"],
                time_zone=options["time_zone"],
                deal_protection_days=options["protection_days"],
            )
        except ValidationError as error:
            raise CommandError("; ".join(
                f"{field}: {' '.join(msgs)}" for field, msgs in error.message_dict.items()
            )) from None
        self.stdout.write(f"Created tenant {tenant.slug} (id {tenant.pk}).")
