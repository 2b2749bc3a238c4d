"""Registration lifecycle, review under concurrency (ETag/If-Match), extensions, money."""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import F
from django.utils import timezone

from deals.models import AutoApprovalRule, Deal, DealStageChange, DealStatus, DealStatusChange
from deals.services import (
    TRANSITIONS,
    deal_approve,
    deal_close_won,
    deal_expire_due,
    deal_request_extension,
    exchange_rate_set,
)
from prm.errors import DomainError, PreconditionFailed
from prm.models import Event
from prm.tenancy import tenant_scope
from tests.factories import TierFactory

D = DealStatus
ACTIONS = {D.APPROVED: ("approve", "manager"), D.REJECTED: ("reject", "manager"),
           D.WITHDRAWN: ("withdraw", "partner_admin"), D.WON: ("close-won", "partner_admin"),
           D.LOST: ("close-lost", "partner_admin")}


def _force_status(cast, deal, status):
    with tenant_scope(cast.acme):
        Deal.objects.filter(pk=deal.pk).update(status=status)


MOVES = list(itertools.product(list(D), ACTIONS))  # every state, every action


@pytest.mark.parametrize(("start", "to"), MOVES)
def test_each_action_allowed_or_refused_by_the_lifecycle(program, start, to):
    cast = program.cast
    deal, _ = program.submit()
    _force_status(cast, deal, start)
    path, who = ACTIONS[to]
    response = cast.client(getattr(cast, who)).post(
        f"/api/v1/deals/{deal.pk}/{path}/", {"note": "ok", "reason": "ok"},
        content_type="application/json")
    with tenant_scope(cast.acme):
        deal.refresh_from_db()
    if to in TRANSITIONS.get(start, ()):
        assert response.status_code == 200, response.json()
        assert deal.status == to
        with tenant_scope(cast.acme):
            change = DealStatusChange.objects.get(deal=deal, to_status=to)
            event = Event.objects.filter(subject_id=str(deal.pk)).latest("pk")
        assert (change.from_status, change.reason) == (start, "ok")
        assert event.verb == f"deal.{to}"
        assert "ok" in (event.data.get("reason"), event.data.get("note"))
    else:
        assert response.status_code == 409
        assert deal.status == start


def test_approval_starts_protection_for_the_tenant_period(program):
    deal, _ = program.submit()
    response = program.cast.client(program.cast.manager).post(
        f"/api/v1/deals/{deal.pk}/approve/", {}, content_type="application/json")
    from datetime import datetime

    expires = datetime.fromisoformat(response.json()["expires_at"])
    with tenant_scope(program.cast.acme):
        deal.refresh_from_db()
    assert deal.protection_expires_at == expires
    days = (deal.protection_expires_at - deal.decided_at).days
    assert days == program.cast.acme.deal_protection_days


def test_partners_cannot_review(program):
    deal, _ = program.submit()
    response = program.cast.client(program.cast.partner_admin).post(
        f"/api/v1/deals/{deal.pk}/approve/", {}, content_type="application/json")
    assert response.status_code == 404


def test_stale_if_match_is_412_and_changes_nothing(program):
    deal, _ = program.submit()
    manager = program.cast.client(program.cast.manager)
    etag = manager.get(f"/api/v1/deals/{deal.pk}/")["ETag"]
    # Someone else acts first.
    assert manager.post(f"/api/v1/deals/{deal.pk}/move-stage/",
                        {"stage": program.stages[1].pk}, content_type="application/json",
                        HTTP_IF_MATCH=etag).status_code == 200
    stale = manager.post(f"/api/v1/deals/{deal.pk}/approve/", {},
                         content_type="application/json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    with tenant_scope(program.cast.acme):
        deal.refresh_from_db()
    assert deal.status == D.SUBMITTED


STALE_ACTIONS = [  # (action, body, who, the deal approved first?)
    ("approve", {}, "manager", False),
    ("reject", {"note": "Not ours."}, "manager", False),
    ("withdraw", {}, "partner_admin", False),
    ("move-stage", {"stage": 2}, "manager", False),
    ("close-won", {}, "partner_admin", True),
    ("close-lost", {}, "partner_admin", True),
    ("grant-extension", {}, "manager", True),
    ("refuse-extension", {"note": "No."}, "manager", True),
]


@pytest.mark.parametrize(("action", "body", "who", "approved"), STALE_ACTIONS)
def test_every_action_with_a_stale_if_match_is_412_and_changes_nothing(program, action, body,
                                                                      who, approved):
    cast = program.cast
    deal, _ = program.submit()
    with tenant_scope(cast.acme):
        if approved:
            deal_approve(member=cast.manager, deal=deal)
            deal_request_extension(member=cast.partner_admin, deal=deal,
                                   reason="Procurement is slow.")
    client = cast.client(getattr(cast, who))
    etag = client.get(f"/api/v1/deals/{deal.pk}/")["ETag"]
    # Someone else changes the registration meanwhile: its version moves on.
    with tenant_scope(cast.acme):
        Deal.objects.filter(pk=deal.pk).update(version=F("version") + 1)
        before = Deal.objects.values().get(pk=deal.pk)
    if "stage" in body:
        body = {"stage": program.stages[1].pk}
    stale = client.post(f"/api/v1/deals/{deal.pk}/{action}/", body,
                        content_type="application/json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412, stale.json()
    with tenant_scope(cast.acme):
        assert Deal.objects.values().get(pk=deal.pk) == before
    fresh = client.post(f"/api/v1/deals/{deal.pk}/{action}/", body,
                        content_type="application/json",
                        HTTP_IF_MATCH=client.get(f"/api/v1/deals/{deal.pk}/")["ETag"])
    assert fresh.status_code == 200, fresh.json()


def test_a_stale_if_match_on_an_edit_is_412(program):
    deal, _ = program.submit()
    client = program.cast.client(program.cast.partner_admin)
    etag = client.get(f"/api/v1/deals/{deal.pk}/")["ETag"]
    with tenant_scope(program.cast.acme):
        Deal.objects.filter(pk=deal.pk).update(version=F("version") + 1)
    stale = client.patch(f"/api/v1/deals/{deal.pk}/", {"amount": "51000"},
                         content_type="application/json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    with tenant_scope(program.cast.acme):
        assert Deal.objects.get(pk=deal.pk).amount == Decimal("50000")


def test_two_managers_cannot_both_decide(program):
    deal, _ = program.submit()
    with tenant_scope(program.cast.acme):
        deal_approve(member=program.cast.manager, deal=deal, expected_version=1)
        with pytest.raises(PreconditionFailed):
            deal_approve(member=program.cast.admin, deal=deal, expected_version=1)
        with pytest.raises(DomainError):
            deal_approve(member=program.cast.admin, deal=deal)


def test_partner_edits_own_submitted_deal_and_conflicts_are_rechecked(program):
    other, _ = program.submit(member=program.cast.partner_user, customer_name="Umbrella",
                              customer_domain="umbrella.example")
    deal, _ = program.submit()
    client = program.cast.client(program.cast.partner_admin)
    response = client.patch(f"/api/v1/deals/{deal.pk}/", {"customer_domain": "umbrella.example"},
                            content_type="application/json")
    assert response.status_code == 409
    ok = client.patch(f"/api/v1/deals/{deal.pk}/", {"amount": "75000.00"},
                      content_type="application/json")
    assert ok.status_code == 200
    assert ok.json()["amount"] == "75000.00"
    # Not someone else's.
    assert client.patch(f"/api/v1/deals/{other.pk}/", {"amount": "1"},
                        content_type="application/json").status_code == 404


def test_extension_requested_then_granted(program):
    cast = program.cast
    deal, _ = program.submit()
    with tenant_scope(cast.acme):
        deal_approve(member=cast.manager, deal=deal)
        deal.refresh_from_db()
    before = deal.protection_expires_at
    partner = cast.client(cast.partner_admin)
    assert partner.post(f"/api/v1/deals/{deal.pk}/request-extension/", {"reason": ""},
                        content_type="application/json").status_code == 400
    assert partner.post(f"/api/v1/deals/{deal.pk}/request-extension/",
                        {"reason": "Procurement is slow"},
                        content_type="application/json").status_code == 200
    assert partner.post(f"/api/v1/deals/{deal.pk}/grant-extension/", {},
                        content_type="application/json").status_code == 404
    granted = cast.client(cast.manager).post(f"/api/v1/deals/{deal.pk}/grant-extension/", {},
                                             content_type="application/json")
    assert granted.status_code == 200
    with tenant_scope(cast.acme):
        deal.refresh_from_db()
        assert Event.objects.filter(verb="deal.extension_granted").count() == 1
    assert (deal.protection_expires_at - before).days == cast.acme.deal_protection_days
    assert deal.extension_requested_at is None


def test_protection_runs_out(program):
    deal, _ = program.submit()
    with tenant_scope(program.cast.acme):
        deal_approve(member=program.cast.manager, deal=deal)
        Deal.objects.filter(pk=deal.pk).update(
            protection_expires_at=timezone.now() - timedelta(minutes=1))
        assert deal_expire_due() == 1
        assert deal_expire_due() == 0
        deal.refresh_from_db()
    assert deal.status == D.EXPIRED


def test_auto_approval_rule_is_recorded_as_approver(program):
    cast = program.cast
    gold = TierFactory(tenant=cast.acme, name="Gold", rank=3)
    with tenant_scope(cast.acme):
        type(cast.northwind).objects.filter(pk=cast.northwind.pk).update(tier=gold)
        AutoApprovalRule.objects.create(name="Gold under 50k", min_tier_rank=3,
                                        max_amount=Decimal("50000"))
    small, _ = program.submit(amount=Decimal("20000"))
    big, _ = program.submit(customer_name="Big Co", customer_domain="bigco.example",
                            amount=Decimal("90000"))
    assert (small.status, small.approval_rule) == (D.APPROVED, "Gold under 50k")
    assert big.status == D.SUBMITTED


def test_foreign_currency_needs_a_rate_and_closing_freezes_it(program):
    cast = program.cast
    response = cast.client(cast.partner_admin).post("/api/v1/deals/", {
        "customer_name": "Yankee Co", "customer_domain": "yankee.example",
        "customer_country": "US", "product": program.cloud.pk, "amount": "1000",
        "currency": "USD", "expected_close_date": "2027-03-01"},
        content_type="application/json")
    assert response.status_code == 400
    assert "currency" in response.json()
    with tenant_scope(cast.acme):
        exchange_rate_set(actor=None, currency="USD", rate=Decimal("0.90"),
                          valid_from=timezone.localdate() - timedelta(days=10))
    deal, _ = program.submit(customer_name="Yankee Co", customer_domain="yankee.example",
                             amount=Decimal("1000"), currency="usd")
    assert deal.reporting_amount == Decimal("900.00")
    with tenant_scope(cast.acme):
        deal_approve(member=cast.manager, deal=deal)
        deal_close_won(member=cast.partner_admin, deal=deal)
        deal.refresh_from_db()
        frozen = (deal.reporting_amount, deal.rate_used, deal.rate_date)
        exchange_rate_set(actor=None, currency="USD", rate=Decimal("2.00"),
                          valid_from=timezone.localdate())
        deal.refresh_from_db()
    assert (deal.reporting_amount, deal.rate_used, deal.rate_date) == frozen
    assert frozen[0] == Decimal("900.00")


@pytest.mark.parametrize("code", ["XYZ", "EURO", "E1R", ""])
def test_only_iso_4217_currencies_are_accepted(program, code):
    with tenant_scope(program.cast.acme), pytest.raises(DomainError) as error:
        exchange_rate_set(actor=None, currency=code, rate=Decimal("1.1"),
                          valid_from=timezone.localdate())
    assert error.value.field == "currency"
    with pytest.raises(DomainError) as error:
        program.submit(currency=code)
    assert error.value.field == "currency"
    with tenant_scope(program.cast.acme):
        assert not Deal.objects.exists()
        assert not Event.objects.filter(verb="exchange_rate.set").exists()


def test_registered_at_cannot_be_changed(program):
    from django.db import DatabaseError, transaction

    deal, _ = program.submit()
    with tenant_scope(program.cast.acme), pytest.raises(DatabaseError, match="immutable"), \
            transaction.atomic():
        Deal.objects.filter(pk=deal.pk).update(registered_at=timezone.now() - timedelta(days=9))


def test_submit_via_api_honours_idempotency_key(program):
    client = program.cast.client(program.cast.partner_admin)
    body = {"customer_name": "Initrode", "customer_domain": "initrode.example",
            "customer_country": "DE", "product": program.cloud.pk, "amount": "1000",
            "currency": "EUR", "expected_close_date": "2027-03-01"}
    first = client.post("/api/v1/deals/", body, content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY="reg-1")
    again = client.post("/api/v1/deals/", body, content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY="reg-1")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert {"id", "status", "expires_at", "conflicts"} <= set(first.json())
    with tenant_scope(program.cast.acme):
        assert Deal.objects.count() == 1


def test_bad_input_is_400_with_field_messages(program):
    response = program.cast.client(program.cast.partner_admin).post("/api/v1/deals/", {
        "customer_name": "", "customer_domain": "gmail.com", "customer_country": "XX",
        "product": 999999, "amount": "-5", "currency": "EURO",
        "expected_close_date": "soon"}, content_type="application/json")
    assert response.status_code == 400
    assert {"customer_name", "customer_country", "product", "amount", "currency",
            "expected_close_date"} <= set(response.json())


def test_extension_refused_keeps_the_protection_and_clears_the_request(program):
    cast = program.cast
    deal, _ = program.submit()
    with tenant_scope(cast.acme):
        deal_approve(member=cast.manager, deal=deal)
        deal.refresh_from_db()
    before = deal.protection_expires_at
    cast.client(cast.partner_admin).post(f"/api/v1/deals/{deal.pk}/request-extension/",
                                         {"reason": "Procurement is slow"},
                                         content_type="application/json")
    refused = cast.client(cast.manager).post(f"/api/v1/deals/{deal.pk}/refuse-extension/",
                                             {"note": "Pipeline is stale"},
                                             content_type="application/json")
    assert refused.status_code == 200
    with tenant_scope(cast.acme):
        deal.refresh_from_db()
        verbs = list(Event.objects.filter(verb__startswith="deal.extension_")
                     .values_list("verb", flat=True).order_by("pk"))
    assert deal.protection_expires_at == before
    assert deal.extension_requested_at is None
    assert verbs == ["deal.extension_requested", "deal.extension_refused"]


@pytest.mark.parametrize("status", [D.APPROVED, D.REJECTED, D.WON, D.WITHDRAWN])
def test_only_a_submitted_registration_can_be_edited(program, status):
    deal, _ = program.submit()
    _force_status(program.cast, deal, status)
    response = program.cast.client(program.cast.partner_admin).patch(
        f"/api/v1/deals/{deal.pk}/", {"amount": "1.00"}, content_type="application/json")
    assert response.status_code == 409
    with tenant_scope(program.cast.acme):
        assert Deal.objects.get(pk=deal.pk).amount == deal.amount


def test_stage_changes_are_kept_with_who_and_when(program):
    cast = program.cast
    deal, _ = program.submit()
    first, second, third = program.stages[:3]
    client = cast.client(cast.partner_admin)
    for stage in (second, third):
        assert client.post(f"/api/v1/deals/{deal.pk}/move-stage/", {"stage": stage.pk},
                           content_type="application/json").status_code == 200
    with tenant_scope(cast.acme):
        history = list(DealStageChange.objects.filter(deal=deal).order_by("pk").values_list(
            "from_stage_id", "to_stage_id", "actor_id"))
    user = cast.partner_admin.user_id
    assert history == [(None, first.pk, user), (first.pk, second.pk, user),
                       (second.pk, third.pk, user)]


def test_auto_approval_needs_the_tier_and_no_possible_conflict(program):
    cast = program.cast
    silver = TierFactory(tenant=cast.acme, name="Silver", rank=2)
    gold = TierFactory(tenant=cast.acme, name="Gold", rank=3)
    with tenant_scope(cast.acme):
        type(cast.northwind).objects.filter(pk=cast.northwind.pk).update(tier=gold)
        type(cast.contoso).objects.filter(pk=cast.contoso.pk).update(tier=silver)
        AutoApprovalRule.objects.create(name="Gold", min_tier_rank=3)
    low_tier, _ = program.submit(member=cast.partner_user, customer_name="Silverline",
                                 customer_domain="silverline.example")
    gold_first, _ = program.submit(customer_name="Goldcrest", customer_domain="goldcrest.example")
    flagged, matches = program.submit(customer_name="Silverline AG",
                                      customer_domain="silverline-ag.example")
    assert low_tier.status == D.SUBMITTED
    assert (gold_first.status, gold_first.approval_rule) == (D.APPROVED, "Gold")
    assert matches
    assert flagged.status == D.SUBMITTED
