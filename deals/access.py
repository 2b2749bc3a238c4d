"""Who may do what with deals; lookups answer 404 for missing and not-yours alike."""

from __future__ import annotations

from django.http import Http404

from deals.models import ActionPlanItem, AutoApprovalRule, Deal, DealStage, ProductLine
from deals.selectors import deal_visible
from prm.access import get_for_admin
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


def get_product_for_admin(member: Membership, product_id) -> ProductLine:
    return get_for_admin(member, ProductLine.objects.all(), product_id)


def get_stage_for_admin(member: Membership, stage_id) -> DealStage:
    return get_for_admin(member, DealStage.objects.all(), stage_id)


def get_rule_for_admin(member: Membership, rule_id) -> AutoApprovalRule:
    return get_for_admin(member, AutoApprovalRule.objects.all(), rule_id)
