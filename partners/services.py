"""Writes of the partners app: partners and their lifecycle, tiers, applications, team."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.models import (
    Partner,
    PartnerApplication,
    PartnerSpecialisation,
    PartnerStatus,
    PartnerStatusChange,
    Specialisation,
    Tier,
)
from prm.domains import InvalidDomain, is_free_email_domain, normalise_domain
from prm.errors import DomainError, InvalidInput
from prm.events import record_event
from prm.models import PARTNER_ROLES, Membership, Role

S = PartnerStatus

# The lifecycle: from each status, where a partner may go next.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.APPLIED: frozenset({S.IN_REVIEW, S.DECLINED}),
    S.IN_REVIEW: frozenset({S.APPROVED, S.DECLINED}),
    S.APPROVED: frozenset({S.ONBOARDING, S.INACTIVE}),
    S.DECLINED: frozenset(),
    S.ONBOARDING: frozenset({S.ACTIVE, S.INACTIVE}),
    S.ACTIVE: frozenset({S.AT_RISK, S.INACTIVE}),
    S.AT_RISK: frozenset({S.ACTIVE, S.INACTIVE}),
    S.INACTIVE: frozenset({S.ACTIVE}),
}
REASON_REQUIRED = frozenset({S.DECLINED, S.INACTIVE, S.AT_RISK})
INITIAL_STATUSES = frozenset({S.APPLIED, S.APPROVED, S.ONBOARDING, S.ACTIVE})
PARTNER_FIELDS = ("name", "website", "domain", "country", "region", "partner_type", "tier",
                  "manager")


def _domain_or_error(raw: str, *, field: str = "domain") -> str:
    try:
        domain = normalise_domain(raw)
    except InvalidDomain as error:
        raise InvalidInput(str(error), field=field) from None
    if is_free_email_domain(domain):
        raise InvalidInput(_("%(domain)s is a free e-mail provider; enter the company's own "
                             "domain.") % {"domain": domain}, field=field)
    return domain


def _check_manager(manager: Membership | None) -> None:
    if manager is not None and (manager.role not in (Role.CHANNEL_MANAGER, Role.TENANT_ADMIN)
                                or not manager.is_active):
        raise InvalidInput(_("The manager must be an active channel manager or admin."),
                           field="manager")


def specialisations_by_name(names: list[str]) -> list[Specialisation]:
    """The tenant's specialisations with these names, created where missing."""
    wanted: dict[str, str] = {}  # lower-case key -> the first spelling given
    for name in names:
        if name and name.strip():
            wanted.setdefault(name.strip().lower(), name.strip())
    existing = {s.lname: s for s in Specialisation.objects.annotate(lname=Lower("name"))
                .filter(lname__in=list(wanted))} if wanted else {}
    for key, name in wanted.items():
        if key not in existing:
            existing[key] = Specialisation.objects.create(name=name[:80])
    return [existing[key] for key in wanted]


def _set_specialisations(partner: Partner, specialisations: list[Specialisation]) -> None:
    PartnerSpecialisation.objects.filter(partner=partner).exclude(
        specialisation__in=specialisations).delete()
    have = set(PartnerSpecialisation.objects.filter(partner=partner)
               .values_list("specialisation_id", flat=True))
    PartnerSpecialisation.objects.bulk_create([
        PartnerSpecialisation(partner=partner, specialisation=s)
        for s in specialisations if s.pk not in have
    ])


@transaction.atomic
def partner_create(*, actor, name: str, partner_type: str, website: str = "",
                   domain: str = "", country: str = "", region: str = "",
                   tier: Tier | None = None, manager: Membership | None = None,
                   specialisations: list[Specialisation] | None = None,
                   status: str = S.APPROVED, reason: str = "") -> Partner:
    """Add a company to the program. The domain comes from ``domain`` or the website."""
    if not name.strip():
        raise InvalidInput(_("Enter the company's name."), field="name")
    if status not in INITIAL_STATUSES:
        raise InvalidInput(_("A new partner starts as applied, approved, onboarding or active."),
                           field="status")
    _check_manager(manager)
    domain = _domain_or_error(domain or website, field="domain" if domain else "website") \
        if (domain or website) else ""
    try:
        with transaction.atomic():
            partner = Partner.objects.create(
                name=name.strip(), website=website, domain=domain, country=country,
                region=region, partner_type=partner_type, tier=tier, manager=manager,
                status=status, status_reason=reason)
    except IntegrityError:
        raise InvalidInput(_("A partner with this domain is already in the program."),
                           field="domain") from None
    _set_specialisations(partner, specialisations or [])
    PartnerStatusChange.objects.create(partner=partner, from_status="", to_status=status,
                                       reason=reason, actor=actor)
    record_event(actor=actor, verb="partner.created", subject=partner,
                 data={"name": partner.name, "domain": domain, "status": status})
    if status != S.APPLIED:
        # Added straight into the program: it was approved, as far as the rest of the
        # platform (onboarding) is concerned.
        record_event(actor=actor, verb="partner.approved", subject=partner,
                     data={"from": "", "to": status, "reason": reason})
    return partner


def _display(value) -> object:
    return getattr(value, "pk", value) if value is not None else None


@transaction.atomic
def partner_update(*, actor, partner: Partner, specialisations=None, **changes) -> Partner:
    """Edit a partner's profile (not its status: that is ``partner_transition``)."""
    unknown = set(changes) - set(PARTNER_FIELDS)
    if unknown:
        raise InvalidInput(_("These fields cannot be changed here: %s") % ", ".join(unknown))
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    if "domain" in changes or ("website" in changes and not partner.domain):
        raw = changes.get("domain") or changes.get("website") or ""
        changes["domain"] = _domain_or_error(raw) if raw else ""
    if "manager" in changes:
        _check_manager(changes["manager"])
    if "name" in changes and not (changes["name"] or "").strip():
        raise InvalidInput(_("Enter the company's name."), field="name")
    diff = {}
    for field, value in changes.items():
        old = getattr(partner, field)
        if _display(old) != _display(value) and str(old or "") != str(value or ""):
            diff[field] = {"from": str(_display(old) or ""), "to": str(_display(value) or "")}
            setattr(partner, field, value)
    if diff:
        try:
            with transaction.atomic():
                partner.save(update_fields=list(diff))
        except IntegrityError:
            raise InvalidInput(_("A partner with this domain is already in the program."),
                               field="domain") from None
    if specialisations is not None:
        before = sorted(s.name for s in partner.specialisations.all())
        _set_specialisations(partner, specialisations)
        after = sorted(s.name for s in specialisations)
        if before != after:
            diff["specialisations"] = {"from": before, "to": after}
    if diff:
        record_event(actor=actor, verb="partner.updated", subject=partner, data=diff)
    return partner


def allowed_transitions(partner: Partner) -> list[str]:
    return sorted(TRANSITIONS[partner.status], key=list(S.values).index)


@transaction.atomic
def partner_transition(*, actor, partner: Partner, to_status: str, reason: str = "") -> Partner:
    """Move a partner along its lifecycle; an impossible move is a 409-style DomainError."""
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    if to_status not in S.values:
        raise InvalidInput(_("Unknown status."), field="status")
    if to_status not in TRANSITIONS[partner.status]:
        raise DomainError(
            _("A partner that is %(from)s cannot become %(to)s.") % {
                "from": S(partner.status).label, "to": S(to_status).label},
            code="invalid_transition")
    reason = (reason or "").strip()
    if to_status in REASON_REQUIRED and not reason:
        raise InvalidInput(_("Give a reason."), field="reason")
    from_status = partner.status
    partner.status = to_status
    partner.status_reason = reason
    partner.status_changed_at = timezone.now()
    partner.save(update_fields=["status", "status_reason", "status_changed_at"])
    PartnerStatusChange.objects.create(partner=partner, from_status=from_status,
                                       to_status=to_status, reason=reason, actor=actor)
    record_event(actor=actor, verb=f"partner.{to_status}", subject=partner,
                 data={"from": from_status, "to": to_status, "reason": reason})
    return partner


# --- tiers -----------------------------------------------------------------------

TIER_FIELDS = ("name", "rank", "benefits", "discount_percent", "min_revenue_12m",
               "min_certified_people", "min_deals_won")


def _save_tier(tier: Tier) -> Tier:
    from django.core.exceptions import ValidationError

    try:
        tier.full_clean(exclude=["tenant"])
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise InvalidInput(messages[0], field=None if field == "__all__" else field) from None
    try:
        with transaction.atomic():
            tier.save()
    except IntegrityError:
        raise InvalidInput(_("Another tier has this name or rank."), field="rank") from None
    return tier


@transaction.atomic
def tier_create(*, actor, **fields) -> Tier:
    tier = _save_tier(Tier(**{k: v for k, v in fields.items() if k in TIER_FIELDS}))
    record_event(actor=actor, verb="tier.created", subject=tier,
                 data={k: str(getattr(tier, k)) for k in TIER_FIELDS})
    return tier


@transaction.atomic
def tier_update(*, actor, tier: Tier, **fields) -> Tier:
    tier = Tier.objects.select_for_update().get(pk=tier.pk)
    diff = {}
    for field, value in fields.items():
        if field in TIER_FIELDS and str(getattr(tier, field)) != str(value):
            diff[field] = {"from": str(getattr(tier, field)), "to": str(value)}
            setattr(tier, field, value)
    if diff:
        _save_tier(tier)
        record_event(actor=actor, verb="tier.updated", subject=tier, data=diff)
    return tier


@transaction.atomic
def tier_delete(*, actor, tier: Tier) -> None:
    if Partner.objects.filter(tier=tier).exists():
        raise DomainError(_("Partners are at this tier; move them to another tier first."),
                          code="tier_in_use")
    record_event(actor=actor, verb="tier.deleted", subject=tier, data={"name": tier.name})
    tier.delete()


def next_tier(tier: Tier | None) -> Tier | None:
    tiers = Tier.objects.order_by("rank")
    return (tiers.filter(rank__gt=tier.rank) if tier else tiers).first()


# --- applications ----------------------------------------------------------------

@transaction.atomic
def application_submit(*, company_name: str, website: str, country: str, partner_type: str,
                       contact_name: str, contact_email: str, message: str,
                       regions: list[str] | None = None,
                       specialisations: list[str] | None = None,
                       contact_phone: str = "") -> PartnerApplication:
    """A company applies through the public page. A domain already in the program is
    flagged on the application for the reviewer, never turned into a second partner."""
    domain = _domain_or_error(website, field="website")
    existing = Partner.objects.filter(domain=domain).first()
    application = PartnerApplication.objects.create(
        company_name=company_name.strip(), website=website.strip(), domain=domain,
        country=country, partner_type=partner_type, regions=sorted(set(regions or [])),
        specialisations=[s.strip() for s in (specialisations or []) if s.strip()],
        contact_name=contact_name.strip(), contact_email=contact_email.strip().lower(),
        contact_phone=contact_phone.strip(), message=message.strip(), existing_partner=existing)
    record_event(actor=None, verb="application.submitted", subject=application,
                 data={"company": application.company_name, "domain": domain,
                       "existing_partner": getattr(existing, "pk", None)})
    return application


def _pending(application: PartnerApplication) -> PartnerApplication:
    application = PartnerApplication.objects.select_for_update().get(pk=application.pk)
    if application.status != PartnerApplication.Status.PENDING:
        raise DomainError(_("This application has already been reviewed."),
                          code="already_reviewed")
    return application


@transaction.atomic
def application_approve(*, actor, application: PartnerApplication, note: str = "",
                        tier: Tier | None = None,
                        manager: Membership | None = None) -> Partner:
    """Approve: create the partner, invite the applicant as its partner admin."""
    from prm.services import invitation_create

    application = _pending(application)
    if Partner.objects.filter(domain=application.domain).exists():
        raise DomainError(_("A partner with this domain is already in the program; decline "
                            "this application or invite the person to that partner."),
                          code="duplicate_domain")
    partner = partner_create(
        actor=actor, name=application.company_name, website=_as_url(application.website),
        domain=application.domain, country=application.country,
        region=(application.regions or [""])[0], partner_type=application.partner_type,
        tier=tier or next_tier(None), manager=manager,
        specialisations=specialisations_by_name(application.specialisations),
        status=S.APPLIED, reason=_("Application #%s") % application.pk)
    partner_transition(actor=actor, partner=partner, to_status=S.IN_REVIEW)
    # The note stays with the application (and the audit trail): the partner's own
    # people read its status history.
    partner = partner_transition(actor=actor, partner=partner, to_status=S.APPROVED,
                                 reason=_("Application #%s approved") % application.pk)
    invitation_create(actor=actor, email=application.contact_email, role=Role.PARTNER_ADMIN,
                      partner=partner)
    application.status = PartnerApplication.Status.APPROVED
    application.partner = partner
    application.review_note = note
    application.reviewed_by = actor
    application.reviewed_at = timezone.now()
    application.save(update_fields=["status", "partner", "review_note", "reviewed_by",
                                    "reviewed_at"])
    record_event(actor=actor, verb="application.approved", subject=application,
                 data={"partner": partner.pk, "note": note})
    return partner


def _as_url(website: str) -> str:
    return website if "://" in website else f"https://{website}"


@transaction.atomic
def application_decline(*, actor, application: PartnerApplication, note: str) -> PartnerApplication:
    application = _pending(application)
    if not (note or "").strip():
        raise InvalidInput(_("Tell the applicant why (the note is sent to them)."),
                           field="note")
    application.status = PartnerApplication.Status.DECLINED
    application.review_note = note.strip()
    application.reviewed_by = actor
    application.reviewed_at = timezone.now()
    application.save(update_fields=["status", "review_note", "reviewed_by", "reviewed_at"])
    record_event(actor=actor, verb="application.declined", subject=application,
                 data={"note": application.review_note})
    return application


# --- partner users ---------------------------------------------------------------

def partner_user_invite(*, actor_membership: Membership, email: str, role: str = Role.PARTNER_USER):
    """A partner admin invites a colleague into their own partner organisation."""
    from prm.services import invitation_create

    if role not in PARTNER_ROLES:
        raise InvalidInput(_("Choose partner admin or partner user."), field="role")
    email = (email or "").strip()
    # A partner admin's reach is its own company: an address that has (or had) a place
    # elsewhere in this program is the vendor's to move, and the message says no more.
    if Membership.objects.filter(user__email__iexact=email).exclude(
            partner=actor_membership.partner).exists():
        raise InvalidInput(_("This address cannot be invited from here. Ask your channel "
                             "manager at the vendor."), field="email")
    return invitation_create(actor=actor_membership.user, email=email, role=role,
                             partner=actor_membership.partner)


def partner_user_set_active(*, actor_membership: Membership, membership: Membership,
                            is_active: bool) -> Membership:
    """A partner admin (de)activates a colleague. A deactivated user cannot sign in, and
    their API keys stop working."""
    from prm.services import membership_update

    if membership.pk == actor_membership.pk and not is_active:
        raise DomainError(_("You cannot deactivate yourself."), code="self_deactivation")
    return membership_update(actor=actor_membership.user, membership=membership,
                             is_active=is_active)
