"""Conflict detection at the door: one indexed query, then fuzzy scoring in memory.

Candidates come only from indexes, capped, so the work of a check is bounded however
many registrations there are: open deals and direct customers with the same domain or
the same normalised name, and those sharing a distinctive word of the name or a pair
of such words (the token tables, which hold open deals only, ranked by the number of
words and pairs shared). A word found on ``COMMON_TOKEN`` or more rows says little about
a company and is left out; counting up to that bound reads at most that many index
entries. A pair of words is rare even where both words are common, so a near-copy of a
name made of common words is still found by its pairs. Until a word reaches that
bound, its list grows with the data, and so does the check: a few tenths of a
millisecond from 10,000 to 1,000,000 registrations (README, "Performance").

Of the names sharing a word, only those that could still reach ``SIMILAR_NAME_THRESHOLD``
are looked up: a similarity ratio of two strings is at most
``200 * min(len a, len b) / (len a + len b)``, and the token rows carry the lengths (in
the index), so a name much longer or shorter than the one registered is dropped before
any deal is read and before the caps apply. Without that bound the deals read and the
names scored grew with the data: a word shared with a few hundred registrations brought
a hundred rows to read and a few dozen names to score.

The token tables exist because a GIN index on an array column cannot serve here: ``&&``
is not leakproof, so under row-level security PostgreSQL never uses it as an index
condition. Every operator below is a leakproof equality.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from django.db import connection
from rapidfuzz import fuzz

from deals.models import CustomerAccount, Deal, DealConflict
from prm.names import index_terms, name_lengths, name_tokens
from prm.tenancy import require_tenant

SIMILAR_NAME_THRESHOLD = 85
_CUTOFF = SIMILAR_NAME_THRESHOLD - 0.5  # scores are rounded
CANDIDATE_CAP = 50  # of each kind; ranked, so the likeliest ones come first
COMMON_TOKEN = 50  # open registrations sharing a word; pairs of words carry past it
SHORTLIST = 2 * CANDIDATE_CAP  # deals by words shared, before their rows are read
SAME_DOMAIN_RANK, SAME_NAME_RANK = 2000, 1000  # above any count of shared words


@dataclass(frozen=True)
class Match:
    reason: str
    score: int
    deal: Deal | None = None
    account: CustomerAccount | None = None
    same_product: bool = False


# Open deals, then direct customers: the same domain first, then the same normalised
# name, then most words shared; at most CANDIDATE_CAP of each. Words shared are counted
# in the token index alone, and only a shortlist is looked up in the tables. The ranks
# are materialised: found once through their indexes, then joined, whatever the
# estimates.
CANDIDATES_SQL = """
WITH query(token) AS (SELECT DISTINCT unnest(%(tokens)s::text[])),
deal_hits AS MATERIALIZED (  -- per word, at most COMMON_TOKEN deals: one index range each
    SELECT q.token, h.deal_id, h.name_length, h.words_length,
           count(*) OVER (PARTITION BY q.token) AS seen
    FROM query q CROSS JOIN LATERAL (
        SELECT x.deal_id, x.name_length, x.words_length FROM deals_dealnametoken x
        WHERE x.tenant_id = %(tenant)s AND x.token = q.token LIMIT %(common)s) AS h
),
account_hits AS MATERIALIZED (
    SELECT q.token, h.account_id, h.name_length, h.words_length,
           count(*) OVER (PARTITION BY q.token) AS seen
    FROM query q CROSS JOIN LATERAL (
        SELECT x.account_id, x.name_length, x.words_length FROM deals_customeraccounttoken x
        WHERE x.tenant_id = %(tenant)s AND x.token = q.token LIMIT %(common)s) AS h
),
deal_ranks AS MATERIALIZED (
    SELECT d.id, %(same_domain)s AS rank FROM deals_deal d
    WHERE d.tenant_id = %(tenant)s AND d.status IN ('submitted', 'approved')
      AND d.customer_domain = %(domain)s AND %(domain)s <> ''
    UNION ALL
    SELECT d.id, %(same_name)s FROM deals_deal d
    WHERE d.tenant_id = %(tenant)s AND d.status IN ('submitted', 'approved')
      AND d.customer_name_normalised = %(name)s
    UNION ALL
    (SELECT deal_id, count(*) AS shared FROM deal_hits WHERE seen < %(common)s
       AND (200 * least(name_length, %(name_length)s)
            >= %(cutoff)s * (name_length + %(name_length)s)
            OR 200 * least(words_length, %(words_length)s)
            >= %(cutoff)s * (words_length + %(words_length)s))
     GROUP BY deal_id ORDER BY shared DESC, deal_id DESC LIMIT %(shortlist)s)
),
deal_candidates AS (
    SELECT d.id, d.customer_name_normalised, d.customer_name_tokens AS tokens, d.customer_domain,
           d.product_id, max(r.rank) AS rank
    FROM deal_ranks r JOIN deals_deal d ON d.tenant_id = %(tenant)s AND d.id = r.id
    WHERE d.status IN ('submitted', 'approved') AND d.id <> %(exclude)s
    GROUP BY d.id ORDER BY rank DESC, d.id DESC LIMIT %(cap)s
),
account_ranks AS MATERIALIZED (
    SELECT a.id, %(same_domain)s AS rank FROM deals_customeraccount a
    WHERE a.tenant_id = %(tenant)s AND a.domain = %(domain)s AND %(domain)s <> ''
    UNION ALL
    SELECT a.id, %(same_name)s FROM deals_customeraccount a
    WHERE a.tenant_id = %(tenant)s AND a.name_normalised = %(name)s
    UNION ALL
    (SELECT account_id, count(*) AS shared FROM account_hits WHERE seen < %(common)s
       AND (200 * least(name_length, %(name_length)s)
            >= %(cutoff)s * (name_length + %(name_length)s)
            OR 200 * least(words_length, %(words_length)s)
            >= %(cutoff)s * (words_length + %(words_length)s))
     GROUP BY account_id ORDER BY shared DESC, account_id DESC LIMIT %(shortlist)s)
),
account_candidates AS (
    SELECT a.id, a.name_normalised, a.name_tokens AS tokens, a.domain, a.name,
           max(r.rank) AS rank
    FROM account_ranks r JOIN deals_customeraccount a ON a.tenant_id = %(tenant)s AND a.id = r.id
    GROUP BY a.id ORDER BY rank DESC, a.id DESC LIMIT %(cap)s
)
SELECT 'deal', id, customer_name_normalised, array_to_string(tokens, ' '), customer_domain,
       product_id, NULL
FROM deal_candidates
UNION ALL
SELECT 'account', id, name_normalised, array_to_string(tokens, ' '), domain, NULL, name
FROM account_candidates
"""


def candidate_params(*, domain: str, name_normalised: str, tokens: list[str],
                     exclude_deal_id: int | None = None) -> dict:
    """The parameters of ``CANDIDATES_SQL`` for one registration, in the current tenant."""
    return {
        "tokens": index_terms(tokens), "name": name_normalised, "domain": domain,
        "tenant": require_tenant().pk, "exclude": exclude_deal_id or 0,
        "common": COMMON_TOKEN, "cap": CANDIDATE_CAP, "shortlist": SHORTLIST,
        "same_domain": SAME_DOMAIN_RANK, "same_name": SAME_NAME_RANK, "cutoff": _CUTOFF,
        **name_lengths(name_normalised, name_tokens(name_normalised))}


def _candidates(**query) -> list[tuple]:
    """Run ``CANDIDATES_SQL`` as a prepared statement of the connection.

    Planning the query costs more than running it (about 0.5 ms against 0.2 ms at 10,000
    registrations), and it is the same query on every submit and on every keystroke of the
    live hint. Django's cursors bind parameters on the client, which rules out prepared
    statements, so this one query goes through a psycopg cursor on the same connection
    and transaction (the tenant's ``set_config`` applies); psycopg keeps the statement per
    connection and prepares it again after a reconnect or a rolled-back transaction.
    The connection plans it once for any parameters (``plan_cache_mode`` in
    ``prm/settings.py``); ``tests/deals/test_conflicts.py`` checks that this generic plan
    keeps to the indexes.
    """
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(CANDIDATES_SQL, candidate_params(**query), prepare=True)
        return cursor.fetchall()


def _name_score(a: str, b: str, distinctive_a: str, distinctive_b: str) -> int:
    """Similarity of two normalised names, 0-100, or 0 where it is below the threshold;
    generic words ("group") count less. ``distinctive_*`` are the names' distinctive
    words, sorted, space-separated."""
    return round(max(fuzz.token_sort_ratio(a, b, score_cutoff=_CUTOFF),
                     fuzz.ratio(a, b, score_cutoff=_CUTOFF),
                     fuzz.token_sort_ratio(distinctive_a, distinctive_b, score_cutoff=_CUTOFF)))


def find_conflicts(*, domain: str, name_normalised: str, tokens: list[str], product_id: int,
                   exclude_deal_id: int | None = None) -> list[Match]:
    """Every open deal or direct customer this registration may collide with."""
    matches = []
    distinctive = " ".join(name_tokens(name_normalised))
    for kind, pk, other_name, other_words, other_domain, other_product, account_name in _candidates(
            domain=domain, name_normalised=name_normalised, tokens=tokens,
            exclude_deal_id=exclude_deal_id):
        same_domain = bool(domain) and other_domain == domain
        if same_domain:
            score = 100
        else:
            score = _name_score(name_normalised, other_name, distinctive, other_words)
            if score < SIMILAR_NAME_THRESHOLD:
                continue
        if kind == "deal":
            reason = Reason.SAME_DOMAIN if same_domain else Reason.SIMILAR_NAME
            matches.append(Match(reason, score, deal=Deal(pk=pk, product_id=other_product),
                                 same_product=other_product == product_id))
        else:
            account = CustomerAccount(pk=pk, name=account_name, name_normalised=other_name,
                                      domain=other_domain)
            matches.append(Match(Reason.DIRECT_CUSTOMER, score, account=account))
    return sorted(matches, key=lambda m: (-m.score, m.reason))


Reason = DealConflict.Reason


def exact_conflict(matches: list[Match]) -> Match | None:
    """Same customer domain and product line already open: refused at the door."""
    return next((m for m in matches if m.reason == Reason.SAME_DOMAIN and m.same_product), None)
