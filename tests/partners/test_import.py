"""Partner import: file checks, the set-based dry run, all-or-nothing apply, tasks, pages."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partners import imports, tasks
from partners.imports import (
    partner_import_apply,
    partner_import_apply_request,
    partner_import_check,
    partner_import_upload,
    progress_key,
)
from partners.models import (
    Partner,
    PartnerImport,
    PartnerSpecialisation,
    PartnerStatusChange,
    Specialisation,
)
from prm.errors import DomainError, InvalidInput
from prm.models import Event
from prm.tenancy import tenant_scope
from tests.factories import PartnerFactory, TierFactory

S = PartnerImport.Status
HEADER = ["name", "domain", "website", "country", "region", "type", "tier", "status",
          "manager_email", "specialisations"]


def csv_bytes(rows, header=HEADER, delimiter=",", bom=False) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return (("\ufeff" if bom else "") + out.getvalue()).encode()


def row(name="Fabrikam", domain="fabrikam.test", website="", country="DE", region="emea",
        type="reseller", tier="Gold", status="", manager="max@acme.test",
        specialisations=""):
    return [name, domain, website, country, region, type, tier, status, manager,
            specialisations]


@pytest.fixture
def program(mfa_admin):
    """The cast's tenant with two tiers; Northwind and Contoso already in the program."""
    cast = mfa_admin
    TierFactory(tenant=cast.acme, name="Silver", rank=1)
    TierFactory(tenant=cast.acme, name="Gold", rank=2)
    return cast


@pytest.fixture
def eager_celery():
    """Tasks dispatched after commit run in-process (the real dispatch path, no worker)."""
    from prm.celery import app

    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


def upload(cast, data: bytes, filename="partners.csv") -> PartnerImport:
    with tenant_scope(cast.acme):
        return partner_import_upload(actor=cast.admin.user, filename=filename, data=data)


def fresh(tenant, obj):
    with tenant_scope(tenant):
        obj.refresh_from_db()
    return obj


def report(partner_import: PartnerImport) -> dict[int, dict]:
    return {entry["line"]: entry for entry in partner_import.report["rows"]}


def codes(entry) -> list[str]:
    return [reason["code"] for reason in entry.get("reasons", [])]


def snapshot(tenant):
    with tenant_scope(tenant):
        return (
            sorted(Partner.objects.values_list("domain", "name", "tier_id", "country",
                                               "manager_id", "status")),
            PartnerStatusChange.objects.count(),
            PartnerSpecialisation.objects.count(),
            Specialisation.objects.count(),
        )


# --- The dry run --------------------------------------------------------------------

def test_dry_run_reports_creates_updates_and_every_refusal_and_writes_no_partner(program):
    cast = program
    before = snapshot(cast.acme)
    data = csv_bytes([
        row(specialisations="Cloud migration; Security"),                         # 2 create
        row(name="Northwind Traders", domain="https://www.Northwind.test/about",
            country="US", tier="Silver", status="inactive"),                       # 3 update
        row(name="Bad Domain Ltd", domain="not a domain"),                         # 4
        row(name="Diamond Co", domain="diamond.test", tier="Diamond"),             # 5
        row(name="", domain="nameless.test"),                                      # 6
        row(name="Fabrikam again", domain="FABRIKAM.test"),                        # 7
        row(name="Managed Co", domain="managed.test", manager="pat@northwind.test"),  # 8
        row(name="Nowhere Co", domain="nowhere.test", country="XX"),               # 9
        row(name="Odd Co", domain="odd.test", region="moon", type="spy",
            status="at_risk"),                                                     # 10
        row(name="Free Mail", domain="", website="https://gmail.com"),            # 11
        row(name="Contoso Ltd", domain="contoso.test", tier="", country="",
            region="", type="", manager="", status="active"),                      # 12
    ])

    partner_import = upload(cast, data)

    assert partner_import.status == S.CHECKED
    lines = report(partner_import)
    assert lines[2]["action"] == "create"
    assert lines[2]["domain"] == "fabrikam.test"
    assert lines[2]["summary"]["specialisations"] == ["Cloud migration", "Security"]
    assert lines[3]["action"] == "update"
    assert lines[3]["domain"] == "northwind.test"
    assert lines[3]["changes"] == {"country": ["DE", "US"], "tier": ["", "Silver"],
                                   "manager": ["", "max@acme.test"]}
    assert [n["code"] for n in lines[3]["notes"]] == ["status_ignored"]
    assert codes(lines[4]) == ["bad_domain"]
    assert codes(lines[5]) == ["unknown_tier"]
    assert codes(lines[6]) == ["missing_name"]
    assert codes(lines[7]) == ["duplicate"]
    assert lines[7]["reasons"][0]["line"] == 2
    assert codes(lines[8]) == ["unknown_manager"]
    assert codes(lines[9]) == ["unknown_country"]
    assert codes(lines[10]) == ["unknown_region", "unknown_type", "not_initial_status"]
    assert codes(lines[11]) == ["free_mail_domain"]
    assert lines[12]["action"] == "update"
    assert "changes" not in lines[12]           # empty cells keep the current values
    assert (partner_import.to_create, partner_import.to_update, partner_import.refused) == (
        1, 2, 8)
    assert partner_import.report["unchanged"] == 1
    page = cast.client(cast.admin).get(f"/partners/import/{partner_import.pk}/").content.decode()
    assert "1 of them already up to date" in page
    assert snapshot(cast.acme) == before


def test_dry_run_accepts_labels_names_any_header_case_semicolons_and_a_bom(program):
    cast = program
    header = ["NAME", "Website", "Country", "Region", "Type", "Tier", "Status",
              "Manager Email", "Specialisations"]
    data = csv_bytes([["Tailspin", "tailspin.test", "Germany", "North America",
                       "Managed service provider", "gold", "Active", "MAX@acme.test",
                       "Security;Healthcare"]],
                     header=header, delimiter=";", bom=True)

    partner_import = upload(cast, data)

    entry = report(partner_import)[2]
    assert entry["action"] == "create", entry
    assert entry["domain"] == "tailspin.test"
    assert entry["summary"] == {"country": "DE", "region": "north_america", "type": "msp",
                                "tier": "Gold", "manager": "max@acme.test",
                                "specialisations": ["Security", "Healthcare"],
                                "status": "active"}


def test_dry_run_refuses_a_manager_who_is_no_longer_active(program):
    cast = program
    with tenant_scope(cast.acme):
        cast.manager.is_active = False
        cast.manager.save(update_fields=["is_active"])

    partner_import = upload(cast, csv_bytes([row()]))

    assert codes(report(partner_import)[2]) == ["unknown_manager"]


def _rows_for_query_count(n: int) -> bytes:
    rows = []
    for i in range(n):
        kind = i % 5
        if kind == 0:
            rows.append(row(name=f"Existing {i}", domain=f"existing{i}.test", tier="Silver",
                            specialisations="Security;Retail"))
        elif kind == 1:
            rows.append(row(name=f"Broken {i}", domain=f"broken{i}.test", tier="Diamond"))
        else:
            rows.append(row(name=f"New {i}", domain=f"new{i}.test",
                            specialisations=f"Cloud;Topic {i % 7}"))
    return csv_bytes(rows)


def _check_queries(cast, n: int) -> int:
    with tenant_scope(cast.acme):
        security = Specialisation.objects.create(name="Security")
        partners = Partner.objects.bulk_create([
            Partner(name=f"Existing {i}", domain=f"existing{i}.test", partner_type="reseller")
            for i in range(0, n, 5)])
        PartnerSpecialisation.objects.bulk_create([
            PartnerSpecialisation(partner=p, specialisation=security) for p in partners])
        partner_import = PartnerImport.objects.create(
            filename="q.csv", content=_rows_for_query_count(n).decode(), total_rows=n)
        with CaptureQueriesContext(connection) as queries:
            partner_import_check(import_id=partner_import.pk)
        partner_import.refresh_from_db()
        assert partner_import.total_rows == n
        assert partner_import.to_update == n // 5
        # Clean up so the next measurement starts from the same state.
        PartnerSpecialisation.objects.filter(partner__in=partners).delete()
        Partner.objects.filter(pk__in=[p.pk for p in partners]).delete()
        security.delete()
    return len(queries)


def test_dry_run_query_count_does_not_grow_with_rows(program):
    assert _check_queries(program, 50) == _check_queries(program, 500)


# --- File-level errors ---------------------------------------------------------------

@pytest.mark.parametrize(("data", "complaint"), [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a CSV text file"),
    (b"PK\x03\x04\x14\x00\x06\x00", "spreadsheet workbook"),
    ("name,domain\nMüller GmbH,mueller.test\n".encode("latin-1"), "not UTF-8"),
    (b"company,url\nAcme,acme.test\n", "does not look like a partner list"),
    (b"name,domain,colour\nAcme,acme.test,red\n", "Unknown columns: “colour”"),
    (b"name,country\nAcme,DE\n", "needs a “domain” or"),
    (b"domain,type\nacme.test,msp\n", "needs a “name” column"),
    (b"name,domain,Name\nAcme,acme.test,Acme\n", "more than once: name"),
    (b"name,domain\n", "no partner rows"),
    (b"\n\n", "The file is empty"),
])
def test_upload_errors_are_clear_and_create_nothing(program, data, complaint):
    cast = program
    client = cast.client(cast.admin)

    response = client.post("/partners/import/", {
        "file": SimpleUploadedFile("partners.csv", data, content_type="text/csv")})

    assert response.status_code == 200
    assert complaint in response.content.decode()
    with tenant_scope(cast.acme):
        assert not PartnerImport.objects.exists()


def test_upload_without_a_file_asks_for_one(program):
    cast = program

    response = cast.client(cast.admin).post("/partners/import/", {})

    assert "This field is required." in response.content.decode()
    with tenant_scope(cast.acme):
        assert not PartnerImport.objects.exists()


def test_upload_of_a_too_large_file_is_refused(program):
    cast = program
    data = csv_bytes([row()]) + b"x" * imports.MAX_BYTES

    response = cast.client(cast.admin).post("/partners/import/", {
        "file": SimpleUploadedFile("big.csv", data, content_type="text/csv")})

    assert "an import takes at most 5.0\xa0MB" in response.content.decode()
    with tenant_scope(cast.acme):
        assert not PartnerImport.objects.exists()
    with tenant_scope(cast.acme), pytest.raises(InvalidInput, match="at most"):
        partner_import_upload(actor=None, filename="big.csv", data=data)


def test_upload_of_too_many_rows_is_refused(program):
    cast = program
    data = csv_bytes([row(domain=f"p{i}.test") for i in range(imports.MAX_ROWS + 1)])

    with tenant_scope(cast.acme), pytest.raises(InvalidInput, match="more than 20,000 rows"):
        partner_import_upload(actor=None, filename="many.csv", data=data)
    with tenant_scope(cast.acme):
        assert not PartnerImport.objects.exists()


# --- Apply ----------------------------------------------------------------------------

def test_apply_creates_and_updates_exactly_as_reported(program):
    cast = program
    with tenant_scope(cast.acme):
        security = Specialisation.objects.create(name="Security")
        retail = Specialisation.objects.create(name="Retail")
        PartnerSpecialisation.objects.create(partner=cast.contoso, specialisation=retail)
    partner_import = upload(cast, csv_bytes([
        row(specialisations="Cloud migration;security", status="onboarding"),
        row(name="Litware", domain="", website="www.litware.test", country="", region="",
            type="technology", tier="", manager=""),
        row(name="Northwind Trading", domain="northwind.test", tier="Gold", country="AT"),
        row(name="Contoso Ltd", domain="contoso.test", tier="", country="", region="",
            type="", manager="", specialisations="Security"),
    ]))
    assert (partner_import.to_create, partner_import.to_update, partner_import.refused) == (
        2, 2, 0)

    with tenant_scope(cast.acme):
        partner_import = partner_import_apply_request(actor=cast.admin.user,
                                                      partner_import=partner_import)
        assert partner_import.status == S.APPLIED
        fabrikam = Partner.objects.select_related("tier").get(domain="fabrikam.test")
        litware = Partner.objects.get(domain="litware.test")
        northwind = Partner.objects.select_related("tier").get(pk=cast.northwind.pk)
        history = list(PartnerStatusChange.objects.order_by("partner__name").values_list(
            "partner__domain", "from_status", "to_status", "actor_id"))
        specialisations = {
            p.domain: sorted(s.name for s in p.specialisations.all())
            for p in Partner.objects.prefetch_related("specialisations")}
        event = Event.objects.get(verb="partner_import.applied")

    assert (fabrikam.name, fabrikam.country.code, fabrikam.region, fabrikam.partner_type,
            fabrikam.tier.name, fabrikam.manager_id, fabrikam.status) == (
        "Fabrikam", "DE", "emea", "reseller", "Gold", cast.manager.pk, "onboarding")
    assert (litware.website, litware.partner_type, litware.status, litware.tier_id) == (
        "https://www.litware.test", "technology", "approved", None)
    assert (northwind.name, northwind.tier.name, northwind.country.code,
            northwind.manager_id) == ("Northwind Trading", "Gold", "AT", cast.manager.pk)
    assert history == [("fabrikam.test", "", "onboarding", cast.admin.user_id),
                       ("litware.test", "", "approved", cast.admin.user_id)]
    assert specialisations == {"fabrikam.test": ["Cloud migration", "Security"],
                               "litware.test": [], "northwind.test": [],
                               "contoso.test": ["Security"]}
    with tenant_scope(cast.acme):
        assert Specialisation.objects.get(name="Security") == security  # matched, not added
    assert event.subject_id == str(partner_import.pk)
    assert event.actor_id == cast.admin.user_id
    assert (event.data["created"], event.data["updated"], event.data["unchanged"]) == (2, 2, 0)
    # Each partner written has its own events, as when added or edited by hand.
    with tenant_scope(cast.acme):
        rows = sorted((e.verb, e.subject_id, e.actor_id, e.data.get("import"))
                      for e in Event.objects.filter(subject_type="partners.partner"))
        northwind_change = Event.objects.get(verb="partner.updated",
                                             subject_id=str(cast.northwind.pk)).data
    imported = partner_import.pk
    assert rows == sorted([
        ("partner.created", str(fabrikam.pk), cast.admin.user_id, imported),
        ("partner.approved", str(fabrikam.pk), cast.admin.user_id, imported),
        ("partner.created", str(litware.pk), cast.admin.user_id, imported),
        ("partner.approved", str(litware.pk), cast.admin.user_id, imported),
        ("partner.updated", str(cast.northwind.pk), cast.admin.user_id, imported),
        ("partner.updated", str(cast.contoso.pk), cast.admin.user_id, imported),
    ])
    assert northwind_change["name"] == {"to": "Northwind Trading"}


def test_apply_is_refused_while_rows_are_refused(program):
    cast = program
    partner_import = upload(cast, csv_bytes([row(), row(name="", domain="x.test")]))
    before = snapshot(cast.acme)

    with tenant_scope(cast.acme), pytest.raises(DomainError, match="Fix them"):
        partner_import_apply_request(actor=cast.admin.user, partner_import=partner_import)
    response = cast.client(cast.admin).post(f"/partners/import/{partner_import.pk}/apply/",
                                            follow=True)

    assert "Some rows are refused" in response.content.decode()
    fresh(cast.acme, partner_import)
    assert partner_import.status == S.CHECKED
    assert snapshot(cast.acme) == before


def test_a_database_failure_in_the_middle_of_apply_rolls_everything_back(program,
                                                                         monkeypatch):
    cast = program
    monkeypatch.setattr(imports, "BATCH", 2)   # five INSERTs for ten new partners
    partner_import = upload(cast, csv_bytes(
        [row(name=f"New {n}", domain=f"new{n}.test", specialisations="Fresh topic")
         for n in range(2, 12)]
        + [row(name="Northwind Trading", domain="northwind.test")]))
    before = snapshot(cast.acme)
    with tenant_scope(cast.acme):
        PartnerImport.objects.filter(pk=partner_import.pk).update(status=S.APPLYING)
    written_before_failure = []

    def race(fraction):
        # Once the first INSERT is in, someone adds the partner of line 7 (new7.test):
        # a later INSERT hits the unique constraint on (tenant, domain).
        first_batch = Partner.objects.filter(domain__in=["new2.test", "new3.test"]).count()
        if first_batch and not written_before_failure:
            written_before_failure.append(first_batch)
            Partner.objects.create(name="Racer", domain="new7.test", partner_type="msp")

    with tenant_scope(cast.acme):
        result = partner_import_apply(import_id=partner_import.pk, actor=cast.admin.user,
                                      progress=race)

    assert written_before_failure == [2]
    assert result.status == S.FAILED
    assert result.report["failure"]["code"] == "conflict"
    assert "was added while the import ran. Nothing was changed" in result.error
    assert snapshot(cast.acme) == before
    with tenant_scope(cast.acme):
        assert not Event.objects.filter(verb="partner_import.applied").exists()
        assert Event.objects.filter(verb="partner_import.failed").count() == 1
    page = cast.client(cast.admin).get(f"/partners/import/{partner_import.pk}/")
    assert "Another partner with a domain of this file was added" in page.content.decode()


def test_apply_checks_again_and_fails_whole_when_the_state_changed(program):
    cast = program
    partner_import = upload(cast, csv_bytes([row(), row(name="Litware", domain="litware.test")]))
    PartnerFactory(tenant=cast.acme, name="Litware (added meanwhile)", domain="litware.test")
    before = snapshot(cast.acme)

    with tenant_scope(cast.acme):
        result = partner_import_apply_request(actor=cast.admin.user,
                                              partner_import=partner_import)

    assert result.status == S.FAILED
    assert result.report["failure"] == {"code": "plan_changed", "line": 3,
                                        "before": "create", "after": "update"}
    assert "line 3 would now be “update” instead of “create”" in result.error
    assert snapshot(cast.acme) == before


def test_apply_fails_whole_when_a_row_would_now_be_refused(program):
    cast = program
    partner_import = upload(cast, csv_bytes([row(manager=""), row(name="Litware",
                                                                 domain="litware.test")]))
    with tenant_scope(cast.acme):
        cast.manager.is_active = False
        cast.manager.save(update_fields=["is_active"])
    before = snapshot(cast.acme)

    with tenant_scope(cast.acme):
        result = partner_import_apply_request(actor=cast.admin.user,
                                              partner_import=partner_import)

    assert result.status == S.FAILED
    assert result.report["failure"]["reason"]["code"] == "unknown_manager"
    assert "line 3" in result.error
    assert snapshot(cast.acme) == before


# --- Tasks and the background path ---------------------------------------------------------

def test_tasks_are_idempotent(program, monkeypatch, django_capture_on_commit_callbacks):
    cast = program
    monkeypatch.setattr(imports, "INLINE_ROWS", 1)
    with django_capture_on_commit_callbacks() as dispatched:
        partner_import = upload(cast, csv_bytes([row(), row(name="Litware",
                                                           domain="litware.test")]))
    assert partner_import.status == S.CHECKING
    assert len(dispatched) == 1     # the check task, sent after commit

    first = tasks.partner_import_check(tenant_id=cast.acme.pk, import_id=partner_import.pk)
    second = tasks.partner_import_check(tenant_id=cast.acme.pk, import_id=partner_import.pk)
    assert (first, second) == (S.CHECKED, None)

    with tenant_scope(cast.acme), django_capture_on_commit_callbacks() as dispatched:
        partner_import.refresh_from_db()
        partner_import_apply_request(actor=cast.admin.user, partner_import=partner_import)
        with pytest.raises(DomainError, match="already"):
            partner_import_apply_request(actor=cast.admin.user, partner_import=partner_import)
    assert len(dispatched) == 1     # the apply task

    results = [tasks.partner_import_apply(tenant_id=cast.acme.pk, import_id=partner_import.pk,
                                          actor_id=cast.admin.user_id) for _ in range(2)]

    assert results == [S.APPLIED, None]
    with tenant_scope(cast.acme):
        assert Partner.objects.filter(domain__in=["fabrikam.test", "litware.test"]).count() == 2
        assert PartnerStatusChange.objects.count() == 2
        assert Event.objects.filter(verb="partner_import.applied").count() == 1


def test_the_sweep_sends_lost_tasks_again(program, monkeypatch, eager_celery,
                                          django_capture_on_commit_callbacks):
    cast = program
    monkeypatch.setattr(imports, "INLINE_ROWS", 1)
    with django_capture_on_commit_callbacks(execute=False):   # the message gets lost
        partner_import = upload(cast, csv_bytes([row(), row(name="L", domain="l.test")]))
    fresh_upload = upload(cast, csv_bytes([row(name="M", domain="m.test"),
                                           row(name="N", domain="n.test")]))
    with tenant_scope(cast.acme):
        PartnerImport.objects.filter(pk=partner_import.pk).update(
            created_at=timezone.now() - timedelta(minutes=10))

    sent = tasks.partner_import_sweep()

    assert sent == 1
    assert fresh(cast.acme, partner_import).status == S.CHECKED
    assert fresh(cast.acme, fresh_upload).status == S.CHECKING    # too young to be lost
    assert tasks.partner_import_sweep() == 0


def test_a_task_for_another_tenant_or_an_unknown_import_does_nothing(program):
    cast = program
    partner_import = upload(cast, csv_bytes([row()]))
    with tenant_scope(cast.acme):
        PartnerImport.objects.filter(pk=partner_import.pk).update(status=S.APPLYING)

    assert tasks.partner_import_apply(tenant_id=cast.globex.pk,
                                      import_id=partner_import.pk) is None
    assert tasks.partner_import_check(tenant_id=cast.acme.pk, import_id=10**9) is None
    with tenant_scope(cast.acme):
        assert not Partner.objects.filter(domain="fabrikam.test").exists()


def test_large_files_check_and_apply_in_the_background_with_progress(
        program, eager_celery, monkeypatch, django_capture_on_commit_callbacks):
    cast = program
    client = cast.client(cast.admin)
    n = imports.INLINE_ROWS + 100
    data = csv_bytes([row(name=f"Partner {i}", domain=f"bulk{i}.test") for i in range(n)])
    seen: list[tuple[str, dict]] = []
    meter = imports._meter

    def watching(import_id, phase, total):
        publish = meter(import_id, phase, total)

        def wrapped(fraction):
            publish(fraction)
            seen.append((phase, cache.get(progress_key(import_id, phase))))

        return wrapped

    monkeypatch.setattr(imports, "_meter", watching)

    with django_capture_on_commit_callbacks(execute=False) as dispatched:
        response = client.post("/partners/import/", {
            "file": SimpleUploadedFile("bulk.csv", data, content_type="text/csv")})
    with tenant_scope(cast.acme):
        partner_import = PartnerImport.objects.get()
    assert response["Location"] == f"/partners/import/{partner_import.pk}/"
    assert partner_import.status == S.CHECKING
    polling = client.get(f"/partners/import/{partner_import.pk}/progress/",
                         HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in polling
    assert "Waiting for a background worker to start" in polling   # no progress yet
    with tenant_scope(cast.acme):
        cache.set(progress_key(partner_import.pk, "check"), {"done": 150, "total": n})
    polling = client.get(f"/partners/import/{partner_import.pk}/progress/",
                         HTTP_HX_REQUEST="true").content.decode()
    assert f'<progress id="import-progress-bar" max="{n}" value="150"' in polling
    assert "25%" in polling

    for callback in dispatched:     # the check task, now (eagerly, as a worker would)
        callback()
    fresh(cast.acme, partner_import)
    assert partner_import.status == S.CHECKED
    assert partner_import.to_create == n
    checked = [progress["done"] for phase, progress in seen if phase == "check"]
    assert checked[0] == 0
    assert checked[-1] == n
    assert checked == sorted(checked)
    assert len({d for d in checked if 0 < d < n}) >= 2     # visible while it runs
    done_polling = client.get(f"/partners/import/{partner_import.pk}/progress/",
                              HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in done_polling
    assert "Apply the import" in done_polling

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/partners/import/{partner_import.pk}/apply/")

    fresh(cast.acme, partner_import)
    assert partner_import.status == S.APPLIED
    with tenant_scope(cast.acme):
        assert Partner.objects.filter(domain__startswith="bulk").count() == n
        assert cache.get(progress_key(partner_import.pk, "apply")) == {"done": n, "total": n}
    applied = [progress["done"] for phase, progress in seen if phase == "apply"]
    assert applied == sorted(applied)
    assert (applied[0], applied[-1]) == (0, n)
    assert len({d for d in applied if 0 < d < n}) >= 2


# --- Pages ---------------------------------------------------------------------------------

def test_upload_check_and_apply_through_the_pages(program):
    cast = program
    client = cast.client(cast.admin)

    page = client.get("/partners/import/")
    assert page.status_code == 200
    assert "manager_email" in page.content.decode()
    response = client.post("/partners/import/", {"file": SimpleUploadedFile(
        "partners.csv", csv_bytes([row(), row(name="", domain="x.test")]))}, follow=True)
    body = response.content.decode()
    assert "Fix the refused rows and upload again" in body
    assert "The name is missing." in body
    assert "Apply the import" not in body

    response = client.post("/partners/import/", {"file": SimpleUploadedFile(
        "good.csv", csv_bytes([row()]))}, follow=True)
    assert "Apply the import" in response.content.decode()
    with tenant_scope(cast.acme):
        good = PartnerImport.objects.get(filename="good.csv")
    response = client.post(f"/partners/import/{good.pk}/apply/", follow=True)

    assert "Every row was applied, in one transaction." in response.content.decode()
    with tenant_scope(cast.acme):
        assert Partner.objects.filter(domain="fabrikam.test").exists()
    recent = client.get("/partners/import/").content.decode()
    assert "good.csv" in recent
    assert "partners.csv" in recent


def test_the_report_filters_refused_rows_and_pages(program):
    cast = program
    rows = [row(name=f"P{i}", domain=f"p{i}.test") for i in range(60)]
    rows += [row(name="Broken", domain="broken.test", tier="Diamond")]
    partner_import = upload(cast, csv_bytes(rows))
    client = cast.client(cast.admin)

    all_rows = client.get(f"/partners/import/{partner_import.pk}/").content.decode()
    refused = client.get(f"/partners/import/{partner_import.pk}/?show=refuse",
                         HTTP_HX_REQUEST="true").content.decode()

    assert "Rows 1\N{EN DASH}50 of 61" in all_rows
    assert "Page 1 of 2" in all_rows
    assert "Rows 1\N{EN DASH}1 of 1" in refused
    assert "Unknown tier “Diamond”." in refused
    assert "p1.test" not in refused
    assert "<html" not in refused          # the htmx partial only


def test_the_template_csv_downloads_and_passes_the_check(program):
    cast = program
    response = cast.client(cast.admin).get("/partners/import/partners-template.csv")

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="partners-template.csv"'
    assert response.content.decode("utf-8-sig").splitlines()[0] == ",".join(HEADER)
    partner_import = upload(cast, response.content)
    assert (partner_import.to_create, partner_import.refused) == (2, 0)


def test_a_failed_import_can_be_checked_again(program):
    cast = program
    partner_import = upload(cast, csv_bytes([row()]))
    PartnerFactory(tenant=cast.acme, name="Fabrikam", domain="fabrikam.test")
    with tenant_scope(cast.acme):
        partner_import_apply_request(actor=cast.admin.user, partner_import=partner_import)
    client = cast.client(cast.admin)

    response = client.post(f"/partners/import/{partner_import.pk}/recheck/")

    with tenant_scope(cast.acme):
        again = PartnerImport.objects.exclude(pk=partner_import.pk).get()
    assert response["Location"] == f"/partners/import/{again.pk}/"
    assert (again.status, again.to_create, again.to_update) == (S.CHECKED, 0, 1)


# --- Who may ---------------------------------------------------------------------------

def _routes(import_id: int) -> list[tuple[str, str]]:
    return [("get", "/partners/import/"), ("post", "/partners/import/"),
            ("get", "/partners/import/partners-template.csv"),
            ("get", f"/partners/import/{import_id}/"),
            ("get", f"/partners/import/{import_id}/progress/"),
            ("post", f"/partners/import/{import_id}/apply/"),
            ("post", f"/partners/import/{import_id}/recheck/")]


@pytest.mark.parametrize("who", ["manager", "partner_admin", "partner_user"])
def test_only_tenant_admins_may_import(program, who):
    cast = program
    partner_import = upload(cast, csv_bytes([row()]))
    client = cast.client(getattr(cast, who))
    before = snapshot(cast.acme)

    for method, path in _routes(partner_import.pk):
        response = getattr(client, method)(path, HTTP_HX_REQUEST="true")
        assert response.status_code == 404, (who, method, path)

    assert fresh(cast.acme, partner_import).status == S.CHECKED
    assert snapshot(cast.acme) == before


def test_another_tenants_import_is_a_404_and_not_listed(program):
    cast = program
    partner_import = upload(cast, csv_bytes([row()]), filename="acme-secret.csv")
    client = cast.client(cast.other_admin)

    for method, path in _routes(partner_import.pk)[3:]:
        assert getattr(client, method)(path, HTTP_HX_REQUEST="true").status_code == 404, path
    assert "acme-secret.csv" not in client.get("/partners/import/").content.decode()

    assert fresh(cast.acme, partner_import).status == S.CHECKED
    with tenant_scope(cast.acme):
        assert not Partner.objects.filter(domain="fabrikam.test").exists()


def test_import_pages_run_a_fixed_number_of_queries(program):
    cast = program
    client = cast.client(cast.admin)
    small = upload(cast, csv_bytes([row()]))
    client.get("/partners/import/")   # warm up (session, translations)

    def queries(path) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured)

    few = queries("/partners/import/"), queries(f"/partners/import/{small.pk}/")
    for n in range(12):
        upload(cast, csv_bytes([row(name=f"P{i}", domain=f"p{n}-{i}.test")
                                for i in range(40)]), filename=f"file{n}.csv")
    with tenant_scope(cast.acme):
        large = PartnerImport.objects.latest("pk")

    assert (queries("/partners/import/"), queries(f"/partners/import/{large.pk}/")) == few
