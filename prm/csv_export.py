"""Streaming CSV downloads of a list page's filtered rows (partner directory, deals).

The body is streamed after the view has returned and the request's transaction has
ended, so the rows are read inside a tenant scope of their own. Cells that a
spreadsheet would run as a formula are prefixed with an apostrophe; times are written in
the tenant's time zone, ISO 8601.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from prm.models import Tenant
from prm.tenancy import tenant_scope

# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    def write(self, value: str) -> str:
        return value


def cell(value: object) -> str:
    if hasattr(value, "hour"):
        value = timezone.localtime(value).isoformat(timespec="seconds")
    elif hasattr(value, "isoformat"):
        value = value.isoformat()
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _lines(tenant: Tenant, header: Sequence[str], rows: QuerySet) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    with tenant_scope(tenant):
        for row in rows.iterator(chunk_size=2000):
            yield writer.writerow([cell(value) for value in row])


def csv_download(tenant: Tenant, *, name: str, header: Sequence[str],
                 rows: QuerySet) -> StreamingHttpResponse:
    """``rows`` (a ``values_list`` in the order of ``header``) as ``<name>-<tenant>-<date>.csv``."""
    response = StreamingHttpResponse(_lines(tenant, header, rows),
                                     content_type="text/csv; charset=utf-8")
    filename = f"{name}-{tenant.slug}-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
