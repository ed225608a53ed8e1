"""Indicators: the gold suite of defanged variants and benign traps, offsets, and hostile inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cirx.extract.evaluate import evaluate_iocs
from cirx.extract.iocs import TYPES, extract_iocs, refang

GOLD = Path(__file__).with_name("ioc_gold.json")


def test_gold_suite_precision_and_recall_are_at_least_095() -> None:
    result = evaluate_iocs(GOLD)
    assert result["cases"] >= 60
    assert result["precision"] >= 0.95, result["misses"]
    assert result["recall"] >= 0.95, result["misses"]


def test_gold_suite_covers_every_type_and_benign_traps() -> None:
    cases = json.loads(GOLD.read_text())["cases"]
    covered = {kind for case in cases for kind, _ in case["expected"]}
    assert covered == set(TYPES)
    assert sum(1 for case in cases if not case["expected"]) >= 20


@pytest.mark.parametrize(("raw", "value"), [
    ("hxxp://evil[.]com/a", "http://evil.com/a"),
    ("hXXps[://]evil(.)com", "https://evil.com"),
    ("fxp://files{.}evil[dot]net", "ftp://files.evil.net"),
    ("user[@]evil[.]com", "user@evil.com"),
    ("user [at] evil(dot)com", "user@evil.com"),
])
def test_refang(raw: str, value: str) -> None:
    assert refang(raw) == value


def test_offsets_point_at_the_indicator_as_written() -> None:
    text = "First 185.220.101[.]4 then hxxp://bad-site[.]xyz/x and CVE-2021-44228."
    found = extract_iocs(text)
    assert [(i.type, text[i.start:i.end]) for i in found] == [
        ("ipv4", "185.220.101[.]4"), ("url", "hxxp://bad-site[.]xyz/x"), ("cve", "CVE-2021-44228")]
    assert all(i.defanged for i in found[:2])


def test_a_domain_inside_a_url_or_an_address_is_not_reported_twice() -> None:
    found = extract_iocs("see hxxp://evil-cdn[.]com/a.exe and bob@evil-mail[.]com")
    assert [(i.type, i.value) for i in found] == [("url", "http://evil-cdn.com/a.exe"),
                                                   ("email", "bob@evil-mail.com")]


@pytest.mark.parametrize("hostile", [
    "a." * 100_000, "a[.]" * 60_000, "1." * 100_000, "@" * 200_000, "a@b." * 50_000, "a" * 200_000,
    "hxxp://" + "a" * 200_000, "HKLM\\" + "a b\\" * 50_000, "[(.)]" * 40_000, "ab12." * 40_000,
    ("a" * 63 + ".") * 3000, "x.y@z[.]w\\" * 20_000, "cve-2021-" * 20_000, "f" * 100_000 + "1" * 100_000,
])
def test_hostile_inputs_finish(hostile: str) -> None:
    """Long lines of dots, at-signs, backslashes or hex end in linear time (no catastrophic backtracking)."""
    extract_iocs(hostile)
