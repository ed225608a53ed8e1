"""Indicators of compromise in report text: found plain or defanged, refanged, benign ones dropped.

Types: ``ipv4``, ``domain``, ``url``, ``md5``, ``sha1``, ``sha256``, ``email``,
``cve``, ``filename`` and ``registry``.  Defanged forms (``hxxp``, ``[.]``,
``(.)``, ``{.}``, ``[dot]``, ``[:]``, ``[://]``, ``[@]``, ``[at]``, lower-case
``cve-``) are recognised and every value is given refanged and normalised.

Every pattern is linear in its input: quantifiers are bounded, the long ones
possessive, and matches may only start where a token starts (a look-behind),
so no input, however long its lines, makes a pattern backtrack without bound
(the failure mode of several public extractors on minified HTML or base64
blobs).  One pass of a few compiled expressions keeps extraction at several
megabytes a second on one core.

Benign values are dropped: private, reserved, loopback, documentation and
multicast addresses (:mod:`ipaddress`), and values on the MISP warninglists
(:mod:`cirx.extract.warninglists`): top sites, vendors' own domains, security
blogs, public resolvers, empty-file and known-good hashes.
"""

from __future__ import annotations

import bisect
import ipaddress
import re
from dataclasses import dataclass

from cirx.extract import warninglists


def _words(text: str) -> frozenset[str]:
    """The words of a space-separated list."""
    return frozenset(text.split())

TYPES = ("ipv4", "domain", "url", "md5", "sha1", "sha256", "email", "cve", "filename", "registry")

_DOT = r"(?:\.|\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\))"
_LABEL = r"[\w$~][\w$~-]{0,62}+"
# A dotted token (a domain, an IPv4 address or a file name, told apart afterwards) is found from its
# dots: the dot sites are searched with a fast literal scan, the token's start is found by walking back
# over the reversed text, and the token is then matched forwards from there.
_DOT_SITE = re.compile(r"\.(?=[\w$~])|\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)", re.IGNORECASE)
_LEFT_REVERSED = re.compile(r"(?:[\w$~-]|\]\.\[|\)\.\(|\}\.\{|\]tod\[|\)tod\(|\.(?=[\w$~]))*+", re.IGNORECASE)
_DOTTED = re.compile(rf"{_LABEL}(?:{_DOT}{_LABEL}){{1,12}}+", re.IGNORECASE)
# The other patterns start with a character class (a fast scan); look-behinds are checked afterwards.
_URL = re.compile(r"[hHfF](?:[tTxX]{2}[pP][sS]?|\*\*[pP][sS]?|[tT][pP][sS]?|[xX][pP])"
                  r"(?:://|\[://\]|\[:\]//|\[:/{2}\]|\(:\)//)[^\s\"'<>`{}|\\^]{1,2048}+")
# Hashes are found from a digit (rare in prose, frequent in hashes), then extended to the left.
_HASH = re.compile(r"[0-9][a-fA-F0-9]{15,127}+")
_HEX_REVERSED = re.compile(r"[a-fA-F0-9]{0,112}+")
_CVE = re.compile(r"[cC][vV][eE][-_‐‑–— ]?(\d{4})[-_‐‑–—](\d{4,7})(?!\d)")
_AT = r"(?:@|\[@\]|\(@\)|\{@\}|\[at\]|\(at\)| \[at\] | \(at\) )"
_AT_SITE = re.compile(r"@|\[at\]|\(at\)", re.IGNORECASE)
_LOCAL_REVERSED = re.compile(r"[\w.+-]{1,64}+")
_EMAIL_DOMAIN = re.compile(rf"{_AT}({_LABEL}(?:{_DOT}{_LABEL}){{1,12}}+)", re.IGNORECASE)
_REG_ROOT = r"[hH][kK](?:[eE][yY]_(?:LOCAL_MACHINE|CURRENT_USER|CLASSES_ROOT|USERS|CURRENT_CONFIG)|LM|CU|CR|U|CC)"
_REG_WORD = r"[^\\\s\"'<>|:,;]{1,96}"
_REGISTRY = re.compile(
    rf"{_REG_ROOT}(?:\\{{1,2}}(?:{_REG_WORD}(?: {_REG_WORD}){{0,3}}+(?=\\)|{_REG_WORD})){{1,24}}+")
_REG_ROOTS = {"HKLM": "HKEY_LOCAL_MACHINE", "HKCU": "HKEY_CURRENT_USER", "HKCR": "HKEY_CLASSES_ROOT",
              "HKU": "HKEY_USERS", "HKCC": "HKEY_CURRENT_CONFIG"}
_DEFANGED_DOT = re.compile(r"\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\[\.|\.\]", re.IGNORECASE)
_DEFANGED_AT = re.compile(r" ?(?:\[@\]|\(@\)|\{@\}|\[at\]|\(at\)) ?", re.IGNORECASE)
_SCHEME = re.compile(r"^(?:h(?:tt|xx|\*\*)p(s?)|fxp|(s?ftps?))(?:\[://\]|\[:\]//|\[:/{2}\]|\(:\)//|://)",
                     re.IGNORECASE)
_TRAILING = ".,;:!?'\")]}>*"
_VERSION_BEFORE = re.compile(r"(?:\bv|version|ver\.?|build)\s?$", re.IGNORECASE)
_DOTTED_QUAD = re.compile(r"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$")

# File extensions that make a dotted token a file name.
FILE_EXTENSIONS = _words(
    "exe dll sys drv ocx cpl scr msi msp ps1 psm1 psd1 bat cmd vbs vbe js jse wsf wsh hta lnk jar apk "
    "doc docx docm dot dotm xls xlsx xlsm xlsb xll ppt pptx pptm rtf pdf zip rar 7z gz tgz tar iso img vhd "
    "vhdx chm dat tmp bin sh py elf so dylib dmg pkg php asp aspx jsp txt log ini cfg conf xml eml msg "
    "one inf reg db sqlite bak ps1xml mui efi ko")
# Extensions that are also top-level domains: with one label before them they name a file.
_AMBIGUOUS = frozenset({"sh", "py", "so", "zip", "one", "ps", "mov"})
# System programs named in nearly every report: tools of the trade, not indicators.
COMMON_FILES = _words(
    "cmd.exe powershell.exe pwsh.exe rundll32.exe regsvr32.exe mshta.exe wscript.exe cscript.exe explorer.exe "
    "svchost.exe schtasks.exe net.exe net1.exe whoami.exe ipconfig.exe systeminfo.exe tasklist.exe "
    "taskkill.exe netstat.exe reg.exe wmic.exe certutil.exe bitsadmin.exe msiexec.exe conhost.exe lsass.exe "
    "winlogon.exe services.exe notepad.exe calc.exe ntdll.dll kernel32.dll user32.dll advapi32.dll "
    "ws2_32.dll wininet.dll shell32.dll ole32.dll msvcrt.dll nltest.exe ping.exe sc.exe at.exe node.js "
    "vue.js react.js next.js three.js d3.js chart.js angular.js express.js socket.io")


@dataclass(frozen=True)
class Indicator:
    """One indicator: its type, refanged value and character span in the text."""

    type: str
    value: str
    start: int
    end: int
    defanged: bool = False

    def as_dict(self) -> dict[str, object]:
        """The output contract's form."""
        return {"type": self.type, "value": self.value, "start": self.start, "end": self.end}


def refang(value: str) -> str:
    """A defanged indicator in its real form (``hxxp://evil[.]com`` → ``http://evil.com``)."""
    value = _DEFANGED_DOT.sub(".", value)
    value = _DEFANGED_AT.sub("@", value)
    match = _SCHEME.match(value)
    if match:
        lowered = match.group(0).lower()
        scheme = "https" if lowered.startswith(("hxxps", "https", "h**ps")) else (
            "http" if lowered.startswith("h") else lowered.split(":")[0].strip("[(").replace("fxp", "ftp"))
        value = f"{scheme}://{value[match.end():]}"
    return value


def _strip_trailing(text: str, start: int, end: int) -> int:
    """End of a match without sentence punctuation and unbalanced closing brackets."""
    while end > start and text[end - 1] in _TRAILING:
        closing = text[end - 1]
        opening = {")": "(", "]": "[", "}": "{"}.get(closing)
        if opening and text.count(opening, start, end) >= text.count(closing, start, end):
            break
        end -= 1
    return end


def _classify_dotted(raw: str, before: str, defanged: bool) -> str | None:
    """``ipv4``, ``domain`` or ``filename`` for a dotted token (refanged), or None."""
    labels = raw.split(".")
    last = labels[-1].lower()
    if _DOTTED_QUAD.match(raw):
        if _VERSION_BEFORE.search(before):
            return None
        return "ipv4" if all(int(part) <= 255 for part in labels) else None
    if last in FILE_EXTENSIONS and not defanged and (last not in _AMBIGUOUS or len(labels) == 2):
        return "filename"
    if last.upper() in warninglists.tlds() and not last.isdigit():
        if any(not label or "_" in label or label.startswith("-") for label in labels):
            return None
        letters = raw.replace(".", "").replace("-", "")
        if not letters.isascii() or (any(c.isupper() for c in letters) and any(c.islower() for c in letters)):
            return None  # System.IO, Node.js, Invoke.Run: code, not hosts
        return "domain"
    return None


def _benign_ip(value: str) -> bool:
    address = ipaddress.IPv4Address(value)
    return not address.is_global or address.is_multicast or warninglists.is_benign_ip(value)


def extract_iocs(text: str) -> list[Indicator]:
    """Every indicator in ``text``, benign ones dropped, in order of position."""
    found: list[Indicator] = []
    reversed_text = text[::-1]
    taken = _urls(text, found)
    if "@" in text or "[at]" in text or "(at)" in text:
        taken = sorted(taken + _emails(text, reversed_text, found, taken))
    _dotted(text, reversed_text, found, taken)
    for match in _HASH.finditer(text):
        start, end = match.span()
        if _word_char(text, end):
            continue
        back = _HEX_REVERSED.match(reversed_text, len(text) - start)
        start -= back.end() - back.start() if back else 0
        kind = _HASH_TYPES.get(end - start)
        if kind is None or _word_char(text, start - 1):
            continue
        value = text[start:end].lower()
        if len(set(value)) > 4 and not warninglists.is_benign_hash(value):
            found.append(Indicator(kind, value, start, end))
    for match in _CVE.finditer(text):
        if _word_char(text, match.start() - 1) or text[match.start() - 1:match.start()] == "-":
            continue
        value = f"CVE-{match.group(1)}-{match.group(2)}"
        found.append(Indicator("cve", value, match.start(), match.end(), not match.group().startswith("CVE-")))
    for match in _REGISTRY.finditer(text):
        if _word_char(text, match.start() - 1) or text[match.start() - 1:match.start()] == "\\":
            continue
        start, end = match.start(), _strip_trailing(text, match.start(), match.end())
        found.append(Indicator("registry", _registry_value(text[start:end]), start, end))
    found.sort(key=lambda item: (item.start, item.end))
    return found


_HASH_TYPES = {32: "md5", 40: "sha1", 64: "sha256"}


def _word_char(text: str, index: int) -> bool:
    """Whether text[index] exists and is a word character (or ``$``)."""
    return 0 <= index < len(text) and (text[index].isalnum() or text[index] in "_$")


def _urls(text: str, found: list[Indicator]) -> list[tuple[int, int]]:
    """Add the URLs to ``found``; return the spans of every URL, benign ones included."""
    taken: list[tuple[int, int]] = []
    for match in _URL.finditer(text):
        start = match.start()
        if text[start - 1:start] in ("s", "S") and text[start:start + 3].lower() == "ftp":
            start -= 1  # sftp://
        if _word_char(text, start - 1) or text[start - 1:start] == ".":
            continue
        end = _strip_trailing(text, start, match.end())
        raw = text[start:end]
        value = refang(raw)
        taken.append((start, end))
        host = value.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
        host = host.rsplit("@", 1)[-1].split(":", 1)[0].lower()
        if "." not in host or warninglists.is_benign_domain(host):
            continue
        if _DOTTED_QUAD.match(host):
            parts = host.split(".")
            if any(int(p) > 255 for p in parts) or _benign_ip(".".join(str(int(p)) for p in parts)):
                continue
        found.append(Indicator("url", value, start, end, value != raw))
    return taken


def _emails(text: str, reversed_text: str, found: list[Indicator],
            taken: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Add the e-mail addresses to ``found``; return their spans."""
    spans: list[tuple[int, int]] = []
    for site in _AT_SITE.finditer(text):
        at = site.start()
        before = text[at - 1:at]
        if before and ((site.group() == "@" and before in "[({") or (site.group() != "@" and before == " ")):
            at -= 1
        if spans and at < spans[-1][1]:
            continue
        local = _LOCAL_REVERSED.match(reversed_text, len(text) - at)
        domain = _EMAIL_DOMAIN.match(text, at) if local else None
        if not local or not domain:
            continue
        end = _strip_trailing(text, at, domain.end())
        host = text[domain.start(1):end]
        host = (refang(host) if "[" in host or "(" in host or "{" in host else host).lower()
        if host.rsplit(".", 1)[-1].upper() not in warninglists.tlds():
            continue
        start = at - (local.end() - local.start())
        while start < at and text[start] in ".-+":
            start += 1
        if start == at or _inside(taken, start, end):
            continue
        spans.append((start, end))
        name = text[start:at]
        if not warninglists.is_reserved_domain(host):
            found.append(Indicator("email", f"{name}@{host}", start, end, text[at] != "@"))
    return spans


def _dotted(text: str, reversed_text: str, found: list[Indicator], taken: list[tuple[int, int]]) -> None:
    """Add the IPv4 addresses, domains and file names to ``found`` (outside the ``taken`` spans)."""
    size = len(text)
    done = 0
    for site in _DOT_SITE.finditer(text):
        dot = site.start()
        if dot < done or (not _word_char(text, dot - 1) and text[dot - 1:dot] not in ("$", "~", "-")):
            continue
        back = _LEFT_REVERSED.match(reversed_text, size - dot, size - done)
        start = dot - (back.end() - back.start()) if back else dot
        start = _skip_leading(text, start, dot)
        match = _DOTTED.match(text, start)
        if match is None or match.end() <= dot:
            done = dot
            continue
        done = match.end()
        if text[start - 1:start] == "@" or _inside(taken, start, match.end()):
            continue
        end = _strip_trailing(text, start, match.end())
        raw = text[start:end]
        fanged = "[" in raw or "(" in raw or "{" in raw
        value = refang(raw) if fanged else raw
        kind = _classify_dotted(value, text[max(0, start - 10):start], fanged)
        if kind == "ipv4":
            value = ".".join(str(int(part)) for part in value.split("."))
            if _benign_ip(value):
                continue
        elif kind == "domain":
            value = value.lower()
            if warninglists.is_benign_domain(value):
                continue
        elif kind is None or value.lower() in COMMON_FILES:
            continue
        found.append(Indicator(kind, value, start, end, fanged))


def _skip_leading(text: str, start: int, limit: int) -> int:
    """The first label character at or after ``start``: skips leading dots, hyphens and defanged dots."""
    while start < limit:
        if text[start] in "-.":
            start += 1
            continue
        found = _DEFANGED_DOT.match(text, start)
        if not found:
            break
        start = found.end()
    return start


def _inside(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether [start, end) overlaps one of ``spans`` (sorted, not overlapping each other)."""
    index = bisect.bisect_right(spans, (start, len(spans) + end + 1 << 32))
    return any(s < end and start < e for s, e in spans[max(0, index - 1):index + 1])


def _registry_value(raw: str) -> str:
    """A registry key with single separators and its root hive spelt out."""
    key = re.sub(r"\\{2}", r"\\", raw)
    root, _, rest = key.partition("\\")
    root = _REG_ROOTS.get(root.upper(), root.upper())
    return f"{root}\\{rest}" if rest else root
