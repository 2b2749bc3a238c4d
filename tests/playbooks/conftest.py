"""Fixtures of the playbook tests: ``book``, the cast's deal program with a published
playbook (one stage per deal stage, three activities each)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from playbooks import services
from playbooks.models import Playbook, PlaybookStage, PlaybookVersion, StageActivity
from playbooks.playbook_selectors import version_stages
from prm.tenancy import tenant_scope
from tests.deals.conftest import Program, program  # noqa: F401 - a fixture

TALK = "Hello {{ contact.name }}, {{ partner.name }} helps **{{ customer.name }}**."
ACTIVITIES = [("Confirm the budget", True), ("Send the deck", False),
              ("Name the decision maker", True)]


@dataclass
class Book:
    cast: object
    program: Program
    playbook: Playbook
    version: PlaybookVersion
    stages: list[PlaybookStage]

    def stage(self, rank: int) -> PlaybookStage:
        return self.stages[rank - 1]

    def activities(self, rank: int) -> list[StageActivity]:
        return list(self.stage(rank).activities.order_by("position"))


def publish_playbook(cast, deal_stages, *, name="New logo — mid-market") -> Playbook:
    actor = cast.admin.user
    playbook = services.playbook_create(actor=actor, name=name, deal_stages=deal_stages)
    draft, _created = services.draft_get_or_create(actor=actor, playbook=playbook)
    for stage in version_stages(version_id=draft.pk):
        services.stage_update(actor=actor, stage=stage,
                              entry_criteria=f"Ready for {stage.deal_stage.name}.",
                              exit_criteria=f"Done with {stage.deal_stage.name}.",
                              talk_track=TALK, objection_handling="Listen first.")
        for title, required in ACTIVITIES:
            services.activity_add(actor=actor, stage=stage, title=title, required=required)
    services.draft_publish(actor=actor, version=draft, change_note="First version")
    playbook.refresh_from_db()
    return playbook


@pytest.fixture
def book(cast, program) -> Book:  # noqa: F811 - the fixture imported above
    with tenant_scope(cast.acme):
        playbook = publish_playbook(cast, program.stages)
        version = playbook.published_version
        stages = version_stages(version_id=version.pk)
    return Book(cast, program, playbook, version, stages)
