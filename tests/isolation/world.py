"""The world the isolation suite probes: tenant A with a named row of every kind, most of
them carrying a marker; tenant B's admin with an API key; a snapshot of a tenant's rows;
and how a partner organisation of tenant A is meant to see each of A's rows.

Ids are per table, so one number can be a row of several tables. Two helpers move the id
sequences (``nextval`` only, which the app role may call; sequences are not rolled back,
so later tests merely get larger ids): ``spread_ids`` gives each table a band of its own
before the cast exists, so the cast's rows have ids no row of another table has;
``align_ids`` starts every table at the same next id. The world aligns once before the
rows every partner may see, and again before the rows a partner must not see: a probe
with the id of a row of the second group can then never be the id of a row of the
first, in any table, while the rows of the second group share a few ids between them,
which keeps the number of probes small.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import Model
from django.utils import timezone

from prm.tenancy import TenantModel, tenant_scope

# marker → the name of the row (in ``World.rows``) whose list or detail output shows it
MARKERS = {
    # the cast
    "ada@acme.test": "admin",
    "max@acme.test": "manager",
    "pat@northwind.test": "partner_admin",
    "paul@contoso.test": "partner_user",
    "Northwind Traders": "northwind",
    "Contoso Ltd": "contoso",
    # the vendor's own work
    "invitee@acme-secret.test": "invitation",
    "acme-secret-key": "manager_key",
    "acme-secret-tier": "tier",
    "Secret Applicant": "application",
    "acme-secret-import.csv": "partner_import",
    "Secret Import Partner": "partner_import",
    # one language
    "acme-secret-term": "term",
    "acme-secret-phrase": "phrase",
    "acme-secret-begriff": "translation",
    # playbooks: the published version, the draft, a playbook never published
    "acme-secret-playbook": "playbook",
    "acme-secret-change": "published_version",
    "acme-secret-talk": "published_stage",
    "acme-secret-activity": "published_activity",
    "acme-secret-draft-talk": "draft_stage",
    "acme-secret-draft-activity": "draft_activity",
    "acme-secret-unpublished": "unpublished_playbook",
    # the content library: a link for everyone, a file for managed service providers
    "acme-secret-link": "link",
    "acme-secret-file": "file",
    # Northwind's (registered by the cast's partner admin)
    "Secret Customer": "deal",
    "acme-secret-note": "note",
    "acme-secret-step": "plan_item",
    "northwind-secret-comment": "comment",
    "northwind-secret-key": "northwind_key",
    "invitee@northwind-secret.test": "northwind_invitation",
    "nora@northwind.test": "colleague",
    # Contoso's own (the cast's partner user and a partner admin of Contoso)
    "cleo@contoso.test": "contoso_admin",
    "contoso-own-key": "own_key",
    "Contoso Own Buyer": "own_deal",
    "contoso-own-step": "own_item",
}
PDF = b"%PDF-1.4\n% acme-secret-file\n%%EOF\n"


def tenant_models() -> list[type[Model]]:
    return [model for model in apps.get_models() if issubclass(model, TenantModel)]


# --- ids ------------------------------------------------------------------------------

def _sequences() -> list[tuple[str, int]]:
    """(sequence, last value) of every tenant table's id; the event log, the table that
    grows fastest, comes last."""
    models = sorted(tenant_models(), key=lambda m: (m._meta.label == "prm.Event", m._meta.label))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.seq::text, coalesce(s.last_value, 0)"
            " FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS u(tab, col, n)"
            " CROSS JOIN LATERAL (SELECT pg_get_serial_sequence(u.tab, u.col)::regclass AS seq) t"
            " JOIN pg_sequences s"
            "   ON format('%%I.%%I', s.schemaname, s.sequencename)::regclass = t.seq"
            " ORDER BY u.n",
            [[m._meta.db_table for m in models], [m._meta.pk.column for m in models]])
        return [(str(seq), last) for seq, last in cursor.fetchall()]


def _move_sequences(target: Callable[[int, int], int]) -> None:
    """Call ``nextval`` until the i-th sequence's last value is ``target(i, top)``."""
    sequences = _sequences()
    top = max(last for _seq, last in sequences)
    with connection.cursor() as cursor:
        for i, (seq, last) in enumerate(sequences):
            if target(i, top) > last:
                cursor.execute("SELECT count(nextval(%s::regclass)) FROM generate_series(1, %s)",
                               [seq, target(i, top) - last])


def spread_ids(band: int = 20) -> None:
    """Every tenant table's next ids in a band of its own (the event log's is open-ended)."""
    _move_sequences(lambda i, top: top + i * band)


def align_ids() -> None:
    """Every tenant table's next id the same."""
    _move_sequences(lambda _i, top: top)


# --- the world ------------------------------------------------------------------------

@dataclass
class World:
    cast: object
    rows: dict[str, Model]   # every named row of tenant A, the cast's included
    b_key: str               # tenant B's admin's API key
    own_key: str             # Contoso's partner user's API key (tenant A)


def build_world(cast) -> World:
    """Tenant B's key, then tenant A's rows: those every partner may see, then the rest."""
    from prm.services import api_key_create

    with tenant_scope(cast.globex):
        _key, b_key = api_key_create(actor=None, membership=cast.other_admin, name="b")
    rows: dict[str, Model] = {
        "admin": cast.admin, "manager": cast.manager, "partner_admin": cast.partner_admin,
        "partner_user": cast.partner_user, "northwind": cast.northwind,
        "contoso": cast.contoso}
    with tenant_scope(cast.acme):
        align_ids()
        own_key = _rows_for_everyone_and_contoso(cast, rows)
        align_ids()
        _rows_not_for_contoso(cast, rows)
    return World(cast, rows, b_key, own_key)


def _rows_for_everyone_and_contoso(cast, rows: dict[str, Model]) -> str:
    """The program's tier, product, stage, glossary, published playbook and a link of the
    library; Contoso's own people, key, deal and step. Returns Contoso's API key."""
    from deals.services import deal_submit
    from deals.services_timeline import action_item_add
    from partners.services import tier_create
    from playbooks import content, glossary, services
    from prm.services import api_key_create, membership_create
    from tests.factories import DealStageFactory, ProductLineFactory

    actor = cast.admin.user
    rows["tier"] = tier_create(actor=actor, name="acme-secret-tier", rank=1)
    rows["product"] = ProductLineFactory(tenant=cast.acme)
    rows["stage"] = DealStageFactory(tenant=cast.acme)
    rows["term"] = term = glossary.term_create(actor=actor, name="acme-secret-term",
                                               definition="What the program calls it.")
    rows["phrase"] = glossary.discouraged_add(actor=actor, term=term,
                                              phrase="acme-secret-phrase")
    rows["translation"] = glossary.translation_set(
        actor=actor, term=term, locale="de", name="acme-secret-begriff",
        definition="Wie das Programm es nennt.")
    rows["playbook"] = playbook = services.playbook_create(
        actor=actor, name="acme-secret-playbook", deal_stages=[rows["stage"]])
    draft, _created = services.draft_get_or_create(actor=actor, playbook=playbook)
    rows["published_stage"] = stage = draft.stages.get()
    services.stage_update(actor=actor, stage=stage, talk_track="acme-secret-talk")
    rows["published_activity"] = services.activity_add(actor=actor, stage=stage,
                                                       title="acme-secret-activity")
    rows["published_version"] = services.draft_publish(actor=actor, version=draft,
                                                       change_note="acme-secret-change")
    rows["link"] = content.content_create(actor=actor, title="acme-secret-link",
                                          url="https://acme-secret.test/link")
    rows["contoso_admin"] = membership_create(actor=actor, email="cleo@contoso.test",
                                              role="partner_admin", partner=cast.contoso)
    key, secret = api_key_create(actor=cast.partner_user.user, membership=cast.partner_user,
                                 name="contoso-own-key")
    rows["own_key"] = key
    rows["own_deal"], _matches = deal_submit(
        member=cast.partner_user, partner=cast.contoso, customer_name="Contoso Own Buyer",
        customer_domain="contoso-own.test", customer_country="DE", product=rows["product"],
        amount=Decimal("20"), currency="EUR",
        expected_close_date=timezone.localdate() + timedelta(days=30))
    rows["own_item"] = action_item_add(member=cast.partner_user, deal=rows["own_deal"],
                                       title="contoso-own-step")
    return secret


def _rows_not_for_contoso(cast, rows: dict[str, Model]) -> None:
    """The vendor's invitations, key, application, import, drafts and a file for another
    partner type; Northwind's deal with its note, comment, step, tick and everything
    else of Northwind's: people, invitation, key, acknowledgement."""
    from deals.services import deal_submit
    from deals.services_timeline import action_item_add, timeline_add
    from partners.imports import partner_import_upload
    from partners.services import application_submit
    from playbooks import content, services
    from prm.services import api_key_create, invitation_create, membership_create

    actor = cast.admin.user
    pat = cast.partner_admin
    rows["invitation"] = invitation_create(actor=actor, email="invitee@acme-secret.test",
                                           role="channel_manager")
    rows["manager_key"], _secret = api_key_create(actor=cast.manager.user,
                                                  membership=cast.manager,
                                                  name="acme-secret-key")
    rows["application"] = application_submit(
        company_name="Secret Applicant", website="https://applicant.acme-secret.test",
        country="DE", partner_type="msp", contact_name="A", contact_email="a@applicant.test",
        message="hello")
    rows["partner_import"] = partner_import_upload(
        actor=actor, filename="acme-secret-import.csv",
        data=b"name,domain,type\nSecret Import Partner,secret-import.test,reseller\n")
    rows["file"] = content.content_create(
        actor=actor, title="acme-secret-file", partner_types=["msp"],
        file=SimpleUploadedFile("acme-secret-deck.pdf", PDF, content_type="application/pdf"))
    playbook = rows["playbook"]
    rows["draft_version"] = draft = services.draft_get_or_create(actor=actor,
                                                                 playbook=playbook)[0]
    rows["draft_stage"] = stage = draft.stages.get()
    services.stage_update(actor=actor, stage=stage, talk_track="acme-secret-draft-talk")
    rows["draft_activity"] = services.activity_update(
        actor=actor, activity=stage.activities.get(), title="acme-secret-draft-activity")
    rows["unpublished_playbook"] = services.playbook_create(actor=actor,
                                                            name="acme-secret-unpublished")
    rows["deal"], _matches = deal_submit(
        member=pat, partner=cast.northwind, customer_name="Secret Customer",
        customer_domain="acme-secret.test", customer_country="DE", product=rows["product"],
        amount=Decimal("10"), currency="EUR",
        expected_close_date=timezone.localdate() + timedelta(days=30))
    rows["note"] = timeline_add(member=cast.manager, deal=rows["deal"], kind="internal_note",
                                body="acme-secret-note")
    rows["comment"] = timeline_add(member=pat, deal=rows["deal"], kind="comment",
                                   body="northwind-secret-comment")
    rows["plan_item"] = action_item_add(member=cast.manager, deal=rows["deal"],
                                        title="acme-secret-step")
    rows["activity_check"] = services.deal_activity_tick(
        member=pat, deal=rows["deal"], activity=rows["published_activity"])
    rows["acknowledgement"], _new = services.version_acknowledge(
        member=pat, version=rows["published_version"])
    rows["colleague"] = membership_create(actor=pat.user, email="nora@northwind.test",
                                          role="partner_user", partner=cast.northwind)
    rows["northwind_invitation"] = invitation_create(
        actor=pat.user, email="invitee@northwind-secret.test", role="partner_user",
        partner=cast.northwind)
    rows["northwind_key"], _secret = api_key_create(actor=pat.user, membership=pat,
                                                    name="northwind-secret-key")


# --- state ----------------------------------------------------------------------------

def snapshot(tenant, *, ignore: frozenset[tuple[str, str]] = frozenset()) -> dict[str, list]:
    """Every row of every tenant table of ``tenant``, field by field, except the
    ``(model label, field name)`` pairs in ``ignore``."""
    state = {}
    with tenant_scope(tenant):
        for model in tenant_models():
            label = model._meta.label
            fields = [f.attname for f in model._meta.concrete_fields
                      if (label, f.name) not in ignore]
            state[label] = list(model.objects.order_by("pk").values_list(*fields))
    return state


# --- how a partner organisation sees tenant A ---------------------------------------------

def _content_open_to(item, index, partner) -> bool:
    tier = index.get(("partners.Tier", partner.tier_id))
    return ((not item.partner_types or partner.partner_type in item.partner_types)
            and (item.min_tier_rank is None or item.min_tier_rank <= (tier.rank if tier else 0)))


def _published(version_id, index) -> bool:
    return index[("playbooks.PlaybookVersion", version_id)].published_at is not None


# Rows of the program itself that every partner may see by design, whoever they are:
# a partner of another organisation seeing them is no leak. (label → which rows)
SHARED_WITH_EVERY_PARTNER: dict[str, Callable] = {
    # The tier ladder and its benefits are the program's, shown to every partner.
    "partners.Tier": lambda row, index, partner: True,
    # Specialisations are the program's list to choose from (the public apply page too).
    "partners.Specialisation": lambda row, index, partner: True,
    # Every partner registers deals for the program's product lines and stages.
    "deals.ProductLine": lambda row, index, partner: True,
    "deals.DealStage": lambda row, index, partner: True,
    # The glossary is the one language of the whole program; the language check tells
    # everyone which words to avoid.
    "playbooks.GlossaryTerm": lambda row, index, partner: True,
    "playbooks.GlossaryTranslation": lambda row, index, partner: True,
    "playbooks.DiscouragedPhrase": lambda row, index, partner: True,
    # Published playbooks are read, acknowledged and ticked off by every partner; drafts
    # and playbooks never published are the tenant admins' alone.
    "playbooks.Playbook": lambda row, index, partner: row.published_version_id is not None,
    "playbooks.PlaybookVersion": lambda row, index, partner: row.published_at is not None,
    "playbooks.PlaybookStage": lambda row, index, partner: _published(row.version_id, index),
    "playbooks.StageActivity": lambda row, index, partner: _published(
        index[("playbooks.PlaybookStage", row.stage_id)].version_id, index),
    # The library shows a partner the items open to its type and tier.
    "playbooks.ContentItem": _content_open_to,
    "playbooks.ContentStage": lambda row, index, partner: _content_open_to(
        index[("playbooks.ContentItem", row.content_id)], index, partner),
}
SHARED, OWN, FOREIGN, VENDOR = "shared", "own", "foreign", "vendor"


def named_to_every_partner(row: Model) -> bool:
    """The vendor's people (memberships without a partner) are named to a partner on its
    own deals, as the people who may own a step or be mentioned (``deals.services.
    deal_people``): their names and addresses are no secret to partners, although their
    memberships answer 404 to them like every other vendor row."""
    return row._meta.label == "prm.Membership" and row.partner_id is None


class Sight:
    """How ``partner`` is meant to see each row of its tenant, read from the data:

    - shared: the program's, for every partner (``SHARED_WITH_EVERY_PARTNER``);
    - own: its foreign keys lead to ``partner`` and to no other partner (an event
      counts as its subject's);
    - foreign: they lead to another partner organisation: another's deal, and everything
      under it, its people, keys and invitations;
    - vendor: they lead to no partner: the vendor's people, keys, invitations, imports,
      applications, drafts, items of the library closed to ``partner``.

    Partner people may see shared and own rows only.
    """

    def __init__(self, tenant, partner):
        with tenant_scope(tenant):
            self.index = {(model._meta.label, row.pk): row for model in tenant_models()
                          for row in model.objects.all()}
        self.partner = self.index[(partner._meta.label, partner.pk)]
        self._partners: dict[tuple[str, int], frozenset[int]] = {}

    def __call__(self, row: Model) -> str:
        key = (row._meta.label, row.pk)
        shared = SHARED_WITH_EVERY_PARTNER.get(key[0])
        if shared is not None and shared(self.index[key], self.index, self.partner):
            return SHARED
        partners = self.partners_of(key)
        if not partners:
            return VENDOR
        return OWN if partners == {self.partner.pk} else FOREIGN

    def partners_of(self, key: tuple[str, int]) -> frozenset[int]:
        if key in self._partners:
            return self._partners[key]
        self._partners[key] = frozenset()   # a cycle (playbook ⇄ version) leads nowhere
        row = self.index.get(key)
        found: set[int] = set()
        if row is None:
            pass
        elif key[0] == "partners.Partner":
            found.add(row.pk)
        elif key[0] == "prm.Event":
            if row.subject_id.isdigit():
                subject = apps.get_model(row.subject_type)._meta.label
                found |= self.partners_of((subject, int(row.subject_id)))
        else:
            for field in row._meta.concrete_fields:
                target = getattr(row, field.attname)
                if (field.many_to_one and field.name != "tenant" and target is not None
                        and issubclass(field.related_model, TenantModel)):
                    found |= self.partners_of((field.related_model._meta.label, target))
        self._partners[key] = frozenset(found)
        return self._partners[key]

    def one_id_of_every_kind(self, rows: Iterable[Model]) -> list[int]:
        """A few ids that between them name a row of every kind among ``rows``, a kind
        being a table and how the partner sees the row (published or draft, open or
        closed, its own or another's...). Ids are per table, so one id names rows of
        several tables: with these ids every route meets a row of each kind it reads."""
        kinds: dict[tuple[str, str], set[int]] = {}
        for row in rows:
            kinds.setdefault((row._meta.label, self(row)), set()).add(row.pk)
        chosen = []
        while kinds:
            candidates = sorted({pk for ids in kinds.values() for pk in ids})
            pk = max(candidates, key=lambda pk: sum(pk in ids for ids in kinds.values()))
            chosen.append(pk)
            kinds = {kind: ids for kind, ids in kinds.items() if pk not in ids}
        return sorted(chosen)

    def ids(self, *sights: str, exclude: tuple[str, ...] = ()) -> set[int]:
        """The ids of every row of the tenant seen as one of ``sights``."""
        return {pk for (label, pk), row in self.index.items()
                if label not in exclude and self(row) in sights}
