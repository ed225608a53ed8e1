"""Benign values from the MISP warninglists (``pymispwarninglists``), indexed for fast look-ups.

Only lists whose entries are known-good are used: top sites (exact names, so a
subdomain of a shared host such as ``duckdns.org`` stays suspicious), the
domains of big vendors and of security blogs, "what is my IP" services,
public DNS resolvers, the hashes of empty files and of known-good software,
and the reserved names of RFC 6761.  Lists of scanners, VPNs, cloud ranges and
dynamic-DNS providers are *not* used: attackers live there.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

# Lists whose entries (and, for vendor lists, their subdomains) are benign hosts.
_EXACT_HOST_LISTS = ("alexa", "tranco10k", "cisco_top1000", "whats-my-ip", "security-provider-blogpost",
                     "wikimedia", "moz-top500", "crl-hostname", "public-dns-hostname")
_VENDOR_HOST_LISTS = ("google", "microsoft", "apple", "akamai", "mozilla-CA")
_IP_LISTS = ("public-dns-v4",)
_HASH_LISTS = ("empty-hashes", "common-ioc-false-positive", "ti-falsepositives")
_RESERVED = ("example", "test", "invalid", "localhost", "local", "onion.example")
_EXTRA_BENIGN = ("mitre.org", "attack.mitre.org", "virustotal.com", "github.com", "twitter.com", "x.com",
                 "microsoft.com", "google.com", "youtube.com", "linkedin.com", "facebook.com")


def _lists_dir() -> Path:
    import pymispwarninglists

    return Path(pymispwarninglists.__file__).parent / "data" / "misp-warninglists" / "lists"


def _entries(name: str) -> list[str]:
    """The entries of one warninglist (empty when the package lacks it)."""
    path = _lists_dir() / name / "list.json"
    if not path.is_file():
        return []
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return [str(entry).strip().lower() for entry in data.get("list", []) if str(entry).strip()]


@functools.lru_cache(maxsize=1)
def tlds() -> frozenset[str]:
    """Top-level domains known to IANA, upper-case."""
    return frozenset(entry.upper() for entry in _entries("tlds"))


@functools.lru_cache(maxsize=1)
def _public_suffixes() -> frozenset[str]:
    """Second-level public suffixes (co.uk, blogspot.com, duckdns.org...): not one owner's domain."""
    return frozenset(_entries("second-level-tlds"))


@functools.lru_cache(maxsize=1)
def _benign_hosts() -> tuple[frozenset[str], frozenset[str]]:
    """(exact benign hosts, vendor domains benign with their subdomains)."""
    exact = {entry.lstrip("*.").lstrip(".") for name in _EXACT_HOST_LISTS for entry in _entries(name)}
    exact.update(_EXTRA_BENIGN)
    vendor = {entry.lstrip("*.").lstrip(".") for name in _VENDOR_HOST_LISTS for entry in _entries(name)}
    return frozenset(exact), frozenset(v for v in vendor if "." in v and "/" not in v)


@functools.lru_cache(maxsize=1)
def _benign_ips() -> frozenset[str]:
    return frozenset(entry for name in _IP_LISTS for entry in _entries(name) if "/" not in entry)


@functools.lru_cache(maxsize=1)
def _benign_hashes() -> frozenset[str]:
    return frozenset(entry for name in _HASH_LISTS for entry in _entries(name))


def is_reserved_domain(domain: str) -> bool:
    """Names RFC 2606/6761 reserve (example.com, *.test, localhost...)."""
    labels = domain.lower().rstrip(".").split(".")
    return labels[-1] in _RESERVED or (len(labels) >= 2 and labels[-2] == "example"
                                       and labels[-1] in {"com", "net", "org"})


def is_benign_domain(domain: str) -> bool:
    """Whether a host name is well known and benign (or reserved)."""
    domain = domain.lower().rstrip(".")
    if is_reserved_domain(domain):
        return True
    exact, vendor = _benign_hosts()
    if domain in exact:
        return True
    suffixes = _public_suffixes()
    labels = domain.split(".")
    for index in range(len(labels) - 1):
        parent = ".".join(labels[index:])
        if parent in suffixes:
            return False
        if parent in vendor or (index == len(labels) - 2 and parent in exact and _www(labels, index)):
            return True
    return False


def _www(labels: list[str], index: int) -> bool:
    """``www.x.com`` or ``x.com``: the same site as a listed ``x.com``."""
    return index == 0 or labels[:index] == ["www"]


def is_benign_ip(value: str) -> bool:
    """Whether an IPv4 address is a well-known public resolver."""
    return value in _benign_ips()


def is_benign_hash(value: str) -> bool:
    """Whether a hash is that of an empty file or of known-good software."""
    return value.lower() in _benign_hashes()


def warm() -> None:
    """Load every index now (before a timed run)."""
    tlds()
    _public_suffixes()
    _benign_hosts()
    _benign_ips()
    _benign_hashes()
