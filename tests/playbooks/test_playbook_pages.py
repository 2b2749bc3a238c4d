"""Playbook pages: who sees what, the draft editor, diff and publish, acknowledging, the
deal's playbook panel and its checklist; outsiders get 404 and change nothing."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deals.models import Deal, DealStage
from playbooks import services
from playbooks.models import (
    DealActivityCheck,
    Playbook,
    PlaybookAcknowledgement,
    PlaybookStage,
    PlaybookVersion,
    StageActivity,
)
from playbooks.playbook_selectors import version_stages
from prm.models import Event
from prm.tenancy import tenant_scope
from tests.factories import DealStageFactory, MembershipFactory
from tests.playbooks.conftest import publish_playbook

HTMX = {"HTTP_HX_REQUEST": "true"}


def _state(tenant):
    with tenant_scope(tenant):
        return (
            list(Playbook.objects.order_by("pk").values_list("pk", "name", "published_version")),
            list(PlaybookVersion.objects.order_by("pk").values_list("pk", "published_at")),
            list(PlaybookStage.objects.order_by("pk").values_list(
                "pk", "deal_stage", "entry_criteria", "exit_criteria", "talk_track")),
            list(StageActivity.objects.order_by("pk").values_list("pk", "title", "required",
                                                                  "position")),
            PlaybookAcknowledgement.objects.count(), DealActivityCheck.objects.count(),
            Event.objects.count(),
        )


@pytest.fixture
def draft(book):
    """A draft (version 2) of the book's playbook, and a second playbook never published."""
    cast = book.cast
    with tenant_scope(cast.acme):
        version, _ = services.draft_get_or_create(actor=cast.admin.user, playbook=book.playbook)
        hidden = services.playbook_create(actor=cast.admin.user, name="Secret expansion plan",
                                          deal_stages=book.program.stages[:1])
        return version, version_stages(version_id=version.pk), hidden


# --- who sees what -------------------------------------------------------------------------

def test_everyone_reads_published_playbooks_but_only_admins_see_drafts(book, draft, mfa_admin):
    cast = book.cast
    _version, _stages, hidden = draft
    for member in (cast.manager, cast.partner_admin, cast.partner_user):
        client = cast.client(member)
        listing = client.get("/playbooks/")
        assert listing.status_code == 200
        body = listing.content.decode()
        assert "New logo — mid-market" in body
        assert "Secret expansion plan" not in body
        assert client.get(f"/playbooks/{book.playbook.pk}/").status_code == 200
        for path in (f"/playbooks/{hidden.pk}/", f"/playbooks/{book.playbook.pk}/draft/",
                     f"/playbooks/{book.playbook.pk}/draft/diff/",
                     f"/playbooks/{hidden.pk}/draft/"):
            assert client.get(path).status_code == 404, (member, path)
    admin = cast.client(cast.admin)
    assert "Secret expansion plan" in admin.get("/playbooks/").content.decode()
    assert admin.get(f"/playbooks/{hidden.pk}/").status_code == 200
    assert admin.get(f"/playbooks/{book.playbook.pk}/draft/").status_code == 200


def test_only_admins_edit_and_outsiders_change_nothing(book, draft, mfa_admin):
    cast = book.cast
    _version, stages, hidden = draft
    stage, activity = stages[0], stages[0].activities.first()
    posts = {
        "/playbooks/new/": {"name": "Mine"},
        f"/playbooks/{book.playbook.pk}/edit/": {"name": "Renamed"},
        f"/playbooks/{book.playbook.pk}/draft/": {},
        f"/playbooks/{hidden.pk}/draft/": {},
        f"/playbooks/{book.playbook.pk}/draft/publish/": {"change_note": "x"},
        f"/playbooks/{book.playbook.pk}/draft/discard/": {},
        f"/playbooks/{book.playbook.pk}/draft/stages/": {"new-stage-deal_stage": "1"},
        f"/playbooks/stages/{stage.pk}/": {f"stage-{stage.pk}-talk_track": "hacked"},
        f"/playbooks/stages/{stage.pk}/remove/": {},
        f"/playbooks/stages/{stage.pk}/activities/": {f"add-{stage.pk}-title": "x"},
        f"/playbooks/activities/{activity.pk}/": {f"activity-{activity.pk}-title": "x"},
        f"/playbooks/activities/{activity.pk}/move/": {"offset": "1"},
        f"/playbooks/activities/{activity.pk}/remove/": {},
    }
    before = _state(cast.acme)
    outsiders = [(cast.manager, None), (cast.partner_admin, None), (cast.partner_user, None),
                 (cast.other_admin, cast.globex)]
    for member, tenant in outsiders:
        client = cast.client(member, tenant)
        for path, data in posts.items():
            if tenant is not None and not any(c.isdigit() for c in path):
                continue  # on its own host, B's admin may create B's playbooks
            assert client.post(path, data).status_code == 404, (member, path)
            assert client.post(path, data, **HTMX).status_code == 404, (member, path)
    assert _state(cast.acme) == before


# --- the editor ------------------------------------------------------------------------------

def test_admin_edits_a_stage_and_its_checklist(book, draft, mfa_admin):
    cast = book.cast
    _version, stages, _hidden = draft
    stage = stages[0]
    client = cast.client(cast.admin)
    response = client.post(f"/playbooks/stages/{stage.pk}/", {
        f"stage-{stage.pk}-deal_stage": stage.deal_stage_id,
        f"stage-{stage.pk}-entry_criteria": "A named contact.",
        f"stage-{stage.pk}-exit_criteria": "BANT confirmed.",
        f"stage-{stage.pk}-talk_track": "Hi {{ customer.name }}",
        f"stage-{stage.pk}-objection_handling": "",
    }, **HTMX)
    assert response.status_code == 200
    assert response.templates[0].name == "playbooks/partials/playbook_stage_editor.html"
    added = client.post(f"/playbooks/stages/{stage.pk}/activities/",
                        {f"add-{stage.pk}-title": "Book the workshop"}, **HTMX)
    assert "Book the workshop" in added.content.decode()
    with tenant_scope(cast.acme):
        stage.refresh_from_db()
        new = StageActivity.objects.get(stage=stage, title="Book the workshop")
        first = stage.activities.order_by("position").first()
    assert (stage.entry_criteria, stage.talk_track) == ("A named contact.",
                                                        "Hi {{ customer.name }}")
    assert not new.required  # an unticked checkbox
    client.post(f"/playbooks/activities/{new.pk}/move/", {"offset": "-1"}, **HTMX)
    client.post(f"/playbooks/activities/{first.pk}/",
                {f"activity-{first.pk}-title": "Confirm the budget in writing",
                 f"activity-{first.pk}-required": "on"}, **HTMX)
    removed = client.post(f"/playbooks/activities/{first.pk}/remove/")
    assert removed.status_code == 302
    assert removed["Location"].endswith(f"/playbooks/{book.playbook.pk}/draft/#stage-{stage.pk}")
    with tenant_scope(cast.acme):
        titles = list(stage.activities.order_by("position").values_list("title", flat=True))
    assert titles == ["Send the deck", "Book the workshop", "Name the decision maker"]


def test_a_stage_with_an_unknown_variable_is_not_saved(book, draft, mfa_admin):
    cast = book.cast
    _version, stages, _hidden = draft
    stage = stages[0]
    response = cast.client(cast.admin).post(f"/playbooks/stages/{stage.pk}/", {
        f"stage-{stage.pk}-deal_stage": stage.deal_stage_id,
        f"stage-{stage.pk}-talk_track": "Hi {{ request.user }}"}, **HTMX)
    assert response.status_code == 400
    assert "Unknown variable" in response.content.decode()
    with tenant_scope(cast.acme):
        assert PlaybookStage.objects.get(pk=stage.pk).talk_track == stage.talk_track


def test_diff_then_publish_shows_the_new_version_to_partners(book, draft, mfa_admin):
    cast = book.cast
    _version, stages, _hidden = draft
    stage = stages[1]
    admin = cast.client(cast.admin)
    admin.post(f"/playbooks/stages/{stage.pk}/activities/",
               {f"add-{stage.pk}-title": "Run the discovery workshop",
                f"add-{stage.pk}-required": "on"})
    diff = admin.get(f"/playbooks/{book.playbook.pk}/draft/diff/")
    assert diff.status_code == 200
    assert "Run the discovery workshop" in diff.content.decode()
    partner = cast.client(cast.partner_user)
    assert "Run the discovery workshop" not in partner.get(
        f"/playbooks/{book.playbook.pk}/").content.decode()
    published = admin.post(f"/playbooks/{book.playbook.pk}/draft/publish/",
                           {"change_note": "Discovery workshop is required now"})
    assert published.status_code == 302
    page = partner.get(f"/playbooks/{book.playbook.pk}/").content.decode()
    assert "Run the discovery workshop" in page
    assert "Version 2" in page
    assert "Discovery workshop is required now" in page
    assert "Acknowledge this version" in page


# --- acknowledging ------------------------------------------------------------------------------

def test_partner_acknowledges_and_the_admin_sees_who(book, mfa_admin):
    cast = book.cast
    client = cast.client(cast.partner_user)
    url = f"/playbooks/{book.playbook.pk}/"
    assert client.post(f"{url}acknowledge/").status_code == 302
    assert client.post(f"{url}acknowledge/").status_code == 302
    page = client.get(url).content.decode()
    assert "You have acknowledged this version" in page
    assert "Acknowledge this version</button>" not in page
    with tenant_scope(cast.acme):
        assert PlaybookAcknowledgement.objects.filter(membership=cast.partner_user).count() == 1
    overview = cast.client(cast.admin).get(url).context["overview"]
    acknowledged = {p.user.email: p.acknowledged_at is not None for p in overview}
    assert acknowledged.pop("paul@contoso.test") is True
    assert acknowledged.pop("pat@northwind.test") is False
    assert not any(acknowledged.values())  # Northwind's second user (program fixture)


def test_detail_query_count_does_not_grow_with_stages_or_activities(cast, mfa_admin):
    def count(stage_names):
        with tenant_scope(cast.acme):
            Playbook.objects.all().delete()
            for stage in DealStage.objects.all():
                stage.delete()
            deal_stages = [DealStageFactory(tenant=cast.acme, name=n, rank=i)
                           for i, n in enumerate(stage_names, start=1)]
            playbook = publish_playbook(cast, deal_stages)
            for index in range(len(stage_names)):
                MembershipFactory(tenant=cast.acme, role="partner_user", partner=cast.northwind,
                                  user__email=f"p{len(stage_names)}-{index}@northwind.test")
        client = cast.client(cast.admin)
        client.get(f"/playbooks/{playbook.pk}/")  # warm the session and caches
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/playbooks/{playbook.pk}/").status_code == 200
        return queries

    few, many = count(["A", "B"]), count(list("ABCDEFGH"))
    # tenant, savepoint, tenant check, set_config; session, user, membership, MFA check;
    # playbook, its acknowledging members, stages, activities, own acknowledgement,
    # versions, the glossary terms linked in the stages' texts; set_config reset, release.
    assert (len(few), len(many)) == (17, 17), "\n".join(
        q["sql"][:150] for q in many.captured_queries)


# --- the deal's playbook panel --------------------------------------------------------------------

def test_the_deal_panel_shows_checklist_and_escaped_talk_track(book):
    cast = book.cast
    deal, _ = book.program.submit(customer_name="<script>x</script> GmbH",
                                  contact_name="Dana")
    response = cast.client(cast.partner_admin).get(f"/playbooks/deal/{deal.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "&lt;script&gt;x&lt;/script&gt; GmbH" in body
    assert "<script>x</script>" not in body
    assert "Hello <span class=\"talk-var-filled\">Dana</span>" in body
    assert "Northwind Traders" in body
    panel = response.context["playbook_panel"]
    assert [(item.activity.title, item.checked) for item in panel.checklist] == [
        ("Confirm the budget", False), ("Send the deck", False),
        ("Name the decision maker", False)]
    assert [a.title for a in panel.open_required] == ["Confirm the budget",
                                                      "Name the decision maker"]
    assert panel.next_stage == book.program.stages[1]
    assert "To move on to Discover" in body


def test_glossary_terms_in_stage_texts_show_their_definition(book):
    """On the playbook page and the deal's panel alike, a term named in a stage's text is
    marked with its definition (on hover); a term inside a talk-track value is not."""
    from playbooks import glossary

    cast = book.cast
    actor = cast.admin.user
    with tenant_scope(cast.acme):
        glossary.term_create(actor=None, name="Decision maker",
                             definition="The person who signs the order.")
        draft, _created = services.draft_get_or_create(actor=actor, playbook=book.playbook)
        first = version_stages(version_id=draft.pk)[0]
        services.stage_update(actor=actor, stage=first,
                              exit_criteria="The *decision maker* agreed the budget.")
        services.draft_publish(actor=actor, version=draft, change_note="Who decides")
    deal, _ = book.program.submit(contact_name="Decision Maker Dana")
    term = ('<abbr class="glossary-term" title="The person who signs the order.">'
            'decision maker</abbr>')
    client = cast.client(cast.partner_admin)
    page = client.get(f"/playbooks/{book.playbook.pk}/").content.decode()
    panel = client.get(f"/playbooks/deal/{deal.pk}/").content.decode()
    assert f"<em>{term}</em>" in page
    assert f"<em>{term}</em>" in panel
    assert '<span class="talk-var-filled">Decision Maker Dana</span>' in panel


def test_ticking_on_the_deal_panel_records_an_event(book):
    cast = book.cast
    deal, _ = book.program.submit()
    with tenant_scope(cast.acme):
        budget = book.activities(1)[0]
    client = cast.client(cast.partner_admin)
    url = f"/playbooks/deal/{deal.pk}/activity/{budget.pk}/"
    ticked = client.post(url, {"checked": "1"}, **HTMX)
    assert ticked.status_code == 200
    assert ticked.templates[0].name == "playbooks/partials/deal_stage_panel.html"
    assert "1 of 3 activities done" in ticked.content.decode()
    unticked = client.post(url, {"checked": "0", "next": f"/playbooks/deal/{deal.pk}/"})
    assert unticked["Location"] == f"/playbooks/deal/{deal.pk}/#playbook-panel"
    offsite = client.post(url, {"checked": "1", "next": "https://evil.example/"})
    assert offsite["Location"] == f"/deals/{deal.pk}/#playbook-panel"
    with tenant_scope(cast.acme):
        verbs = list(Event.objects.filter(verb__startswith="deal.activity_")
                     .order_by("pk").values_list("verb", flat=True))
    assert verbs == ["deal.activity_checked", "deal.activity_unchecked", "deal.activity_checked"]


def test_another_partners_deal_is_404_and_nothing_changes(book, mfa_admin):
    cast = book.cast
    deal, _ = book.program.submit()  # Northwind's
    with tenant_scope(cast.acme):
        budget = book.activities(1)[0]
        draft, _ = services.draft_get_or_create(actor=cast.admin.user, playbook=book.playbook)
        draft_activity = version_stages(version_id=draft.pk)[0].activities.first()
    before = _state(cast.acme)
    url = f"/playbooks/deal/{deal.pk}/activity/{budget.pk}/"
    for member, tenant in ((cast.partner_user, None), (cast.other_admin, cast.globex)):
        client = cast.client(member, tenant)
        assert client.get(f"/playbooks/deal/{deal.pk}/").status_code == 404
        assert client.post(url, {"checked": "1"}).status_code == 404
        assert client.post(url, {"checked": "1"}, **HTMX).status_code == 404
    # A draft's activity is not on any deal's checklist yet.
    owner = cast.client(cast.partner_admin)
    assert owner.post(f"/playbooks/deal/{deal.pk}/activity/{draft_activity.pk}/",
                      {"checked": "1"}).status_code == 404
    assert _state(cast.acme) == before


# --- moving a deal on with the playbook's required activities undone ------------------------

def _move(client, deal, stage, api: bool):
    if api:
        return client.post(f"/api/v1/deals/{deal.pk}/move-stage/", {"stage": stage.pk},
                           content_type="application/json")
    return client.post(f"/deals/{deal.pk}/actions/move-stage/",
                       {"stage": stage.pk, "version": deal.version}, follow=True)


@pytest.mark.parametrize("api", [True, False], ids=["api", "page"])
def test_moving_on_with_required_activities_open_is_refused_when_the_tenant_says_so(
        book, api):
    cast = book.cast
    cast.acme.stage_exceptions_allowed = False
    cast.acme.save(update_fields=["stage_exceptions_allowed"])
    deal, _ = book.program.submit()
    discover = book.program.stages[1]
    response = _move(cast.client(cast.partner_admin), deal, discover, api)
    if api:
        assert response.status_code == 409
        assert "Confirm the budget" in response.json()["detail"]
    else:
        assert "Finish the required activities of this stage first" in (
            response.content.decode())
    with tenant_scope(cast.acme):
        assert Deal.objects.get(pk=deal.pk).stage_id == deal.stage_id
        assert not Event.objects.filter(verb__in=["deal.stage_changed",
                                                  "deal.stage_exception"]).exists()


@pytest.mark.parametrize("api", [True, False], ids=["api", "page"])
def test_moving_on_with_required_activities_open_is_recorded_as_an_exception(book, api):
    cast = book.cast
    deal, _ = book.program.submit()
    discover = book.program.stages[1]
    response = _move(cast.client(cast.partner_admin), deal, discover, api)
    if api:
        assert response.status_code == 200
    else:
        assert "2 required activities of the playbook were still open" in (
            response.content.decode())
    with tenant_scope(cast.acme):
        assert Deal.objects.get(pk=deal.pk).stage_id == discover.pk
        (exception,) = Event.objects.filter(verb="deal.stage_exception")
        assert [m["title"] for m in exception.data["missing"]] == [
            "Confirm the budget", "Name the decision maker"]


def test_moving_on_with_every_required_activity_done_is_no_exception(book):
    cast = book.cast
    deal, _ = book.program.submit()
    with tenant_scope(cast.acme):
        for activity in book.activities(1):
            if activity.required:
                services.deal_activity_tick(member=cast.partner_admin, deal=deal,
                                            activity=activity)
    response = _move(cast.client(cast.partner_admin), deal, book.program.stages[1], True)
    assert response.status_code == 200
    with tenant_scope(cast.acme):
        assert not Event.objects.filter(verb="deal.stage_exception").exists()


def test_the_deal_panel_shows_where_the_stage_starts_and_its_content(book):
    from playbooks import content

    cast = book.cast
    deal, _ = book.program.submit()
    qualify = book.program.stages[0]
    with tenant_scope(cast.acme):
        content.content_create(actor=None, title="Qualification battle card",
                               url="https://acme.example/card", stages=[qualify])
        content.content_create(actor=None, title="MSP-only price list",
                               url="https://acme.example/msp", stages=[qualify],
                               partner_types=["msp"])
        content.content_create(actor=None, title="Negotiation guide",
                               url="https://acme.example/negotiate",
                               stages=[book.program.stages[2]])
    body = cast.client(cast.partner_admin).get(f"/playbooks/deal/{deal.pk}/").content.decode()
    assert "Ready for Qualify." in body  # the stage's entry criteria
    assert "Qualification battle card" in body
    assert "MSP-only price list" not in body  # Northwind is not an MSP
    assert "Negotiation guide" not in body  # another stage's
