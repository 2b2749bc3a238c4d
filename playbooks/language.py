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
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

_WORD = re.compile(r"\w+(?:['\u2019]\w+)*['\u2019]?", re.UNICODE)
# URLs, e-mail addresses and bare host names (example.com/lead) are never checked inside.
_CHUNK = re.compile(r"\S+")
_HOST = re.compile(r"\w[\w-]*(?:\.[\w-]+)*\.[a-z]{2,}(?:[/:?#]\S*)?", re.IGNORECASE)
_JOINER = re.compile(r"^[ \t\u00a0]*-?[ \t\u00a0]*$|^[ \t\u00a0]+$|^-$")
MAX_OPEN_PARTS = 3  # "log in", "e mail", "check in desk": a closed word written open

SUFFIXES = {  # apostrophes are folded to ' before matching
    "en": ("'s", "s'", "ies", "es", "s", "ing", "ed", "d"),
    "de": ("ern", "en", "es", "em", "e", "n", "s"),
}


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


def _fold(word: str) -> str:
    return word.casefold().replace("\u2019", "'")


def _skipped_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for chunk in _CHUNK.finditer(text):
        value = chunk.group()
        if "://" in value or "@" in value or ("." in value.strip(".,;:!?)") and _HOST.search(
                value)):
            spans.append(chunk.span())
    return spans


@lru_cache(maxsize=65536)
def base_forms(word: str, locale: str) -> frozenset[str]:
    """The word and what it may be an inflection of (``leads`` → {leads, lead})."""
    folded = _fold(word)
    forms = {folded}
    for suffix in SUFFIXES.get(locale, SUFFIXES["en"]):
        if folded.endswith(suffix) and len(folded) - len(suffix) >= 2:
            stem = folded[: -len(suffix)]
            forms.add(stem)
            if suffix == "ies":
                forms.add(stem + "y")
            if suffix in ("ing", "ed"):
                forms.add(stem + "e")            # registering → register(e), signed → sign
                if len(stem) > 2 and stem[-1] == stem[-2]:
                    forms.add(stem[:-1])         # planned → plan
    return frozenset(forms)


class Matcher:
    def __init__(self, entries: Iterable[Entry], locale: str = "en"):
        self.locale = locale
        # first word (base form) → list of (remaining words, entry); longest first
        self._phrases: dict[str, list[tuple[tuple[str, ...], Entry]]] = {}
        # Proper beginnings of one-word entries: where an open spelling ("sign up") may start.
        self._beginnings: set[str] = set()
        for entry in entries:
            words = tuple(_fold(w) for w in _WORD.findall(entry.phrase.replace("-", " ")))
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
        joined = _fold(tokens[i].group())
        found = None
        position = i
        while (joined in self._beginnings and position - i < MAX_OPEN_PARTS - 1
               and position + 1 < len(tokens)):
            position += 1
            if not _JOINER.match(text[tokens[position - 1].end():tokens[position].start()]):
                break
            joined += _fold(tokens[position].group())
            for form in base_forms(joined, self.locale):
                entry = next((e for rest, e in self._phrases.get(form, ()) if not rest), None)
                if entry is not None:
                    found = (position, entry)
                    break
        return found

    def _forms(self, word: str, *, exact: bool):
        return (_fold(word),) if exact else base_forms(word, self.locale)

    def _follow(self, text: str, tokens, i: int, rest: tuple[str, ...]) -> int | None:
        position = i
        for k, word in enumerate(rest):
            position += 1
            if position >= len(tokens):
                return None
            gap = text[tokens[position - 1].end():tokens[position].start()]
            if not _JOINER.match(gap):
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
