"""Reads of the platform core, scoped to the current tenant."""

from __future__ import annotations

from datetime import date, datetime, time

from django.db.models import QuerySet
from django.utils import timezone

from prm.models import ApiKey, Event, Invitation, Membership
from prm.tenancy import require_tenant


def membership_for_user(*, user) -> Membership | None:
    """The user's active membership of the current tenant, if any."""
    cached = getattr(user, "prm_membership", None)
    if cached is not None and cached.tenant_id == require_tenant().pk:
        return cached
    return Membership.objects.filter(user_id=user.pk, is_active=True).first()


def membership_list() -> QuerySet[Membership]:
    return Membership.objects.select_related("user", "partner").order_by("user__email")


def invitation_list_pending() -> QuerySet[Invitation]:
    return Invitation.objects.filter(status=Invitation.Status.PENDING).select_related(
        "invited_by", "partner"
    ).order_by("-created_at")


def api_key_list(*, membership: Membership) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(membership=membership).order_by("-created_at")


def event_list(
    *,
    actor_id: int | None = None,
    verb: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[Event]:
    """The audit trail, newest first, filtered by actor, verb (prefix) and date range."""
    events = Event.objects.select_related("actor").order_by("-created_at", "-pk")
    if actor_id:
        events = events.filter(actor_id=actor_id)
    if verb:
        events = events.filter(verb__startswith=verb)
    zone = timezone.get_current_timezone()
    if date_from:
        events = events.filter(created_at__gte=datetime.combine(date_from, time.min, zone))
    if date_to:
        events = events.filter(created_at__lte=datetime.combine(date_to, time.max, zone))
    return events


def event_verbs() -> list[str]:
    return list(Event.objects.order_by("verb").values_list("verb", flat=True).distinct())
