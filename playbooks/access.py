"""Who may do what with playbooks; lookups answer 404 for missing and not-yours alike.

Tenant admins edit and see drafts; everyone else with a membership reads published
versions only, so a playbook that was never published does not exist for them.
"""

from __future__ import annotations

from django.db.models import F
from django.http import Http404

from deals.models import Deal
from playbooks.models import (
    DiscouragedPhrase,
    GlossaryTerm,
    Playbook,
    PlaybookStage,
    PlaybookVersion,
    StageActivity,
)
from prm.access import get_for_admin
from prm.models import Membership, Role


def is_editor(member: Membership) -> bool:
    return member.role == Role.TENANT_ADMIN


def get_playbook_for_member(member: Membership, playbook_id) -> Playbook:
    playbooks = Playbook.objects.select_related("published_version__published_by")
    if not is_editor(member):
        playbooks = playbooks.filter(published_version__isnull=False)
    playbook = playbooks.filter(pk=playbook_id).first()
    if playbook is None:
        raise Http404
    return playbook


def get_playbook_for_admin(member: Membership, playbook_id) -> Playbook:
    if not is_editor(member):
        raise Http404
    return get_playbook_for_member(member, playbook_id)


def get_version_for_member(member: Membership, playbook: Playbook, number) -> PlaybookVersion:
    versions = PlaybookVersion.objects.filter(playbook=playbook, number=number)
    if not is_editor(member):
        versions = versions.filter(published_at__isnull=False)
    version = versions.first()
    if version is None:
        raise Http404
    return version


def get_draft_for_admin(member: Membership, playbook: Playbook) -> PlaybookVersion:
    """The playbook's draft; 404 when there is none (or for anyone but an admin)."""
    if not is_editor(member):
        raise Http404
    draft = PlaybookVersion.objects.filter(playbook=playbook, published_at__isnull=True).first()
    if draft is None:
        raise Http404
    return draft


def get_draft_stage_for_admin(member: Membership, stage_id) -> PlaybookStage:
    """A stage of some playbook's draft (published stages are frozen: 404)."""
    if not is_editor(member):
        raise Http404
    stage = (PlaybookStage.objects.select_related("version__playbook", "deal_stage")
             .filter(pk=stage_id, version__published_at__isnull=True).first())
    if stage is None:
        raise Http404
    return stage


def get_draft_activity_for_admin(member: Membership, activity_id) -> StageActivity:
    if not is_editor(member):
        raise Http404
    activity = (StageActivity.objects.select_related("stage__version__playbook",
                                                     "stage__deal_stage")
                .filter(pk=activity_id, stage__version__published_at__isnull=True).first())
    if activity is None:
        raise Http404
    return activity


def get_activity_for_deal(member: Membership, deal: Deal, activity_id) -> StageActivity:
    """An activity of a playbook's published version, to tick on a deal ``member`` may see
    (look the deal up with ``deals.access.get_deal_for_member`` first)."""
    activity = (StageActivity.objects.select_related("stage__deal_stage")
                .filter(pk=activity_id,
                        stage__version__playbook__published_version_id=F("stage__version_id"))
                .first())
    if activity is None:
        raise Http404
    return activity


def get_term_for_admin(member: Membership, term_id) -> GlossaryTerm:
    """Glossary terms, active or retired, are edited by tenant admins only."""
    return get_for_admin(member, GlossaryTerm.objects.all(), term_id)


def get_phrase_for_admin(member: Membership, term: GlossaryTerm, phrase_id) -> DiscouragedPhrase:
    return get_for_admin(member, DiscouragedPhrase.objects.filter(term=term), phrase_id)
