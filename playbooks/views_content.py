"""Portal pages of the content library: browse, open (counted), and admin editing."""

from __future__ import annotations

import posixpath

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partners.models import PartnerType, Tier
from playbooks import content
from playbooks.forms_content import ContentFilterForm, ContentForm
from prm.access import admin_required, member_required
from prm.errors import DomainError
from prm.htmx import render_page
from prm.models import Role

PAGE_SIZE = 30


@member_required
@require_GET
def content_library(request: HttpRequest) -> HttpResponse:
    member = request.membership
    form = ContentFilterForm(request.GET or None, tags=content.content_tags(member=member))
    items = content.content_list(member=member, **form.filters())
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    is_admin = member.role == Role.TENANT_ADMIN
    _describe(page, vendor=member.is_vendor, counts=is_admin)
    query = request.GET.copy()
    query.pop("page", None)
    return render_page(request, "playbooks/content_library.html", {
        "form": form, "page": page, "is_admin": is_admin, "query": query.urlencode(),
    }, partial="playbooks/partials/content_results.html")


def _describe(page, *, vendor: bool, counts: bool) -> None:
    """The file type of each item; for the vendor, who may see it and (for admins) how
    often it was opened: two queries, whatever the number of items."""
    for item in page:
        item.extension = content.file_extension(item.file.name).upper() if item.file else ""
    if not vendor:
        return
    tiers = dict(Tier.objects.values_list("rank", "name"))
    totals = content.content_counts(item_ids=[item.pk for item in page]) if counts else {}
    for item in page:
        item.type_labels = [PartnerType(t).label for t in item.partner_types
                            if t in PartnerType.values]
        item.tier_name = tiers.get(item.min_tier_rank, item.min_tier_rank)
        item.counts = totals.get(item.pk)


@member_required
@require_GET
def content_open(request: HttpRequest, item_id: int) -> HttpResponse:
    """Count the view (and download), then hand out the file or follow the link."""
    item = content.get_content_for_member(request.membership, item_id)
    if not item.file:
        content.content_open(actor=request.user, member=request.membership, item=item)
        return HttpResponseRedirect(item.url)
    try:
        handle = item.file.storage.open(item.file.name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    content.content_open(actor=request.user, member=request.membership, item=item)
    return FileResponse(handle, as_attachment=True,
                        filename=posixpath.basename(item.file.name),
                        content_type=content.content_type_of(item.file.name))


@admin_required
@require_http_methods(["GET", "POST"])
def content_new(request: HttpRequest) -> HttpResponse:
    form = ContentForm(request.POST if request.method == "POST" else None,
                       request.FILES or None)
    if form.is_bound and form.is_valid():
        try:
            item = content.content_create(actor=request.user, **form.values())
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("“%s” was added to the library.") % item.title)
            return redirect("content_library")
    return render(request, "playbooks/content_form.html", {"form": form})


@admin_required
@require_http_methods(["GET", "POST"])
def content_edit(request: HttpRequest, item_id: int) -> HttpResponse:
    item = content.get_content_rw_for_member(request.membership, item_id)
    form = ContentForm(request.POST if request.method == "POST" else None,
                       request.FILES or None, item=item, initial=ContentForm.initial_for(item))
    if form.is_bound and form.is_valid():
        try:
            item = content.content_update(actor=request.user, item=item, **form.values())
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("Saved."))
            return redirect("content_library")
    item.file_name = posixpath.basename(item.file.name) if item.file else ""
    return render(request, "playbooks/content_form.html", {"form": form, "item": item})


@admin_required
@require_POST
def content_delete(request: HttpRequest, item_id: int) -> HttpResponse:
    item = content.get_content_rw_for_member(request.membership, item_id)
    content.content_delete(actor=request.user, item=item)
    messages.success(request, _("“%s” was removed from the library.") % item.title)
    return redirect("content_library")
