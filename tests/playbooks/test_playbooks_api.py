"""Playbooks through the API: everyone reads published versions; admins create, edit the
draft (stages and activities), see the diff, publish and discard; partners acknowledge;
refusals and other tenants change nothing."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from playbooks import glossary, services
from playbooks.models import (
    Playbook,
    PlaybookAcknowledgement,
    PlaybookStage,
    PlaybookVersion,
    StageActivity,
)
from playbooks.playbook_selectors import version_stages
from prm.models import Event
from prm.tenancy import tenant_scope
from tests.factories import DealStageFactory
from tests.playbooks.conftest import TALK, publish_playbook

JSON = {"content_type": "application/json"}
STAGES = ["Qualify", "Discover", "Propose", "Negotiate"]
CHECKLIST = [("Confirm the budget", True), ("Send the deck", False),
             ("Name the decision maker", True)]


def _state(tenant):
    with tenant_scope(tenant):
        return (
            list(Playbook.objects.order_by("pk").values_list("pk", "name", "description",
                                                             "published_version")),
            list(PlaybookVersion.objects.order_by("pk").values_list("pk", "number",
                                                                    "published_at")),
            list(PlaybookStage.objects.order_by("pk").values_list(
                "pk", "deal_stage", "entry_criteria", "exit_criteria", "talk_track",
                "objection_handling")),
            list(StageActivity.objects.order_by("pk").values_list("pk", "title", "required",
                                                                  "position")),
            list(PlaybookAcknowledgement.objects.order_by("pk").values_list("version",
                                                                            "membership")),
            Event.objects.count(),
        )


def _verbs(tenant, playbook, since=0):
    with tenant_scope(tenant):
        return list(Event.objects.filter(subject_type="playbooks.playbook",
                                         subject_id=str(playbook.pk), pk__gt=since)
                    .order_by("pk").values_list("verb", flat=True))


def _last_event(tenant):
    with tenant_scope(tenant):
        return Event.objects.latest("pk").pk


def _checklist(stage: dict) -> list[tuple[str, bool]]:
    return [(a["title"], a["required"]) for a in stage["activities"]]


@pytest.fixture
def draft(book):
    """A draft (version 2) of the book's playbook, and a second playbook never published."""
    cast = book.cast
    with tenant_scope(cast.acme):
        version, _ = services.draft_get_or_create(actor=cast.admin.user, playbook=book.playbook)
        hidden = services.playbook_create(actor=cast.admin.user, name="Secret expansion plan",
                                          deal_stages=book.program.stages[:1])
        return version, version_stages(version_id=version.pk), hidden


# --- reading ------------------------------------------------------------------------------

def test_everyone_reads_published_playbooks_with_their_stages(book, draft, mfa_admin):
    cast = book.cast
    _version, _stages, hidden = draft
    url = f"/api/v1/playbooks/{book.playbook.pk}/"
    for member in (cast.manager, cast.partner_admin, cast.partner_user):
        client = cast.client(member)
        listing = client.get("/api/v1/playbooks/")
        assert listing.status_code == 200
        assert listing.json()["count"] == 1, member
        found = listing.json()["results"][0]
        assert found == client.get(url).json()
        assert (found["id"], found["name"], found["acknowledged"], found["draft_number"]) == (
            book.playbook.pk, "New logo — mid-market", False, None)
        version = found["published_version"]
        assert (version["id"], version["number"], version["is_draft"],
                version["change_note"]) == (book.version.pk, 1, False, "First version")
        assert [s["deal_stage"]["name"] for s in version["stages"]] == STAGES
        qualify = version["stages"][0]
        assert (qualify["entry_criteria"], qualify["exit_criteria"], qualify["talk_track"],
                qualify["objection_handling"]) == ("Ready for Qualify.", "Done with Qualify.",
                                                   TALK, "Listen first.")
        assert _checklist(qualify) == CHECKLIST
        assert [a["position"] for a in qualify["activities"]] == [0, 1, 2]
        versions = client.get(f"{url}versions/").json()
        assert [(v["number"], v["is_draft"]) for v in versions] == [(1, False)]
        for path in (f"/api/v1/playbooks/{hidden.pk}/", f"{url}draft/", f"{url}diff/",
                     f"/api/v1/playbooks/{hidden.pk}/versions/"):
            assert client.get(path).status_code == 404, (member, path)


def test_admins_also_see_drafts(book, draft, mfa_admin):
    cast = book.cast
    version, _stages, hidden = draft
    client = cast.client(cast.admin)
    results = client.get("/api/v1/playbooks/").json()["results"]
    assert [(p["name"], p["draft_number"], p["published_version"] is None)
            for p in results] == [("New logo — mid-market", 2, False),
                                  ("Secret expansion plan", 1, True)]
    assert client.get(f"/api/v1/playbooks/{hidden.pk}/").status_code == 200
    versions = client.get(f"/api/v1/playbooks/{book.playbook.pk}/versions/").json()
    assert [(v["number"], v["is_draft"], v["published_by"]) for v in versions] == [
        (2, True, None), (1, False, "Ada Admin")]
    got = client.get(f"/api/v1/playbooks/{book.playbook.pk}/draft/")
    assert got.status_code == 200
    assert (got.json()["id"], got.json()["number"], got.json()["is_draft"]) == (
        version.pk, 2, True)
    assert [s["deal_stage"]["name"] for s in got.json()["stages"]] == STAGES


# --- creating and editing -----------------------------------------------------------------

def test_admin_creates_and_renames_a_playbook(cast, program, mfa_admin):
    client = cast.client(cast.admin)
    created = client.post("/api/v1/playbooks/", {"name": " Expansion ", "description": "Upsell"},
                          **JSON)
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["name"], body["description"], body["published_version"],
            body["draft_number"], body["acknowledged"]) == ("Expansion", "Upsell", None, 1,
                                                            False)
    with tenant_scope(cast.acme):
        playbook = Playbook.objects.get(pk=body["id"])
        event = Event.objects.get(verb="playbook.created", subject_id=str(playbook.pk))
    assert event.data == {"name": "Expansion", "stages": [s.pk for s in program.stages]}
    assert event.actor == cast.admin.user
    # The first draft covers every deal stage, with empty checklists.
    draft = client.get(f"/api/v1/playbooks/{playbook.pk}/draft/").json()
    assert (draft["number"], draft["is_draft"]) == (1, True)
    assert [(s["deal_stage"]["name"], s["activities"]) for s in draft["stages"]] == [
        (name, []) for name in STAGES]
    again = client.post(f"/api/v1/playbooks/{playbook.pk}/draft/")
    assert again.status_code == 200
    assert again.json()["id"] == draft["id"]
    renamed = client.patch(f"/api/v1/playbooks/{playbook.pk}/", {"name": "Expansion — EMEA"},
                           **JSON)
    assert renamed.status_code == 200, renamed.json()
    assert (renamed.json()["name"], renamed.json()["description"]) == ("Expansion — EMEA",
                                                                        "Upsell")
    assert _verbs(cast.acme, playbook) == ["playbook.created", "playbook.updated"]


def test_bad_playbook_names_are_400(book, mfa_admin):
    cast = book.cast
    client = cast.client(cast.admin)
    before = _state(cast.acme)
    duplicate = client.post("/api/v1/playbooks/", {"name": "NEW LOGO — MID-MARKET"}, **JSON)
    assert duplicate.status_code == 400
    assert duplicate.json()["name"] == ["A playbook with this name exists already."]
    assert client.post("/api/v1/playbooks/", {"name": ""}, **JSON).json() == {
        "name": ["This field may not be blank."]}
    assert client.post("/api/v1/playbooks/", {}, **JSON).json() == {
        "name": ["This field is required."]}
    blank = client.patch(f"/api/v1/playbooks/{book.playbook.pk}/", {"name": "  "}, **JSON)
    assert blank.status_code == 400
    assert "name" in blank.json()
    with tenant_scope(cast.acme):
        other = services.playbook_create(actor=cast.admin.user, name="Expansion",
                                         deal_stages=[])
    before = _state(cast.acme)
    taken = client.patch(f"/api/v1/playbooks/{other.pk}/", {"name": "new logo — mid-market"},
                         **JSON)
    assert taken.status_code == 400
    assert taken.json()["name"] == ["A playbook with this name exists already."]
    assert _state(cast.acme) == before


def test_admin_edits_the_draft_compares_and_publishes(book, mfa_admin):
    cast = book.cast
    client = cast.client(cast.admin)
    url = f"/api/v1/playbooks/{book.playbook.pk}/"
    since = _last_event(cast.acme)
    started = client.post(f"{url}draft/")
    assert started.status_code == 201
    draft = started.json()
    assert (draft["number"], draft["is_draft"]) == (2, True)
    assert [s["deal_stage"]["name"] for s in draft["stages"]] == STAGES
    assert draft["stages"][0]["id"] != book.stage(1).pk  # a copy, not the frozen stage
    assert _checklist(draft["stages"][0]) == CHECKLIST
    assert client.post(f"{url}draft/").status_code == 200
    qualify, negotiate = draft["stages"][0], draft["stages"][3]
    confirm, deck, name = (a["id"] for a in qualify["activities"])

    edited = client.patch(f"/api/v1/playbook-stages/{qualify['id']}/", {
        "entry_criteria": "A named contact.", "talk_track": "Hi {{ customer.name }}"}, **JSON)
    assert edited.status_code == 200, edited.json()
    assert (edited.json()["entry_criteria"], edited.json()["talk_track"],
            edited.json()["exit_criteria"], edited.json()["warnings"]) == (
        "A named contact.", "Hi {{ customer.name }}", "Done with Qualify.", [])
    added = client.post(f"/api/v1/playbook-stages/{qualify['id']}/activities/",
                        {"title": "Book  the workshop", "required": False}, **JSON)
    assert added.status_code == 201, added.json()
    workshop = added.json()["id"]
    assert added.json() == {"id": workshop, "title": "Book the workshop", "required": False,
                            "position": 3}
    reordered = client.post(f"/api/v1/playbook-stages/{qualify['id']}/reorder/",
                            {"order": [name, confirm, workshop, deck]}, **JSON)
    assert reordered.status_code == 200, reordered.json()
    assert [(a["id"], a["position"]) for a in reordered.json()] == [
        (name, 0), (confirm, 1), (workshop, 2), (deck, 3)]
    changed = client.patch(f"/api/v1/playbook-activities/{confirm}/", {"required": False},
                           **JSON)
    assert changed.status_code == 200
    assert changed.json() == {"id": confirm, "title": "Confirm the budget", "required": False,
                              "position": 1}
    assert client.delete(f"/api/v1/playbook-activities/{deck}/").status_code == 204
    assert client.delete(f"/api/v1/playbook-stages/{negotiate['id']}/").status_code == 204
    retrieved = client.get(f"/api/v1/playbook-stages/{qualify['id']}/").json()
    assert _checklist(retrieved) == [("Name the decision maker", True),
                                     ("Confirm the budget", False),
                                     ("Book the workshop", False)]

    diff = client.get(f"{url}diff/")
    assert diff.status_code == 200
    by_stage = {entry["deal_stage"]["name"]: entry for entry in diff.json()}
    assert [entry["deal_stage"]["name"] for entry in diff.json()] == STAGES
    assert {name: entry["status"] for name, entry in by_stage.items()} == {
        "Qualify": "changed", "Discover": "unchanged", "Propose": "unchanged",
        "Negotiate": "removed"}
    assert by_stage["Qualify"]["texts"] == [
        {"field": "entry_criteria", "lines": [["-", "Ready for Qualify."],
                                              ["+", "A named contact."]]},
        {"field": "talk_track", "lines": [["-", TALK], ["+", "Hi {{ customer.name }}"]]}]
    assert by_stage["Qualify"]["activities"] == [
        {"kind": "removed", "title": "Send the deck", "required": False, "was_required": None},
        {"kind": "changed", "title": "Confirm the budget", "required": False,
         "was_required": True},
        {"kind": "added", "title": "Book the workshop", "required": False,
         "was_required": None}]
    assert by_stage["Qualify"]["reordered"] is True
    assert [a["kind"] for a in by_stage["Negotiate"]["activities"]] == ["removed"] * 3
    # Partners still read version 1 until the draft is published.
    partner = cast.client(cast.partner_user)
    assert partner.get(url).json()["published_version"]["number"] == 1

    published = client.post(f"{url}publish/", {"change_note": "  Workshop   first "}, **JSON)
    assert published.status_code == 200, published.json()
    assert (published.json()["number"], published.json()["is_draft"],
            published.json()["change_note"]) == (2, False, "Workshop first")
    seen = partner.get(url).json()["published_version"]
    assert (seen["id"], seen["number"]) == (draft["id"], 2)
    assert [s["deal_stage"]["name"] for s in seen["stages"]] == STAGES[:3]
    assert _checklist(seen["stages"][0]) == [("Name the decision maker", True),
                                             ("Confirm the budget", False),
                                             ("Book the workshop", False)]
    assert _verbs(cast.acme, book.playbook, since) == [
        "playbook.draft_created", "playbook.stage_updated", "playbook.activity_added",
        "playbook.activities_reordered", "playbook.activity_updated",
        "playbook.activity_removed", "playbook.stage_removed", "playbook.published"]
    with tenant_scope(cast.acme):
        event = Event.objects.filter(verb="playbook.published").latest("pk")
    assert event.data == {"version": 2, "change_note": "Workshop first",
                          "previous_version_id": book.version.pk, "checks_carried": 0}
    # No draft now: nothing to show, compare or publish.
    before = _state(cast.acme)
    for path in (f"{url}draft/", f"{url}diff/"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"{url}publish/", {"change_note": "again"}, **JSON).status_code == 404
    assert client.post(f"{url}discard/").status_code == 404
    assert _state(cast.acme) == before


def test_a_stage_moves_to_a_deal_stage_not_covered_yet(book, draft, mfa_admin):
    cast = book.cast
    _version, stages, _hidden = draft
    closing = DealStageFactory(tenant=cast.acme, name="Close", rank=5)
    since = _last_event(cast.acme)
    moved = cast.client(cast.admin).patch(f"/api/v1/playbook-stages/{stages[3].pk}/",
                                          {"deal_stage": closing.pk}, **JSON)
    assert moved.status_code == 200, moved.json()
    assert moved.json()["deal_stage"] == {"id": closing.pk, "name": "Close", "rank": 5}
    assert _checklist(moved.json()) == CHECKLIST
    with tenant_scope(cast.acme):
        event = Event.objects.get(pk__gt=since)
    assert (event.verb, event.data) == ("playbook.stage_updated", {
        "version": 2, "deal_stage": {"from": book.program.stages[3].pk, "to": closing.pk},
        "changed": ["deal_stage"]})


def test_the_diff_of_a_first_draft_adds_every_stage(book, draft, mfa_admin):
    cast = book.cast
    _version, _stages, hidden = draft
    diff = cast.client(cast.admin).get(f"/api/v1/playbooks/{hidden.pk}/diff/")
    assert diff.status_code == 200
    assert diff.json() == [{"deal_stage": {"id": book.program.stages[0].pk, "name": "Qualify",
                                           "rank": 1},
                            "status": "added", "texts": [], "activities": [],
                            "reordered": False}]


def test_a_removed_stage_can_be_added_back(book, draft, mfa_admin):
    cast = book.cast
    version, stages, _hidden = draft
    client = cast.client(cast.admin)
    negotiate = stages[3]
    assert client.delete(f"/api/v1/playbook-stages/{negotiate.pk}/").status_code == 204
    added = client.post(f"/api/v1/playbooks/{book.playbook.pk}/draft/stages/",
                        {"deal_stage": negotiate.deal_stage_id}, **JSON)
    assert added.status_code == 201, added.json()
    assert (added.json()["deal_stage"]["name"], added.json()["activities"],
            added.json()["talk_track"]) == ("Negotiate", [], "")
    again = client.post(f"/api/v1/playbooks/{book.playbook.pk}/draft/stages/",
                        {"deal_stage": negotiate.deal_stage_id}, **JSON)
    assert again.status_code == 400
    assert again.json()["deal_stage"] == ["This playbook covers Negotiate already."]
    with tenant_scope(cast.acme):
        assert PlaybookStage.objects.filter(version=version).count() == 4


def test_discarding_the_draft_keeps_the_published_version(book, draft, mfa_admin):
    cast = book.cast
    version, stages, _hidden = draft
    client = cast.client(cast.admin)
    url = f"/api/v1/playbooks/{book.playbook.pk}/"
    client.patch(f"/api/v1/playbook-stages/{stages[0].pk}/", {"talk_track": "Thrown away"},
                 **JSON)
    since = _last_event(cast.acme)
    assert client.post(f"{url}discard/").status_code == 204
    assert client.get(f"{url}draft/").status_code == 404
    assert client.post(f"{url}discard/").status_code == 404
    with tenant_scope(cast.acme):
        assert not PlaybookVersion.objects.filter(pk=version.pk).exists()
        assert not PlaybookStage.objects.filter(version_id=version.pk).exists()
        event = Event.objects.get(pk__gt=since)
    assert (event.verb, event.data) == ("playbook.draft_discarded", {"version": 2})
    shown = cast.client(cast.partner_user).get(url).json()["published_version"]
    assert (shown["number"], shown["stages"][0]["talk_track"]) == (1, TALK)
    assert client.get(url).json()["draft_number"] is None
    # A new draft takes the next number again.
    assert client.post(f"{url}draft/").json()["number"] == 2


def test_a_draft_without_stages_cannot_be_published(book, mfa_admin):
    cast = book.cast
    with tenant_scope(cast.acme):
        empty = services.playbook_create(actor=cast.admin.user, name="Empty", deal_stages=[])
    before = _state(cast.acme)
    response = cast.client(cast.admin).post(f"/api/v1/playbooks/{empty.pk}/publish/", **JSON)
    assert response.status_code == 409
    assert response.json() == {"detail": "A playbook without stages cannot be published.",
                               "code": "empty"}
    assert _state(cast.acme) == before


# --- bad input ----------------------------------------------------------------------------

def test_bad_draft_edits_are_400_with_field_errors(book, draft, mfa_admin):
    cast = book.cast
    _version, stages, _hidden = draft
    client = cast.client(cast.admin)
    qualify = stages[0]
    activity_ids = [a.pk for a in qualify.activities.all()]
    stage_url = f"/api/v1/playbook-stages/{qualify.pk}/"
    before = _state(cast.acme)

    def refused(method, path, body):
        response = getattr(client, method)(path, body, **JSON)
        assert response.status_code == 400, (path, body, response.content)
        return response.json()

    assert refused("patch", stage_url, {"talk_track": "Hi {{ request.user }}"})[
        "talk_track"] == ["Unknown variable {{ request.user }}. Use one of: "
                          "{{ customer.name }}, {{ partner.name }}, {{ contact.name }}, "
                          "{{ product.name }}, {{ deal.amount }}."]
    assert refused("patch", stage_url, {"deal_stage": stages[1].deal_stage_id})[
        "deal_stage"] == ["Another stage of this playbook is bound to Discover already."]
    assert "deal_stage" in refused("patch", stage_url, {"deal_stage": 999999})
    assert "exit_criteria" in refused("patch", stage_url,
                                      {"exit_criteria": "x" * (services.MAX_TEXT + 1)})
    activities_url = f"{stage_url}activities/"
    assert refused("post", activities_url, {"title": ""}) == {
        "title": ["This field may not be blank."]}
    assert refused("post", activities_url, {"title": "   "}) == {
        "title": ["This field may not be blank."]}
    assert refused("post", activities_url, {}) == {"title": ["This field is required."]}
    assert "title" in refused("post", activities_url, {"title": "x" * 201})
    reorder_url = f"{stage_url}reorder/"
    message = ["List every activity of the stage once, in the new order."]
    assert refused("post", reorder_url, {"order": activity_ids[:2]})["order"] == message
    assert refused("post", reorder_url, {"order": [*activity_ids, activity_ids[0]]}
                   )["order"] == message
    other_stage = [a.pk for a in stages[1].activities.all()]
    assert refused("post", reorder_url, {"order": other_stage})["order"] == message
    assert refused("patch", f"/api/v1/playbook-activities/{activity_ids[0]}/",
                   {"title": " "}) == {"title": ["This field may not be blank."]}
    assert "change_note" in refused("post", f"/api/v1/playbooks/{book.playbook.pk}/publish/",
                                    {"change_note": "x" * 301})
    assert _state(cast.acme) == before


def test_discouraged_words_warn_or_refuse(book, draft, mfa_admin):
    cast = book.cast
    _version, stages, _hidden = draft
    with tenant_scope(cast.acme):
        term = glossary.term_create(actor=cast.admin.user, name="Registered opportunity",
                                    definition="A deal we approved.",
                                    discouraged=[{"phrase": "lead"}])
    client = cast.client(cast.admin)
    url = f"/api/v1/playbook-stages/{stages[0].pk}/"
    warned = client.patch(url, {"exit_criteria": "Call the lead."}, **JSON)
    assert warned.status_code == 200, warned.json()
    assert warned.json()["exit_criteria"] == "Call the lead."
    assert [{k: w[k] for k in ("field", "start", "end", "found", "preferred", "term_id")}
            for w in warned.json()["warnings"]] == [
        {"field": "exit_criteria", "start": 9, "end": 13, "found": "lead",
         "preferred": "Registered opportunity", "term_id": term.pk}]
    cast.acme.language_check_blocks = True
    cast.acme.save(update_fields=["language_check_blocks"])
    before = _state(cast.acme)
    refused = client.patch(url, {"entry_criteria": "Any lead will do."}, **JSON)
    assert refused.status_code == 400
    assert list(refused.json()) == ["entry_criteria", "code"]
    assert _state(cast.acme) == before


# --- acknowledging ------------------------------------------------------------------------

def test_partner_acknowledges_once_and_the_admin_sees_who(book, mfa_admin):
    cast = book.cast
    url = f"/api/v1/playbooks/{book.playbook.pk}/"
    client = cast.client(cast.partner_user)
    first = client.post(f"{url}acknowledge/")
    assert first.status_code == 201
    assert (first.json()["version"], first.json()["created"]) == (1, True)
    second = client.post(f"{url}acknowledge/")
    assert second.status_code == 200
    assert second.json() == {**first.json(), "created": False}
    assert client.get(url).json()["acknowledged"] is True
    assert cast.client(cast.partner_admin).get(url).json()["acknowledged"] is False
    with tenant_scope(cast.acme):
        acks = list(PlaybookAcknowledgement.objects.values_list("version", "membership"))
        events = list(Event.objects.filter(verb="playbook.acknowledged")
                      .values_list("actor__email", "data"))
    assert acks == [(book.version.pk, cast.partner_user.pk)]
    assert events == [("paul@contoso.test", {"version": 1, "membership": cast.partner_user.pk})]

    people = cast.client(cast.admin).get(f"{url}acknowledgements/")
    assert people.status_code == 200
    assert people.json()[0] == {"membership": cast.partner_user.pk, "name": "Paul Partner",
                                "email": "paul@contoso.test", "partner": "Contoso Ltd",
                                "acknowledged_at": first.json()["acknowledged_at"]}
    others = {p["email"]: p["acknowledged_at"] for p in people.json()[1:]}
    assert others == {"pat@northwind.test": None,
                      book.program.northwind_user.user.email: None}
    versions = cast.client(cast.admin).get(f"{url}versions/").json()
    assert [(v["number"], v["acknowledgements"]) for v in versions] == [(1, 1)]
    # A partner learns nothing of other partners' people from the count.
    seen_by_partner = cast.client(cast.partner_admin).get(f"{url}versions/").json()
    assert [(v["number"], v["acknowledgements"]) for v in seen_by_partner] == [(1, None)]


def test_a_new_version_asks_again(book, mfa_admin):
    cast = book.cast
    url = f"/api/v1/playbooks/{book.playbook.pk}/"
    partner = cast.client(cast.partner_user)
    partner.post(f"{url}acknowledge/")
    admin = cast.client(cast.admin)
    admin.post(f"{url}draft/")
    assert admin.post(f"{url}publish/", {"change_note": "v2"}, **JSON).status_code == 200
    assert partner.get(url).json()["acknowledged"] is False
    again = partner.post(f"{url}acknowledge/")
    assert (again.status_code, again.json()["version"]) == (201, 2)
    people = admin.get(f"{url}acknowledgements/").json()
    assert people[0]["email"] == "paul@contoso.test"
    assert people[0]["acknowledged_at"] == again.json()["acknowledged_at"]


def test_an_unpublished_playbook_cannot_be_acknowledged(book, draft, mfa_admin):
    cast = book.cast
    _version, _stages, hidden = draft
    before = _state(cast.acme)
    path = f"/api/v1/playbooks/{hidden.pk}/acknowledge/"
    assert cast.client(cast.partner_user).post(path).status_code == 404
    refused = cast.client(cast.admin).post(path)
    assert refused.status_code == 409
    assert refused.json() == {"detail": "This playbook is not published yet.", "code": "draft"}
    assert cast.client(cast.admin).get(
        f"/api/v1/playbooks/{hidden.pk}/acknowledgements/").json() == []
    assert _state(cast.acme) == before


# --- refusals and outsiders ---------------------------------------------------------------

def _writes(book, stages, hidden):
    """Every admin-only call, with a body that would succeed for the admin."""
    url = f"/api/v1/playbooks/{book.playbook.pk}/"
    stage = stages[0]
    activity_ids = [a.pk for a in stage.activities.all()]
    return [
        ("post", "/api/v1/playbooks/", {"name": "Mine"}),
        ("patch", url, {"name": "Renamed"}),
        ("get", f"{url}draft/", None),
        ("post", f"{url}draft/", None),
        ("post", f"/api/v1/playbooks/{hidden.pk}/draft/", None),
        ("get", f"{url}diff/", None),
        ("post", f"{url}draft/stages/", {"deal_stage": book.program.stages[0].pk}),
        ("post", f"{url}publish/", {"change_note": "x"}),
        ("post", f"{url}discard/", None),
        ("get", f"{url}acknowledgements/", None),
        ("get", f"/api/v1/playbook-stages/{stage.pk}/", None),
        ("patch", f"/api/v1/playbook-stages/{stage.pk}/", {"talk_track": "hacked"}),
        ("delete", f"/api/v1/playbook-stages/{stage.pk}/", None),
        ("post", f"/api/v1/playbook-stages/{stage.pk}/activities/", {"title": "x"}),
        ("post", f"/api/v1/playbook-stages/{stage.pk}/reorder/",
         {"order": list(reversed(activity_ids))}),
        ("patch", f"/api/v1/playbook-activities/{activity_ids[0]}/", {"title": "x"}),
        ("delete", f"/api/v1/playbook-activities/{activity_ids[0]}/", None),
    ]


def _call(client, method, path, body):
    if body is None:
        return getattr(client, method)(path)
    return getattr(client, method)(path, body, **JSON)


def test_non_admins_get_404_and_change_nothing(book, draft, mfa_admin):
    cast = book.cast
    _version, stages, hidden = draft
    before = _state(cast.acme)
    for member in (cast.manager, cast.partner_admin, cast.partner_user):
        client = cast.client(member)
        for method, path, body in _writes(book, stages, hidden):
            assert _call(client, method, path, body).status_code == 404, (member, method, path)
    assert _state(cast.acme) == before


def test_published_stages_and_activities_are_frozen(book, draft, mfa_admin):
    cast = book.cast
    client = cast.client(cast.admin)
    stage = book.stage(1)
    with tenant_scope(cast.acme):
        activity = book.activities(1)[0]
    before = _state(cast.acme)
    for method, path, body in [
            ("get", f"/api/v1/playbook-stages/{stage.pk}/", None),
            ("patch", f"/api/v1/playbook-stages/{stage.pk}/", {"talk_track": "changed"}),
            ("delete", f"/api/v1/playbook-stages/{stage.pk}/", None),
            ("post", f"/api/v1/playbook-stages/{stage.pk}/activities/", {"title": "x"}),
            ("patch", f"/api/v1/playbook-activities/{activity.pk}/", {"title": "x"}),
            ("delete", f"/api/v1/playbook-activities/{activity.pk}/", None)]:
        assert _call(client, method, path, body).status_code == 404, (method, path)
    assert _state(cast.acme) == before


def test_another_tenants_admin_finds_nothing(book, draft, mfa_admin):
    cast = book.cast
    _version, stages, hidden = draft
    before = _state(cast.acme)
    client = cast.client(cast.other_admin, cast.globex)
    listing = client.get("/api/v1/playbooks/")
    assert listing.status_code == 200
    assert (listing.json()["count"], listing.json()["results"]) == (0, [])
    url = f"/api/v1/playbooks/{book.playbook.pk}/"
    reads = [("get", url, None), ("get", f"{url}versions/", None),
             ("get", f"/api/v1/playbooks/{hidden.pk}/", None),
             ("post", f"{url}acknowledge/", None)]
    for method, path, body in reads + _writes(book, stages, hidden)[1:]:
        assert _call(client, method, path, body).status_code == 404, (method, path)
    # On A's host, B's admin is nobody.
    assert cast.client(cast.other_admin, cast.acme).get(url).status_code == 401
    assert _state(cast.acme) == before
    with tenant_scope(cast.globex):
        assert Playbook.objects.count() == 0



# --- query count ---------------------------------------------------------------------------

def test_list_query_count_does_not_grow_with_playbooks(book, mfa_admin):
    cast = book.cast

    def count(member):
        client = cast.client(member)
        client.get("/api/v1/playbooks/")  # warm the session and caches
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/playbooks/")
        assert response.status_code == 200
        return response.json()["count"], [q["sql"] for q in queries.captured_queries]

    few = {m.pk: count(m) for m in (cast.admin, cast.partner_user)}
    with tenant_scope(cast.acme):
        for n in range(5):
            publish_playbook(cast, book.program.stages, name=f"Playbook {n}")
    many = {m.pk: count(m) for m in (cast.admin, cast.partner_user)}
    assert (many[cast.admin.pk][0], many[cast.partner_user.pk][0]) == (6, 6)
    # tenant, savepoint, tenant check, set_config; session, user, membership; the count,
    # the playbooks (published version joined), their stages (deal stage joined), the
    # stages' activities; set_config reset, release.
    sizes = {pk: (len(few[pk][1]), len(many[pk][1])) for pk in few}
    assert sizes == {cast.admin.pk: (13, 13), cast.partner_user.pk: (13, 13)}, "\n".join(
        sql[:150] for sql in many[cast.admin.pk][1])
