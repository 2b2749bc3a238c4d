"""``makemigrations`` that walls in tenant tables by itself.

After Django writes its operations, every migration that creates a tenant model or adds
or alters a relation on one gets a ``prm.db_ops.TenantTable`` operation for it, so row-level
security and the composite foreign keys are never forgotten.
"""

from django.apps import apps
from django.core.management.commands.makemigrations import Command as MakeMigrationsCommand
from django.db.migrations import operations as ops

from prm.db_ops import TenantTable
from prm.tenancy import TenantModel


def _needs_walls(app_label: str, operation) -> str | None:
    if isinstance(operation, ops.CreateModel):
        model_name = operation.name
    elif isinstance(operation, ops.AddField | ops.AlterField):
        if not operation.field.is_relation:
            return None
        model_name = operation.model_name
    else:
        return None
    try:
        model = apps.get_model(app_label, model_name)
    except LookupError:
        return None
    return model_name if issubclass(model, TenantModel) else None


class Command(MakeMigrationsCommand):
    def write_migration_files(self, changes, *args, **kwargs):
        for app_label, migrations in changes.items():
            for migration in migrations:
                walled = {op.model_name.lower() for op in migration.operations
                          if isinstance(op, TenantTable)}
                for operation in list(migration.operations):
                    name = _needs_walls(app_label, operation)
                    if name and name.lower() not in walled:
                        migration.operations.append(TenantTable(name))
                        walled.add(name.lower())
        return super().write_migration_files(changes, *args, **kwargs)
