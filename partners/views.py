"""Portal pages of the partner directory, partner profiles and the partner program (tiers)."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Max, OuterRef, QuerySet, StringAgg, Subquery, Value
from django.forms.models import model_to_dict
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partners import selectors, services
from partners.access import (
    get_partner_for_member,
    get_partner_rw_for_member,
    get_tier_rw_for_member,
)
from partners.forms import (
    DirectoryFilterForm,
    PartnerCreateForm,
    PartnerForm,
    TierForm,
    TransitionForm,
)
from partners.models import PartnerSpecialisation, PartnerStatus, Tier
from prm.access import admin_required, member_required, require_roles
from prm.csv_export import csv_download
from prm.errors import DomainError
from prm.htmx import render_page
from prm.models import PARTNER_ROLES, VENDOR_ROLES

vendor_required = require_roles(*VENDOR_ROLES)
partner_people_required = require_roles(*PARTNER_ROLES)
PAGE_SIZE = 25


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# --- the directory ------------------------------------------------------------------

@vendor_required
@require_GET
def partner_directory(request: HttpRequest) -> HttpResponse:
    form = DirectoryFilterForm(request.GET or None)
    partners = selectors.partner_directory(member=request.membership, **form.filters())
    page = Paginator(partners, PAGE_SIZE).get_page(request.GET.get("page"))
    return render_page(request, "partners/directory.html",
                       {"form": form, "page": page, "query": _query_without_page(request)},
                       partial="partners/partials/directory_rows.html")


EXPORT_COLUMNS = ("name", "domain", "website", "country", "region", "partner_type",
                  "tier__name", "status", "status_reason", "manager__user__email",
                  "specialisation_names", "created_at")
EXPORT_HEADER = ("name", "domain", "website", "country", "region", "partner_type", "tier",
                 "status", "status_reason", "manager", "specialisations", "created_at")


@vendor_required
@require_GET
def partner_export(request: HttpRequest) -> StreamingHttpResponse:
    form = DirectoryFilterForm(request.GET or None)
    partners = selectors.partner_directory(member=request.membership, **form.filters())
    return csv_download(request.tenant, name="partners", header=EXPORT_HEADER,
                        rows=_export_rows(partners))


def _export_rows(partners: QuerySet) -> QuerySet:
    names = (PartnerSpecialisation.objects.filter(partner=OuterRef("pk")).values("partner")
             .annotate(names=StringAgg("specialisation__name", Value("; "),
                                       order_by="specialisation__name"))
             .values("names"))
    return partners.annotate(specialisation_names=Subquery(names)).values_list(*EXPORT_COLUMNS)


# --- partners -------------------------------------------------------------------------

@vendor_required
@require_http_methods(["GET", "POST"])
def partner_create(request: HttpRequest) -> HttpResponse:
    form = PartnerCreateForm(request.POST if request.method == "POST" else None,
                             initial={"manager": request.membership.pk})
    if form.is_bound and form.is_valid():
        try:
            with transaction.atomic():  # new tags go too when the partner is refused
                partner = services.partner_create(actor=request.user, **form.profile())
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("%s was added to the program.") % partner.name)
            return redirect("partner_detail", partner.pk)
    return render(request, "partners/partner_form.html", {"form": form})


@member_required
@require_GET
def partner_detail(request: HttpRequest, partner_id: int) -> HttpResponse:
    partner = get_partner_for_member(request.membership, partner_id)
    return render(request, "partners/partner_detail.html", {
        "partner": partner,
        "specialisations": partner.specialisations.order_by("name"),
        "history": selectors.partner_history(partner=partner),
        "people": selectors.partner_people(partner=partner),
        "transitions": _transitions(partner) if request.membership.is_vendor else [],
    })


def _transitions(partner) -> list[dict]:
    return [{"status": status, "label": PartnerStatus(status).label,
             "reason_required": status in services.REASON_REQUIRED}
            for status in services.allowed_transitions(partner)]


@vendor_required
@require_http_methods(["GET", "POST"])
def partner_edit(request: HttpRequest, partner_id: int) -> HttpResponse:
    partner = get_partner_rw_for_member(request.membership, partner_id)
    form = PartnerForm(request.POST if request.method == "POST" else None,
                       initial=model_to_dict(partner, fields=[*PartnerForm.base_fields]))
    if form.is_bound and form.is_valid():
        try:
            with transaction.atomic():  # new tags go too when the change is refused
                services.partner_update(actor=request.user, partner=partner,
                                        **form.profile())
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("Saved."))
            return redirect("partner_detail", partner.pk)
    return render(request, "partners/partner_form.html", {"form": form, "partner": partner})


@vendor_required
@require_POST
def partner_transition(request: HttpRequest, partner_id: int) -> HttpResponse:
    partner = get_partner_rw_for_member(request.membership, partner_id)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the statuses offered."))
        return redirect("partner_detail", partner.pk)
    try:
        partner = services.partner_transition(actor=request.user, partner=partner,
                                              to_status=form.cleaned_data["status"],
                                              reason=form.cleaned_data["reason"])
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(partner)s is now %(status)s.") % {
            "partner": partner.name, "status": partner.get_status_display()})
    return redirect("partner_detail", partner.pk)


# --- the program: tiers -----------------------------------------------------------------

CHART_ROW, CHART_BAR, CHART_WIDTH, CHART_BAR_MAX = 44, 16, 360, 300


def _tier_chart(tiers: Iterable[Tier]) -> dict:
    """Geometry of the partners-per-tier bar chart, drawn as SVG by the template."""
    tiers = list(tiers)
    top = max((t.partner_count for t in tiers), default=0) or 1
    bars = [{"tier": t, "label_y": i * CHART_ROW + 14, "bar_y": i * CHART_ROW + 20,
             "width": max(round(t.partner_count / top * CHART_BAR_MAX), 2),
             "count_x": round(t.partner_count / top * CHART_BAR_MAX) + 8,
             "count_y": i * CHART_ROW + 20 + CHART_BAR - 3}
            for i, t in enumerate(tiers)]
    return {"bars": bars, "width": CHART_WIDTH, "height": len(tiers) * CHART_ROW,
            "bar_height": CHART_BAR}


@admin_required
@require_GET
def tier_list(request: HttpRequest) -> HttpResponse:
    tiers = list(selectors.tier_list())
    return render(request, "partners/tiers.html", {"tiers": tiers, "chart": _tier_chart(tiers)})


@admin_required
@require_http_methods(["GET", "POST"])
def tier_create(request: HttpRequest) -> HttpResponse:
    next_rank = (Tier.objects.aggregate(top=Max("rank"))["top"] or 0) + 1
    form = TierForm(request.POST if request.method == "POST" else None,
                    initial={"rank": next_rank})
    if form.is_bound and form.is_valid():
        try:
            tier = services.tier_create(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("Tier %s added.") % tier.name)
            return redirect("tier_list")
    return render(request, "partners/tier_form.html", {"form": form})


@admin_required
@require_http_methods(["GET", "POST"])
def tier_edit(request: HttpRequest, tier_id: int) -> HttpResponse:
    tier = get_tier_rw_for_member(request.membership, tier_id)
    name = tier.name  # the form's validation writes the typed values onto ``tier``
    form = TierForm(request.POST if request.method == "POST" else None, instance=tier)
    if form.is_bound and form.is_valid():
        try:
            services.tier_update(actor=request.user, tier=tier, **form.cleaned_data)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("Saved."))
            return redirect("tier_list")
    return render(request, "partners/tier_form.html", {"form": form, "tier_name": name})


@admin_required
@require_POST
def tier_delete(request: HttpRequest, tier_id: int) -> HttpResponse:
    tier = get_tier_rw_for_member(request.membership, tier_id)
    try:
        services.tier_delete(actor=request.user, tier=tier)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Tier %s deleted.") % tier.name)
    return redirect("tier_list")


@partner_people_required
@require_GET
def my_program(request: HttpRequest) -> HttpResponse:
    partner = get_partner_for_member(request.membership, request.membership.partner_id)
    return render(request, "partners/my_program.html", {
        "partner": partner,
        "next_tier": services.next_tier(partner.tier),
        "tiers": Tier.objects.order_by("rank"),
    })
