"""Request plumbing: resolve the tenant, scope the transaction, bind people to it."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from prm.models import Role, Tenant
from prm.tenancy import tenant_scope

PUBLIC_URLCONF = "prm.urls_public"
SESSION_TENANT_KEY = "prm_tenant_id"


def tenant_slug_from_host(host: str) -> str | None:
    """``acme.example.com`` → ``acme`` when the base domain is ``example.com``; else None."""
    host = host.rsplit(":", 1)[0].lower().rstrip(".") if not host.startswith("[") else host
    base = settings.PRM_BASE_DOMAIN
    if not host.endswith("." + base):
        return None
    label = host[: -len(base) - 1]
    return label if label and "." not in label else None


class TenantMiddleware:
    """Runs every tenant request inside ``tenant_scope``: one transaction, tenant set.

    The bare base domain serves only the public URLs (health check, operators' admin);
    an unknown subdomain is a 404.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        host = request.get_host()
        slug = tenant_slug_from_host(host)
        request.tenant = None
        if slug is None:
            if host.rsplit(":", 1)[0].lower() in (settings.PRM_BASE_DOMAIN, "testserver"):
                request.urlconf = PUBLIC_URLCONF
                return self.get_response(request)
            raise Http404("Unknown host")
        tenant = Tenant.objects.filter(slug=slug, is_active=True).first()
        if tenant is None:
            raise Http404("No such partner portal")
        request.tenant = tenant
        with tenant_scope(tenant):
            response = self.get_response(request)
            if response.status_code >= 500:
                from django.db import transaction

                transaction.set_rollback(True)
        return response


class MembershipMiddleware:
    """Attach the signed-in person's membership of this tenant and activate their zone.

    The authentication backend already refuses a session user with no active membership
    here, so a session made on one tenant's host grants nothing on another's.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = None
        tenant = getattr(request, "tenant", None)
        if tenant is not None and request.user.is_authenticated:
            from django.contrib.auth import logout

            from prm.selectors import membership_for_user

            bound = request.session.get(SESSION_TENANT_KEY)
            if bound is not None and bound != tenant.pk:
                # A session made on another tenant's host is worth nothing here.
                logout(request)
            else:
                request.session.setdefault(SESSION_TENANT_KEY, tenant.pk)
                request.membership = membership_for_user(user=request.user)
        zone = (request.user.is_authenticated and request.user.time_zone) or (
            tenant.time_zone if tenant else settings.TIME_ZONE
        )
        timezone.activate(zoneinfo.ZoneInfo(zone))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


MFA_EXEMPT_PREFIXES = ("/accounts/", "/i18n/", "/static/", "/healthz", "/api/", "/apply/")


class RequireMfaMiddleware:
    """Tenant admins must have TOTP set up before they can use the portal."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        membership = getattr(request, "membership", None)
        if (
            membership is not None
            and membership.role == Role.TENANT_ADMIN
            and not request.path.startswith(MFA_EXEMPT_PREFIXES)
        ):
            from allauth.mfa.models import Authenticator

            if not Authenticator.objects.filter(
                user=request.user, type=Authenticator.Type.TOTP
            ).exists():
                return redirect(reverse("mfa_activate_totp") + "?required=1")
        return self.get_response(request)
