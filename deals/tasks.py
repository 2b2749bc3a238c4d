"""Celery tasks of the deals app: thin, idempotent, tenant-scoped by explicit loop."""

from __future__ import annotations

from celery import shared_task

from prm.models import Tenant
from prm.tenancy import tenant_scope


@shared_task(name="deals.tasks.expire_protection")
def expire_protection() -> int:
    """Expire approved registrations whose protection has run out, tenant by tenant.

    Safe to run twice: ``deal_expire_due`` claims each deal with a row lock and re-checks
    its status, so a deal expires once however many runs overlap.
    """
    from deals.services import deal_expire_due

    total = 0
    for tenant in Tenant.objects.filter(is_active=True).order_by("pk"):
        with tenant_scope(tenant):
            total += deal_expire_due()
    return total
