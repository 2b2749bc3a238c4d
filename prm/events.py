"""The event log: every service appends here, in its own transaction.

``record_event`` writes the row and, once the transaction commits, asks a Celery worker
to deliver it (notifications today, webhooks later). The periodic ``outbox_sweep`` task
delivers whatever a lost broker message left behind; delivery claims each event with a
row lock and marks it, so nothing is lost and nothing is sent twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from prm.models import Event
from prm.tenancy import require_tenant

log = logging.getLogger(__name__)

Handler = Callable[[Event], None]
_handlers: dict[str, list[Handler]] = {}


def on_event(verb: str) -> Callable[[Handler], Handler]:
    """Register a delivery handler for ``verb`` (``*`` for all). Handlers must be idempotent
    per event only in the sense that the outbox calls them once per delivered event."""

    def register(handler: Handler) -> Handler:
        _handlers.setdefault(verb, []).append(handler)
        return handler

    return register


def _subject_parts(subject: models.Model | tuple[str, Any]) -> tuple[str, str]:
    if isinstance(subject, models.Model):
        return subject._meta.label_lower, str(subject.pk)
    kind, pk = subject
    return kind, str(pk)


def _new_event(*, actor, verb: str, subject, data: dict | None, now) -> Event:
    """An unsaved event; already delivered when no handler waits for its verb."""
    subject_type, subject_id = _subject_parts(subject)
    to_deliver = bool(_handlers.get(verb) or _handlers.get("*"))
    return Event(actor=actor if getattr(actor, "is_authenticated", False) else None,
                 verb=verb, subject_type=subject_type, subject_id=subject_id,
                 data=data or {}, created_at=now, delivered_at=None if to_deliver else now)


def _deliver_after_commit(events: list[Event]) -> None:
    pending = [event.pk for event in events if event.delivered_at is None]
    if pending:
        from prm.tasks import deliver_events

        tenant = require_tenant()
        transaction.on_commit(
            lambda: deliver_events.delay(tenant_id=tenant.pk, event_ids=pending))


def record_event(
    *,
    actor,
    verb: str,
    subject: models.Model | tuple[str, Any],
    data: dict[str, Any] | None = None,
) -> Event:
    """Append one event in the caller's transaction; deliver after commit."""
    require_tenant()
    event = _new_event(actor=actor, verb=verb, subject=subject, data=data, now=timezone.now())
    event.save(force_insert=True)
    _deliver_after_commit([event])
    return event


def record_events(*, actor, events: list[tuple[str, models.Model | tuple[str, Any], dict]],
                  batch_size: int = 2000) -> int:
    """Append many events at once (an import's rows), as ``record_event`` would one by one:
    ``events`` are (verb, subject, data). One delivery task takes all that have handlers."""
    require_tenant()
    now = timezone.now()
    created = Event.objects.bulk_create(
        [_new_event(actor=actor, verb=verb, subject=subject, data=data, now=now)
         for verb, subject, data in events], batch_size=batch_size)
    _deliver_after_commit(created)
    return len(created)


def deliver_pending(*, event_ids: list[int] | None = None, older_than=None) -> int:
    """Deliver undelivered events of the current tenant; returns how many were delivered.

    Each event is claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` so two workers never
    deliver the same one; a handler failure leaves it for the next sweep.
    """
    delivered = 0
    pending = Event.objects.filter(delivered_at__isnull=True)
    if event_ids is not None:
        pending = pending.filter(pk__in=event_ids)
    if older_than is not None:
        pending = pending.filter(created_at__lte=older_than)
    for event_id in pending.order_by("pk").values_list("pk", flat=True)[:500]:
        with transaction.atomic():
            event = (
                Event.objects.select_for_update(skip_locked=True)
                .filter(pk=event_id, delivered_at__isnull=True)
                .first()
            )
            if event is None:
                continue
            try:
                with transaction.atomic():
                    for handler in [*_handlers.get(event.verb, []), *_handlers.get("*", [])]:
                        handler(event)
            except Exception:
                log.exception("delivering event %s failed", event.pk)
                Event.objects.filter(pk=event.pk).update(
                    delivery_attempts=models.F("delivery_attempts") + 1
                )
                continue
            Event.objects.filter(pk=event.pk).update(
                delivered_at=timezone.now(),
                delivery_attempts=models.F("delivery_attempts") + 1,
            )
            delivered += 1
    return delivered
