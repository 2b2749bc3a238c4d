"""Who may do what with deals; lookups answer 404 for missing and not-yours alike."""

from __future__ import annotations

from django.http import Http404

from deals.models import ActionPlanItem, Deal
from deals.selectors import deal_visible
from prm.models import Membership, Role

VENDOR = frozenset({Role.TENANT_ADMIN, Role.CHANNEL_MANAGER})


def get_deal_for_member(member: Membership, deal_id) -> Deal:
    """Any deal of the tenant for the vendor's people; their company's for partner people."""
    deal = deal_visible(member=member).select_related(
        "partner__tier", "product", "stage", "registered_by__user").filter(pk=deal_id).first()
    if deal is None:
        raise Http404
    return deal


def get_deal_for_manager(member: Membership, deal_id) -> Deal:
    """Review actions (approve, reject, extensions) are the vendor's."""
    if member.role not in VENDOR:
        raise Http404
    return get_deal_for_member(member, deal_id)


def get_action_item_for_member(member: Membership, deal: Deal, item_id) -> ActionPlanItem:
    item = ActionPlanItem.objects.filter(pk=item_id, deal=deal).first()
    if item is None:
        raise Http404
    return item
