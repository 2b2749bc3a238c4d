"""Portal pages of the pipeline: the deal list ("My deals" for partner people, "Pipeline"
for the vendor's), its CSV export, the review queue and the deal program settings."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet, Sum
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from deals import selectors, services, services_settings
from deals.access import (
    get_deal_for_manager,
    get_product_for_admin,
    get_rule_for_admin,
    get_stage_for_admin,
)
from deals.forms_pipeline import (
    AutoApprovalRuleForm,
    BulkApproveForm,
    CustomerAccountsForm,
    DealFilterForm,
    DecisionForm,
    ExchangeRateForm,
    ProductLineEditForm,
    ProductLineForm,
    StageForm,
    StageMoveForm,
)
from deals.models import (
    AutoApprovalRule,
    CustomerAccount,
    Deal,
    DealStage,
    DealStatus,
    ExchangeRate,
    ProductLine,
)
from partners.models import Tier
from prm.access import admin_required, member_required, require_roles
from prm.csv_export import csv_download
from prm.errors import DomainError, PreconditionFailed
from prm.htmx import render_page
from prm.models import VENDOR_ROLES, Membership

vendor_required = require_roles(*VENDOR_ROLES)
PAGE_SIZE = 25
SOON_DAYS = 14  # protection ending within this many days is highlighted


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# --- the deal list ------------------------------------------------------------------------

@member_required
@require_GET
def deal_list(request: HttpRequest) -> HttpResponse:
    member = request.membership
    stages = list(DealStage.objects.order_by("rank"))
    form = DealFilterForm(request.GET or None, member=member, stages=stages,
                          currency=request.tenant.default_currency)
    deals = selectors.deal_list(member=member, **form.filters())
    page = Paginator(deals, PAGE_SIZE).get_page(request.GET.get("page"))
    return render_page(request, "deals/list.html", {
        "form": form, "page": page, "deals": _with_days_left(page.object_list),
        "chart": _stage_chart(stages, deals), "query": _query_without_page(request),
        "soon_days": SOON_DAYS,
    }, partial="deals/partials/list_rows.html")


def _with_days_left(deals: Iterable[Deal]) -> list[Deal]:
    """Each deal with ``days_left``: whole days until an approved one's protection ends."""
    today = timezone.localdate()
    rows = list(deals)
    for deal in rows:
        deal.days_left = None
        if deal.status == DealStatus.APPROVED and deal.protection_expires_at:
            deal.days_left = max(
                (timezone.localdate(deal.protection_expires_at) - today).days, 0)
    return rows


CHART_ROW, CHART_BAR, CHART_WIDTH, CHART_BAR_MAX = 44, 16, 480, 300


def _stage_chart(stages: list[DealStage], deals: QuerySet[Deal]) -> dict:
    """Geometry of the amount-per-stage bar chart (the filtered deals), drawn as SVG."""
    sums = {row["stage_id"]: row for row in deals.order_by().values("stage_id").annotate(
        total=Sum("reporting_amount"), count=Count("pk"))}
    totals = [(stage, sums.get(stage.pk, {}).get("total") or Decimal(0),
               sums.get(stage.pk, {}).get("count", 0)) for stage in stages]
    top = max((total for _stage, total, _count in totals), default=0) or 1
    bars = []
    for i, (stage, total, count) in enumerate(totals):
        width = round(total / top * CHART_BAR_MAX)
        bars.append({"stage": stage, "total": total, "count": count,
                     "label_y": i * CHART_ROW + 14, "bar_y": i * CHART_ROW + 20,
                     "width": max(width, 2), "value_x": width + 8,
                     "value_y": i * CHART_ROW + 20 + CHART_BAR - 3})
    return {"bars": bars, "width": CHART_WIDTH, "height": max(len(bars) * CHART_ROW, 1),
            "bar_height": CHART_BAR, "grand_total": sum(t for _s, t, _c in totals)}


EXPORT_COLUMNS = ("pk", "registered_at", "partner__name", "registered_by__user__email",
                  "customer_name", "customer_domain", "customer_country", "contact_name",
                  "contact_email", "contact_title", "product__name", "stage__name", "status",
                  "amount", "currency", "reporting_amount", "expected_close_date",
                  "protection_expires_at", "has_conflict", "closed_at")
EXPORT_HEADER = ("id", "registered_at", "partner", "registered_by", "customer",
                 "customer_domain", "customer_country", "contact_name", "contact_email",
                 "contact_title", "product_line", "stage", "status", "amount", "currency",
                 "reporting_amount", "expected_close_date", "protection_expires_at",
                 "possible_conflict", "closed_at")


@member_required
@require_GET
def deal_export(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered list as CSV (partner people: their company's deals only)."""
    member = request.membership
    form = DealFilterForm(request.GET or None, member=member,
                          stages=DealStage.objects.order_by("rank"),
                          currency=request.tenant.default_currency)
    deals = selectors.deal_list(member=member, **form.filters())
    return csv_download(request.tenant, name="deals", header=EXPORT_HEADER,
                        rows=deals.values_list(*EXPORT_COLUMNS))


# --- the review queue ---------------------------------------------------------------------

@vendor_required
@require_GET
def deal_review_queue(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.review_queue(), PAGE_SIZE).get_page(request.GET.get("page"))
    extensions = list(selectors.extension_requests()[:EXTENSIONS_SHOWN + 1])
    return render(request, "deals/review_queue.html", {
        "page": page, "today": timezone.now(), "extensions": extensions[:EXTENSIONS_SHOWN],
        "more_extensions": len(extensions) > EXTENSIONS_SHOWN})


EXTENSIONS_SHOWN = 20


def _back_to_queue(request: HttpRequest, deal_id: int | None = None) -> HttpResponse:
    url = reverse("deal_review_queue")
    page = request.POST.get("page", "")
    if page.isdigit() and page != "1":
        url += f"?page={page}"
    return redirect(url + (f"#deal-{deal_id}" if deal_id else ""))


@vendor_required
@require_POST
def deal_review_decide(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal = get_deal_for_manager(request.membership, deal_id)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, f"{deal.customer_name}: {errors[0]}")
        return _back_to_queue(request, deal.pk)
    data = form.cleaned_data
    decide = services.deal_approve if data["decision"] == "approve" else services.deal_reject
    try:
        decide(member=request.membership, deal=deal, note=data["note"],
               expected_version=data["version"])
    except DomainError as error:
        messages.error(request, f"{deal.customer_name}: {error.message}")
        return _back_to_queue(request, deal.pk)
    done = (_("%s is approved; its protection runs from now.") if data["decision"] == "approve"
            else _("%s is rejected; the partner sees your note."))
    messages.success(request, done % deal.customer_name)
    return _back_to_queue(request)


@vendor_required
@require_POST
def deal_bulk_approve(request: HttpRequest) -> HttpResponse:
    form = BulkApproveForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["selected"][0])
        return _back_to_queue(request)
    approved, changed, conflicted = _approve_each(request.membership,
                                                  form.cleaned_data["selected"])
    if approved:
        messages.success(request, ngettext("%(count)d registration approved.",
                                           "%(count)d registrations approved.",
                                           len(approved)) % {"count": len(approved)})
    if changed:
        messages.warning(request, _("Skipped, as they were changed meanwhile: %s") %
                         ", ".join(deal.customer_name for deal in changed))
    if conflicted:
        messages.warning(request, _("Skipped, as they have possible conflicts (decide on "
                                    "each alone): %s") %
                         ", ".join(deal.customer_name for deal in conflicted))
    return _back_to_queue(request)


def _approve_each(member: Membership, chosen: dict[int, int]):
    """Approve each chosen registration in its own transaction, with the version the
    manager saw; conflicted and changed ones are skipped. In id order, so two bulk
    approvals lock rows in the same order."""
    approved, changed, conflicted = [], [], []
    for deal in selectors.deal_visible(member=member).filter(pk__in=chosen).order_by("pk"):
        if deal.has_conflict:
            conflicted.append(deal)
            continue
        try:
            services.deal_approve(member=member, deal=deal, expected_version=chosen[deal.pk])
        except PreconditionFailed:
            changed.append(deal)
        except DomainError:
            changed.append(deal)  # no longer submitted, e.g. withdrawn meanwhile
        else:
            approved.append(deal)
    return approved, changed, conflicted


# --- settings -------------------------------------------------------------------------------

def _tiers():
    return Tier.objects.order_by("rank")


def _settings_page(request: HttpRequest, **bound) -> HttpResponse:
    """The settings overview; ``bound`` holds a submitted form that needs correcting."""
    currency = request.tenant.default_currency
    forms = {
        "product_form": ProductLineForm(),
        "stage_form": StageForm(),
        "rate_form": ExchangeRateForm(currency=currency),
        "rule_form": AutoApprovalRuleForm(tiers=_tiers(), currency=currency),
        **bound,
    }
    tiers = list(_tiers())
    tier_names = {tier.rank: tier.name for tier in tiers}
    rules = list(AutoApprovalRule.objects.order_by("name", "pk"))
    for rule in rules:
        rule.tier_name = tier_names.get(rule.min_tier_rank, "") if rule.min_tier_rank else ""
    return render(request, "deals/settings.html", {
        **forms,
        "products": ProductLine.objects.order_by("-is_active", "name", "pk"),
        "stages": DealStage.objects.order_by("rank"),
        "rates": _rates(),
        "rules": rules,
        "customer_count": CustomerAccount.objects.count(),
    }, status=400 if bound else 200)


def _rates() -> list[ExchangeRate]:
    rates = list(ExchangeRate.objects.order_by("currency", "-valid_from")[:100])
    for rate in rates:
        rate.shown = f"{rate.rate.normalize():f}"  # 0.92, not 0.92000000
    return rates


@admin_required
@require_GET
def deal_settings(request: HttpRequest) -> HttpResponse:
    return _settings_page(request)


def _edit_page(request: HttpRequest, form, save: Callable[[], object], *, anchor: str,
               title: str, action: str) -> HttpResponse:
    """The edit page of one settings row: a valid form is saved and the admin goes back
    to its section of the settings page; otherwise the form again (400 with errors)."""
    if form.is_bound and form.is_valid():
        try:
            save()
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("Saved."))
            return redirect(reverse("deal_settings") + anchor)
    return render(request, "deals/settings_form.html",
                  {"form": form, "title": title, "action": action},
                  status=400 if form.is_bound else 200)


@admin_required
@require_POST
def deal_product_create(request: HttpRequest) -> HttpResponse:
    form = ProductLineForm(request.POST)
    if form.is_valid():
        try:
            product = services_settings.product_line_create(actor=request.user,
                                                            **form.cleaned_data)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("Product line %s added.") % product.name)
            return redirect(reverse("deal_settings") + "#products-heading")
    return _settings_page(request, product_form=form)


@admin_required
@require_http_methods(["GET", "POST"])
def deal_product_edit(request: HttpRequest, product_id: int) -> HttpResponse:
    product = get_product_for_admin(request.membership, product_id)
    form = ProductLineEditForm(request.POST if request.method == "POST" else None,
                               initial={"name": product.name, "is_active": product.is_active})
    return _edit_page(
        request, form, lambda: services_settings.product_line_update(
            actor=request.user, product=product, **form.cleaned_data),
        anchor="#products-heading", title=_("Edit the product line %s") % product.name,
        action=reverse("deal_product_edit", args=[product.pk]))


@admin_required
@require_POST
def deal_stage_create(request: HttpRequest) -> HttpResponse:
    form = StageForm(request.POST)
    if form.is_valid():
        try:
            stage = services_settings.deal_stage_create(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("Stage %s added at the end.") % stage.name)
            return redirect(reverse("deal_settings") + "#stages-heading")
    return _settings_page(request, stage_form=form)


@admin_required
@require_http_methods(["GET", "POST"])
def deal_stage_edit(request: HttpRequest, stage_id: int) -> HttpResponse:
    stage = get_stage_for_admin(request.membership, stage_id)
    form = StageForm(request.POST if request.method == "POST" else None,
                     initial={"name": stage.name})
    return _edit_page(
        request, form, lambda: services_settings.deal_stage_rename(
            actor=request.user, stage=stage, **form.cleaned_data),
        anchor="#stages-heading", title=_("Rename the stage %s") % stage.name,
        action=reverse("deal_stage_edit", args=[stage.pk]))


@admin_required
@require_POST
def deal_stage_move(request: HttpRequest, stage_id: int) -> HttpResponse:
    stage = get_stage_for_admin(request.membership, stage_id)
    form = StageMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Move a stage up or down."))
    else:
        try:
            services_settings.deal_stage_move(actor=request.user, stage=stage,
                                              direction=form.cleaned_data["direction"])
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Stage %s moved.") % stage.name)
    return redirect(reverse("deal_settings") + "#stages-heading")


@admin_required
@require_POST
def deal_rate_set(request: HttpRequest) -> HttpResponse:
    form = ExchangeRateForm(request.POST, currency=request.tenant.default_currency)
    if form.is_valid():
        try:
            rate = services.exchange_rate_set(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("Rate for %(currency)s from %(date)s saved.") % {
                "currency": rate.currency, "date": rate.valid_from.isoformat()})
            return redirect(reverse("deal_settings") + "#rates-heading")
    return _settings_page(request, rate_form=form)


@admin_required
@require_POST
def deal_rule_create(request: HttpRequest) -> HttpResponse:
    form = AutoApprovalRuleForm(request.POST, tiers=_tiers(),
                                currency=request.tenant.default_currency)
    if form.is_valid():
        try:
            rule = services_settings.auto_approval_rule_create(actor=request.user,
                                                               **form.rule())
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("Rule %s added.") % rule.name)
            return redirect(reverse("deal_settings") + "#rules-heading")
    return _settings_page(request, rule_form=form)


@admin_required
@require_http_methods(["GET", "POST"])
def deal_rule_edit(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = get_rule_for_admin(request.membership, rule_id)
    tiers = _tiers()
    form = AutoApprovalRuleForm(
        request.POST if request.method == "POST" else None, tiers=tiers,
        currency=request.tenant.default_currency,
        initial={"name": rule.name, "max_amount": rule.max_amount, "is_active": rule.is_active,
                 "min_tier": tiers.filter(rank=rule.min_tier_rank).first()
                 if rule.min_tier_rank else None})
    return _edit_page(
        request, form, lambda: services_settings.auto_approval_rule_update(
            actor=request.user, rule=rule, **form.rule()),
        anchor="#rules-heading", title=_("Edit the rule %s") % rule.name,
        action=reverse("deal_rule_edit", args=[rule.pk]))


CUSTOMERS_SHOWN = 50
REFUSALS_SHOWN = 200


@admin_required
@require_http_methods(["GET", "POST"])
def deal_customers(request: HttpRequest) -> HttpResponse:
    """The direct-customer list: replaced whole by an uploaded CSV, or not at all."""
    form = CustomerAccountsForm(request.POST or None, request.FILES or None)
    refused = []
    if form.is_bound and form.is_valid():
        refused = form.refused
        if not refused:
            count = services.customer_accounts_replace(actor=request.user, rows=form.rows)
            messages.success(request, ngettext(
                "The direct-customer list now holds %(count)d account.",
                "The direct-customer list now holds %(count)d accounts.", count) % {
                "count": count})
            return redirect("deal_customers")
    return render(request, "deals/settings_customers.html", {
        "form": form, "refused": refused[:REFUSALS_SHOWN], "refused_count": len(refused),
        "accepted_count": len(getattr(form, "rows", [])),
        "accounts": CustomerAccount.objects.order_by("name", "pk")[:CUSTOMERS_SHOWN],
        "account_count": CustomerAccount.objects.count(),
    }, status=400 if form.is_bound else 200)
