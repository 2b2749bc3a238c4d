"""Benchmarks: figures and ratios against a baseline measured in the same run.

Run with `make bench`. Uses a throw-away database created like the test suite's (as the
owner role, then everything runs as the app role). Never part of the test suite.

Baseline: an anonymous API call refused with 401 — the floor every API request pays
(middleware, tenant scope, DRF). Each figure is requests per second and its cost as a
multiple of that floor.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings")
os.environ.setdefault("PRM_TESTING", "true")
os.environ.setdefault("PRM_TEST_DATABASE", "prm_bench")

import django

django.setup()

from django.test import Client  # noqa: E402

from bench.database import throwaway_database  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))


def rate(fn, n: int = REQUESTS) -> float:
    """Median requests per second over ROUNDS rounds of n calls."""
    samples = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for i in range(n):
            fn(i)
        samples.append(n / (time.perf_counter() - start))
    return statistics.median(samples)


def main() -> None:
    import logging

    logging.getLogger("django.request").setLevel(logging.ERROR)  # 401s are the point here
    with throwaway_database():
        from prm.services import api_key_create, membership_create, tenant_create
        from prm.tenancy import tenant_scope

        tenant = tenant_create(slug="bench", name="Bench")
        with tenant_scope(tenant):
            admin = membership_create(actor=None, email="admin@bench.test", role="tenant_admin")
            _key, key = api_key_create(actor=None, membership=admin, name="bench")
        client = Client(HTTP_HOST="bench.localhost")
        auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}

        baseline = rate(lambda i: client.get("/api/v1/me/"))
        figures = {
            "GET /api/v1/me/ (API key)": rate(lambda i: client.get("/api/v1/me/", **auth)),
            "POST /api/v1/invitations/ (write + event)": rate(
                lambda i: client.post("/api/v1/invitations/",
                                      {"email": f"p{time.monotonic_ns()}@x.test",
                                       "role": "partner_user"},
                                      content_type="application/json", **auth)),
            "GET /api/v1/events/ (50 of many)": rate(
                lambda i: client.get("/api/v1/events/", **auth)),
        }
        print(f"baseline: anonymous 401 on /api/v1/me/: {baseline:8.0f} req/s")
        for name, value in figures.items():
            print(f"{name:<45} {value:8.0f} req/s   {baseline / value:5.2f}x the floor")

        from bench.partners_import import bench_partners_import

        print()
        bench_partners_import(tenant=tenant, actor=admin.user)

        from bench.language_check import bench_language_check

        print()
        bench_language_check()

        from bench.deals import bench_deals

        print()
        bench_deals()


if __name__ == "__main__":
    main()
