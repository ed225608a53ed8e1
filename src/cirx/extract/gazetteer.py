"""A gazetteer of names: threat groups, malware and tools from the store, countries, regions, sectors.

Names are matched on *keys*: case-folded, without spaces or punctuation (the
store's own :func:`cirx.model.actor.alias_key`), so "APT 28", "APT-28" and
"apt28" are one name, and "Cobalt Strike" also matches "CobaltStrike".  The
text is cut into word tokens once; at each token the longest run of tokens
whose joined keys name an entry wins (a prefix set stops the search early, so
matching is linear in the text).

Lower-case occurrences of names that the gazetteer only knows capitalised are
skipped ("lazarus" is not the group), and so are short and common-word
aliases ("Group", "Lead", "at"), the classic false positives of gazetteers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from cirx.model.actor import alias_key


def _words(text: str) -> frozenset[str]:
    """The words of a space-separated list."""
    return frozenset(text.split())

TOKEN = re.compile(r"[^\W_]+")
MAX_TOKENS = 7
# Aliases that are everyday words (or too generic) to be matched on their own.
STOP_ALIASES = _words(
    "group team unknown apt operation agent ghost storm iron lead dust snake the and for with from this "
    "that have has was were are net at ping tor reg route cmd ftp sys mail help update service server "
    "windows system office admin user users china russia iran india korea israel america europe asia "
    "target victim attack attacks malware backdoor trojan ransomware loader dropper stealer spyware rat "
    "tool tools framework implant payload exploit script shell remote access kit pos wiper worm bot "
    "botnet banker keylogger proxy tunnel scanner miner credential credentials dns http https ssl tls "
    "api web cloud mobile android ios linux macos unix apple google microsoft amazon facebook twitter "
    "github telegram discord slack zoom skype dropbox onedrive outlook excel word powershell python java "
    "javascript ruby perl go rust php sql vpn rdp ssh smb ldap wmi com dll exe")
MIN_KEY = 3


@dataclass(frozen=True)
class Entry:
    """What a name designates: an entity type, an identifier (ATT&CK, ISO) and a canonical name."""

    type: str
    id: str | None
    name: str
    priority: int = 0


@dataclass(frozen=True)
class Hit:
    """A gazetteer match: the entry chosen, the candidates, and the token range."""

    entry: Entry
    candidates: tuple[Entry, ...]
    first: int
    last: int
    start: int
    end: int


@dataclass(frozen=True)
class Tokens:
    """A text's word tokens: their spans and keys."""

    spans: list[tuple[int, int]]
    keys: list[str]


def tokenize(text: str) -> Tokens:
    """Cut text into word tokens (letters and digits), with their keys."""
    spans: list[tuple[int, int]] = []
    keys: list[str] = []
    for match in TOKEN.finditer(text):
        word = match.group()
        spans.append(match.span())
        keys.append(word.lower() if word.isascii() else alias_key(word))
    return Tokens(spans, keys)


class Gazetteer:
    """Names to entries, matched on keys (see the module's docstring)."""

    def __init__(self) -> None:
        self._entries: dict[str, list[Entry]] = {}
        self._prefixes: set[str] = set()
        self._cased: dict[str, bool] = {}
        self._upper: dict[str, bool] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, name: str, entry: Entry, *, force: bool = False) -> None:
        """Add one name of an entry (skipped when too short or a common word, unless ``force``)."""
        name = name.strip()
        key = alias_key(name)
        if not key or (not force and (len(key) < MIN_KEY or key in STOP_ALIASES or key.isdigit())):
            return
        tokens = TOKEN.findall(name)
        if not tokens or len(tokens) > MAX_TOKENS:
            return
        entries = self._entries.setdefault(key, [])
        if entry not in entries:
            entries.append(entry)
            entries.sort(key=lambda e: (-e.priority, e.id is None))
        # A name known only capitalised must not match in lower case ("Lazarus" but not "lazarus").
        self._cased[key] = self._cased.get(key, True) and any(c.isupper() for c in name)
        # Short all-capitals names (SEA, RAT) match only in capitals.
        self._upper[key] = self._upper.get(key, True) and name.isupper() and len(key) <= 5
        # Every prefix of the key: text tokens may split a name where its alias does not ("APT 28").
        self._prefixes.update(key[:length] for length in range(1, len(key) + 1))

    def add_all(self, names: Iterable[str], entry: Entry) -> None:
        """Add several names of one entry."""
        for name in names:
            self.add(name, entry)

    def lookup(self, name: str) -> list[Entry]:
        """Entries a name designates (exact key)."""
        return list(self._entries.get(alias_key(name), ()))

    def find(self, text: str, tokens: Tokens | None = None) -> Iterator[Hit]:
        """Longest matches in ``text``, left to right, not overlapping."""
        tokens = tokens or tokenize(text)
        keys, spans = tokens.keys, tokens.spans
        count = len(keys)
        index = 0
        while index < count:
            running = ""
            best: tuple[int, str] | None = None
            for last in range(index, min(count, index + MAX_TOKENS)):
                if last > index and spans[last][0] - spans[last - 1][1] > 2:
                    break
                running += keys[last]
                if running not in self._prefixes:
                    break
                if running in self._entries:
                    best = (last, running)
            if best is None:
                index += 1
                continue
            last, key = best
            start, end = spans[index][0], spans[last][1]
            surface = text[start:end]
            if (self._cased.get(key) and not any(c.isupper() for c in surface)) or (
                    self._upper.get(key) and not surface.isupper()):
                index += 1
                continue
            entries = tuple(self._entries[key])
            yield Hit(entries[0], entries, index, last, start, end)
            index = last + 1
