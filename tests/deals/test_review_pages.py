"""The review queue: oldest first, conflicts side by side, approve/reject with the version
the manager saw, bulk approval of the conflict-free ones."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from deals.models import Deal, DealConflict
from deals.services import customer_accounts_replace, deal_withdraw
from prm.models import Event
from prm.tenancy import tenant_scope
from tests.factories import MembershipFactory, PartnerFactory


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _state(cast):
    with tenant_scope(cast.acme):
        return (list(Deal.objects.order_by("pk").values_list("pk", "status", "version",
                                                             "status_reason")),
                Event.objects.count())


@pytest.fixture
def queue(program):
    """Three submitted registrations, oldest first (one with a conflict), and one already
    approved. (``registered_at`` is set at submission and immutable, so the order of
    submission is the queue's order.)"""
    cast = program.cast
    older, _ = program.submit(customer_name="Initrode GmbH", customer_domain="initrode.example")
    # Contoso registers Northwind's customer for another product: a possible conflict.
    clash, _ = program.submit(cast.partner_user, customer_name="Initrode",
                              customer_domain="https://www.initrode.example/about",
                              product=program.security)
    newest, _ = program.submit(cast.partner_user, customer_name="Umbrella Corp",
                               customer_domain="umbrella.example")
    decided, _ = program.submit(customer_name="Decided Ltd", customer_domain="decided.example")
    cast.client(cast.manager).post(f"/deals/review/{decided.pk}/decide/", {
        "decision": "approve", "version": decided.version})
    return {"older": older, "newest": newest, "clash": clash, "decided": decided}


def _decide(cast, deal, decision, note="", version=None, member=None):
    return cast.client(member or cast.manager).post(f"/deals/review/{deal.pk}/decide/", {
        "decision": decision, "version": version or deal.version, "note": note})


class TestQueue:
    def test_submitted_registrations_oldest_first(self, program, queue):
        response = program.cast.client(program.cast.manager).get("/deals/review/")
        assert response.status_code == 200
        assert [d.customer_name for d in response.context["page"].object_list] == [
            "Initrode GmbH", "Initrode", "Umbrella Corp"]
        assert "Decided Ltd" not in response.content.decode()

    def test_conflicts_are_shown_side_by_side(self, program, queue):
        body = program.cast.client(program.cast.manager).get("/deals/review/").content.decode()
        clash = body[body.index(f'id="deal-{queue["clash"].pk}"'):]
        clash = clash[:clash.index("</li>")]
        assert "1 possible conflict" in clash
        assert "review-conflict" in body
        table = clash[clash.index('<table class="table conflict-table">'):]
        # This registration first, then the matched one: partner, customer, product, status.
        assert re.search(r"This registration</th>\s*<td>Contoso Ltd</td>", table)
        assert re.search(r"<td>Northwind Traders</td>\s*<td>Initrode GmbH<br>"
                         r"<span class=\"muted\">initrode.example</span>", table)
        assert "Cloud Suite" in table
        assert "Security Suite" in table
        assert "Same customer domain" in table
        assert f'href="/deals/{queue["older"].pk}/"' in table
        # The conflicted one can't be ticked for bulk approval; the others can.
        assert f'id="select-{queue["clash"].pk}" disabled' in body
        assert f'value="{queue["older"].pk}:{queue["older"].version}" form="bulk-approve"' \
            in body

    def test_a_direct_customer_is_shown_with_its_account(self, program):
        cast = program.cast
        with tenant_scope(cast.acme):
            customer_accounts_replace(actor=None, rows=[("Globomantics AG",
                                                         "globomantics.example")])
        deal, _ = program.submit(customer_name="Globomantics",
                                 customer_domain="globomantics.example")
        body = cast.client(cast.manager).get("/deals/review/").content.decode()
        item = body[body.index(f'id="deal-{deal.pk}"'):]
        assert "Direct customer of the vendor" in item
        assert "Acme Corp (direct)" in item
        assert "Globomantics AG" in item

    def test_a_similar_name_shows_its_score(self, program):
        cast = program.cast
        program.submit(customer_name="Vandelay Industries", customer_domain="vandelay.example")
        program.submit(cast.partner_user, customer_name="Vandelay Industry",
                       customer_domain="vandelay-us.example")
        body = cast.client(cast.manager).get("/deals/review/").content.decode()
        assert "Similar customer name" in body
        assert re.search(r"\d\d% alike", body)

    def test_empty_queue(self, program):
        body = program.cast.client(program.cast.manager).get("/deals/review/").content.decode()
        assert "Nothing to review" in body

    def test_partner_people_and_outsiders_get_404(self, mfa_admin, program, queue):
        cast = program.cast
        before = _state(cast)
        for member in (cast.partner_admin, cast.partner_user):
            client = cast.client(member)
            assert client.get("/deals/review/").status_code == 404
            assert client.post(f"/deals/review/{queue['older'].pk}/decide/", {
                "decision": "approve", "version": 1}).status_code == 404
            assert client.post("/deals/review/approve/", {
                "selected": f"{queue['older'].pk}:1"}).status_code == 404
        other = cast.client(cast.other_admin)
        assert other.post(f"/deals/review/{queue['older'].pk}/decide/", {
            "decision": "approve", "version": 1}).status_code == 404
        assert _state(cast) == before


class TestDecide:
    def test_approve(self, program, queue):
        cast = program.cast
        response = _decide(cast, queue["older"], "approve", note="Welcome aboard")
        assert response.status_code == 302
        assert response["Location"] == "/deals/review/"
        with tenant_scope(cast.acme):
            deal = Deal.objects.get(pk=queue["older"].pk)
            assert Event.objects.filter(verb="deal.approved", subject_id=str(deal.pk)).exists()
        assert deal.status == "approved"
        assert deal.status_reason == "Welcome aboard"
        assert deal.protection_expires_at is not None
        assert _messages(response) == [
            "Initrode GmbH is approved; its protection runs from now."]

    def test_reject_needs_a_note(self, program, queue):
        cast = program.cast
        before = _state(cast)
        response = _decide(cast, queue["older"], "reject", note="  ")
        assert response["Location"] == f"/deals/review/#deal-{queue['older'].pk}"
        assert _messages(response) == [
            "Initrode GmbH: Tell the partner why you reject the registration."]
        assert _state(cast) == before

        response = _decide(cast, queue["older"], "reject", note="Our direct account")
        with tenant_scope(cast.acme):
            deal = Deal.objects.get(pk=queue["older"].pk)
        assert (deal.status, deal.status_reason) == ("rejected", "Our direct account")

    def test_a_stale_version_changes_nothing(self, program, queue):
        cast = program.cast
        stale = queue["newest"].version
        with tenant_scope(cast.acme):
            deal_withdraw(member=cast.partner_user, deal=queue["newest"], reason="Oops")
        before = _state(cast)
        for decision in ("approve", "reject"):
            response = _decide(cast, queue["newest"], decision, note="No", version=stale)
            assert response.status_code == 302
            assert "This registration was changed meanwhile" in _messages(response)[0]
        assert _state(cast) == before

    def test_a_conflicted_one_can_be_approved_alone(self, program, queue):
        cast = program.cast
        _decide(cast, queue["clash"], "approve")
        with tenant_scope(cast.acme):
            assert Deal.objects.get(pk=queue["clash"].pk).status == "approved"

    def test_invalid_decision_changes_nothing(self, program, queue):
        cast = program.cast
        before = _state(cast)
        response = cast.client(cast.manager).post(
            f"/deals/review/{queue['older'].pk}/decide/", {"decision": "bless", "version": "x"})
        assert response.status_code == 302
        assert _state(cast) == before

    def test_get_is_not_allowed(self, program, queue):
        response = program.cast.client(program.cast.manager).get(
            f"/deals/review/{queue['older'].pk}/decide/")
        assert response.status_code == 405


class TestBulkApprove:
    def test_approves_the_clean_ones_and_skips_conflicted_and_stale(self, program, queue):
        cast = program.cast
        extra, _ = program.submit(customer_name="Extra AG", customer_domain="extra.example")
        stale = extra.version
        with tenant_scope(cast.acme):
            Deal.objects.filter(pk=extra.pk).update(version=stale + 1)  # someone edited it
        response = cast.client(cast.manager).post("/deals/review/approve/", {"selected": [
            f"{queue['older'].pk}:{queue['older'].version}",
            f"{queue['newest'].pk}:{queue['newest'].version}",
            f"{queue['clash'].pk}:{queue['clash'].version}",
            f"{extra.pk}:{stale}",
        ]})
        assert response.status_code == 302
        with tenant_scope(cast.acme):
            statuses = dict(Deal.objects.values_list("customer_name", "status"))
            approvals = Event.objects.filter(verb="deal.approved").count()
        assert statuses == {"Initrode GmbH": "approved", "Umbrella Corp": "approved",
                            "Initrode": "submitted", "Extra AG": "submitted",
                            "Decided Ltd": "approved"}
        assert approvals == 3
        assert _messages(response) == [
            "2 registrations approved.",
            "Skipped, as they were changed meanwhile: Extra AG",
            "Skipped, as they have possible conflicts (decide on each alone): Initrode",
        ]

    def test_nothing_selected(self, program, queue):
        cast = program.cast
        before = _state(cast)
        response = cast.client(cast.manager).post("/deals/review/approve/", {})
        assert _messages(response) == ["Select the registrations to approve first."]
        assert _state(cast) == before

    def test_garbage_and_foreign_ids_change_nothing(self, program, queue):
        cast = program.cast
        before = _state(cast)
        client = cast.client(cast.manager)
        response = client.post("/deals/review/approve/", {"selected": ["x:1"]})
        assert _messages(response) == ["Reload the page and select again."]
        assert _state(cast) == before
        # Another tenant's admin posting A's ids on their own host finds nothing there.
        cast.client(cast.other_admin).post("/deals/review/approve/", {
            "selected": [f"{queue['older'].pk}:{queue['older'].version}"]})
        assert _state(cast) == before

    def test_bulk_keeps_the_page(self, program, queue):
        response = program.cast.client(program.cast.manager).post("/deals/review/approve/", {
            "selected": [f"{queue['older'].pk}:{queue['older'].version}"], "page": "2"})
        assert response["Location"] == "/deals/review/?page=2"


def test_the_queue_lists_extension_requests_soonest_to_run_out_first(program):
    from deals.services import deal_approve, deal_request_extension

    cast = program.cast
    deals = []
    with tenant_scope(cast.acme):
        for n, days in enumerate([30, 5]):
            deal, _ = program.submit(customer_name=f"Extension {n} AG",
                                     customer_domain=f"ext{n}.example")
            deal_approve(member=cast.manager, deal=deal)
            Deal.objects.filter(pk=deal.pk).update(
                protection_expires_at=timezone.now() + timedelta(days=days))
            deal_request_extension(member=cast.partner_admin, deal=deal,
                                   reason=f"Board meets in {days} days.")
            deals.append(deal)
        quiet, _ = program.submit(customer_name="No Request AG", customer_domain="nr.example")
        deal_approve(member=cast.manager, deal=quiet)
    response = cast.client(cast.manager).get("/deals/review/")
    assert [d.pk for d in response.context["extensions"]] == [deals[1].pk, deals[0].pk]
    body = response.content.decode()
    assert "Board meets in 5 days." in body
    assert "No Request AG" not in body
    assert f'href="/deals/{deals[1].pk}/#protection-heading"' in body


def test_queue_query_count_does_not_grow_with_registrations_or_conflicts(program):
    cast = program.cast
    program.submit(customer_name="First AG", customer_domain="first.example")
    client = cast.client(cast.manager)
    client.get("/deals/review/")  # warm-up
    with CaptureQueriesContext(connection) as few:
        client.get("/deals/review/")
    partners = [PartnerFactory(tenant=cast.acme) for _ in range(4)]
    for n in range(30):
        member = MembershipFactory(tenant=cast.acme, role="partner_user",
                                   partner=partners[n % 4])
        # Pairs of partners registering the same customers: many conflicts.
        program.submit(member, customer_name=f"Shared {n // 2} AG",
                       customer_domain=f"shared{n // 2}.example",
                       product=[program.cloud, program.security][n % 2])
    with tenant_scope(cast.acme):
        assert DealConflict.objects.count() >= 15
    with CaptureQueriesContext(connection) as many:
        response = client.get("/deals/review/")
    assert len(response.context["page"].object_list) == 25
    # tenant, session, user, membership; the count, the page of deals (partner, product,
    # stage and registrant joined), their conflicts (the other deal with its partner and
    # product, and the customer account joined). Nested under the test's transaction:
    # savepoint, release, and the tenant setting read, set and restored; the extension
    # requests.
    assert len(few) == len(many) == 13, [q["sql"][:70] for q in many.captured_queries]
