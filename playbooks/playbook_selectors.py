"""Reads of playbooks: lists, versions, the draft's diff, who acknowledged, and the
playbook panel of a deal page. Scoped to the member: only admins ever see a draft."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, OuterRef, Prefetch, QuerySet, Subquery
from django.utils.functional import cached_property
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from deals.models import Deal, DealStage
from partners.models import PartnerStatus
from playbooks.access import is_editor
from playbooks.markdown import deal_values, render_markdown, render_talk_track
from playbooks.models import (
    DealActivityCheck,
    Playbook,
    PlaybookAcknowledgement,
    PlaybookStage,
    PlaybookVersion,
    StageActivity,
)
from prm.models import PARTNER_ROLES, Membership

# Partners whose people are expected to know the playbook.
WORKING_PARTNER_STATUSES = (PartnerStatus.ONBOARDING, PartnerStatus.ACTIVE,
                            PartnerStatus.AT_RISK)
TEXT_LABELS = {
    "entry_criteria": _("Entry criteria"),
    "exit_criteria": _("Exit criteria"),
    "talk_track": _("Talk track"),
    "objection_handling": _("Objection handling"),
}


def playbook_list(*, member: Membership) -> QuerySet[Playbook]:
    """The playbooks ``member`` may read, with whether they acknowledged the current one
    (and, for admins, the number of the open draft)."""
    playbooks = Playbook.objects.select_related("published_version").annotate(
        stage_count=Count("published_version__stages", distinct=True),
        acknowledged=Exists(PlaybookAcknowledgement.objects.filter(
            version_id=OuterRef("published_version_id"), membership=member)))
    if is_editor(member):
        playbooks = playbooks.annotate(draft_number=Subquery(
            PlaybookVersion.objects.filter(playbook=OuterRef("pk"), published_at__isnull=True)
            .values("number")[:1]))
    else:
        playbooks = playbooks.filter(published_version__isnull=False)
    return playbooks.order_by("name", "pk")


def version_list(*, member: Membership, playbook: Playbook) -> QuerySet[PlaybookVersion]:
    versions = (PlaybookVersion.objects.filter(playbook=playbook).select_related("published_by")
                .annotate(acknowledgement_count=Count("acknowledgements")))
    if not is_editor(member):
        versions = versions.filter(published_at__isnull=False)
    return versions.order_by("-number")


def playbook_draft(*, playbook: Playbook) -> PlaybookVersion | None:
    return PlaybookVersion.objects.filter(playbook=playbook, published_at__isnull=True).first()


def version_stages(*, version_id: int | None) -> list[PlaybookStage]:
    """A version's stages in deal-stage order, each with its checklist (three queries)."""
    if version_id is None:
        return []
    return list(PlaybookStage.objects.filter(version_id=version_id)
                .select_related("deal_stage")
                .prefetch_related(Prefetch("activities",
                                           StageActivity.objects.order_by("position", "pk")))
                .order_by("deal_stage__rank", "pk"))


def has_acknowledged(*, member: Membership, version: PlaybookVersion | None) -> bool:
    if version is None:
        return False
    return PlaybookAcknowledgement.objects.filter(version=version, membership=member).exists()


def acknowledgement_overview(*, version: PlaybookVersion) -> list[Membership]:
    """Partner people of working partners, each with ``acknowledged_at`` (or None)."""
    acks = PlaybookAcknowledgement.objects.filter(version=version, membership=OuterRef("pk"))
    return list(Membership.objects.filter(role__in=PARTNER_ROLES, is_active=True,
                                          partner__status__in=WORKING_PARTNER_STATUSES)
                .select_related("user", "partner")
                .annotate(acknowledged_at=Subquery(acks.values("acknowledged_at")[:1]))
                .order_by("partner__name", "user__full_name", "user__email"))


def deal_stage_choices() -> QuerySet[DealStage]:
    return DealStage.objects.order_by("rank")


# --- the diff of a draft against the published version ----------------------------------

@dataclass
class TextChange:
    field: str
    label: str
    lines: list[tuple[str, str]]  # ("+" added, "-" removed, " " context, "…" gap, text)


@dataclass
class ActivityChange:
    kind: str  # added, removed, changed
    title: str
    required: bool
    was_required: bool | None = None


@dataclass
class StageDiff:
    deal_stage: DealStage
    status: str  # added, removed, changed, unchanged
    texts: list[TextChange] = field(default_factory=list)
    activities: list[ActivityChange] = field(default_factory=list)
    reordered: bool = False

    @property
    def changed(self) -> bool:
        return self.status != "unchanged"


def _line_diff(before: str, after: str) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = []
    for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=2):
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            if lines:
                lines.append(("…", ""))
            continue
        lines.append((line[:1], line[1:]))
    return lines


def _activity_diff(before: list[StageActivity],
                   after: list[StageActivity]) -> tuple[list[ActivityChange], bool]:
    old = {a.title.casefold(): a for a in before}
    new = {a.title.casefold(): a for a in after}
    changes = [ActivityChange("removed", a.title, a.required) for key, a in old.items()
               if key not in new]
    for key, activity in new.items():
        if key not in old:
            changes.append(ActivityChange("added", activity.title, activity.required))
        elif old[key].required != activity.required or old[key].title != activity.title:
            changes.append(ActivityChange("changed", activity.title, activity.required,
                                          was_required=old[key].required))
    common_before = [key for key in old if key in new]
    common_after = [key for key in new if key in old]
    return changes, common_before != common_after


def draft_diff(*, draft: PlaybookVersion,
               published_id: int | None) -> list[StageDiff]:
    """What the draft changes against the published version, stage by stage."""
    before = {s.deal_stage_id: s for s in version_stages(version_id=published_id)}
    after = {s.deal_stage_id: s for s in version_stages(version_id=draft.pk)}
    stages = sorted({**before, **after}.items(),
                    key=lambda item: (item[1].deal_stage.rank, item[0]))
    diffs = []
    for deal_stage_id, stage in stages:
        old, new = before.get(deal_stage_id), after.get(deal_stage_id)
        diff = StageDiff(stage.deal_stage, "changed")
        if old is None or new is None:
            diff.status = "added" if old is None else "removed"
        for name, label in TEXT_LABELS.items():
            old_text = getattr(old, name) if old else ""
            new_text = getattr(new, name) if new else ""
            if old_text != new_text:
                diff.texts.append(TextChange(name, str(label), _line_diff(old_text, new_text)))
        diff.activities, diff.reordered = _activity_diff(
            list(old.activities.all()) if old else [], list(new.activities.all()) if new else [])
        if diff.status == "changed" and not (diff.texts or diff.activities or diff.reordered):
            diff.status = "unchanged"
        diffs.append(diff)
    return diffs


# --- the playbook on a deal page ----------------------------------------------------------

def _published() -> QuerySet[PlaybookStage]:
    """Stages of the versions that are published now (not of older versions)."""
    return PlaybookStage.objects.filter(version__playbook__published_version_id=F("version_id"))


def published_stages() -> dict[int, PlaybookStage]:
    """Deal stage id → the published playbook stage bound to it. When several playbooks
    bind the same deal stage, the oldest playbook's stage applies."""
    rows = _published().select_related("deal_stage").order_by("-version__playbook_id")
    return {stage.deal_stage_id: stage for stage in rows}


def published_stage_for(deal_stage_id: int) -> PlaybookStage | None:
    return (_published().filter(deal_stage_id=deal_stage_id)
            .select_related("version__playbook", "deal_stage")
            .order_by("version__playbook_id").first())


@dataclass
class ChecklistItem:
    activity: StageActivity
    checked: bool


@dataclass
class DealStagePanel:
    """What the playbook says about a deal where it stands now."""

    deal: Deal
    member: Membership
    stage: PlaybookStage | None

    @property
    def playbook(self) -> Playbook | None:
        return self.stage.version.playbook if self.stage else None

    @property
    def version(self) -> PlaybookVersion | None:
        return self.stage.version if self.stage else None

    @cached_property
    def checklist(self) -> list[ChecklistItem]:
        if self.stage is None:
            return []
        ticked = DealActivityCheck.objects.filter(deal=self.deal, activity=OuterRef("pk"))
        rows = (StageActivity.objects.filter(stage=self.stage)
                .annotate(checked=Exists(ticked)).order_by("position", "pk"))
        return [ChecklistItem(row, row.checked) for row in rows]

    @property
    def open_required(self) -> list[StageActivity]:
        return [item.activity for item in self.checklist
                if item.activity.required and not item.checked]

    @property
    def done_count(self) -> int:
        return sum(1 for item in self.checklist if item.checked)

    @cached_property
    def next_stage(self) -> DealStage | None:
        return DealStage.objects.filter(rank__gt=self.deal.stage.rank).order_by("rank").first()

    @property
    def can_tick(self) -> bool:
        return self.deal.is_open

    @cached_property
    def acknowledged(self) -> bool:
        return has_acknowledged(member=self.member, version=self.version)

    @cached_property
    def talk_track(self) -> SafeString:
        return render_talk_track(self.stage.talk_track if self.stage else "",
                                 deal_values(self.deal))

    @cached_property
    def entry_criteria(self) -> SafeString:
        return render_markdown(self.stage.entry_criteria if self.stage else "")

    @cached_property
    def exit_criteria(self) -> SafeString:
        return render_markdown(self.stage.exit_criteria if self.stage else "")

    @cached_property
    def objection_handling(self) -> SafeString:
        return render_markdown(self.stage.objection_handling if self.stage else "")

    @cached_property
    def content(self) -> list:
        """The library items linked to the deal's stage that the member may see."""
        from playbooks.content import content_visible
        from playbooks.models import ContentStage

        linked = ContentStage.objects.filter(content=OuterRef("pk"),
                                             deal_stage_id=self.deal.stage_id)
        return list(content_visible(member=self.member).filter(Exists(linked))
                    .order_by("title", "pk")[:10])


def deal_stage_panel(*, member: Membership, deal: Deal) -> DealStagePanel:
    """The deal's playbook panel; ``deal`` comes from ``get_deal_for_member`` (with its
    partner, product and stage loaded), so the member may see it."""
    return DealStagePanel(deal, member, published_stage_for(deal.stage_id))


def deal_stage_panel_context(member: Membership, deal: Deal) -> dict:
    """Context for ``playbooks/partials/deal_stage_panel.html``: ``{"playbook_panel": ...}``."""
    return {"playbook_panel": deal_stage_panel(member=member, deal=deal)}
