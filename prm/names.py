"""Company names in one comparable form, for duplicate and conflict detection.

``normalise_company_name("The Müller & Söhne GmbH")`` → ``"muller and sohne"``: case,
accents, punctuation, ``&``/``and``, a leading "the" and legal suffixes (Inc, LLC, Ltd,
GmbH, AG, S.A., B.V., Pty, plc, ...) do not make two companies different.
"""

from __future__ import annotations

import re
import unicodedata

LEGAL_SUFFIXES = frozenset({
    "inc", "incorporated", "llc", "llp", "lp", "ltd", "limited", "corp", "corporation", "co",
    "company", "gmbh", "mbh", "ag", "kg", "kgaa", "ohg", "ug", "se", "sa", "sas", "sarl",
    "srl", "spa", "bv", "nv", "pty", "plc", "oy", "oyj", "ab", "as", "asa", "aps", "kk",
    "pte", "pvt", "sl", "sro", "zoo", "holding", "holdings",
})
# Words too common to find candidates by (still part of the name when scoring).
GENERIC_TOKENS = frozenset({
    "and", "of", "group", "solutions", "services", "systems", "technologies", "technology",
    "international", "global", "consulting", "partners", "software", "digital", "it", "de",
    "la", "le", "der", "die", "das", "und", "the",
})
_SEPARATORS = re.compile(r"[^\w]+")


def normalise_company_name(name: str) -> str:
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = text.replace("&", " and ").replace("+", " and ")
    text = re.sub(r"(?<=\b\w)\.(?=\w\b\.?)", "", text)  # S.A. / B.V. → sa / bv
    text = text.replace(".", " ")
    tokens = [t for t in _SEPARATORS.split(text) if t and t != "_"]
    if tokens and tokens[0] == "the":
        tokens = tokens[1:]
    while len(tokens) > 1 and tokens[-1] in LEGAL_SUFFIXES:
        tokens.pop()
    return " ".join(tokens)


def name_lengths(normalised: str, tokens: list[str]) -> dict[str, int]:
    """How long a normalised name and its distinctive words are (the words joined by
    single spaces): what the conflict check's similarity bound needs."""
    return {"name_length": len(normalised), "words_length": len(" ".join(tokens))}


PAIRED_WORDS = 6   # the words of a name that pair up: 15 pairs at most
TERM_LENGTH = 100  # the word tables' column


def index_terms(tokens: list[str]) -> list[str]:
    """What the conflict check's word tables hold for a name, and look up for one: each
    distinctive word, and each pair of them ("initrode labs"), since a pair is rare even
    where both of its words are common. ``tokens`` as ``name_tokens`` gives them."""
    words = sorted(set(tokens))
    paired = words[:PAIRED_WORDS]
    pairs = [f"{a} {b}" for i, a in enumerate(paired) for b in paired[i + 1:]]
    return [term for term in words + pairs if len(term) <= TERM_LENGTH]


def name_tokens(normalised: str) -> list[str]:
    """The distinctive words of a normalised name, used to find candidates by index."""
    tokens = [t for t in normalised.split() if t not in GENERIC_TOKENS and len(t) > 1]
    return sorted(set(tokens or normalised.split()))
