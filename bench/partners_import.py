"""Bench: a 10,000-row partner CSV through upload, dry run and apply.

Prints rows per second for each step and its cost as a multiple of a baseline measured
in the same run: a plain ``Partner.objects.bulk_create`` of the same 10,000 rows (in a
transaction that is rolled back). One row in five updates an existing partner.

Called by ``bench/run.py``; runs alone too (``python bench/partners_import.py``), on a
throw-away database created like the test suite's. Each round runs in a transaction that
is rolled back, so every round starts from the same program and no task is dispatched.
"""

from __future__ import annotations

import csv
import io
import os
import random
import statistics
import sys
import time
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings")
    os.environ.setdefault("PRM_TESTING", "true")
    os.environ.setdefault("PRM_TEST_DATABASE", "prm_bench")

    import django

    django.setup()

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "10000"))
ROUNDS = int(os.environ.get("BENCH_IMPORT_ROUNDS", "3"))
UPDATE_SHARE = 5   # every fifth row updates an existing partner

NAMES = ["Northwind", "Fabrikam", "Tailspin", "Litware", "Proseware", "Adventure Works",
         "Wide World", "Blue Yonder", "Coho", "Fourth Coffee", "Lucerne", "Trey Research",
         "Woodgrove", "Wingtip", "Humongous", "Relecloud", "VanArsdel", "Southridge", "Datum",
         "Kinetic", "Quantum Peak", "Riverbend", "Stonegate", "Brightline", "Meridian"]
SUFFIXES = ["GmbH", "Ltd", "Inc", "AG", "LLC", "B.V.", "S.A.", "Systems", "Consulting"]
COUNTRIES = [("DE", "emea"), ("AT", "emea"), ("GB", "emea"), ("FR", "emea"), ("NL", "emea"),
             ("US", "north_america"), ("CA", "north_america"), ("BR", "latam"),
             ("MX", "latam"), ("AU", "apac"), ("JP", "apac"), ("SG", "apac")]
TYPES = ["reseller", "referral", "technology", "msp", "distributor"]
STATUSES = ["applied", "approved", "onboarding", "active"]
TIERS = ["Registered", "Silver", "Gold", "Platinum"]
SPECIALISATIONS = ["Cloud migration", "Security", "Data & analytics", "Managed services",
                   "Healthcare", "Public sector", "Manufacturing", "Retail"]
MANAGERS = ["cm1@bench.test", "cm2@bench.test", "cm3@bench.test"]


def _program() -> None:
    """Tiers, channel managers, specialisations and the partners the file updates."""
    from partners.models import Partner, PartnerSpecialisation, Specialisation, Tier
    from prm.services import membership_create

    for rank, name in enumerate(TIERS, start=1):
        Tier.objects.get_or_create(name=name, defaults={"rank": rank})
    for email in MANAGERS:
        membership_create(actor=None, email=email, role="channel_manager")
    specialisations = [Specialisation.objects.get_or_create(name=n)[0] for n in SPECIALISATIONS]
    rng = random.Random(7)
    existing = Partner.objects.bulk_create([
        Partner(name=f"Existing {n}", domain=f"existing{n}.bench.test", country="DE",
                region="emea", partner_type="reseller", status="active")
        for n in range(0, ROWS, UPDATE_SHARE)], batch_size=1000)
    PartnerSpecialisation.objects.bulk_create([
        PartnerSpecialisation(partner=p, specialisation=rng.choice(specialisations))
        for p in existing], batch_size=1000)


def _rows() -> list[list[str]]:
    rng = random.Random(2026)
    rows = []
    for n in range(ROWS):
        country, region = rng.choice(COUNTRIES)
        specialisations = ";".join(rng.sample(SPECIALISATIONS, rng.randint(0, 3)))
        if n % UPDATE_SHARE == 0:   # an existing partner: new tier, manager, specialisations
            rows.append([f"Existing {n}", f"existing{n}.bench.test", "", country, region, "",
                         rng.choice(TIERS), "", rng.choice(MANAGERS), specialisations])
            continue
        name = f"{rng.choice(NAMES)} {rng.choice(SUFFIXES)} {n}"
        domain = f"{name.lower().replace(' ', '-').replace('.', '')}.example"
        rows.append([name, "", f"https://www.{domain}/", country, region, rng.choice(TYPES),
                     rng.choice(TIERS), rng.choice(STATUSES), rng.choice(MANAGERS),
                     specialisations])
    return rows


def csv_file(rows: list[list[str]]) -> bytes:
    from partners.imports import COLUMNS

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return out.getvalue().encode()


def _baseline(rows: list[list[str]]) -> float:
    """Seconds for a plain bulk_create of the same rows (new domains, no checks)."""
    from partners.models import Partner

    start = time.perf_counter()
    Partner.objects.bulk_create([
        Partner(name=r[0], domain=f"baseline{n}.bench.test", website=r[2], country=r[3],
                region=r[4], partner_type=r[5] or "reseller", status=r[7] or "approved")
        for n, r in enumerate(rows)], batch_size=1000)
    return time.perf_counter() - start


def _round(tenant, actor, rows: list[list[str]], data: bytes) -> dict[str, float]:
    from django.db import transaction

    from partners import imports
    from prm.tenancy import tenant_scope

    timings: dict[str, float] = {}
    with tenant_scope(tenant):
        try:
            with transaction.atomic():
                timings["baseline"] = _baseline(rows)
                transaction.set_rollback(True)
            start = time.perf_counter()
            partner_import = imports.partner_import_upload(actor=actor, filename="bench.csv",
                                                           data=data)
            timings["upload"] = time.perf_counter() - start
            start = time.perf_counter()
            checked = imports.partner_import_check(import_id=partner_import.pk)
            timings["check"] = time.perf_counter() - start
            assert checked is not None
            assert (checked.to_create, checked.to_update, checked.refused) == (
                ROWS - ROWS // UPDATE_SHARE, ROWS // UPDATE_SHARE, 0), checked.report
            imports.partner_import_apply_request(actor=actor, partner_import=checked)
            start = time.perf_counter()
            applied = imports.partner_import_apply(import_id=partner_import.pk, actor=actor)
            timings["apply"] = time.perf_counter() - start
            assert applied is not None
            assert applied.status == applied.Status.APPLIED, applied.error
        finally:
            transaction.set_rollback(True)
    return timings


def bench_partners_import(*, tenant, actor) -> None:
    """Set up the program in ``tenant`` and print the figures."""
    from django.db import transaction

    from prm.tenancy import tenant_scope

    with tenant_scope(tenant), transaction.atomic():
        _program()
    rows = _rows()
    data = csv_file(rows)
    samples = [_round(tenant, actor, rows, data) for _ in range(ROUNDS)]
    median = {key: statistics.median(s[key] for s in samples) for key in samples[0]}
    baseline = ROWS / median["baseline"]
    print(f"partner import: {ROWS:,} rows ({ROWS // UPDATE_SHARE:,} updates), "
          f"{len(data) / 1e6:.1f} MB, median of {ROUNDS} rounds")
    print(f"baseline: Partner bulk_create (rolled back)   {baseline:8.0f} rows/s")
    for key, label in (("upload", "upload (decode, parse, store)"),
                       ("check", "dry run (plan every row, report)"),
                       ("apply", "apply (re-check, write, history, event)")):
        value = ROWS / median[key]
        print(f"{label:<45} {value:8.0f} rows/s   {baseline / value:5.2f}x the baseline")


def main() -> None:
    from bench.database import throwaway_database
    from prm.services import membership_create, tenant_create
    from prm.tenancy import tenant_scope

    with throwaway_database():
        tenant = tenant_create(slug="bench", name="Bench")
        with tenant_scope(tenant):
            admin = membership_create(actor=None, email="admin@bench.test", role="tenant_admin")
        bench_partners_import(tenant=tenant, actor=admin.user)


if __name__ == "__main__":
    main()
