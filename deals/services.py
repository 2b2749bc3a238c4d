"""Writes of the deals app: registration, review, lifecycle, protection, timeline."""

from __future__ import annotations

import functools
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from deals.conflicts import exact_conflict, find_conflicts
from deals.currencies import clean_currency
from deals.models import (
    OPEN_STATUSES,
    OPEN_TWIN_CONSTRAINT,
    AutoApprovalRule,
    CustomerAccount,
    CustomerAccountToken,
    Deal,
    DealConflict,
    DealNameToken,
    DealStage,
    DealStageChange,
    DealStatus,
    DealStatusChange,
    ExchangeRate,
    ProductLine,
)
from prm.domains import InvalidDomain, is_free_email_domain, normalise_domain
from prm.errors import DomainError, InvalidInput, PreconditionFailed
from prm.events import record_event
from prm.models import Membership, Role
from prm.names import name_tokens, normalise_company_name
from prm.tenancy import require_tenant

D = DealStatus
TRANSITIONS: dict[str, frozenset[str]] = {
    D.SUBMITTED: frozenset({D.APPROVED, D.REJECTED, D.WITHDRAWN}),
    D.APPROVED: frozenset({D.WON, D.LOST, D.EXPIRED, D.WITHDRAWN}),
    D.REJECTED: frozenset(),
    D.WON: frozenset(),
    D.LOST: frozenset(),
    D.EXPIRED: frozenset(),
    D.WITHDRAWN: frozenset(),
}
ALREADY_REGISTERED = "A registration for this customer and product already exists."
CENT = Decimal("0.01")


# --- money -------------------------------------------------------------------------

def rate_for(currency: str, on: date) -> tuple[Decimal, date | None]:
    """The rate to the reporting currency valid on ``on`` (1 for the reporting currency)."""
    if currency == require_tenant().default_currency:
        return Decimal("1"), None
    rate = (ExchangeRate.objects.filter(currency=currency, valid_from__lte=on)
            .order_by("-valid_from").first())
    if rate is None:
        raise InvalidInput(
            _("There is no exchange rate for %(currency)s yet; ask the program admin, or "
              "register the amount in %(reporting)s.") % {
                "currency": currency, "reporting": require_tenant().default_currency},
            field="currency")
    return rate.rate, rate.valid_from


def _reporting(amount: Decimal, currency: str, on: date) -> tuple[Decimal, Decimal, date | None]:
    rate, valid_from = rate_for(currency, on)
    return (amount * rate).quantize(CENT, ROUND_HALF_UP), rate, valid_from


@transaction.atomic
def exchange_rate_set(*, actor, currency: str, rate: Decimal, valid_from: date) -> ExchangeRate:
    currency = clean_currency(currency)
    if rate <= 0:
        raise InvalidInput(_("A rate must be positive."), field="rate")
    obj, _created = ExchangeRate.objects.update_or_create(
        currency=currency, valid_from=valid_from, defaults={"rate": rate})
    record_event(actor=actor, verb="exchange_rate.set", subject=obj,
                 data={"currency": currency, "rate": str(rate), "valid_from": str(valid_from)})
    return obj


# --- registration ----------------------------------------------------------------

def _customer(customer_name: str, customer_domain: str) -> tuple[str, str, list[str], str]:
    name = (customer_name or "").strip()
    if not name:
        raise InvalidInput(_("Enter the customer's company name."), field="customer_name")
    try:
        domain = normalise_domain(customer_domain)
    except InvalidDomain as error:
        raise InvalidInput(str(error), field="customer_domain") from None
    if is_free_email_domain(domain):
        raise InvalidInput(_("Use the customer's company domain, not a free mail provider."),
                           field="customer_domain")
    normalised = normalise_company_name(name)
    return name, domain, name_tokens(normalised), normalised


def check_language(text: str, *, field: str) -> None:
    """Refuse discouraged words when the program says findings block saving (pages show
    them live as people type either way)."""
    tenant = require_tenant()
    if text and tenant.language_check_blocks:
        from playbooks.glossary import language_guard  # playbooks builds on deals

        language_guard(text=text, locale=tenant.locale, field=field)


def _record_conflicts(deal: Deal, matches, *, new: bool = False) -> None:
    if not new:
        DealConflict.objects.filter(deal=deal).delete()
    DealConflict.objects.bulk_create([
        DealConflict(deal=deal, other_deal=m.deal, customer_account=m.account, reason=m.reason,
                     score=m.score) for m in matches])


def _status(deal: Deal, to: str, *, actor, reason: str = "") -> None:
    DealStatusChange.objects.create(deal=deal, from_status=deal.status, to_status=to,
                                    reason=reason, actor=actor)
    deal.status = to
    deal.status_reason = reason
    if to not in OPEN_STATUSES:
        # Only open registrations can conflict: the word index holds nothing else.
        DealNameToken.objects.filter(deal=deal).delete()


def _check_registrant(member: Membership, partner) -> None:
    if member.is_partner and partner.pk != member.partner_id:
        raise InvalidInput(_("You can register deals only for your own company."),
                           field="partner")


def _refuse_twins(service):
    """A concurrent twin that won the race is refused by the partial unique constraint:
    the service's transaction is rolled back, and the caller hears it as an exact
    conflict. (Caught outside the service's own savepoint, so no second one is needed.)"""

    @functools.wraps(service)
    def refusing(*args, **kwargs):
        try:
            return service(*args, **kwargs)
        except IntegrityError as error:
            constraint = getattr(getattr(error.__cause__, "diag", None), "constraint_name", "")
            if constraint != OPEN_TWIN_CONSTRAINT:
                raise
            raise DomainError(_(ALREADY_REGISTERED), code="already_registered") from None

    return refusing


@_refuse_twins
@transaction.atomic
def deal_submit(*, member: Membership, partner, customer_name: str, customer_domain: str,
                customer_country: str, product: ProductLine, amount: Decimal, currency: str,
                expected_close_date: date, stage: DealStage | None = None,
                contact_name: str = "", contact_email: str = "", contact_title: str = "",
                notes: str = "") -> tuple[Deal, list]:
    """Register an opportunity. An exact conflict is refused; possible ones are flagged.

    Returns the deal and the conflict matches (callers decide what each audience sees).
    """
    _check_registrant(member, partner)
    check_language(notes, field="notes")
    name, domain, tokens, normalised = _customer(customer_name, customer_domain)
    currency = clean_currency(currency)
    if amount is None or amount < 0:
        raise InvalidInput(_("The amount cannot be negative."), field="amount")
    if not product.is_active:
        raise InvalidInput(_("This product line is no longer offered."), field="product")
    first_stage = DealStage.objects.order_by("rank").first()
    if first_stage is None:
        raise DomainError(_("The program has no deal stages yet; ask the program admin."))
    stage = stage or first_stage
    today = timezone.localdate()
    reporting, rate, rate_date = _reporting(amount, currency, today)
    matches = find_conflicts(domain=domain, name_normalised=normalised, tokens=tokens,
                             product_id=product.pk)
    if exact_conflict(matches):
        raise DomainError(_(ALREADY_REGISTERED), code="already_registered")
    deal = Deal.objects.create(
        partner=partner, registered_by=member, customer_name=name,
        customer_name_normalised=normalised, customer_name_tokens=tokens,
        customer_domain=domain, customer_country=customer_country,
        contact_name=contact_name, contact_email=contact_email,
        contact_title=contact_title, product=product, amount=amount, currency=currency,
        reporting_amount=reporting, rate_used=rate, rate_date=rate_date,
        expected_close_date=expected_close_date, stage=stage, notes=notes,
        has_conflict=bool(matches))
    if stage.rank > first_stage.rank:
        _enter_later_stage(member, deal, first_stage)
    _name_tokens_set(deal, new=True)
    _record_conflicts(deal, matches, new=True)
    DealStatusChange.objects.create(deal=deal, from_status="", to_status=D.SUBMITTED,
                                    actor=member.user)
    DealStageChange.objects.create(deal=deal, from_stage=None, to_stage=stage, actor=member.user)
    record_event(actor=member.user, verb="deal.submitted", subject=deal,
                 data={"partner": partner.pk, "customer_domain": domain,
                       "product": product.pk, "amount": str(amount), "currency": currency,
                       "conflicts": len(matches)})
    if not matches:
        _auto_approve(deal)
    return deal, matches


def _enter_later_stage(member: Membership, deal: Deal, first_stage: DealStage) -> None:
    """A deal registered straight into a later stage skips the stages before it: the
    playbook's guard treats it as a move from the first stage (refused with the open
    activities named, or recorded as an exception, by the program's setting)."""
    from playbooks.services import stage_move_guard  # playbooks builds on deals

    try:
        stage_move_guard(actor=member.user, deal=deal, to_stage=deal.stage,
                         from_stage=first_stage)
    except DomainError as error:
        raise InvalidInput(error.message, field="stage") from None


def _auto_approve(deal: Deal) -> None:
    from partners.models import Partner

    rules = list(AutoApprovalRule.objects.filter(is_active=True).order_by("pk"))
    if not rules:
        return
    # Read the partner's tier now: the caller's partner object may be stale.
    tier_rank = Partner.objects.filter(pk=deal.partner_id).values_list(
        "tier__rank", flat=True).first() or 0
    for rule in rules:
        if rule.min_tier_rank is not None and tier_rank < rule.min_tier_rank:
            continue
        if rule.max_amount is not None and (deal.reporting_amount or 0) > rule.max_amount:
            continue
        _approve(deal, actor=None, note="", rule=rule.name)
        return


def _in_program_language(message: str, **values) -> str:
    """A reason the platform writes itself, in the program's language: people of either
    side read it in the status history."""
    with translation.override(require_tenant().locale):
        return _(message) % values if values else _(message)


def _approve(deal: Deal, *, actor, note: str, rule: str = "") -> None:
    tenant = require_tenant()
    automatic = (_in_program_language(gettext_noop("Approved by the rule “%(rule)s”."),
                                      rule=rule) if rule else "")
    _status(deal, D.APPROVED, actor=actor, reason=note or automatic)
    deal.decided_at = timezone.now()
    deal.decided_by = actor
    deal.approval_rule = rule
    deal.protection_expires_at = deal.decided_at + timedelta(days=tenant.deal_protection_days)
    deal.version = F("version") + 1
    deal.save(update_fields=["status", "status_reason", "decided_at", "decided_by",
                             "approval_rule", "protection_expires_at", "version"])
    deal.refresh_from_db(fields=["version"])
    record_event(actor=actor, verb="deal.approved", subject=deal,
                 data={"note": note, "rule": rule,
                       "protection_expires_at": deal.protection_expires_at.isoformat()})


def _locked(deal: Deal, expected_version: int | None) -> Deal:
    deal = Deal.objects.select_for_update(of=("self",)).select_related("partner__tier").get(
        pk=deal.pk)
    if expected_version is not None and deal.version != expected_version:
        raise PreconditionFailed(_("This registration was changed meanwhile; reload it and "
                                   "try again."))
    return deal


def _check_move(deal: Deal, to: str) -> None:
    if to not in TRANSITIONS[deal.status]:
        raise DomainError(_("A %(from)s registration cannot become %(to)s.") % {
            "from": D(deal.status).label.lower(), "to": D(to).label.lower()},
            code="invalid_transition")


def _vendor_only(member: Membership) -> None:
    if member.role not in (Role.TENANT_ADMIN, Role.CHANNEL_MANAGER):
        raise DomainError(_("Only the vendor's people can do this."), code="forbidden")


@transaction.atomic
def deal_approve(*, member: Membership, deal: Deal, note: str = "",
                 expected_version: int | None = None) -> Deal:
    _vendor_only(member)
    deal = _locked(deal, expected_version)
    _check_move(deal, D.APPROVED)
    _approve(deal, actor=member.user, note=note.strip())
    return deal


def _simple_move(deal: Deal, to: str, *, actor, reason: str, verb: str, **extra) -> Deal:
    _check_move(deal, to)
    _status(deal, to, actor=actor, reason=reason)
    fields = ["status", "status_reason", "version"]
    for key, value in extra.items():
        setattr(deal, key, value)
        fields.append(key)
    deal.version = F("version") + 1
    deal.save(update_fields=fields)
    deal.refresh_from_db(fields=["version"])
    record_event(actor=actor, verb=verb, subject=deal, data={"reason": reason, **{
        k: str(v) for k, v in extra.items()}})
    return deal


@transaction.atomic
def deal_reject(*, member: Membership, deal: Deal, note: str,
                expected_version: int | None = None) -> Deal:
    _vendor_only(member)
    if not (note or "").strip():
        raise InvalidInput(_("Tell the partner why."), field="note")
    deal = _locked(deal, expected_version)
    return _simple_move(deal, D.REJECTED, actor=member.user, reason=note.strip(),
                        verb="deal.rejected", decided_at=timezone.now(), decided_by=member.user)


@transaction.atomic
def deal_withdraw(*, member: Membership, deal: Deal, reason: str = "",
                  expected_version: int | None = None) -> Deal:
    deal = _locked(deal, expected_version)
    return _simple_move(deal, D.WITHDRAWN, actor=member.user, reason=reason.strip(),
                        verb="deal.withdrawn")


def _close(deal: Deal, to: str, *, member: Membership, reason: str, verb: str) -> Deal:
    today = timezone.localdate()
    reporting, rate, rate_date = _reporting(deal.amount, deal.currency, today)
    return _simple_move(deal, to, actor=member.user, reason=reason, verb=verb,
                        closed_at=timezone.now(), reporting_amount=reporting, rate_used=rate,
                        rate_date=rate_date or today)


@transaction.atomic
def deal_close_won(*, member: Membership, deal: Deal, reason: str = "",
                   expected_version: int | None = None) -> Deal:
    """Won: the reporting amount is frozen with today's rate, so history never shifts."""
    deal = _locked(deal, expected_version)
    return _close(deal, D.WON, member=member, reason=reason.strip(), verb="deal.won")


@transaction.atomic
def deal_close_lost(*, member: Membership, deal: Deal, reason: str = "",
                    expected_version: int | None = None) -> Deal:
    deal = _locked(deal, expected_version)
    return _close(deal, D.LOST, member=member, reason=reason.strip(), verb="deal.lost")


@transaction.atomic
def deal_request_extension(*, member: Membership, deal: Deal, reason: str) -> Deal:
    deal = _locked(deal, None)
    if deal.status != D.APPROVED:
        raise DomainError(_("Only an approved registration's protection can be extended."))
    if deal.extension_requested_at:
        raise DomainError(_("An extension is already requested."))
    if not (reason or "").strip():
        raise InvalidInput(_("Say why you need more time."), field="reason")
    deal.extension_requested_at = timezone.now()
    deal.extension_reason = reason.strip()
    deal.version = F("version") + 1
    deal.save(update_fields=["extension_requested_at", "extension_reason", "version"])
    deal.refresh_from_db(fields=["version"])
    record_event(actor=member.user, verb="deal.extension_requested", subject=deal,
                 data={"reason": deal.extension_reason})
    return deal


@transaction.atomic
def deal_decide_extension(*, member: Membership, deal: Deal, grant: bool, note: str = "",
                          expected_version: int | None = None) -> Deal:
    """Grant (protection runs one more period from its current end) or refuse."""
    _vendor_only(member)
    deal = _locked(deal, expected_version)
    if not deal.extension_requested_at or deal.status != D.APPROVED:
        raise DomainError(_("There is no extension request to decide."))
    data = {"granted": grant, "note": note}
    if grant:
        period = timedelta(days=require_tenant().deal_protection_days)
        deal.protection_expires_at = max(deal.protection_expires_at, timezone.now()) + period
        data["protection_expires_at"] = deal.protection_expires_at.isoformat()
    deal.extension_requested_at = None
    deal.extension_reason = ""
    deal.version = F("version") + 1
    deal.save(update_fields=["protection_expires_at", "extension_requested_at",
                             "extension_reason", "version"])
    deal.refresh_from_db(fields=["version"])
    record_event(actor=member.user, verb="deal.extension_granted" if grant
                 else "deal.extension_refused", subject=deal, data=data)
    return deal


@transaction.atomic
def deal_move_stage(*, member: Membership, deal: Deal, stage: DealStage,
                    expected_version: int | None = None) -> Deal:
    deal = _locked(deal, expected_version)
    if not deal.is_open:
        raise DomainError(_("A closed registration stays in its last stage."))
    if stage.pk == deal.stage_id:
        return deal
    from playbooks.services import stage_move_guard  # playbooks builds on deals

    # Required activities of the playbook left undone: refused, or recorded as an exception.
    skipped = stage_move_guard(actor=member.user, deal=deal, to_stage=stage)
    DealStageChange.objects.create(deal=deal, from_stage_id=deal.stage_id, to_stage=stage,
                                   actor=member.user)
    record_event(actor=member.user, verb="deal.stage_changed", subject=deal,
                 data={"from": deal.stage_id, "to": stage.pk})
    deal.stage = stage
    deal.version = F("version") + 1
    deal.save(update_fields=["stage", "version"])
    deal.refresh_from_db(fields=["version"])
    deal.skipped_activities = skipped  # for the caller's message; the event has them too
    return deal


EDITABLE = ("customer_name", "customer_domain", "customer_country", "contact_name",
            "contact_email", "contact_title", "product", "amount", "currency",
            "expected_close_date", "notes")


@_refuse_twins
@transaction.atomic
def deal_update(*, member: Membership, deal: Deal, expected_version: int | None = None,
                **changes) -> tuple[Deal, list]:
    """A partner edits its own registration while it is submitted; conflicts are rechecked."""
    deal = _locked(deal, expected_version)
    if deal.status != D.SUBMITTED:
        raise DomainError(_("Only a submitted registration can be edited."))
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidInput(_("These fields cannot be changed: %s") % ", ".join(sorted(unknown)))
    if "notes" in changes:
        check_language(changes["notes"], field="notes")
    for field, value in changes.items():
        setattr(deal, field, value)
    name, domain, tokens, normalised = _customer(deal.customer_name, deal.customer_domain)
    deal.customer_name, deal.customer_domain = name, domain
    deal.customer_name_normalised, deal.customer_name_tokens = normalised, tokens
    deal.currency = deal.currency.upper()
    deal.reporting_amount, deal.rate_used, deal.rate_date = _reporting(
        deal.amount, deal.currency, timezone.localdate())
    matches = find_conflicts(domain=domain, name_normalised=normalised, tokens=tokens,
                             product_id=deal.product_id, exclude_deal_id=deal.pk)
    if exact_conflict(matches):
        raise DomainError(_(ALREADY_REGISTERED), code="already_registered")
    deal.has_conflict = bool(matches)
    deal.version = F("version") + 1
    deal.save()
    deal.refresh_from_db(fields=["version"])
    _name_tokens_set(deal)
    _record_conflicts(deal, matches)
    record_event(actor=member.user, verb="deal.updated", subject=deal,
                 data={k: str(getattr(v, "pk", v)) for k, v in changes.items()})
    return deal, matches


def _name_tokens_set(deal: Deal, *, new: bool = False) -> None:
    """Keep the conflict check's word index of the deal's customer name in step (its rows
    carry the name's lengths, so an edited name rewrites them all)."""
    if not new:
        DealNameToken.objects.filter(deal=deal).delete()
    DealNameToken.objects.bulk_create(DealNameToken.rows_for(deal))


def deal_expire_due() -> int:
    """Expire approved registrations whose protection has run out (run by a task)."""
    now = timezone.now()
    expired = 0
    for deal_id in Deal.objects.filter(status=D.APPROVED, protection_expires_at__lt=now
                                       ).values_list("pk", flat=True)[:1000]:
        with transaction.atomic():
            deal = Deal.objects.select_for_update(skip_locked=True).filter(
                pk=deal_id, status=D.APPROVED, protection_expires_at__lt=now).first()
            if deal is None:
                continue
            _simple_move(deal, D.EXPIRED, actor=None,
                         reason=_in_program_language(gettext_noop("The protection ended.")),
                         verb="deal.expired")
            expired += 1
    return expired


# --- program settings ----------------------------------------------------------------

@transaction.atomic
def customer_accounts_replace(*, actor, rows: list[tuple[str, str]]) -> int:
    """Replace the vendor's direct-customer list with (name, domain) rows."""
    accounts = []
    for name, domain in rows:
        normalised = normalise_company_name(name)
        try:
            clean_domain = normalise_domain(domain) if domain else ""
        except InvalidDomain:
            clean_domain = ""
        accounts.append(CustomerAccount(name=name.strip()[:200], name_normalised=normalised,
                                        name_tokens=name_tokens(normalised),
                                        domain=clean_domain))
    CustomerAccount.objects.all().delete()
    CustomerAccount.objects.bulk_create(accounts, batch_size=2000)
    CustomerAccountToken.objects.bulk_create(
        [row for account in accounts for row in CustomerAccountToken.rows_for(account)],
        batch_size=5000)
    record_event(actor=actor, verb="customer_accounts.replaced", subject=("customer_accounts", 0),
                 data={"rows": len(accounts)})
    return len(accounts)


OPEN = OPEN_STATUSES
