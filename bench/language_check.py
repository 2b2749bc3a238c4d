"""Bench: the glossary language check on a 5,000-word text against 1,000 terms.

The requirement (issue "Language check"): checking a 5,000-word text against 1,000 terms
takes well under 50 ms, so the check can run live as people type. Target: the warm
``language_check`` (the tenant's matcher already compiled) under 50 ms at the 90th
percentile.

The glossary: 1,000 terms with 1,250 English and 1,250 German discouraged phrases, a
mix of single words (jargon, old product and competitor names), multi-word phrases
(several sharing a first word that is common in the text, such as "partner" or "sales",
which is the matcher's expensive case) and hyphenated words ("co-sell", "Kick-off"). The
texts are generated with a fixed seed from a few hundred words of partner-program prose;
about one word in 40 is a discouraged word, planted as written or inflected ("leads",
"leveraging"), phrases with spaces, hyphens or none ("sign-up", "signup"), and there are
URLs and e-mail addresses containing discouraged words, which must not be flagged. Terms
and phrases are inserted set-based (``bulk_create``), then the tables are analysed, as
autovacuum would soon after a load.

Figures, each the median (and p90) of ``BENCH_LANGUAGE_RUNS`` calls, in milliseconds and
as a multiple of the baseline measured in the same run: one tokenising pass over the same
text, ``list(re.finditer(r"\\w+", text.lower()))``, the floor of any word-by-word check.

* ``Matcher.check`` alone: the compiled matcher, no database.
* ``language_check`` warm: what a live check pays (one revision query, then the check).
* warm with the word-form cache (``base_forms``) cleared: a text whose words were not seen.
* cold: the first call after a glossary change (a phrase added through
  ``discouraged_add``), which loads the phrases and compiles the matcher again.
* fresh process: no compiled matcher and no word-form cache.
* ``POST /api/v1/glossary/check/`` with an API key: the same check through the full stack.
* details: the revision query alone, compiling the matcher alone, and ``Matcher.check``
  with the phrases of 100 of the terms (how the check grows with the number of terms).

The same for a German text with ``locale="de"``. The number of findings, the share of the
planted uses found and the findings inside URLs or e-mail addresses (should be none) are
printed as a check on the figures, not asserted.

Called by ``bench/run.py``; runs alone too (``python bench/language_check.py``) on a
throw-away database created like the test suite's.
"""

from __future__ import annotations

import itertools
import os
import random
import re
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

TERMS = int(os.environ.get("BENCH_LANGUAGE_TERMS", "1000"))
WORDS = int(os.environ.get("BENCH_LANGUAGE_WORDS", "5000"))
RUNS = int(os.environ.get("BENCH_LANGUAGE_RUNS", "50"))
TARGET_MS = 50.0
PLANT_EVERY = 40      # about one word in 40 is a discouraged one
LINK_EVERY = 120      # about one URL or e-mail address per 120 words
SMALL_TERMS = 100     # a second matcher with fewer terms: the check's growth with terms

TENANT_SLUG = "bench-language"
HOST = f"{TENANT_SLUG}.localhost"

_BASELINE = re.compile(r"\w+")
BASELINE_LABEL = "baseline: str.lower() + re.finditer(r'\\w+')"

# --- the glossary ------------------------------------------------------------------------
# kinds: n noun (plural, possessive), v verb (-s, -ing, -ed), a adjective or fixed word,
# name (possessive only), np phrase (last word inflects), vp phrase (first word inflects),
# h hyphenated (written with a hyphen, a space or nothing).

EN_JARGON: list[tuple[str, str]] = [
    ("lead", "n"), ("funnel", "n"), ("synergy", "n"), ("bandwidth", "n"), ("mindshare", "n"),
    ("paradigm", "n"), ("deliverable", "n"), ("silo", "n"), ("touchpoint", "n"),
    ("stakeholder", "n"), ("wheelhouse", "n"), ("headcount", "n"), ("blocker", "n"),
    ("takeaway", "n"), ("ballpark", "n"), ("guru", "n"), ("ninja", "n"), ("rockstar", "n"),
    ("evangelist", "n"), ("whitelist", "n"), ("blacklist", "n"), ("chairman", "a"),
    ("salesman", "a"), ("manpower", "a"), ("dummy", "a"), ("tribe", "n"), ("cadence", "n"),
    ("runway", "n"), ("ideation", "n"), ("swag", "a"), ("kudos", "a"), ("hustle", "n"),
    ("actionable", "a"), ("seamless", "a"), ("robust", "a"), ("turnkey", "a"),
    ("scalable", "a"), ("holistic", "a"), ("disruptive", "a"), ("frictionless", "a"),
    ("omnichannel", "a"), ("exclusivity", "a"), ("leverage", "v"), ("onboard", "v"),
    ("upsell", "v"), ("incentivize", "v"), ("incentivise", "v"), ("ideate", "v"),
    ("socialize", "v"), ("operationalize", "v"), ("monetize", "v"), ("productize", "v"),
    ("strategize", "v"), ("disrupt", "v"), ("empower", "v"), ("ping", "v"), ("action", "v"),
    ("architect", "v"), ("synergize", "v"), ("evangelize", "v"), ("greenlight", "v"),
    ("sunset", "v"), ("offboard", "v"), ("upskill", "v"), ("reskill", "v"),
    ("crowdsource", "v"), ("sanity check", "np"), ("bleeding edge", "np"),
    ("game changer", "np"), ("low-hanging fruit", "np"), ("deep dive", "np"),
    ("quick win", "np"), ("heavy lifting", "np"), ("elevator pitch", "np"),
    ("hot lead", "np"), ("cold call", "np"), ("warm intro", "np"), ("deal reg", "np"),
    ("deal desk", "np"), ("price book", "np"), ("brain dump", "np"),
    ("thought leader", "np"), ("core competency", "np"), ("north star", "np"),
    ("turf war", "np"), ("war room", "np"), ("reach out", "vp"), ("touch base", "vp"),
    ("circle back", "vp"), ("drill down", "vp"), ("sign up", "vp"), ("log in", "vp"),
    ("follow up", "vp"), ("loop in", "vp"), ("boil the ocean", "vp"),
    ("move the needle", "vp"), ("think outside the box", "vp"), ("take it offline", "vp"),
    ("run it up the flagpole", "vp"), ("put a pin in it", "vp"),
    ("hit the ground running", "vp"), ("peel the onion", "vp"), ("co-sell", "h"),
    ("co-market", "h"), ("co-brand", "h"), ("pre-sales", "h"), ("post-sales", "h"),
    ("cross-sell", "h"), ("kick-off", "h"), ("hand-off", "h"), ("roll-out", "h"),
    ("set-up", "h"), ("check-in", "h"), ("go-live", "h"), ("opt-in", "h"), ("opt-out", "h"),
    ("buy-in", "h"), ("push-back", "h"), ("lock-in", "h"), ("add-on", "h"),
    ("follow-on", "h"), ("on-prem", "h"), ("self-serve", "h"), ("win-win", "h"),
    ("value-add", "h"), ("best-of-breed", "h"), ("world-class", "h"), ("cutting-edge", "h"),
    ("next-gen", "h"), ("customer-centric", "h"), ("mission-critical", "h"),
    ("growth-hack", "h"), ("double-click", "h"),
]
EN_PREFIXES = ["co", "re", "pre", "post", "cross", "multi", "self", "non", "sub", "over",
               "under", "inter", "mega", "hyper", "ultra", "omni"]
EN_ROOTS = ["growth", "deal", "scale", "market", "brand", "sell", "partner", "channel",
            "funnel", "cloud", "service", "platform", "portal", "tier", "margin", "quota",
            "target", "pitch", "launch", "stack"]
# First words of generated phrases: common in the text, so the matcher tries them often.
EN_MODIFIERS = ["partner", "sales", "customer", "deal", "channel", "market", "account",
                "product", "program", "service", "team", "revenue", "vendor", "solution",
                "business", "growth", "value", "quarter", "field", "marketing"]
EN_HEADS = ["funnel", "synergy", "bandwidth", "mindshare", "ninja", "guru", "hustle",
            "blitz", "huddle", "velocity", "motion", "storm", "machine", "engine", "factory",
            "juice", "magic", "hack", "radar", "sprint", "tsunami", "swamp", "cliff",
            "rockstar", "bootcamp", "kickback", "grab", "push", "wizard", "jedi"]

DE_JARGON: list[tuple[str, str]] = [
    ("Lead", "s"), ("Deal", "s"), ("Meeting", "s"), ("Call", "s"), ("Forecast", "s"),
    ("Funnel", "s"), ("Commitment", "s"), ("Deadline", "s"), ("Feedback", "s"),
    ("Workshop", "s"), ("Roadmap", "s"), ("Pitch", "es"), ("Onboarding", "s"),
    ("Upselling", "s"), ("Performance", "s"), ("Benchmark", "s"), ("Touchpoint", "s"),
    ("Stakeholder", "ns"), ("Mindset", "s"), ("Learnings", ""), ("Content", "s"),
    ("Slot", "s"), ("Task", "s"), ("Handout", "s"), ("Tool", "s"), ("Endkunde", "n"),
    ("Händler", "ns"), ("Wiederverkäufer", "ns"), ("Zwischenhändler", "ns"),
    ("Provision", "en"), ("Exklusivität", "en"), ("Spickzettel", "ns"),
    ("Partnerlevel", "s"), ("Händlerrabatt", "es"), ("Abschlussprämie", "n"),
    ("Vertriebler", "ns"), ("Teamplayer", "ns"), ("Synergie", "n"), ("Use Case", "s"),
    ("Best Practice", "s"), ("Key Account", "s"), ("Sales Pitch", "es"), ("Quick Win", "s"),
    ("Business Case", "s"), ("Big Picture", ""), ("Early Adopter", "ns"),
    ("Lessons Learned", ""), ("Case Study", ""), ("Deal Desk", "s"), ("Sales Funnel", "s"),
    ("Win-win-Situation", "en"), ("Cross-Selling", ""), ("Kick-off", "s"),
    ("Follow-up", "s"), ("Go-live", "s"), ("Roll-out", "s"), ("Check-in", "s"),
    ("Add-on", "s"), ("Opt-in", "s"), ("Lock-in", "s"), ("Co-Selling", ""),
    ("Hand-over", "s"), ("Set-up", "s"),
]
DE_PREFIXES = ["Co", "Re", "Pre", "Post", "Cross", "Multi", "Self", "Non", "Sub", "Over",
               "Mega", "Hyper", "Ultra", "Omni", "Super"]
DE_ROOTS = ["Selling", "Marketing", "Branding", "Service", "Channel", "Partner", "Cloud",
            "Growth", "Sales", "Scale", "Tier", "Quota", "Launch", "Stack", "Sourcing"]
DE_MODIFIERS = ["Partner", "Kunden", "Vertriebs", "Programm", "Produkt", "Markt", "Kanal",
                "Team", "Projekt", "Service", "Quartals", "Umsatz"]
DE_HEADS = ["Funnel", "Pipeline", "Lead", "Deal", "Meeting", "Call", "Pitch", "Forecast",
            "Roadmap", "Workshop", "Update", "Feedback", "Tool", "Slot", "Task", "Hack",
            "Booster", "Sprint", "Event", "Power", "Management", "Cockpit", "Challenge",
            "Kickoff", "Review"]

# Old product and competitor names: coinages, as in bench/deals.py.
_P = ["nor", "sud", "ost", "wes", "al", "bel", "cor", "dan", "el", "fal", "gar", "hal",
      "ion", "jor", "kal", "lor", "mar", "nex", "or", "pal", "quin", "ros", "sal", "tor",
      "ul", "val", "wil", "xan", "yor", "zen", "bra", "cle", "dra", "fre", "gro", "kro"]
_S = ["tix", "lia", "nova", "tron", "ware", "soft", "gen", "lab", "core", "path", "wave",
      "mark", "port", "vale", "ford", "dale", "ix", "ia", "io", "ica", "ent", "ara", "ova",
      "yn", "eon", "ius", "ant", "ino", "ero", "ity", "iq", "um", "ax", "os"]


def _words(phrase: str) -> tuple[str, ...]:
    return tuple(phrase.casefold().replace("-", " ").split())


def _phrases(locale: str, count: int, rng: random.Random) -> list[tuple[str, str]]:
    """``count`` distinct (phrase, kind), most common first: jargon, then generated ones."""
    if locale == "de":
        jargon = [(p, "h" if "-" in p else "np" if " " in p else "n") for p, _s in DE_JARGON]
        hyphenated = [f"{p}-{r}" for p in DE_PREFIXES for r in DE_ROOTS]
        compound = [f"{m}-{h}" for m in DE_MODIFIERS for h in DE_HEADS]
        names = [(p + s).title() for p in _P for s in _S]
    else:
        jargon = list(EN_JARGON)
        hyphenated = [f"{p}-{r}" for p in EN_PREFIXES for r in EN_ROOTS]
        compound = [f"{m} {h}" for m in EN_MODIFIERS for h in EN_HEADS]
        compound += [f"{m} {n} {h}" for m in EN_MODIFIERS[:6] for n in EN_MODIFIERS[6:12]
                     for h in EN_HEADS[:4]]
        names = [(p + s).title() for p in _P for s in _S]
    for pool in (hyphenated, compound, names):
        rng.shuffle(pool)
    rest = count - len(jargon)
    generated = ([(p, "h") for p in hyphenated[: rest // 5]]
                 + [(p, "np") for p in compound[: rest * 2 // 5]]
                 + [(p, "name") for p in names])
    seen: set[tuple[str, ...]] = set()
    chosen = []
    for phrase, kind in jargon + generated:
        words = _words(phrase)
        keys = {words, ("".join(words),)}
        if keys & seen:      # "up-sell" and "upsell" would be the same entry twice
            continue
        seen |= keys
        chosen.append((phrase, kind))
        if len(chosen) == count:
            break
    assert len(chosen) == count, (locale, len(chosen))
    return chosen


def _glossary(rng: random.Random) -> dict[str, list[tuple[str, str]]]:
    """Create TERMS terms with English and German phrases (set-based); returns the phrases
    per locale, most common first."""
    from playbooks.models import DiscouragedPhrase, GlossaryTerm

    per_locale = TERMS + TERMS // 4      # every fourth term has a second phrase
    phrases = {locale: _phrases(locale, per_locale, rng) for locale in ("en", "de")}
    categories = ["Deals", "Program", "Partners", "Enablement", "Marketing", "Product"]
    terms = GlossaryTerm.objects.bulk_create([
        GlossaryTerm(name=f"Program term {n:04d}", category=categories[n % len(categories)],
                     definition=f"Definition of program term {n:04d}, written once for all.",
                     synonyms=[])
        for n in range(TERMS)], batch_size=1_000)
    rows = []
    for locale, items in phrases.items():
        order = list(range(per_locale))
        rng.shuffle(order)       # terms get a mix of kinds, not the jargon first
        for slot, index in enumerate(order):
            phrase, _kind = items[index]
            term = terms[slot if slot < TERMS else (slot - TERMS) * 4]
            rows.append(DiscouragedPhrase(
                term=term, phrase=phrase, locale=locale,
                replacement=f"preferred {index}" if index % 3 == 0 else "",
                reason="" if index % 2 else f"Say the program's word instead of “{phrase}”."))
    DiscouragedPhrase.objects.bulk_create(rows, batch_size=1_000)
    return phrases


# --- the texts ---------------------------------------------------------------------------

EN_NOUNS = [
    "partner", "customer", "vendor", "program", "account", "product", "quarter", "team",
    "manager", "review", "meeting", "workshop", "proposal", "contract", "renewal", "margin",
    "discount", "price", "budget", "forecast", "target", "region", "territory", "market",
    "segment", "campaign", "event", "webinar", "training", "certification", "course",
    "module", "report", "dashboard", "metric", "goal", "plan", "strategy", "roadmap",
    "release", "feature", "integration", "platform", "solution", "service", "support",
    "request", "ticket", "issue", "question", "answer", "decision", "approval", "stage",
    "step", "activity", "task", "owner", "contact", "buyer", "champion", "sponsor", "board",
    "director", "executive", "engineer", "consultant", "specialist", "analyst", "reseller",
    "distributor", "integrator", "agency", "portal", "document", "guide", "template",
    "checklist", "agenda", "summary", "note", "invoice", "order", "quote", "licence",
    "subscription", "tier", "level", "benefit", "reward", "rebate", "incentive", "fund",
    "payment", "week", "month", "year", "day", "date", "schedule", "office", "country",
    "city", "industry", "sector", "business", "organisation", "department", "process",
    "policy", "rule", "term", "definition", "glossary", "language", "word", "message",
    "reply", "result", "outcome", "value", "cost", "risk", "advantage", "reason", "example",
    "case", "story", "reference", "demo", "trial", "pilot", "launch", "success", "growth",
    "revenue", "share", "volume", "number", "percentage", "total", "list", "table", "chart",
    "page", "section", "field", "form", "record", "file", "site", "system", "tool", "data",
    "database", "security", "compliance", "privacy", "audit", "standard", "requirement",
    "criterion", "milestone", "objective", "priority", "challenge", "problem",
    "opportunity", "registration", "protection", "period", "conflict", "channel",
    "pipeline", "marketing", "sales", "quota", "deal",
]
EN_VERBS = [
    "review", "approve", "register", "submit", "update", "share", "discuss", "agree",
    "plan", "confirm", "schedule", "prepare", "send", "receive", "check", "track",
    "measure", "report", "improve", "support", "help", "need", "expect", "want", "offer",
    "provide", "include", "explain", "describe", "define", "present", "propose",
    "negotiate", "close", "win", "lose", "renew", "extend", "start", "finish", "complete",
    "deliver", "build", "test", "train", "invite", "join", "meet", "call", "ask", "answer",
    "decide", "choose", "compare", "qualify", "document", "record", "publish", "read",
    "write", "keep", "make", "take", "give", "show", "see", "know", "find", "bring", "move",
    "run", "use", "set",
]
EN_IRREGULAR = {
    "send": "sent", "win": "won", "lose": "lost", "meet": "met", "make": "made",
    "take": "took", "give": "gave", "see": "saw", "know": "knew", "find": "found",
    "bring": "brought", "run": "ran", "set": "set", "keep": "kept", "write": "wrote",
    "read": "read", "choose": "chose", "build": "built", "plan": "planned", "agree": "agreed",
    "qualify": "qualified", "hit": "hit", "put": "put", "think": "thought",
}
EN_DOUBLED = {"plan", "run", "set", "win", "sunset", "log", "put", "hit"}
EN_ADJECTIVES = [
    "new", "open", "current", "next", "previous", "annual", "quarterly", "monthly",
    "weekly", "regional", "global", "local", "strategic", "technical", "commercial",
    "final", "early", "late", "clear", "simple", "complex", "important", "critical",
    "small", "large", "strong", "weak", "good", "better", "high", "low", "full", "partial",
    "recent", "certain", "possible", "available", "approved", "signed", "shared", "joint",
    "direct", "indirect", "public", "private", "internal", "external", "formal",
    "premium", "basic", "advanced", "detailed", "short", "long", "common", "specific",
    "relevant", "main", "major", "minor", "ready", "active", "expected", "realistic",
    "fair", "proper", "existing", "additional",
]
EN_ADVERBS = [
    "quickly", "carefully", "clearly", "usually", "often", "always", "sometimes",
    "already", "still", "again", "soon", "together", "directly", "later", "then", "also",
    "only", "finally", "probably", "certainly", "regularly",
]
EN_PREPOSITIONS = ["in", "on", "at", "for", "with", "from", "to", "by", "about", "after",
                   "before", "during", "under", "over", "between", "into", "through",
                   "without", "within", "across", "around", "among"]
EN_DETERMINERS = ["the", "the", "the", "a", "this", "that", "each", "every", "our", "your",
                  "their", "its", "any", "some", "another"]
EN_SUBJECTS = ["we", "they", "you", "she", "he", "the partner", "our team", "the customer",
               "the channel manager", "every reseller", "the vendor"]
EN_MODALS = ["will", "should", "can", "must", "may", "could", "would"]
EN_CONJUNCTIONS = ["and", "but", "so", "because", "while", "although", "when", "if",
                   "once", "until"]
EN_HOSTS = ["partners.example.com", "northwind.example", "fabrikam.example.org",
            "portal.contoso.example", "docs.example.net", "acme.example.com"]
EN_MAILBOXES = ["sales", "partners", "deal.desk", "lead.team", "funnel-ops", "support",
                "channel", "upsell", "onboarding"]
MONTHS = ["January", "March", "April", "June", "September", "October", "November"]

DE_NOUNS = [
    "Partner", "Kunde", "Kunden", "Hersteller", "Programm", "Konto", "Produkt", "Quartal",
    "Team", "Vertrag", "Verträge", "Angebot", "Rabatt", "Marge", "Preis", "Budget",
    "Prognose", "Ziel", "Region", "Markt", "Kampagne", "Veranstaltung", "Schulung",
    "Zertifizierung", "Bericht", "Übersicht", "Kennzahl", "Plan", "Strategie", "Funktion",
    "Lösung", "Dienstleistung", "Anfrage", "Frage", "Antwort", "Entscheidung", "Freigabe",
    "Phase", "Schritt", "Aufgabe", "Ansprechpartner", "Geschäftsführerin", "Berater",
    "Vertrieb", "Abteilung", "Unterlagen", "Vorlage", "Tagesordnung", "Zusammenfassung",
    "Notiz", "Rechnung", "Bestellung", "Lizenz", "Stufe", "Vorteil", "Prämie", "Zahlung",
    "Woche", "Monat", "Jahr", "Tag", "Termin", "Zeitplan", "Land", "Stadt", "Branche",
    "Unternehmen", "Prozess", "Regel", "Begriff", "Glossar", "Sprache", "Wort",
    "Nachricht", "Ergebnis", "Wert", "Kosten", "Risiko", "Grund", "Beispiel", "Referenz",
    "Umsatz", "Anteil", "Zahl", "Liste", "Tabelle", "Seite", "Formular", "Datei", "System",
    "Werkzeug", "Daten", "Sicherheit", "Anforderung", "Meilenstein", "Priorität",
    "Herausforderung", "Registrierung", "Schutzfrist", "Konflikt", "Kanal", "Chance",
    "Partnerstufe", "Partnermarge", "Vertriebspartner", "Geschäftsjahr", "Straße",
]
DE_VERBS = [
    "prüft", "genehmigt", "registriert", "aktualisiert", "teilt", "bespricht",
    "vereinbart", "plant", "bestätigt", "sendet", "erhält", "verfolgt", "misst",
    "berichtet", "verbessert", "unterstützt", "braucht", "erwartet", "bietet", "enthält",
    "erklärt", "beschreibt", "definiert", "verhandelt", "gewinnt", "verliert", "verlängert",
    "beginnt", "liefert", "testet", "schult", "trifft", "fragt", "beantwortet",
    "entscheidet", "wählt", "vergleicht", "dokumentiert", "veröffentlicht", "liest",
    "schreibt", "übernimmt", "schließt",
]
DE_INFINITIVES = [
    "prüfen", "genehmigen", "registrieren", "aktualisieren", "besprechen", "vereinbaren",
    "planen", "bestätigen", "senden", "verfolgen", "verbessern", "unterstützen", "anbieten",
    "erklären", "verhandeln", "verlängern", "liefern", "testen", "beantworten",
    "dokumentieren", "veröffentlichen", "übernehmen", "abschließen",
]
DE_ADJECTIVES = [
    "neue", "offene", "aktuelle", "nächste", "jährliche", "regionale", "globale",
    "strategische", "technische", "kaufmännische", "wichtige", "kritische", "große",
    "kleine", "gute", "bessere", "hohe", "niedrige", "vollständige", "gemeinsame",
    "direkte", "interne", "externe", "formale", "detaillierte", "klare", "einfache",
    "bestehende", "zusätzliche", "freigegebene", "geprüfte",
]
DE_PREDICATES = ["neu", "offen", "wichtig", "klar", "einfach", "kritisch", "vollständig",
                 "gut", "aktuell", "fertig", "strategisch", "gemeinsam"]
DE_ADVERBS = [
    "schnell", "sorgfältig", "klar", "meistens", "oft", "immer", "manchmal", "bereits",
    "noch", "wieder", "bald", "gemeinsam", "direkt", "früh", "später", "zuerst", "dann",
    "auch", "nur", "schließlich", "wahrscheinlich", "regelmäßig",
]
DE_PREPOSITIONS = ["in", "im", "am", "an", "auf", "für", "mit", "von", "vom", "zu", "zum",
                   "zur", "bei", "nach", "vor", "über", "unter", "zwischen", "durch", "ohne",
                   "gegen", "seit", "während"]
DE_DETERMINERS = ["der", "die", "das", "den", "dem", "des", "ein", "eine", "einen",
                  "einem", "unser", "unsere", "jeder", "jede", "dieser", "diese"]
DE_SUBJECTS = ["sie", "er", "der Partner", "unser Team", "die Kundin",
               "der Channel Manager", "jeder Vertriebspartner", "der Hersteller"]
DE_CONJUNCTIONS = ["und", "aber", "oder", "denn", "weil", "wenn", "obwohl", "sobald",
                   "bis", "damit", "dass"]
DE_HOSTS = ["partner.beispiel.de", "nordwind.beispiel", "vertrieb.beispiel.at",
            "portal.contoso.beispiel", "hilfe.beispiel.ch"]
DE_MAILBOXES = ["vertrieb", "partner", "deal.desk", "leads", "funnel-team", "support",
                "kanal", "onboarding"]
DE_MONTHS = ["Januar", "März", "April", "Juni", "September", "Oktober", "November"]


def _plural(word: str) -> str:
    if word.endswith("y") and word[-2:-1] not in ("a", "e", "i", "o", "u"):
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    return word + "s"


def _ing(verb: str) -> str:
    if verb in EN_DOUBLED:
        return verb + verb[-1] + "ing"
    return verb[:-1] + "ing" if verb.endswith("e") and not verb.endswith("ee") else verb + "ing"


def _past(verb: str) -> str:
    if verb in EN_IRREGULAR:
        return EN_IRREGULAR[verb]
    if verb in EN_DOUBLED:
        return verb + verb[-1] + "ed"
    return verb + "d" if verb.endswith("e") else verb + "ed"


class _Writer:
    """Builds the text and remembers where planted uses and links are."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.words = 0
        self.planted: list[tuple[int, int]] = []
        self.links: list[tuple[int, int]] = []

    def sentence(self, items: list[tuple[str, str]], end: str = ". ") -> None:
        """items: (text, kind) with kind "" (words), "plant", "link" or "punct"."""
        out = ""
        for n, (text, kind) in enumerate(items):
            if n == 0 and kind != "link":
                text = text[:1].upper() + text[1:]
            if kind != "punct" and out:
                out += " "
            start = self.length + len(out)
            out += text
            if kind == "plant":
                self.planted.append((start, start + len(text)))
            elif kind == "link":
                self.links.append((start, start + len(text)))
            if kind != "punct":
                self.words += len(text.split())
        out += end
        self.parts.append(out)
        self.length += len(out)

    def text(self) -> str:
        return "".join(self.parts).rstrip()


class _Planter:
    """Discouraged uses drawn with a Zipf-like weight (the jargon most often)."""

    def __init__(self, phrases: list[tuple[str, str]], rng: random.Random, locale: str):
        self.rng, self.locale = rng, locale
        suffixes = dict(DE_JARGON)
        self.items = [(phrase, kind, suffixes.get(phrase, "s")) for phrase, kind in phrases]
        self.weights = [1 / (rank + 1) ** 0.9 for rank in range(len(phrases))]
        self.verbs = [(p, k, s) for p, k, s in self.items if k in ("v", "vp")]
        self.verb_weights = [1 / (rank + 1) ** 0.9 for rank in range(len(self.verbs))]

    def noun(self) -> str:
        phrase, kind, suffixes = self.rng.choices(self.items, self.weights)[0]
        return self.render(phrase, kind, suffixes)

    def verb(self) -> str:
        phrase, kind, suffixes = self.rng.choices(self.verbs, self.verb_weights)[0]
        return self.render(phrase, kind, suffixes)

    def render(self, phrase: str, kind: str, suffixes: str) -> str:
        return (self._german if self.locale == "de" else self._english)(phrase, kind, suffixes)

    def _german(self, phrase: str, kind: str, suffixes: str) -> str:
        rng = self.rng
        words = phrase.replace("-", " ").split()
        ending = ""
        if suffixes and rng.random() < 0.4:
            ending = rng.choice(["n", "s"] if suffixes == "ns" else [suffixes])
        if len(words) == 1:
            return phrase + ending
        style = rng.choice(["-", "-", " ", "", "compound"])
        if style == "compound":     # Kick-off-Termin, Best-Practice-Ansatz
            return "-".join(words) + "-" + rng.choice(["Termin", "Ansatz", "Liste", "Runde"])
        if style == "":             # Kickoff, Partnerfunnel
            return words[0] + "".join(w.lower() for w in words[1:]) + ending
        return style.join(words) + ending

    def _english(self, phrase: str, kind: str, _suffixes: str) -> str:
        rng = self.rng
        words = phrase.replace("-", " ").split()
        if kind == "n":
            plural = _plural(phrase)
            return rng.choice([phrase, phrase, plural, phrase + "'s", phrase + "\u2019s",
                               plural + "'"])
        if kind == "v":
            return rng.choice([phrase, _plural(phrase), _ing(phrase), _past(phrase)])
        if kind == "name":
            return rng.choice([phrase, phrase, phrase + "'s", phrase.upper()])
        if kind == "a":
            return rng.choice([phrase, phrase, phrase.title()])
        if kind == "vp":            # reach out, reached out, reaching out (no "took it")
            verb = words[0]
            forms = [verb, verb, _ing(verb), _plural(verb)]
            if verb not in EN_IRREGULAR:
                forms.append(_past(verb))
            sep = " " if len(words) > 2 else rng.choice([" ", " ", "-"])
            return sep.join([rng.choice(forms), *words[1:]])
        sep = (rng.choice(["-", "-", " ", ""]) if kind == "h"
               else rng.choice([" ", " ", " ", "-"]))
        if len(words) > 2 and sep == "":
            sep = "-"
        last = _plural(words[-1]) if kind == "np" and rng.random() < 0.3 else words[-1]
        return sep.join([*words[:-1], last])


def _english_text(planter: _Planter, rng: random.Random, filler: dict) -> tuple[str, _Writer]:
    nouns, verbs, adjectives = filler["nouns"], filler["verbs"], filler["adjectives"]
    w = _Writer()

    def noun_phrase() -> list[tuple[str, str]]:
        det = rng.choice(EN_DETERMINERS)
        items = [(det, "")]
        if rng.random() < 0.4:
            items.append((rng.choice(adjectives), ""))
        if rng.random() < 4 / PLANT_EVERY:   # a noun phrase is about 4 words
            items.append((planter.noun(), "plant"))
        else:
            noun = rng.choice(nouns)
            items.append((_plural(noun) if det in ("the", "our", "your", "their", "some")
                          and rng.random() < 0.3 else noun, ""))
        return items

    def verb(form: str) -> tuple[str, str]:
        if rng.random() < 1 / (PLANT_EVERY * 1.5):
            return planter.verb(), "plant"
        base = rng.choice(verbs)
        return {"base": base, "third": _plural(base), "past": _past(base)}[form], ""

    def link() -> list[tuple[str, str]]:
        host = rng.choice(EN_HOSTS)
        slug = "-".join(_words(rng.choice(planter.items[:60])[0]))
        value = rng.choice([
            f"https://{host}/{slug}", f"https://{host}/docs/{slug}?ref=newsletter",
            f"http://{host}/{slug}/{rng.randint(1, 999)}", f"www.{host}/{slug}",
            f"{host}/{slug}", f"{rng.choice(EN_MAILBOXES)}@{host}",
            f"{slug.replace('-', '.')}@{host}"])
        if "@" in value:
            return [("write to", ""), (value, "link")]
        return [(rng.choice(["see", "details at", "the guide at"]), ""), (value, "link")]

    words_since_link = 0
    while w.words < WORDS:
        before = w.words
        shape = rng.randrange(6)
        if shape == 0:
            items = [*noun_phrase(), verb("third"), *noun_phrase(),
                     (rng.choice(EN_PREPOSITIONS), ""), *noun_phrase()]
        elif shape == 1:
            items = [(rng.choice(EN_SUBJECTS), ""), (rng.choice(EN_MODALS), ""), verb("base"),
                     *noun_phrase(), (",", "punct"), (rng.choice(EN_CONJUNCTIONS), ""),
                     (rng.choice(EN_SUBJECTS), ""), verb("past"), *noun_phrase()]
        elif shape == 2:
            items = [(rng.choice(EN_ADVERBS), ""), (",", "punct"), *noun_phrase(),
                     verb("past"), *noun_phrase(), (rng.choice(EN_PREPOSITIONS), ""),
                     *noun_phrase()]
        elif shape == 3:
            items = [("in", ""), (rng.choice(MONTHS), ""), (",", "punct"),
                     (rng.choice(EN_SUBJECTS), ""), verb("past"),
                     (rng.choice(["12", "3", "40", "250", "€40,000", "7.5%", "Q3"]), ""),
                     (_plural(rng.choice(nouns)), ""), (rng.choice(EN_PREPOSITIONS), ""),
                     *noun_phrase()]
        elif shape == 4:
            items = [*noun_phrase(), (rng.choice(["is", "was", "looks", "seems"]), ""),
                     (rng.choice(adjectives), ""), (rng.choice(EN_CONJUNCTIONS), ""),
                     (rng.choice(EN_SUBJECTS), ""), verb("past"), *noun_phrase()]
        else:
            items = [("did", ""), *noun_phrase(), verb("base"), *noun_phrase(),
                     (rng.choice(EN_PREPOSITIONS), ""), *noun_phrase()]
        if words_since_link >= LINK_EVERY and shape != 5:
            items += [(",", "punct"), *link()]
            words_since_link = 0
        w.sentence(items, end="? " if shape == 5 else
                   ".\n\n" if rng.random() < 0.15 else ". ")
        words_since_link += w.words - before
    return w.text(), w


def _german_text(planter: _Planter, rng: random.Random, filler: dict) -> tuple[str, _Writer]:
    nouns, verbs, adjectives = filler["nouns"], filler["verbs"], filler["adjectives"]
    w = _Writer()

    def noun_phrase() -> list[tuple[str, str]]:
        items = [(rng.choice(DE_DETERMINERS), "")]
        if rng.random() < 0.4:
            items.append((rng.choice(adjectives), ""))
        if rng.random() < 4 / PLANT_EVERY:
            items.append((planter.noun(), "plant"))
        else:
            items.append((rng.choice(nouns), ""))
        return items

    def link() -> list[tuple[str, str]]:
        host = rng.choice(DE_HOSTS)
        slug = "-".join(_words(rng.choice(planter.items[:60])[0]))
        value = rng.choice([
            f"https://{host}/{slug}", f"https://{host}/hilfe/{slug}?quelle=newsletter",
            f"www.{host}/{slug}", f"{host}/{slug}", f"{rng.choice(DE_MAILBOXES)}@{host}",
            f"{slug.replace('-', '.')}@{host}"])
        if "@" in value:
            return [("schreiben Sie an", ""), (value, "link")]
        return [(rng.choice(["siehe", "Details unter", "die Anleitung unter"]), ""),
                (value, "link")]

    words_since_link = 0
    while w.words < WORDS:
        before = w.words
        shape = rng.randrange(5)
        if shape == 0:
            items = [*noun_phrase(), (rng.choice(verbs), ""), *noun_phrase(),
                     (rng.choice(DE_PREPOSITIONS), ""), *noun_phrase()]
        elif shape == 1:
            items = [(rng.choice(DE_SUBJECTS), ""), ("wird", ""), *noun_phrase(),
                     (rng.choice(DE_PREPOSITIONS), ""), *noun_phrase(),
                     (rng.choice(DE_INFINITIVES), ""), (",", "punct"),
                     (rng.choice(DE_CONJUNCTIONS), ""), (rng.choice(DE_SUBJECTS), ""),
                     *noun_phrase(), (rng.choice(verbs), "")]
        elif shape == 2:
            items = [(rng.choice(DE_ADVERBS), ""), (rng.choice(verbs), ""), *noun_phrase(),
                     *noun_phrase(), (rng.choice(DE_PREPOSITIONS), ""), *noun_phrase()]
        elif shape == 3:
            items = [("im", ""), (rng.choice(DE_MONTHS), ""), (rng.choice(verbs), ""),
                     (rng.choice(DE_SUBJECTS), ""),
                     (rng.choice(["12", "3", "40", "250", "40.000 €", "7,5 %"]), ""),
                     (rng.choice(nouns), ""), (rng.choice(DE_PREPOSITIONS), ""),
                     *noun_phrase()]
        else:
            items = [*noun_phrase(), (rng.choice(["ist", "war", "bleibt", "wirkt"]), ""),
                     (rng.choice(DE_PREDICATES), ""), (",", "punct"),
                     (rng.choice(DE_CONJUNCTIONS), ""), *noun_phrase(),
                     (rng.choice(verbs), "")]
        if words_since_link >= LINK_EVERY:
            items += [(",", "punct"), *link()]
            words_since_link = 0
        w.sentence(items, end=".\n\n" if rng.random() < 0.15 else ". ")
        words_since_link += w.words - before
    return w.text(), w


def _filler(matcher, locale: str) -> dict:
    """The prose words that are not discouraged themselves (as written or inflected)."""
    def clean(words: list[str]) -> list[str]:
        return [word for word in words if not matcher.check(word)
                and not matcher.check(_plural(word) if locale == "en" else word + "n")]

    if locale == "de":
        return {"nouns": clean(DE_NOUNS), "verbs": clean(DE_VERBS),
                "adjectives": clean(DE_ADJECTIVES)}
    verbs = [v for v in clean(EN_VERBS)
             if not matcher.check(f"{_plural(v)} {_past(v)} {_ing(v)}")]
    return {"nouns": clean(EN_NOUNS), "verbs": verbs, "adjectives": clean(EN_ADJECTIVES)}


# --- measuring ---------------------------------------------------------------------------

def _timed(fn, runs: int = RUNS, before=None, after=None) -> dict:
    """Median and p90 seconds of ``fn()``; ``before`` and ``after`` run untimed."""
    samples = []
    result = None
    for _ in range(runs):
        if before is not None:
            before()
        start = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - start)
        if after is not None:
            after(result)
    samples.sort()
    return {"median": statistics.median(samples), "p90": samples[int(len(samples) * 0.9)],
            "result": result}


def _overlaps(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(s < span[1] and span[0] < e for s, e in spans)


def _measure(tenant, client, auth: dict, locale: str, text: str, writer: _Writer,
             terms: list) -> dict:
    from playbooks import glossary
    from playbooks.language import Entry, Matcher, base_forms
    from playbooks.models import DiscouragedPhrase
    from prm.tenancy import tenant_scope

    figures: dict[str, dict] = {}
    with tenant_scope(tenant):
        findings = glossary.language_check(text=text, locale=locale)   # compiles, warms up
        matcher = glossary.matcher_for(locale)
        figures["baseline"] = _timed(lambda: list(_BASELINE.finditer(text.lower())))
        figures["matcher"] = _timed(lambda: matcher.check(text))
        # Text of the same length made of host-like runs ("1.1.1..."): a pattern that
        # backtracks turns this into minutes; read once, it costs what prose costs.
        hostlike = ("1." * len(text))[:len(text)]
        figures["hostlike"] = _timed(lambda: matcher.check(hostlike))
        figures["warm"] = _timed(lambda: glossary.language_check(text=text, locale=locale))
        assert glossary.matcher_for(locale) is matcher, "the warm check compiled again"
        figures["unseen"] = _timed(lambda: glossary.language_check(text=text, locale=locale),
                                   before=base_forms.cache_clear)
        figures["revision"] = _timed(glossary._revision)

        rows = (DiscouragedPhrase.objects.filter(locale=locale).select_related("term")
                .order_by("pk"))
        entries = [Entry(r.phrase, r.replacement or r.term.name, r.term_id, r.reason)
                   for r in rows]
        figures["compile"] = _timed(lambda: Matcher(entries, locale), runs=min(RUNS, 20))
        few = {t.pk for t in terms[:SMALL_TERMS]}
        small = Matcher([e for e in entries if e.term_id in few], locale)
        figures["small"] = _timed(lambda: small.check(text))
        figures["small"]["phrases"] = sum(e.term_id in few for e in entries)

        changes = itertools.count()
        compiled: list = [glossary.matcher_for(locale)]

        def change() -> None:        # a real glossary change, through the service
            n = next(changes)
            glossary.discouraged_add(actor=None, term=terms[n % len(terms)],
                                     phrase=f"Retiredname{n}x{locale}", locale=locale)

        def rebuilt(_result) -> None:
            current = glossary.matcher_for(locale)
            assert current is not compiled[-1], "the check did not see the glossary change"
            compiled.append(current)

        figures["cold"] = _timed(lambda: glossary.language_check(text=text, locale=locale),
                                 before=change, after=rebuilt)

        def forget() -> None:
            glossary._matchers.clear()
            base_forms.cache_clear()

        figures["fresh"] = _timed(lambda: glossary.language_check(text=text, locale=locale),
                                  before=forget)
        base_forms.cache_clear()
        glossary.language_check(text=text, locale=locale)   # warm again for the API

    body = {"text": text, "locale": locale}

    def post():
        response = client.post("/api/v1/glossary/check/", body,
                               content_type="application/json", **auth)
        assert response.status_code == 200, (response.status_code, response.content[:300])
        return response

    post()
    figures["api"] = _timed(post)
    assert len(figures["api"]["result"].json()["findings"]) == len(findings)

    spans = [(f.start, f.end) for f in findings]
    found = sum(_overlaps(p, spans) for p in writer.planted)
    return {"figures": figures, "findings": len(findings), "phrases": len(entries),
            "planted": len(writer.planted), "found": found / max(len(writer.planted), 1),
            "in_links": sum(_overlaps(s, writer.links) for s in spans),
            "links": len(writer.links), "tokens": len(figures["baseline"]["result"])}


def _print(title: str, locale: str, text: str, writer: _Writer, result: dict) -> None:
    f = result["figures"]
    base = f["baseline"]["median"]

    def line(label: str, key: str, extra: str = "", target: bool = False) -> None:
        value = f[key]["median"] * 1e3
        met = (f"   target p90 < {TARGET_MS:.0f} ms: "
               f"{'met' if f[key]['p90'] * 1e3 < TARGET_MS else 'NOT MET'}" if target else "")
        print(f"{label:<45} {value:8.2f} ms   {f[key]['median'] / base:6.1f}x the baseline"
              f"{met}   (p90 {f[key]['p90'] * 1e3:.2f} ms{extra})")

    print(f"{title} ({locale}): {writer.words:,} words, {len(text.encode()) / 1e3:.0f} kB, "
          f"{result['phrases']:,} discouraged phrases, {result['planted']} discouraged uses "
          f"planted, {result['links']} URLs and e-mail addresses; median of {RUNS} runs")
    print(f"{BASELINE_LABEL:<45} "
          f"{base * 1e3:8.3f} ms   ({result['tokens']:,} tokens)")
    line("Matcher.check (compiled, no database)", "matcher")
    line("Matcher.check, as long a text of 1.1.1.1...", "hostlike")
    line("language_check, warm (matcher cached)", "warm",
         f", {result['findings']} findings, planted uses found {result['found']:.0%}, "
         f"flagged inside URLs/e-mail {result['in_links']}", target=True)
    line("language_check, warm, word forms not cached", "unseen")
    line("language_check, cold (first after a change)", "cold")
    line("language_check, fresh process (no caches)", "fresh")
    line("POST /api/v1/glossary/check/ (API key)", "api")
    print(f"  {'revision query (on every call)':<43} {f['revision']['median'] * 1e3:8.2f} ms")
    print(f"  {'compiling the matcher (in memory)':<43} {f['compile']['median'] * 1e3:8.2f} ms"
          f"   ({result['phrases']:,} phrases)")
    small = f["small"]
    print(f"  {f'Matcher.check, {SMALL_TERMS} terms instead of {TERMS:,}':<43} "
          f"{small['median'] * 1e3:8.2f} ms   the {TERMS:,}-term check is "
          f"{f['matcher']['median'] / small['median']:4.2f}x this ({small['phrases']} phrases)")


def bench_language_check() -> dict:
    """Create the glossary and texts in a tenant of its own, measure, print; returns the
    figures too."""
    from django.db import connection
    from django.test import Client

    from playbooks import glossary
    from playbooks.models import DiscouragedPhrase, GlossaryTerm
    from prm.db_roles import as_owner
    from prm.services import api_key_create, membership_create, tenant_create
    from prm.tenancy import tenant_scope

    rng = random.Random(2026)
    tenant = tenant_create(slug=TENANT_SLUG, name="Bench Language")
    started = time.perf_counter()
    with tenant_scope(tenant):
        phrases = _glossary(rng)
        member = membership_create(actor=None, email="manager@bench-language.test",
                                   role="channel_manager")
        _row, key = api_key_create(actor=None, membership=member, name="bench")
        terms = list(GlossaryTerm.objects.order_by("pk"))
        texts = {}
        for locale, build in (("en", _english_text), ("de", _german_text)):
            matcher = glossary.matcher_for(locale)
            planter = _Planter(phrases[locale], random.Random(f"{locale}-plant"), locale)
            texts[locale] = build(planter, random.Random(f"{locale}-text"),
                                  _filler(matcher, locale))
    with as_owner(), connection.cursor() as cursor:
        # Statistics, as autovacuum gathers them soon after a load: without them the
        # planner joins the freshly loaded rows with a nested loop (about 100 ms more).
        cursor.execute(f"ANALYZE {GlossaryTerm._meta.db_table}, "
                       f"{DiscouragedPhrase._meta.db_table}")
    setup = time.perf_counter() - started
    client = Client(HTTP_HOST=HOST)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}

    kinds = {"single words": 0, "phrases": 0, "hyphenated": 0}
    for phrase, _kind in phrases["en"]:
        kinds["hyphenated" if "-" in phrase else "phrases" if " " in phrase
              else "single words"] += 1
    print(f"language check: {TERMS:,} glossary terms; English phrases "
          + ", ".join(f"{count / len(phrases['en']):.0%} {kind}" for kind, count in kinds.items())
          + f"; setting up took {setup:.1f} s")
    results = {}
    for locale, title in (("en", "English text"), ("de", "German text")):
        text, writer = texts[locale]
        results[locale] = _measure(tenant, client, auth, locale, text, writer, terms)
        _print(title, locale, text, writer, results[locale])
    return results


def main() -> None:
    from bench.database import throwaway_database

    with throwaway_database():
        bench_language_check()


if __name__ == "__main__":
    main()
