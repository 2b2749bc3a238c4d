"""Reads of the partners app, scoped to the actor (partner people see their own company)."""

from __future__ import annotations

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Lower

from partners.models import Partner, PartnerApplication, PartnerStatusChange, Tier
from prm.models import Membership

SORTS = {
    "name": (Lower("name"), "pk"),
    "-name": (Lower("name").desc(), "-pk"),
    "created": ("created_at", "pk"),
    "-created": ("-created_at", "-pk"),
    # Partners without a tier come last both ways (PostgreSQL puts NULLs first when
    # descending).
    "tier": (F("tier__rank").asc(nulls_last=True), Lower("name")),
    "-tier": (F("tier__rank").desc(nulls_last=True), Lower("name")),
    "status": ("status", Lower("name")),
    "country": ("country", Lower("name")),
}


def partner_visible(*, member: Membership) -> QuerySet[Partner]:
    """Every partner for the vendor's people; only their own company for partner people."""
    partners = Partner.objects.all()
    if member.is_partner:
        partners = partners.filter(pk=member.partner_id)
    return partners


def partner_directory(*, member: Membership, q: str = "", country: str = "", region: str = "",
                      partner_type: str = "", tier: int | None = None, status: str = "",
                      manager: int | None = None, specialisation: int | None = None,
                      sort: str = "name") -> QuerySet[Partner]:
    """The filtered, sorted directory; related rows joined so a page is a fixed query count."""
    partners = partner_visible(member=member).select_related("tier", "manager__user")
    if q:
        partners = partners.filter(Q(name__icontains=q) | Q(domain__icontains=q.lower()))
    if country:
        partners = partners.filter(country=country)
    if region:
        partners = partners.filter(region=region)
    if partner_type:
        partners = partners.filter(partner_type=partner_type)
    if tier:
        partners = partners.filter(tier_id=tier)
    if status:
        partners = partners.filter(status=status)
    if manager:
        partners = partners.filter(manager_id=manager)
    if specialisation:
        partners = partners.filter(specialisations=specialisation)
    return partners.order_by(*SORTS.get(sort, SORTS["name"]))


def partner_people(*, partner: Partner) -> QuerySet[Membership]:
    return Membership.objects.filter(partner=partner).select_related("user").order_by(
        "-is_active", "user__email")


def partner_history(*, partner: Partner) -> QuerySet[PartnerStatusChange]:
    return PartnerStatusChange.objects.filter(partner=partner).select_related("actor").order_by(
        "-created_at", "-pk")


def tier_list() -> QuerySet[Tier]:
    return Tier.objects.annotate(partner_count=Count("partners")).order_by("rank")


def application_queue(*, status: str = PartnerApplication.Status.PENDING):
    return PartnerApplication.objects.filter(status=status).select_related(
        "existing_partner", "reviewed_by").order_by("created_at", "pk")


def channel_managers() -> QuerySet[Membership]:
    return Membership.objects.filter(
        role__in=["channel_manager", "tenant_admin"], is_active=True
    ).select_related("user").order_by("user__email")


def partner_invitations_pending(*, partner: Partner):
    from prm.models import Invitation

    return Invitation.objects.filter(partner=partner, status=Invitation.Status.PENDING
                                     ).select_related("invited_by").order_by("-created_at")
