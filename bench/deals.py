"""Bench: deal registration with the conflict check, and the check's growth with the data.

Two figures, each a ratio measured in the same run (issue 4, "Benchmarks"):

1. ``POST /api/v1/deals/`` (validation, conflict check, insert, history, event, response)
   against 100,000 existing registrations, in requests per second, divided by the rate
   of a bare DRF create endpoint defined here (a ``ModelSerializer`` and a
   ``CreateAPIView`` writing the same ``Deal`` row, with no conflict check and no
   events), mounted on the same URLconf and called through the same middleware with the
   same API key and payload shape. Rounds of the two alternate, so a busy machine slows
   both alike; the figure is the median of the rounds' ratios. Target: at least 0.5.
2. ``deals.conflicts.find_conflicts`` at 1,000,000 existing registrations divided by the
   same calls at 10,000: the median of a few hundred calls with varying inputs (new
   names made of the same vocabulary, near-copies of existing names, existing
   domains, unknown names). Target: at most 1.5. When the table holds 10,000 rows, the
   database is copied (``CREATE DATABASE ... TEMPLATE``); the original grows to a
   million, and the calls then alternate between the two databases in rounds, so a
   machine that slows down or speeds up meanwhile moves both figures alike. Each input
   is checked once on each size: at a million, mostly on pages not yet in PostgreSQL's
   buffers.

The registrations are generated with set-based SQL (``INSERT ... SELECT`` over
``generate_series``) as the application role, inside the tenant's transaction, from a
fixed seed, so every run holds the same rows. Names are
drawn from a vocabulary normalised with ``prm.names``: 60 common words with a Zipf
distribution (the most common one is in about 4% of names, as "management" or "property"
are in real company registers), a few hundred surnames, places and short coinages, and
some 30,000 rare coinages, joined by "&", followed now and then by a generic word
("Systems") and a legal suffix. Seven in ten registrations are open.

Called by ``bench/run.py``; runs alone too (``python bench/deals.py``) on a throw-away
database created like the test suite's. ``BENCH_DEALS_EXPLAIN=1`` also prints the plans
of the candidate queries at both sizes.
"""

from __future__ import annotations

import os
import random
import re
import statistics
import sys
import time
import types
from contextlib import contextmanager
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings")
    os.environ.setdefault("PRM_TESTING", "true")
    os.environ.setdefault("PRM_TEST_DATABASE", "prm_bench")

    import django

    django.setup()

API_ROWS = int(os.environ.get("BENCH_DEALS_API_ROWS", "100000"))
SMALL_ROWS = int(os.environ.get("BENCH_DEALS_SMALL_ROWS", "10000"))
LARGE_ROWS = int(os.environ.get("BENCH_DEALS_LARGE_ROWS", "1000000"))
API_ROUNDS = int(os.environ.get("BENCH_DEALS_API_ROUNDS", "9"))
API_REQUESTS = int(os.environ.get("BENCH_DEALS_API_REQUESTS", "60"))
CHECK_CALLS = int(os.environ.get("BENCH_DEALS_CHECK_CALLS", "300"))
WARM_UP = 10  # inputs more, checked before the timed ones and not counted
EXPLAIN = os.environ.get("BENCH_DEALS_EXPLAIN", "") not in ("", "0", "false")

TENANT_SLUG = "bench-deals"
HOST = f"{TENANT_SLUG}.localhost"
BARE_PATH = "/bench/bare-deals/"
URLCONF = "bench_deals_urls"
PARTNERS = 8
PRODUCTS = ["Cloud Suite", "Security Suite", "Data Platform"]
STAGES = ["Qualify", "Discover", "Propose", "Negotiate"]
COUNTRIES = ["DE", "AT", "CH", "GB", "FR", "NL", "US", "CA", "BR", "AU", "JP", "SG"]

# --- vocabulary ----------------------------------------------------------------------

COMMON = [
    "management", "property", "data", "energy", "health", "care", "media", "capital",
    "construction", "logistics", "trading", "engineering", "medical", "finance", "industrial",
    "uk", "europe", "america", "north", "south", "east", "west", "blue", "green", "first",
    "royal", "city", "united", "national", "new", "home", "power", "smart", "star", "sun",
    "river", "park", "bay", "hill", "art", "food", "auto", "tech", "net", "cloud", "bio",
    "pharma", "retail", "design", "security", "travel", "education", "legal", "marketing",
    "transport", "investment", "industries", "direct"
]
PROPER = [
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
    "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder",
    "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange",
    "Schmitt", "Werner", "Krause", "Meier", "Lehmann", "Köhler", "Herrmann", "König", "Walter",
    "Mayer", "Huber", "Kaiser", "Fuchs", "Peters", "Lang", "Scholz", "Möller", "Weiß", "Jung",
    "Hahn", "Vogel", "Friedrich", "García", "Fernández", "González", "Rodríguez", "López",
    "Martínez", "Sánchez", "Pérez", "Gómez", "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz",
    "Moreno", "Muñoz", "Álvarez", "Romero", "Núñez", "Dubois", "Durand", "Lefèvre", "Mercier",
    "Girard", "Bonnet", "François", "Rousseau", "Fontaine", "Chevalier", "Rossi", "Russo",
    "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco", "Bruno",
    "Gallo", "Conti", "Jansen", "Visser", "Smit", "Bakker", "Janssen", "Mulder", "Bos", "Vos",
    "Peeters", "Claes", "Novak", "Horvat", "Kovač", "Nowak", "Kowalski", "Wiśniewski", "Smith",
    "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor",
    "Thomas", "Moore", "Jackson", "White", "Harris", "Clark", "Lewis", "Walker", "Hall",
    "Allen", "Young", "Wright", "Scott", "Baker", "Adams", "Nelson", "Carter", "Mitchell",
    "Roberts", "Turner", "Phillips", "Campbell", "Parker", "Evans", "Edwards", "Collins",
    "Stewart", "Morris", "Murphy", "Cook", "Rogers", "Morgan", "Cooper", "Reed", "Bailey",
    "Bell", "Kelly", "Howard", "Ward", "Cox", "Richardson", "Wood", "Watson", "Brooks",
    "Bennett", "Gray", "Hughes", "Price", "Sanders", "Myers", "Long", "Ross", "Foster",
    "Hamburg", "München", "Berlin", "Köln", "Frankfurt", "Stuttgart", "Düsseldorf", "Leipzig",
    "Dresden", "Hannover", "Bremen", "Nürnberg", "Wien", "Zürich", "Basel", "Genève", "Lyon",
    "Marseille", "Toulouse", "Bordeaux", "Lille", "Nantes", "Milano", "Torino", "Napoli",
    "Bologna", "Firenze", "Madrid", "Barcelona", "Valencia", "Sevilla", "Bilbao", "Lisboa",
    "Porto", "Amsterdam", "Rotterdam", "Utrecht", "Antwerpen", "Gent", "Brussel", "Praha",
    "Brno", "Kraków", "Warszawa", "Gdańsk", "Budapest", "London", "Manchester", "Birmingham",
    "Leeds", "Glasgow", "Edinburgh", "Bristol", "Cardiff", "Dublin", "Cork", "Boston",
    "Chicago", "Denver", "Austin", "Dallas", "Houston", "Phoenix", "Seattle", "Portland",
    "Toronto", "Montreal", "Vancouver", "Sydney", "Melbourne", "Brisbane", "Perth", "Auckland",
    "Osaka", "Alpine", "Atlantic", "Baltic", "Nordic", "Pacific", "Iberia", "Bavaria",
    "Saxonia", "Helvetia", "Austria", "Anglia", "Cascade", "Sierra", "Summit", "Harbor",
    "Meadow", "Prairie", "Canyon", "Delta", "Orion", "Vega", "Sirius", "Atlas", "Titan",
    "Apollo", "Phoenix", "Falcon", "Eagle", "Condor", "Heron", "Lynx", "Otter", "Badger",
    "Beaver", "Bison", "Stag", "Oak", "Maple", "Cedar", "Birch", "Aspen", "Willow", "Pine",
    "Elm", "Hazel", "Ivy", "Laurel", "Juniper", "Granite", "Marble", "Quartz", "Cobalt",
    "Copper", "Amber", "Ruby"
]
_P = [
    "nor", "sud", "ost", "wes", "al", "bel", "cor", "dan", "el", "fal", "gar", "hal", "ion",
    "jor", "kal", "lor", "mar", "nex", "or", "pal", "quin", "ros", "sal", "tor", "ul", "val",
    "wil", "xan", "yor", "zen", "bra", "cle", "dra", "fre", "gro", "kro", "pro", "tri", "stra",
    "ver", "mon", "lum", "sol", "ter", "aqu", "vir", "cen", "nov", "omn", "hel"
]
_M = [
    "a", "e", "i", "o", "u", "ar", "en", "is", "on", "ex", "al", "or", "um", "ri", "ta", "ve",
    "li", "no", "ra", "de"
]
_S = [
    "tix", "lia", "nova", "tron", "ware", "soft", "gen", "lab", "core", "path", "wave", "mark",
    "port", "vale", "ford", "dale", "ix", "ia", "io", "ica", "ent", "ara", "ova", "yn", "eon",
    "ius", "ant", "ino", "ero", "ity", "iq", "um", "ax", "os"
]
GENERIC = ["Systems", "Solutions", "Services", "Group", "Technologies", "Consulting",
           "Partners", "Software", "Digital", "International"]
LEGAL = ["GmbH", "AG", "Inc.", "Ltd", "LLC", "S.A.", "B.V.", "Pty Ltd", "plc", "SE", "SARL",
         "S.p.A.", "Oy", "AB", "", "", "", ""]
_ASCII_WORD = re.compile(r"^[a-z]{2,}$")


def vocabulary() -> list[tuple[str, str, int]]:
    """(as written, normalised, copies in a bag of about 66,000): the word distribution."""
    from prm.names import GENERIC_TOKENS, LEGAL_SUFFIXES, normalise_company_name

    words: dict[str, tuple[str, int]] = {}

    def add(raw: str, copies: int) -> None:
        norm = normalise_company_name(raw)
        if (_ASCII_WORD.match(norm) and norm not in words and norm not in GENERIC_TOKENS
                and norm not in LEGAL_SUFFIXES and norm != "the"):
            words[norm] = (raw, max(copies, 1))

    for rank, word in enumerate(COMMON, start=1):             # about 12% of all words
        add(word.title() if len(word) > 2 else word.upper(), round(1_200 / rank))
    mid = PROPER + [(p + s).title() for p in _P for s in _S][:1_500]
    for rank, word in enumerate(mid, start=1):                # about 38%
        add(word, round(300 / rank ** 0.5))
    tail = [(p + m + s).title() for p in _P for m in _M for s in _S]
    random.Random(11).shuffle(tail)
    for word in tail:                                          # about 53%: one copy each
        add(word, 1)
    return [(raw, norm, copies) for norm, (raw, copies) in words.items()]


class Names:
    """Company names drawn from the vocabulary in Python, as the SQL generator draws them."""

    def __init__(self, vocab: list[tuple[str, str, int]], seed: int):
        self.rng = random.Random(seed)
        self.words = [raw for raw, _norm, _copies in vocab]
        self.cum = []
        total = 0
        for _raw, _norm, copies in vocab:
            total += copies
            self.cum.append(total)

    def word(self) -> str:
        return self.rng.choices(self.words, cum_weights=self.cum)[0]

    def name(self) -> str:
        count = self.rng.choices([1, 2, 3], [30, 55, 15])[0]
        parts = [self.word() for _ in range(count)]
        joined = (" & ".join(parts) if count == 2 and self.rng.random() < 0.15
                  else " ".join(parts))
        if self.rng.random() < 0.35:
            joined += " " + self.rng.choice(GENERIC)
        suffix = self.rng.choice(LEGAL)
        return f"{joined} {suffix}".strip()


# --- set-based generation --------------------------------------------------------------

# prm.names.index_terms in SQL: the words of a sorted, distinct array, and the pairs of
# its first PAIRED_WORDS words, each at most TERM_LENGTH characters.
INDEX_TERMS_SQL = """
SELECT term FROM (
    SELECT unnest({tokens}) AS term
    UNION ALL
    SELECT w1 || ' ' || w2 FROM unnest({tokens}[1:{paired}]) AS w1,
                                unnest({tokens}[1:{paired}]) AS w2
    WHERE w1 < w2 COLLATE "C"
) AS terms WHERE length(term) <= {length}
"""

# The conflict check's word index of the new open registrations, as deal_submit writes it.
TOKENS_SQL = """
INSERT INTO deals_dealnametoken (tenant_id, deal_id, token, name_length, words_length)
SELECT DISTINCT d.tenant_id, d.id, t.term, length(d.customer_name_normalised),
       length(array_to_string(d.customer_name_tokens, ' '))
FROM deals_deal d CROSS JOIN LATERAL ({terms}) AS t
WHERE d.id > %s AND d.status IN ('submitted', 'approved')
"""


def _tokens_sql() -> str:
    from prm.names import PAIRED_WORDS, TERM_LENGTH

    return TOKENS_SQL.format(terms=INDEX_TERMS_SQL.format(
        tokens="d.customer_name_tokens", paired=PAIRED_WORDS, length=TERM_LENGTH))

GROW_SQL = """
INSERT INTO deals_deal (
    tenant_id, partner_id, registered_by_id, customer_name, customer_name_normalised,
    customer_name_tokens, customer_domain, customer_country, contact_name, contact_email,
    contact_title, product_id, amount, currency, reporting_amount, rate_used, rate_date,
    expected_close_date, stage_id, status, status_reason, notes, registered_at, decided_at,
    approval_rule, protection_expires_at, extension_reason, closed_at, has_conflict,
    version, updated_at)
SELECT
    %(tenant)s, (%(partners)s::bigint[])[r.p], (%(members)s::bigint[])[r.p],
    n.raw || CASE WHEN r.generic > 0 THEN ' ' || (%(generic)s::text[])[r.generic] ELSE '' END
          || CASE WHEN r.legal <> '' THEN ' ' || r.legal ELSE '' END,
    n.norm || CASE WHEN r.generic > 0
                   THEN ' ' || lower((%(generic)s::text[])[r.generic]) ELSE '' END,
    n.tokens,
    replace(n.norm, ' ', '') || '-' || r.g || '.example',
    (%(countries)s::text[])[1 + r.g %% %(n_countries)s],
    'Contact ' || r.g, 'buyer' || r.g || '@' || replace(n.norm, ' ', '') || '.example', 'CIO',
    (%(products)s::bigint[])[r.product], r.amount, %(currency)s, r.amount, 1, NULL,
    (r.registered_at + (30 + r.g %% 150) * interval '1 day')::date,
    (%(stages)s::bigint[])[r.stage], s.status, '', '', r.registered_at,
    CASE WHEN s.status <> 'submitted' THEN r.registered_at + interval '2 days' END,
    '',
    CASE WHEN s.status = 'approved' THEN r.registered_at + interval '92 days' END,
    '',
    CASE WHEN s.status IN ('won', 'lost') THEN r.registered_at + interval '60 days' END,
    false, 1, now()
FROM (
    SELECT g,
           1 + floor(random() * %(n_partners)s)::int AS p,
           1 + floor(random() * %(n_products)s)::int AS product,
           1 + floor(random() * %(n_stages)s)::int AS stage,
           round((1000 + random() * 250000)::numeric, 2) AS amount,
           now() - random() * interval '900 days' AS registered_at,
           CASE WHEN random() < 0.35
                THEN 1 + floor(random() * %(n_generic)s)::int ELSE 0 END AS generic,
           (%(legal)s::text[])[1 + floor(random() * %(n_legal)s)::int] AS legal,
           random() AS u_status,
           random() AS u_words,
           random() < 0.15 AS ampersand,
           1 + floor(random() * %(bag)s)::int AS k1,
           1 + floor(random() * %(bag)s)::int AS k2,
           1 + floor(random() * %(bag)s)::int AS k3
    FROM generate_series(%(first)s, %(last)s) AS g
) AS r
JOIN bench_bag w1 ON w1.k = r.k1
JOIN bench_bag w2 ON w2.k = r.k2
JOIN bench_bag w3 ON w3.k = r.k3
CROSS JOIN LATERAL (
    SELECT CASE WHEN r.u_status < 0.25 THEN 'submitted' WHEN r.u_status < 0.70 THEN 'approved'
                WHEN r.u_status < 0.82 THEN 'won' WHEN r.u_status < 0.90 THEN 'lost'
                WHEN r.u_status < 0.95 THEN 'expired' WHEN r.u_status < 0.98 THEN 'rejected'
                ELSE 'withdrawn' END AS status
) AS s
CROSS JOIN LATERAL (
    SELECT CASE WHEN r.u_words < 0.30 THEN w1.raw
                WHEN r.u_words < 0.85
                THEN w1.raw || CASE WHEN r.ampersand THEN ' & ' ELSE ' ' END || w2.raw
                ELSE w1.raw || ' ' || w2.raw || ' ' || w3.raw END AS raw,
           CASE WHEN r.u_words < 0.30 THEN w1.norm
                WHEN r.u_words < 0.85
                THEN w1.norm || CASE WHEN r.ampersand THEN ' and ' ELSE ' ' END || w2.norm
                ELSE w1.norm || ' ' || w2.norm || ' ' || w3.norm END AS norm,
           (CASE WHEN r.u_words < 0.30 THEN ARRAY[w1.norm]
                 WHEN r.u_words < 0.85 THEN
                      CASE WHEN w1.norm = w2.norm THEN ARRAY[w1.norm]
                           WHEN w1.norm < w2.norm THEN ARRAY[w1.norm, w2.norm]
                           ELSE ARRAY[w2.norm, w1.norm] END
                 ELSE ARRAY(SELECT DISTINCT t FROM unnest(ARRAY[w1.norm, w2.norm, w3.norm]) AS t
                            ORDER BY t) END)::varchar(100)[] AS tokens
) AS n
"""

# Indexes not backing a constraint, and the foreign keys, of the deals table: dropped
# during a bulk load and built again afterwards (see _bulk_load).
_INDEXES_SQL = """
SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
WHERE i.indrelid = 'deals_deal'::regclass
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
ORDER BY 1
"""
_FOREIGN_KEYS_SQL = """
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
WHERE conrelid = 'deals_deal'::regclass AND contype = 'f' ORDER BY 1
"""


def _canonical(index: tuple[str, str]) -> tuple[str, str]:
    """An index definition without casts and parentheses: re-created from its own
    definition, PostgreSQL spells ``status IN (...)`` with the casts elsewhere."""
    name, definition = index
    return name, re.sub(r"::(character varying|text)(\[\])?|[()\s]", "", definition)


@contextmanager
def _bulk_load():
    """Load without secondary indexes and foreign keys, then build them again, as the owner.

    Row by row, the table's 15 secondary indexes and 9 deferred foreign-key checks cost
    about 300 us per row on this machine (5 minutes for a million); building them once
    afterwards costs a small fraction of that. The schema is checked to be identical
    afterwards; the rows themselves are written by the app role, through row-level
    security, in ``_grow``.
    """
    from django.db import connection

    from prm.db_roles import as_owner

    with as_owner(), connection.cursor() as cursor:
        cursor.execute(_INDEXES_SQL)
        indexes = cursor.fetchall()
        cursor.execute(_FOREIGN_KEYS_SQL)
        foreign_keys = cursor.fetchall()
        for name, _definition in foreign_keys:
            cursor.execute("ALTER TABLE deals_deal DROP CONSTRAINT "
                           + connection.ops.quote_name(name))
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    try:
        yield
    finally:
        with as_owner(), connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '256MB'")
            for _name, definition in indexes:
                cursor.execute(definition)
            for name, definition in foreign_keys:
                cursor.execute(f"ALTER TABLE deals_deal ADD CONSTRAINT "
                               f"{connection.ops.quote_name(name)} {definition}")
            cursor.execute("VACUUM (ANALYZE) deals_deal")
            cursor.execute("VACUUM (ANALYZE) deals_dealnametoken")
            cursor.execute(_INDEXES_SQL)
            assert [_canonical(i) for i in cursor.fetchall()] == [_canonical(i) for i in indexes]
            cursor.execute(_FOREIGN_KEYS_SQL)
            assert cursor.fetchall() == foreign_keys, "the deals table's keys changed"


def _grow(tenant, setup: dict, vocab: list[tuple[str, str, int]], first: int, last: int) -> float:
    """Insert registrations number ``first``..``last``; returns seconds.

    The INSERT ... SELECT runs as the app role inside ``tenant_scope`` (so through
    row-level security's WITH CHECK); words come from a bag in which each word appears
    as often as its weight.
    """
    from django.db import connection

    from prm.tenancy import tenant_scope

    start = time.perf_counter()
    with _bulk_load(), tenant_scope(tenant), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")   # compiling costs more than it saves here
        cursor.execute("SELECT setseed(%s)", [1 / (1 + first)])  # the same rows every run
        cursor.execute('CREATE TEMP TABLE bench_bag (k int PRIMARY KEY, raw text, '
                       'norm text COLLATE "C") ON COMMIT DROP')
        cursor.execute(
            "INSERT INTO bench_bag SELECT row_number() OVER (), v.raw, v.norm "
            "FROM unnest(%s::text[], %s::text[], %s::int[]) AS v(raw, norm, copies), "
            "generate_series(1, v.copies)",
            [[v[0] for v in vocab], [v[1] for v in vocab], [v[2] for v in vocab]])
        cursor.execute("ANALYZE bench_bag")
        cursor.execute("SELECT coalesce(max(id), 0) FROM deals_deal")
        (last_id,) = cursor.fetchone()
        cursor.execute(GROW_SQL, {
            **setup["sql"], "first": first, "last": last, "bag": sum(v[2] for v in vocab),
            "generic": GENERIC, "n_generic": len(GENERIC),
            "legal": LEGAL, "n_legal": len(LEGAL),
            "countries": COUNTRIES, "n_countries": len(COUNTRIES),
        })
        cursor.execute(_tokens_sql(), [last_id])
    return time.perf_counter() - start


def _check_generated(tenant, sample: int = 2_000) -> None:
    """The generated names are normalised, and their words indexed, exactly as
    ``prm.names`` and ``deal_submit`` would do it."""
    from deals.models import OPEN_STATUSES, Deal, DealNameToken
    from prm.names import index_terms, name_tokens, normalise_company_name
    from prm.tenancy import tenant_scope

    with tenant_scope(tenant):
        rows = Deal.objects.order_by("?").values_list(
            "pk", "customer_name", "customer_name_normalised", "customer_name_tokens",
            "status")[:sample]
        indexed: dict[int, set[str]] = {}
        for deal_id, term in DealNameToken.objects.filter(
                deal_id__in=[row[0] for row in rows]).values_list("deal_id", "token"):
            indexed.setdefault(deal_id, set()).add(term)
        for deal_id, name, normalised, tokens, status in rows:
            expected = normalise_company_name(name)
            assert normalised == expected, (name, normalised, expected)
            assert sorted(tokens) == name_tokens(expected), (name, tokens)
            terms = set(index_terms(tokens)) if status in OPEN_STATUSES else set()
            assert indexed.get(deal_id, set()) == terms, (name, indexed.get(deal_id), terms)


# --- the program -----------------------------------------------------------------------

def _program():
    """Tenant, products, stages, partners with one admin each, an API key, customers."""
    from django.db import connection

    from deals.models import CustomerAccount, CustomerAccountToken, DealStage, ProductLine
    from partners.models import Partner
    from prm.db_roles import as_owner
    from prm.names import name_tokens, normalise_company_name
    from prm.services import api_key_create, membership_create, tenant_create
    from prm.tenancy import tenant_scope

    tenant = tenant_create(slug=TENANT_SLUG, name="Bench Deals")
    with tenant_scope(tenant):
        products = [ProductLine.objects.create(name=n) for n in PRODUCTS]
        stages = [DealStage.objects.create(name=n, rank=r) for r, n in enumerate(STAGES, 1)]
        partners, members = [], []
        for n in range(PARTNERS):
            partner = Partner.objects.create(
                name=f"Reseller {n} GmbH", domain=f"reseller{n}.bench.test", country="DE",
                region="emea", partner_type="reseller", status="active")
            partners.append(partner)
            members.append(membership_create(actor=None, email=f"admin@reseller{n}.bench.test",
                                             role="partner_admin", partner=partner))
        _row, key = api_key_create(actor=None, membership=members[0], name="bench")
        names = Names(vocabulary(), seed=5)
        accounts = []
        for n in range(2_000):   # the vendor's direct customers, checked on every submit
            name = names.name()
            normalised = normalise_company_name(name)
            accounts.append(CustomerAccount(
                name=name, name_normalised=normalised, name_tokens=name_tokens(normalised),
                domain=f"{normalised.replace(' ', '')}-direct{n}.example"))
        CustomerAccount.objects.bulk_create(accounts, batch_size=1_000)
        CustomerAccountToken.objects.bulk_create(
            [row for account in accounts for row in CustomerAccountToken.rows_for(account)],
            batch_size=5_000)
    with as_owner(), connection.cursor() as cursor:  # as autovacuum would, soon
        cursor.execute("ANALYZE deals_customeraccount")
        cursor.execute("ANALYZE deals_customeraccounttoken")
    return tenant, {
        "key": key, "member": members[0], "products": products, "stages": stages,
        "sql": {"tenant": tenant.pk, "partners": [p.pk for p in partners],
                "members": [m.pk for m in members], "n_partners": PARTNERS,
                "products": [p.pk for p in products], "n_products": len(products),
                "stages": [s.pk for s in stages], "n_stages": len(stages),
                "currency": tenant.default_currency},
    }


# --- 1. registration throughput against a bare create -------------------------------------

def _bare_urlconf() -> str:
    """prm.urls plus a bare DRF create of the same Deal row, as an importable module."""
    from rest_framework import generics, serializers

    import prm.urls
    from deals.models import Deal
    from prm.api_base import TenantAPIMixin
    from prm.names import name_tokens, normalise_company_name

    class BareDealSerializer(serializers.ModelSerializer):
        class Meta:
            model = Deal
            fields = ["id", "customer_name", "customer_domain", "customer_country",
                      "contact_name", "contact_email", "product", "amount", "currency",
                      "expected_close_date", "stage", "notes", "status"]
            read_only_fields = ["id", "status"]

    class BareDealCreate(TenantAPIMixin, generics.CreateAPIView):
        """Same authentication, permission and idempotency handling as the project's
        API; no conflict check, no history, no events."""

        serializer_class = BareDealSerializer

        def perform_create(self, serializer):
            member = self.request._request.membership
            normalised = normalise_company_name(serializer.validated_data["customer_name"])
            serializer.save(partner_id=member.partner_id, registered_by=member,
                            customer_name_normalised=normalised,
                            customer_name_tokens=name_tokens(normalised))

    from django.urls import path

    module = types.ModuleType(URLCONF)
    module.urlpatterns = [*prm.urls.urlpatterns,
                          path(BARE_PATH.strip("/") + "/", BareDealCreate.as_view())]
    sys.modules[URLCONF] = module
    return URLCONF


def _payloads(tenant, setup: dict, tag: str, count: int, seed: int) -> list[dict]:
    """Registrations to send: unique new domains; one in four a near-copy of an existing
    open registration's name (a possible conflict), the rest new names that share words
    with existing ones."""
    from deals.models import OPEN_STATUSES, Deal
    from prm.tenancy import tenant_scope

    rng = random.Random(seed)
    names = Names(vocabulary(), seed=seed)
    with tenant_scope(tenant):
        existing = list(Deal.objects.filter(status__in=OPEN_STATUSES, pk__lte=API_ROWS)
                        .order_by("?").values_list("customer_name", flat=True)[:count])
    payloads = []
    for n in range(count):
        if n % 4 == 0:
            words = existing[n].split()
            name = " ".join([*words[:-1], rng.choice([w for w in LEGAL if w] + ["Holding"])]
                            if len(words) > 1 else [*words, "GmbH"])
        else:
            name = names.name()
        payloads.append({
            "customer_name": name,
            "customer_domain": f"{tag}{n}-{seed}.bench-customer.example",
            "customer_country": rng.choice(COUNTRIES),
            "contact_name": "Dana Buyer", "contact_email": f"dana{n}@{tag}.example",
            "product": setup["products"][n % len(PRODUCTS)].pk,
            "amount": f"{rng.randint(5_000, 250_000)}.00", "currency": "EUR",
            "expected_close_date": "2026-12-31",
            "stage": setup["stages"][0].pk, "notes": "",
        })
    return payloads


def _api_throughput(tenant, setup: dict) -> dict:
    from django.test import Client, override_settings

    client = Client(HTTP_HOST=HOST)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {setup['key']}"}
    urls = {"bare": BARE_PATH, "full": "/api/v1/deals/"}
    flagged = 0
    samples: dict[str, list[float]] = {"bare": [], "full": []}
    with override_settings(ROOT_URLCONF=_bare_urlconf()):
        def send(which: str, payloads: list[dict]) -> float:
            nonlocal flagged
            start = time.perf_counter()
            for body in payloads:
                response = client.post(urls[which], body, content_type="application/json",
                                       **auth)
                assert response.status_code == 201, (which, response.status_code,
                                                     response.content[:500])
                if which == "full":
                    flagged += bool(response.json()["has_conflict"])
            return len(payloads) / (time.perf_counter() - start)

        for which in urls:   # warm up both paths (imports, caches, plans)
            send(which, _payloads(tenant, setup, f"warm{which}", 10, seed=99))
        flagged = 0
        for r in range(API_ROUNDS):
            order = ["bare", "full"] if r % 2 == 0 else ["full", "bare"]
            for which in order:
                payloads = _payloads(tenant, setup, which, API_REQUESTS, seed=r)
                samples[which].append(send(which, payloads))
    bare, full = statistics.median(samples["bare"]), statistics.median(samples["full"])
    # Each round's two runs sit next to each other in time: the median of their ratios
    # cancels a machine that drifts between rounds better than a ratio of medians.
    ratio = statistics.median(f / b for f, b in zip(samples["full"], samples["bare"],
                                                    strict=True))
    return {"bare": bare, "full": full, "ratio": ratio,
            "flagged": flagged / (API_ROUNDS * API_REQUESTS)}


# --- 2. the conflict check at 10,000 and at 1,000,000 ----------------------------------

def _check_inputs(tenant, setup: dict) -> list[dict]:
    """Inputs for find_conflicts, drawn while the table holds the first SMALL_ROWS rows
    (which stay in it), so both sizes answer the same questions. A near-copy of an open
    registration must find it (``expect``): the recall figure."""
    from django.db import connection

    from deals.models import OPEN_STATUSES, Deal
    from prm.names import name_tokens, normalise_company_name
    from prm.tenancy import tenant_scope

    rng = random.Random(3)
    names = Names(vocabulary(), seed=3)
    with tenant_scope(tenant), connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.3)")  # the same sample every run
        rows = list(Deal.objects.filter(pk__lte=SMALL_ROWS, status__in=OPEN_STATUSES)
                    .order_by("?").values_list("pk", "customer_name", "customer_domain")
                    [:WARM_UP + CHECK_CALLS])
    inputs = []
    for n in range(WARM_UP + CHECK_CALLS):
        kind = n % 10
        pk, existing_name, existing_domain = rows[n % len(rows)]
        expect = None
        if kind < 4:          # a new name made of the same words
            name, domain, label = names.name(), f"new{n}.check.example", "new name"
        elif kind < 7:        # an open registration's name, spelled differently
            name = f"The {existing_name.upper()} {rng.choice(['Holdings', 'Inc.', 'AG'])}"
            domain, label, expect = f"copy{n}.check.example", "similar name", pk
        elif kind < 9:        # an open registration's domain, another name
            name, domain, label, expect = names.name(), existing_domain, "existing domain", pk
        else:                 # nothing like it
            name = f"Zyqwert{n} Vexlomb"
            domain, label = f"none{n}.check.example", "unknown name"
        normalised = normalise_company_name(name)
        inputs.append({"label": label, "expect": expect, "args": {
            "domain": domain, "name_normalised": normalised, "tokens": name_tokens(normalised),
            "product_id": rng.choice(setup["products"]).pk}})
    return inputs


@contextmanager
def _on_database(name: str):
    """Point the default connection at another database of the same server meanwhile."""
    from django.db import connection

    saved = connection.settings_dict["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = name
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = saved


def _copy_database() -> str:
    """A copy of the bench database as it is now, under a name of its own (as the owner,
    from the maintenance database: a template may have no other connection)."""
    from django.db import connection

    from prm.db_roles import as_owner

    source = connection.settings_dict["NAME"]
    copy = f"{source}_small"
    quote = connection.ops.quote_name
    with as_owner(), _on_database("postgres"), connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {quote(copy)}")
        cursor.execute(f"CREATE DATABASE {quote(copy)} TEMPLATE {quote(source)}")
    return copy


def _drop_database(name: str) -> None:
    from django.db import connection

    from prm.db_roles import as_owner

    with as_owner(), _on_database("postgres"), connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(name)}")


def _time_checks(tenant, inputs: list[dict]) -> list[dict]:
    """Time find_conflicts once on each input, in order."""
    from deals.conflicts import find_conflicts
    from prm.tenancy import tenant_scope

    results = []
    with tenant_scope(tenant):
        for item in inputs:
            start = time.perf_counter()
            matches = find_conflicts(**item["args"])
            elapsed = time.perf_counter() - start
            found = {m.deal.pk for m in matches if m.deal is not None}
            results.append({"label": item["label"], "seconds": elapsed,
                            "found": item["expect"] in found if item["expect"] else None})
    return results


@contextmanager
def _connected_to(wrapper):
    """Make ``wrapper`` the default connection meanwhile (both stay open)."""
    from django.db import connections

    saved = connections["default"]
    connections["default"] = wrapper
    try:
        yield
    finally:
        connections["default"] = saved


def _time_alternating(tenant, inputs: list[dict], small_db: str,
                      rounds: int = 10) -> tuple[list[dict], list[dict]]:
    """The same inputs on the small copy and on the large database, in alternating rounds
    (which of the two goes first alternates too), each on a connection of its own that
    stays open; the first few inputs only warm each up."""
    from django.db import connections

    large = connections["default"]
    small = type(large)({**large.settings_dict, "NAME": small_db}, "default")
    times = {id(small): [], id(large): []}
    warm_up, inputs = inputs[:WARM_UP], inputs[WARM_UP:]
    try:
        for wrapper in (small, large):
            with _connected_to(wrapper):
                _time_checks(tenant, warm_up)   # plans, catalog caches, the connection
        size = -(-len(inputs) // rounds)
        for number, first in enumerate(range(0, len(inputs), size)):
            order = (small, large) if number % 2 == 0 else (large, small)
            for wrapper in order:
                with _connected_to(wrapper):
                    times[id(wrapper)].extend(_time_checks(tenant, inputs[first:first + size]))
    finally:
        small.close()
    return times[id(small)], times[id(large)]


def _summary(results: list[dict]) -> dict:
    times = sorted(r["seconds"] for r in results)
    expected = [r["found"] for r in results if r["label"] == "similar name"]
    summary = {"median": statistics.median(times), "p90": times[int(len(times) * 0.9)],
               "calls": len(results), "recall": sum(expected) / len(expected)}
    for label in {r["label"] for r in results}:
        summary[label] = statistics.median(r["seconds"] for r in results if r["label"] == label)
    return summary


def _explain(tenant, inputs: list[dict], title: str) -> None:
    """The plan of find_conflicts' candidate query, for an input with a rare token."""
    from django.db import connection

    from deals import conflicts
    from prm.tenancy import tenant_scope

    args = next(i["args"] for i in inputs if i["label"] == "similar name")
    with tenant_scope(tenant), connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + conflicts.CANDIDATES_SQL,
                       conflicts.candidate_params(domain=args["domain"],
                                                  name_normalised=args["name_normalised"],
                                                  tokens=args["tokens"]))
        plan = "\n".join("    " + row[0] for row in cursor.fetchall())
    print(f"  plan at {title}, tokens {','.join(args['tokens'])}:\n{plan}")


# --- entry point -------------------------------------------------------------------------

def bench_deals() -> dict:
    """Build the data, run both benchmarks, print the figures; returns them too."""
    tenant, setup = _program()
    vocab = vocabulary()

    generating = _grow(tenant, setup, vocab, 1, SMALL_ROWS)
    _check_generated(tenant)
    inputs = _check_inputs(tenant, setup)
    small_db = _copy_database()
    try:
        generating += _grow(tenant, setup, vocab, SMALL_ROWS + 1, API_ROWS)
        api = _api_throughput(tenant, setup)

        generating += _grow(tenant, setup, vocab, API_ROWS + 1, LARGE_ROWS)
        small_all, large_all = _time_alternating(tenant, inputs, small_db)
        if EXPLAIN:
            with _on_database(small_db):
                _explain(tenant, inputs, f"{SMALL_ROWS:,} rows")
            _explain(tenant, inputs, f"{LARGE_ROWS:,} rows")
    finally:
        _drop_database(small_db)
    small, large = _summary(small_all), _summary(large_all)
    ratio = large["median"] / small["median"]

    print(f"deal registration: {PARTNERS} partners, {len(PRODUCTS)} products, "
          f"{len(vocab):,} distinct name words; generating {LARGE_ROWS:,} registrations "
          f"took {generating:.0f} s")
    print(f"baseline: bare DRF create of a Deal ({API_ROWS:,} rows) {api['bare']:8.1f} req/s")
    print(f"{'POST /api/v1/deals/ (conflict check, events)':<45} {api['full']:8.1f} req/s   "
          f"{api['ratio']:5.2f}x the bare create   target >= 0.5: "
          f"{'met' if api['ratio'] >= 0.5 else 'NOT MET'}   "
          f"({api['flagged']:.0%} flagged as possible conflicts)")
    print(f"baseline: find_conflicts at {SMALL_ROWS:,} rows {small['median'] * 1e3:11.2f} ms   "
          f"median of {small['calls']} calls, p90 {small['p90'] * 1e3:.2f} ms, "
          f"near-copies found {small['recall']:.0%}")
    print(f"{f'find_conflicts at {LARGE_ROWS:,} rows':<45} {large['median'] * 1e3:8.2f} ms   "
          f"{ratio:5.2f}x the {SMALL_ROWS:,} time   target <= 1.5: "
          f"{'met' if ratio <= 1.5 else 'NOT MET'}   "
          f"(p90 {large['p90'] * 1e3:.2f} ms, near-copies found {large['recall']:.0%})")
    for label in ("new name", "similar name", "existing domain", "unknown name"):
        if label in small and label in large:
            print(f"  {label:<43} {small[label] * 1e3:8.2f} ms -> {large[label] * 1e3:8.2f} ms"
                  f"   {large[label] / small[label]:5.2f}x")
    return {"api": api, "small": small, "large": large, "check_ratio": ratio,
            "generating": generating}


def main() -> None:
    from bench.database import throwaway_database

    with throwaway_database():
        bench_deals()


if __name__ == "__main__":
    main()
