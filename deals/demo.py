"""Demo data of the deals app: the program's products, stages, rate, rule and direct
customers, and about 300 registrations across the demo partners, statuses and stages,
a few with conflicts, some with timelines. Idempotent per tenant.

Everything goes through the services (so events, histories and conflicts are real);
only the protection ends are spread afterwards, so they end on different days.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from deals import services, services_settings, services_timeline
from deals.models import Deal, DealStage, DealStatus, TimelineEntry
from partners.models import Partner, PartnerStatus, Tier
from prm.models import Membership
from prm.tenancy import require_tenant

PRODUCTS = ["Cloud Suite", "Security Suite", "Data Platform", "Support Plus"]
STAGES = ["Qualify", "Discover", "Propose", "Negotiate", "Commit"]
DIRECT_CUSTOMERS = [("Globomantics AG", "globomantics.example"),
                    ("Umbrella Health plc", "umbrella-health.example"),
                    ("Stark Industrial GmbH", "stark-industrial.example"),
                    ("Wayne Logistics Inc", "")]
FIRST = ["Apex", "Blue River", "Cedar", "Dolomite", "Evergreen", "Falcon", "Granite", "Harbour",
         "Iris", "Juniper", "Kestrel", "Lakeside", "Maple", "Northstar", "Orchid", "Pinnacle",
         "Quarry", "Redwood", "Silverline", "Tidewater", "Upland", "Vireo", "Westbrook",
         "Yarrow", "Zephyr", "Amber", "Bristle", "Copper", "Delta Bay", "Ember"]
SECOND = ["Logistics", "Health", "Foods", "Energy", "Bank", "Retail", "Motors", "Media",
          "Pharma", "Textiles"]
LEGAL = ["GmbH", "AG", "Ltd", "Inc", "LLC", "S.A.", "B.V.", ""]
COUNTRIES = ["DE", "DE", "DE", "AT", "CH", "GB", "FR", "NL", "US", "US", "CA", "SE", "ES"]
# Target status of the regular registrations (weights add up to 100).
STATUS_WEIGHTS = {DealStatus.SUBMITTED: 16, DealStatus.APPROVED: 36, DealStatus.WON: 18,
                  DealStatus.LOST: 10, DealStatus.REJECTED: 7, DealStatus.WITHDRAWN: 5,
                  DealStatus.EXPIRED: 8}
REJECT_NOTES = ["The customer is served by our direct sales team.",
                "Too early: come back when there is a budget and a project.",
                "Outside your contracted territory."]
COMMENTS = ["Customer confirmed the budget for this quarter.",
            "Can we get a technical specialist for the workshop next week?",
            "Sent the proposal; waiting for procurement.",
            "The champion moved to another team; we are mapping the new stakeholders."]
NOTES = ["Strategic account for the region; keep an eye on pricing.",
         "Partner tends to register early; check the opportunity is real."]
OUTCOMES = ["Discovery done, pain points clear.", "Demo went well; they want a pilot.",
            "Pricing discussed; need a discount approval."]


def seed(*, tenant_slug: str, vendor: list[Membership], count: int = 300) -> None:
    """Idempotent: does nothing once the tenant has deal stages."""
    if DealStage.objects.exists():
        return
    rng = random.Random(f"deals-{tenant_slug}")
    manager = next((m for m in vendor if m.role == "channel_manager"), vendor[0])
    products = [services_settings.product_line_create(actor=None, name=n) for n in PRODUCTS]
    stages = [services_settings.deal_stage_create(actor=None, name=n) for n in STAGES]
    _program(manager)
    partners = list(Partner.objects.filter(status__in=[
        PartnerStatus.ACTIVE, PartnerStatus.AT_RISK, PartnerStatus.ONBOARDING]).order_by("pk"))
    people: dict[int, list[Membership]] = {}
    for member in Membership.objects.filter(partner__isnull=False, is_active=True).order_by("pk"):
        people.setdefault(member.partner_id, []).append(member)
    own = [Partner.objects.get(pk=pk) for pk in people]  # the demo people's companies
    seeder = _Seeder(rng, manager, products, stages, people)
    customers = _customers(rng, count)
    for index, (name, domain) in enumerate(customers):
        partner = own[index % len(own)] if own and index % 8 == 0 else rng.choice(partners)
        status = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]
        seeder.register(partner, name, domain, status)
    seeder.conflicts(partners, own)
    seeder.timelines()
    seeder.spread_dates()
    services.deal_expire_due()


def _program(manager: Membership) -> None:
    tenant = require_tenant()
    today = timezone.localdate()
    other = "USD" if tenant.default_currency != "USD" else "EUR"
    for days_ago, rate in ((365, "0.91"), (30, "0.93")):
        services.exchange_rate_set(actor=None, currency=other, rate=Decimal(rate),
                                   valid_from=today - timedelta(days=days_ago))
    gold = Tier.objects.filter(name="Gold").first()
    services_settings.auto_approval_rule_create(
        actor=None, name="Gold partners, up to 50,000", min_tier_rank=gold.rank if gold else 3,
        max_amount=Decimal("50000"))
    services.customer_accounts_replace(actor=None, rows=DIRECT_CUSTOMERS)


def _customers(rng: random.Random, count: int) -> list[tuple[str, str]]:
    pairs = [(a, b) for a in FIRST for b in SECOND]
    rng.shuffle(pairs)
    result = []
    for a, b in pairs[:count]:
        suffix = rng.choice(LEGAL)
        slug = f"{a}{b}".lower().replace(" ", "")
        result.append((f"{a} {b} {suffix}".strip(), f"{slug}.example"))
    return result


class _Seeder:
    def __init__(self, rng, manager, products, stages, people):
        self.rng, self.manager, self.products, self.stages = rng, manager, products, stages
        self.people = people
        self.deals: list[Deal] = []
        self.currency = require_tenant().default_currency
        self.other = "USD" if self.currency != "USD" else "EUR"

    def _registrant(self, partner: Partner) -> Membership:
        members = self.people.get(partner.pk)
        return self.rng.choice(members) if members else self.manager

    def register(self, partner: Partner, name: str, domain: str, status: str, *,
                 product=None) -> Deal:
        rng = self.rng
        closed = status in (DealStatus.WON, DealStatus.LOST)
        stage_index = len(self.stages) - 1 if status == DealStatus.WON else rng.randrange(
            len(self.stages) - 1 if closed else len(self.stages))
        deal, _matches = services.deal_submit(
            member=self._registrant(partner), partner=partner, customer_name=name,
            customer_domain=domain, customer_country=partner.country or rng.choice(COUNTRIES),
            product=product or rng.choice(self.products),
            amount=Decimal(rng.randrange(4, 400) * 1000 + rng.choice([0, 500])),
            currency=self.other if rng.random() < 0.15 else self.currency,
            expected_close_date=timezone.localdate() + timedelta(
                days=rng.randint(-60, -5) if closed else rng.randint(10, 200)),
            stage=self.stages[0],
            contact_name=rng.choice(["Alex Kim", "Sam Weber", "Jo Martin", "Ria Patel"]),
            contact_email=f"buyer@{domain}", contact_title="Head of IT")
        deal = self._move(deal, status, stage_index)
        self.deals.append(deal)
        return deal

    def _move(self, deal: Deal, status: str, stage_index: int) -> Deal:
        registrant = deal.registered_by
        if stage_index:
            deal = services.deal_move_stage(member=registrant, deal=deal,
                                            stage=self.stages[stage_index])
        if status == DealStatus.SUBMITTED or deal.has_conflict:
            return deal
        if status == DealStatus.REJECTED and deal.status == DealStatus.SUBMITTED:
            return services.deal_reject(member=self.manager, deal=deal,
                                        note=self.rng.choice(REJECT_NOTES))
        if status == DealStatus.WITHDRAWN:
            return services.deal_withdraw(member=registrant, deal=deal,
                                          reason="The customer postponed the project.")
        if deal.status == DealStatus.SUBMITTED:
            deal = services.deal_approve(member=self.manager, deal=deal)
        if status == DealStatus.WON:
            return services.deal_close_won(member=registrant, deal=deal, reason="Signed.")
        if status == DealStatus.LOST:
            return services.deal_close_lost(member=registrant, deal=deal,
                                            reason="Lost to a competitor on price.")
        if status == DealStatus.EXPIRED:
            deal.demo_expire = True
        return deal

    def conflicts(self, partners: list[Partner], own: list[Partner]) -> None:
        """A few registrations that collide: the same customer with another product,
        similar names, and the vendor's direct customers."""
        open_deals = [d for d in self.deals if d.is_open]
        for deal in open_deals[:4]:
            other = next(p for p in [*own, *partners] if p.pk != deal.partner_id)
            product = next(p for p in self.products if p.pk != deal.product_id)
            self.register(other, deal.customer_name, f"www.{deal.customer_domain}",
                          DealStatus.SUBMITTED, product=product)
        first = partners[0]
        second = next((p for p in [*own, *partners] if p.pk != first.pk), first)
        for name, domain, partner in (("Initrode GmbH", "initrode.example", first),
                                      ("Initrode Group Ltd", "initrode-group.example", second),
                                      ("Vandelay Industries", "vandelay.example", first),
                                      ("Vandelay Industries Inc", "vandelay-us.example", second)):
            self.register(partner, name, domain, DealStatus.SUBMITTED)
        for name, domain in DIRECT_CUSTOMERS[:2]:
            self.register(self.rng.choice(partners), name, domain, DealStatus.SUBMITTED)

    def timelines(self) -> None:
        """Comments both ways, internal notes, activities and next steps on some deals."""
        rng = self.rng
        chosen = [d for d in self.deals if d.partner_id in self.people][:12]
        chosen += rng.sample(self.deals, k=min(15, len(self.deals)))
        for deal in {d.pk: d for d in chosen}.values():
            partner_side = self._registrant(deal.partner)
            services_timeline.timeline_add(
                member=partner_side, deal=deal, kind=TimelineEntry.Kind.COMMENT,
                body=rng.choice(COMMENTS))
            services_timeline.timeline_add(
                member=self.manager, deal=deal, kind=TimelineEntry.Kind.COMMENT,
                body="Thanks, I have looped in our solution engineer.")
            services_timeline.timeline_add(
                member=self.manager, deal=deal, kind=TimelineEntry.Kind.INTERNAL_NOTE,
                body=rng.choice(NOTES))
            services_timeline.timeline_add(
                member=partner_side, deal=deal, kind=TimelineEntry.Kind.ACTIVITY,
                activity_type=rng.choice(TimelineEntry.ActivityType.values),
                occurred_on=timezone.localdate() - timedelta(days=rng.randint(1, 20)),
                outcome=rng.choice(OUTCOMES))
            if deal.is_open:
                services_timeline.timeline_add(
                    member=self.manager, deal=deal, kind=TimelineEntry.Kind.NEXT_STEP,
                    body="Joint workshop with the customer's IT team.", owner=self.manager,
                    due_on=timezone.localdate() + timedelta(days=rng.randint(3, 21)))

    def spread_dates(self) -> None:
        """Protection ends spread over the coming weeks (a few soon), and the ones meant
        to expire already past. (``registered_at`` stays as it is: a trigger keeps it
        immutable, since first-in-wins depends on it.)"""
        rng, now = self.rng, timezone.now()
        rows = []
        for deal in self.deals:
            if getattr(deal, "demo_expire", False):
                expires = now - timedelta(days=1)
            elif deal.status == DealStatus.APPROVED:
                expires = now + timedelta(days=rng.randint(2, 88), hours=rng.randint(0, 23))
            else:
                continue
            rows.append(Deal(pk=deal.pk, protection_expires_at=expires))
        Deal.objects.bulk_update(rows, ["protection_expires_at"], batch_size=500)
