"""Conflict detection at the door: a few indexed lookups, then fuzzy scoring in memory.

Candidates come only from indexes (the partial index on open deals' domains, the GIN
index on their name tokens, and the customer accounts' indexes), capped, so the check
costs the same at a thousand registrations as at a million.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz

from deals.models import OPEN_STATUSES, CustomerAccount, Deal, DealConflict
from prm.names import name_tokens

SIMILAR_NAME_THRESHOLD = 85
CANDIDATE_CAP = 200


@dataclass(frozen=True)
class Match:
    reason: str
    score: int
    deal: Deal | None = None
    account: CustomerAccount | None = None
    same_product: bool = False


def _name_score(a: str, b: str) -> int:
    """Similarity of two normalised names, 0-100; generic words ("group") count less."""
    distinctive_a, distinctive_b = " ".join(name_tokens(a)), " ".join(name_tokens(b))
    return round(max(fuzz.token_sort_ratio(a, b), fuzz.ratio(a, b),
                     fuzz.token_sort_ratio(distinctive_a, distinctive_b)))


def find_conflicts(*, domain: str, name_normalised: str, tokens: list[str], product_id: int,
                   exclude_deal_id: int | None = None) -> list[Match]:
    """Every open deal or direct customer this registration may collide with."""
    open_deals = Deal.objects.filter(status__in=OPEN_STATUSES).only(
        "pk", "partner_id", "customer_name", "customer_name_normalised", "customer_domain",
        "product_id", "status", "registered_at")
    if exclude_deal_id:
        open_deals = open_deals.exclude(pk=exclude_deal_id)
    matches: dict[int, Match] = {}
    for deal in open_deals.filter(customer_domain=domain)[:CANDIDATE_CAP]:
        matches[deal.pk] = Match(Reason.SAME_DOMAIN, 100, deal=deal,
                                 same_product=deal.product_id == product_id)
    if tokens:
        for deal in open_deals.filter(customer_name_tokens__overlap=tokens)[:CANDIDATE_CAP]:
            if deal.pk in matches:
                continue
            score = _name_score(name_normalised, deal.customer_name_normalised)
            if score >= SIMILAR_NAME_THRESHOLD:
                matches[deal.pk] = Match(Reason.SIMILAR_NAME, score, deal=deal,
                                         same_product=deal.product_id == product_id)
    accounts = CustomerAccount.objects.filter(domain=domain)[:CANDIDATE_CAP]
    found = [Match(Reason.DIRECT_CUSTOMER, 100, account=a) for a in accounts]
    if tokens:
        for account in CustomerAccount.objects.filter(
                name_tokens__overlap=tokens).exclude(domain=domain)[:CANDIDATE_CAP]:
            score = _name_score(name_normalised, account.name_normalised)
            if score >= SIMILAR_NAME_THRESHOLD:
                found.append(Match(Reason.DIRECT_CUSTOMER, score, account=account))
    return sorted([*matches.values(), *found], key=lambda m: (-m.score, m.reason))


Reason = DealConflict.Reason


def exact_conflict(matches: list[Match]) -> Match | None:
    """Same customer domain and product line already open: refused at the door."""
    return next((m for m in matches if m.reason == Reason.SAME_DOMAIN and m.same_product), None)
