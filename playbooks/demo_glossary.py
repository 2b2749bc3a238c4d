"""Demo data of the glossary and the content library: about 40 terms of a partner program
with discouraged words (English and German), German translations, and a dozen content
items, some of them only for certain partner types or tiers.

``seed`` is idempotent: the glossary is only seeded while the tenant has no terms, the
library only while it has no items. A tenant whose language is German gets the German
wording as its base record and the English one as the translation.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from deals.models import DealStage
from playbooks import content, glossary
from playbooks.models import ContentItem, GlossaryTerm
from prm.models import Tenant
from prm.tenancy import tenant_scope

# name, category, definition, examples, synonyms, discouraged [(phrase, say instead, reason)]
TERMS: list[tuple[str, str, str, str, list[str], list[tuple[str, str, str]]]] = [
    ("Registered opportunity", "Deals",
     "A customer opportunity that a partner has registered and the vendor has approved. It "
     "is protected for the registering partner until its protection period ends.",
     "Northwind's registered opportunity at Globomantics is protected until the end of June.",
     ["approved registration"],
     [("lead", "registered opportunity",
       "Once a deal is registered and approved it is a registered opportunity, not a lead.")]),
    ("Deal registration", "Deals",
     "A partner records an opportunity with the vendor to claim it and ask for protection. "
     "A registration is submitted, reviewed by a channel manager, then approved or declined.",
     "Submit the deal registration before the first meeting with the customer.",
     ["registration"],
     [("deal reg", "deal registration",
       "Write it out: abbreviations confuse partners who are new to the program."),
      ("sign up", "register",
       "Partners register deals and apply to the program; nothing is signed up.")]),
    ("Channel conflict", "Deals",
     "Two partners, or a partner and the vendor's direct sales team, pursue the same "
     "customer opportunity. The program resolves it by the rules of engagement.",
     "The second registration for Stark Industrial was flagged as a channel conflict.",
     [], [("turf war", "channel conflict",
           "Name the situation neutrally: it has a defined resolution process.")]),
    ("Protection period", "Deals",
     "The time a registered opportunity stays reserved for the registering partner: 90 days "
     "unless the program says otherwise. It can be extended once on request.",
     "Ask for an extension before the protection period ends.",
     ["deal protection"],
     [("exclusivity", "protection period",
       "Protection is limited in time and conditional; exclusivity promises more.")]),
    ("Deal stage", "Deals",
     "One of the program's ordered sales stages (Qualify, Discover, Propose, Negotiate, "
     "Commit). Each stage has entry and exit criteria in the playbook.",
     "Move the deal to the Propose stage once the customer has agreed the scope.",
     ["sales stage"], []),
    ("Qualified opportunity", "Deals",
     "An opportunity that meets the entry criteria of the Qualify stage: budget, authority, "
     "need and timeline are confirmed.",
     "Only a qualified opportunity goes into the forecast.", [],
     [("hot lead", "qualified opportunity",
       "Say what was checked: a qualified opportunity meets the Qualify stage's criteria.")]),
    ("Pipeline", "Deals",
     "All open registered opportunities of a partner or of the program, by deal stage and "
     "value.",
     "Northwind's pipeline doubled after the QBR.", [],
     [("funnel", "pipeline",
       "We measure a pipeline of registered opportunities by stage, not a funnel.")]),
    ("Expected close date", "Deals",
     "The date the partner expects the customer to sign. It drives the forecast and the "
     "review of stale deals.",
     "Update the expected close date whenever the customer's timeline changes.", [], []),
    ("Partner-sourced opportunity", "Deals",
     "An opportunity the partner found and brought to the vendor.",
     "Partner-sourced opportunities earn the full partner margin.", [], []),
    ("Partner-influenced opportunity", "Deals",
     "An opportunity the vendor found, where a partner's work helped to win it.",
     "The workshop Contoso ran made this a partner-influenced opportunity.", [], []),
    ("Co-selling", "Deals",
     "The vendor and a partner work a deal together, with agreed roles recorded on the "
     "deal's timeline.",
     "For deals above 100,000 EUR we offer co-selling with a solution engineer.", [], []),
    ("Win/loss review", "Deals",
     "A short review after a deal is won or lost: what decided it and what to repeat.",
     "Hold the win/loss review within two weeks of the decision.", [], []),
    ("Partner tier", "Program",
     "A level of the partner program (Registered, Silver, Gold, Platinum). Each tier has "
     "requirements and benefits; partners move up as they meet them.",
     "Gold is the partner tier that unlocks market development funds.", ["tier"],
     [("partner level", "partner tier", "The program's levels are called tiers.")]),
    ("Partner margin", "Program",
     "The share of the list price a partner keeps on a resale; it is set by the partner's "
     "tier.",
     "The partner margin at Silver is 12 percent.", [],
     [("reseller discount", "partner margin",
       "It is the margin the partner earns, not a discount for the customer."),
      ("kickback", "partner margin", "Never call earned margin a kickback.")]),
    ("Partner type", "Program",
     "What a partner does in the program: reseller, referral partner, technology partner, "
     "managed service provider or distributor.",
     "Content can be limited to one partner type.", [], []),
    ("Reseller", "Program",
     "A partner that buys from the vendor or a distributor and sells to the customer on its "
     "own paper, usually with services of its own.",
     "Northwind is a reseller in both programs.", ["value-added reseller"],
     [("box shifter", "reseller",
       "Disparaging: resellers add services and advice, not just boxes.")]),
    ("Referral partner", "Program",
     "A partner that introduces customers and earns a referral fee; the vendor contracts the "
     "customer directly.",
     "A referral partner registers the opportunity like any other partner.", [],
     [("finder's fee", "referral fee",
       "The program pays a referral fee under the partner agreement.")]),
    ("Managed service provider", "Program",
     "A partner that runs the product for its customers as a service, usually billed "
     "monthly.",
     "Managed service providers report usage every month.", ["MSP"], []),
    ("Distributor", "Program",
     "A partner that buys from the vendor and supplies resellers, handling logistics, credit "
     "and often enablement.",
     "Order through your distributor unless you are a Platinum partner.", [], []),
    ("Technology partner", "Program",
     "A company whose product integrates with ours; it co-sells and co-markets but does not "
     "resell.",
     "Our technology partners are listed in the integration catalogue.", ["ISV partner"], []),
    ("Partner agreement", "Program",
     "The contract between the vendor and a partner. It sets the partner type, the tier "
     "rules, the margins and both sides' obligations.",
     "The partner agreement is renewed every year.", [], []),
    ("Partner onboarding", "Program",
     "The track every new partner follows: company profile, training, first certification "
     "and first registered opportunity.",
     "Partner onboarding takes about six weeks.", ["onboarding track"], []),
    ("Certification", "Program",
     "Proof that a person at a partner passed the vendor's exam for a product or role. "
     "Certified people count toward tier requirements.",
     "Two sales certifications are needed for Silver.", [], []),
    ("Enablement", "Program",
     "Training, content and coaching that help partners sell and deliver.",
     "The enablement plan is part of every business plan.", [], []),
    ("Partner portal", "Program",
     "This site: where partners register deals, work through onboarding and find the "
     "content library.",
     "Every price list is in the partner portal.", ["portal"],
     [("extranet", "partner portal", "An outdated word: say partner portal.")]),
    ("Channel manager", "Program",
     "The vendor's person responsible for a set of partners: reviews registrations, plans "
     "the business with them and watches partner health.",
     "Your channel manager approves registrations within two working days.",
     ["partner manager"],
     [("channel rep", "channel manager", "Use the role's name as the program defines it.")]),
    ("Partner health score", "Program",
     "A score from 0 to 100 built from engagement, pipeline, certifications and "
     "satisfaction. It warns early when a partner drifts.",
     "A partner health score below 40 triggers a call from the channel manager.",
     ["health score"], []),
    ("Business plan", "Program",
     "The yearly plan a partner and its channel manager agree: targets, activities and "
     "investments.",
     "The business plan is reviewed at every QBR.", [], []),
    ("QBR", "Program",
     "Quarterly business review: the meeting of partner and channel manager every quarter "
     "to review the business plan, the pipeline and next steps.",
     "Bring the pipeline report to the QBR.", ["quarterly business review"],
     [("quarterly check-in", "QBR", "The QBR has a fixed agenda; call it by its name.")]),
    ("Rules of engagement", "Program",
     "The written rules that decide who works a customer when partners or the vendor's "
     "direct team meet at the same account.",
     "The rules of engagement settle every channel conflict.", [], []),
    ("MDF", "Marketing",
     "Market development funds: money the vendor gives partners for approved marketing "
     "activities, paid against proof of performance.",
     "Gold partners can claim MDF for events and campaigns.",
     ["market development funds"],
     [("free money", "MDF",
       "MDF is earned and paid only against proof of performance.")]),
    ("Proof of performance", "Marketing",
     "Evidence that a funded marketing activity took place (invoice, attendee list, "
     "screenshots), required before an MDF claim is paid.",
     "Upload the proof of performance within 30 days of the event.", [], []),
    ("Co-branded content", "Marketing",
     "Material that carries both the vendor's and the partner's brand, made from approved "
     "templates.",
     "Co-branded content needs no further approval when made from the templates.", [], []),
    ("Campaign in a box", "Marketing",
     "A ready-made marketing campaign (e-mails, landing page, social posts) that partners "
     "run under their own brand.",
     "The cloud migration campaign in a box is in the content library.", [], []),
    ("Battle card", "Sales",
     "A one-page comparison with a competitor: where we win, where we lose and how to "
     "answer objections.",
     "Read the battle card before the second meeting.", [],
     [("cheat sheet", "battle card", "It is a maintained sales tool, not a cheat sheet.")]),
    ("Case study", "Sales",
     "A published customer story with measurable results, approved by the customer.",
     "Send the Umbrella Health case study to healthcare prospects.", ["customer story"], []),
    ("Talk track", "Sales",
     "A short script for one stage of the sale: the questions to ask and the points to "
     "make. Talk tracks live in the playbook.",
     "Use the discovery talk track in the first call.", [],
     [("sales pitch", "talk track",
       "A talk track guides a conversation; it is not a pitch.")]),
    ("Objection handling", "Sales",
     "Prepared answers to the concerns customers raise most often, kept in the playbook for "
     "each stage.",
     "Objection handling for pricing is in the Negotiate stage.", [], []),
    ("Playbook", "Sales",
     "The program's documented way of selling: for each deal stage its inputs, activities "
     "and outputs.",
     "The mid-market playbook has six stages.", [], []),
    ("Customer", "Sales",
     "The organisation that buys and uses the product, whichever partner sold it.",
     "Register the customer's legal name and domain.", ["account"],
     [("end user", "customer", "Say customer: the organisation that buys, not one person."),
      ("client", "customer", "One word for one thing: customer.")]),
    ("Partner of record", "Sales",
     "The partner credited with a customer's account, for margins and renewals.",
     "The partner of record keeps the renewal while it stays active in the program.", [], []),
    ("Renewal", "Sales",
     "Extending a customer's subscription at the end of its term.",
     "Renewals are registered like new deals, ninety days before the end of the term.",
     [], []),
    ("Price list", "Sales",
     "The vendor's current list prices, from which partner margins are calculated.",
     "The 2026 price list applies to every quote from January.", [], []),
]

# English name → German name, definition, examples
GERMAN: dict[str, tuple[str, str, str]] = {
    "Registered opportunity": (
        "Registrierte Opportunity",
        "Eine Kundenchance, die ein Partner registriert und der Hersteller freigegeben hat. "
        "Sie ist bis zum Ende ihrer Schutzfrist für den registrierenden Partner reserviert.",
        "Die registrierte Opportunity von Northwind bei Globomantics ist bis Ende Juni "
        "geschützt."),
    "Deal registration": (
        "Deal-Registrierung",
        "Ein Partner meldet eine Chance beim Hersteller, um sie zu beanspruchen und Schutz "
        "zu beantragen. Eine Registrierung wird eingereicht, von einem Channel-Manager "
        "geprüft und dann freigegeben oder abgelehnt.",
        "Reichen Sie die Deal-Registrierung vor dem ersten Kundentermin ein."),
    "Channel conflict": (
        "Kanalkonflikt",
        "Zwei Partner oder ein Partner und der Direktvertrieb des Herstellers verfolgen "
        "dieselbe Kundenchance. Das Programm löst ihn nach den Spielregeln.",
        "Die zweite Registrierung für Stark Industrial wurde als Kanalkonflikt markiert."),
    "Protection period": (
        "Schutzfrist",
        "Die Zeit, in der eine registrierte Opportunity für den registrierenden Partner "
        "reserviert bleibt: 90 Tage, sofern das Programm nichts anderes festlegt.",
        "Beantragen Sie eine Verlängerung, bevor die Schutzfrist endet."),
    "Deal stage": (
        "Verkaufsphase",
        "Eine der geordneten Verkaufsphasen des Programms. Jede Phase hat im Playbook "
        "Eintritts- und Austrittskriterien.", ""),
    "Partner tier": (
        "Partnerstufe",
        "Eine Stufe des Partnerprogramms (Registered, Silver, Gold, Platinum) mit eigenen "
        "Anforderungen und Vorteilen.",
        "Gold ist die Partnerstufe, ab der Marketingfonds zur Verfügung stehen."),
    "Partner margin": (
        "Partnermarge",
        "Der Anteil am Listenpreis, den ein Partner bei einem Weiterverkauf behält; er hängt "
        "von der Partnerstufe ab.",
        "Die Partnermarge in der Stufe Silver beträgt 12 Prozent."),
    "MDF": (
        "MDF",
        "Marketingfonds (Market Development Funds): Mittel des Herstellers für freigegebene "
        "Marketingaktivitäten von Partnern, ausgezahlt gegen Leistungsnachweis.",
        "Gold-Partner können MDF für Veranstaltungen und Kampagnen abrufen."),
    "QBR": (
        "QBR",
        "Quarterly Business Review: das vierteljährliche Treffen von Partner und "
        "Channel-Manager zu Businessplan, Pipeline und nächsten Schritten.",
        "Bringen Sie den Pipeline-Bericht zum QBR mit."),
    "Channel manager": (
        "Channel-Manager",
        "Die Person beim Hersteller, die für eine Gruppe von Partnern zuständig ist: prüft "
        "Registrierungen, plant das Geschäft mit ihnen und beobachtet die Partnergesundheit.",
        "Ihr Channel-Manager gibt Registrierungen innerhalb von zwei Arbeitstagen frei."),
    "Battle card": (
        "Battle Card",
        "Ein einseitiger Vergleich mit einem Wettbewerber: wo wir gewinnen, wo wir verlieren "
        "und wie man Einwände beantwortet.",
        "Lesen Sie die Battle Card vor dem zweiten Termin."),
    "Case study": (
        "Fallstudie",
        "Eine veröffentlichte, vom Kunden freigegebene Kundengeschichte mit messbaren "
        "Ergebnissen.", ""),
    "Customer": (
        "Kunde",
        "Die Organisation, die das Produkt kauft und nutzt, gleich welcher Partner es "
        "verkauft hat.",
        "Registrieren Sie den rechtlichen Namen und die Domain des Kunden."),
    "Talk track": (
        "Gesprächsleitfaden",
        "Ein kurzes Skript für eine Phase des Verkaufs: die Fragen, die man stellt, und die "
        "Punkte, die man macht. Gesprächsleitfäden stehen im Playbook.", ""),
    "Partner portal": (
        "Partnerportal",
        "Diese Website: Hier registrieren Partner Deals, durchlaufen das Onboarding und "
        "finden die Inhaltsbibliothek.", ""),
    "Price list": (
        "Preisliste",
        "Die aktuellen Listenpreise des Herstellers, aus denen die Partnermargen berechnet "
        "werden.", ""),
}

# English term name → German discouraged phrases (phrase, say instead, reason)
GERMAN_DISCOURAGED: dict[str, list[tuple[str, str, str]]] = {
    "Registered opportunity": [
        ("Lead", "registrierte Opportunity",
         "Sobald ein Deal registriert und freigegeben ist, ist er eine registrierte "
         "Opportunity, kein Lead.")],
    "Partner margin": [
        ("Händlerrabatt", "Partnermarge",
         "Es ist die Marge, die der Partner verdient, kein Rabatt für den Kunden.")],
    "Partner tier": [
        ("Partnerlevel", "Partnerstufe", "Die Stufen des Programms heißen Partnerstufen.")],
    "Protection period": [
        ("Exklusivität", "Schutzfrist",
         "Der Schutz ist befristet und an Bedingungen geknüpft; Exklusivität verspricht "
         "mehr.")],
    "Customer": [
        ("Endkunde", "Kunde", "Ein Wort für eine Sache: Kunde.")],
    "Battle card": [
        ("Spickzettel", "Battle Card", "Sie ist ein gepflegtes Vertriebswerkzeug.")],
}

# title, description, tags, partner types, minimum tier rank, deal stages, path or file
CONTENT: list[tuple[str, str, list[str], list[str], int | None, list[str], str]] = [
    ("Battle card: Acme vs. Globomantics Cloud",
     "Where we win against Globomantics Cloud, where we lose, and the three objections "
     "you will hear in every deal.",
     ["battle card", "competition"], [], 2, ["Propose", "Negotiate"],
     "battle-cards/globomantics"),
    ("Battle card: Acme vs. Initrode Suite",
     "A one-page comparison for resellers and distributors meeting Initrode in tenders.",
     ["battle card", "competition"], ["reseller", "distributor"], None, ["Propose"],
     "battle-cards/initrode"),
    ("Case study: Umbrella Health cuts onboarding time by 40%",
     "How a hospital group rolled out Acme in twelve weeks with its partner.",
     ["case study", "healthcare"], [], None, ["Discover", "Propose"],
     "case-studies/umbrella-health"),
    ("Case study: Stark Industrial migrates 3,000 seats",
     "A manufacturing customer moves from on-premises to the cloud without downtime.",
     ["case study", "manufacturing"], [], None, ["Discover"],
     "case-studies/stark-industrial"),
    ("Case study: City of Springfield",
     "A public sector customer run by a managed service provider.",
     ["case study", "public sector"], ["reseller", "msp"], None, ["Propose"],
     "case-studies/springfield"),
    ("Partner price list 2026 (EUR)",
     "List prices and the partner margin of every tier, valid from 1 January 2026.",
     ["pricing"], ["reseller", "distributor"], 1, ["Propose", "Negotiate"],
     "file:price-list-2026.pdf"),
    ("Distributor price list 2026",
     "Buy prices and volume rebates for distributors.",
     ["pricing"], ["distributor"], 2, ["Negotiate"], "pricing/distributor-2026"),
    ("Platinum pricing exceptions guide",
     "When and how to ask for a special price, and who approves it.",
     ["pricing", "process"], [], 4, ["Negotiate", "Commit"], "pricing/exceptions"),
    ("Deal registration: how it works",
     "A five-minute video on registering a deal, protection periods and channel conflicts.",
     ["process", "training"], [], None, ["Qualify"], "training/deal-registration"),
    ("MDF claim guide and template",
     "How to plan, run and claim a funded campaign, with the proof of performance checklist.",
     ["MDF", "marketing"], [], 3, [], "marketing/mdf-claims"),
    ("Campaign in a box: cloud migration",
     "E-mails, a landing page and social posts to run under your own brand.",
     ["marketing", "campaign"], ["reseller", "msp", "referral"], None, ["Qualify"],
     "marketing/cloud-migration-campaign"),
    ("Discovery call talk track",
     "The questions for the first customer call and how to qualify the opportunity.",
     ["talk track", "training"], [], None, ["Discover"], "training/discovery-talk-track"),
    ("Product overview deck",
     "The current product presentation for first meetings.",
     ["presentation"], [], None, ["Qualify", "Discover"], "file:product-overview.pdf"),
    ("MSP service catalogue template",
     "A template to describe your managed service built on Acme.",
     ["msp", "template"], ["msp"], None, [], "templates/msp-catalogue"),
]

DEMO_LINK_BASE = "https://partners.example.com/"


def seed(*, tenant_slug: str) -> None:
    """Idempotent: the glossary while the tenant has no terms, the library while it has no
    items."""
    tenant = Tenant.objects.get(slug=tenant_slug)
    with tenant_scope(tenant):
        if not GlossaryTerm.objects.exists():
            _seed_glossary(german_base=tenant.locale == "de")
        if not ContentItem.objects.exists():
            _seed_content()


def _seed_glossary(*, german_base: bool) -> None:
    for name, category, definition, examples, synonyms, discouraged in TERMS:
        german = GERMAN.get(name)
        base = (name, definition, examples)
        if german_base and german:
            base = german
        term = glossary.term_create(
            actor=None, name=base[0], definition=base[1], examples=base[2],
            category=category, synonyms=synonyms,
            discouraged=[{"phrase": phrase, "replacement": say, "reason": reason,
                          "locale": "en"} for phrase, say, reason in discouraged]
            + [{"phrase": phrase, "replacement": say, "reason": reason, "locale": "de"}
               for phrase, say, reason in GERMAN_DISCOURAGED.get(name, [])])
        if german:
            locale, (t_name, t_definition, t_examples) = (
                ("en", (name, definition, examples)) if german_base else ("de", german))
            glossary.translation_set(actor=None, term=term, locale=locale, name=t_name,
                                     definition=t_definition, examples=t_examples)


def _seed_content() -> None:
    stages = {stage.name: stage for stage in DealStage.objects.all()}
    with_files = bool(settings.MEDIA_ROOT)  # never write uploads into the working directory
    for title, description, tags, types, rank, stage_names, where in CONTENT:
        upload, url = None, ""
        if where.startswith("file:"):
            if with_files:
                upload = SimpleUploadedFile(where[5:], _tiny_pdf(title),
                                            content_type="application/pdf")
            else:
                url = DEMO_LINK_BASE + where[5:]
        else:
            url = DEMO_LINK_BASE + where
        content.content_create(
            actor=None, title=title, description=description, url=url, file=upload,
            tags=tags, partner_types=types, min_tier_rank=rank,
            stages=[stages[name] for name in stage_names if name in stages])


def _tiny_pdf(title: str) -> bytes:
    """A valid one-page PDF showing ``title`` (demo files without a PDF library)."""
    text = title.encode("latin-1", "replace").replace(b"\\", b"").replace(b"(", b"").replace(
        b")", b"")
    stream = b"BT /F1 18 Tf 72 720 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream
        + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n"
            "%%EOF\n").encode()
    return bytes(out)
