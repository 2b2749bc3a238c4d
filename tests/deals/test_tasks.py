"""The periodic expiry of deal protection: every tenant, once, safe to run twice."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from deals.models import AutoApprovalRule, Deal, DealStatusChange
from deals.services import deal_approve, deal_submit
from deals.tasks import expire_protection
from prm.models import Event
from prm.tenancy import tenant_scope
from tests.factories import DealStageFactory, MembershipFactory, ProductLineFactory


def _approved(program, domain: str) -> Deal:
    deal, _ = program.submit(customer_name=domain.split(".")[0].title(), customer_domain=domain)
    with tenant_scope(program.cast.acme):
        return deal_approve(member=program.cast.manager, deal=deal)


def _set_expiry(tenant, deal, delta):
    with tenant_scope(tenant):
        Deal.objects.filter(pk=deal.pk).update(protection_expires_at=timezone.now() + delta)


def _globex_deal(cast):
    """An approved deal of the other tenant whose protection has run out."""
    product = ProductLineFactory(tenant=cast.globex)
    DealStageFactory(tenant=cast.globex)
    member = MembershipFactory(tenant=cast.globex, role="partner_admin")
    with tenant_scope(cast.globex):
        deal, _ = deal_submit(member=member, partner=member.partner, customer_name="Hooli",
                              customer_domain="hooli.example", customer_country="US",
                              product=product, amount=Decimal("1000"), currency="EUR",
                              expected_close_date=timezone.localdate())
        manager = MembershipFactory(tenant=cast.globex, role="channel_manager")
        deal = deal_approve(member=manager, deal=deal)
    _set_expiry(cast.globex, deal, -timedelta(minutes=1))
    return deal


def _status(tenant, deal) -> str:
    with tenant_scope(tenant):
        return Deal.objects.get(pk=deal.pk).status


def test_expires_the_due_ones_of_every_tenant_once(program):
    cast = program.cast
    due = _approved(program, "due.example")
    not_yet = _approved(program, "later.example")
    submitted, _ = program.submit(customer_name="Waiting", customer_domain="waiting.example")
    _set_expiry(cast.acme, due, -timedelta(hours=1))
    _set_expiry(cast.acme, not_yet, timedelta(hours=1))
    foreign = _globex_deal(cast)

    assert expire_protection.apply().get() == 2

    assert _status(cast.acme, due) == "expired"
    assert _status(cast.acme, not_yet) == "approved"
    assert _status(cast.acme, submitted) == "submitted"
    assert _status(cast.globex, foreign) == "expired"
    with tenant_scope(cast.acme):
        assert list(Event.objects.filter(verb="deal.expired").values_list(
            "subject_id", flat=True)) == [str(due.pk)]
        change = DealStatusChange.objects.get(deal=due, to_status="expired")
    assert (change.from_status, change.reason) == ("approved", "The protection ended.")


def test_the_reasons_the_platform_writes_are_in_the_programs_language(program):
    """Both sides read the status history: an expiry or a rule's approval is written in
    the program's language, whoever or whatever triggered it."""
    cast = program.cast
    cast.acme.locale = "de"
    cast.acme.save(update_fields=["locale"])
    due = _approved(program, "due.example")
    _set_expiry(cast.acme, due, -timedelta(hours=1))
    expire_protection.apply().get()
    with tenant_scope(cast.acme):
        AutoApprovalRule.objects.create(name="Kleine Deals", max_amount=Decimal("100000"))
        auto, _ = program.submit(customer_name="Auto GmbH", customer_domain="auto.example")
        reasons = dict(DealStatusChange.objects.filter(to_status__in=["expired", "approved"],
                                                       deal__in=[due, auto])
                       .exclude(deal=due, to_status="approved")
                       .values_list("to_status", "reason"))
    assert reasons == {"expired": "Der Schutz ist abgelaufen.",
                       "approved": "Durch die Regel „Kleine Deals“ genehmigt."}


def test_running_twice_expires_nothing_more(program):
    cast = program.cast
    due = _approved(program, "due.example")
    _set_expiry(cast.acme, due, -timedelta(hours=1))
    assert expire_protection() == 1
    with tenant_scope(cast.acme):
        state = (list(Deal.objects.values_list("pk", "status", "version")),
                 Event.objects.count(), DealStatusChange.objects.count())

    assert expire_protection() == 0

    with tenant_scope(cast.acme):
        assert (list(Deal.objects.values_list("pk", "status", "version")),
                Event.objects.count(), DealStatusChange.objects.count()) == state


def test_inactive_tenants_are_left_alone(program):
    cast = program.cast
    due = _approved(program, "due.example")
    _set_expiry(cast.acme, due, -timedelta(hours=1))
    cast.acme.is_active = False
    cast.acme.save(update_fields=["is_active"])
    assert expire_protection() == 0
    assert _status(cast.acme, due) == "approved"


def test_beat_runs_it_every_15_minutes():
    entry = settings.CELERY_BEAT_SCHEDULE["deals-expire-protection"]
    assert entry == {"task": "deals.tasks.expire_protection", "schedule": 900.0}
    assert expire_protection.name == "deals.tasks.expire_protection"
