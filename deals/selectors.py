"""Reads of the deals app, scoped to the actor: partner people see their own company's."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from deals.models import OPEN_STATUSES, Deal, DealConflict, TimelineEntry
from prm.models import Membership

DEAL_SORTS = {
    "registered": ("registered_at", "pk"),
    "-registered": ("-registered_at", "-pk"),
    "amount": ("reporting_amount", "pk"),
    "-amount": ("-reporting_amount", "-pk"),
    "close": ("expected_close_date", "pk"),
    "-close": ("-expected_close_date", "-pk"),
    "expires": ("protection_expires_at", "pk"),
}


def deal_visible(*, member: Membership) -> QuerySet[Deal]:
    deals = Deal.objects.all()
    if member.is_partner:
        deals = deals.filter(partner_id=member.partner_id)
    return deals


def deal_list(*, member: Membership, q: str = "", partner: int | None = None,
              stage: int | None = None, status: str = "", product: int | None = None,
              country: str = "", close_from=None, close_to=None, amount_min=None,
              amount_max=None, conflicts_only: bool = False,
              sort: str = "-registered") -> QuerySet[Deal]:
    deals = deal_visible(member=member).select_related("partner", "product", "stage",
                                                      "registered_by__user")
    if q:
        deals = deals.filter(Q(customer_name__icontains=q) | Q(customer_domain__icontains=q))
    filters = {"partner_id": partner, "stage_id": stage, "status": status,
               "product_id": product, "customer_country": country,
               "expected_close_date__gte": close_from, "expected_close_date__lte": close_to,
               "reporting_amount__gte": amount_min, "reporting_amount__lte": amount_max}
    deals = deals.filter(**{k: v for k, v in filters.items() if v not in (None, "")})
    if conflicts_only:
        deals = deals.filter(has_conflict=True)
    return deals.order_by(*DEAL_SORTS.get(sort, DEAL_SORTS["-registered"]))


def review_queue() -> QuerySet[Deal]:
    """Submitted registrations, oldest first (first in wins), with their conflicts."""
    return (Deal.objects.filter(status="submitted")
            .select_related("partner", "product", "stage", "registered_by__user")
            .prefetch_related(Prefetch("conflicts", queryset=DealConflict.objects.select_related(
                "other_deal__partner", "other_deal__product", "customer_account")))
            .order_by("registered_at", "pk"))


def extension_requests() -> QuerySet[Deal]:
    """Approved registrations whose partner asked for more protection, the soonest to run
    out first."""
    return (Deal.objects.filter(status="approved", extension_requested_at__isnull=False)
            .select_related("partner").order_by("protection_expires_at", "pk"))


def deal_timeline(*, member: Membership, deal: Deal) -> QuerySet[TimelineEntry]:
    entries = TimelineEntry.objects.filter(deal=deal).select_related(
        "author__user", "author__partner", "owner__user").prefetch_related("mentions")
    if member.is_partner:
        entries = entries.exclude(kind=TimelineEntry.Kind.INTERNAL_NOTE)
    return entries.order_by("created_at", "pk")


PARTNER_CONFLICT_REASON = "registration_may_exist"


def partner_conflicts(*, flagged: bool) -> list[dict]:
    """All a partner learns of conflicts: neither whose nor what, nor how many, nor
    whether the customer is the vendor's own."""
    return [{"reason": PARTNER_CONFLICT_REASON}] if flagged else []


def deal_conflicts_for(*, member: Membership, deal: Deal) -> list[dict]:
    """What each audience may know of a registration's conflicts.

    The vendor sees the matched records side by side; a partner learns only that a
    registration for this customer may already exist, never whose or what.
    """
    if member.is_partner:
        return partner_conflicts(flagged=DealConflict.objects.filter(deal=deal).exists())
    conflicts = list(DealConflict.objects.filter(deal=deal).order_by("pk").select_related(
        "other_deal__partner", "other_deal__product", "customer_account"))
    return [{
        "reason": c.reason, "score": c.score,
        "other_deal": c.other_deal_id,
        "other_partner": c.other_deal.partner.name if c.other_deal else None,
        "other_customer": c.other_deal.customer_name if c.other_deal else None,
        "other_product": c.other_deal.product.name if c.other_deal else None,
        "other_status": c.other_deal.status if c.other_deal else None,
        "customer_account": c.customer_account.name if c.customer_account else None,
    } for c in conflicts]


def open_deal_exists_hint(*, domain: str, name_normalised: str, tokens: list[str],
                          product_id: int | None) -> bool:
    """For the live hint on the registration form: may a registration already exist?"""
    from deals.conflicts import find_conflicts

    return bool(find_conflicts(domain=domain, name_normalised=name_normalised, tokens=tokens,
                               product_id=product_id or 0))


OPEN = OPEN_STATUSES
