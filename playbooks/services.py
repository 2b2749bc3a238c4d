"""Playbook writes: playbooks, drafts and their stages and activities, publishing,
acknowledgements, the deal checklist, and the check a deal's stage move goes through.

Published versions are frozen: every edit goes to the playbook's one draft, which starts
as a copy of the published version and replaces it when published.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from deals.models import Deal, DealStage
from playbooks.glossary import language_guard
from playbooks.language import Finding
from playbooks.markdown import VARIABLES, unknown_variables
from playbooks.models import (
    DealActivityCheck,
    Playbook,
    PlaybookAcknowledgement,
    PlaybookStage,
    PlaybookVersion,
    StageActivity,
)
from prm.errors import DomainError, InvalidInput
from prm.events import record_event
from prm.models import Membership
from prm.tenancy import require_tenant

TEXT_FIELDS = ("entry_criteria", "exit_criteria", "talk_track", "objection_handling")
MAX_TEXT = 20_000


# --- playbooks and drafts ------------------------------------------------------------

def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Give the playbook a name."), field="name")
    return name


@transaction.atomic
def playbook_create(*, actor, name: str, description: str = "",
                    deal_stages: Iterable[DealStage] | None = None) -> Playbook:
    """A new playbook with a first draft: one stage per deal stage (all, by default)."""
    try:
        with transaction.atomic():
            playbook = Playbook.objects.create(name=_clean_name(name),
                                               description=(description or "").strip())
    except IntegrityError:
        raise InvalidInput(_("A playbook with this name exists already."), field="name") from None
    version = PlaybookVersion.objects.create(playbook=playbook, number=1)
    stages = list(deal_stages) if deal_stages is not None else list(DealStage.objects.all())
    PlaybookStage.objects.bulk_create(
        [PlaybookStage(version=version, deal_stage=stage) for stage in stages])
    record_event(actor=actor, verb="playbook.created", subject=playbook,
                 data={"name": playbook.name, "stages": [stage.pk for stage in stages]})
    return playbook


@transaction.atomic
def playbook_update(*, actor, playbook: Playbook, name: str, description: str = "") -> Playbook:
    playbook = Playbook.objects.select_for_update().get(pk=playbook.pk)
    values = {"name": _clean_name(name), "description": (description or "").strip()}
    diff = {k: {"from": getattr(playbook, k), "to": v} for k, v in values.items()
            if getattr(playbook, k) != v}
    if not diff:
        return playbook
    for key, value in values.items():
        setattr(playbook, key, value)
    try:
        with transaction.atomic():
            playbook.save(update_fields=list(values))
    except IntegrityError:
        raise InvalidInput(_("A playbook with this name exists already."), field="name") from None
    record_event(actor=actor, verb="playbook.updated", subject=playbook, data=diff)
    return playbook


@transaction.atomic
def draft_get_or_create(*, actor, playbook: Playbook) -> tuple[PlaybookVersion, bool]:
    """The playbook's draft; a new one (number n+1) copies the published version."""
    playbook = Playbook.objects.select_for_update().get(pk=playbook.pk)
    draft = PlaybookVersion.objects.filter(playbook=playbook, published_at__isnull=True).first()
    if draft is not None:
        return draft, False
    latest = PlaybookVersion.objects.filter(playbook=playbook).aggregate(n=Max("number"))["n"]
    draft = PlaybookVersion.objects.create(playbook=playbook, number=(latest or 0) + 1)
    if playbook.published_version_id:
        _copy_stages(source_id=playbook.published_version_id, target=draft)
    record_event(actor=actor, verb="playbook.draft_created", subject=playbook,
                 data={"version": draft.number,
                       "published_version_id": playbook.published_version_id})
    return draft, True


def _copy_stages(*, source_id: int, target: PlaybookVersion) -> None:
    stages = list(PlaybookStage.objects.filter(version_id=source_id)
                  .prefetch_related("activities").order_by("pk"))
    copies = PlaybookStage.objects.bulk_create([
        PlaybookStage(version=target, deal_stage_id=stage.deal_stage_id,
                      **{field: getattr(stage, field) for field in TEXT_FIELDS})
        for stage in stages])
    StageActivity.objects.bulk_create([
        StageActivity(stage=copy, title=activity.title, required=activity.required,
                      position=activity.position)
        for stage, copy in zip(stages, copies, strict=True)
        for activity in stage.activities.all()])


@transaction.atomic
def draft_discard(*, actor, version: PlaybookVersion) -> None:
    version = _locked_draft(version.pk)
    record_event(actor=actor, verb="playbook.draft_discarded", subject=version.playbook,
                 data={"version": version.number})
    version.delete()


def _locked_draft(version_id: int) -> PlaybookVersion:
    """The version, locked against a concurrent publish; refused unless it is a draft."""
    version = (PlaybookVersion.objects.select_for_update(of=("self",))
               .select_related("playbook").get(pk=version_id))
    if not version.is_draft:
        raise DomainError(_("This version is published and can no longer change; "
                            "edit the draft instead."), code="published")
    return version


# --- stages --------------------------------------------------------------------------

def _guard_texts(changes: dict[str, str]) -> dict[str, list[Finding]]:
    locale = require_tenant().locale
    findings = {}
    for field in TEXT_FIELDS:
        if changes.get(field):
            found = language_guard(text=changes[field], locale=locale, field=field)
            if found:
                findings[field] = found
    return findings


@transaction.atomic
def stage_update(*, actor, stage: PlaybookStage, deal_stage: DealStage | None = None,
                 **texts: str) -> tuple[PlaybookStage, dict[str, list[Finding]]]:
    """Change a draft stage's texts or its deal stage; returns the language findings
    (which only warn, unless the tenant's setting makes them refuse the change)."""
    unknown = set(texts) - set(TEXT_FIELDS)
    if unknown:
        raise InvalidInput(_("These fields cannot be changed: %s") % ", ".join(sorted(unknown)))
    version = _locked_draft(stage.version_id)
    stage = PlaybookStage.objects.get(pk=stage.pk)
    changes: dict[str, str] = {}
    for field, value in texts.items():
        value = (value or "").replace("\r\n", "\n").strip()
        if len(value) > MAX_TEXT:
            raise InvalidInput(_("At most %d characters.") % MAX_TEXT, field=field)
        if value != getattr(stage, field):
            changes[field] = value
    if "talk_track" in changes and (unknown_vars := unknown_variables(changes["talk_track"])):
        raise InvalidInput(
            _("Unknown variable %(unknown)s. Use one of: %(known)s.") % {
                "unknown": ", ".join(f"{{{{ {name} }}}}" for name in unknown_vars),
                "known": ", ".join(f"{{{{ {name} }}}}" for name in VARIABLES)},
            field="talk_track")
    findings = _guard_texts(changes)
    data: dict = {"version": version.number, "deal_stage": stage.deal_stage_id,
                  "changed": sorted(changes)}
    if deal_stage is not None and deal_stage.pk != stage.deal_stage_id:
        if PlaybookStage.objects.filter(version=version, deal_stage=deal_stage).exists():
            raise InvalidInput(_("Another stage of this playbook is bound to %s already.")
                               % deal_stage.name, field="deal_stage")
        data["deal_stage"] = {"from": stage.deal_stage_id, "to": deal_stage.pk}
        data["changed"].append("deal_stage")
        stage.deal_stage = deal_stage
    if not data["changed"]:
        return stage, findings
    for field, value in changes.items():
        setattr(stage, field, value)
    stage.save(update_fields=[*changes, *(["deal_stage"] if "deal_stage" in data["changed"]
                                          else [])])
    record_event(actor=actor, verb="playbook.stage_updated", subject=version.playbook, data=data)
    return stage, findings


@transaction.atomic
def stage_add(*, actor, version: PlaybookVersion, deal_stage: DealStage) -> PlaybookStage:
    """Cover one more deal stage in a draft (say, a stage the program added later)."""
    version = _locked_draft(version.pk)
    if PlaybookStage.objects.filter(version=version, deal_stage=deal_stage).exists():
        raise InvalidInput(_("This playbook covers %s already.") % deal_stage.name,
                           field="deal_stage")
    stage = PlaybookStage.objects.create(version=version, deal_stage=deal_stage)
    record_event(actor=actor, verb="playbook.stage_added", subject=version.playbook,
                 data={"version": version.number, "deal_stage": deal_stage.pk})
    return stage


@transaction.atomic
def stage_remove(*, actor, stage: PlaybookStage) -> None:
    version = _locked_draft(stage.version_id)
    record_event(actor=actor, verb="playbook.stage_removed", subject=version.playbook,
                 data={"version": version.number, "deal_stage": stage.deal_stage_id})
    PlaybookStage.objects.filter(pk=stage.pk).delete()


# --- activities ----------------------------------------------------------------------

def _clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise InvalidInput(_("Describe the activity."), field="title")
    if len(title) > 200:
        raise InvalidInput(_("At most 200 characters."), field="title")
    return title


def _activity_data(version: PlaybookVersion, activity: StageActivity, **extra) -> dict:
    return {"version": version.number, "stage": activity.stage_id, "activity": activity.pk,
            "title": activity.title, "required": activity.required, **extra}


@transaction.atomic
def activity_add(*, actor, stage: PlaybookStage, title: str,
                 required: bool = True) -> StageActivity:
    version = _locked_draft(stage.version_id)
    last = StageActivity.objects.filter(stage=stage).aggregate(p=Max("position"))["p"]
    activity = StageActivity.objects.create(stage=stage, title=_clean_title(title),
                                            required=required,
                                            position=0 if last is None else last + 1)
    record_event(actor=actor, verb="playbook.activity_added", subject=version.playbook,
                 data=_activity_data(version, activity))
    return activity


@transaction.atomic
def activity_update(*, actor, activity: StageActivity, title: str | None = None,
                    required: bool | None = None) -> StageActivity:
    version = _locked_draft(activity.stage.version_id)
    activity = StageActivity.objects.get(pk=activity.pk)
    values = {"title": None if title is None else _clean_title(title), "required": required}
    diff = {k: {"from": getattr(activity, k), "to": v} for k, v in values.items()
            if v is not None and getattr(activity, k) != v}
    if not diff:
        return activity
    for key, change in diff.items():
        setattr(activity, key, change["to"])
    activity.save(update_fields=list(diff))
    record_event(actor=actor, verb="playbook.activity_updated", subject=version.playbook,
                 data=_activity_data(version, activity, changes=diff))
    return activity


@transaction.atomic
def activity_remove(*, actor, activity: StageActivity) -> None:
    version = _locked_draft(activity.stage.version_id)
    record_event(actor=actor, verb="playbook.activity_removed", subject=version.playbook,
                 data=_activity_data(version, activity))
    StageActivity.objects.filter(pk=activity.pk).delete()


@transaction.atomic
def activity_reorder(*, actor, stage: PlaybookStage, order: list[int]) -> list[StageActivity]:
    """Put the stage's activities in ``order`` (all of their ids, each once)."""
    version = _locked_draft(stage.version_id)
    activities = {a.pk: a for a in StageActivity.objects.filter(stage=stage)}
    if len(order) != len(set(order)) or set(order) != set(activities):
        raise InvalidInput(_("List every activity of the stage once, in the new order."),
                           field="order")
    for position, pk in enumerate(order):
        activities[pk].position = position
    StageActivity.objects.bulk_update(activities.values(), ["position"])
    record_event(actor=actor, verb="playbook.activities_reordered", subject=version.playbook,
                 data={"version": version.number, "stage": stage.pk, "order": order})
    return [activities[pk] for pk in order]


@transaction.atomic
def activity_move(*, actor, activity: StageActivity, offset: int) -> list[StageActivity]:
    """Move an activity ``offset`` places up (negative) or down the checklist."""
    stage = activity.stage
    order = list(StageActivity.objects.filter(stage=stage).values_list("pk", flat=True))
    index = order.index(activity.pk)
    target = max(0, min(len(order) - 1, index + offset))
    if target == index:
        return list(StageActivity.objects.filter(stage=stage))
    order.insert(target, order.pop(index))
    return activity_reorder(actor=actor, stage=stage, order=order)


# --- publishing and acknowledging ----------------------------------------------------

@transaction.atomic
def draft_publish(*, actor, version: PlaybookVersion, change_note: str = "") -> PlaybookVersion:
    """The draft becomes the published version at once; partner people are asked to
    acknowledge it. Ticks on deals carry over to the same activities of the new version."""
    playbook = Playbook.objects.select_for_update().get(pk=version.playbook_id)
    version = _locked_draft(version.pk)
    if not PlaybookStage.objects.filter(version=version).exists():
        raise DomainError(_("A playbook without stages cannot be published."), code="empty")
    change_note = " ".join((change_note or "").split())
    if len(change_note) > 300:
        raise InvalidInput(_("At most 300 characters."), field="change_note")
    previous_id = playbook.published_version_id
    version.published_at = timezone.now()
    version.published_by = actor if getattr(actor, "is_authenticated", False) else None
    version.change_note = change_note
    version.save(update_fields=["published_at", "published_by", "change_note"])
    playbook.published_version = version
    playbook.save(update_fields=["published_version"])
    carried = _carry_checks(previous_id, version) if previous_id else 0
    record_event(actor=actor, verb="playbook.published", subject=playbook,
                 data={"version": version.number, "change_note": change_note,
                       "previous_version_id": previous_id, "checks_carried": carried})
    return version


def _carry_checks(previous_id: int, version: PlaybookVersion) -> int:
    """Copy deal ticks to the new version's activities with the same stage and title."""
    def key(activity: StageActivity) -> tuple[int, str]:
        return activity.stage.deal_stage_id, activity.title.casefold()

    new = {key(a): a.pk for a in StageActivity.objects.filter(stage__version=version)
           .select_related("stage")}
    mapping = {a.pk: new[key(a)] for a in StageActivity.objects.filter(
        stage__version_id=previous_id).select_related("stage") if key(a) in new}
    if not mapping:
        return 0
    checks = DealActivityCheck.objects.filter(activity_id__in=mapping).values_list(
        "deal_id", "activity_id", "checked_by_id", "checked_at")
    rows = [DealActivityCheck(deal_id=deal_id, activity_id=mapping[activity_id],
                              checked_by_id=by, checked_at=at)
            for deal_id, activity_id, by, at in checks.iterator(chunk_size=2000)]
    DealActivityCheck.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return len(rows)


@transaction.atomic
def version_acknowledge(*, member: Membership,
                        version: PlaybookVersion) -> tuple[PlaybookAcknowledgement, bool]:
    """``member`` has read ``version``; asking twice changes nothing."""
    if version.is_draft:
        raise DomainError(_("Only a published version can be acknowledged."), code="draft")
    try:
        with transaction.atomic():
            ack = PlaybookAcknowledgement.objects.create(version=version, membership=member)
    except IntegrityError:
        return PlaybookAcknowledgement.objects.get(version=version, membership=member), False
    record_event(actor=member.user, verb="playbook.acknowledged", subject=version.playbook,
                 data={"version": version.number, "membership": member.pk})
    return ack, True


# --- the checklist on a deal -------------------------------------------------------------

def _check_tickable(deal: Deal, activity: StageActivity) -> None:
    if not deal.is_open:
        raise DomainError(_("A closed registration's checklist stays as it was."),
                          code="closed")
    if not Playbook.objects.filter(published_version_id=activity.stage.version_id).exists():
        raise DomainError(_("This activity belongs to an older version of the playbook."),
                          code="outdated")


def _check_data(deal: Deal, activity: StageActivity) -> dict:
    return {"activity": activity.pk, "title": activity.title, "required": activity.required,
            "stage": activity.stage.deal_stage_id, "deal_stage": deal.stage_id,
            "version_id": activity.stage.version_id}


@transaction.atomic
def deal_activity_tick(*, member: Membership, deal: Deal,
                       activity: StageActivity) -> DealActivityCheck:
    """Tick a playbook activity off on a deal (recorded: compliance is measured from it)."""
    _check_tickable(deal, activity)
    try:
        with transaction.atomic():
            check = DealActivityCheck.objects.create(deal=deal, activity=activity,
                                                     checked_by=member.user)
    except IntegrityError:
        return DealActivityCheck.objects.get(deal=deal, activity=activity)
    record_event(actor=member.user, verb="deal.activity_checked", subject=deal,
                 data=_check_data(deal, activity))
    return check


@transaction.atomic
def deal_activity_untick(*, member: Membership, deal: Deal, activity: StageActivity) -> bool:
    _check_tickable(deal, activity)
    deleted, _rows = DealActivityCheck.objects.filter(deal=deal, activity=activity).delete()
    if deleted:
        record_event(actor=member.user, verb="deal.activity_unchecked", subject=deal,
                     data=_check_data(deal, activity))
    return bool(deleted)


# --- moving a deal to another stage --------------------------------------------------------

def stage_move_check(*, deal: Deal, to_stage: DealStage,
                     from_stage: DealStage | None = None) -> list[StageActivity]:
    """The required activities still open before ``deal`` may move on to ``to_stage``
    from ``from_stage`` (its current stage unless given): those of that stage, and of any
    stage it would skip. Moving back needs none."""
    from playbooks.playbook_selectors import published_stages

    current = from_stage or DealStage.objects.get(pk=deal.stage_id)
    if to_stage.rank <= current.rank:
        return []
    stage_ids = [stage.pk for deal_stage_id, stage in published_stages().items()
                 if current.rank <= stage.deal_stage.rank < to_stage.rank]
    ticked = DealActivityCheck.objects.filter(deal=deal, activity=OuterRef("pk"))
    return list(StageActivity.objects.filter(stage_id__in=stage_ids, required=True)
                .exclude(Exists(ticked)).select_related("stage__deal_stage")
                .order_by("stage__deal_stage__rank", "position", "pk"))


@transaction.atomic
def stage_move_record_exception(*, actor, deal: Deal, missing: list[StageActivity],
                                to_stage: DealStage | None = None,
                                from_stage: DealStage | None = None) -> None:
    """A move with required activities undone, allowed by the tenant: on the record."""
    record_event(actor=actor, verb="deal.stage_exception", subject=deal, data={
        "from": from_stage.pk if from_stage else deal.stage_id,
        "to": to_stage.pk if to_stage else None,
        "missing": [{"activity": a.pk, "title": a.title, "stage": a.stage.deal_stage_id}
                    for a in missing]})


def stage_move_guard(*, actor, deal: Deal, to_stage: DealStage,
                     from_stage: DealStage | None = None) -> list[StageActivity]:
    """Called by ``deals.services`` on a stage move, and on a registration into a later
    stage (``from_stage`` the first): refuse the move when the tenant does not allow
    exceptions, else record the exception. Returns the open activities."""
    missing = stage_move_check(deal=deal, to_stage=to_stage, from_stage=from_stage)
    if not missing:
        return []
    if not require_tenant().stage_exceptions_allowed:
        titles = "; ".join(a.title for a in missing[:5]) + ("…" if len(missing) > 5 else "")
        raise DomainError(_("Finish the required activities of this stage first: %s")
                          % titles, code="activities_open")
    stage_move_record_exception(actor=actor, deal=deal, missing=missing, to_stage=to_stage,
                                from_stage=from_stage)
    return missing
