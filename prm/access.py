"""Who may do what in the platform core; lookups answer 404 for missing and not-yours alike."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404

from prm.models import ApiKey, Invitation, Membership, Role


def require_roles(*roles: str):
    """Page decorator: signed in, a member here, with one of ``roles``; else 404."""

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            membership = getattr(request, "membership", None)
            if membership is None or (roles and membership.role not in roles):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


member_required = require_roles()
admin_required = require_roles(Role.TENANT_ADMIN)


def get_membership_for_admin(member: Membership, membership_id: int) -> Membership:
    if member.role != Role.TENANT_ADMIN:
        raise Http404
    membership = Membership.objects.select_related("user").filter(pk=membership_id).first()
    if membership is None:
        raise Http404
    return membership


def get_invitation_for_admin(member: Membership, invitation_id: int) -> Invitation:
    if member.role != Role.TENANT_ADMIN:
        raise Http404
    invitation = Invitation.objects.filter(pk=invitation_id).first()
    if invitation is None:
        raise Http404
    return invitation


def get_api_key_for_member(member: Membership, key_id: int) -> ApiKey:
    """A member manages their own keys; a tenant admin may revoke anyone's."""
    keys = ApiKey.objects.filter(pk=key_id)
    if member.role != Role.TENANT_ADMIN:
        keys = keys.filter(membership=member)
    key = keys.first()
    if key is None:
        raise Http404
    return key
