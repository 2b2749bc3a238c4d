"""The shared co-selling timeline: comments, internal notes, activities, mentions, plan."""

from __future__ import annotations

import pytest

from deals.models import TimelineMention
from deals.services_timeline import action_item_add, action_item_set_done, timeline_add
from prm.errors import InvalidInput
from prm.models import Event
from prm.tenancy import tenant_scope


def test_internal_notes_are_hidden_from_partners(program):
    cast = program.cast
    deal, _ = program.submit()
    with tenant_scope(cast.acme):
        timeline_add(member=cast.partner_admin, deal=deal, kind="comment", body="Demo went well")
        timeline_add(member=cast.manager, deal=deal, kind="internal_note",
                     body="Margin is thin here")
    partner_view = cast.client(cast.partner_admin).get(f"/api/v1/deals/{deal.pk}/timeline/")
    vendor_view = cast.client(cast.manager).get(f"/api/v1/deals/{deal.pk}/timeline/")
    assert [e["body"] for e in partner_view.json()] == ["Demo went well"]
    assert [e["body"] for e in vendor_view.json()] == ["Demo went well", "Margin is thin here"]


def test_partners_cannot_write_internal_notes(program):
    deal, _ = program.submit()
    response = program.cast.client(program.cast.partner_admin).post(
        f"/api/v1/deals/{deal.pk}/timeline/", {"kind": "internal_note", "body": "psst"},
        content_type="application/json")
    assert response.status_code == 400


def test_activity_and_next_step(program):
    cast = program.cast
    deal, _ = program.submit()
    client = cast.client(cast.partner_admin)
    activity = client.post(f"/api/v1/deals/{deal.pk}/timeline/", {
        "kind": "activity", "activity_type": "demo", "occurred_on": "2026-12-01",
        "outcome": "Customer wants a pilot"}, content_type="application/json")
    assert activity.status_code == 201
    step = client.post(f"/api/v1/deals/{deal.pk}/timeline/", {
        "kind": "next_step", "body": "Send pilot proposal", "owner": cast.manager.pk,
        "due_on": "2026-12-10"}, content_type="application/json")
    assert step.json()["owner"] == "max@acme.test"
    bad_owner = client.post(f"/api/v1/deals/{deal.pk}/timeline/", {
        "kind": "next_step", "body": "x", "owner": cast.partner_user.pk},
        content_type="application/json")
    assert bad_owner.status_code == 400


def test_mentions_notify_only_people_on_the_deal(program):
    cast = program.cast
    deal, _ = program.submit()
    with tenant_scope(cast.acme):
        entry = timeline_add(member=cast.partner_admin, deal=deal, kind="comment",
                             body="@max@acme.test can you join? cc @paul@contoso.test")
        mentioned = list(TimelineMention.objects.filter(entry=entry)
                         .values_list("membership_id", flat=True))
        events = Event.objects.filter(verb="deal.mentioned").count()
    # Paul works for Contoso, not on this Northwind deal: not mentioned, not notified.
    assert mentioned == [cast.manager.pk]
    assert events == 1


def test_mutual_action_plan(program):
    cast = program.cast
    deal, _ = program.submit()
    with tenant_scope(cast.acme):
        item = action_item_add(member=cast.manager, deal=deal, title="Security review",
                               owner=cast.partner_admin)
        action_item_set_done(member=cast.partner_admin, item=item, done=True)
        action_item_set_done(member=cast.partner_admin, item=item, done=True)
        item.refresh_from_db()
        assert item.done_by == cast.partner_admin.user
        assert Event.objects.filter(verb="deal.plan.done").count() == 1
        with pytest.raises(InvalidInput, match="Name the step"):
            action_item_add(member=cast.manager, deal=deal, title=" ")


def test_the_action_plan_through_the_api(program):
    cast = program.cast
    deal, _ = program.submit()
    manager, partner = cast.client(cast.manager), cast.client(cast.partner_admin)
    added = manager.post(f"/api/v1/deals/{deal.pk}/plan/",
                         {"title": "Security review", "owner": cast.partner_admin.pk,
                          "due_on": "2027-01-15"}, content_type="application/json")
    assert added.status_code == 201, added.json()
    item = added.json()
    assert (item["owner"], item["due_on"], item["done_at"]) == (
        cast.partner_admin.user.email, "2027-01-15", None)
    ticked = partner.patch(f"/api/v1/deals/{deal.pk}/plan/{item['id']}/", {"done": True},
                           content_type="application/json")
    assert ticked.status_code == 200
    assert ticked.json()["done_by"] == cast.partner_admin.user.email
    listed = partner.get(f"/api/v1/deals/{deal.pk}/plan/").json()
    assert [(i["title"], i["done_at"] is not None) for i in listed] == [("Security review",
                                                                         True)]
    with tenant_scope(cast.acme):
        verbs = list(Event.objects.filter(subject_id=str(deal.pk), verb__startswith="deal.plan")
                     .order_by("pk").values_list("verb", flat=True))
    assert verbs == ["deal.plan.added", "deal.plan.done"]


def test_the_action_plan_api_refuses_bad_input_and_strangers(program):
    cast = program.cast
    deal, _ = program.submit()
    manager = cast.client(cast.manager)
    assert manager.post(f"/api/v1/deals/{deal.pk}/plan/", {"title": " "},
                        content_type="application/json").status_code == 400
    outsider = manager.post(f"/api/v1/deals/{deal.pk}/plan/",
                            {"title": "Pilot", "owner": cast.other_admin.pk},
                            content_type="application/json")
    assert outsider.status_code == 400
    assert "owner" in outsider.json()
    item = manager.post(f"/api/v1/deals/{deal.pk}/plan/", {"title": "Pilot"},
                        content_type="application/json").json()
    for stranger in (cast.partner_user, cast.other_admin):  # Contoso's, and another tenant's
        client = cast.client(stranger)
        assert client.get(f"/api/v1/deals/{deal.pk}/plan/").status_code == 404
        assert client.patch(f"/api/v1/deals/{deal.pk}/plan/{item['id']}/", {"done": True},
                            content_type="application/json").status_code == 404
    with tenant_scope(cast.acme):
        from deals.models import ActionPlanItem

        assert ActionPlanItem.objects.get(pk=item["id"]).done_at is None
        assert ActionPlanItem.objects.count() == 1
