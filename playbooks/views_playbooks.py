"""Playbook pages: the list, a published version, the draft editor, its diff and publishing,
and the playbook panel of a deal (its checklist is ticked here)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from deals.access import get_deal_for_member
from playbooks import playbook_selectors as selectors
from playbooks import services
from playbooks.access import (
    get_activity_for_deal,
    get_draft_activity_for_admin,
    get_draft_for_admin,
    get_draft_stage_for_admin,
    get_playbook_for_admin,
    get_playbook_for_member,
    is_editor,
)
from playbooks.forms_playbooks import (
    TEXTS,
    ActivityForm,
    ActivityMoveForm,
    PlaybookForm,
    PublishForm,
    StageAddForm,
    StageForm,
    ToggleForm,
    add_domain_error,
)
from playbooks.language import Finding
from playbooks.models import Playbook, PlaybookStage, PlaybookVersion
from prm.access import admin_required, member_required
from prm.errors import DomainError
from prm.htmx import render_page

STAGE_PARTIAL = "playbooks/partials/playbook_stage_editor.html"
PANEL_PARTIAL = "playbooks/partials/deal_stage_panel.html"


# --- reading ----------------------------------------------------------------------------

@member_required
@require_GET
def playbook_list(request: HttpRequest) -> HttpResponse:
    member = request.membership
    context = {"playbooks": list(selectors.playbook_list(member=member)),
               "is_editor": is_editor(member), "form": PlaybookForm()}
    return render(request, "playbooks/playbook_list.html", context)


@member_required
@require_GET
def playbook_detail(request: HttpRequest, playbook_id: int) -> HttpResponse:
    member = request.membership
    playbook = get_playbook_for_member(member, playbook_id)
    version = playbook.published_version
    editor = is_editor(member)
    overview = (selectors.acknowledgement_overview(version=version)
                if editor and version else [])
    context = {
        "playbook": playbook, "version": version, "is_editor": editor,
        "stages": selectors.version_stages(version_id=version.pk if version else None),
        "acknowledged": selectors.has_acknowledged(member=member, version=version),
        "overview": overview,
        "overview_done": sum(1 for person in overview if person.acknowledged_at),
        "draft": selectors.playbook_draft(playbook=playbook) if editor else None,
    }
    return render(request, "playbooks/playbook_detail.html", context)


@member_required
@require_POST
def playbook_acknowledge(request: HttpRequest, playbook_id: int) -> HttpResponse:
    playbook = get_playbook_for_member(request.membership, playbook_id)
    if playbook.published_version is None:
        messages.error(request, _("This playbook is not published yet."))
        return redirect("playbook_detail", playbook_id=playbook.pk)
    _ack, created = services.version_acknowledge(member=request.membership,
                                                 version=playbook.published_version)
    if created:
        messages.success(request, _("Thank you: you have acknowledged version %d.")
                         % playbook.published_version.number)
    return redirect("playbook_detail", playbook_id=playbook.pk)


# --- creating and naming ----------------------------------------------------------------

@admin_required
@require_POST
def playbook_create(request: HttpRequest) -> HttpResponse:
    form = PlaybookForm(request.POST)
    if form.is_valid():
        try:
            playbook = services.playbook_create(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Playbook created. Fill in its stages, then publish."))
            return redirect("playbook_draft", playbook_id=playbook.pk)
    context = {"playbooks": list(selectors.playbook_list(member=request.membership)),
               "is_editor": True, "form": form}
    return render(request, "playbooks/playbook_list.html", context, status=400)


@admin_required
@require_POST
def playbook_update(request: HttpRequest, playbook_id: int) -> HttpResponse:
    playbook = get_playbook_for_admin(request.membership, playbook_id)
    form = PlaybookForm(request.POST)
    if form.is_valid():
        try:
            services.playbook_update(actor=request.user, playbook=playbook, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Name and description saved."))
            return redirect("playbook_draft", playbook_id=playbook.pk)
    return _render_editor(request, playbook, playbook_form=form, status=400)


# --- the draft editor -------------------------------------------------------------------

@dataclass
class StageEditor:
    """One stage card of the editor: its form, its checklist, the add form, findings."""

    stage: PlaybookStage
    form: StageForm
    add_form: ActivityForm
    findings: dict[str, list[Finding]] = field(default_factory=dict)
    announce: str = ""

    @property
    def activities(self):
        return self.stage.activities.all()

    @property
    def text_fields(self):
        return [self.form[name] for name in TEXTS]

    def findings_for(self):
        return [(TEXTS[name][0], found) for name, found in self.findings.items()]


def _stage_editor(stage: PlaybookStage, *, stages=None, form: StageForm | None = None,
                  add_form: ActivityForm | None = None, **extra) -> StageEditor:
    prefix = f"stage-{stage.pk}"
    form = form or StageForm(prefix=prefix, stages=stages, initial={
        "deal_stage": stage.deal_stage_id,
        **{name: getattr(stage, name) for name in TEXTS}})
    add_form = add_form or ActivityForm(prefix=f"add-{stage.pk}", initial={"required": True})
    return StageEditor(stage, form, add_form, **extra)


def _render_editor(request: HttpRequest, playbook: Playbook, *, status: int = 200,
                   playbook_form: PlaybookForm | None = None,
                   editors: dict[int, StageEditor] | None = None,
                   add_stage_form: StageAddForm | None = None) -> HttpResponse:
    draft = selectors.playbook_draft(playbook=playbook)
    stages = selectors.version_stages(version_id=draft.pk if draft else None)
    deal_stages = list(selectors.deal_stage_choices())
    editors = editors or {}
    context = {
        "playbook": playbook, "draft": draft,
        "playbook_form": playbook_form or PlaybookForm(initial={
            "name": playbook.name, "description": playbook.description}),
        "editors": [editors.get(stage.pk) or _stage_editor(stage, stages=deal_stages)
                    for stage in stages],
        "add_stage_form": add_stage_form or StageAddForm(
            prefix="new-stage", covered={stage.deal_stage_id for stage in stages}),
        "move_form": ActivityMoveForm(),
    }
    return render(request, "playbooks/playbook_draft.html", context, status=status)


@admin_required
@require_http_methods(["GET", "POST"])
def playbook_draft(request: HttpRequest, playbook_id: int) -> HttpResponse:
    """GET: the draft editor (or a button to start a draft). POST: start the draft."""
    playbook = get_playbook_for_admin(request.membership, playbook_id)
    if request.method == "POST":
        _draft, created = services.draft_get_or_create(actor=request.user, playbook=playbook)
        if created:
            messages.success(request, _("Draft started from the published version."))
        return redirect("playbook_draft", playbook_id=playbook.pk)
    return _render_editor(request, playbook)


def _stage_response(request: HttpRequest, stage: PlaybookStage, editor: StageEditor | None,
                    announce: str, *, status: int = 200) -> HttpResponse:
    """The stage card for htmx; the whole editor, scrolled to the stage, otherwise."""
    if request.htmx:
        stage = PlaybookStage.objects.prefetch_related("activities").select_related(
            "deal_stage").get(pk=stage.pk)
        editor = editor or _stage_editor(stage)
        editor.stage, editor.announce = stage, announce
        return render(request, STAGE_PARTIAL, {"editor": editor}, status=status)
    playbook = stage.version.playbook
    if editor is not None:
        return _render_editor(request, playbook, editors={stage.pk: editor}, status=status)
    messages.success(request, announce)
    return redirect(reverse("playbook_draft", args=[playbook.pk]) + f"#stage-{stage.pk}")


@admin_required
@require_POST
def stage_edit(request: HttpRequest, stage_id: int) -> HttpResponse:
    stage = get_draft_stage_for_admin(request.membership, stage_id)
    form = StageForm(request.POST, prefix=f"stage-{stage.pk}")
    if form.is_valid():
        try:
            stage, findings = services.stage_update(actor=request.user, stage=stage,
                                                    **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            announce = _("Stage “%s” saved.") % stage.deal_stage.name
            if findings:
                announce += " " + _("Check the highlighted words.")
            editor = _stage_editor(stage, findings=findings) if findings else None
            if editor is not None and not request.htmx:
                messages.success(request, announce)
            return _stage_response(request, stage, editor, announce)
    return _stage_response(request, stage, _stage_editor(stage, form=form),
                           _("The stage was not saved."), status=400)


@admin_required
@require_POST
def stage_add(request: HttpRequest, playbook_id: int) -> HttpResponse:
    playbook = get_playbook_for_admin(request.membership, playbook_id)
    draft = get_draft_for_admin(request.membership, playbook)
    form = StageAddForm(request.POST, prefix="new-stage")
    if form.is_valid():
        try:
            stage = services.stage_add(actor=request.user, version=draft,
                                       deal_stage=form.cleaned_data["deal_stage"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Stage “%s” added.") % stage.deal_stage.name)
            return redirect(reverse("playbook_draft", args=[playbook.pk]) + f"#stage-{stage.pk}")
    return _render_editor(request, playbook, add_stage_form=form, status=400)


@admin_required
@require_POST
def stage_remove(request: HttpRequest, stage_id: int) -> HttpResponse:
    stage = get_draft_stage_for_admin(request.membership, stage_id)
    services.stage_remove(actor=request.user, stage=stage)
    messages.success(request, _("Stage “%s” removed from the draft.") % stage.deal_stage.name)
    return redirect("playbook_draft", playbook_id=stage.version.playbook_id)


@admin_required
@require_POST
def activity_add(request: HttpRequest, stage_id: int) -> HttpResponse:
    stage = get_draft_stage_for_admin(request.membership, stage_id)
    form = ActivityForm(request.POST, prefix=f"add-{stage.pk}")
    if form.is_valid():
        try:
            activity = services.activity_add(actor=request.user, stage=stage, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            return _stage_response(request, stage, None,
                                   _("Activity “%s” added.") % activity.title)
    return _stage_response(request, stage, _stage_editor(stage, add_form=form),
                           _("The activity was not added."), status=400)


@admin_required
@require_POST
def activity_edit(request: HttpRequest, activity_id: int) -> HttpResponse:
    activity = get_draft_activity_for_admin(request.membership, activity_id)
    form = ActivityForm(request.POST, prefix=f"activity-{activity.pk}")
    if not form.is_valid():
        return HttpResponseBadRequest(_("Describe the activity."))
    try:
        activity = services.activity_update(actor=request.user, activity=activity,
                                            **form.cleaned_data)
    except DomainError as error:
        return HttpResponseBadRequest(error.message)
    return _stage_response(request, activity.stage, None,
                           _("Activity “%s” saved.") % activity.title)


@admin_required
@require_POST
def activity_move(request: HttpRequest, activity_id: int) -> HttpResponse:
    activity = get_draft_activity_for_admin(request.membership, activity_id)
    form = ActivityMoveForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest()
    services.activity_move(actor=request.user, activity=activity,
                           offset=form.cleaned_data["offset"])
    announce = (_("“%s” moved up.") if form.cleaned_data["offset"] < 0
                else _("“%s” moved down.")) % activity.title
    return _stage_response(request, activity.stage, None, announce)


@admin_required
@require_POST
def activity_remove(request: HttpRequest, activity_id: int) -> HttpResponse:
    activity = get_draft_activity_for_admin(request.membership, activity_id)
    services.activity_remove(actor=request.user, activity=activity)
    return _stage_response(request, activity.stage, None,
                           _("Activity “%s” removed.") % activity.title)


# --- diff, publish, discard -------------------------------------------------------------

@admin_required
@require_GET
def playbook_diff(request: HttpRequest, playbook_id: int) -> HttpResponse:
    playbook = get_playbook_for_admin(request.membership, playbook_id)
    draft = get_draft_for_admin(request.membership, playbook)
    return _render_diff(request, playbook, draft, PublishForm())


def _render_diff(request: HttpRequest, playbook: Playbook, draft: PlaybookVersion,
                 form: PublishForm, *, status: int = 200) -> HttpResponse:
    diff = selectors.draft_diff(draft=draft, published_id=playbook.published_version_id)
    context = {"playbook": playbook, "draft": draft, "diff": diff, "form": form,
               "changed": any(stage.changed for stage in diff)}
    return render(request, "playbooks/playbook_diff.html", context, status=status)


@admin_required
@require_POST
def playbook_publish(request: HttpRequest, playbook_id: int) -> HttpResponse:
    playbook = get_playbook_for_admin(request.membership, playbook_id)
    draft = get_draft_for_admin(request.membership, playbook)
    form = PublishForm(request.POST)
    if form.is_valid():
        try:
            version = services.draft_publish(actor=request.user, version=draft,
                                             **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Version %d is published. Partner people are asked to "
                                        "acknowledge it.") % version.number)
            return redirect("playbook_detail", playbook_id=playbook.pk)
    return _render_diff(request, playbook, draft, form, status=400)


@admin_required
@require_POST
def playbook_discard(request: HttpRequest, playbook_id: int) -> HttpResponse:
    playbook = get_playbook_for_admin(request.membership, playbook_id)
    draft = get_draft_for_admin(request.membership, playbook)
    services.draft_discard(actor=request.user, version=draft)
    messages.success(request, _("Draft discarded."))
    if playbook.published_version_id:
        return redirect("playbook_detail", playbook_id=playbook.pk)
    return redirect("playbook_draft", playbook_id=playbook.pk)


# --- the playbook on a deal -------------------------------------------------------------

@member_required
@require_GET
def deal_playbook(request: HttpRequest, deal_id: int) -> HttpResponse:
    """The deal's playbook panel on a page of its own (htmx: the panel alone)."""
    deal = get_deal_for_member(request.membership, deal_id)
    context = {"deal": deal, **selectors.deal_stage_panel_context(request.membership, deal)}
    return render_page(request, "playbooks/playbook_deal.html", context, partial=PANEL_PARTIAL)


@member_required
@require_POST
def deal_activity_toggle(request: HttpRequest, deal_id: int, activity_id: int) -> HttpResponse:
    member = request.membership
    deal = get_deal_for_member(member, deal_id)
    activity = get_activity_for_deal(member, deal, activity_id)
    form = ToggleForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest()
    toggle = services.deal_activity_tick if form.cleaned_data["checked"] else (
        services.deal_activity_untick)
    try:
        toggle(member=member, deal=deal, activity=activity)
    except DomainError as error:
        announce, level = error.message, messages.ERROR
    else:
        announce = (_("“%s” is done.") if form.cleaned_data["checked"]
                    else _("“%s” is open again.")) % activity.title
        level = messages.SUCCESS
    if not request.htmx:
        messages.add_message(request, level, announce)
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
            back = reverse("deal_detail", args=[deal.pk])
        return redirect(back.split("#")[0] + "#playbook-panel")
    context = {"deal": deal, "announce": announce,
               **selectors.deal_stage_panel_context(member, deal)}
    return render(request, PANEL_PARTIAL, context)
