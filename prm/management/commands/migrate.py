"""``migrate`` as the tables' owner (DATABASE_OWNER_URL), then grant the app role."""

from django.core.management.commands.migrate import Command as MigrateCommand
from django.db import connections

from prm.db_roles import as_owner, grant_app_role


class Command(MigrateCommand):
    def handle(self, *args, **options):
        alias = options.get("database") or "default"
        with as_owner(alias):
            result = super().handle(*args, **options)
            grant_app_role(connections[alias])
        return result
