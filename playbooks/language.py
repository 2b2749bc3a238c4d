"""The language check: find discouraged words and phrases, whole-word, across inflections.

A matcher is built once per glossary revision from ``(phrase, preferred, term_id, reason)``
entries. Checking walks the text's words once and looks each one up in a dictionary keyed
by base form, so its cost grows with the text, not with the number of terms.

* Words match whole, case-insensitively, across simple inflections (``lead``, ``leads``,
  ``lead's``, ``leading``); ``leader`` is not ``lead``.
* Phrases match across spacing and hyphenation (``sign up``, ``sign-up``, ``signup``),
  never across punctuation, whichever of the spellings the glossary holds: a phrase is
  also looked up closed up ("signup"), and a one-word entry also matches when the text
  writes it open ("sign up"). A word of the text starts an open spelling only if it
  begins some one-word entry, so the extra look-ups cost a set lookup per word.
* Nothing inside a URL or an e-mail address is flagged.
* Offsets are positions in the original text, in Unicode code points.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

# A word: letters and digits (not "_", so Markdown's _emphasis_ is no part of it), with
# combining accents, inner apostrophes (lead's) and invisible soft or zero-width breaks
# (lead\u00adership is one word); a closing apostrophe only after an s (leads').
_INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060"
_LETTER = r"[^\W_]"
_WORD = re.compile(rf"{_LETTER}+(?:[\u0300-\u036f]+{_LETTER}*|['\u2019{_INVISIBLE}]{_LETTER}+)*"
                   r"(?:(?<=[sS])['\u2019])?")
# URLs, e-mail addresses and bare host names (example.com/lead) are never checked inside.
# Each pattern starts only where a run of its characters starts and never backtracks
# (possessive quantifiers), so finding them costs one pass over the text, whatever it is.
_URL = re.compile(r"(?<![\w+.-])[a-z][a-z0-9+.-]*+://\S*+", re.IGNORECASE)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]++@[\w-]++(?:\.[\w-]++)++")
_HOST = re.compile(r"(?<![\w.@-])(?P<host>\w[\w-]*+(?:\.[\w-]++)++)(?:[/:?#]\S*+)?")
_TOP_LEVEL = re.compile(r"[a-z]{2,}")  # lower case: "lead.The" is a sentence, not a host
_HYPHENS = "-\u2010\u2011"
MAX_OPEN_PARTS = 3  # "log in", "e mail", "check in desk": a closed word written open

SUFFIXES = {  # apostrophes are folded to ' before matching
    "en": ("'s", "s'", "ies", "es", "s", "ing", "ed", "d"),
    "de": ("ern", "en", "es", "em", "e", "n", "s"),
}
SHORT_SUFFIXES = {"'s", "s'", "s", "n", "e"}
ES_AFTER = ("s", "x", "z", "ch", "sh")


@dataclass(frozen=True)
class Entry:
    phrase: str
    preferred: str
    term_id: int
    message: str


@dataclass(frozen=True)
class Finding:
    start: int
    end: int
    found: str
    preferred: str
    term_id: int
    message: str

    def as_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "found": self.found,
                "preferred": self.preferred, "term_id": self.term_id, "message": self.message}


_DROP_INVISIBLE = str.maketrans("", "", _INVISIBLE)


def _fold(word: str) -> str:
    return unicodedata.normalize("NFC", word.translate(_DROP_INVISIBLE)).casefold().replace(
        "\u2019", "'")


def _joins(gap: str) -> bool:
    """Whether the text between two words joins them into a phrase: spaces, or a hyphen,
    and at most one line break (a form's text arrives with CRLF)."""
    if not gap or gap.replace("\r\n", "\n").count("\n") > 1:
        return False
    rest = gap.strip(" \t\u00a0\r\n")
    return rest == "" or (len(rest) == 1 and rest in _HYPHENS)


def _skipped_spans(text: str) -> list[tuple[int, int]]:
    """Where the URLs, e-mail addresses and host names of ``text`` are: sorted, merged."""
    spans = [m.span() for m in _URL.finditer(text)]
    spans += [m.span() for m in _EMAIL.finditer(text)]
    spans += [m.span() for m in _HOST.finditer(text)
              if _TOP_LEVEL.fullmatch(m.group("host").rsplit(".", 1)[-1])]
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


@lru_cache(maxsize=65536)
def base_forms(word: str, locale: str) -> frozenset[str]:
    """The word and what it may be an inflection of (``leads`` → {leads, lead})."""
    folded = _fold(word)
    forms = {folded}
    for suffix in SUFFIXES.get(locale, SUFFIXES["en"]):
        # Plurals and possessives of short words ("ads"), verb forms of longer ones only:
        # "using" is not a form of "us", nor "added" of "ad".
        shortest = 2 if suffix in SHORT_SUFFIXES else 3
        if not folded.endswith(suffix) or len(folded) - len(suffix) < shortest:
            continue
        stem = folded[: -len(suffix)]
        if suffix == "es" and locale == "en" and not stem.endswith(ES_AFTER):
            continue                             # boxes → box, but wines → wine (by "s")
        forms.add(stem)
        if suffix == "ies":
            forms.add(stem + "y")
        if suffix in ("ing", "ed"):
            forms.add(stem + "e")                # registering → register(e), signed → sign
            if len(stem) > 3 and stem[-1] == stem[-2]:
                forms.add(stem[:-1])             # planned → plan
    return frozenset(forms)


class Matcher:
    def __init__(self, entries: Iterable[Entry], locale: str = "en"):
        self.locale = locale
        # first word (base form) → list of (remaining words, entry); longest first
        self._phrases: dict[str, list[tuple[tuple[str, ...], Entry]]] = {}
        # Proper beginnings of one-word entries: where an open spelling ("sign up") may start.
        self._beginnings: set[str] = set()
        for entry in entries:
            spaced = re.sub(f"[{_HYPHENS}]", " ", entry.phrase)
            words = tuple(_fold(w) for w in _WORD.findall(spaced))
            if not words:
                continue
            self._add(words, entry)
            closed = "".join(words)
            if len(words) > 1:
                self._add((closed,), entry)  # "sign up" also as "signup"
            self._beginnings.update(closed[:n] for n in range(1, len(closed)))
        for options in self._phrases.values():
            options.sort(key=lambda item: -len(item[0]))

    def _add(self, words: tuple[str, ...], entry: Entry) -> None:
        self._phrases.setdefault(words[0], []).append((words[1:], entry))

    def check(self, text: str) -> list[Finding]:
        skipped = _skipped_spans(text)
        tokens = list(_WORD.finditer(text))
        if skipped:
            tokens = [m for m in tokens if not _inside(m.span(), skipped)]
        findings: list[Finding] = []
        i = 0
        while i < len(tokens):
            matched = self._match_at(text, tokens, i)
            if matched is None:
                i += 1
                continue
            last, entry = matched
            start, end = tokens[i].start(), tokens[last].end()
            findings.append(Finding(start, end, text[start:end], entry.preferred,
                                    entry.term_id, entry.message))
            i = last + 1
        return findings

    def _match_at(self, text: str, tokens, i: int) -> tuple[int, Entry] | None:
        """The longest entry starting at word ``i``, as (its last word, entry)."""
        first = tokens[i].group()
        found = self._match_open(text, tokens, i)
        for form in self._forms(first, exact=False):
            for rest, entry in self._phrases.get(form, ()):
                last = self._follow(text, tokens, i, rest)
                if last is not None and (found is None or last > found[0]):
                    return last, entry
        return found

    def _match_open(self, text: str, tokens, i: int) -> tuple[int, Entry] | None:
        """A one-word entry written as several words from word ``i`` ("sign up" for
        "signup"); the last part may inflect ("sign ups")."""
        found = None
        # The first part may inflect too ("signed up" for "signup").
        for first in base_forms(tokens[i].group(), self.locale):
            joined, position = first, i
            while (joined in self._beginnings and position - i < MAX_OPEN_PARTS - 1
                   and position + 1 < len(tokens)):
                position += 1
                if not _joins(text[tokens[position - 1].end():tokens[position].start()]):
                    break
                joined += _fold(tokens[position].group())
                for form in base_forms(joined, self.locale):
                    entry = next((e for rest, e in self._phrases.get(form, ()) if not rest),
                                 None)
                    if entry is not None and (found is None or position > found[0]):
                        found = (position, entry)
        return found

    def _forms(self, word: str, *, exact: bool):
        return (_fold(word),) if exact else base_forms(word, self.locale)

    def _follow(self, text: str, tokens, i: int, rest: tuple[str, ...]) -> int | None:
        position = i
        for k, word in enumerate(rest):
            position += 1
            if position >= len(tokens):
                return None
            if not _joins(text[tokens[position - 1].end():tokens[position].start()]):
                return None
            # Inner words match exactly; the last may inflect ("sign ups", "signed up").
            is_last = k == len(rest) - 1
            if word not in self._forms(tokens[position].group(), exact=not is_last):
                return None
        return position


def _inside(span: tuple[int, int], skipped: list[tuple[int, int]]) -> bool:
    """Whether ``span`` lies in one of the sorted, disjoint ``skipped`` spans."""
    index = bisect.bisect_right(skipped, (span[0], float("inf"))) - 1
    return index >= 0 and skipped[index][0] <= span[0] and span[1] <= skipped[index][1]
