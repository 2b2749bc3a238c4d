"""Outbox handlers that send e-mail. Called by the outbox once per delivered event."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from prm.events import on_event
from prm.models import Event, Invitation, Tenant
from prm.tenancy import require_tenant


def tenant_url(tenant: Tenant, path: str) -> str:
    port = f":{settings.PRM_PORT}" if settings.PRM_PORT else ""
    return f"{settings.PRM_SCHEME}://{tenant.slug}.{settings.PRM_BASE_DOMAIN}{port}{path}"


@on_event("invitation.created")
def send_invitation(event: Event) -> None:
    from django.urls import reverse

    from prm.services import invitation_token

    invitation = Invitation.objects.filter(pk=event.subject_id).first()
    if invitation is None or invitation.status != Invitation.Status.PENDING:
        return
    tenant = require_tenant()
    link = tenant_url(tenant, reverse("invitation_accept",
                                      kwargs={"token": invitation_token(invitation)}))
    with translation.override(tenant.locale):
        context = {"tenant": tenant, "invitation": invitation, "link": link}
        send_mail(
            subject=render_to_string("email/invitation_subject.txt", context).strip(),
            message=render_to_string("email/invitation.txt", context),
            from_email=None,
            recipient_list=[invitation.email],
        )
