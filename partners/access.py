"""Who may do what with partners; lookups answer 404 for missing and not-yours alike."""

from __future__ import annotations

from django.http import Http404

from partners.models import Partner, PartnerApplication, Tier
from partners.selectors import partner_visible
from prm.models import Membership, Role

VENDOR = frozenset({Role.TENANT_ADMIN, Role.CHANNEL_MANAGER})


def get_partner_for_member(member: Membership, partner_id) -> Partner:
    """Any partner for vendor people; only their own for partner people."""
    partner = partner_visible(member=member).select_related("tier", "manager__user").filter(
        pk=partner_id).first()
    if partner is None:
        raise Http404
    return partner


def get_partner_rw_for_member(member: Membership, partner_id) -> Partner:
    """Editing a partner and moving its status is vendor work."""
    if member.role not in VENDOR:
        raise Http404
    return get_partner_for_member(member, partner_id)


def get_tier_rw_for_member(member: Membership, tier_id) -> Tier:
    if member.role != Role.TENANT_ADMIN:
        raise Http404
    tier = Tier.objects.filter(pk=tier_id).first()
    if tier is None:
        raise Http404
    return tier


def get_application_for_member(member: Membership, application_id) -> PartnerApplication:
    if member.role not in VENDOR:
        raise Http404
    application = PartnerApplication.objects.filter(pk=application_id).first()
    if application is None:
        raise Http404
    return application


def get_colleague_for_partner_admin(member: Membership, membership_id) -> Membership:
    """A partner admin manages the people of their own partner, and nobody else."""
    if member.role != Role.PARTNER_ADMIN:
        raise Http404
    colleague = Membership.objects.select_related("user").filter(
        pk=membership_id, partner_id=member.partner_id).first()
    if colleague is None:
        raise Http404
    return colleague
