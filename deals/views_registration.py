"""Registering a deal, and the deal page: details, conflicts, actions, timeline, plan."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from deals import selectors, services, services_timeline
from deals.access import get_action_item_for_member, get_deal_for_manager, get_deal_for_member
from deals.forms_registration import (
    TIMELINE_FORMS,
    CommentForm,
    DealEditForm,
    DealRegisterForm,
    HintForm,
    NoteForm,
    PlanItemForm,
    PlanToggleForm,
    ReasonForm,
    StageForm,
    VersionForm,
)
from deals.models import (
    ActionPlanItem,
    Deal,
    DealConflict,
    DealStage,
    DealStatus,
    DealStatusChange,
    TimelineEntry,
)
from prm.access import member_required
from prm.domains import InvalidDomain, normalise_domain
from prm.errors import DomainError, PreconditionFailed
from prm.htmx import render_page
from prm.models import Membership
from prm.names import name_tokens, normalise_company_name

D = DealStatus
STATUS_BADGES = {D.SUBMITTED: "badge-warning", D.APPROVED: "badge-success",
                 D.WON: "badge-success", D.REJECTED: "badge-danger"}
# Prefix and context name of each form on the deal page (prefixes keep their ids apart).
FORM_SLOTS = {"comment": ("comment", "comment_form"), "activity": ("activity", "activity_form"),
              "next_step": ("step", "step_form"), "plan": ("plan", "plan_form")}


# --- registration ----------------------------------------------------------------------

def _registered_message(deal: Deal, matches: list, *, edited: bool = False) -> str:
    if edited:
        return (_("Saved. A registration for this customer may already exist, so yours is "
                  "flagged for review.") if matches else _("Saved."))
    if deal.status == D.APPROVED:
        return _("Registration approved at once: your protection runs until %(date)s.") % {
            "date": _date(deal.protection_expires_at)}
    if matches:
        return _("Registration submitted. A registration for this customer may already "
                 "exist, so yours is flagged for review.")
    return _("Registration submitted. A channel manager will review it.")


def _date(moment) -> str:
    return date_format(timezone.localtime(moment), "DATE_FORMAT")


@member_required
@require_http_methods(["GET", "POST"])
def deal_register(request: HttpRequest) -> HttpResponse:
    member = request.membership
    form = DealRegisterForm(request.POST or None, member=member,
                            default_currency=request.tenant.default_currency)
    if request.method == "POST" and form.is_valid():
        try:
            deal, matches = services.deal_submit(member=member, **form.submission(member))
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _registered_message(deal, matches))
            return redirect("deal_detail", deal_id=deal.pk)
    return render(request, "deals/register.html", {"form": form})


@member_required
@require_http_methods(["GET", "POST"])
def deal_edit(request: HttpRequest, deal_id: int) -> HttpResponse:
    """Correct a submitted registration; its conflicts are checked again."""
    member = request.membership
    deal = get_deal_for_member(member, deal_id)
    if deal.status != DealStatus.SUBMITTED:
        messages.error(request, _("Only a submitted registration can be edited."))
        return redirect("deal_detail", deal_id=deal.pk)
    form = DealEditForm(request.POST or None, member=member,
                        default_currency=request.tenant.default_currency,
                        initial={**{name: getattr(deal, name) for name in services.EDITABLE},
                                 "customer_country": deal.customer_country.code,
                                 "version": deal.version})
    if request.method == "POST" and form.is_valid():
        try:
            deal, matches = services.deal_update(
                member=member, deal=deal, expected_version=form.cleaned_data["version"],
                **form.changes())
        except PreconditionFailed:
            form.add_error(None, CHANGED_MEANWHILE)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _registered_message(deal, matches, edited=True))
            return redirect("deal_detail", deal_id=deal.pk)
    return render(request, "deals/register.html", {"form": form, "deal": deal},
                  status=400 if form.is_bound else 200)


def _hint_domain(value: str) -> str:
    try:
        return normalise_domain(value)
    except InvalidDomain:
        # Stored domains are normalised and never end in a dot: this one matches nothing.
        return "."


@member_required
@require_GET
def deal_hint(request: HttpRequest) -> HttpResponse:
    """May a registration for this customer exist? Never whose or what, to anyone."""
    form = HintForm(request.GET)
    form.is_valid()
    name = normalise_company_name(form.cleaned_data.get("customer_name", ""))
    domain = _hint_domain(form.cleaned_data.get("customer_domain", ""))
    may_exist = (bool(name) or domain != ".") and selectors.open_deal_exists_hint(
        domain=domain, name_normalised=name, tokens=name_tokens(name) if name else [],
        product_id=None)
    return render(request, "deals/partials/hint.html", {"may_exist": may_exist})


# --- the deal page -----------------------------------------------------------------------

def allowed_actions(member: Membership, deal: Deal) -> frozenset[str]:
    """The actions this person may take on the deal in its current status."""
    moves = services.TRANSITIONS[deal.status]
    approved = deal.status == D.APPROVED
    if member.is_partner:
        allowed = {"withdraw": D.WITHDRAWN in moves, "move-stage": deal.is_open,
                   "request-extension": approved and not deal.extension_requested_at,
                   "close-won": D.WON in moves, "close-lost": D.LOST in moves}
    else:
        allowed = {"approve": D.APPROVED in moves, "reject": D.REJECTED in moves,
                   "move-stage": deal.is_open,
                   "grant-extension": approved and bool(deal.extension_requested_at),
                   "refuse-extension": approved and bool(deal.extension_requested_at)}
    return frozenset(name for name, ok in allowed.items() if ok)


def _mention_parts(body: str, mentioned: set[str]) -> list[tuple[str, bool]]:
    """``body`` cut into (text, is_mention) pieces, so mentions can be highlighted."""
    parts, last = [], 0
    for match in services_timeline.MENTION.finditer(body):
        if match.group(1).lower() in mentioned:
            parts += [(body[last:match.start()], False), (match.group(0), True)]
            last = match.end()
    parts.append((body[last:], False))
    return [part for part in parts if part[0]]


class DealPage:
    """What the deal page shows, read lazily: an htmx fragment reads only its own part."""

    def __init__(self, member: Membership, deal: Deal):
        self.member = member
        self.deal = deal
        self.is_vendor = member.is_vendor
        self.actions = allowed_actions(member, deal)
        self.status_badge = STATUS_BADGES.get(deal.status, "badge-muted")

    @cached_property
    def people(self) -> list[Membership]:
        """The vendor's people and the deal partner's: owners and mentions are among them."""
        # The service's own rule of who works on a deal, so the two never disagree.
        return list(services_timeline.deal_people(self.deal).select_related("user", "partner")
                    .order_by("partner_id", "user__full_name", "user__email"))

    @cached_property
    def timeline(self) -> list[TimelineEntry]:
        emails = {m.pk: m.user.email.lower() for m in self.people}
        entries = list(selectors.deal_timeline(member=self.member, deal=self.deal))
        for entry in entries:
            mentioned = {emails.get(m.membership_id) for m in entry.mentions.all()}
            entry.parts = _mention_parts(entry.body, mentioned)
        return entries

    @cached_property
    def plan(self) -> list[ActionPlanItem]:
        return list(ActionPlanItem.objects.filter(deal=self.deal).select_related("owner__user"))

    @property
    def plan_done(self) -> int:
        return sum(1 for item in self.plan if item.done_at)

    @cached_property
    def conflicts(self) -> list[dict]:
        rows = selectors.deal_conflicts_for(member=self.member, deal=self.deal)
        for row in rows:
            row["reason_label"] = (
                _("A registration for this customer may already exist")
                if row["reason"] == selectors.PARTNER_CONFLICT_REASON
                else DealConflict.Reason(row["reason"]).label)
            if row.get("other_status"):
                row["other_status_label"] = D(row["other_status"]).label
                row["other_badge"] = STATUS_BADGES.get(row["other_status"], "badge-muted")
        return rows

    @cached_property
    def history(self) -> list[DealStatusChange]:
        changes = list(DealStatusChange.objects.filter(deal=self.deal).select_related("actor")
                       .order_by("created_at", "pk"))
        for change in changes:
            change.from_label = D(change.from_status).label if change.from_status else ""
            change.to_label = D(change.to_status).label
        return changes

    @cached_property
    def stages(self) -> list[DealStage]:
        return list(DealStage.objects.order_by("rank"))

    @property
    def days_left(self) -> int | None:
        expires = self.deal.protection_expires_at
        if expires is None:
            return None
        return (timezone.localtime(expires).date() - timezone.localdate()).days

    @property
    def flagged_for_partner(self) -> bool:
        return self.deal.status == D.SUBMITTED and bool(self.conflicts)


def _forms(page: DealPage, **bound) -> dict:
    """Empty forms of the deal page, with ``bound`` ones (showing errors) in their place."""
    people, member = page.people, page.member
    forms = {
        "comment_form": CommentForm(prefix="comment", people=people, member=member),
        "activity_form": TIMELINE_FORMS["activity"](
            prefix="activity", people=people, member=member,
            initial={"occurred_on": timezone.localdate()}),
        "step_form": TIMELINE_FORMS["next_step"](prefix="step", people=people, member=member),
        "plan_form": PlanItemForm(prefix="plan", people=people, member=member),
    }
    return {**forms, **bound}


def _render_deal(request: HttpRequest, page: DealPage, *, partial: str | None = None,
                 announce: str = "", **bound) -> HttpResponse:
    context = {"deal": page.deal, "page": page, "announce": announce, **_forms(page, **bound)}
    return render_page(request, "deals/detail.html", context, partial=partial)


@member_required
@require_GET
def deal_detail(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal = get_deal_for_member(request.membership, deal_id)
    return _render_deal(request, DealPage(request.membership, deal))


# --- actions -------------------------------------------------------------------------

CHANGED_MEANWHILE = gettext_lazy(
    "This registration was changed meanwhile; reload it and try again.")


@dataclass(frozen=True)
class Action:
    service: Callable[..., Deal]
    form: type[VersionForm]
    side: str  # "vendor" or "partner": who may take it (the other side gets 404)
    done: str
    extra: dict = field(default_factory=dict)
    versioned: bool = True  # whether the service takes expected_version itself


ACTIONS = {
    "approve": Action(services.deal_approve, NoteForm, "vendor",
                      gettext_lazy("Registration approved.")),
    "reject": Action(services.deal_reject, NoteForm, "vendor",
                     gettext_lazy("Registration rejected; the partner sees your note.")),
    "grant-extension": Action(services.deal_decide_extension, NoteForm, "vendor",
                              gettext_lazy("Extension granted."), {"grant": True}),
    "refuse-extension": Action(services.deal_decide_extension, NoteForm, "vendor",
                               gettext_lazy("Extension refused."), {"grant": False}),
    "withdraw": Action(services.deal_withdraw, ReasonForm, "partner",
                       gettext_lazy("Registration withdrawn.")),
    "request-extension": Action(services.deal_request_extension, ReasonForm, "partner",
                                gettext_lazy("Extension requested; a channel manager will "
                                             "decide."), versioned=False),
    "close-won": Action(services.deal_close_won, ReasonForm, "partner",
                        gettext_lazy("Congratulations: the deal is closed as won.")),
    "close-lost": Action(services.deal_close_lost, ReasonForm, "partner",
                         gettext_lazy("The deal is closed as lost.")),
    "move-stage": Action(services.deal_move_stage, StageForm, "any",
                         gettext_lazy("Stage changed.")),
}


def _run(action: Action, form: VersionForm, *, member: Membership, deal: Deal):
    version = form.cleaned_data["version"]
    kwargs = {**action.extra, **form.service_kwargs()}
    if action.versioned:
        kwargs["expected_version"] = version
    elif deal.version != version:
        raise PreconditionFailed(str(CHANGED_MEANWHILE))
    return action.service(member=member, deal=deal, **kwargs)


@member_required
@require_POST
def deal_action(request: HttpRequest, deal_id: int, action: str) -> HttpResponse:
    member = request.membership
    spec = ACTIONS.get(action)
    if spec is None or (spec.side == "partner" and not member.is_partner):
        raise Http404
    deal = (get_deal_for_manager if spec.side == "vendor" else get_deal_for_member)(
        member, deal_id)
    form = spec.form(request.POST)
    if not form.is_valid():
        errors = [e for name, errs in form.errors.items() if name != "version" for e in errs]
        messages.error(request, " ".join(errors) if errors else CHANGED_MEANWHILE)
    else:
        try:
            result = _run(spec, form, member=member, deal=deal)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, spec.done)
            skipped = getattr(result, "skipped_activities", None)
            if skipped:
                messages.warning(request, ngettext(
                    "%(count)d required activity of the playbook was still open; the move "
                    "is recorded as an exception.",
                    "%(count)d required activities of the playbook were still open; the "
                    "move is recorded as an exception.", len(skipped)) % {
                        "count": len(skipped)})
    return redirect("deal_detail", deal_id=deal.pk)


# --- timeline and action plan --------------------------------------------------------------

def _section_url(deal: Deal, anchor: str) -> str:
    return reverse("deal_detail", kwargs={"deal_id": deal.pk}) + f"#{anchor}"


@member_required
@require_POST
def deal_timeline_add(request: HttpRequest, deal_id: int) -> HttpResponse:
    member = request.membership
    page = DealPage(member, get_deal_for_member(member, deal_id))
    kind = request.POST.get("kind", "")
    if kind not in TIMELINE_FORMS:
        return HttpResponseBadRequest()
    prefix, slot = FORM_SLOTS[kind]
    form = TIMELINE_FORMS[kind](request.POST, prefix=prefix, people=page.people, member=member)
    if form.is_valid():
        try:
            entry = services_timeline.timeline_add(member=member, deal=page.deal,
                                                   **form.service_kwargs())
        except DomainError as error:
            form.add_domain_error(error)
        else:
            if not request.htmx:
                messages.success(request, _("Added to the timeline."))
                return redirect(_section_url(page.deal, f"entry-{entry.pk}"))
            return _render_deal(request, page, partial="deals/partials/timeline.html",
                                announce=_("Added to the timeline."))
    return _render_deal(request, page, partial="deals/partials/timeline.html", **{slot: form})


@member_required
@require_POST
def deal_plan_add(request: HttpRequest, deal_id: int) -> HttpResponse:
    member = request.membership
    page = DealPage(member, get_deal_for_member(member, deal_id))
    form = PlanItemForm(request.POST, prefix="plan", people=page.people, member=member)
    if form.is_valid():
        try:
            services_timeline.action_item_add(member=member, deal=page.deal,
                                              **form.service_kwargs())
        except DomainError as error:
            form.add_domain_error(error)
        else:
            if not request.htmx:
                messages.success(request, _("Step added to the action plan."))
                return redirect(_section_url(page.deal, "action-plan"))
            return _render_deal(request, page, partial="deals/partials/action_plan.html",
                                announce=_("Step added to the action plan."))
    return _render_deal(request, page, partial="deals/partials/action_plan.html", plan_form=form)


@member_required
@require_POST
def deal_plan_toggle(request: HttpRequest, deal_id: int, item_id: int) -> HttpResponse:
    member = request.membership
    page = DealPage(member, get_deal_for_member(member, deal_id))
    item = get_action_item_for_member(member, page.deal, item_id)
    form = PlanToggleForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest()
    item = services_timeline.action_item_set_done(member=member, item=item,
                                                  done=form.cleaned_data["done"])
    announce = (_("Step “%s” is done.") if item.done_at else _("Step “%s” is open again.")
                ) % item.title
    if not request.htmx:
        messages.success(request, announce)
        return redirect(_section_url(page.deal, "action-plan"))
    return _render_deal(request, page, partial="deals/partials/action_plan.html",
                        announce=announce)
