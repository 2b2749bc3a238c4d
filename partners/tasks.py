"""Celery tasks of the partners app: thin, safe to run twice, tenant-scoped by explicit id.

Each takes ids, enters the tenant's scope and calls a service that re-reads the import
and claims it by its status (a locked row in the expected state), so a repeated or
concurrent delivery finds nothing left to do.
"""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from partners import imports
from prm.models import Tenant
from prm.tenancy import tenant_scope


def _tenant(tenant_id: int) -> Tenant | None:
    return Tenant.objects.filter(pk=tenant_id, is_active=True).first()


@shared_task(name="partners.tasks.partner_import_check")
def partner_import_check(*, tenant_id: int, import_id: int) -> str | None:
    """The dry run of a large import; returns the import's status, or None if done before."""
    tenant = _tenant(tenant_id)
    if tenant is None:
        return None
    with tenant_scope(tenant):
        partner_import = imports.partner_import_check(import_id=import_id)
        return partner_import.status if partner_import else None


@shared_task(name="partners.tasks.partner_import_apply")
def partner_import_apply(*, tenant_id: int, import_id: int,
                         actor_id: int | None = None) -> str | None:
    """Apply a claimed (APPLYING) import all-or-nothing; None if there was nothing to do."""
    tenant = _tenant(tenant_id)
    if tenant is None:
        return None
    with tenant_scope(tenant):
        partner_import = imports.partner_import_apply(
            import_id=import_id, actor=imports.user_or_none(actor_id))
        return partner_import.status if partner_import else None


@shared_task(name="partners.tasks.partner_import_sweep")
def partner_import_sweep(*, older_than_minutes: int = 5) -> int:
    """Send the task again for imports still CHECKING or APPLYING after a while, in case
    a broker message was lost. Safe: a run that finds the import done, or locked by the
    run still working on it, does nothing. Returns how many tasks were sent."""
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    sent = 0
    for tenant in Tenant.objects.filter(is_active=True).order_by("pk"):
        with tenant_scope(tenant):
            unfinished = imports.partner_imports_unfinished(created_before=cutoff)
        for import_id, status in unfinished:   # sent after the scope's transaction ended
            task = partner_import_check if status == imports.S.CHECKING else partner_import_apply
            task.delay(tenant_id=tenant.pk, import_id=import_id)
            sent += 1
    return sent
