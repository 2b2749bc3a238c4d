"""Demo data of the partners app: tiers, about 40 partners per tenant, a few applications."""

from __future__ import annotations

import random
from decimal import Decimal

from partners import services
from partners.models import Partner, PartnerStatus, PartnerType, Region, Tier

TIERS = [
    ("Registered", Decimal("5"), Decimal("0"), 0, 0,
     "Portal access, deal registration, standard training."),
    ("Silver", Decimal("12"), Decimal("50000"), 1, 2,
     "Deal registration protection, co-branded content, quarterly business review."),
    ("Gold", Decimal("20"), Decimal("250000"), 3, 6,
     "Market development funds, a named channel manager, lead sharing."),
    ("Platinum", Decimal("28"), Decimal("1000000"), 6, 15,
     "Joint account planning, early access to the roadmap, executive sponsor."),
]
SPECIALISATIONS = ["Cloud migration", "Security", "Data & analytics", "Managed services",
                   "Healthcare", "Public sector", "Manufacturing", "Retail"]
NAMES = ["Northwind", "Initech", "Contoso", "Fabrikam", "Tailspin", "Litware", "Proseware",
         "Adventure Works", "Wide World", "Blue Yonder", "Alpine Ski", "Coho Winery",
         "Fourth Coffee", "Lucerne", "Margie's Travel", "Trey Research", "Woodgrove",
         "Wingtip", "Humongous", "Graphic Design", "Relecloud", "VanArsdel", "Bellows",
         "Southridge", "Datum", "Nod Publishers", "Munson's", "Kinetic", "Baldwin", "Hexa",
         "Quantum Peak", "Riverbend", "Stonegate", "Brightline", "Oakridge", "Sunbeam",
         "Harbor", "Nimbus", "Cobalt", "Meridian"]
SUFFIXES = ["GmbH", "Ltd", "Inc", "AG", "LLC", "B.V.", "S.A."]
COUNTRIES = [("DE", Region.EMEA), ("AT", Region.EMEA), ("CH", Region.EMEA),
             ("GB", Region.EMEA), ("FR", Region.EMEA), ("NL", Region.EMEA),
             ("US", Region.NORTH_AMERICA), ("CA", Region.NORTH_AMERICA),
             ("BR", Region.LATAM), ("MX", Region.LATAM), ("AU", Region.APAC),
             ("JP", Region.APAC), ("SG", Region.APAC)]
STATUS_MIX = ([PartnerStatus.ACTIVE] * 20 + [PartnerStatus.ONBOARDING] * 6
              + [PartnerStatus.AT_RISK] * 4 + [PartnerStatus.APPROVED] * 3
              + [PartnerStatus.INACTIVE] * 3 + [PartnerStatus.IN_REVIEW] * 2
              + [PartnerStatus.APPLIED] * 2)
PATHS = {
    PartnerStatus.APPLIED: [],
    PartnerStatus.IN_REVIEW: [PartnerStatus.IN_REVIEW],
    PartnerStatus.APPROVED: [],
    PartnerStatus.ONBOARDING: [PartnerStatus.ONBOARDING],
    PartnerStatus.ACTIVE: [PartnerStatus.ONBOARDING, PartnerStatus.ACTIVE],
    PartnerStatus.AT_RISK: [PartnerStatus.ONBOARDING, PartnerStatus.ACTIVE,
                            PartnerStatus.AT_RISK],
    PartnerStatus.INACTIVE: [PartnerStatus.ONBOARDING, PartnerStatus.ACTIVE,
                             PartnerStatus.INACTIVE],
}


def demo_partner(name: str, domain: str) -> Partner:
    """The named demo partner (used by the demo people), created if missing."""
    partner = Partner.objects.filter(domain=domain).first()
    return partner or services.partner_create(
        actor=None, name=name, website=f"https://www.{domain}", partner_type=PartnerType.RESELLER,
        country="DE", region=Region.EMEA, tier=Tier.objects.order_by("rank").first(),
        status=PartnerStatus.ACTIVE)


def seed(*, tenant_slug: str, managers=()) -> None:
    """Idempotent: does nothing once the tenant has tiers."""
    if Tier.objects.exists():
        return
    rng = random.Random(tenant_slug)
    tiers = [services.tier_create(actor=None, name=name, rank=rank, discount_percent=discount,
                                  min_revenue_12m=revenue, min_certified_people=certified,
                                  min_deals_won=won, benefits=benefits)
             for rank, (name, discount, revenue, certified, won, benefits)
             in enumerate(TIERS, start=1)]
    specialisations = services.specialisations_by_name(SPECIALISATIONS)
    for index, base in enumerate(NAMES):
        country, region = rng.choice(COUNTRIES)
        target = STATUS_MIX[index % len(STATUS_MIX)]
        domain = base.lower().replace(" ", "").replace("'", "") + f"-{tenant_slug}.example"
        early = target in (PartnerStatus.APPLIED, PartnerStatus.IN_REVIEW)
        start = PartnerStatus.APPLIED if early else PartnerStatus.APPROVED
        partner = services.partner_create(
            actor=None, name=f"{base} {rng.choice(SUFFIXES)}", website=f"https://www.{domain}",
            country=country, region=region, partner_type=rng.choice(PartnerType.values),
            tier=rng.choices(tiers, weights=[5, 4, 2, 1])[0],
            manager=rng.choice(managers) if managers else None,
            specialisations=rng.sample(specialisations, k=rng.randint(0, 3)), status=start)
        for step in PATHS[target]:
            reason = {PartnerStatus.AT_RISK: "No registered deal in 120 days",
                      PartnerStatus.INACTIVE: "Contract ended"}.get(step, "")
            partner = services.partner_transition(actor=None, partner=partner, to_status=step,
                                                  reason=reason)
    for company, site, kind, country in [
        ("Evergreen Systems", "evergreen-systems.example", PartnerType.MSP, "DE"),
        ("Polar Bear IT", "polarbear-it.example", PartnerType.RESELLER, "SE"),
        ("Cloudwise Consulting", "cloudwise.example", PartnerType.REFERRAL, "US"),
        # Already in the program: the review queue flags it instead of duplicating it.
        ("Northwind (second office)", f"northwind-{tenant_slug}.example", PartnerType.RESELLER,
         "DE"),
    ]:
        services.application_submit(
            company_name=company, website=f"https://{site}", country=country, partner_type=kind,
            regions=[Region.EMEA], specialisations=["Security"],
            contact_name="Jordan Applicant", contact_email=f"jordan@{site}",
            message="We serve mid-market customers and want to add your product to our portfolio.")
