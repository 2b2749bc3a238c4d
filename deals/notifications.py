"""Outbox handlers of the deals app: e-mails about deals, in the tenant's language."""

from __future__ import annotations

from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from deals.models import TimelineEntry
from prm.events import on_event
from prm.models import Event, Membership
from prm.notifications import tenant_url
from prm.tenancy import require_tenant


@on_event("deal.mentioned")
def mail_mention(event: Event) -> None:
    """Tell the person mentioned on a deal's timeline, with a link to the entry."""
    entry = (TimelineEntry.objects.select_related("deal", "author__user")
             .filter(pk=event.data.get("entry")).first())
    membership = (Membership.objects.select_related("user")
                  .filter(pk=event.data.get("membership"), is_active=True).first())
    if entry is None or membership is None:
        return
    if entry.kind == TimelineEntry.Kind.INTERNAL_NOTE and membership.is_partner:
        return  # internal notes are the vendor's, whatever the text says
    tenant = require_tenant()
    path = reverse("deal_detail", kwargs={"deal_id": entry.deal_id})
    with translation.override(tenant.locale):
        context = {"tenant": tenant, "entry": entry, "deal": entry.deal,
                   "author": entry.author.user, "recipient": membership.user,
                   "link": tenant_url(tenant, f"{path}#entry-{entry.pk}")}
        send_mail(
            subject=render_to_string("email/deal_mentioned_subject.txt", context).strip(),
            message=render_to_string("email/deal_mentioned.txt", context),
            from_email=None,
            recipient_list=[membership.user.email],
        )
