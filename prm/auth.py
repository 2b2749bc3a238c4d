"""Sign-in bound to the tenant of the host: a member here, or no access here."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.auth_backends import AuthenticationBackend
from django.http import HttpRequest

from prm.models import Membership
from prm.tenancy import get_current_tenant


def can_sign_in_here(user) -> bool:
    """Active, and an active member of the current tenant (staff only on the base domain).

    The membership found is kept on the user object for the rest of the request.
    """
    if not user.is_active:
        return False
    if get_current_tenant() is None:
        return bool(user.is_staff)
    user.prm_membership = Membership.objects.filter(user_id=user.pk, is_active=True).first()
    return user.prm_membership is not None


class TenantMemberBackend(AuthenticationBackend):
    def user_can_authenticate(self, user) -> bool:
        return can_sign_in_here(user)


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # People join by invitation (or, for partners, by an approved application).
        return False

    def pre_login(self, request, user, **kwargs):
        if not can_sign_in_here(user):
            from allauth.account.internal.stagekit import clear_login

            clear_login(request)
            return self.respond_user_inactive(request, user)
        return super().pre_login(request, user, **kwargs)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Mails speak as the vendor's portal ("Hello from Acme Corp"), not as a host name."""
        tenant = get_current_tenant()
        if tenant is not None:
            from types import SimpleNamespace

            from allauth.core import context as allauth_context

            host = allauth_context.request.get_host()
            context = {**context, "current_site": SimpleNamespace(name=tenant.name, domain=host)}
        super().send_mail(template_prefix, email, context)

    def format_email_subject(self, subject: str) -> str:
        tenant = get_current_tenant()
        return f"[{tenant.name}] {subject}" if tenant else super().format_email_subject(subject)

    def login(self, request, user) -> None:
        super().login(request, user)
        tenant = get_current_tenant()
        from prm.middleware import SESSION_TENANT_KEY

        request.session[SESSION_TENANT_KEY] = tenant.pk if tenant else None
