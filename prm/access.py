"""Who may do what in the platform core; lookups answer 404 for missing and not-yours alike."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.db import models
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


def get_for_admin[M: models.Model](member: Membership, rows: models.QuerySet[M], pk) -> M:
    """One of ``rows`` (already scoped to the tenant) for a tenant admin; 404 for anyone
    else and for an id that is missing, so both look the same."""
    if member.role != Role.TENANT_ADMIN:
        raise Http404
    row = rows.filter(pk=pk).first()
    if row is None:
        raise Http404
    return row


def get_membership_for_admin(member: Membership, membership_id: int) -> Membership:
    return get_for_admin(member, Membership.objects.select_related("user"), membership_id)


def get_invitation_for_admin(member: Membership, invitation_id: int) -> Invitation:
    return get_for_admin(member, Invitation.objects.all(), invitation_id)


def get_api_key_for_member(member: Membership, key_id: int) -> ApiKey:
    """A member manages their own keys; a tenant admin may revoke anyone's."""
    keys = ApiKey.objects.filter(pk=key_id)
    if member.role != Role.TENANT_ADMIN:
        keys = keys.filter(membership=member)
    key = keys.first()
    if key is None:
        raise Http404
    return key
