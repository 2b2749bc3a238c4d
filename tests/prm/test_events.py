"""The event log: recorded by services, append-only, delivered once, shown on the audit page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone

from prm import events
from prm.events import deliver_pending, record_event
from prm.models import Event, Role
from prm.services import api_key_create, api_key_revoke, membership_update
from prm.tasks import outbox_sweep
from prm.tenancy import tenant_scope


def test_services_record_who_changed_what(cast):
    with tenant_scope(cast.acme):
        membership_update(actor=cast.admin.user, membership=cast.partner_user,
                          role=Role.PARTNER_ADMIN)
        key, _ = api_key_create(actor=cast.manager.user, membership=cast.manager, name="sync")
        api_key_revoke(actor=cast.manager.user, api_key=key)
        recorded = list(Event.objects.order_by("pk").values_list("verb", "actor_id", "data"))
    assert recorded[-3:] == [
        ("membership.role_changed", cast.admin.user_id,
         {"from": "partner_user", "to": "partner_admin"}),
        ("api_key.created", cast.manager.user_id,
         {"name": "sync", "prefix": key.prefix, "owner": "max@acme.test"}),
        ("api_key.revoked", cast.manager.user_id, {"name": "sync", "prefix": key.prefix}),
    ]


def test_events_cannot_be_edited_or_deleted(cast):
    with tenant_scope(cast.acme):
        event = record_event(actor=None, verb="test.happened", subject=("thing", 1))
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            Event.objects.filter(pk=event.pk).update(verb="something.else")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            Event.objects.filter(pk=event.pk).delete()
        # The outbox's bookkeeping is the one thing that may change.
        assert Event.objects.filter(pk=event.pk).update(delivery_attempts=3) == 1


@pytest.fixture
def delivered(monkeypatch):
    """A handler for a test verb that records what it was given."""
    seen: list[int] = []
    monkeypatch.setitem(events._handlers, "test.happened", [lambda event: seen.append(event.pk)])
    return seen


def test_outbox_delivers_each_event_once(cast, delivered):
    with tenant_scope(cast.acme):
        event = record_event(actor=None, verb="test.happened", subject=("thing", 1))
        assert deliver_pending(event_ids=[event.pk]) == 1
        assert deliver_pending(event_ids=[event.pk]) == 0
    assert delivered == [event.pk]


def _lost_event(n: int) -> Event:
    """An event whose delivery message was lost five minutes ago."""
    return Event.objects.create(verb="test.happened", subject_type="thing", subject_id=str(n),
                                created_at=timezone.now() - timedelta(minutes=5))


def test_sweep_picks_up_what_a_lost_message_left_behind(cast, delivered):
    with tenant_scope(cast.acme):
        old = _lost_event(1)
        fresh = record_event(actor=None, verb="test.happened", subject=("thing", 2))
    with tenant_scope(cast.globex):
        foreign = _lost_event(3)
    assert outbox_sweep() == 2
    assert sorted(delivered) == sorted([old.pk, foreign.pk])
    with tenant_scope(cast.acme):
        # Younger than a minute: its own delivery message is presumably still in flight.
        assert Event.objects.get(pk=fresh.pk).delivered_at is None
    assert outbox_sweep() == 0


def test_failing_handler_leaves_the_event_for_the_next_sweep(cast, monkeypatch):
    def broken(event):
        raise RuntimeError("receiver down")

    monkeypatch.setitem(events._handlers, "test.happened", [broken])
    with tenant_scope(cast.acme):
        event = record_event(actor=None, verb="test.happened", subject=("thing", 1))
        assert deliver_pending(event_ids=[event.pk]) == 0
        event.refresh_from_db()
        assert event.delivered_at is None
        assert event.delivery_attempts == 1


class TestAuditPage:
    def test_lists_events_newest_first_with_filters(self, mfa_admin):
        with tenant_scope(mfa_admin.acme):
            membership_update(actor=mfa_admin.admin.user, membership=mfa_admin.partner_user,
                              role=Role.PARTNER_ADMIN)
        client = mfa_admin.client(mfa_admin.admin)
        page = client.get("/audit/")
        assert page.status_code == 200
        verbs = [e.verb for e in page.context["page"].object_list]
        assert verbs[0] == "membership.role_changed"
        filtered = client.get("/audit/", {"verb": "membership.role_changed",
                                          "actor": mfa_admin.admin.user_id})
        assert [e.verb for e in filtered.context["page"].object_list] == [
            "membership.role_changed"]
        tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
        assert not client.get("/audit/", {"date_from": tomorrow}).context["page"].object_list

    def test_shows_no_event_of_another_tenant(self, mfa_admin):
        with tenant_scope(mfa_admin.globex):
            record_event(actor=mfa_admin.other_admin.user, verb="globex.secret",
                         subject=("thing", 1))
        page = mfa_admin.client(mfa_admin.admin).get("/audit/")
        assert b"globex.secret" not in page.content

    def test_query_count_does_not_grow_with_events(self, mfa_admin):
        client = mfa_admin.client(mfa_admin.admin)
        client.get("/audit/")  # warm-up: session, content types
        with tenant_scope(mfa_admin.acme):
            for n in range(60):
                record_event(actor=mfa_admin.manager.user, verb=f"test.v{n % 7}",
                             subject=("thing", n))
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as few:
            client.get("/audit/")
        with tenant_scope(mfa_admin.acme):
            for n in range(60):
                record_event(actor=mfa_admin.partner_user.user, verb=f"test.w{n % 5}",
                             subject=("thing", n))
        with CaptureQueriesContext(connection) as many:
            client.get("/audit/")
        # tenant, set_config, session, user, membership, TOTP check, verbs, actors, count,
        # page; under the test's own transaction the scope is nested, which adds a savepoint,
        # its release, and reading and restoring the outer tenant setting.
        assert len(few) == len(many) == 14

    def test_other_roles_get_404(self, cast):
        for membership in (cast.manager, cast.partner_admin, cast.partner_user):
            assert cast.client(membership).get("/audit/").status_code == 404
