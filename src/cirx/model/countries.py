"""Country names, codes and adjectives to ISO 3166-1 alpha-2.

Datasets name states in many ways: "Russia", "Russian Federation", "N Korea",
"UK", Correlates-of-War numbers (365), ISO alpha-3 codes.  :func:`to_iso2`
turns any of them into one alpha-2 code, using ``pycountry`` for the ISO
names and a small table of the common forms ISO does not list.  Kosovo,
which has no ISO code, is ``XK`` as the EU and the IMF use it.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Iterator
from pathlib import Path

import pycountry

# Forms seen in EuRepoC, CFR, DCID, MISP galaxies and news text that ISO names miss.
_COMMON_NAMES: dict[str, str] = {
    "russia": "RU", "russian federation": "RU", "ussr": "RU", "soviet union": "RU",
    "iran": "IR", "north korea": "KP", "n korea": "KP", "dprk": "KP",
    "democratic people's republic of korea": "KP", "korea (north)": "KP",
    "south korea": "KR", "s korea": "KR", "republic of korea": "KR", "korea": "KR",
    "korea (south)": "KR", "taiwan": "TW", "republic of china": "TW",
    "china": "CN", "people's republic of china": "CN", "prc": "CN",
    "palestine": "PS", "state of palestine": "PS", "palestinian territories": "PS",
    "gaza": "PS", "west bank": "PS", "kosovo": "XK", "uk": "GB", "great britain": "GB",
    "britain": "GB", "england": "GB", "scotland": "GB", "wales": "GB",
    "northern ireland": "GB", "us": "US", "usa": "US", "u.s.": "US",
    "united states": "US", "united states of america": "US", "america": "US",
    "turkey": "TR", "turkiye": "TR", "türkiye": "TR", "ivory coast": "CI",
    "cote d'ivoire": "CI", "côte d'ivoire": "CI", "cape verde": "CV",
    "swaziland": "SZ", "eswatini": "SZ", "burma": "MM", "macedonia": "MK",
    "north macedonia": "MK", "brunei": "BN", "vatican": "VA", "holy see": "VA",
    "vatican city": "VA", "syria": "SY", "laos": "LA", "moldova": "MD",
    "czechia": "CZ", "czech republic": "CZ", "vietnam": "VN", "viet nam": "VN",
    "bolivia": "BO", "venezuela": "VE", "tanzania": "TZ", "micronesia": "FM",
    "congo": "CG", "republic of the congo": "CG", "congo-brazzaville": "CG",
    "democratic republic of the congo": "CD", "dr congo": "CD", "drc": "CD",
    "congo-kinshasa": "CD", "the netherlands": "NL", "netherlands": "NL",
    "holland": "NL", "uae": "AE", "united arab emirates": "AE",
    "the bahamas": "BS", "bahamas": "BS", "the gambia": "GM", "gambia": "GM",
    "east timor": "TL", "timor-leste": "TL", "hong kong": "HK", "macau": "MO",
    "macao": "MO", "saint kitts and nevis": "KN", "saint lucia": "LC",
    "saint vincent and the grenadines": "VC", "sao tome and principe": "ST",
    "são tomé and príncipe": "ST", "falkland islands": "FK", "reunion": "RE",
    "curacao": "CW", "curaçao": "CW", "bosnia": "BA", "bosnia and herzegovina": "BA",
    "bosnia-herzegovina": "BA", "trinidad": "TT", "trinidad and tobago": "TT",
    "antigua": "AG", "antigua and barbuda": "AG", "yugoslavia": "RS", "serbia": "RS",
    "western sahara": "EH", "somaliland": "SO", "abkhazia": "GE",
    "south ossetia": "GE", "crimea": "UA", "transnistria": "MD",
    "northern cyprus": "CY", "kyrgyzstan": "KG", "tajikistan": "TJ",
    "kazakhstan": "KZ", "uzbekistan": "UZ", "turkmenistan": "TM",
    "azerbaijan": "AZ", "armenia": "AM", "georgia": "GE", "the philippines": "PH",
    # CFR tracker forms (Sponsor / Victims): ISO-style names in brackets, typos, demonyms
    "iran (islamic republic of)": "IR", "korea (democratic people's republic of)": "KP",
    "korea (republic of)": "KR", "u.s": "US", "u.k": "GB", "phillipines": "PH",
    "parkistan": "PK", "krygzstan": "KG", "tajikstan": "TJ", "afghan": "AF",
    "malaysian": "MY", "ugandan": "UG", "hungarian": "HU", "slovakian": "SK",
    "austrian": "AT", "albanian": "AL", "ethiopian": "ET", "palauan": "PW",
    "sri lankan": "LK", "indonesian": "ID", "mongolian": "MN", "cambodian": "KH",
    "saudi arabian": "SA",
}

# Demonyms and adjectives ("Russian hackers", "Chinese state-sponsored").
_ADJECTIVES: dict[str, str] = {
    "russian": "RU", "chinese": "CN", "iranian": "IR", "north korean": "KP",
    "south korean": "KR", "american": "US", "british": "GB", "israeli": "IL",
    "ukrainian": "UA", "german": "DE", "french": "FR", "indian": "IN",
    "pakistani": "PK", "vietnamese": "VN", "turkish": "TR", "syrian": "SY",
    "saudi": "SA", "emirati": "AE", "belarusian": "BY", "georgian": "GE",
    "estonian": "EE", "lithuanian": "LT", "latvian": "LV", "polish": "PL",
    "japanese": "JP", "taiwanese": "TW", "lebanese": "LB", "palestinian": "PS",
    "azerbaijani": "AZ", "armenian": "AM", "egyptian": "EG", "qatari": "QA",
    "italian": "IT", "spanish": "ES", "dutch": "NL", "canadian": "CA",
    "australian": "AU", "brazilian": "BR", "mexican": "MX", "nigerian": "NG",
    "kazakh": "KZ", "uzbek": "UZ", "belgian": "BE", "swiss": "CH",
    "swedish": "SE", "norwegian": "NO", "danish": "DK", "finnish": "FI",
}

_SPACES = re.compile(r"\s+")


def _normalise(name: str) -> str:
    return _SPACES.sub(" ", name.strip().strip(".").lower())


@functools.lru_cache(maxsize=1)
def _cow_codes() -> dict[str, str]:
    """Correlates of War numeric codes to ISO alpha-2, for DCID and CFR."""
    table = Path(__file__).with_name("cow_iso2.csv")
    with table.open(encoding="utf-8") as handle:
        return {row["ccode"]: row["iso2"] for row in csv.DictReader(handle)}


@functools.lru_cache(maxsize=4096)
def to_iso2(name: str | int | None) -> str | None:
    """Return the ISO 3166-1 alpha-2 code for a country name, code or adjective.

    Accepts ISO alpha-2/alpha-3 codes, official and common names, demonyms
    ("Russian") and Correlates-of-War numeric codes ("365").  Returns ``None``
    when the value names no country (empty, "Unknown", a region, a typo).
    """
    if name is None:
        return None
    text = str(name).strip()
    if not text:
        return None
    if text.replace(".0", "").isdigit():
        return _cow_codes().get(text.replace(".0", ""))
    key = _normalise(text)
    if key in _COMMON_NAMES:
        return _COMMON_NAMES[key]
    if key in _ADJECTIVES:
        return _ADJECTIVES[key]
    if len(text) == 2 and text.isalpha():
        country = pycountry.countries.get(alpha_2=text.upper())
        return country.alpha_2 if country else ("XK" if text.upper() == "XK" else None)
    if len(text) == 3 and text.isalpha() and text.isupper():
        country = pycountry.countries.get(alpha_3=text)
        if country:
            return str(country.alpha_2)
    return _name_index().get(key)


@functools.lru_cache(maxsize=1)
def _name_index() -> dict[str, str]:
    """Normalised ISO names, common and official names, our common forms and adjectives."""
    index: dict[str, str] = {}
    for country in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            value = getattr(country, attr, None)
            if value:
                index.setdefault(_normalise(value), str(country.alpha_2))
    index.update(_ADJECTIVES)
    index.update(_COMMON_NAMES)
    return index


def known_names() -> list[str]:
    """Every (normalised) country name, common form and adjective :func:`to_iso2` resolves."""
    return list(_name_index())


def country_name(iso2: str) -> str:
    """The common English name of a country given its alpha-2 code."""
    if iso2 == "XK":
        return "Kosovo"
    country = pycountry.countries.get(alpha_2=iso2)
    if country is None:
        raise KeyError(iso2)
    return str(getattr(country, "common_name", None) or country.name)


def all_iso2() -> list[str]:
    """Every ISO 3166-1 alpha-2 code pycountry knows, plus Kosovo (XK)."""
    return sorted({str(c.alpha_2) for c in pycountry.countries} | {"XK"})


WORD = re.compile(r"[A-Za-z][A-Za-z'’.&-]*")  # keeps hyphenated names whole ("Guinea-Bissau")
_CAPS_OK = {"US", "UK", "USA", "UAE", "U.S.", "U.K.", "U.S", "U.K"}


def countries_in(text: str, *, word: re.Pattern[str] = WORD) -> Iterator[str]:
    """ISO codes of the states a text names, in the order it names them (repeats included).

    Longest match first over runs of up to four capitalised words (``word`` says what a word is)
    within each part between commas, semicolons, colons, brackets and slashes: country names
    ("United States", "Republic of Korea"), "U.S.", "UK" and adjectives ("Ukrainian government
    agencies" -> UA).  Other all-capital short words ("IT", "UN", "THAAD") are not read as codes.
    """
    words = _name_words()
    for part in re.split(r"[,;:()/]", text):
        tokens = [re.sub(r"['’]s?$", "", t) for t in word.findall(part)]
        i = 0
        while i < len(tokens):
            for size in (4, 3, 2, 1):
                window = tokens[i:i + size]
                if (len(window) < size or not window[0][0].isupper() or not window[-1][0].isupper()
                        or any(w.lower().strip(".") not in words for w in window)):
                    continue  # no country name has these words: spare to_iso2's slow search
                if size == 1 and window[0].upper() == window[0] and window[0] not in _CAPS_OK:
                    continue
                code = to_iso2(" ".join(window))
                if code:
                    yield code
                    i += size
                    break
            else:
                i += 1


@functools.lru_cache(maxsize=1)
def _name_words() -> frozenset[str]:
    """Every word of the country names, codes and adjectives that to_iso2 knows."""
    return frozenset(w.strip(".,") for name in known_names() for w in name.split())
