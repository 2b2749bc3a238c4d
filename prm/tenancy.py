"""The tenant scope: one context variable, one transaction-local database setting.

Every tenant-owned model inherits ``TenantModel``. Its default manager filters by the
current tenant and raises ``TenantNotSet`` when there is none, so a forgotten scope is an
error, never a leak. PostgreSQL row-level security (see ``prm.db_ops``) is the second wall:
``tenant_scope`` sets ``app.tenant_id`` with ``set_config(..., true)`` inside a
transaction, so the setting dies with the transaction and a pooled connection never
carries a tenant into the next request or task.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from django.db import connection, models, transaction

if TYPE_CHECKING:
    from prm.models import Tenant

_current_tenant: contextvars.ContextVar[Tenant | None] = contextvars.ContextVar(
    "prm_current_tenant", default=None
)


class TenantNotSet(RuntimeError):
    """A tenant-owned table was queried outside any tenant scope."""


def get_current_tenant() -> Tenant | None:
    return _current_tenant.get()


def require_tenant() -> Tenant:
    tenant = _current_tenant.get()
    if tenant is None:
        raise TenantNotSet(
            "No tenant is set. Run this inside prm.tenancy.tenant_scope(tenant), or use "
            "Model.unscoped for an operator job that truly crosses tenants."
        )
    return tenant


def _set_db_tenant(tenant_id: int | None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('app.tenant_id', %s, true)",
            ["" if tenant_id is None else str(tenant_id)],
        )


@contextmanager
def tenant_scope(tenant: Tenant) -> Iterator[Tenant]:
    """Run the block as ``tenant``: context variable plus a transaction with the setting.

    Nested scopes restore the outer tenant on the way out. When the block raises, the
    transaction (or savepoint) is rolled back, which also reverts the setting.
    """
    token = _current_tenant.set(tenant)
    nested = connection.in_atomic_block
    try:
        with transaction.atomic():
            # Outermost, the setting dies with the transaction; nested, restore the outer.
            outer = _db_tenant_setting() if nested else None
            _set_db_tenant(tenant.pk)
            yield tenant
            if nested and not transaction.get_rollback():
                # (A block marked for rollback reverts the setting with its savepoint.)
                _set_db_tenant(outer)
    finally:
        _current_tenant.reset(token)


def _db_tenant_setting() -> int | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT NULLIF(current_setting('app.tenant_id', true), '')")
        value = cursor.fetchone()[0]
    return int(value) if value else None


class TenantQuerySet(models.QuerySet):
    pass


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):  # type: ignore[misc]
    """Default manager of tenant models: always filtered, raises without a tenant."""

    def get_queryset(self) -> TenantQuerySet:
        tenant = require_tenant()
        return super().get_queryset().filter(tenant_id=tenant.pk)


class UnscopedManager(models.Manager):
    """Spelled ``Model.unscoped`` so a cross-tenant read stands out in review.

    Row-level security still applies: without a tenant set in the database it sees nothing.
    """


def _current_tenant_default() -> int:
    return require_tenant().pk


class TenantModel(models.Model):
    """Abstract base of every tenant-owned table.

    ``tenant`` defaults to the current scope, so services never pass it by hand and a
    row can never be created for another tenant by accident (row-level security's
    WITH CHECK would refuse it anyway).
    """

    tenant = models.ForeignKey(
        "prm.Tenant",
        on_delete=models.CASCADE,
        default=_current_tenant_default,
        editable=False,
        related_name="+",
    )

    objects = TenantManager()
    unscoped = UnscopedManager()

    class Meta:
        abstract = True
        base_manager_name = "unscoped"
        default_manager_name = "objects"
