"""Partner lifecycle: every transition, allowed and refused, through services and the API."""

from __future__ import annotations

import itertools

import pytest

from partners.models import PartnerStatus, PartnerStatusChange
from partners.services import REASON_REQUIRED, TRANSITIONS, partner_transition
from prm.errors import DomainError, InvalidInput
from prm.models import Event
from prm.tenancy import tenant_scope
from tests.factories import PartnerFactory

S = PartnerStatus
ALL_MOVES = list(itertools.product(S.values, S.values))
ALLOWED = [(a, b) for a, b in ALL_MOVES if b in TRANSITIONS[a]]
REFUSED = [(a, b) for a, b in ALL_MOVES if b not in TRANSITIONS[a]]


def test_the_lifecycle_is_the_documented_one():
    assert sorted(ALLOWED) == sorted([
        ("applied", "in_review"), ("applied", "declined"),
        ("in_review", "approved"), ("in_review", "declined"),
        ("approved", "onboarding"), ("approved", "inactive"),
        ("onboarding", "active"), ("onboarding", "inactive"),
        ("active", "at_risk"), ("active", "inactive"),
        ("at_risk", "active"), ("at_risk", "inactive"),
        ("inactive", "active"),
    ])


@pytest.mark.parametrize(("start", "to"), ALLOWED)
def test_allowed_transition_moves_records_history_and_event(cast, start, to):
    partner = PartnerFactory(tenant=cast.acme, status=start)
    with tenant_scope(cast.acme):
        partner_transition(actor=cast.manager.user, partner=partner, to_status=to,
                           reason="because")
        partner.refresh_from_db()
        change = PartnerStatusChange.objects.get(partner=partner)
        event = Event.objects.get(verb=f"partner.{to}", subject_id=str(partner.pk))
    assert partner.status == to
    assert partner.status_reason == "because"
    assert (change.from_status, change.to_status, change.actor_id) == (
        start, to, cast.manager.user_id)
    assert event.data == {"from": start, "to": to, "reason": "because"}


@pytest.mark.parametrize(("start", "to"), REFUSED)
def test_refused_transition_changes_nothing(cast, start, to):
    partner = PartnerFactory(tenant=cast.acme, status=start)
    with tenant_scope(cast.acme):
        with pytest.raises(DomainError) as error:
            partner_transition(actor=cast.manager.user, partner=partner, to_status=to,
                               reason="because")
        assert error.value.status_code == 409
        partner.refresh_from_db()
        assert partner.status == start
        assert not PartnerStatusChange.objects.filter(partner=partner).exists()
        assert not Event.objects.filter(subject_id=str(partner.pk),
                                        verb__startswith="partner.").exists()


@pytest.mark.parametrize("to", sorted(REASON_REQUIRED))
def test_some_moves_need_a_reason(cast, to):
    start = next(a for a, b in ALLOWED if b == to)
    partner = PartnerFactory(tenant=cast.acme, status=start)
    with tenant_scope(cast.acme), pytest.raises(InvalidInput):
        partner_transition(actor=None, partner=partner, to_status=to, reason="  ")


@pytest.mark.parametrize(("status", "approved"), [("applied", False), ("approved", True),
                                                ("onboarding", True), ("active", True)])
def test_a_partner_added_into_the_program_counts_as_approved(cast, status, approved):
    """Onboarding reacts to partner.approved: a partner created past the application
    (by hand, through the API or an import) must announce it too."""
    from partners.services import partner_create

    with tenant_scope(cast.acme):
        partner = partner_create(actor=cast.manager.user, name="Fabrikam",
                                 domain="fabrikam.test", partner_type="reseller",
                                 status=status)
        verbs = list(Event.objects.filter(subject_id=str(partner.pk),
                                          subject_type="partners.partner")
                     .order_by("pk").values_list("verb", flat=True))
    assert verbs == (["partner.created", "partner.approved"] if approved
                     else ["partner.created"])


def test_the_import_sweep_runs_on_a_schedule(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "partners.tasks.partner_import_sweep" in tasks


class TestApi:
    def test_action_moves_the_partner(self, cast):
        partner = PartnerFactory(tenant=cast.acme, status=S.ACTIVE)
        response = cast.client(cast.manager).post(
            f"/api/v1/partners/{partner.pk}/flag-at-risk/", {"reason": "No deals for 120 days"},
            content_type="application/json")
        assert response.status_code == 200
        assert response.json()["status"] == "at_risk"

    def test_impossible_move_is_409_with_a_message(self, cast):
        partner = PartnerFactory(tenant=cast.acme, status=S.DECLINED)
        response = cast.client(cast.manager).post(
            f"/api/v1/partners/{partner.pk}/activate/", {}, content_type="application/json")
        assert response.status_code == 409
        assert "cannot become" in response.json()["detail"]

    def test_missing_reason_is_400_on_the_field(self, cast):
        partner = PartnerFactory(tenant=cast.acme, status=S.ACTIVE)
        response = cast.client(cast.manager).post(
            f"/api/v1/partners/{partner.pk}/deactivate/", {}, content_type="application/json")
        assert response.status_code == 400
        assert "reason" in response.json()

    def test_partner_people_cannot_move_statuses(self, cast):
        response = cast.client(cast.partner_admin).post(
            f"/api/v1/partners/{cast.northwind.pk}/deactivate/", {"reason": "x"},
            content_type="application/json")
        assert response.status_code == 404
        with tenant_scope(cast.acme):
            cast.northwind.refresh_from_db()
            assert cast.northwind.status == S.ACTIVE
