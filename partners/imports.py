"""Partner import from CSV: file checks, a set-based dry run, an all-or-nothing apply.

The flow: ``partner_import_upload`` reads the file (encoding, delimiter, header, size)
and stores it as a ``PartnerImport`` that is CHECKING; ``partner_import_check`` (the dry
run) plans every row and stores the report; ``partner_import_apply_request`` claims a
CHECKED import without refused rows (CHECKED → APPLYING); ``partner_import_apply``
re-plans against the current state and writes everything in one transaction, or nothing.
Small files run inline in the request; larger ones run as Celery tasks dispatched after
commit, publishing progress through the (tenant-keyed) cache because the database work
of a running transaction is invisible to the page that polls.

Planning is set-based: tiers, managers, specialisations and the existing partners of all
the file's domains are read with one query each (domains in chunks), never per row.
Report entries carry message codes, not text, so each reader sees them in their language.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_countries import countries

from partners.models import (
    Partner,
    PartnerImport,
    PartnerSpecialisation,
    PartnerStatus,
    PartnerStatusChange,
    PartnerType,
    Region,
    Specialisation,
    Tier,
)
from partners.services import INITIAL_STATUSES
from prm.domains import InvalidDomain, is_free_email_domain, normalise_domain
from prm.errors import DomainError, InvalidInput
from prm.events import record_event, record_events
from prm.models import Membership, Role, User
from prm.tenancy import require_tenant

log = logging.getLogger(__name__)

COLUMNS = ("name", "domain", "website", "country", "region", "type", "tier", "status",
           "manager_email", "specialisations")
ALIASES = {"partner_type": "type", "manager": "manager_email"}
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
INLINE_ROWS = 500          # up to this many rows, check and apply run inside the request
CHUNK = 2_000              # domains per ``domain__in`` query
BATCH = 1_000              # rows per INSERT / UPDATE statement
PROGRESS_EVERY = 500       # rows between two progress messages
PROGRESS_TIMEOUT = 60 * 60 * 6
MAX_NAME = Partner._meta.get_field("name").max_length
MAX_WEBSITE = Partner._meta.get_field("website").max_length
MAX_SPECIALISATION = Specialisation._meta.get_field("name").max_length
MANAGER_ROLES = (Role.TENANT_ADMIN, Role.CHANNEL_MANAGER)
S = PartnerImport.Status
RUNNING = frozenset({S.CHECKING, S.APPLYING})

Fraction = Callable[[float], None]     # reports how much of the work is done, 0 to 1

# Why a row is refused, why it has a note, and why an import failed: codes stored in the
# report, rendered in the reader's language by ``message``.
MESSAGES = {
    # refusals
    "missing_name": gettext_lazy("The name is missing."),
    "name_too_long": gettext_lazy("The name is longer than %(max)s characters."),
    "missing_domain": gettext_lazy("Domain and website are both empty; a row needs one of "
                                   "them."),
    "bad_domain": gettext_lazy("“%(value)s” is not a valid domain."),
    "free_mail_domain": gettext_lazy("“%(value)s” is a free e-mail provider, not a company's "
                                     "domain."),
    "duplicate": gettext_lazy("Duplicate row: line %(line)s has the same domain."),
    "bad_website": gettext_lazy("“%(value)s” is not a valid website address."),
    "unknown_country": gettext_lazy("Unknown country “%(value)s”; use a two-letter code such "
                                    "as DE or US."),
    "unknown_region": gettext_lazy("Unknown region “%(value)s”."),
    "unknown_type": gettext_lazy("Unknown partner type “%(value)s”."),
    "missing_type": gettext_lazy("The type is missing; a new partner needs one."),
    "not_initial_status": gettext_lazy("A new partner starts as applied, approved, onboarding "
                                       "or active, not “%(value)s”."),
    "unknown_status": gettext_lazy("Unknown status “%(value)s”."),
    "unknown_tier": gettext_lazy("Unknown tier “%(value)s”."),
    "unknown_manager": gettext_lazy("“%(value)s” is not an active channel manager or admin "
                                    "of this program."),
    "specialisation_too_long": gettext_lazy("The specialisation “%(value)s” is longer than "
                                            "%(max)s characters."),
    "too_many_cells": gettext_lazy("This line has more cells than the header has columns."),
    # notes
    "status_ignored": gettext_lazy("Status “%(value)s” ignored: an existing partner's status "
                                   "changes through its lifecycle."),
    # failures of a whole import
    "refused_at_apply": gettext_lazy("The file no longer passes the check (line %(line)s: "
                                     "%(reason)s). Nothing was changed; check the file again."),
    "plan_changed": gettext_lazy("The partners changed since the check: line %(line)s would "
                                 "now be “%(after)s” instead of “%(before)s”. Nothing was "
                                 "changed; check the file again."),
    "conflict": gettext_lazy("Another partner with a domain of this file was added while "
                             "the import ran. Nothing was changed; check the file again."),
    "conflict_domains": gettext_lazy("A partner with the domain %(domains)s was added while "
                                     "the import ran. Nothing was changed; check the file "
                                     "again."),
    "database": gettext_lazy("The database refused the import (%(detail)s). Nothing was "
                             "changed."),
    "unexpected": gettext_lazy("The import stopped with an unexpected error and nothing was "
                               "changed. If it happens again, tell your operator "
                               "(import #%(id)s)."),
}
ACTIONS = {"create": gettext_lazy("create"), "update": gettext_lazy("update"),
           "refuse": gettext_lazy("refuse")}


def message(code: str, params: dict[str, Any] | None = None) -> str:
    """The text of a report or failure code in the active language."""
    params = dict(params or {})
    if isinstance(params.get("reason"), dict):
        params["reason"] = message(params["reason"]["code"], params["reason"])
    if "before" in params:
        params["before"] = str(ACTIONS.get(params["before"], params["before"]))
        params["after"] = str(ACTIONS.get(params["after"], params["after"]))
    if code == "conflict" and params.get("domains"):
        code = "conflict_domains"
        params["domains"] = ", ".join(params["domains"])
    template = MESSAGES.get(code)
    return str(template) % params if template is not None else code


# --- Reading the file ---------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    line: int                  # where the record starts in the file (the header is line 1)
    cells: dict[str, str]      # column → stripped value, for the file's columns
    extra: bool = False        # non-empty cells beyond the header


@dataclass(frozen=True)
class CsvFile:
    text: str
    delimiter: str
    columns: tuple[str, ...]
    rows: list[Row]


def _column_key(header: str) -> str:
    key = re.sub(r"[\s\-]+", "_", header.strip().lower())
    return ALIASES.get(key, key)


def _decode(data: bytes) -> str:
    if data.startswith(b"PK\x03\x04"):
        raise InvalidInput(_("This is a spreadsheet workbook, not a CSV file. Save it as "
                             "“CSV UTF-8” and upload that file."), field="file")
    if b"\x00" in data[:4096] or data.startswith(b"%PDF"):
        raise InvalidInput(_("This is not a CSV text file. Save the list as “CSV UTF-8” and "
                             "upload that file."), field="file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(_("The file is not UTF-8 text. Save it as “CSV UTF-8” and upload "
                             "it again."), field="file") from None


def _header_cells(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line], delimiter=delimiter), [])


def _sniff(text: str) -> str:
    """Comma or semicolon: whichever splits the header into more of our column names."""
    first = text.lstrip("\r\n").split("\n", 1)[0]

    def known(delimiter: str) -> int:
        return sum(_column_key(c) in COLUMNS for c in _header_cells(first, delimiter))

    return max((",", ";"), key=lambda d: (known(d), d == ","))


def _check_columns(columns: list[str]) -> None:
    if not any(columns):
        raise InvalidInput(_("The file is empty."), field="file")
    listed = ", ".join(COLUMNS)
    unknown = [c for c in columns if c not in COLUMNS]
    if len(unknown) == len(columns):
        raise InvalidInput(_("This does not look like a partner list: the first line must "
                             "name the columns (%(columns)s). Download the template to "
                             "start from.") % {"columns": listed}, field="file")
    if unknown:
        raise InvalidInput(_("Unknown columns: %(unknown)s. The columns are: %(columns)s.") % {
            "unknown": ", ".join(f"“{c}”" if c else _("(an empty header)") for c in unknown),
            "columns": listed}, field="file")
    twice = sorted({c for c in columns if columns.count(c) > 1})
    if twice:
        raise InvalidInput(_("These columns appear more than once: %s.") % ", ".join(twice),
                           field="file")
    if "name" not in columns:
        raise InvalidInput(_("The file needs a “name” column."), field="file")
    if "domain" not in columns and "website" not in columns:
        raise InvalidInput(_("The file needs a “domain” or a “website” column."),
                           field="file")


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise InvalidInput(_("Line %(line)s cannot be read as CSV: %(error)s") % {
                "line": start, "error": error}, field="file") from None
        yield start, cells


def read_csv(text: str) -> CsvFile:
    """Parse the text of a partner CSV; file-level problems raise ``InvalidInput``."""
    delimiter = _sniff(text)
    records = _records(text, delimiter)
    header: list[str] = []
    for _line, cells in records:
        if any(c.strip() for c in cells):
            header = cells
            break
    columns = [_column_key(c) for c in header]
    _check_columns(columns)
    width = len(columns)
    rows = []
    for line, cells in records:
        values = [c.strip() for c in cells]
        if not any(values):
            continue
        if len(rows) == MAX_ROWS:
            raise InvalidInput(_("The file has more than %(max)s rows; an import takes at "
                                 "most %(max)s. Split it into smaller files.") % {
                                     "max": number_format(MAX_ROWS, force_grouping=True)},
                               field="file")
        rows.append(Row(line, dict(zip(columns, values, strict=False)),
                        extra=any(values[width:])))
    if not rows:
        raise InvalidInput(_("The file has a header but no partner rows."), field="file")
    return CsvFile(text, delimiter, tuple(columns), rows)


def read_upload(data: bytes) -> CsvFile:
    if len(data) > MAX_BYTES:
        raise InvalidInput(_("The file is %(size)s; an import takes at most %(max)s. Split it "
                             "into smaller files.") % {"size": filesizeformat(len(data)),
                                                       "max": filesizeformat(MAX_BYTES)},
                           field="file")
    return read_csv(_decode(data))


# --- Planning (the dry run, and the re-check at apply time) ----------------------------

def _key(value: str) -> str:
    return re.sub(r"[\s\-_]+", "_", value.strip().lower())


def _choice_lookup(choices) -> dict[str, str]:
    with translation.override("en"):
        lookup = {_key(str(label)): value for value, label in choices}
    lookup.update({_key(value): value for value, _label in choices})
    return lookup


REGIONS = _choice_lookup(Region.choices)
TYPES = _choice_lookup(PartnerType.choices)
STATUSES = _choice_lookup(PartnerStatus.choices)
_url = URLValidator(schemes=["http", "https"])


def _country(value: str) -> str | None:
    """An ISO code (two or three letters) or an English name → the two-letter code."""
    code = countries.alpha2(value) if len(value) in (2, 3) else ""
    if not code:
        with translation.override("en"):
            code = countries.by_name(value) or ""
    return code or None


def _website(value: str) -> str | None:
    url = value if "://" in value else f"https://{value}"
    if len(url) > MAX_WEBSITE:
        return None
    try:
        _url(url)
    except ValidationError:
        return None
    return url


@dataclass
class Lookups:
    """What every row is checked against: one query each (partners: one per chunk)."""

    tiers: dict[str, tuple[int, str]]                 # lower name → (pk, name)
    tier_names: dict[int, str]
    managers: dict[str, tuple[int, str]]              # lower e-mail → (membership pk, e-mail)
    member_emails: dict[int, str]                      # any vendor membership pk → e-mail
    specialisations: dict[str, tuple[int, str]]       # lower name → (pk, name)
    specialisation_names_by_id: dict[int, str]
    partners: dict[str, Partner] = field(default_factory=dict)   # domain → partner
    links: dict[int, dict[int, int]] = field(default_factory=dict)  # partner → {spec: link}
    countries: dict[str, str | None] = field(default_factory=dict)  # cell → code (memo)

    @classmethod
    def load(cls) -> Lookups:
        tiers = list(Tier.objects.values_list("pk", "name"))
        members = list(Membership.objects.filter(role__in=MANAGER_ROLES)
                       .values_list("pk", "user__email", "is_active"))
        specialisations = list(Specialisation.objects.values_list("pk", "name"))
        return cls(
            tiers={name.lower(): (pk, name) for pk, name in tiers},
            tier_names=dict(tiers),
            managers={email.lower(): (pk, email) for pk, email, active in members if active},
            member_emails={pk: email for pk, email, _active in members},
            specialisations={name.lower(): (pk, name) for pk, name in specialisations},
            specialisation_names_by_id=dict(specialisations),
        )

    def load_partners(self, domains: set[str], *, lock: bool) -> None:
        """The existing partners of these domains; with ``lock``, row-locked in domain
        order (one fixed order, so two imports never wait on each other in a circle)."""
        ordered = sorted(domains)
        for start in range(0, len(ordered), CHUNK):
            partners = Partner.objects.filter(domain__in=ordered[start:start + CHUNK])
            if lock:
                partners = partners.select_for_update().order_by("domain")
            for partner in partners:
                self.partners[partner.domain] = partner

    def load_links(self, partner_ids: list[int]) -> None:
        for start in range(0, len(partner_ids), CHUNK):
            for pk, partner_id, specialisation_id in PartnerSpecialisation.objects.filter(
                    partner_id__in=partner_ids[start:start + CHUNK]).values_list(
                    "pk", "partner_id", "specialisation_id"):
                self.links.setdefault(partner_id, {})[specialisation_id] = pk

    def specialisation_names(self, partner_id: int) -> list[str]:
        names = self.specialisation_names_by_id
        return sorted((names[s] for s in self.links.get(partner_id, {}) if s in names),
                      key=str.lower)

    def country(self, value: str) -> str | None:
        if value not in self.countries:
            self.countries[value] = _country(value)
        return self.countries[value]


@dataclass
class RowPlan:
    line: int
    name: str = ""
    domain: str = ""
    action: str = "refuse"
    reasons: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)
    changes: dict[str, list[Any]] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)    # what a create would set
    values: dict[str, Any] = field(default_factory=dict)     # model fields to write
    specialisations: list[str] | None = None                 # None: keep the current ones
    partner: Partner | None = None

    def refuse(self, code: str, **params: Any) -> None:
        self.reasons.append({"code": code, **params})

    def entry(self) -> dict[str, Any]:
        """The compact report entry (empty parts left out: 10,000 rows add up)."""
        entry: dict[str, Any] = {"line": self.line, "action": self.action,
                                 "name": self.name, "domain": self.domain}
        for key in ("reasons", "notes", "changes", "summary"):
            if getattr(self, key):
                entry[key] = getattr(self, key)
        return entry


def _first_pass(rows: list[Row], progress: Fraction | None) -> list[RowPlan]:
    """Names and domains, duplicates within the file."""
    plans = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=1):
        if progress and number % PROGRESS_EVERY == 0:
            progress(number / len(rows))
        plan = RowPlan(line=row.line, name=" ".join(row.cells.get("name", "").split()))
        raw = row.cells.get("domain") or row.cells.get("website") or ""
        if row.extra:
            plan.refuse("too_many_cells")
        if not plan.name:
            plan.refuse("missing_name")
        elif len(plan.name) > MAX_NAME:
            plan.refuse("name_too_long", max=MAX_NAME)
        if not raw:
            plan.refuse("missing_domain")
        else:
            try:
                plan.domain = normalise_domain(raw)
            except InvalidDomain:
                plan.refuse("bad_domain", value=raw[:100])
            else:
                if is_free_email_domain(plan.domain):
                    plan.refuse("free_mail_domain", value=plan.domain)
                    plan.domain = ""
                elif plan.domain in seen:
                    plan.refuse("duplicate", line=seen[plan.domain])
                else:
                    seen[plan.domain] = row.line
        plans.append(plan)
    return plans


def _split_specialisations(cell: str) -> list[str]:
    names: dict[str, str] = {}
    for name in cell.split(";"):
        if name.strip():
            names.setdefault(name.strip().lower(), name.strip())
    return list(names.values())


def _plan_row(row: Row, plan: RowPlan, lookups: Lookups) -> None:
    """Everything else of one row, against the lookups (no queries here)."""
    cells = row.cells
    values: dict[str, Any] = {}
    summary: dict[str, Any] = {}
    if cells.get("website"):
        website = _website(cells["website"])
        if website is None:
            plan.refuse("bad_website", value=cells["website"][:100])
        else:
            values["website"] = website
    if cells.get("country"):
        code = lookups.country(cells["country"])
        if code is None:
            plan.refuse("unknown_country", value=cells["country"][:60])
        else:
            values["country"] = summary["country"] = code
    for column, attribute, lookup in (("region", "region", REGIONS),
                                      ("type", "partner_type", TYPES)):
        if cells.get(column):
            value = lookup.get(_key(cells[column]))
            if value is None:
                plan.refuse(f"unknown_{column}", value=cells[column][:60])
            else:
                values[attribute] = summary[column] = value
    if cells.get("tier"):
        tier = lookups.tiers.get(cells["tier"].lower())
        if tier is None:
            plan.refuse("unknown_tier", value=cells["tier"][:60])
        else:
            values["tier_id"], summary["tier"] = tier
    if cells.get("manager_email"):
        manager = lookups.managers.get(cells["manager_email"].lower())
        if manager is None:
            plan.refuse("unknown_manager", value=cells["manager_email"][:100])
        else:
            values["manager_id"], summary["manager"] = manager
    if cells.get("specialisations"):
        plan.specialisations = _split_specialisations(cells["specialisations"])
        for name in plan.specialisations:
            if len(name) > MAX_SPECIALISATION:
                plan.refuse("specialisation_too_long", value=name[:60] + "…",
                            max=MAX_SPECIALISATION)
        summary["specialisations"] = plan.specialisations
    status_cell = cells.get("status", "")
    status = STATUSES.get(_key(status_cell)) if status_cell else None
    partner = lookups.partners.get(plan.domain) if plan.domain else None
    if partner is None:
        if not cells.get("type"):
            plan.refuse("missing_type")
        if status_cell and status is None:
            plan.refuse("unknown_status", value=status_cell[:60])
        elif status is not None and status not in INITIAL_STATUSES:
            plan.refuse("not_initial_status", value=status_cell[:60])
        values["status"] = summary["status"] = status or PartnerStatus.APPROVED
    elif status_cell and status != partner.status:
        plan.notes.append({"code": "status_ignored", "value": status_cell[:60]})
    if plan.reasons:
        plan.action = "refuse"
        return
    if partner is None:
        plan.action = "create"
        plan.values = {"name": plan.name, "domain": plan.domain, **values}
        plan.summary = summary
    else:
        plan.action = "update"
        plan.partner = partner
        _plan_update(plan, partner, {"name": plan.name, **values}, lookups)


def _plan_update(plan: RowPlan, partner: Partner, values: dict[str, Any],
                 lookups: Lookups) -> None:
    """The fields that would change, shown as from → to (tiers by name, managers by
    e-mail), and the values to write."""
    named = {"tier_id": ("tier", lookups.tier_names),
             "manager_id": ("manager", lookups.member_emails)}
    for attribute, value in values.items():
        current = getattr(partner, attribute)
        if attribute == "country":
            current = current.code
        if attribute not in named:
            current = current or ""
        if value == current:
            continue
        plan.values[attribute] = value
        if attribute in named:
            label, names = named[attribute]
            plan.changes[label] = [names.get(current, "") if current else "", names[value]]
        else:
            plan.changes[attribute] = [current, value]
    if plan.specialisations is not None:
        before = lookups.specialisation_names(partner.pk)
        if {n.lower() for n in before} != {n.lower() for n in plan.specialisations}:
            plan.changes["specialisations"] = [before, sorted(plan.specialisations,
                                                              key=str.lower)]
        else:
            plan.specialisations = None


def plan_rows(rows: list[Row], *, lock: bool = False,
              progress: Fraction | None = None) -> tuple[list[RowPlan], Lookups]:
    """What each row would do, against the current state of the tenant."""
    lookups = Lookups.load()
    plans = _first_pass(rows, progress and _span(progress, 0, 0.5))
    lookups.load_partners({p.domain for p in plans if p.domain}, lock=lock)
    lookups.load_links(sorted({
        lookups.partners[p.domain].pk for row, p in zip(rows, plans, strict=True)
        if p.domain in lookups.partners and row.cells.get("specialisations")}))
    for number, (row, plan) in enumerate(zip(rows, plans, strict=True), start=1):
        _plan_row(row, plan, lookups)
        if progress and number % PROGRESS_EVERY == 0:
            progress(0.5 + 0.5 * number / len(rows))
    return plans, lookups


def new_specialisations(plans: list[RowPlan], lookups: Lookups) -> list[str]:
    """Specialisations named in the file (rows not refused) that the program lacks."""
    new: dict[str, str] = {}
    for plan in plans:
        if plan.action != "refuse":
            for name in plan.specialisations or []:
                if name.lower() not in lookups.specialisations:
                    new.setdefault(name.lower(), name)
    return sorted(new.values(), key=str.lower)


# --- Progress through the cache --------------------------------------------------------

def progress_key(import_id: int, phase: str) -> str:
    # Inside tenant_scope the cache key function prefixes the tenant by itself.
    return f"partner-import:{import_id}:{phase}:progress"


def _meter(import_id: int, phase: str, total: int) -> Fraction:
    """Publishes a fraction of the work as ``{"done": rows, "total": rows}``; written
    by the worker from its start, so no entry means no worker has started yet."""
    def publish(fraction: float) -> None:
        cache.set(progress_key(import_id, phase),
                  {"done": min(total, int(total * fraction)), "total": total},
                  PROGRESS_TIMEOUT)

    return publish


def _span(progress: Fraction, start: float, end: float) -> Fraction:
    """One stretch of the bar: ``progress`` between ``start`` and ``end``."""
    return lambda fraction: progress(start + (end - start) * fraction)


def partner_import_progress(partner_import: PartnerImport) -> dict[str, int] | None:
    """``{"done": n, "total": m}`` of the running phase, or None before it has started."""
    phase = "apply" if partner_import.status == S.APPLYING else "check"
    return cache.get(progress_key(partner_import.pk, phase))


# --- Services -------------------------------------------------------------------------

def _dispatch(task_name: str, partner_import: PartnerImport, **extra: Any) -> None:
    from partners import tasks

    task = getattr(tasks, task_name)
    tenant_id, import_id = partner_import.tenant_id, partner_import.pk
    transaction.on_commit(lambda: task.delay(tenant_id=tenant_id, import_id=import_id, **extra))


@transaction.atomic
def partner_import_upload(*, actor, filename: str, data: bytes) -> PartnerImport:
    """Store an uploaded CSV and start its dry run: inline for small files, else a task.

    File-level problems (not a CSV, wrong header, too large) raise ``InvalidInput`` and
    store nothing.
    """
    parsed = read_upload(data)
    partner_import = PartnerImport.objects.create(
        filename=(filename or "partners.csv")[:255], content=parsed.text,
        total_rows=len(parsed.rows), created_by=actor)
    record_event(actor=actor, verb="partner_import.uploaded", subject=partner_import,
                 data={"filename": partner_import.filename, "rows": len(parsed.rows)})
    if len(parsed.rows) <= INLINE_ROWS:
        partner_import_check(import_id=partner_import.pk)
        partner_import.refresh_from_db()
    else:
        _dispatch("partner_import_check", partner_import)
    return partner_import


def _claim(import_id: int, status: str) -> PartnerImport | None:
    """The import, row-locked, if it is in ``status`` and nobody else holds it."""
    return (PartnerImport.objects.select_for_update(skip_locked=True)
            .filter(pk=import_id, status=status).first())


def _fail(partner_import: PartnerImport, actor, code: str, **params: Any) -> None:
    with translation.override("en"):
        partner_import.error = message(code, params)
    report = partner_import.report if isinstance(partner_import.report, dict) else {}
    partner_import.report = {**report, "failure": {"code": code, **params}}
    partner_import.status = S.FAILED
    partner_import.finished_at = timezone.now()
    partner_import.save(update_fields=["error", "report", "status", "finished_at"])
    record_event(actor=actor, verb="partner_import.failed", subject=partner_import,
                 data={"filename": partner_import.filename, "error": partner_import.error})


@transaction.atomic
def partner_import_check(*, import_id: int,
                         progress: Fraction | None = None) -> PartnerImport | None:
    """The dry run: plan every row, store the report; writes no partner.

    Safe to run twice: only an import that is CHECKING, and not locked by another run,
    is checked; the second run finds it CHECKED and does nothing.
    """
    partner_import = _claim(import_id, S.CHECKING)
    if partner_import is None:
        return None
    publish = progress or _meter(import_id, "check", partner_import.total_rows)
    publish(0)
    try:
        with transaction.atomic():
            rows = read_csv(partner_import.content).rows
            plans, lookups = plan_rows(rows, progress=_span(publish, 0, 0.9))
    except Exception:
        log.exception("checking partner import %s failed", import_id)
        _fail(partner_import, partner_import.created_by, "unexpected", id=import_id)
        return partner_import
    counts = {action: sum(p.action == action for p in plans)
              for action in ("create", "update", "refuse")}
    partner_import.report = {
        "rows": [p.entry() for p in plans],
        "unchanged": sum(p.action == "update" and not p.changes for p in plans),
        "new_specialisations": new_specialisations(plans, lookups)}
    partner_import.total_rows = len(plans)
    partner_import.to_create = counts["create"]
    partner_import.to_update = counts["update"]
    partner_import.refused = counts["refuse"]
    partner_import.status = S.CHECKED
    partner_import.save(update_fields=["report", "total_rows", "to_create", "to_update",
                                       "refused", "status"])
    publish(1)
    record_event(actor=partner_import.created_by, verb="partner_import.checked",
                 subject=partner_import, data={"create": counts["create"],
                                               "update": counts["update"],
                                               "refused": counts["refuse"]})
    return partner_import


@transaction.atomic
def partner_import_apply_request(*, actor, partner_import: PartnerImport) -> PartnerImport:
    """Claim a checked import without refused rows (CHECKED → APPLYING) and apply it:
    inline for small files, else as a task after commit. A second request is refused."""
    claimed = PartnerImport.objects.filter(pk=partner_import.pk, status=S.CHECKED,
                                           refused=0).update(status=S.APPLYING)
    partner_import.refresh_from_db()
    if not claimed:
        if partner_import.status == S.CHECKED:
            raise DomainError(_("Some rows are refused. Fix them in the file and upload it "
                                "again; an import is applied whole or not at all."),
                              code="import_has_refusals")
        if partner_import.status in (S.APPLYING, S.APPLIED):
            raise DomainError(_("This import is already applied or being applied."),
                              code="import_applied")
        raise DomainError(_("This import cannot be applied now."), code="import_not_ready")
    if partner_import.total_rows <= INLINE_ROWS:
        partner_import_apply(import_id=partner_import.pk, actor=actor)
        partner_import.refresh_from_db()
    else:
        _dispatch("partner_import_apply", partner_import,
                  actor_id=getattr(actor, "pk", None))
    return partner_import


class _Abort(Exception):
    def __init__(self, code: str, **params: Any):
        super().__init__(code)
        self.code = code
        self.params = params


@transaction.atomic
def partner_import_apply(*, import_id: int, actor=None,
                         progress: Fraction | None = None) -> PartnerImport | None:
    """Apply a claimed (APPLYING) import in one transaction: every row, or none.

    The rows are planned again against the current state, with the existing partners
    locked; a row that would now be refused, or do something else than the dry run
    reported, fails the import. Any database error rolls everything back too. Safe to
    run twice: the second run finds the import APPLIED (or FAILED) and does nothing.
    """
    partner_import = _claim(import_id, S.APPLYING)
    if partner_import is None:
        return None
    actor = actor or partner_import.created_by
    publish = progress or _meter(import_id, "apply", partner_import.total_rows)
    publish(0)
    try:
        with transaction.atomic():
            counts = _apply(partner_import, actor, publish)
    except _Abort as abort:
        _fail(partner_import, actor, abort.code, **abort.params)
        return partner_import
    except IntegrityError as error:
        constraint = getattr(getattr(error.__cause__, "diag", None), "constraint_name", "")
        if constraint == "partner_domain_unique":
            # Row-level security keeps the key out of the error; look the domains up.
            _fail(partner_import, actor, "conflict", domains=_taken_domains(partner_import))
        else:
            log.warning("applying partner import %s: %s", import_id, error)
            _fail(partner_import, actor, "database", detail=constraint or _("a constraint"))
        return partner_import
    except Exception:
        log.exception("applying partner import %s failed", import_id)
        _fail(partner_import, actor, "unexpected", id=import_id)
        return partner_import
    partner_import.status = S.APPLIED
    partner_import.finished_at = timezone.now()
    partner_import.error = ""
    partner_import.save(update_fields=["status", "finished_at", "error"])
    record_event(actor=actor, verb="partner_import.applied", subject=partner_import,
                 data={"filename": partner_import.filename, **counts})
    return partner_import


def _apply(partner_import: PartnerImport, actor, publish: Fraction) -> dict[str, int]:
    rows = read_csv(partner_import.content).rows
    plans, lookups = plan_rows(rows, lock=True, progress=_span(publish, 0, 0.4))
    reported = {entry["line"]: entry["action"] for entry in _report_rows(partner_import)}
    for plan in plans:
        if plan.action == "refuse":
            raise _Abort("refused_at_apply", line=plan.line, reason=plan.reasons[0])
        if reported.get(plan.line) != plan.action:
            raise _Abort("plan_changed", line=plan.line, before=reported.get(plan.line, ""),
                         after=plan.action)
    creates = [p for p in plans if p.action == "create"]
    updates = [p for p in plans if p.action == "update" and (p.values or p.specialisations)]
    writes = _span(publish, 0.4, 1)
    to_write, written = max(1, len(creates) + len(updates)), 0

    specialisation_ids = _ensure_specialisations(new_specialisations(plans, lookups), lookups)
    now = timezone.now()
    created: list[tuple[int, RowPlan]] = []
    for start in range(0, len(creates), BATCH):
        batch = creates[start:start + BATCH]
        ids = dict(_insert_many(Partner, [{**p.values, "status_changed_at": now,
                                           "created_at": now} for p in batch],
                                returning=("domain", "id")))
        created += [(ids[p.domain], p) for p in batch]
        written += len(batch)
        writes(written / to_write)
    reason = (_("Imported from %(file)s (import #%(id)s)") % {
        "file": partner_import.filename, "id": partner_import.pk})[:500]
    actor_id = getattr(actor, "pk", None)
    for start in range(0, len(created), BATCH):
        _insert_many(PartnerStatusChange, [
            {"partner_id": pk, "from_status": "", "to_status": plan.values["status"],
             "reason": reason, "actor_id": actor_id, "created_at": now}
            for pk, plan in created[start:start + BATCH]])
    links = [{"partner_id": pk, "specialisation_id": specialisation_ids[n]}
             for pk, plan in created for n in {s.lower() for s in plan.specialisations or []}]

    changed: list[Partner] = []
    fields: set[str] = set()
    stale_links: list[int] = []
    for plan in updates:
        partner = plan.partner
        assert partner is not None
        for attribute, value in plan.values.items():
            setattr(partner, attribute, value)
        if plan.values:
            changed.append(partner)
            fields.update(plan.values)
        if plan.specialisations is not None:
            wanted = {specialisation_ids[n.lower()] for n in plan.specialisations}
            have = lookups.links.get(partner.pk, {})
            stale_links += [link for s, link in have.items() if s not in wanted]
            links += [{"partner_id": partner.pk, "specialisation_id": s}
                      for s in sorted(wanted - set(have))]
    for start in range(0, len(changed), BATCH):
        _update_many(Partner, changed[start:start + BATCH], sorted(fields))
        written += len(changed[start:start + BATCH])
        writes(written / to_write)
    _record_row_events(partner_import, actor, created, updates, reason)
    for start in range(0, len(stale_links), CHUNK):
        PartnerSpecialisation.objects.filter(pk__in=stale_links[start:start + CHUNK]).delete()
    for start in range(0, len(links), BATCH):
        _insert_many(PartnerSpecialisation, links[start:start + BATCH])
    publish(1)
    return {"created": len(creates), "updated": len(updates),
            "unchanged": sum(p.action == "update" for p in plans) - len(updates)}


def _record_row_events(partner_import: PartnerImport, actor, created: list[tuple[int, RowPlan]],
                       updates: list[RowPlan], reason: str) -> None:
    """Each partner the import wrote has its events, as when added or edited by hand:
    ``partner.created`` (and ``partner.approved`` when it starts in the program, which
    onboarding reacts to), ``partner.updated`` with the fields it changed."""
    source = {"import": partner_import.pk}
    events = []
    for pk, plan in created:
        subject = ("partners.partner", pk)
        status = plan.values["status"]
        events.append(("partner.created", subject, {
            "name": plan.values["name"], "domain": plan.domain, "status": status, **source}))
        if status != PartnerStatus.APPLIED:
            events.append(("partner.approved", subject,
                           {"from": "", "to": status, "reason": reason, **source}))
    for plan in updates:
        changed = {field: {"to": str(getattr(value, "pk", value) or "")}
                   for field, value in plan.values.items()}
        if plan.specialisations is not None:
            changed["specialisations"] = {"to": "; ".join(sorted(plan.specialisations))}
        events.append(("partner.updated", plan.partner, {**changed, **source}))
    record_events(actor=actor, events=events)


# Django's bulk_create builds a model instance and compiles a placeholder per value, and
# its bulk_update writes a CASE WHEN per field and row: for 10,000 rows they cost most of
# an import. These two send one array per column instead (``unnest``), one statement per
# batch. They stay inside the tenant: the tenant column comes from the current scope, the
# UPDATE is filtered by it, and row-level security checks both.

def _insert_many(model, rows: list[dict[str, Any]], *,
                 returning: tuple[str, ...] = ()) -> list[tuple]:
    """INSERT the rows (dicts of database-ready values by attname); a column a row
    leaves out takes the field's default, as ``Model()`` would."""
    if not rows:
        return []
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns, arrays, casts = [], [], []
    for f in fields:
        default = f.get_db_prep_save(f.get_default(), connection)
        values = [row.get(f.attname, default) for row in rows]
        columns.append(connection.ops.quote_name(f.column))
        arrays.append(values)
        casts.append(f"%s::{f.db_type(connection)}[]")
    # Identifiers come from the model's metadata, quoted; every value is a parameter.
    sql = (f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} "  # noqa: S608
           f"({', '.join(columns)}) SELECT * FROM unnest({', '.join(casts)})")
    if returning:
        sql += " RETURNING " + ", ".join(connection.ops.quote_name(
            model._meta.get_field(name).column) for name in returning)
    with connection.cursor() as cursor:
        cursor.execute(sql, arrays)
        return cursor.fetchall() if returning else []


def _update_many(model, objects: list, attnames: list[str]) -> None:
    """UPDATE these columns of the objects (their current attribute values), by pk."""
    qn = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in attnames]
    pk = model._meta.pk
    casts = [f"%s::{pk.db_type(connection)}[]"] + [f"%s::{f.db_type(connection)}[]"
                                                    for f in fields]
    arrays = [[o.pk for o in objects]] + [
        [f.get_db_prep_save(getattr(o, f.attname), connection) for o in objects]
        for f in fields]
    names = ["pk_"] + [f"v{n}" for n in range(len(fields))]
    assignments = ", ".join(f"{qn(f.column)} = v.v{n}" for n, f in enumerate(fields))
    sql = (f"UPDATE {qn(model._meta.db_table)} AS t SET {assignments} "  # noqa: S608
           f"FROM unnest({', '.join(casts)}) AS v({', '.join(names)}) "
           f"WHERE t.tenant_id = %s AND t.{qn(pk.column)} = v.pk_")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*arrays, require_tenant().pk])


def _taken_domains(partner_import: PartnerImport, limit: int = 5) -> list[str]:
    """Domains the dry run would have created that another transaction has taken since."""
    wanted = sorted(e["domain"] for e in _report_rows(partner_import) if e["action"] == "create")
    taken: list[str] = []
    for start in range(0, len(wanted), CHUNK):
        taken += Partner.objects.filter(domain__in=wanted[start:start + CHUNK]).values_list(
            "domain", flat=True)
    return sorted(taken)[:limit]


def _ensure_specialisations(names: list[str], lookups: Lookups) -> dict[str, int]:
    """Lower-case name → pk of every specialisation, the file's new ones created in bulk."""
    created = Specialisation.objects.bulk_create([Specialisation(name=n) for n in names])
    ids = {key: pk for key, (pk, _name) in lookups.specialisations.items()}
    ids.update({s.name.lower(): s.pk for s in created})
    return ids


@transaction.atomic
def partner_import_recheck(*, actor, partner_import: PartnerImport) -> PartnerImport:
    """Check the same file again as a new import (after a failed apply, say)."""
    return partner_import_upload(actor=actor, filename=partner_import.filename,
                                 data=partner_import.content.encode())


# --- Reads ------------------------------------------------------------------------

def get_partner_import_for_admin(member: Membership, import_id: int) -> PartnerImport:
    """Imports are tenant-admin work; another tenant's import, or none, is a 404."""
    from prm.access import get_for_admin

    return get_for_admin(
        member, PartnerImport.objects.defer("content").select_related("created_by"), import_id)


def partner_import_recent(*, limit: int = 10) -> QuerySet[PartnerImport]:
    return (PartnerImport.objects.defer("content", "report").select_related("created_by")
            .order_by("-created_at", "-pk")[:limit])


def partner_imports_unfinished(*, created_before) -> list[tuple[int, str]]:
    """Imports still CHECKING or APPLYING that were uploaded before ``created_before``."""
    return list(PartnerImport.objects.filter(status__in=RUNNING, created_at__lt=created_before)
                .order_by("pk").values_list("pk", "status"))


def _report_rows(partner_import: PartnerImport) -> list[dict[str, Any]]:
    report = partner_import.report
    return report.get("rows", []) if isinstance(report, dict) else []


def partner_import_rows(*, partner_import: PartnerImport, show: str = "") -> list[dict]:
    """The report's entries, all or those of one action (``refuse``, ``create``, ...)."""
    rows = _report_rows(partner_import)
    return [r for r in rows if r["action"] == show] if show in ACTIONS else rows


def partner_import_failure(partner_import: PartnerImport) -> str:
    report = partner_import.report
    failure = report.get("failure") if isinstance(report, dict) else None
    if failure:
        return message(failure["code"], failure)
    return partner_import.error


def partner_import_new_specialisations(partner_import: PartnerImport) -> list[str]:
    report = partner_import.report
    return report.get("new_specialisations", []) if isinstance(report, dict) else []


def partner_import_unchanged(partner_import: PartnerImport) -> int:
    """Rows that match an existing partner and would change nothing."""
    report = partner_import.report
    return report.get("unchanged", 0) if isinstance(report, dict) else 0


def tier_names() -> list[str]:
    return list(Tier.objects.order_by("rank").values_list("name", flat=True))


def csv_template(*, manager_email: str = "") -> str:
    """A template file: the header and two example rows that pass the check as they are
    (with a byte-order mark, so spreadsheet programs open it as UTF-8)."""
    tier = Tier.objects.order_by("rank").values_list("name", flat=True).first() or ""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerow(["Example Systems GmbH", "example-systems.example",
                     "https://www.example-systems.example", "DE", "emea", "reseller", tier,
                     "onboarding", manager_email, "Cloud migration;Security"])
    writer.writerow(["Sample Analytics Inc", "", "https://sample-analytics.example", "US",
                     "north_america", "technology", "", "", "", ""])
    return "\ufeff" + out.getvalue()


def user_or_none(user_id: int | None) -> User | None:
    return User.objects.filter(pk=user_id).first() if user_id else None
