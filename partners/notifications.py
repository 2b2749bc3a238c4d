"""Outbox handlers of recruitment: e-mails about partner applications, in the tenant's language.

Approval needs none of its own: it invites the applicant, and the invitation mails itself.
"""

from __future__ import annotations

from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from partners.models import PartnerApplication
from partners.selectors import channel_managers
from prm.events import on_event
from prm.models import Event
from prm.notifications import tenant_url
from prm.tenancy import require_tenant


def _send(template: str, context: dict, recipient: str) -> None:
    send_mail(
        subject=render_to_string(f"email/{template}_subject.txt", context).strip(),
        message=render_to_string(f"email/{template}.txt", context),
        from_email=None,
        recipient_list=[recipient],
    )


@on_event("application.submitted")
def mail_new_application(event: Event) -> None:
    """Tell the vendor's channel managers and admins that a company applied."""
    application = PartnerApplication.objects.filter(pk=event.subject_id).first()
    if application is None:
        return
    tenant = require_tenant()
    link = tenant_url(tenant, reverse("application_detail",
                                      kwargs={"application_id": application.pk}))
    recipients = list(channel_managers().values_list("user__email", flat=True))
    with translation.override(tenant.locale):
        context = {"tenant": tenant, "application": application, "link": link}
        for email in recipients:
            _send("application_submitted", context, email)


@on_event("application.declined")
def mail_declined_application(event: Event) -> None:
    """Give the applicant the reviewer's note."""
    application = PartnerApplication.objects.filter(pk=event.subject_id).first()
    if application is None or application.status != PartnerApplication.Status.DECLINED:
        return
    tenant = require_tenant()
    with translation.override(tenant.locale):
        context = {"tenant": tenant, "application": application}
        _send("application_declined", context, application.contact_email)
