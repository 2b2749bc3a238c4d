"""The deal page: details, conflicts per audience, actions with versions, timeline, plan."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from deals.models import ActionPlanItem, Deal, DealStatus, TimelineEntry
from deals.services import (
    deal_approve,
    deal_move_stage,
    deal_request_extension,
    exchange_rate_set,
)
from deals.services_timeline import action_item_add, timeline_add
from prm.events import deliver_pending
from prm.models import Event
from prm.tenancy import tenant_scope

CHANGED = "This registration was changed meanwhile; reload it and try again."


def _url(deal, rest: str = "") -> str:
    return f"/deals/{deal.pk}/{rest}"


def _state(cast, deal) -> tuple:
    with tenant_scope(cast.acme):
        fresh = Deal.objects.get(pk=deal.pk)
        return (fresh.status, fresh.stage_id, fresh.version, fresh.protection_expires_at,
                fresh.extension_requested_at, TimelineEntry.objects.count(),
                ActionPlanItem.objects.filter(done_at__isnull=False).count(),
                Event.objects.count())


def _approved(program, **overrides):
    deal, _ = program.submit(**overrides)
    with tenant_scope(program.cast.acme):
        return deal_approve(member=program.cast.manager, deal=deal)


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


class TestWhoSeesWhat:
    def test_partner_sees_their_deal_with_everything_about_it(self, program):
        cast = program.cast
        deal, _ = program.submit(contact_name="Ina Roe", contact_email="ina@initrode.example",
                                 contact_title="CIO", notes="Wants a pilot")
        for member in (cast.partner_admin, program.northwind_user):
            page = cast.client(member).get(_url(deal))
            body = page.content.decode()
            assert page.status_code == 200
            for text in ("Initrode GmbH", "initrode.example", "Germany", "Ina Roe", "CIO",
                         "ina@initrode.example", "Cloud Suite", "50,000.00 EUR", "Qualify",
                         "Submitted", "Wants a pilot",
                         "Protection starts when the registration is approved."):
                assert text in body, text

    def test_approved_deal_shows_protection_days_left_and_reporting_amount(self, program):
        cast = program.cast
        with tenant_scope(cast.acme):
            exchange_rate_set(actor=None, currency="USD", rate=Decimal("0.5"),
                              valid_from=timezone.localdate() - timedelta(days=10))
        deal = _approved(program, currency="USD", amount=Decimal("1000"))
        body = cast.client(cast.partner_admin).get(_url(deal)).content.decode()
        assert "90 days left" in body
        assert "Reporting amount" in body
        assert "500.00 EUR" in body

    def test_a_deal_in_the_reporting_currency_shows_no_second_amount(self, program):
        deal = _approved(program)
        body = program.cast.client(program.cast.partner_admin).get(_url(deal)).content.decode()
        assert "Reporting amount" not in body

    def test_another_partner_and_another_tenant_get_404(self, program, mfa_admin):
        cast = program.cast
        deal, _ = program.submit()
        with tenant_scope(cast.acme):
            item = action_item_add(member=cast.manager, deal=deal, title="Security review")
        before = _state(cast, deal)
        outsiders = [cast.client(cast.partner_user), cast.client(cast.other_admin)]
        for client in outsiders:
            assert client.get(_url(deal)).status_code == 404
            for rest, data in [("actions/withdraw/", {"version": deal.version}),
                               ("actions/approve/", {"version": deal.version}),
                               ("actions/move-stage/", {"version": deal.version,
                                                        "stage": program.stages[1].pk}),
                               ("timeline/", {"kind": "comment", "comment-body": "hi"}),
                               ("plan/", {"plan-title": "x"}),
                               (f"plan/{item.pk}/toggle/", {"done": "1"})]:
                assert client.post(_url(deal, rest), data).status_code == 404, rest
        assert _state(cast, deal) == before

    def test_internal_notes_are_never_rendered_for_partners(self, program):
        cast = program.cast
        deal, _ = program.submit()
        with tenant_scope(cast.acme):
            timeline_add(member=cast.partner_admin, deal=deal, kind="comment", body="Demo done")
            timeline_add(member=cast.manager, deal=deal, kind="internal_note",
                         body="Margin is thin on this one")
        partner = cast.client(cast.partner_admin).get(_url(deal)).content.decode()
        vendor = cast.client(cast.manager).get(_url(deal)).content.decode()
        assert "Demo done" in partner
        assert "Margin is thin" not in partner
        assert "Internal note" not in partner  # not even the option to write one
        assert "Demo done" in vendor
        assert "Margin is thin on this one" in vendor

    def test_vendor_sees_conflicts_side_by_side_partner_only_that_one_may_exist(self, program):
        cast = program.cast
        program.submit(member=cast.partner_user, customer_name="Initrode AG")
        deal, matches = program.submit(product=program.security)  # same domain, other product
        assert matches
        vendor = cast.client(cast.manager).get(_url(deal)).content.decode()
        partner = cast.client(cast.partner_admin).get(_url(deal)).content.decode()
        assert "Possible conflicts" in vendor
        for text in ("This registration", "Same customer domain", "Contoso Ltd", "Initrode AG",
                     "Northwind Traders", "Cloud Suite", "Security Suite"):
            assert text in vendor, text
        assert "may already exist" in partner
        for secret in ("Contoso", "Initrode AG", "Same customer domain", "Possible conflicts"):
            assert secret not in partner, secret


class TestActions:
    def _post(self, client, deal, action, **data):
        data.setdefault("version", deal.version)
        return client.post(_url(deal, f"actions/{action}/"), data, follow=True)

    def test_partner_sees_only_the_actions_of_the_current_status(self, program):
        cast = program.cast
        deal, _ = program.submit()
        partner = cast.client(cast.partner_admin)
        manager = cast.client(cast.manager)
        assert program.cast.client(cast.partner_admin).get(_url(deal)).context[
            "page"].actions == {"withdraw", "move-stage"}
        assert manager.get(_url(deal)).context["page"].actions == {
            "approve", "reject", "move-stage"}
        with tenant_scope(cast.acme):
            deal_approve(member=cast.manager, deal=deal)
        assert partner.get(_url(deal)).context["page"].actions == {
            "withdraw", "move-stage", "request-extension", "close-won", "close-lost"}
        body = partner.get(_url(deal)).content.decode()
        assert "Close as won" in body
        assert ">Approve<" not in body
        assert manager.get(_url(deal)).context["page"].actions == {"move-stage"}

    def test_manager_approves_and_rejects_with_a_note(self, program):
        cast = program.cast
        deal, _ = program.submit()
        other, _ = program.submit(customer_name="Hooli", customer_domain="hooli.example")
        manager = cast.client(cast.manager)
        response = self._post(manager, deal, "approve", note="Welcome")
        assert "Registration approved." in _messages(response)
        assert _state(cast, deal)[0] == DealStatus.APPROVED
        without_note = self._post(manager, other, "reject", note=" ")
        assert "Tell the partner why." in _messages(without_note)
        assert _state(cast, other)[0] == DealStatus.SUBMITTED
        self._post(manager, other, "reject", note="Known account")
        assert _state(cast, other)[0] == DealStatus.REJECTED
        partner_view = cast.client(cast.partner_admin).get(_url(other)).content.decode()
        assert "Known account" in partner_view

    def test_a_stale_version_changes_nothing(self, program):
        cast = program.cast
        deal, _ = program.submit()
        seen = deal.version  # the manager opens the page ...
        with tenant_scope(cast.acme):  # ... and meanwhile the partner moves the stage
            deal_move_stage(member=cast.partner_admin, deal=deal, stage=program.stages[1])
        before = _state(cast, deal)
        response = self._post(cast.client(cast.manager), deal, "approve", version=seen)
        assert _messages(response) == [CHANGED]
        assert _state(cast, deal) == before
        missing = cast.client(cast.manager).post(_url(deal, "actions/approve/"), {},
                                                 follow=True)
        assert _messages(missing) == [CHANGED]
        assert _state(cast, deal) == before

    def test_a_stale_extension_request_changes_nothing(self, program):
        cast = program.cast
        deal = _approved(program)
        before = _state(cast, deal)
        response = self._post(cast.client(cast.partner_admin), deal, "request-extension",
                              version=deal.version - 1, reason="Board meets in May")
        assert _messages(response) == [CHANGED]
        assert _state(cast, deal) == before

    def test_impossible_moves_answer_with_their_message(self, program):
        cast = program.cast
        deal, _ = program.submit()
        before = _state(cast, deal)
        response = self._post(cast.client(cast.partner_admin), deal, "close-won")
        assert _messages(response) == ["A submitted registration cannot become won."]
        assert _state(cast, deal) == before

    def test_each_side_is_refused_the_others_actions(self, program):
        cast = program.cast
        deal, _ = program.submit()
        before = _state(cast, deal)
        partner, manager = cast.client(cast.partner_admin), cast.client(cast.manager)
        for action in ("approve", "reject", "grant-extension", "refuse-extension"):
            assert self._post(partner, deal, action, note="x").status_code == 404
        for action in ("withdraw", "close-won", "close-lost", "request-extension"):
            assert self._post(manager, deal, action).status_code == 404
        assert self._post(partner, deal, "no-such-action").status_code == 404
        assert cast.client(cast.partner_admin).get(_url(deal, "actions/withdraw/")
                                                  ).status_code == 405
        assert _state(cast, deal) == before

    def test_extension_is_requested_and_granted(self, program):
        cast = program.cast
        deal = _approved(program)
        partner, manager = cast.client(cast.partner_admin), cast.client(cast.manager)
        no_reason = self._post(partner, deal, "request-extension", reason="")
        assert _messages(no_reason) == ["Say why you need more time."]
        self._post(partner, deal, "request-extension", reason="Board meets in May")
        with tenant_scope(cast.acme):
            deal.refresh_from_db()
        page = manager.get(_url(deal))
        assert {"grant-extension", "refuse-extension"} <= page.context["page"].actions
        assert "Board meets in May" in page.content.decode()
        old_expiry = deal.protection_expires_at
        response = self._post(manager, deal, "grant-extension", note="OK")
        assert "Extension granted." in _messages(response)
        with tenant_scope(cast.acme):
            deal.refresh_from_db()
        assert deal.protection_expires_at > old_expiry
        assert not deal.extension_requested_at

    def test_partner_moves_the_stage_withdraws_and_closes(self, program):
        cast = program.cast
        partner = cast.client(cast.partner_admin)
        deal = _approved(program)
        response = self._post(partner, deal, "move-stage", stage=program.stages[2].pk)
        assert "Stage changed." in _messages(response)
        with tenant_scope(cast.acme):
            deal.refresh_from_db()
        assert deal.stage_id == program.stages[2].pk
        response = self._post(partner, deal, "close-won", reason="Signed")
        assert "Congratulations: the deal is closed as won." in _messages(response)
        assert _state(cast, deal)[0] == DealStatus.WON
        assert response.context["page"].actions == frozenset()
        other, _ = program.submit(customer_name="Hooli", customer_domain="hooli.example")
        self._post(partner, other, "withdraw", reason="Customer went elsewhere")
        assert _state(cast, other)[0] == DealStatus.WITHDRAWN


class TestTimeline:
    def test_comment_over_htmx_swaps_the_timeline(self, program):
        cast = program.cast
        deal, _ = program.submit()
        response = cast.client(cast.partner_admin).post(
            _url(deal, "timeline/"), {"kind": "comment", "comment-body": "Demo on Friday"},
            HTTP_HX_REQUEST="true")
        body = response.content.decode()
        assert response.status_code == 200
        assert "<html" not in body
        assert 'id="timeline"' in body
        assert "Demo on Friday" in body
        assert 'hx-swap-oob="innerHTML">Added to the timeline.' in body
        with tenant_scope(cast.acme):
            assert TimelineEntry.objects.get().kind == "comment"

    def test_plain_post_adds_and_redirects_to_the_entry(self, program):
        cast = program.cast
        deal, _ = program.submit()
        response = cast.client(cast.manager).post(
            _url(deal, "timeline/"), {"kind": "comment", "comment-body": "Margin is thin",
                                      "comment-internal": "on"})
        with tenant_scope(cast.acme):
            entry = TimelineEntry.objects.get()
        assert response["Location"] == f"/deals/{deal.pk}/#entry-{entry.pk}"
        assert entry.kind == "internal_note"

    def test_activity_and_next_step(self, program):
        cast = program.cast
        deal, _ = program.submit()
        client = cast.client(cast.partner_admin)
        client.post(_url(deal, "timeline/"), {
            "kind": "activity", "activity-activity_type": "demo",
            "activity-occurred_on": "2026-12-01", "activity-outcome": "Wants a pilot"})
        client.post(_url(deal, "timeline/"), {
            "kind": "next_step", "step-body": "Send the pilot proposal",
            "step-owner": cast.manager.pk, "step-due_on": "2026-12-10"})
        body = client.get(_url(deal)).content.decode()
        assert "Demo on 1 December 2026" in body or "Demo on Dec. 1, 2026" in body
        assert "Wants a pilot" in body
        assert "Send the pilot proposal" in body
        assert "Owner: Max Manager" in body
        with tenant_scope(cast.acme):
            step = TimelineEntry.objects.get(kind="next_step")
        assert (step.owner_id, str(step.due_on)) == (cast.manager.pk, "2026-12-10")

    def test_invalid_entries_show_errors_and_store_nothing(self, program):
        cast = program.cast
        deal, _ = program.submit()
        client = cast.client(cast.partner_admin)
        empty = client.post(_url(deal, "timeline/"), {"kind": "comment", "comment-body": ""},
                            HTTP_HX_REQUEST="true")
        assert empty.status_code == 200
        assert empty.context["comment_form"].errors["body"]
        # An owner from another partner is no choice here.
        foreign_owner = client.post(_url(deal, "timeline/"), {
            "kind": "next_step", "step-body": "x", "step-owner": cast.partner_user.pk})
        assert foreign_owner.context["step_form"].errors["owner"]
        assert 'open' in foreign_owner.content.decode().split("Agree on the next step")[0][-80:]
        assert client.post(_url(deal, "timeline/"), {"kind": "bogus"}).status_code == 400
        with tenant_scope(cast.acme):
            assert not TimelineEntry.objects.exists()

    def test_mentions_are_highlighted_and_mailed_in_the_tenants_language(self, program):
        cast = program.cast
        deal, _ = program.submit()
        cast.client(cast.partner_admin).post(_url(deal, "timeline/"), {
            "kind": "comment",
            "comment-body": "@max@acme.test can you join? cc @paul@contoso.test"})
        body = cast.client(cast.manager).get(_url(deal)).content.decode()
        assert '<mark class="mention">@max@acme.test</mark>' in body
        # Paul works for another partner: not on this deal, so neither highlighted nor mailed.
        assert '<mark class="mention">@paul@contoso.test' not in body
        with tenant_scope(cast.acme):
            entry = TimelineEntry.objects.get()
            assert deliver_pending() >= 1
        [message] = mail.outbox
        assert message.to == ["max@acme.test"]
        assert "Pat Partner mentioned you on the deal with Initrode GmbH" in message.subject
        assert "@max@acme.test can you join?" in message.body
        assert re.search(rf"http://acme\.\S+/deals/{deal.pk}/#entry-{entry.pk}", message.body)

    def test_a_mention_in_an_internal_note_never_mails_a_partner(self, program):
        cast = program.cast
        deal, _ = program.submit()
        cast.client(cast.manager).post(_url(deal, "timeline/"), {
            "kind": "comment", "comment-body": "@pat@northwind.test @ada@acme.test",
            "comment-internal": "on"})
        with tenant_scope(cast.acme):
            deliver_pending()
        assert [m.to for m in mail.outbox] == [["ada@acme.test"]]


class TestActionPlan:
    def test_both_sides_add_and_tick_off_steps(self, program):
        cast = program.cast
        deal, _ = program.submit()
        partner, manager = cast.client(cast.partner_admin), cast.client(cast.manager)
        added = partner.post(_url(deal, "plan/"), {
            "plan-title": "Security review", "plan-owner": cast.manager.pk,
            "plan-due_on": "2026-12-15"}, HTTP_HX_REQUEST="true")
        assert added.status_code == 200
        assert "<html" not in added.content.decode()
        assert "Security review" in added.content.decode()
        with tenant_scope(cast.acme):
            item = ActionPlanItem.objects.get()
        assert (item.owner_id, str(item.due_on)) == (cast.manager.pk, "2026-12-15")
        done = manager.post(_url(deal, f"plan/{item.pk}/toggle/"), {"done": "1"},
                            HTTP_HX_REQUEST="true")
        assert 'aria-pressed="true"' in done.content.decode()
        assert "1 of 1 step done" in done.content.decode()
        with tenant_scope(cast.acme):
            item.refresh_from_db()
        assert item.done_by_id == cast.manager.user_id
        reopened = partner.post(_url(deal, f"plan/{item.pk}/toggle/"), {"done": "0"})
        assert reopened["Location"] == f"/deals/{deal.pk}/#action-plan"
        with tenant_scope(cast.acme):
            item.refresh_from_db()
        assert item.done_at is None

    def test_an_empty_step_shows_an_error(self, program):
        cast = program.cast
        deal, _ = program.submit()
        response = cast.client(cast.partner_admin).post(_url(deal, "plan/"), {"plan-title": ""},
                                                        HTTP_HX_REQUEST="true")
        assert response.context["plan_form"].errors["title"]
        with tenant_scope(cast.acme):
            assert not ActionPlanItem.objects.exists()

    def test_a_step_of_another_deal_is_404(self, program):
        cast = program.cast
        deal, _ = program.submit()
        other, _ = program.submit(customer_name="Hooli", customer_domain="hooli.example")
        with tenant_scope(cast.acme):
            item = action_item_add(member=cast.manager, deal=other, title="Pilot")
        response = cast.client(cast.partner_admin).post(
            _url(deal, f"plan/{item.pk}/toggle/"), {"done": "1"})
        assert response.status_code == 404


class TestQueryCount:
    def _grow(self, program, deal, n: int) -> None:
        cast = program.cast
        authors = [cast.partner_admin, cast.manager, program.northwind_user, cast.admin]
        with tenant_scope(cast.acme):
            for i in range(n):
                author = authors[i % len(authors)]
                kind = ["comment", "activity", "next_step", "internal_note"][i % 4]
                if kind == "internal_note" and author.is_partner:
                    kind = "comment"
                timeline_add(member=author, deal=deal, kind=kind,
                             body=f"Entry {i} for @max@acme.test and @pat@northwind.test",
                             activity_type="call" if kind == "activity" else "",
                             owner=cast.manager if kind == "next_step" else None)
                action_item_add(member=author, deal=deal, title=f"Step {i}",
                                owner=cast.partner_admin)

    # The vendor reads the conflicts too; a partner only while the deal awaits review.
    @pytest.mark.parametrize(("viewer", "queries"), [("manager", 17), ("partner_admin", 16)])
    def test_deal_page_does_not_grow_with_the_timeline(self, program, viewer, queries):
        cast = program.cast
        program.submit(member=cast.partner_user)
        deal, _ = program.submit(product=program.security)  # flagged: a conflict to show
        with tenant_scope(cast.acme):
            deal_approve(member=cast.manager, deal=deal)
            deal_request_extension(member=cast.partner_admin, deal=deal, reason="More time")
        client = cast.client(getattr(cast, viewer))
        client.get(_url(deal))  # warm-up: session, content types
        self._grow(program, deal, 12)
        with CaptureQueriesContext(connection) as few:
            assert client.get(_url(deal)).status_code == 200
        self._grow(program, deal, 40)
        with CaptureQueriesContext(connection) as many:
            client.get(_url(deal))
        # tenant; savepoint, reading and setting the tenant (the scope nests in the test's
        # transaction); session, user, membership; deal; people on the deal; conflicts
        # (vendor); timeline and its mentions; stages; action plan; status history; restoring
        # the tenant setting and releasing the savepoint.
        assert len(few) == len(many) == queries
