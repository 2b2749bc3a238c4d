"""Pages of the partner import: upload and format, dry-run report, apply with progress."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_countries import countries

from partners import imports
from partners.forms_import import PartnerImportForm
from partners.imports import get_partner_import_for_admin
from partners.models import Partner, PartnerImport, PartnerStatus, PartnerType, Region
from prm.access import admin_required
from prm.errors import DomainError
from prm.htmx import render_page

PAGE_SIZE = 50
S = PartnerImport.Status


@admin_required
@require_http_methods(["GET", "POST"])
def partner_import(request: HttpRequest) -> HttpResponse:
    posted = request.method == "POST"
    form = PartnerImportForm(request.POST, request.FILES) if posted else PartnerImportForm()
    if posted and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            created = imports.partner_import_upload(actor=request.user, filename=upload.name,
                                                    data=upload.read())
        except DomainError as error:
            form.add_error("file", error.message)
        else:
            return redirect("partner_import_detail", import_id=created.pk)
    return render(request, "partners/import.html", {
        "form": form,
        "recent": imports.partner_import_recent(),
        "tiers": imports.tier_names(),
        "regions": Region.choices,
        "types": PartnerType.choices,
        "initial_statuses": [(s.value, s.label) for s in PartnerStatus
                             if s in imports.INITIAL_STATUSES],
        "max_rows": imports.MAX_ROWS,
    })


@admin_required
@require_GET
def partner_import_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(imports.csv_template(manager_email=request.user.email),
                            content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="partners-template.csv"'
    return response


@admin_required
@require_GET
def partner_import_detail(request: HttpRequest, import_id: int) -> HttpResponse:
    found = get_partner_import_for_admin(request.membership, import_id)
    return render_page(request, "partners/import_detail.html", _context(request, found),
                       partial="partners/partials/import_rows.html")


@admin_required
@require_GET
def partner_import_progress(request: HttpRequest, import_id: int) -> HttpResponse:
    """The polled part of the detail page: progress while running, then the report."""
    found = get_partner_import_for_admin(request.membership, import_id)
    if not getattr(request, "htmx", False):
        return redirect("partner_import_detail", import_id=found.pk)
    return render(request, "partners/partials/import_body.html", _context(request, found))


@admin_required
@require_POST
def partner_import_apply(request: HttpRequest, import_id: int) -> HttpResponse:
    found = get_partner_import_for_admin(request.membership, import_id)
    try:
        found = imports.partner_import_apply_request(actor=request.user, partner_import=found)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("partner_import_detail", import_id=found.pk)


@admin_required
@require_POST
def partner_import_recheck(request: HttpRequest, import_id: int) -> HttpResponse:
    found = get_partner_import_for_admin(request.membership, import_id)
    try:
        again = imports.partner_import_recheck(actor=request.user, partner_import=found)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("partner_import_detail", import_id=found.pk)
    return redirect("partner_import_detail", import_id=again.pk)


# --- Presentation of the report --------------------------------------------------------

FIELDS = {   # in the order of the CSV's columns
    "name": Partner._meta.get_field("name").verbose_name,
    "website": Partner._meta.get_field("website").verbose_name,
    "country": Partner._meta.get_field("country").verbose_name,
    "region": Partner._meta.get_field("region").verbose_name,
    "type": Partner._meta.get_field("partner_type").verbose_name,
    "partner_type": Partner._meta.get_field("partner_type").verbose_name,
    "tier": Partner._meta.get_field("tier").verbose_name,
    "status": Partner._meta.get_field("status").verbose_name,
    "manager": Partner._meta.get_field("manager").verbose_name,
    "specialisations": Partner._meta.get_field("specialisations").verbose_name,
}
LABELS = {"country": lambda code: countries.name(code) or code,
          "region": lambda code: Region(code).label,
          "type": lambda code: PartnerType(code).label,
          "partner_type": lambda code: PartnerType(code).label,
          "status": lambda code: PartnerStatus(code).label}


def _shown(key: str, value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(value)
    if value and key in LABELS:
        try:
            return str(LABELS[key](value))
        except ValueError:
            return str(value)
    return str(value or "")


def _ordered(values: dict[str, Any]) -> list[tuple[str, Any]]:
    """In the order of the CSV's columns (the database keeps JSON keys in its own)."""
    order = list(FIELDS)
    return sorted(values.items(), key=lambda item: order.index(item[0])
                  if item[0] in order else len(order))


def _present(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "line": entry["line"],
        "action": entry["action"],
        "action_label": imports.ACTIONS[entry["action"]],
        "name": entry.get("name", ""),
        "domain": entry.get("domain", ""),
        "reasons": [imports.message(r["code"], r) for r in entry.get("reasons", [])],
        "notes": [imports.message(n["code"], n) for n in entry.get("notes", [])],
        "changes": [(FIELDS.get(k, k), _shown(k, before), _shown(k, after))
                    for k, (before, after) in _ordered(entry.get("changes", {}))],
        "summary": [(FIELDS.get(k, k), _shown(k, v))
                    for k, v in _ordered(entry.get("summary", {}))],
    }


def _context(request: HttpRequest, found: PartnerImport) -> dict[str, Any]:
    show = request.GET.get("show", "")
    show = show if show in imports.ACTIONS else ""
    page = Paginator(imports.partner_import_rows(partner_import=found, show=show),
                     PAGE_SIZE).get_page(request.GET.get("page"))
    progress = imports.partner_import_progress(found) if found.status in imports.RUNNING \
        else None
    percent = (100 * progress["done"] // progress["total"]) if progress and progress["total"] \
        else 0
    return {
        "import": found,
        "running": found.status in imports.RUNNING,
        "progress": progress,
        "percent": percent,
        "show": show,
        "page": page,
        "entries": [_present(entry) for entry in page.object_list],
        "failure": imports.partner_import_failure(found) if found.status == S.FAILED else "",
        "new_specialisations": imports.partner_import_new_specialisations(found),
        "unchanged": imports.partner_import_unchanged(found),
        "tabs": [("", _("All rows"), found.total_rows),
                 ("refuse", _("Refused"), found.refused),
                 ("create", _("To create"), found.to_create),
                 ("update", _("To update"), found.to_update)],
    }
