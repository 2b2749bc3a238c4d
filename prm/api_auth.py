"""API authentication: tenant-bound keys (``Authorization: Bearer prm_<prefix>_<secret>``)
and the browser session, both acting as a member of the host's tenant."""

from __future__ import annotations

import hmac
from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions, permissions

from prm.models import ApiKey
from prm.selectors import membership_for_user
from prm.services import API_KEY_PREFIX, hash_secret

LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != self.keyword.lower():
            return None
        tenant = getattr(request._request, "tenant", None)
        parts = token.strip().split("_", 2)
        if tenant is None or len(parts) != 3 or parts[0] != API_KEY_PREFIX:
            raise exceptions.AuthenticationFailed("Invalid API key.")
        _, prefix, secret = parts
        # Scoped by the tenant of the host: another tenant's key is simply not found.
        key = ApiKey.objects.select_related("membership__user").filter(prefix=prefix).first()
        if key is None or not hmac.compare_digest(key.hashed_secret, hash_secret(secret)):
            raise exceptions.AuthenticationFailed("Invalid API key.")
        membership = key.membership
        if key.revoked_at or not membership.is_active or not membership.user.is_active:
            raise exceptions.AuthenticationFailed("This API key is revoked or its owner inactive.")
        now = timezone.now()
        if key.last_used_at is None or key.last_used_at < now - LAST_USED_RESOLUTION:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        request._request.membership = membership
        return membership.user, key

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class TenantSessionAuthentication(authentication.SessionAuthentication):
    """The browser session; the auth backend already requires membership of this tenant."""


class IsTenantMember(permissions.BasePermission):
    """A member of the host's tenant, with one of the view's ``required_roles`` if it has any.

    A view may narrow roles per action with ``action_roles = {"create": {...}}``.
    """

    def has_permission(self, request, view) -> bool:
        if getattr(request._request, "tenant", None) is None:
            return False
        if not request.user or not request.user.is_authenticated:
            return False
        membership = getattr(request._request, "membership", None)
        if membership is None or not isinstance(request.auth, ApiKey):
            membership = membership_for_user(user=request.user)
            request._request.membership = membership
        if membership is None:
            return False
        roles = getattr(view, "action_roles", {}).get(getattr(view, "action", None))
        if roles is None:
            roles = getattr(view, "required_roles", None)
        if roles and membership.role not in roles:
            # Answer as if the endpoint's rows did not exist for this caller.
            raise exceptions.NotFound()
        return True
