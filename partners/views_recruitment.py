"""Recruitment pages (the public application, the review queue) and the partner's team."""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partners import selectors, services
from partners.access import VENDOR, get_application_for_member, get_colleague_for_partner_admin
from partners.forms_recruitment import (
    ApplicationForm,
    ApproveForm,
    DeclineForm,
    TeamInviteForm,
    TeamMemberForm,
)
from partners.models import PartnerApplication, Region
from prm.access import require_roles
from prm.errors import DomainError
from prm.models import Role

# Accepted applications per client address and tenant (cache keys carry the tenant).
APPLY_LIMIT = 5
APPLY_WINDOW_SECONDS = 60 * 60

vendor_required = require_roles(*VENDOR)
partner_admin_required = require_roles(Role.PARTNER_ADMIN)


# --- the public application ---------------------------------------------------------

def _apply_rate_key(request: HttpRequest) -> str:
    """Per client address, as allauth's sign-in limits see it: behind a proxy, set
    PRM_TRUSTED_PROXY_COUNT, or every applicant shares the proxy's address."""
    return f"partners:apply:{get_adapter(request).get_client_ip(request)}"


def _apply_limit_reached(request: HttpRequest) -> bool:
    return (cache.get(_apply_rate_key(request)) or 0) >= APPLY_LIMIT


def _apply_count(request: HttpRequest) -> None:
    key = _apply_rate_key(request)
    if not cache.add(key, 1, APPLY_WINDOW_SECONDS):
        try:
            cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, APPLY_WINDOW_SECONDS)


@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest) -> HttpResponse:
    """Public: a company applies to the program. No sign-in; honeypot and rate limit."""
    form = ApplicationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if _apply_limit_reached(request):
            form.add_error(None, _("We have received several applications from your network "
                                   "in the last hour. Please try again later."))
            status = 429
        elif form.filled_honeypot:
            _apply_count(request)  # thanked like a person, stored nowhere
            return redirect("apply_done")
        elif form.is_valid():
            try:
                services.application_submit(**form.application_data())
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None,
                               error.message)
            else:
                _apply_count(request)
                return redirect("apply_done")
    return render(request, "partners/apply.html", {"form": form}, status=status)


@require_GET
def apply_done(request: HttpRequest) -> HttpResponse:
    return render(request, "partners/apply_done.html")


# --- the review queue ----------------------------------------------------------------

@vendor_required
@require_GET
def application_queue(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status")
    if status not in PartnerApplication.Status.values:
        status = PartnerApplication.Status.PENDING
    applications = selectors.application_queue(status=status)
    if status != PartnerApplication.Status.PENDING:
        applications = applications.reverse()  # the latest decisions first
    page = Paginator(applications, 50).get_page(request.GET.get("page"))
    return render(request, "partners/application_queue.html", {
        "page": page, "status": status, "statuses": PartnerApplication.Status.choices,
    })


def _render_detail(request: HttpRequest, application: PartnerApplication, *,
                   approve_form: ApproveForm | None = None,
                   decline_form: DeclineForm | None = None, status: int = 200) -> HttpResponse:
    return render(request, "partners/application_detail.html", {
        "application": application,
        "regions": [Region(code).label for code in application.regions if code in Region.values],
        "approve_form": approve_form or ApproveForm(member=request.membership),
        "decline_form": decline_form or DeclineForm(),
    }, status=status)


@vendor_required
@require_GET
def application_detail(request: HttpRequest, application_id: int) -> HttpResponse:
    application = get_application_for_member(request.membership, application_id)
    return _render_detail(request, application)


@vendor_required
@require_POST
def application_approve(request: HttpRequest, application_id: int) -> HttpResponse:
    application = get_application_for_member(request.membership, application_id)
    form = ApproveForm(request.POST, member=request.membership)
    if not form.is_valid():
        return _render_detail(request, application, approve_form=form)
    try:
        partner = services.application_approve(actor=request.user, application=application,
                                               **form.cleaned_data)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("application_detail", application_id=application.pk)
    messages.success(request, _("%(partner)s is now a partner; %(name)s (%(email)s) was invited "
                                "as partner admin.") % {
        "partner": partner.name, "name": application.contact_name,
        "email": application.contact_email})
    return redirect("partner_detail", partner_id=partner.pk)


@vendor_required
@require_POST
def application_decline(request: HttpRequest, application_id: int) -> HttpResponse:
    application = get_application_for_member(request.membership, application_id)
    form = DeclineForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, application, decline_form=form)
    try:
        services.application_decline(actor=request.user, application=application,
                                     note=form.cleaned_data["note"])
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("application_detail", application_id=application.pk)
    messages.success(request, _("Application of %(company)s declined; we e-mail your note to "
                                "%(email)s.") % {"company": application.company_name,
                                                 "email": application.contact_email})
    return redirect("application_queue")


# --- the partner's team ------------------------------------------------------------

@partner_admin_required
@require_http_methods(["GET", "POST"])
def partner_team(request: HttpRequest) -> HttpResponse:
    """A partner admin's colleagues, their open invitations, and an invitation form."""
    member = request.membership
    form = TeamInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.partner_user_invite(actor_membership=member,
                                                      **form.cleaned_data)
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("Invitation sent to %s.") % invitation.email)
            return redirect("partner_team")
    return render(request, "partners/team.html", {
        "partner": member.partner,
        "people": selectors.partner_people(partner=member.partner),
        "invitations": selectors.partner_invitations_pending(partner=member.partner),
        "form": form,
    })


@partner_admin_required
@require_POST
def partner_team_member(request: HttpRequest, membership_id: int) -> HttpResponse:
    """Deactivate or reactivate a colleague of the partner admin's own company."""
    colleague = get_colleague_for_partner_admin(request.membership, membership_id)
    form = TeamMemberForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose to deactivate or reactivate."))
        return redirect("partner_team")
    is_active = form.cleaned_data["is_active"]
    try:
        services.partner_user_set_active(actor_membership=request.membership,
                                         membership=colleague, is_active=is_active)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        name = colleague.user.full_name or colleague.user.email
        messages.success(request, _("%s can sign in again.") % name if is_active
                         else _("%s can no longer sign in; their API keys are revoked.") % name)
    return redirect("partner_team")
