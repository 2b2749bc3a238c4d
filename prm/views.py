"""Portal pages of the platform core."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from prm import selectors, services
from prm.access import (
    admin_required,
    get_api_key_for_member,
    get_invitation_for_admin,
    get_membership_for_admin,
    member_required,
)
from prm.errors import DomainError
from prm.forms import (
    AcceptInvitationForm,
    ApiKeyForm,
    EventFilterForm,
    InvitationForm,
    MembershipForm,
    ProfileForm,
    ProgramSettingsForm,
)
from prm.htmx import render_page
from prm.models import Role, User


@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.membership:
        return redirect("home")
    return redirect("account_login")


HOME_TEMPLATES = {
    Role.TENANT_ADMIN: "portal/home_tenant_admin.html",
    Role.CHANNEL_MANAGER: "portal/home_channel_manager.html",
    Role.PARTNER_ADMIN: "portal/home_partner_admin.html",
    Role.PARTNER_USER: "portal/home_partner_user.html",
}


@member_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, HOME_TEMPLATES[request.membership.role])


@admin_required
def member_list(request: HttpRequest) -> HttpResponse:
    form = InvitationForm()
    if request.method == "POST":
        form = InvitationForm(request.POST)
        if form.is_valid():
            try:
                invitation = services.invitation_create(actor=request.user, **form.cleaned_data)
            except DomainError as error:
                form.add_error(error.field, error.message)
            else:
                messages.success(request, _("Invitation sent to %s.") % invitation.email)
                return redirect("member_list")
    return render_page(request, "portal/members.html", {
        "members": selectors.membership_list(),
        "invitations": selectors.invitation_list_pending(),
        "form": form,
        "roles": Role.choices,
    })


@admin_required
@require_POST
def member_update(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = get_membership_for_admin(request.membership, membership_id)
    form = MembershipForm(request.POST)
    if form.is_valid():
        changes = form.cleaned_data
        if "partner" not in request.POST:
            changes.pop("partner")  # the row form changes role and state, keeping the partner
        try:
            services.membership_update(actor=request.user, membership=membership, **changes)
            messages.success(request, _("Saved."))
        except DomainError as error:
            messages.error(request, error.message)
    else:
        messages.error(request, _("Choose a valid role."))
    return redirect("member_list")


@admin_required
@require_POST
def invitation_revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = get_invitation_for_admin(request.membership, invitation_id)
    try:
        services.invitation_revoke(actor=request.user, invitation=invitation)
        messages.success(request, _("Invitation revoked."))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("member_list")


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.invitation_from_token(token)
    if invitation is None:
        return render(request, "portal/invitation_invalid.html", status=404)
    existing = User.objects.filter(email__iexact=invitation.email).exists()
    form = None if existing else AcceptInvitationForm(email=invitation.email)
    if request.method == "POST":
        if existing:
            services.invitation_accept(invitation=invitation)
            messages.success(request, _("Welcome! Sign in with your existing account."))
            return redirect("account_login")
        form = AcceptInvitationForm(request.POST, email=invitation.email)
        if form.is_valid():
            services.invitation_accept(invitation=invitation,
                                       full_name=form.cleaned_data["full_name"],
                                       password=form.cleaned_data["password"])
            messages.success(request, _("Welcome! Your account is ready; please sign in."))
            return redirect("account_login")
    return render(request, "portal/invitation_accept.html",
                  {"invitation": invitation, "form": form, "existing": existing})


@member_required
def api_key_list(request: HttpRequest) -> HttpResponse:
    form = ApiKeyForm()
    new_key = None
    if request.method == "POST":
        form = ApiKeyForm(request.POST)
        if form.is_valid():
            _key, new_key = services.api_key_create(
                actor=request.user, membership=request.membership, **form.cleaned_data)
            form = ApiKeyForm()
    return render(request, "portal/api_keys.html", {
        "keys": selectors.api_key_list(membership=request.membership),
        "form": form,
        "new_key": new_key,
    })


@member_required
@require_POST
def api_key_revoke(request: HttpRequest, key_id: int) -> HttpResponse:
    key = get_api_key_for_member(request.membership, key_id)
    services.api_key_revoke(actor=request.user, api_key=key)
    messages.success(request, _("Key revoked."))
    return redirect("api_key_list")


@member_required
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Saved."))
        return redirect("profile")
    return render(request, "portal/profile.html", {"form": form})


@admin_required
@require_http_methods(["GET", "POST"])
def program_settings(request: HttpRequest) -> HttpResponse:
    # A copy: a bound ModelForm writes its data into the instance, and request.tenant must
    # stay what the database holds until the service has saved.
    form = ProgramSettingsForm(request.POST or None, instance=copy.copy(request.tenant))
    if request.method == "POST" and form.is_valid():
        try:
            services.tenant_settings_update(actor=request.user, tenant=request.tenant,
                                            **form.cleaned_data)
        except DomainError as error:
            form.add_error(error.field, error.message)
        else:
            messages.success(request, _("Program settings saved."))
            return redirect("program_settings")
    return render(request, "portal/program_settings.html", {"form": form},
                  status=400 if form.errors else 200)


@admin_required
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    actors = User.objects.filter(memberships__in=selectors.membership_list()).order_by("email")
    form = EventFilterForm(request.GET or None, actors=actors, verbs=selectors.event_verbs())
    filters = form.cleaned_data if form.is_valid() else {}
    events = selectors.event_list(
        actor_id=filters.get("actor"), verb=filters.get("verb") or None,
        date_from=filters.get("date_from"), date_to=filters.get("date_to"),
    )
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render_page(request, "portal/audit.html",
                       {"form": form, "page": page, "query": query.urlencode()},
                       partial="portal/partials/audit_rows.html")


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 with the state of database and broker; 503 when one of them is down."""
    checks = {"database": _check_database(), "broker": _check_broker()}
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "degraded", **checks},
                        status=200 if healthy else 503)


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as error:
        return f"down: {error.__class__.__name__}"


def _check_broker() -> str:
    from prm.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return "ok"
    except Exception as error:
        return f"down: {error.__class__.__name__}"
