"""Celery tasks of the platform core: thin, idempotent, tenant-scoped by explicit id."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from prm.models import IdempotencyRecord, Tenant
from prm.tenancy import tenant_scope


def _tenant(tenant_id: int) -> Tenant | None:
    return Tenant.objects.filter(pk=tenant_id, is_active=True).first()


@shared_task(name="prm.tasks.deliver_events")
def deliver_events(*, tenant_id: int, event_ids: list[int]) -> int:
    from prm.events import deliver_pending

    tenant = _tenant(tenant_id)
    if tenant is None:
        return 0
    with tenant_scope(tenant):
        return deliver_pending(event_ids=event_ids)


@shared_task(name="prm.tasks.outbox_sweep")
def outbox_sweep() -> int:
    """Deliver events that a lost broker message left behind (older than a minute)."""
    from prm.events import deliver_pending

    cutoff = timezone.now() - timedelta(minutes=1)
    total = 0
    for tenant in Tenant.objects.filter(is_active=True).order_by("pk"):
        with tenant_scope(tenant):
            total += deliver_pending(older_than=cutoff)
    return total


@shared_task(name="prm.tasks.idempotency_prune")
def idempotency_prune() -> int:
    """Forget idempotency records after a day; a retry window longer than that is a bug."""
    cutoff = timezone.now() - timedelta(days=1)
    total = 0
    for tenant in Tenant.objects.filter(is_active=True).order_by("pk"):
        with tenant_scope(tenant):
            total += IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()[0]
    return total
