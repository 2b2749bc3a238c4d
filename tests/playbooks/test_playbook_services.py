"""Playbook services: drafts copied from the published version, edits, the diff, publishing,
acknowledgements, the deal checklist and its events, and the stage-move check.

The ``book`` fixture (tests/playbooks/conftest.py) is the cast's program with a published
playbook: one stage per deal stage, three activities each.
"""

from __future__ import annotations

import pytest

from deals.models import Deal
from playbooks import services
from playbooks.glossary import term_create
from playbooks.models import (
    DealActivityCheck,
    Playbook,
    PlaybookAcknowledgement,
    PlaybookStage,
    PlaybookVersion,
)
from playbooks.playbook_selectors import draft_diff, version_stages
from prm.errors import DomainError, InvalidInput
from prm.models import Event
from prm.tenancy import tenant_scope
from tests.playbooks.conftest import TALK


def _events(tenant, verb: str) -> list[Event]:
    with tenant_scope(tenant):
        return list(Event.objects.filter(verb=verb).order_by("pk"))


# --- drafts ------------------------------------------------------------------------------

def test_a_new_draft_copies_the_published_version(book):
    cast = book.cast
    with tenant_scope(cast.acme):
        draft, created = services.draft_get_or_create(actor=cast.admin.user,
                                                      playbook=book.playbook)
        again, created_again = services.draft_get_or_create(actor=cast.admin.user,
                                                            playbook=book.playbook)
        copied = version_stages(version_id=draft.pk)
        assert (created, created_again, again.pk) == (True, False, draft.pk)
        assert draft.number == 2
        assert draft.is_draft
        assert [s.deal_stage_id for s in copied] == [s.deal_stage_id for s in book.stages]
        assert {s.pk for s in copied}.isdisjoint({s.pk for s in book.stages})
        for old, new in zip(book.stages, copied, strict=True):
            assert (new.entry_criteria, new.exit_criteria, new.talk_track,
                    new.objection_handling) == (old.entry_criteria, old.exit_criteria,
                                                old.talk_track, old.objection_handling)
            assert ([(a.title, a.required, a.position) for a in new.activities.all()]
                    == [(a.title, a.required, a.position) for a in old.activities.all()])
    assert [e.data["version"] for e in _events(cast.acme, "playbook.draft_created")] == [2]


def test_a_published_version_is_frozen(book):
    cast = book.cast
    with tenant_scope(cast.acme):
        with pytest.raises(DomainError):
            services.stage_update(actor=cast.admin.user, stage=book.stage(1), talk_track="x")
        with pytest.raises(DomainError):
            services.activity_add(actor=cast.admin.user, stage=book.stage(1), title="x")
        with pytest.raises(DomainError):
            services.activity_remove(actor=cast.admin.user, activity=book.activities(1)[0])
        assert PlaybookStage.objects.get(pk=book.stage(1).pk).talk_track == TALK


def test_edits_show_in_the_diff_against_the_published_version(book):
    cast, actor = book.cast, book.cast.admin.user
    with tenant_scope(cast.acme):
        draft, _ = services.draft_get_or_create(actor=actor, playbook=book.playbook)
        stage = version_stages(version_id=draft.pk)[0]
        budget, deck, decision = stage.activities.order_by("position")
        services.stage_update(actor=actor, stage=stage,
                              talk_track=TALK + "\n\nAsk about {{ deal.amount }}.")
        services.activity_add(actor=actor, stage=stage, title="Book the workshop",
                              required=False)
        services.activity_remove(actor=actor, activity=deck)
        services.activity_update(actor=actor, activity=budget, required=False)
        services.activity_reorder(actor=actor, stage=stage,
                                  order=[decision.pk, budget.pk,
                                         *stage.activities.filter(title="Book the workshop")
                                         .values_list("pk", flat=True)])
        diff = draft_diff(draft=draft, published_id=book.version.pk)
    first, *others = diff
    assert first.deal_stage == book.program.stages[0]
    assert first.status == "changed"
    assert [t.field for t in first.texts] == ["talk_track"]
    assert ("+", "Ask about {{ deal.amount }}.") in first.texts[0].lines
    assert {(c.kind, c.title, c.required) for c in first.activities} == {
        ("removed", "Send the deck", False), ("added", "Book the workshop", False),
        ("changed", "Confirm the budget", False)}
    assert first.reordered
    assert [stage.status for stage in others] == ["unchanged"] * 3
    verbs = [e.verb for e in _events(cast.acme, "playbook.activities_reordered")]
    assert verbs == ["playbook.activities_reordered"]


def test_stage_texts_refuse_unknown_variables_and_blocked_words(book):
    cast, actor = book.cast, book.cast.admin.user
    with tenant_scope(cast.acme):
        term_create(actor=actor, name="registered opportunity",
                    definition="A deal a partner registered.",
                    discouraged=[{"phrase": "lead", "reason": "Once registered."}])
        draft, _ = services.draft_get_or_create(actor=actor, playbook=book.playbook)
        stage = version_stages(version_id=draft.pk)[0]
        with pytest.raises(InvalidInput) as unknown:
            services.stage_update(actor=actor, stage=stage, talk_track="Hi {{ user.password }}")
        assert unknown.value.field == "talk_track"
        stage, findings = services.stage_update(actor=actor, stage=stage,
                                                exit_criteria="The lead is qualified.")
        assert [f.found for f in findings["exit_criteria"]] == ["lead"]
        assert stage.exit_criteria == "The lead is qualified."  # warned, saved
        cast.acme.language_check_blocks = True
        cast.acme.save(update_fields=["language_check_blocks"])
    with tenant_scope(cast.acme):
        with pytest.raises(InvalidInput) as blocked:
            services.stage_update(actor=actor, stage=stage,
                                  entry_criteria="Two leads came in.")
        assert blocked.value.field == "entry_criteria"
        assert PlaybookStage.objects.get(pk=stage.pk).entry_criteria.startswith("Ready")


def test_reorder_needs_every_activity_once(book):
    cast, actor = book.cast, book.cast.admin.user
    with tenant_scope(cast.acme):
        draft, _ = services.draft_get_or_create(actor=actor, playbook=book.playbook)
        stage = version_stages(version_id=draft.pk)[0]
        ids = list(stage.activities.values_list("pk", flat=True))
        for order in ([ids[0], ids[0], ids[1]], ids[:2], [*ids, book.activities(1)[0].pk]):
            with pytest.raises(InvalidInput):
                services.activity_reorder(actor=actor, stage=stage, order=order)


# --- publishing and acknowledging ----------------------------------------------------------

def test_publishing_replaces_the_published_version_and_carries_ticks(book):
    cast, actor = book.cast, book.cast.admin.user
    deal, _ = book.program.submit()
    with tenant_scope(cast.acme):
        budget, deck, _decision = book.activities(1)
        services.deal_activity_tick(member=cast.partner_admin, deal=deal, activity=budget)
        services.deal_activity_tick(member=cast.partner_admin, deal=deal, activity=deck)
        draft, _ = services.draft_get_or_create(actor=actor, playbook=book.playbook)
        stage = version_stages(version_id=draft.pk)[0]
        services.activity_update(actor=actor, activity=stage.activities.get(title=deck.title),
                                 title="Send the new deck")
        version = services.draft_publish(actor=actor, version=draft, change_note="  New deck ")
        playbook = Playbook.objects.get(pk=book.playbook.pk)
        assert playbook.published_version == version
        assert (version.published_by, version.change_note) == (actor, "New deck")
        assert version.published_at is not None
        assert not PlaybookVersion.objects.filter(playbook=playbook,
                                                  published_at__isnull=True).exists()
        ticked = set(DealActivityCheck.objects.filter(deal=deal, activity__stage__version=version)
                     .values_list("activity__title", flat=True))
        assert ticked == {"Confirm the budget"}  # the renamed activity is a new one
        with pytest.raises(DomainError):
            services.draft_publish(actor=actor, version=version)
    event = _events(cast.acme, "playbook.published")[-1]
    assert event.data["version"] == 2
    assert event.data["checks_carried"] == 1


def test_acknowledging_twice_records_once(book):
    cast = book.cast
    with tenant_scope(cast.acme):
        first, created = services.version_acknowledge(member=cast.partner_user,
                                                      version=book.version)
        again, created_again = services.version_acknowledge(member=cast.partner_user,
                                                            version=book.version)
        assert (created, created_again, again.pk) == (True, False, first.pk)
        assert PlaybookAcknowledgement.objects.filter(version=book.version).count() == 1
        draft, _ = services.draft_get_or_create(actor=cast.admin.user, playbook=book.playbook)
        with pytest.raises(DomainError):
            services.version_acknowledge(member=cast.partner_user, version=draft)
    assert len(_events(cast.acme, "playbook.acknowledged")) == 1


# --- the checklist on a deal -------------------------------------------------------------------

def test_ticking_and_unticking_record_events_once(book):
    cast = book.cast
    deal, _ = book.program.submit()
    member = cast.partner_admin
    with tenant_scope(cast.acme):
        budget = book.activities(1)[0]
        services.deal_activity_tick(member=member, deal=deal, activity=budget)
        services.deal_activity_tick(member=member, deal=deal, activity=budget)
        assert DealActivityCheck.objects.filter(deal=deal).count() == 1
        assert services.deal_activity_untick(member=member, deal=deal, activity=budget)
        assert not services.deal_activity_untick(member=member, deal=deal, activity=budget)
    checked = _events(cast.acme, "deal.activity_checked")
    unchecked = _events(cast.acme, "deal.activity_unchecked")
    assert len(checked) == len(unchecked) == 1
    assert checked[0].subject_id == str(deal.pk)
    assert checked[0].data == {"activity": budget.pk, "title": "Confirm the budget",
                               "required": True, "stage": deal.stage_id,
                               "deal_stage": deal.stage_id, "version_id": book.version.pk}
    assert checked[0].actor == member.user


def test_an_old_versions_activity_cannot_be_ticked(book):
    cast, actor = book.cast, book.cast.admin.user
    deal, _ = book.program.submit()
    with tenant_scope(cast.acme):
        draft, _ = services.draft_get_or_create(actor=actor, playbook=book.playbook)
        services.draft_publish(actor=actor, version=draft)
        with pytest.raises(DomainError):
            services.deal_activity_tick(member=cast.partner_admin, deal=deal,
                                        activity=book.activities(1)[0])


def test_stage_move_check_lists_the_open_required_activities(book):
    cast = book.cast
    deal, _ = book.program.submit()
    qualify, discover, propose, _negotiate = book.program.stages
    with tenant_scope(cast.acme):
        budget, deck, decision = book.activities(1)
        assert services.stage_move_check(deal=deal, to_stage=discover) == [budget, decision]
        services.deal_activity_tick(member=cast.partner_admin, deal=deal, activity=budget)
        services.deal_activity_tick(member=cast.partner_admin, deal=deal, activity=deck)
        assert services.stage_move_check(deal=deal, to_stage=discover) == [decision]
        skipping = services.stage_move_check(deal=deal, to_stage=propose)
        assert [(a.stage.deal_stage, a.title) for a in skipping] == [
            (qualify, "Name the decision maker"), (discover, "Confirm the budget"),
            (discover, "Name the decision maker")]
        assert services.stage_move_check(deal=deal, to_stage=qualify) == []


def test_stage_move_guard_refuses_or_records_by_tenant_setting(book):
    cast = book.cast
    deal, _ = book.program.submit()
    discover = book.program.stages[1]
    cast.acme.stage_exceptions_allowed = False
    cast.acme.save(update_fields=["stage_exceptions_allowed"])
    with tenant_scope(cast.acme):
        with pytest.raises(DomainError) as refused:
            services.stage_move_guard(actor=cast.partner_admin.user, deal=deal,
                                      to_stage=discover)
        assert "Confirm the budget" in refused.value.message
    assert _events(cast.acme, "deal.stage_exception") == []
    cast.acme.stage_exceptions_allowed = True
    cast.acme.save(update_fields=["stage_exceptions_allowed"])
    with tenant_scope(cast.acme):
        missing = services.stage_move_guard(actor=cast.partner_admin.user, deal=deal,
                                            to_stage=discover)
    assert len(missing) == 2
    (event,) = _events(cast.acme, "deal.stage_exception")
    assert event.data["to"] == discover.pk
    assert [m["title"] for m in event.data["missing"]] == ["Confirm the budget",
                                                           "Name the decision maker"]


def test_registering_straight_into_a_later_stage_is_guarded_like_a_move(book):
    """Registering into Propose skips Qualify and Discover: refused with their open
    required activities, or registered with the exception on record, by setting."""
    cast, propose = book.cast, book.program.stages[2]
    cast.acme.stage_exceptions_allowed = False
    cast.acme.save(update_fields=["stage_exceptions_allowed"])
    with pytest.raises(InvalidInput) as refused:
        book.program.submit(stage=propose)
    assert refused.value.field == "stage"
    assert "Confirm the budget" in refused.value.message
    with tenant_scope(cast.acme):
        assert not Deal.objects.exists()
    cast.acme.stage_exceptions_allowed = True
    cast.acme.save(update_fields=["stage_exceptions_allowed"])
    deal, _ = book.program.submit(stage=propose)
    assert deal.stage == propose
    (event,) = _events(cast.acme, "deal.stage_exception")
    assert (event.subject_id, event.data["from"], event.data["to"]) == (
        str(deal.pk), book.program.stages[0].pk, propose.pk)
    first, _ = book.program.submit(customer_domain="first-stage.example",
                                   customer_name="First Stage Ltd")
    assert first.stage == book.program.stages[0]
    assert len(_events(cast.acme, "deal.stage_exception")) == 1
