"""The shared timeline of a deal (comments, internal notes, activities, next steps,
@mentions) and its mutual action plan: the same rules as ``deals.services``."""

from __future__ import annotations

import re
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deals.models import ActionPlanItem, Deal, TimelineEntry, TimelineMention
from deals.services import check_language
from prm.errors import InvalidInput
from prm.events import record_event
from prm.models import Membership, Role

MENTION = re.compile(r"@([\w.+-]+@[\w-]+(?:\.[\w-]+)+)")


def deal_people(deal: Deal):
    """Who may be mentioned on a deal: the vendor's people and the deal partner's."""
    return Membership.objects.filter(is_active=True).filter(
        role__in=[Role.TENANT_ADMIN, Role.CHANNEL_MANAGER]
    ) | Membership.objects.filter(is_active=True, partner_id=deal.partner_id)


@transaction.atomic
def timeline_add(*, member: Membership, deal: Deal, kind: str, body: str = "",
                 activity_type: str = "", occurred_on: date | None = None, outcome: str = "",
                 owner: Membership | None = None, due_on: date | None = None) -> TimelineEntry:
    """Add to the shared timeline. Internal notes are the vendor's; partners never see them."""
    if kind not in TimelineEntry.Kind.values:
        raise InvalidInput(_("Unknown kind of entry."), field="kind")
    if kind == TimelineEntry.Kind.INTERNAL_NOTE and member.is_partner:
        raise InvalidInput(_("Internal notes are for the vendor's people."), field="kind")
    body = (body or "").strip()
    check_language(body, field="body")
    if kind in (TimelineEntry.Kind.COMMENT, TimelineEntry.Kind.INTERNAL_NOTE,
                TimelineEntry.Kind.NEXT_STEP) and not body:
        raise InvalidInput(_("Write something."), field="body")
    if kind == TimelineEntry.Kind.ACTIVITY:
        if activity_type not in TimelineEntry.ActivityType.values:
            raise InvalidInput(_("Choose call, meeting, e-mail or demo."), field="activity_type")
        occurred_on = occurred_on or timezone.localdate()
    people = deal_people(deal)
    if owner is not None and not people.filter(pk=owner.pk).exists():
        raise InvalidInput(_("The owner must be someone working on this deal."), field="owner")
    entry = TimelineEntry.objects.create(
        deal=deal, kind=kind, author=member, body=body, activity_type=activity_type,
        occurred_on=occurred_on, outcome=outcome.strip(), owner=owner, due_on=due_on)
    emails = {m.lower() for m in MENTION.findall(body)}
    mentioned = list(people.filter(user__email__in=emails).exclude(pk=member.pk)) if emails else []
    if kind == TimelineEntry.Kind.INTERNAL_NOTE:
        mentioned = [m for m in mentioned if not m.is_partner]
    TimelineMention.objects.bulk_create([TimelineMention(entry=entry, membership=m)
                                         for m in mentioned])
    record_event(actor=member.user, verb=f"deal.timeline.{kind}", subject=deal,
                 data={"entry": entry.pk, "mentions": [m.pk for m in mentioned],
                       "internal": kind == TimelineEntry.Kind.INTERNAL_NOTE})
    for membership in mentioned:
        record_event(actor=member.user, verb="deal.mentioned", subject=deal,
                     data={"entry": entry.pk, "membership": membership.pk})
    return entry


@transaction.atomic
def action_item_add(*, member: Membership, deal: Deal, title: str,
                    owner: Membership | None = None, due_on: date | None = None) -> ActionPlanItem:
    if not (title or "").strip():
        raise InvalidInput(_("Name the step."), field="title")
    if owner is not None and not deal_people(deal).filter(pk=owner.pk).exists():
        raise InvalidInput(_("The owner must be someone working on this deal."), field="owner")
    position = ActionPlanItem.objects.filter(deal=deal).count()
    item = ActionPlanItem.objects.create(deal=deal, title=title.strip(), owner=owner,
                                         due_on=due_on, position=position)
    record_event(actor=member.user, verb="deal.plan.added", subject=deal,
                 data={"item": item.pk, "title": item.title})
    return item


@transaction.atomic
def action_item_set_done(*, member: Membership, item: ActionPlanItem, done: bool) -> ActionPlanItem:
    item = ActionPlanItem.objects.select_for_update().get(pk=item.pk)
    if done == (item.done_at is not None):
        return item
    item.done_at = timezone.now() if done else None
    item.done_by = member.user if done else None
    item.save(update_fields=["done_at", "done_by"])
    record_event(actor=member.user, verb="deal.plan.done" if done else "deal.plan.reopened",
                 subject=item.deal, data={"item": item.pk, "title": item.title})
    return item
